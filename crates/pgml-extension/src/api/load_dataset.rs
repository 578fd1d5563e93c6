//! `pgml.load_dataset(name)`: the built-in toy datasets into `pgml.<name>` (refilled if it exists).

use pgml_core::datasets;
use pgrx::prelude::*;

use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::{as_owner, caller_is_owner, extension_owns_table, fixed_search_path};
use crate::pg::quote_ident;
use crate::pg::spi::read_one;

/// Rows per INSERT statement.
const CHUNK: usize = 500;

/// `pgml.load_dataset` is the SQL wrapper below (PostgresML's signature, kwargs jsonb); kwargs
/// reach here as text, parsed by pgml so that any JSON mistake is a clear error.
#[pg_extern(volatile, parallel_unsafe, name = "_load_dataset")]
fn load_dataset(
    source: Option<&str>,
    subset: Option<&str>,
    limit: Option<i64>,
    kwargs: Option<&str>,
) -> TableIterator<'static, (name!(table_name, String), name!(rows, i64))> {
    let row = fixed_search_path(|| {
        let kwargs = crate::pg::json::parse("kwargs", kwargs)?;
        load(source, subset, limit, &kwargs)
    })
    .or_report();
    TableIterator::once(row)
}

extension_sql!(
    r#"
CREATE FUNCTION pgml.load_dataset(source text, subset text DEFAULT NULL, "limit" bigint DEFAULT NULL,
                                  kwargs jsonb DEFAULT '{}')
RETURNS TABLE (table_name text, "rows" bigint)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT * FROM pgml._load_dataset(source, subset, "limit", kwargs::pg_catalog.text) $$;
"#,
    name = "load_dataset",
    requires = [load_dataset]
);

fn load(
    source: Option<&str>,
    subset: Option<&str>,
    limit: Option<i64>,
    kwargs: &serde_json::Value,
) -> Result<(String, i64)> {
    let name = source.ok_or_else(|| PgmlError::null("source must not be NULL"))?;
    let dataset = datasets::find(name)?;
    if subset.is_some() || kwargs.as_object().is_some_and(|o| !o.is_empty()) {
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
    // How the table is named in messages.
    let shown = format!("pgml.{}", dataset.name);
    let columns: Vec<String> = dataset
        .columns
        .iter()
        .map(|(c, t)| format!("{} {t}", quote_ident(c)))
        .collect();
    let full = dataset.rows().count();
    let wanted = full.min(limit);
    // Dataset tables are shared by everyone in the database and belong to the extension's owner:
    // a table of that name that pgml did not create (possible before 0.3.0) is never written to
    // (a trigger on it would run as whoever loads the dataset).
    let exists = match extension_owns_table(&table)? {
        Some(false) => {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("{shown} exists but was not created by pgml; pgml will not write to it"),
            )
            .hint(format!(
                "drop or rename {shown} (as its owner or a superuser), then load the dataset again"
            )))
        }
        Some(true) => true,
        None => false,
    };
    if exists {
        let rows = as_owner(|| read_one::<i64>(&format!("SELECT count(*) FROM {table}"), &[]))?
            .unwrap_or(0);
        if usize::try_from(rows).ok() == Some(wanted) {
            // Already as asked: nothing to write.
            return Ok((format!("pgml.{}", dataset.name), rows));
        }
        // Refilling with fewer rows would take rows away from everyone using the table: only the
        // extension's owner (or a superuser) may do that. Anyone may refill it completely.
        if wanted < full && !caller_is_owner()? {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!(
                    "{shown} is shared and holds {rows} rows; only the extension's owner can reload it with a limit of {wanted}"
                ),
            )
            .hint(format!(
                "use the table as it is (SELECT * FROM {shown} LIMIT {wanted}), or call pgml.load_dataset('{}') without a limit",
                dataset.name
            )));
        }
    }
    let rows: Vec<Vec<&str>> = dataset.rows().take(limit).collect();
    as_owner(|| {
        // Loading again refills the table in place rather than dropping it, so views built on it
        // (CREATE VIEW digit_vectors AS SELECT image FROM pgml.digits) keep working.
        if exists {
            Spi::run(&format!("TRUNCATE {table}"))?;
        } else {
            Spi::run(&format!(
                "CREATE TABLE {table} ({}); GRANT SELECT ON {table} TO pgml_predictor",
                columns.join(", ")
            ))?;
            crate::catalog::guard::refuse_restores_into(&table)?;
        }
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
        Ok(())
    })?;
    Ok((format!("pgml.{}", dataset.name), rows.len() as i64))
}
