//! `pgml.snapshot(relation_name, y_column_name, ...)`: a materialized snapshot of a relation,
//! recorded in `pgml.snapshots` as a train would (its split is drawn when a model trains on it).

use pgml_core::split::Sampling;
use pgrx::prelude::*;

use crate::catalog::snapshot;
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::{as_owner, fixed_search_path};
use crate::pg::relation;

#[pg_extern(volatile, parallel_unsafe, name = "_snapshot")]
fn snapshot_internal(
    relation_name: Option<&str>,
    y_column_name: Option<&str>,
    test_size: Option<f32>,
    test_sampling: Option<&str>,
    preprocess: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(relation, String),
        name!(y_column_name, Option<String>),
    ),
> {
    let row = fixed_search_path(|| {
        take(
            relation_name,
            y_column_name,
            test_size,
            test_sampling,
            preprocess,
        )
    })
    .or_report();
    TableIterator::once(row)
}

fn take(
    relation_name: Option<&str>,
    y_column_name: Option<&str>,
    test_size: Option<f32>,
    test_sampling: Option<&str>,
    preprocess: Option<&str>,
) -> Result<(String, Option<String>)> {
    let name = relation_name.ok_or_else(|| PgmlError::null("relation_name must not be NULL"))?;
    let test_size = test_size.unwrap_or(0.25);
    pgml_core::split::validate_test_size(f64::from(test_size))?;
    let sampling = Sampling::parse(test_sampling.unwrap_or("stratified"))?;
    let preprocess = crate::pg::json::parse("preprocess", preprocess)?;
    if preprocess.as_object().is_some_and(|o| !o.is_empty()) {
        return Err(PgmlError::not_supported(
            "preprocess belongs to pgml.train, not to a snapshot",
        )
        .hint("pass preprocess to pgml.train"));
    }
    let rel = relation::resolve(name)?;
    let y = y_column_name
        .map(|y| rel.column(y).map(|c| c.name.clone()))
        .transpose()?;
    let columns = serde_json::Value::Array(
        rel.columns
            .iter()
            .map(|c| serde_json::json!({"name": c.name, "type": c.type_name}))
            .collect(),
    );
    let labels: Vec<String> = y.iter().cloned().collect();
    let snap = snapshot::create(&rel, &labels, test_size, sampling, true, columns, false)?;
    // An empty snapshot can train nothing; refused here rather than at the first train (the
    // statement fails, so neither the row nor the table stays).
    let rows = as_owner(|| {
        crate::pg::spi::read_one::<i64>(
            &format!("SELECT count(*) FROM {}", snapshot::table_name(snap.id)),
            &[],
        )
    })?;
    if rows == Some(0) {
        return Err(
            PgmlError::data(format!("relation {} has no rows to snapshot", rel.name))
                .hint("check the relation, or the view's WHERE clause"),
        );
    }
    // Complete once copied; its split is drawn when a model trains on it.
    as_owner(|| {
        Ok(Spi::run_with_args(
            "UPDATE pgml.snapshots SET status = 'successful', updated_at = clock_timestamp() WHERE id = $1",
            &[snap.id.into()],
        )?)
    })?;
    Ok((snapshot::table_name(snap.id), y))
}

extension_sql!(
    r#"
CREATE FUNCTION pgml.snapshot(relation_name text, y_column_name text, test_size real DEFAULT 0.25,
                              test_sampling pgml.sampling DEFAULT 'stratified', preprocess jsonb DEFAULT '{}')
RETURNS TABLE (relation text, y_column_name text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT * FROM pgml._snapshot(relation_name, y_column_name, test_size, test_sampling::pg_catalog.text, preprocess::pg_catalog.text) $$;
"#,
    name = "snapshot",
    requires = [snapshot_internal]
);
