//! A relation named by the user, resolved safely (through `regclass`), and its columns.

use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::privilege::with_callers_search_path;
use crate::pg::quote_ident;
use crate::pg::spi::{read_one, read_two};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Number,
    Bool,
    NumberArray,
    BoolArray,
    Text,
    Other,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// `format_type` of the column: `real`, `integer`, `smallint[]`, ...
    pub type_name: String,
    pub kind: ColumnKind,
}

impl Column {
    /// The expression that reads this column for training: as `float8` (or `float8[]`), so that a
    /// value beyond `real` is named by pgml with its column and row instead of failing in a cast.
    pub fn feature_expr(&self) -> String {
        let c = quote_ident(&self.name);
        match self.kind {
            ColumnKind::Number => format!("{c}::float8"),
            ColumnKind::Bool => format!("{c}::int::float8"),
            ColumnKind::NumberArray => format!("{c}::float8[]"),
            ColumnKind::BoolArray => format!("ARRAY(SELECT v::int::float8 FROM unnest({c}) v)"),
            ColumnKind::Text => format!("{c}::text"),
            ColumnKind::Other => c,
        }
    }

    pub fn is_array(&self) -> bool {
        matches!(self.kind, ColumnKind::NumberArray | ColumnKind::BoolArray)
    }
}

#[derive(Debug, Clone)]
pub struct Relation {
    /// Schema-qualified and quoted where needed: `public.iris`, `"My Schema"."T"`.
    pub name: String,
    pub columns: Vec<Column>,
}

impl Relation {
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
            PgmlError::new(
                PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist in relation {}", self.name),
            )
            .hint(format!("its columns are: {}", names.join(", ")))
        })
    }
}

/// Resolves `name` (a table, view, materialized view, foreign table or partitioned table, with
/// or without schema, quoted or not) through `regclass`, which PostgreSQL parses itself: a missing
/// relation is PostgreSQL's own 42P01, and no name can inject SQL. The name is looked up with the
/// caller's search_path (it is the caller's relation); everything after that goes by oid, and the
/// relation is named schema-qualified from then on, so it means the same to whoever reads it later.
pub fn resolve(name: &str) -> Result<Relation> {
    let oid = with_callers_search_path(|| {
        read_one::<pg_sys::Oid>(
            "SELECT $1::pg_catalog.regclass::pg_catalog.oid",
            &[name.into()],
        )
    })?
    .ok_or_else(|| PgmlError::null("relation_name must not be NULL"))?;
    let (canonical, relkind) = read_two::<String, String>(
        "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind::text
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = $1",
        &[oid.into()],
    )?;
    let canonical = canonical.unwrap_or_else(|| name.to_string());
    match relkind.as_deref() {
        Some("r" | "v" | "m" | "f" | "p") => {}
        Some(kind) => {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                format!("{canonical} is not a table or view (relkind {kind})"),
            )
            .hint("train on a table, view, materialized view, foreign table or partitioned table"))
        }
        None => {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
                format!("relation \"{name}\" does not exist"),
            ))
        }
    }
    let columns = Spi::connect(|client| {
        let rows = client.select(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text,
                    et.typcategory::text
               FROM pg_attribute a
               JOIN pg_type t ON t.oid = a.atttypid
               LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
              WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            None,
            &[oid.into()],
        )?;
        let mut columns = Vec::new();
        for row in rows {
            let category: Option<String> = row.get(3)?;
            let element: Option<String> = row.get(4)?;
            let kind = match (category.as_deref(), element.as_deref()) {
                (Some("N"), _) => ColumnKind::Number,
                (Some("B"), _) => ColumnKind::Bool,
                (Some("A"), Some("N")) => ColumnKind::NumberArray,
                (Some("A"), Some("B")) => ColumnKind::BoolArray,
                (Some("S"), _) => ColumnKind::Text,
                _ => ColumnKind::Other,
            };
            columns.push(Column {
                name: row.get(1)?.unwrap_or_default(),
                type_name: row.get(2)?.unwrap_or_default(),
                kind,
            });
        }
        Ok::<_, PgmlError>(columns)
    })?;
    Ok(Relation {
        name: canonical,
        columns,
    })
}
