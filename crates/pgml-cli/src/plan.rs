//! `pgml plan`: measure the source and recommend how to move its data to a pgml server.
//!
//! The recommendation is a pure function of the measurements (unit-tested); the measuring is a
//! handful of catalog queries and two reads of `pg_stat_user_tables` a sampling window apart.

use std::process::ExitCode;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::pg::conn::Server;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The server holding the data: a libpq URL, key=value string or service=NAME. Default: the
    /// environment, as psql (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE, ...). Passwords may come
    /// from PGPASSWORD or ~/.pgpass (PGPASSFILE).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub source: String,
    /// The pgml server (optional: checked for the extension and postgres_fdw).
    #[arg(long)]
    pub target: Option<String>,
    /// A table to move; repeat, or separate with commas (default: every table of --schema).
    #[arg(long = "table", visible_alias = "tables", value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Schema whose tables are measured when --tables is not given.
    #[arg(long, default_value = "public")]
    pub schema: String,
    /// Seconds between the two reads of the write counters.
    #[arg(long, default_value_t = 5)]
    pub sample_seconds: u64,
    /// Print one JSON document instead of text (described in docs/cli.md).
    #[arg(long)]
    pub json: bool,
    /// Seconds a table's rows may be counted when its statistics are stale (then "unknown").
    #[arg(long, default_value_t = 10)]
    pub count_timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Dump,
    Fdw,
    Replication,
    Native,
}

impl Mechanism {
    /// The stable name in `--json` output.
    fn name(self) -> &'static str {
        match self {
            Mechanism::Dump => "dump",
            Mechanism::Fdw => "fdw",
            Mechanism::Replication => "replication",
            Mechanism::Native => "native",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Mechanism::Dump => "pg_dump | psql (pgml sync dump)",
            Mechanism::Fdw => "postgres_fdw (pgml sync fdw)",
            Mechanism::Replication => "logical replication (pgml sync replicate)",
            Mechanism::Native => "install pgml on the primary itself (same SQL API, bounded by pgml.training_threads)",
        }
    }
}

const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Size bands (< 10 GB dump, 10–100 GB FDW, 100 GB–10 TB logical replication, > 10 TB native),
/// moved one band up when the data changes often (more than 1 % of its rows written per minute):
/// a dump is stale at once, and FDW reads pay for every retrain.
pub fn recommend(total_bytes: i64, rows: i64, writes_per_minute: f64) -> (Mechanism, Vec<String>) {
    let gb = total_bytes as f64 / GB;
    let churn = if rows > 0 {
        writes_per_minute / rows as f64
    } else {
        0.0
    };
    let busy = churn > 0.01;
    let mut reasons = vec![format!("{gb:.2} GB in {rows} rows")];
    let by_size = if gb < 10.0 {
        Mechanism::Dump
    } else if gb < 100.0 {
        Mechanism::Fdw
    } else if gb < 10_240.0 {
        Mechanism::Replication
    } else {
        Mechanism::Native
    };
    let chosen = match (by_size, busy) {
        (Mechanism::Dump, true) => {
            reasons.push(format!(
                "{:.1} % of the rows change per minute: a copy would be stale at once",
                churn * 100.0
            ));
            Mechanism::Fdw
        }
        (Mechanism::Fdw, true) => {
            reasons.push(format!(
                "{:.1} % of the rows change per minute: keep a replica current instead of re-reading",
                churn * 100.0
            ));
            Mechanism::Replication
        }
        (m, _) => {
            reasons.push(format!(
                "{:.3} % of the rows change per minute",
                churn * 100.0
            ));
            m
        }
    };
    (chosen, reasons)
}

/// One table as measured: size, estimated rows, the write counters, and what the role may do.
#[derive(Debug)]
struct TableStats {
    name: String,
    bytes: i64,
    /// pg_class.reltuples when the statistics are fresh, else counted; None when the count timed out.
    rows: Option<i64>,
    /// n_tup_ins + n_tup_upd + n_tup_del so far.
    writes: i64,
    readable: bool,
    /// Has a primary key or a replica identity (needed to replicate updates and deletes).
    identity: bool,
}

/// What `plan` read on the source: settings, the role, and each table measured twice, a sampling
/// window apart (the difference of the write counters is the churn).
#[derive(Debug)]
struct Measured {
    version: String,
    version_num: i64,
    wal_level: String,
    slots_free: i64,
    senders_free: i64,
    role_name: String,
    superuser: bool,
    replication: bool,
    first: Vec<TableStats>,
    second: Vec<TableStats>,
    minutes: f64,
}

/// Only reads: catalog queries, a bounded count for stale statistics, and the sampling window.
fn measure_source(args: &PlanArgs, source: &Server) -> Result<Measured> {
    let mut c = source.connect()?;
    let q1 = |c: &mut postgres::Client, sql: &str| -> Result<String> {
        c.query_one(sql, &[])
            .map(|r| r.get::<_, String>(0))
            .map_err(|e| Error::sql(format!("measuring the source ({sql})"), e))
    };
    let version = q1(&mut c, "SELECT current_setting('server_version')")?;
    let version_num: i64 = q1(&mut c, "SELECT current_setting('server_version_num')")?
        .parse()
        .unwrap_or(0);
    let wal_level = q1(&mut c, "SELECT current_setting('wal_level')")?;
    let slots_free: i64 = q1(
        &mut c,
        "SELECT (current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots))::text",
    )?
    .parse()
    .unwrap_or(0);
    let senders_free: i64 = q1(
        &mut c,
        "SELECT (current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication))::text",
    )?
    .parse()
    .unwrap_or(0);
    let role = c
        .query_one(
            "SELECT current_user::text, rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map_err(|e| Error::sql("reading the source role", e))?;
    let (role_name, superuser, replication): (String, bool, bool) =
        (role.get(0), role.get(1), role.get(2));

    // The tables: given, or every ordinary/partitioned table of the schema.
    let tables = if args.tables.is_empty() {
        c.query(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
            &[&args.schema],
        )
        .map_err(|e| Error::sql("listing the source's tables", e))?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
    } else {
        let mut v = Vec::new();
        for t in &args.tables {
            let name: Option<String> = c
                .query_one("SELECT to_regclass($1)::text", &[t])
                .map_err(|e| Error::sql(format!("looking up {t}"), e))?
                .get(0);
            v.push(name.ok_or_else(|| Error::Refused {
                message: format!("table {t} does not exist on the source {}", source.masked()),
                hint: None,
            })?);
        }
        v
    };
    if tables.is_empty() {
        return Err(Error::Refused {
            message: format!("no tables to measure in schema {}", args.schema),
            hint: Some("name them with --tables".into()),
        });
    }
    let measure = |c: &mut postgres::Client| -> Result<Vec<TableStats>> {
        let mut out = Vec::new();
        for t in &tables {
            let r = c
                .query_one(
                    // reltuples is fresh when the table was analyzed (or vacuumed) and less
                    // than a tenth of it changed since; -1 otherwise (never analyzed).
                    "SELECT pg_total_relation_size(c.oid),
                            CASE WHEN c.reltuples >= 0
                                  AND coalesce((SELECT n_mod_since_analyze FROM pg_stat_user_tables s WHERE s.relid = c.oid), 0)
                                      <= greatest(c.reltuples * 0.1, 50)
                                 THEN c.reltuples::bigint ELSE -1 END,
                            coalesce((SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables s WHERE s.relid = c.oid), 0),
                            has_table_privilege(current_user, c.oid, 'SELECT'),
                            c.relreplident <> 'n' AND (c.relreplident <> 'd' OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                       FROM pg_class c WHERE c.oid = $1::text::regclass",
                    &[t],
                )
                .map_err(|e| Error::sql(format!("measuring {t}"), e))?;
            let estimate: i64 = r.get(1);
            out.push(TableStats {
                name: t.clone(),
                bytes: r.get(0),
                rows: (estimate >= 0).then_some(estimate),
                writes: r.get(2),
                readable: r.get(3),
                identity: r.get(4),
            });
        }
        Ok(out)
    };
    let mut first = measure(&mut c)?;
    // A table the role cannot read is reported (GRANT below), not counted.
    for t in first.iter_mut().filter(|t| t.rows.is_none() && t.readable) {
        t.rows = count_rows(&mut c, &t.name, args.count_timeout)?;
    }
    eprintln!("sampling write activity for {} s ...", args.sample_seconds);
    std::thread::sleep(Duration::from_secs(args.sample_seconds));
    let second = measure(&mut c)?;
    let minutes = (args.sample_seconds.max(1) as f64) / 60.0;

    Ok(Measured {
        version,
        version_num,
        wal_level,
        slots_free,
        senders_free,
        role_name,
        superuser,
        replication,
        first,
        second,
        minutes,
    })
}

/// measure → recommend → report (text or JSON), with what must change first.
pub fn run(args: &PlanArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let Measured {
        version,
        version_num,
        wal_level,
        slots_free,
        senders_free,
        role_name,
        superuser,
        replication,
        first,
        second,
        minutes,
    } = measure_source(args, &source)?;
    let json = args.json;
    let mut table_json = Vec::new();
    say!(
        json,
        "source:   {} (PostgreSQL {version}), role {role_name}",
        source.masked()
    );
    say!(
        json,
        "{:<40} {:>12} {:>12} {:>14}",
        "table",
        "size",
        "rows",
        "writes/min"
    );
    let (mut bytes, mut rows, mut writes) = (0i64, 0i64, 0f64);
    for (a, b) in first.iter().zip(&second) {
        let per_minute = (b.writes - a.writes).max(0) as f64 / minutes;
        say!(
            json,
            "{:<40} {:>12} {:>12} {per_minute:>14.0}",
            a.name,
            human(a.bytes),
            a.rows
                .map_or("unknown (run ANALYZE)".to_string(), |r| r.to_string())
        );
        bytes += a.bytes;
        rows += a.rows.unwrap_or(0);
        writes += per_minute;
        table_json.push(serde_json::json!({
            "name": a.name,
            "bytes": a.bytes,
            "rows": a.rows,
            "writes_per_minute": per_minute,
            "readable": a.readable,
            "replica_identity": a.identity,
        }));
    }
    let (mechanism, reasons) = recommend(bytes, rows, writes);
    say!(json, "\nrecommended: {}", mechanism.describe());
    for r in &reasons {
        say!(json, "  because {r}");
    }

    // What must change first for the recommended mechanism.
    let mut todo = Vec::new();
    let unreadable: Vec<&str> = first
        .iter()
        .filter(|t| !t.readable)
        .map(|t| t.name.as_str())
        .collect();
    if !unreadable.is_empty() {
        todo.push(format!(
            "GRANT SELECT ON {} TO {role_name};",
            unreadable.join(", ")
        ));
    }
    if mechanism == Mechanism::Replication {
        if version_num < 100_000 {
            todo.push(format!(
                "PostgreSQL {version} has no logical replication: upgrade to 10 or later"
            ));
        }
        if wal_level != "logical" {
            todo.push(format!(
                "wal_level is {wal_level}: ALTER SYSTEM SET wal_level = logical; then restart the source (a restart is needed)"
            ));
        }
        if slots_free < 1 {
            todo.push("no free replication slot: raise max_replication_slots (restart)".into());
        }
        if senders_free < 1 {
            todo.push("no free WAL sender: raise max_wal_senders (restart)".into());
        }
        if !superuser && !replication {
            todo.push(format!("ALTER ROLE {role_name} REPLICATION;"));
        }
        let no_identity: Vec<&str> = first
            .iter()
            .filter(|t| !t.identity)
            .map(|t| t.name.as_str())
            .collect();
        if !no_identity.is_empty() {
            todo.push(format!(
                "no primary key or replica identity on {}: add a primary key, or ALTER TABLE ... REPLICA IDENTITY FULL",
                no_identity.join(", ")
            ));
        }
    }
    let mut target_json = serde_json::Value::Null;
    if let Some(t) = &args.target {
        let target = Server::parse(t)?;
        let mut d = target.connect()?;
        let row = d
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgml'),
                        EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw')",
                &[],
            )
            .map_err(|e| Error::sql("checking the target", e))?;
        let (pgml, fdw): (bool, bool) = (row.get(0), row.get(1));
        target_json = serde_json::json!({
            "server": target.masked(),
            "pgml_installed": pgml,
            "postgres_fdw_available": fdw,
        });
        say!(
            json,
            "target:   {} (pgml {})",
            target.masked(),
            if pgml { "installed" } else { "not installed" }
        );
        if !pgml {
            todo.push("on the target: CREATE EXTENSION pgml;".into());
        }
        if mechanism == Mechanism::Fdw && !fdw {
            todo.push("on the target: install postgres_fdw (Debian: postgresql-contrib)".into());
        }
    }
    if todo.is_empty() {
        say!(json, "\nready: nothing must change first");
    } else {
        say!(json, "\nbefore you start:");
        for t in &todo {
            say!(json, "  - {t}");
        }
    }
    if json {
        let doc = serde_json::json!({
            "source": {
                "server": source.masked(),
                "server_version": version,
                "role": role_name,
                "wal_level": wal_level,
            },
            "tables": table_json,
            "total_bytes": bytes,
            "total_rows": rows,
            "writes_per_minute": writes,
            "recommended": mechanism.name(),
            "reasons": reasons,
            "target": target_json,
            "before_you_start": todo,
        });
        crate::print_json(&doc);
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts a table whose statistics are stale, within `timeout` seconds (a huge table is not read
/// to the end for an estimate): None when that is not enough.
fn count_rows(c: &mut postgres::Client, table: &str, timeout: u64) -> Result<Option<i64>> {
    let mut tx = c
        .transaction()
        .map_err(|e| Error::sql("starting a transaction on the source", e))?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = '{}s'",
        timeout.max(1)
    ))
    .map_err(|e| Error::sql("setting a timeout for counting rows", e))?;
    let counted = match tx.query_one(&format!("SELECT count(*) FROM {table}"), &[]) {
        Ok(r) => Some(r.get(0)),
        Err(e) if e.code() == Some(&postgres::error::SqlState::QUERY_CANCELED) => None,
        Err(e) => return Err(Error::sql(format!("counting the rows of {table}"), e)),
    };
    // Read-only: ending it either way is the same; rollback also ends an aborted one.
    let _ = tx.rollback();
    Ok(counted)
}

fn human(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= GB {
        format!("{:.1} GB", b / GB)
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.0} kB", b / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb(n: f64) -> i64 {
        (n * GB) as i64
    }

    #[test]
    fn size_bands() {
        assert_eq!(recommend(gb(1.0), 1_000_000, 0.0).0, Mechanism::Dump);
        assert_eq!(recommend(gb(50.0), 1_000_000, 0.0).0, Mechanism::Fdw);
        assert_eq!(
            recommend(gb(500.0), 1_000_000, 0.0).0,
            Mechanism::Replication
        );
        assert_eq!(recommend(gb(20_000.0), 1_000_000, 0.0).0, Mechanism::Native);
    }

    #[test]
    fn churn_moves_one_band_up() {
        let (m, reasons) = recommend(gb(1.0), 1_000_000, 50_000.0);
        assert_eq!(m, Mechanism::Fdw);
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("5.0 % of the rows change per minute")),
            "{reasons:?}"
        );
        assert_eq!(
            recommend(gb(50.0), 1_000_000, 50_000.0).0,
            Mechanism::Replication
        );
        assert_eq!(recommend(gb(1.0), 1_000_000, 100.0).0, Mechanism::Dump);
    }
}
