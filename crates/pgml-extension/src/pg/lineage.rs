//! Where a relation's rows come from, recorded on every snapshot (`pgml.snapshots.lineage`): the
//! relation, and each base relation under it (through views) as a local table, a foreign table
//! (server, host, port, database, remote table) or a subscribed table (subscription, and the
//! publisher LSN it had applied when the snapshot was taken).

use crate::error::Result;
use crate::pg::spi::read_one;

// Views are followed through their rewrite rules; materialized views and tables are sources.
const QUERY: &str = r#"
WITH RECURSIVE deps(oid, depth) AS (
    SELECT $1::regclass::oid, 0
    UNION
    SELECT d.refobjid, deps.depth + 1
      FROM deps
      JOIN pg_catalog.pg_class c ON c.oid = deps.oid AND c.relkind = 'v'
      JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = c.oid
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
                                 AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> c.oid
     WHERE deps.depth < 32
),
src AS (
    SELECT DISTINCT c.oid, c.oid::regclass::text AS name, c.relkind, c.relname, n.nspname
      FROM deps
      JOIN pg_catalog.pg_class c ON c.oid = deps.oid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'f', 'm')
)
SELECT jsonb_build_object(
    'relation', $1::regclass::text,
    'kind', (SELECT CASE relkind WHEN 'v' THEN 'view' WHEN 'f' THEN 'foreign table' WHEN 'm' THEN 'materialized view'
                                 WHEN 'p' THEN 'partitioned table' ELSE 'table' END
               FROM pg_catalog.pg_class WHERE oid = $1::regclass),
    'sources', coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
        'relation', src.name,
        'kind', CASE src.relkind WHEN 'f' THEN 'foreign table' WHEN 'm' THEN 'materialized view'
                                 WHEN 'p' THEN 'partitioned table' ELSE 'table' END,
        'foreign_server', fs.srvname,
        'host', (SELECT option_value FROM pg_catalog.pg_options_to_table(fs.srvoptions) WHERE option_name = 'host'),
        'port', (SELECT option_value FROM pg_catalog.pg_options_to_table(fs.srvoptions) WHERE option_name = 'port'),
        'dbname', (SELECT option_value FROM pg_catalog.pg_options_to_table(fs.srvoptions) WHERE option_name = 'dbname'),
        'remote_table', CASE WHEN ft.ftrelid IS NOT NULL THEN
            quote_ident(coalesce((SELECT option_value FROM pg_catalog.pg_options_to_table(ft.ftoptions)
                                   WHERE option_name = 'schema_name'), src.nspname))
            || '.' ||
            quote_ident(coalesce((SELECT option_value FROM pg_catalog.pg_options_to_table(ft.ftoptions)
                                   WHERE option_name = 'table_name'), src.relname)) END,
        'subscription', sub.subname,
        'subscription_lsn', sub.lsn
    )) ORDER BY src.name), '[]'::jsonb))
  FROM src
  LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = src.oid
  LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
  LEFT JOIN LATERAL (
        SELECT s.subname::text AS subname, coalesce(__LSN__, st.latest_end_lsn::text) AS lsn
          FROM pg_catalog.pg_subscription_rel r
          JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid
          LEFT JOIN pg_catalog.pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
         WHERE r.srrelid = src.oid
         LIMIT 1) sub ON true
"#;

/// The lineage of `relation` (a name `regclass` accepts), as JSON for `pgml.snapshots.lineage`.
pub fn of(relation: &str) -> Result<serde_json::Value> {
    // The applied LSN is the subscription's replication origin progress, readable by superusers
    // only by default (the function's privilege is checked when the query starts, so the choice is
    // made here, not in SQL). Without it, or before the first applied transaction, the LSN the
    // subscription last confirmed to its publisher stands in.
    let can_read_lsn = read_one::<bool>(
        "SELECT has_function_privilege('pg_catalog.pg_replication_origin_progress(text, boolean)', 'execute')",
        &[],
    )?
    .unwrap_or(false);
    let lsn = if can_read_lsn {
        "pg_catalog.pg_replication_origin_progress('pg_' || s.oid, false)::text"
    } else {
        "NULL::text"
    };
    let lineage = read_one::<pgrx::JsonB>(&QUERY.replace("__LSN__", lsn), &[relation.into()])?;
    Ok(lineage.map_or(serde_json::Value::Null, |j| j.0))
}
