//! Reads a snapshot's rows once, when it is taken, into per-column statistics
//! (`pgml_core::column_stats`): the dashboard shows them without scanning the data again.

use pgml_core::column_stats::{self, Accumulator, Kind};

use crate::error::Result;
use crate::pg::quote_ident;
use crate::pg::relation::{Column, ColumnKind};
use crate::pg::spi;

const BATCH_ROWS: i64 = 10_000;

/// Statistics of `columns` of `source` (a quoted relation name), read with the caller's privileges.
pub fn compute(source: &str, columns: &[Column]) -> Result<serde_json::Value> {
    let kinds: Vec<Kind> = columns.iter().map(kind).collect();
    let exprs: Vec<String> = columns
        .iter()
        .zip(&kinds)
        .map(|(c, k)| {
            let q = quote_ident(&c.name);
            match (k, c.kind) {
                (Kind::Number, ColumnKind::Bool) => format!("{q}::int::float8"),
                (Kind::Number, _) => format!("{q}::float8"),
                (Kind::Text, _) => format!("{q}::text"),
                (Kind::Other, _) => format!("{q} IS NULL"),
            }
        })
        .collect();
    let query = format!("SELECT {} FROM {source}", exprs.join(", "));
    let mut acc: Vec<Accumulator> = columns
        .iter()
        .zip(&kinds)
        .map(|(c, &k)| Accumulator::new(&c.name, &c.type_name, k))
        .collect();
    spi::for_each_row(&query, BATCH_ROWS, |row| {
        for (i, a) in acc.iter_mut().enumerate() {
            match a.kind() {
                Kind::Number => match row.get::<f64>(i + 1)? {
                    Some(v) => a.push_number(v),
                    None => a.push_null(),
                },
                Kind::Text => match row.get::<String>(i + 1)? {
                    Some(v) => a.push_text(&v),
                    None => a.push_null(),
                },
                Kind::Other => match row.get::<bool>(i + 1)? {
                    Some(false) => a.push_other(),
                    _ => a.push_null(),
                },
            }
        }
        Ok(())
    })?;
    Ok(column_stats::to_json(
        acc.into_iter().map(Accumulator::finish).collect(),
    ))
}

fn kind(c: &Column) -> Kind {
    match c.kind {
        ColumnKind::Number | ColumnKind::Bool => Kind::Number,
        ColumnKind::NumberArray | ColumnKind::BoolArray => Kind::Other,
        // Arrays of other types are summarized like number arrays: their text is no category.
        ColumnKind::Text | ColumnKind::Other if c.type_name.ends_with("[]") => Kind::Other,
        ColumnKind::Text | ColumnKind::Other => Kind::Text,
    }
}
