//! `pgml sync teardown`: remove what `pgml sync` created — the subscription (and with it its slot on
//! the source), the publication, a slot left behind, and on request the FDW server.

use std::process::ExitCode;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::{ident, THIS_DB};

#[derive(Debug, clap::Args)]
pub struct TeardownArgs {
    /// The pgml server.
    #[arg(long)]
    pub target: String,
    /// The source, to drop the publication and any slot left behind.
    #[arg(long)]
    pub source: Option<String>,
    /// Name of the subscription, publication and slot.
    #[arg(long, default_value = "pgml")]
    pub name: String,
    /// Also drop this postgres_fdw server on the target, with its user mappings and foreign tables
    /// (listed first). Objects built on them (views, ...) are listed too, and refused without --cascade.
    #[arg(long)]
    pub fdw_server: Option<String>,
    /// With --fdw-server: also drop the objects that depend on its foreign tables (views, ...).
    #[arg(long, requires = "fdw_server")]
    pub cascade: bool,
    /// Print what would be dropped and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &TeardownArgs) -> Result<ExitCode> {
    let target = Server::parse(&args.target)?;
    let mut dst = target.connect()?;
    let name = ident(&args.name);
    let mut target_sql = Vec::new();
    let sub = dst
        .query_opt(
            &format!("SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = {THIS_DB}"),
            &[&args.name],
        )
        .map_err(|e| Error::sql("looking up the subscription", e))?
        .is_some();
    if sub {
        target_sql.push(format!("DROP SUBSCRIPTION {name}"));
    }
    if let Some(server) = &args.fdw_server {
        let deps = dst
            .query(
                "SELECT c.oid::regclass::text FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
                   JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE s.srvname = $1 ORDER BY 1",
                &[server],
            )
            .map_err(|e| Error::sql("listing the foreign tables", e))?;
        if !deps.is_empty() {
            let names: Vec<String> = deps.iter().map(|r| r.get(0)).collect();
            println!(
                "foreign tables dropped with server {server}: {}",
                names.join(", ")
            );
        }
        let dependents = dependents_of_server(&mut dst, server)?;
        if !dependents.is_empty() {
            println!(
                "objects that depend on them{}:\n  - {}",
                if args.cascade {
                    ", dropped too (--cascade)"
                } else {
                    ""
                },
                dependents.join("\n  - ")
            );
            if !args.cascade {
                return Err(Error::Refused {
                    message: format!(
                        "{} object(s) depend on the foreign tables of server {server}; nothing was changed",
                        dependents.len()
                    ),
                    hint: Some("drop or rewrite them first, or pass --cascade to drop them with the server".into()),
                });
            }
        }
        target_sql.push(format!("DROP SERVER IF EXISTS {} CASCADE", ident(server)));
    }
    let mut source_sql = Vec::new();
    let mut src = None;
    if let Some(s) = &args.source {
        let source = Server::parse(s)?;
        let mut c = source.connect()?;
        let has_pub = c
            .query_opt(
                "SELECT 1 FROM pg_publication WHERE pubname = $1",
                &[&args.name],
            )
            .map_err(|e| Error::sql("looking up the publication", e))?
            .is_some();
        if has_pub {
            source_sql.push(format!("DROP PUBLICATION {name}"));
        }
        src = Some(c);
    }
    println!("plan on {}:", target.masked());
    for s in &target_sql {
        println!("  {s};");
    }
    if let Some(s) = &args.source {
        println!("plan on {}:", Server::parse(s)?.masked());
        for s in &source_sql {
            println!("  {s};");
        }
        println!(
            "  (and pg_drop_replication_slot('{}') if the slot is still there, inactive)",
            args.name
        );
    }
    if target_sql.is_empty() && source_sql.is_empty() && args.source.is_none() {
        println!("nothing to remove");
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    for s in &target_sql {
        dst.batch_execute(s)
            .map_err(|e| Error::sql(format!("running {s} on the target"), e))?;
        println!("done: {s}");
    }
    if let Some(c) = src.as_mut() {
        for s in &source_sql {
            c.batch_execute(s)
                .map_err(|e| Error::sql(format!("running {s} on the source"), e))?;
            println!("done: {s}");
        }
        let dropped = c
            .query_opt(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
                &[&args.name],
            )
            .map_err(|e| Error::sql("dropping the slot left on the source", e))?;
        if dropped.is_some() {
            println!(
                "done: dropped the replication slot {} left on the source",
                args.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Everything that depends (normally, so that a plain DROP would fail) on the foreign tables of
/// `server`, followed recursively: views on views are listed too. A view depends through its
/// rewrite rule, so rules are reported as the view that owns them.
fn dependents_of_server(dst: &mut postgres::Client, server: &str) -> Result<Vec<String>> {
    let rows = dst
        .query(
            "WITH RECURSIVE foreign_tables AS (
                 SELECT ft.ftrelid AS oid FROM pg_foreign_table ft
                   JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE s.srvname = $1),
             dep(classid, objid) AS (
                 SELECT 'pg_class'::regclass::oid, oid FROM foreign_tables
               UNION
                 SELECT CASE WHEN d.classid = 'pg_rewrite'::regclass THEN 'pg_class'::regclass::oid ELSE d.classid END,
                        CASE WHEN d.classid = 'pg_rewrite'::regclass THEN r.ev_class ELSE d.objid END
                   FROM dep
                   JOIN pg_depend d ON d.refclassid = dep.classid AND d.refobjid = dep.objid AND d.deptype = 'n'
                   LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
                  WHERE d.classid <> 'pg_rewrite'::regclass OR r.ev_class <> dep.objid)
             SELECT DISTINCT pg_describe_object(classid, objid, 0) FROM dep
              WHERE NOT (classid = 'pg_class'::regclass AND objid IN (SELECT oid FROM foreign_tables))
              ORDER BY 1",
            &[&server],
        )
        .map_err(|e| Error::sql("listing what depends on the foreign tables", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
