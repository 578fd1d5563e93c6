//! `pgml.export_models(...) → bytea` and `pgml.import_models(bytea, deploy) → table`: models move
//! between servers as one checksummed package (`pgml_core::package`), which `pgml models export |
//! import | push` carry. An import is one statement, so it is atomic: every model of the package
//! lands with its files and deployment, or nothing does.

use std::collections::HashMap;

use pgml_core::model::Model;
use pgml_core::package::{self, Package};
use pgml_core::Task;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;

use crate::catalog::model::{self, MODEL_PATH};
use crate::catalog::project::Privilege;
use crate::catalog::{deployment, guard, project};
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::{as_owner, current_role_name, fixed_search_path};
use crate::pg::spi::{read_one, read_pair};

#[pg_extern(volatile, parallel_unsafe, name = "export_models")]
fn export_models(
    projects: default!(Option<Vec<Option<String>>>, "NULL"),
    model_ids: default!(Option<Vec<Option<i64>>>, "NULL"),
    deployed_only: default!(bool, false),
) -> Vec<u8> {
    fixed_search_path(|| {
        let projects = no_nulls(projects, "projects")?;
        let model_ids = no_nulls(model_ids, "model_ids")?;
        export(projects.as_deref(), model_ids.as_deref(), deployed_only)
            .and_then(|p| Ok(p.encode()?))
    })
    .or_report()
}

/// An array argument without NULL elements (22004 naming the argument otherwise).
fn no_nulls<T>(values: Option<Vec<Option<T>>>, name: &str) -> Result<Option<Vec<T>>> {
    values
        .map(|v| {
            v.into_iter()
                .collect::<Option<Vec<T>>>()
                .ok_or_else(|| PgmlError::null(format!("{name} must not contain NULL")))
        })
        .transpose()
}

#[pg_extern(volatile, parallel_unsafe, name = "import_models")]
fn import_models(
    package: Option<&[u8]>,
    deploy: default!(bool, true),
) -> TableIterator<
    'static,
    (
        name!(project, String),
        name!(source_model_id, i64),
        name!(model_id, i64),
        name!(imported, bool),
        name!(deployed, bool),
    ),
> {
    let rows = fixed_search_path(|| {
        let bytes = package.ok_or_else(|| PgmlError::null("package must not be NULL"))?;
        guard::ensure_writable("import models")?;
        let package = Package::decode(bytes).map_err(|e| {
            let newer = matches!(
                e,
                pgml_core::Error::BadModel {
                    newer_format: true,
                    ..
                }
            );
            PgmlError::from(e).hint(if newer {
                "a newer pgml exported it: upgrade pgml on this server (ALTER EXTENSION pgml UPDATE after installing it)"
            } else {
                "export the models again (pgml.export_models or `pgml models export`) and copy the bytes unchanged"
            })
        })?;
        import(&package, deploy)
    })
    .or_report();
    TableIterator::new(rows)
}

fn export(
    projects: Option<&[String]>,
    model_ids: Option<&[i64]>,
    deployed_only: bool,
) -> Result<Package> {
    // Named projects and models must exist, and the caller must hold a right on each: a package
    // carries a model's internals (categories, labels) and its bytes.
    if let Some(names) = projects {
        for name in names {
            project::get(name)?.require(Privilege::Any)?;
        }
    }
    if let Some(ids) = model_ids {
        for id in ids {
            let project_id = model::project_of(*id)?.ok_or_else(|| {
                PgmlError::undefined(format!("model {id} does not exist"))
                    .hint("SELECT id, name FROM pgml.trained_models lists the models")
            })?;
            if let Some(p) = project::by_id(project_id)? {
                p.require(Privilege::Any)?;
            }
        }
    }
    // Each selected model with its project and snapshot as JSON rows: one shape for every column.
    // Read as the caller: row-level security leaves out the projects it holds no right on.
    let rows: Vec<(String, String, Value, Option<Value>)> = Spi::connect(|client| {
        let rows = client.select(
            "SELECT p.name, p.task::text, to_jsonb(m), to_jsonb(s)
               FROM pgml.models m
               JOIN pgml.projects p ON p.id = m.project_id
               LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
              WHERE m.status = 'successful'
                AND (($1::text[] IS NULL AND $2::bigint[] IS NULL)
                     OR p.name = ANY ($1) OR m.id = ANY ($2))
                AND (NOT $3 OR m.id IN (SELECT model_id FROM pgml.deployed_models))
              ORDER BY p.name, m.id",
            None,
            &[
                projects.map(<[String]>::to_vec).into(),
                model_ids.map(<[i64]>::to_vec).into(),
                deployed_only.into(),
            ],
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push((
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<String>(2)?.unwrap_or_default(),
                row.get::<JsonB>(3)?.map_or(Value::Null, |j| j.0),
                row.get::<JsonB>(4)?.map(|j| j.0),
            ));
        }
        Ok::<_, PgmlError>(out)
    })?;
    if rows.is_empty() {
        return Err(
            PgmlError::not_ready("no trained model matches; nothing to export")
                .hint("SELECT id, name, deployed FROM pgml.trained_models lists the models"),
        );
    }

    let mut out: Vec<package::Project> = Vec::new();
    for (name, task, m, s) in rows {
        let id = int(&m, "id");
        let entry = package::ModelEntry {
            source_id: id,
            num_features: i32::try_from(int(&m, "num_features")).unwrap_or(0),
            algorithm: text(&m, "algorithm").unwrap_or_default(),
            runtime: text(&m, "runtime").unwrap_or_else(|| "rust".into()),
            hyperparams: json(&m, "hyperparams").unwrap_or_else(|| "{}".into()),
            status: text(&m, "status").unwrap_or_default(),
            metrics: json(&m, "metrics"),
            search: text(&m, "search"),
            search_params: json(&m, "search_params").unwrap_or_else(|| "{}".into()),
            search_args: json(&m, "search_args").unwrap_or_else(|| "{}".into()),
            features: json(&m, "features"),
            label_mapping: json(&m, "label_mapping"),
            feature_hash: text(&m, "feature_hash"),
            created_at: text(&m, "created_at").unwrap_or_default(),
            snapshot: s.as_ref().map(|s| package::SnapshotEntry {
                source_id: int(s, "id"),
                relation_name: text(s, "relation_name").unwrap_or_default(),
                y_column_name: s.get("y_column_name").and_then(|v| {
                    v.as_array().map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                }),
                test_size: s.get("test_size").and_then(Value::as_f64).unwrap_or(0.25) as f32,
                test_sampling: text(s, "test_sampling").unwrap_or_default(),
                status: text(s, "status").unwrap_or_default(),
                columns: json(s, "columns"),
                analysis: json(s, "analysis"),
                seed: int(s, "seed"),
                num_train_rows: s.get("num_train_rows").and_then(Value::as_i64),
                num_test_rows: s.get("num_test_rows").and_then(Value::as_i64),
                lineage: json(s, "lineage"),
                created_at: text(s, "created_at").unwrap_or_default(),
                column_stats: json(s, "column_stats"),
            }),
            plots: json(&m, "plots"),
            files: model::read_files(id)?
                .into_iter()
                .map(|(path, data)| package::File { path, data })
                .collect(),
        };
        if !entry.files.iter().any(|f| f.path == MODEL_PATH) {
            return Err(
                PgmlError::data(format!("model {id} has no {MODEL_PATH} file"))
                    .hint("train the model again"),
            );
        }
        match out.last_mut() {
            Some(p) if p.name == name => p.models.push(entry),
            _ => out.push(package::Project {
                name,
                task,
                models: vec![entry],
                deployed: None,
            }),
        }
    }
    for p in &mut out {
        let deployed = read_pair::<i64, String>(
            "SELECT d.model_id, d.strategy::text FROM pgml.deployments d JOIN pgml.projects p ON p.id = d.project_id
              WHERE p.name = $1 ORDER BY d.id DESC LIMIT 1",
            &[p.name.as_str().into()],
        )?;
        p.deployed = deployed
            .filter(|(id, _)| p.models.iter().any(|m| m.source_id == *id))
            .map(|(source_model_id, strategy)| package::Deployed {
                source_model_id,
                strategy,
            });
    }
    let (system_identifier, database) = this_database()?;
    let exported_at = read_one::<String>("SELECT now()::text", &[])?.unwrap_or_default();
    Ok(Package {
        source: package::Source {
            system_identifier,
            database,
            pgml_version: pgml_core::VERSION.to_string(),
            exported_at,
        },
        projects: out,
    })
}

/// (system identifier, database): where a package comes from, and whether it is here.
fn this_database() -> Result<(String, String)> {
    read_pair::<String, String>(
        "SELECT system_identifier::text, current_database()::text FROM pg_catalog.pg_control_system()",
        &[],
    )?
    .ok_or_else(|| PgmlError::data("pg_control_system() returned no row"))
}

/// One row of import_models: (project, source model id, model id here, newly imported, deployed).
type Imported = (String, i64, i64, bool, bool);

fn import(p: &Package, deploy: bool) -> Result<Vec<Imported>> {
    let caller = current_role_name()?;
    if this_database()?
        == (
            p.source.system_identifier.clone(),
            p.source.database.clone(),
        )
    {
        return import_into_source(p);
    }
    let mut result = Vec::new();
    for proj in &p.projects {
        let task = Task::parse(&proj.task)?;
        if proj.name.trim().is_empty() || proj.name.contains('\0') {
            return Err(PgmlError::data(format!(
                "the package names a project {:?}, which is not a valid project name",
                proj.name
            ))
            .hint("export the models again from a pgml server"));
        }
        let target = match project::find(&proj.name)? {
            Some(t) if t.task != task => return Err(PgmlError::invalid(format!(
                "project \"{}\" is a {} project here, but a {task} project in the package",
                proj.name, t.task
            ))
            .hint(
                "import into a database without that project, or train under another project name",
            )),
            Some(t) => {
                t.require(Privilege::Train)?;
                t
            }
            None => project::create_or_get(&proj.name, task)?,
        };
        as_owner(|| import_project(p, proj, &target, deploy, &caller, &mut result))?;
    }
    Ok(result)
}

/// A package imported into the database it was exported from: every model is already here (the
/// package's ids are this catalog's), so nothing is written; each model is reported as it is.
fn import_into_source(p: &Package) -> Result<Vec<Imported>> {
    let mut result = Vec::new();
    for proj in &p.projects {
        let target = project::get(&proj.name)?;
        target.require(Privilege::Train)?;
        let deployed = deployment::deployed_model(target.id)?;
        for m in &proj.models {
            let found = as_owner(|| {
                read_one::<i64>(
                    "SELECT id FROM pgml.models WHERE id = $1 AND project_id = $2",
                    &[m.source_id.into(), target.id.into()],
                )
            })?;
            let id = found.ok_or_else(|| {
                PgmlError::data(format!(
                    "the package was exported from this database, but its model {} of project \"{}\" is no longer here",
                    m.source_id, proj.name
                ))
            })?;
            result.push((
                proj.name.clone(),
                m.source_id,
                id,
                false,
                deployed == Some(id),
            ));
        }
    }
    Ok(result)
}

fn import_project(
    p: &Package,
    proj: &package::Project,
    target: &project::Project,
    deploy: bool,
    caller: &str,
    result: &mut Vec<Imported>,
) -> Result<()> {
    let mut snapshots: HashMap<i64, i64> = HashMap::new();
    let mut ids: HashMap<i64, i64> = HashMap::new();
    for m in &proj.models {
        let origin = serde_json::json!({
            "system_identifier": p.source.system_identifier,
            "database": p.source.database,
            "model_id": m.source_id,
        });
        // The same model imported before (a repeated push): keep it, do not duplicate it.
        let existing = read_one::<i64>(
            "SELECT id FROM pgml.models WHERE project_id = $1 AND origin @> $2 ORDER BY id LIMIT 1",
            &[target.id.into(), JsonB(origin.clone()).into()],
        )?;
        let (id, imported) = match existing {
            Some(id) => (id, false),
            None => {
                let snapshot_id = match &m.snapshot {
                    Some(s) => Some(match snapshots.get(&s.source_id) {
                        Some(id) => *id,
                        None => {
                            let id = insert_snapshot(s, caller)?;
                            snapshots.insert(s.source_id, id);
                            id
                        }
                    }),
                    None => None,
                };
                (
                    insert_model(target.id, snapshot_id, m, &origin, &p.source.pgml_version)?,
                    true,
                )
            }
        };
        ids.insert(m.source_id, id);
        result.push((proj.name.clone(), m.source_id, id, imported, false));
    }
    if let (true, Some(d)) = (deploy, &proj.deployed) {
        let id = ids.get(&d.source_model_id).copied().ok_or_else(|| {
            PgmlError::data(format!(
                "the package deploys model {} of project \"{}\", which it does not contain",
                d.source_model_id, proj.name
            ))
        })?;
        if deployment::deployed_model(target.id)? != Some(id) {
            deployment::insert(target.id, id, &d.strategy)?;
        }
        for row in result.iter_mut().filter(|r| r.0 == proj.name && r.2 == id) {
            row.4 = true;
        }
    }
    Ok(())
}

fn insert_snapshot(s: &package::SnapshotEntry, owner: &str) -> Result<i64> {
    // The rows stay on the training server: the copy is metadata and lineage, not materialized.
    Spi::get_one_with_args::<i64>(
        "INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status, columns,
                                     analysis, materialized, seed, num_train_rows, num_test_rows, lineage,
                                     created_at, owner, column_stats)
         VALUES ($1, $2, $3, $4::pgml.sampling, $5::pgml.status, $6::jsonb, $7::jsonb, false, $8, $9, $10,
                 $11::jsonb, $12::timestamptz, $13, $14::jsonb)
         RETURNING id",
        &[
            s.relation_name.as_str().into(),
            s.y_column_name.clone().into(),
            s.test_size.into(),
            s.test_sampling.as_str().into(),
            s.status.as_str().into(),
            s.columns.as_deref().into(),
            s.analysis.as_deref().into(),
            s.seed.into(),
            s.num_train_rows.into(),
            s.num_test_rows.into(),
            s.lineage.as_deref().into(),
            s.created_at.as_str().into(),
            owner.into(),
            s.column_stats.as_deref().into(),
        ],
    )?
    .ok_or_else(|| PgmlError::data("inserting the snapshot returned no id"))
}

fn insert_model(
    project_id: i64,
    snapshot_id: Option<i64>,
    m: &package::ModelEntry,
    origin: &Value,
    source_version: &str,
) -> Result<i64> {
    // Refuse what this server could not serve before anything is written: a model file of a newer
    // format is named with both versions.
    let main = m
        .files
        .iter()
        .find(|f| f.path == MODEL_PATH)
        .ok_or_else(|| {
            PgmlError::data(format!(
                "model {} in the package has no {MODEL_PATH} file",
                m.source_id
            ))
        })?;
    let decoded = Model::decode(&main.data).map_err(|e| {
        let newer = matches!(
            e,
            pgml_core::Error::BadModel {
                newer_format: true,
                ..
            }
        );
        let mut err = PgmlError::from(e);
        err.message = format!("model {} of the package: {}", m.source_id, err.message);
        err.hint(if newer {
            format!(
                "the package comes from pgml {source_version}; upgrade pgml here to that version or newer"
            )
        } else {
            "the model file in the package is damaged: export the models again and copy the bytes unchanged"
                .to_string()
        })
    })?;
    // The catalog row must describe the file it comes with: predict reads the file, people and
    // deploy strategies read the row.
    if decoded.algorithm.as_str() != m.algorithm {
        return Err(PgmlError::data(format!(
            "model {} of the package is stored as algorithm \"{}\" but its model file holds {}",
            m.source_id,
            m.algorithm,
            decoded.algorithm.as_str()
        ))
        .hint("export the models again from a pgml server"));
    }
    let id = Spi::get_one_with_args::<i64>(
        "INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, runtime, hyperparams, status,
                                  metrics, search, search_params, search_args, features, label_mapping,
                                  feature_hash, created_at, origin, feature_importances, plots)
         VALUES ($1, $2, $3, $4, $5::pgml.runtime, $6::jsonb, $7::pgml.status, $8::jsonb, $9::pgml.search,
                 $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, $14, $15::timestamptz, $16, $17, $18::jsonb)
         RETURNING id",
        &[
            project_id.into(),
            snapshot_id.into(),
            m.num_features.into(),
            m.algorithm.as_str().into(),
            m.runtime.as_str().into(),
            m.hyperparams.as_str().into(),
            m.status.as_str().into(),
            m.metrics.as_deref().into(),
            m.search.as_deref().into(),
            m.search_params.as_str().into(),
            m.search_args.as_str().into(),
            m.features.as_deref().into(),
            m.label_mapping.as_deref().into(),
            m.feature_hash.as_deref().into(),
            m.created_at.as_str().into(),
            JsonB(origin.clone()).into(),
            model::importances_json(&decoded).map(JsonB).into(),
            m.plots.as_deref().into(),
        ],
    )?
    .ok_or_else(|| PgmlError::data("inserting the model returned no id"))?;
    model::insert_files(
        id,
        m.files.iter().map(|f| (f.path.as_str(), f.data.as_slice())),
    )?;
    Ok(id)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or_default()
}

/// A JSON column, as text; None for SQL NULL.
fn json(v: &Value, key: &str) -> Option<String> {
    v.get(key).filter(|x| !x.is_null()).map(Value::to_string)
}
