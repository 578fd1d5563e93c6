//! `pgml sync status`: each subscription on the pgml server with its tables' states and apply lag,
//! and, with --source, the WAL each replication slot retains there. A slot that is inactive or holds
//! more than --warn-retained-mb is flagged loudly with the command that drops it: a forgotten slot
//! keeps WAL on the primary until its disk is full.

use std::process::ExitCode;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::THIS_DB;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The pgml server (subscriber): a libpq URL, key=value string or service=NAME. Default: the
    /// environment, as psql (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSERVICE, ...).
    #[arg(long, default_value = "", hide_default_value = true)]
    pub target: String,
    /// The source (publisher), to report its replication slots.
    #[arg(long)]
    pub source: Option<String>,
    /// Warn when a slot retains more WAL than this.
    #[arg(long, default_value_t = 1024)]
    pub warn_retained_mb: u64,
    /// Print one JSON document instead of text (described in docs/cli.md); the exit code is the same.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &StatusArgs) -> Result<ExitCode> {
    let target = Server::parse(&args.target)?;
    let mut dst = target.connect()?;
    let subs = dst
        .query(
            &format!("SELECT s.subname::text, s.subenabled,
                    (SELECT string_agg(sr.srrelid::regclass::text || ' ' || CASE sr.srsubstate WHEN 'i' THEN 'initializing' WHEN 'd' THEN 'copying' WHEN 'f' THEN 'copied' WHEN 's' THEN 'synchronizing' WHEN 'r' THEN 'ready' ELSE 'unknown' END, ', ' ORDER BY 1)
                       FROM pg_subscription_rel sr WHERE sr.srsubid = s.oid),
                    (SELECT extract(epoch FROM now() - max(st.last_msg_receipt_time))::float8
                       FROM pg_stat_subscription st WHERE st.subid = s.oid),
                    (SELECT bool_or(st.pid IS NOT NULL) FROM pg_stat_subscription st WHERE st.subid = s.oid)
               FROM pg_subscription s WHERE s.subdbid = {THIS_DB} ORDER BY 1"),
            &[],
        )
        .map_err(|e| Error::sql("reading subscriptions on the target", e))?;
    let json = args.json;
    let mut subs_json = Vec::new();
    let mut slots_json = Vec::new();
    let mut source_json = serde_json::Value::Null;
    say!(json, "target: {}", target.masked());
    if subs.is_empty() {
        say!(json, "  no subscriptions");
    }
    for s in &subs {
        let (name, enabled, tables, since, running): (
            String,
            bool,
            Option<String>,
            Option<f64>,
            Option<bool>,
        ) = (s.get(0), s.get(1), s.get(2), s.get(3), s.get(4));
        let tables = tables.unwrap_or_default();
        subs_json.push(serde_json::json!({
            "name": name,
            "enabled": enabled,
            "worker_running": running.unwrap_or(false),
            "last_message_seconds_ago": since,
            "tables": tables
                .split(", ")
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let (table, state) = t.rsplit_once(' ').unwrap_or((t, "unknown"));
                    serde_json::json!({"name": table, "state": state})
                })
                .collect::<Vec<_>>(),
        }));
        say!(
            json,
            "  subscription {name}: {}{}; last message {}",
            if enabled { "enabled" } else { "DISABLED" },
            if running.unwrap_or(false) {
                ", worker running"
            } else {
                ", NO WORKER RUNNING"
            },
            since.map_or("never".to_string(), |s| format!("{s:.1} s ago"))
        );
        say!(json, "    tables: {tables}");
    }
    let mut warnings = 0;
    if let Some(src) = &args.source {
        let source = Server::parse(src)?;
        let mut s = source.connect()?;
        let slots = s
            .query(
                "SELECT slot_name::text, slot_type, active,
                        (pg_current_wal_lsn() - restart_lsn)::bigint,
                        (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint
                   FROM pg_replication_slots ORDER BY 1",
                &[],
            )
            .map_err(|e| Error::sql("reading replication slots on the source", e))?;
        source_json = serde_json::Value::String(source.masked());
        say!(json, "source: {}", source.masked());
        if slots.is_empty() {
            say!(json, "  no replication slots");
        }
        for r in &slots {
            let (name, kind, active, retained, lag): (
                String,
                String,
                bool,
                Option<i64>,
                Option<i64>,
            ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
            let retained_mb = retained.unwrap_or(0) as f64 / 1024.0 / 1024.0;
            let warn = !active || retained_mb > args.warn_retained_mb as f64;
            slots_json.push(serde_json::json!({
                "name": name,
                "type": kind,
                "active": active,
                "retained_bytes": retained,
                "unconfirmed_bytes": lag,
                "warning": warn,
            }));
            say!(json,
                "  slot {name} ({kind}): {}, retains {retained_mb:.1} MB of WAL, {} bytes not yet confirmed",
                if active { "active" } else { "INACTIVE" },
                lag.unwrap_or(0)
            );
            if warn {
                warnings += 1;
                eprintln!(
                    "WARNING: slot {name} is {}and retains {retained_mb:.1} MB of WAL on the source; WAL piles up \
                     until the disk is full. If its subscriber is gone, drop it on the source: \
                     SELECT pg_drop_replication_slot('{name}');",
                    if active { "" } else { "inactive " }
                );
            }
        }
    }
    if json {
        crate::print_json(&serde_json::json!({
            "target": target.masked(),
            "subscriptions": subs_json,
            "source": source_json,
            "slots": slots_json,
            "warnings": warnings,
        }));
    }
    Ok(if warnings > 0 {
        ExitCode::from(9)
    } else {
        ExitCode::SUCCESS
    })
}
