//! PostgreSQL plumbing: relations and their columns, and reading training data through SPI.

pub mod column_stats;
pub mod json;
pub mod lineage;
pub mod privilege;
pub mod reader;
pub mod relation;
pub mod remote;
pub mod row;
pub mod shards;
pub mod spi;
pub mod statement;

/// Quotes an identifier for SQL text, as quote_ident does.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
