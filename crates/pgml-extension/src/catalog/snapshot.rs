//! `pgml.snapshots` and the `pgml.snapshot_<id>` tables.

use pgml_core::split::Sampling;
use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::privilege::{as_owner, current_role_name, extension_owns_table};
use crate::pg::quote_ident;
use crate::pg::relation::Relation;

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: i64,
    /// The source relation, as `regclass::text` (quoted where needed).
    pub relation_name: String,
    /// The label columns: none (clustering, decomposition), one (`pgml.train`), or several
    /// (`pgml.train_joint`), in order.
    pub y_column_names: Vec<String>,
    pub test_size: f32,
    pub sampling: Sampling,
    pub materialized: bool,
    pub seed: i64,
}

impl Snapshot {
    /// The table to read training data from: the materialized copy, or the relation itself.
    pub fn source(&self) -> String {
        if self.materialized {
            table_name(self.id)
        } else {
            self.relation_name.clone()
        }
    }
}

pub fn table_name(id: i64) -> String {
    format!("pgml.snapshot_{id}")
}

/// Records a snapshot of `rel` and, when `materialize`, copies its rows into `pgml.snapshot_<id>`
/// in the caller's transaction.
///
/// The table belongs to the extension's owner, so its trainer can neither replace it (by a view
/// calling a function, read later by whoever retrains the project) nor add triggers to it. The rows
/// are read with the caller's privileges: the owner creates the table and lets the caller INSERT
/// for this one statement, then takes it back and leaves the caller SELECT on its own snapshot.
pub fn create(
    rel: &Relation,
    y_column_names: &[String],
    test_size: f32,
    sampling: Sampling,
    materialize: bool,
    columns: serde_json::Value,
    distributed: bool,
) -> Result<Snapshot> {
    if rel.columns.is_empty() {
        return Err(PgmlError::data(format!("{} has no columns", rel.name)));
    }
    let y: Option<Vec<String>> = (!y_column_names.is_empty()).then(|| y_column_names.to_vec());
    let lineage = crate::pg::lineage::of(&rel.name)?;
    let caller = current_role_name()?;
    let id = as_owner(|| {
        let id = Spi::get_one_with_args::<i64>(
            "INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status,
                                         columns, materialized, lineage, owner)
             VALUES ($1, $2, $3, $4::pgml.sampling, 'in_progress', $5, $6, $7, $8)
             RETURNING id",
            &[
                rel.name.as_str().into(),
                y.clone().into(),
                test_size.into(),
                sampling.as_str().into(),
                pgrx::JsonB(columns).into(),
                materialize.into(),
                pgrx::JsonB(lineage).into(),
                caller.as_str().into(),
            ],
        )?
        .ok_or_else(|| PgmlError::data("inserting the snapshot returned no id"))?;
        // The split is drawn from the snapshot's own id: reproducible, and distinct per snapshot.
        Spi::run_with_args(
            "UPDATE pgml.snapshots SET seed = id WHERE id = $1",
            &[id.into()],
        )?;
        Ok(id)
    })?;
    if materialize {
        let table = table_name(id);
        let role = quote_ident(&caller);
        let definitions: Vec<String> = rel
            .columns
            .iter()
            .map(|c| format!("{} {}", quote_ident(&c.name), c.type_name))
            .collect();
        let names: Vec<String> = rel.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let names = names.join(", ");
        as_owner(|| {
            Spi::run(&format!(
                "CREATE TABLE {table} ({}); GRANT INSERT ON {table} TO {role}",
                definitions.join(", ")
            ))?;
            Ok(())
        })?;
        // rel.name is a quoted, schema-qualified name resolved through regclass: no injection.
        Spi::run(&format!(
            "INSERT INTO {table} ({names}) SELECT {names} FROM {}",
            rel.name
        ))?;
        as_owner(|| {
            Spi::run(&format!(
                "REVOKE INSERT ON {table} FROM {role}; GRANT SELECT ON {table} TO {role}"
            ))?;
            crate::catalog::guard::refuse_restores_into(&table)
        })?;
    }
    // Column statistics for the dashboard, read once now (from the copy, or the relation itself
    // with the caller's privileges) so that no page view ever scans the data.
    let source = if materialize {
        table_name(id)
    } else {
        rel.name.clone()
    };
    // A distributed train's relation lives on the shards: scanning it here would pull every row.
    if !distributed {
        let stats = crate::pg::column_stats::compute(&source, &rel.columns)?;
        as_owner(|| {
            Ok(Spi::run_with_args(
                "UPDATE pgml.snapshots SET column_stats = $2 WHERE id = $1",
                &[id.into(), pgrx::JsonB(stats).into()],
            )?)
        })?;
    }
    Ok(Snapshot {
        id,
        relation_name: rel.name.clone(),
        y_column_names: y_column_names.to_vec(),
        test_size,
        sampling,
        materialized: materialize,
        seed: id,
    })
}

/// Ok when `pgml.snapshot_<id>` is a plain table that pgml created (owned by the extension's
/// owner): a table a role created itself (possible before pgml 0.3.0), or that was replaced by a
/// view, is never read.
pub fn verify_table(id: i64) -> Result<()> {
    let table = table_name(id);
    match extension_owns_table(&table)? {
        Some(true) => Ok(()),
        Some(false) => Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("{table} was not created by pgml (it is not a table owned by the extension's owner); pgml will not read it"),
        )
        .hint("train from the relation again: pass relation_name, and pgml takes a new snapshot")),
        None => Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            format!("snapshot table {table} does not exist"),
        )
        .hint("train from the relation again: pass relation_name, and pgml takes a new snapshot")),
    }
}

/// The snapshot the project's newest model was trained on.
pub fn last_for_project(project_id: i64) -> Result<Option<Snapshot>> {
    as_owner(|| {
        Spi::connect(|client| {
            let mut rows = client.select(
                "SELECT s.id, s.relation_name, s.y_column_name, s.test_size, s.test_sampling::text,
                    s.materialized, s.seed
               FROM pgml.snapshots s
               JOIN pgml.models m ON m.snapshot_id = s.id
              WHERE m.project_id = $1
              ORDER BY m.id DESC
              LIMIT 1",
                None,
                &[project_id.into()],
            )?;
            if let Some(row) = rows.next() {
                let sampling: String = row.get(5)?.unwrap_or_default();
                return Ok(Some(Snapshot {
                    id: row.get(1)?.unwrap_or_default(),
                    relation_name: row.get(2)?.unwrap_or_default(),
                    y_column_names: row
                        .get::<Vec<Option<String>>>(3)?
                        .unwrap_or_default()
                        .into_iter()
                        .flatten()
                        .collect(),
                    test_size: row.get(4)?.unwrap_or(0.25),
                    sampling: Sampling::parse(&sampling)?,
                    materialized: row.get(6)?.unwrap_or(false),
                    seed: row.get(7)?.unwrap_or_default(),
                }));
            }
            Ok(None)
        })
    })
}

pub fn finish(
    id: i64,
    num_train_rows: usize,
    num_test_rows: usize,
    analysis: serde_json::Value,
) -> Result<()> {
    as_owner(|| {
        Ok(Spi::run_with_args(
            "UPDATE pgml.snapshots
            SET status = 'successful', num_train_rows = $2, num_test_rows = $3, analysis = $4,
                updated_at = clock_timestamp()
          WHERE id = $1",
            &[
                id.into(),
                (num_train_rows as i64).into(),
                (num_test_rows as i64).into(),
                pgrx::JsonB(analysis.clone()).into(),
            ],
        )?)
    })
}

/// Adds a distributed train's shards (each server, its rows and the bytes it sent) to the
/// snapshot's lineage.
pub fn record_shards(id: i64, shards: serde_json::Value) -> Result<()> {
    as_owner(|| {
        Ok(Spi::run_with_args(
            "UPDATE pgml.snapshots SET lineage = pg_catalog.jsonb_set(COALESCE(lineage, '{}'), '{distributed}', $2) WHERE id = $1",
            &[id.into(), pgrx::JsonB(shards).into()],
        )?)
    })
}
