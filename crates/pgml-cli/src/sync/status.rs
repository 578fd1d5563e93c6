//! `pgml sync status`: each subscription on the pgml server with its tables' states and apply lag,
//! and, with --source, the WAL each replication slot retains there. A slot that is inactive or holds
//! more than --warn-retained-mb is flagged loudly with the command that drops it: a forgotten slot
//! keeps WAL on the primary until its disk is full.

use std::process::ExitCode;

use crate::error::{Error, Result};
use crate::pg::conn::Server;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The pgml server (subscriber).
    #[arg(long)]
    pub target: String,
    /// The source (publisher), to report its replication slots.
    #[arg(long)]
    pub source: Option<String>,
    /// Warn when a slot retains more WAL than this.
    #[arg(long, default_value_t = 1024)]
    pub warn_retained_mb: u64,
}

pub fn run(args: &StatusArgs) -> Result<ExitCode> {
    let target = Server::parse(&args.target)?;
    let mut dst = target.connect()?;
    let subs = dst
        .query(
            "SELECT s.subname::text, s.subenabled,
                    (SELECT string_agg(sr.srrelid::regclass::text || ' ' || CASE sr.srsubstate WHEN 'i' THEN 'initializing' WHEN 'd' THEN 'copying' WHEN 'f' THEN 'copied' WHEN 's' THEN 'synchronizing' WHEN 'r' THEN 'ready' ELSE 'unknown' END, ', ' ORDER BY 1)
                       FROM pg_subscription_rel sr WHERE sr.srsubid = s.oid),
                    (SELECT extract(epoch FROM now() - max(st.last_msg_receipt_time))::float8
                       FROM pg_stat_subscription st WHERE st.subid = s.oid),
                    (SELECT bool_or(st.pid IS NOT NULL) FROM pg_stat_subscription st WHERE st.subid = s.oid)
               FROM pg_subscription s ORDER BY 1",
            &[],
        )
        .map_err(|e| Error::sql("reading subscriptions on the target", e))?;
    println!("target: {}", target.masked());
    if subs.is_empty() {
        println!("  no subscriptions");
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
        println!(
            "  subscription {name}: {}{}; last message {}",
            if enabled { "enabled" } else { "DISABLED" },
            if running.unwrap_or(false) {
                ", worker running"
            } else {
                ", NO WORKER RUNNING"
            },
            since.map_or("never".to_string(), |s| format!("{s:.1} s ago"))
        );
        println!("    tables: {tables}");
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
        println!("source: {}", source.masked());
        if slots.is_empty() {
            println!("  no replication slots");
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
            println!(
                "  slot {name} ({kind}): {}, retains {retained_mb:.1} MB of WAL, {} bytes not yet confirmed",
                if active { "active" } else { "INACTIVE" },
                lag.unwrap_or(0)
            );
            if !active || retained_mb > args.warn_retained_mb as f64 {
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
    Ok(if warnings > 0 {
        ExitCode::from(9)
    } else {
        ExitCode::SUCCESS
    })
}
