//! `pgml.snapshots` and the `pgml.snapshot_<id>` tables.

use pgml_core::split::Sampling;
use pgrx::prelude::*;

use crate::error::{PgmlError, Result};

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: i64,
    /// The source relation, as `regclass::text` (quoted where needed).
    pub relation_name: String,
    pub y_column_name: Option<String>,
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

/// Records a snapshot of `relation_name` and, when `materialize`, copies the relation into
/// `pgml.snapshot_<id>` in the caller's transaction (with the caller's privileges).
pub fn create(
    relation_name: &str,
    y_column_name: Option<&str>,
    test_size: f32,
    sampling: Sampling,
    materialize: bool,
    columns: serde_json::Value,
) -> Result<Snapshot> {
    let y: Option<Vec<String>> = y_column_name.map(|y| vec![y.to_string()]);
    let lineage = crate::pg::lineage::of(relation_name)?;
    let id = Spi::get_one_with_args::<i64>(
        "INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status,
                                     columns, materialized, lineage)
         VALUES ($1, $2, $3, $4::pgml.sampling, 'in_progress', $5, $6, $7)
         RETURNING id",
        &[
            relation_name.into(),
            y.into(),
            test_size.into(),
            sampling.as_str().into(),
            pgrx::JsonB(columns).into(),
            materialize.into(),
            pgrx::JsonB(lineage).into(),
        ],
    )?
    .ok_or_else(|| PgmlError::data("inserting the snapshot returned no id"))?;
    // The split is drawn from the snapshot's own id: reproducible, and distinct per snapshot.
    Spi::run_with_args(
        "UPDATE pgml.snapshots SET seed = id WHERE id = $1",
        &[id.into()],
    )?;
    if materialize {
        // relation_name is regclass::text, already quoted: no injection through names.
        Spi::run(&format!(
            "CREATE TABLE {} AS SELECT * FROM {relation_name}",
            table_name(id)
        ))?;
        crate::catalog::guard::refuse_restores_into(&table_name(id))?;
    }
    Ok(Snapshot {
        id,
        relation_name: relation_name.to_string(),
        y_column_name: y_column_name.map(str::to_string),
        test_size,
        sampling,
        materialized: materialize,
        seed: id,
    })
}

/// The snapshot the project's newest model was trained on.
pub fn last_for_project(project_id: i64) -> Result<Option<Snapshot>> {
    Spi::connect(|client| {
        let mut rows = client.select(
            "SELECT s.id, s.relation_name, s.y_column_name[1], s.test_size, s.test_sampling::text,
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
                y_column_name: row.get(3)?,
                test_size: row.get(4)?.unwrap_or(0.25),
                sampling: Sampling::parse(&sampling)?,
                materialized: row.get(6)?.unwrap_or(false),
                seed: row.get(7)?.unwrap_or_default(),
            }));
        }
        Ok(None)
    })
}

pub fn finish(
    id: i64,
    num_train_rows: usize,
    num_test_rows: usize,
    analysis: serde_json::Value,
) -> Result<()> {
    Spi::run_with_args(
        "UPDATE pgml.snapshots
            SET status = 'successful', num_train_rows = $2, num_test_rows = $3, analysis = $4,
                updated_at = clock_timestamp()
          WHERE id = $1",
        &[
            id.into(),
            (num_train_rows as i64).into(),
            (num_test_rows as i64).into(),
            pgrx::JsonB(analysis).into(),
        ],
    )?;
    Ok(())
}
