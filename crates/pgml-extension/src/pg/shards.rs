//! The shards of a distributed train: the leaf partitions of the partitioned table under the
//! relation (directly, or through views), each a `postgres_fdw` foreign table, with its server's
//! address and the caller's user mapping (read through `pg_user_mappings` with the caller's own
//! privileges: a role sees the password of its own mapping only, as postgres_fdw uses it).

use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::spi::read_three;

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Shard {
    /// The local foreign table (the partition), schema-qualified.
    pub partition: String,
    pub relkind: String,
    pub server: Option<String>,
    pub fdw: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub dbname: Option<String>,
    /// The TLS settings (libpq's `ssl*` options) of the foreign server, overridden by the user
    /// mapping's, as postgres_fdw hands both to libpq.
    #[serde(default)]
    pub ssl: std::collections::BTreeMap<String, String>,
    /// The table on the shard server, quoted and schema-qualified (postgres_fdw's
    /// schema_name/table_name options, or the partition's own names).
    pub remote_table: Option<String>,
    pub has_mapping: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    pub password_required: Option<String>,
}

impl Shard {
    /// How errors name the shard: its foreign server and address.
    pub fn label(&self) -> String {
        format!(
            "shard {} (server {} at {}:{}, partition {})",
            self.remote_table.as_deref().unwrap_or("?"),
            self.server.as_deref().unwrap_or("?"),
            self.host.as_deref().unwrap_or("(socket)"),
            self.port.as_deref().unwrap_or("5432"),
            self.partition
        )
    }
}

const QUERY: &str = r#"
WITH RECURSIVE deps(oid, depth) AS (
    SELECT $1::pg_catalog.regclass::pg_catalog.oid, 0
    UNION
    SELECT d.refobjid, deps.depth + 1
      FROM deps
      JOIN pg_catalog.pg_class c ON c.oid = deps.oid AND c.relkind = 'v'
      JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = c.oid
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
                                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> c.oid
     WHERE deps.depth < 32
),
roots AS (
    SELECT DISTINCT c.oid FROM deps JOIN pg_catalog.pg_class c ON c.oid = deps.oid WHERE c.relkind = 'p'
),
leaves AS (
    SELECT t.relid FROM roots, pg_catalog.pg_partition_tree(roots.oid) t WHERE t.isleaf
),
-- Views each shard could not apply: every shard reads its own table's columns by name, so a view
-- under the relation may only pass columns through (an automatically updatable view, whose one
-- query has no WHERE). Anything else would be silently ignored on the shards.
computing_views AS (
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
      FROM deps
      JOIN pg_catalog.pg_class c ON c.oid = deps.oid AND c.relkind IN ('v', 'm')
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = c.oid AND rw.rulename OPERATOR(pg_catalog.=) '_RETURN'
     WHERE c.relkind = 'm'
        OR (pg_catalog.pg_relation_is_updatable(c.oid::pg_catalog.regclass, false) OPERATOR(pg_catalog.&) 28) OPERATOR(pg_catalog.<>) 28
        OR pg_catalog.strpos(rw.ev_action::text, ':quals <>') OPERATOR(pg_catalog.=) 0
        OR EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND NOT pg_catalog.pg_column_is_updatable(c.oid::pg_catalog.regclass, a.attnum, false))
)
SELECT (SELECT pg_catalog.count(*) FROM roots)::int8,
       COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'partition', pg_catalog.format('%I.%I', n.nspname, c.relname),
        'relkind', c.relkind::text,
        'server', fs.srvname::text,
        'fdw', w.fdwname::text,
        'host', (SELECT option_value FROM pg_catalog.pg_options_to_table(fs.srvoptions) WHERE option_name = 'host'),
        'port', (SELECT option_value FROM pg_catalog.pg_options_to_table(fs.srvoptions) WHERE option_name = 'port'),
        'dbname', (SELECT option_value FROM pg_catalog.pg_options_to_table(fs.srvoptions) WHERE option_name = 'dbname'),
        'ssl', COALESCE((SELECT pg_catalog.jsonb_object_agg(option_name, option_value)
                           FROM pg_catalog.pg_options_to_table(fs.srvoptions)
                          WHERE pg_catalog.starts_with(option_name, 'ssl')), '{}'::pg_catalog.jsonb)
               OPERATOR(pg_catalog.||)
               COALESCE((SELECT pg_catalog.jsonb_object_agg(option_name, option_value)
                           FROM pg_catalog.pg_options_to_table(um.umoptions)
                          WHERE pg_catalog.starts_with(option_name, 'ssl')), '{}'::pg_catalog.jsonb),
        'remote_table', CASE WHEN ft.ftrelid IS NOT NULL THEN
            pg_catalog.quote_ident(COALESCE((SELECT option_value FROM pg_catalog.pg_options_to_table(ft.ftoptions)
                                   WHERE option_name = 'schema_name'), n.nspname::text))
            OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
            pg_catalog.quote_ident(COALESCE((SELECT option_value FROM pg_catalog.pg_options_to_table(ft.ftoptions)
                                   WHERE option_name = 'table_name'), c.relname::text)) END,
        'has_mapping', um.umid IS NOT NULL,
        'user', COALESCE((SELECT option_value FROM pg_catalog.pg_options_to_table(um.umoptions) WHERE option_name = 'user'),
                                    CURRENT_USER::text),
        'password', (SELECT option_value FROM pg_catalog.pg_options_to_table(um.umoptions) WHERE option_name = 'password'),
        'password_required', (SELECT option_value FROM pg_catalog.pg_options_to_table(um.umoptions) WHERE option_name = 'password_required')
       ) ORDER BY c.oid::pg_catalog.regclass::text), '[]'::pg_catalog.jsonb),
       (SELECT pg_catalog.string_agg(name, ', ' ORDER BY name) FROM computing_views)
  FROM leaves
  JOIN pg_catalog.pg_class c ON c.oid = leaves.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid
  LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
  LEFT JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = fs.srvfdw
  LEFT JOIN LATERAL (
        SELECT m.umid, m.umoptions FROM pg_catalog.pg_user_mappings m
         WHERE m.srvid = fs.oid AND (m.usename OPERATOR(pg_catalog.=) CURRENT_USER OR m.umuser OPERATOR(pg_catalog.=) 0::pg_catalog.oid)
         ORDER BY m.umuser OPERATOR(pg_catalog.=) 0::pg_catalog.oid LIMIT 1) um ON true
"#;

/// The shards of `relation` (a canonical name); every partition must be a postgres_fdw foreign
/// table the caller has a user mapping for.
pub fn discover(relation: &str) -> Result<Vec<Shard>> {
    let (roots, list, computing_views) =
        read_three::<i64, pgrx::JsonB, String>(QUERY, &[relation.into()])?;
    if let Some(views) = computing_views {
        return Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "distributed training cannot apply view {views} on the shards: each shard reads its own table's columns by name, so a view that filters, joins or computes columns would be ignored"
            ),
        )
        .hint("train on the partitioned table or on a view that only lists its columns; put filters and computed columns in the tables (or views) the foreign tables point at on each shard server"));
    }
    if roots.unwrap_or(0) != 1 {
        return Err(PgmlError::new(
            PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
            format!(
                "distributed training needs a partitioned table (or a view over one) whose partitions are foreign tables; {relation} {}",
                if roots.unwrap_or(0) == 0 { "has no partitioned table under it" } else { "reads several partitioned tables" }
            ),
        )
        .hint("create a partitioned table with one postgres_fdw foreign table per shard server as its partitions (docs/distributed-training.md)"));
    }
    let shards: Vec<Shard> = serde_json::from_value(list.map_or(serde_json::Value::Null, |j| j.0))
        .map_err(|e| PgmlError::data(format!("reading the partitions of {relation}: {e}")))?;
    if shards.is_empty() {
        return Err(
            PgmlError::not_ready(format!("{relation} has no partitions"))
                .hint("attach one postgres_fdw foreign table per shard server"),
        );
    }
    for s in &shards {
        if s.relkind != "f" || s.fdw.as_deref() != Some("postgres_fdw") {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                format!(
                    "partition {} of {relation} is not a postgres_fdw foreign table: distributed training runs each partition on its shard server",
                    s.partition
                ),
            )
            .hint("make every partition a foreign table of a postgres_fdw server (CREATE FOREIGN TABLE ... PARTITION OF ... SERVER ...)"));
        }
        if !s.has_mapping {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("no user mapping for the current user on server {} ({})", s.server.as_deref().unwrap_or("?"), s.label()),
            )
            .hint(format!(
                "CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS (user '...', password '...')",
                s.server.as_deref().unwrap_or("?")
            )));
        }
    }
    Ok(shards)
}
