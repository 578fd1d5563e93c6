//! `pgml.projects`, and the rights a role holds on a project.
//!
//! A project belongs to the role that created it (its members hold every right on it, as with any
//! PostgreSQL object); its owner grants `train`, `deploy` and `predict` to other roles or to public
//! with `pgml.grant_project`. Superusers and the extension's owner hold every right. The check is
//! `pgml.project_allows`, the same SQL function the catalog's row-level security uses.

use pgml_core::Task;
use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::privilege::{as_owner, current_role_name};
use crate::pg::spi::read_one;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    Train,
    Deploy,
    Predict,
    /// Any one of the three: enough to see a project's catalog rows (and export its models).
    Any,
}

impl Privilege {
    pub const ALL: [Privilege; 3] = [Privilege::Train, Privilege::Deploy, Privilege::Predict];

    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::Train => "train",
            Privilege::Deploy => "deploy",
            Privilege::Predict => "predict",
            Privilege::Any => "any",
        }
    }

    /// `train`, `deploy`, `predict`, or `all` (every one).
    pub fn parse_list(name: &str) -> Result<Vec<Privilege>> {
        match name.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Self::ALL.to_vec()),
            other => Self::ALL
                .into_iter()
                .find(|p| p.as_str() == other)
                .map(|p| vec![p])
                .ok_or_else(|| {
                    PgmlError::invalid(format!("unknown project privilege \"{name}\""))
                        .hint("privileges are train, deploy, predict, or all")
                }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub task: Task,
    pub owner: String,
    pub acl: serde_json::Value,
}

impl Project {
    /// Whether the calling role holds `privilege` on this project.
    pub fn allows(&self, privilege: Privilege) -> Result<bool> {
        Ok(read_one::<bool>(
            "SELECT pgml.project_allows($1::pg_catalog.text, $2::pg_catalog.jsonb, $3::pg_catalog.text)",
            &[
                self.owner.as_str().into(),
                pgrx::JsonB(self.acl.clone()).into(),
                privilege.as_str().into(),
            ],
        )?
        .unwrap_or(false))
    }

    /// Ok when the calling role holds `privilege` on this project; 42501 naming the project, its
    /// owner and the grant that would allow it otherwise.
    pub fn require(&self, privilege: Privilege) -> Result<()> {
        if self.allows(privilege)? {
            return Ok(());
        }
        let role = current_role_name().unwrap_or_else(|_| "this role".to_string());
        Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            match privilege {
                Privilege::Any => format!("permission denied for project \"{}\"", self.name),
                _ => format!(
                    "permission denied to {} project \"{}\"",
                    privilege.as_str(),
                    self.name
                ),
            },
        )
        .hint(format!(
            "project \"{}\" belongs to role {}; a member of it can run SELECT pgml.grant_project('{}', '{}', '{}')",
            self.name,
            self.owner,
            self.name.replace('\'', "''"),
            match privilege {
                Privilege::Any => "predict",
                p => p.as_str(),
            },
            role.replace('\'', "''"),
        )))
    }
}

const SELECT: &str = "SELECT id, name, task::pg_catalog.text, owner, acl FROM pgml.projects WHERE ";

fn read(condition: &str, arg: pgrx::datum::DatumWithOid<'_>) -> Result<Option<Project>> {
    let sql = format!("{SELECT}{condition}");
    as_owner(|| {
        Spi::connect(|client| {
            let mut rows = client.select(&sql, Some(1), &[arg])?;
            let Some(row) = rows.next() else {
                return Ok(None);
            };
            let task: String = row.get(3)?.unwrap_or_default();
            Ok(Some(Project {
                id: row.get(1)?.unwrap_or_default(),
                name: row.get(2)?.unwrap_or_default(),
                task: Task::parse(&task)?,
                owner: row.get(4)?.unwrap_or_default(),
                acl: row
                    .get::<pgrx::JsonB>(5)?
                    .map_or_else(|| serde_json::json!({}), |j| j.0),
            }))
        })
    })
}

/// The project named `name`, whoever may use it (rights are checked by [`Project::require`]).
pub fn find(name: &str) -> Result<Option<Project>> {
    read("name OPERATOR(pg_catalog.=) $1", name.into())
}

pub fn by_id(id: i64) -> Result<Option<Project>> {
    read("id OPERATOR(pg_catalog.=) $1", id.into())
}

/// The project, which must exist (42704 otherwise).
pub fn get(name: &str) -> Result<Project> {
    find(name)?.ok_or_else(|| {
        PgmlError::undefined(format!("project \"{name}\" does not exist")).hint(
            "train it first with pgml.train; SELECT name FROM pgml.projects lists the projects",
        )
    })
}

/// The project, which must exist and on which the caller must hold `privilege`.
pub fn get_for(name: &str, privilege: Privilege) -> Result<Project> {
    let p = get(name)?;
    p.require(privilege)?;
    Ok(p)
}

/// The project named `name` for a train (or import) of `task` by the calling role: created, owned
/// by the caller, when it does not exist; otherwise it must have the same task, and the caller
/// must hold `train` on it. Race-free: of several first trains at once, one creates the project
/// and the others find it.
pub fn create_or_get(name: &str, task: Task) -> Result<Project> {
    if name.trim().is_empty() {
        return Err(PgmlError::invalid("project_name must not be empty"));
    }
    if name.contains('\0') {
        return Err(PgmlError::invalid(
            "project_name must not contain a NUL byte",
        ));
    }
    let owner = current_role_name()?;
    as_owner(|| {
        Spi::run_with_args(
            "INSERT INTO pgml.projects (name, task, owner)
             VALUES ($1, $2::pgml.task, $3)
             ON CONFLICT (name) DO NOTHING",
            &[name.into(), task.as_str().into(), owner.as_str().into()],
        )?;
        Ok(())
    })?;
    let p = get(name)?;
    if p.task != task {
        return Err(PgmlError::invalid(format!(
            "project \"{}\" is a {} project; it cannot train {task}",
            p.name, p.task
        ))
        .hint("a project's task is fixed by its first train; use another project name"));
    }
    p.require(Privilege::Train)?;
    Ok(p)
}

/// Grants (or revokes) `privileges` on project `name` to `grantee` (a role name, or public). Only
/// members of the project's owner (and superusers) may.
pub fn change_grant(
    name: &str,
    privileges: &[Privilege],
    grantee: &str,
    grant: bool,
) -> Result<Project> {
    let p = get(name)?;
    let may = read_one::<bool>(
        "SELECT pgml.project_allows($1::pg_catalog.text, '{}'::pg_catalog.jsonb, 'owner'::pg_catalog.text)",
        &[p.owner.as_str().into()],
    )?
    .unwrap_or(false);
    if !may {
        return Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "only members of role {} (the owner of project \"{}\") can grant or revoke its rights",
                p.owner, p.name
            ),
        ));
    }
    let grantee = if grantee.eq_ignore_ascii_case("public") {
        "public".to_string()
    } else {
        read_one::<String>(
            "SELECT rolname::pg_catalog.text FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1",
            &[grantee.into()],
        )?
        .ok_or_else(|| {
            PgmlError::undefined(format!("role \"{grantee}\" does not exist"))
                .hint("grant to an existing role, or to public")
        })?
    };
    let mut acl = p.acl.as_object().cloned().unwrap_or_default();
    let mut held: Vec<String> = acl
        .get(&grantee)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for privilege in privileges {
        let name = privilege.as_str().to_string();
        if grant && !held.contains(&name) {
            held.push(name);
        } else if !grant {
            held.retain(|h| *h != name);
        }
    }
    held.sort();
    if held.is_empty() {
        acl.remove(&grantee);
    } else {
        acl.insert(
            grantee,
            serde_json::Value::Array(held.into_iter().map(serde_json::Value::String).collect()),
        );
    }
    let acl = serde_json::Value::Object(acl);
    as_owner(|| {
        Spi::run_with_args(
            "UPDATE pgml.projects SET acl = $2, updated_at = pg_catalog.clock_timestamp()
              WHERE id OPERATOR(pg_catalog.=) $1",
            &[p.id.into(), pgrx::JsonB(acl.clone()).into()],
        )?;
        Ok(())
    })?;
    Ok(Project { acl, ..p })
}
