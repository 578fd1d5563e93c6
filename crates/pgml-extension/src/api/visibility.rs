//! Who holds which right on a project: `pgml.project_allows(owner, acl, privilege)` (the rule of
//! docs/security.md, used by pgml's functions and by `pgml.projects`' row-level security) and
//! `pgml.project_visible(project_id)` (the check behind the row-level security of `pgml.models` and
//! `pgml.deployments`).
//!
//! `project_allows` was a SQL function with its own `search_path`: never inlined, so each call paid a
//! GUC switch and a SQL function call (about 35 µs here), and re-planned its body whenever it ran in a
//! new query. Here it asks PostgreSQL's role cache directly (`has_privs_of_role`, what
//! `pg_has_role(role, 'USAGE')` asks), and runs no SQL but the extension owner's lookup, once per
//! statement.
//!
//! Those policies used to say `EXISTS (SELECT 1 FROM pgml.projects p WHERE p.id = project_id)`, which
//! evaluates `pgml.project_allows` (a SQL function with its own `search_path`, so never inlined) once
//! per model row read: 20 000 models cost a second. The answer depends only on the project, the role
//! and the snapshot, so it is computed once per project per statement and kept for the statement (the
//! key of `pg::statement`: database, role, transaction, statement and command), exactly as predict
//! keeps its deployment lookup. The check itself is unchanged: the project's row is read as the
//! caller, so `pgml.projects`' own policy (`pgml.project_allows(owner, acl, 'any')`) decides.
//!
//! Both SQL declarations are in `catalog/schema.sql` (`sql = false` here), because the policies that
//! call them are created there, before pgrx's generated functions.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::prelude::*;

use crate::error::{OrReport, PgmlError, Result};
use crate::pg::statement::{statement_key, StatementKey};

#[derive(Default)]
struct Seen {
    key: Option<StatementKey>,
    projects: HashMap<i64, bool>,
    /// The extension's owner (whose members hold every right), looked up once per statement.
    extension_owner: Option<pg_sys::Oid>,
}

/// This statement's cache, emptied first if it belongs to an earlier statement (or another role).
fn with_seen<R>(f: impl FnOnce(&mut Seen) -> R) -> R {
    let key = statement_key();
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        if s.key != Some(key) {
            *s = Seen {
                key: Some(key),
                ..Seen::default()
            };
        }
        f(&mut s)
    })
}

thread_local! {
    static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
    /// Planned once per backend (SPI_keepplan); PostgreSQL's plan cache replans it when the catalog
    /// changes. Operators are schema-qualified: nothing another role creates can be picked.
    static PLAN: RefCell<Option<pgrx::spi::OwnedPreparedStatement>> = const { RefCell::new(None) };
}

const VISIBLE: &str =
    "SELECT EXISTS (SELECT 1 FROM pgml.projects p WHERE p.id OPERATOR(pg_catalog.=) $1)";

#[pg_extern(sql = false, stable, parallel_safe, strict)]
fn project_visible(project_id: i64) -> bool {
    visible(project_id).or_report()
}

fn visible(project_id: i64) -> Result<bool> {
    let key = statement_key();
    if let Some(v) = with_seen(|s| s.projects.get(&project_id).copied()) {
        return Ok(v);
    }
    let v = Spi::connect(|client| {
        PLAN.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let plan = client.prepare(
                    VISIBLE,
                    &[pgrx::PgOid::BuiltIn(pgrx::PgBuiltInOids::INT8OID)],
                )?;
                *slot = Some(plan.keep());
            }
            let Some(plan) = slot.as_ref() else {
                return Ok(false);
            };
            let found = client
                .select(plan, Some(1), &[project_id.into()])?
                .first()
                .get_one::<bool>();
            match found {
                Ok(v) => Ok(v.unwrap_or(false)),
                Err(pgrx::spi::SpiError::InvalidPosition) => Ok(false),
                Err(e) => Err(PgmlError::from(e)),
            }
        })
    })?;
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        // The SPI query above ran in this statement; keep the answer only if nothing reset the key.
        if s.key == Some(key) {
            s.projects.insert(project_id, v);
        }
    });
    Ok(v)
}

/// `pgml.project_allows(owner, acl, privilege)`: whether the current role holds `privilege`
/// ('train', 'deploy', 'predict', or 'any' of them) on a project with this owner and acl. Members
/// of the owner (and of the extension's owner, which superusers are) hold every right; others what
/// was granted to a role they are a member of (`{"role": ["predict", ...]}`), or to public. A role
/// that does not exist grants nothing; NULLs grant nothing.
#[pg_extern(sql = false, stable, parallel_safe)]
fn project_allows(owner: Option<&str>, acl: Option<pgrx::JsonB>, privilege: Option<&str>) -> bool {
    allows(owner, acl.as_ref().map(|j| &j.0), privilege).or_report()
}

fn allows(
    owner: Option<&str>,
    acl: Option<&serde_json::Value>,
    privilege: Option<&str>,
) -> Result<bool> {
    if owner.is_some_and(is_member_of_role_named) {
        return Ok(true);
    }
    if let Some(extension_owner) = extension_owner()? {
        if has_privs_of(extension_owner) {
            return Ok(true);
        }
    }
    let (Some(grants), Some(privilege)) = (acl.and_then(serde_json::Value::as_object), privilege)
    else {
        return Ok(false);
    };
    Ok(grants.iter().any(|(grantee, privileges)| {
        privileges.as_array().is_some_and(|list| {
            privilege == "any" || list.iter().any(|p| p.as_str() == Some(privilege))
        }) && (grantee == "public" || is_member_of_role_named(grantee))
    }))
}

/// `pg_has_role(role, 'USAGE')` for the current role.
fn has_privs_of(role: pg_sys::Oid) -> bool {
    // SAFETY: reads the backend's role membership cache; valid in any transaction.
    unsafe { pg_sys::has_privs_of_role(pg_sys::GetUserId(), role) }
}

/// Whether the current role has the privileges of the role called `name` (false when there is no
/// such role), as `pg_has_role(to_regrole(quote_ident(name)), 'USAGE')`.
fn is_member_of_role_named(name: &str) -> bool {
    // Identifiers are cut to NAMEDATALEN - 1 bytes (on a character boundary), as to_regrole does.
    let mut end = name.len().min(pg_sys::NAMEDATALEN as usize - 1);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let Ok(c) = std::ffi::CString::new(&name[..end]) else {
        return false;
    };
    // SAFETY: a NUL-terminated name; missing_ok, so an unknown role is InvalidOid, not an error.
    let role = unsafe { pg_sys::get_role_oid(c.as_ptr(), true) };
    role != pg_sys::InvalidOid && has_privs_of(role)
}

fn extension_owner() -> Result<Option<pg_sys::Oid>> {
    if let Some(o) = with_seen(|s| s.extension_owner) {
        return Ok(Some(o));
    }
    let owner = crate::pg::spi::read_one::<pg_sys::Oid>(
        "SELECT extowner FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pgml'",
        &[],
    )?;
    if owner.is_some() {
        with_seen(|s| s.extension_owner = owner);
    }
    Ok(owner)
}
