//! `pgml.load_dataset(name)`: the built-in toy datasets into `pgml.<name>` (refilled if it exists).

use pgml_core::datasets;
use pgrx::prelude::*;
use pgrx::JsonB;

use crate::error::{OrReport, PgmlError, Result};
use crate::pg::quote_ident;

/// Rows per INSERT statement.
const CHUNK: usize = 500;

#[pg_extern(volatile, parallel_unsafe)]
fn load_dataset(
    source: Option<&str>,
    subset: default!(Option<&str>, "NULL"),
    limit: default!(Option<i64>, "NULL"),
    kwargs: default!(Option<JsonB>, "'{}'"),
) -> TableIterator<'static, (name!(table_name, String), name!(rows, i64))> {
    let row = load(source, subset, limit, kwargs).or_report();
    TableIterator::once(row)
}

fn load(
    source: Option<&str>,
    subset: Option<&str>,
    limit: Option<i64>,
    kwargs: Option<JsonB>,
) -> Result<(String, i64)> {
    let name = source.ok_or_else(|| PgmlError::null("source must not be NULL"))?;
    let dataset = datasets::find(name)?;
    if subset.is_some() || kwargs.is_some_and(|k| k.0.as_object().is_some_and(|o| !o.is_empty())) {
        return Err(PgmlError::not_supported(
            "subset and kwargs (Hugging Face datasets) are not supported by pgml",
        )
        .hint("the built-in datasets take neither"));
    }
    let limit = match limit {
        None => usize::MAX,
        Some(l) if l >= 0 => usize::try_from(l).unwrap_or(usize::MAX),
        Some(l) => {
            return Err(PgmlError::invalid(format!(
                "limit must not be negative, got {l}"
            )))
        }
    };
    let table = format!("pgml.{}", quote_ident(dataset.name));
    let columns: Vec<String> = dataset
        .columns
        .iter()
        .map(|(c, t)| format!("{} {t}", quote_ident(c)))
        .collect();
    // Loading again refills the table in place rather than dropping it, so views built on it
    // (CREATE VIEW digit_vectors AS SELECT image FROM pgml.digits) keep working.
    let exists = crate::pg::spi::read_one::<bool>(
        "SELECT to_regclass($1) IS NOT NULL",
        &[table.as_str().into()],
    )?
    .unwrap_or(false);
    if exists {
        Spi::run(&format!("TRUNCATE {table}"))?;
    } else {
        Spi::run(&format!("CREATE TABLE {table} ({})", columns.join(", ")))?;
        crate::catalog::guard::refuse_restores_into(&table)?;
    }
    let rows: Vec<Vec<&str>> = dataset.rows().take(limit).collect();
    for chunk in rows.chunks(CHUNK) {
        pg_sys::check_for_interrupts!();
        let values: Vec<String> = chunk
            .iter()
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(dataset.columns)
                    .map(|(v, (_, t))| format!("'{}'::{t}", v.replace('\'', "''")))
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        Spi::run(&format!("INSERT INTO {table} VALUES {}", values.join(", ")))?;
    }
    Ok((format!("pgml.{}", dataset.name), rows.len() as i64))
}
