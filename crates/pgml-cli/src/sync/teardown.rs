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
    let source = args.source.as_deref().map(Server::parse).transpose()?;
    let mut found = preflight(args, &target, source.as_ref())?;
    let plan = plan(args, &found);
    print_plan(args, &target, source.as_ref(), &found, &plan);
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    execute(args, &plan, &mut found)?;
    verify(args, &mut found)?;
    Ok(ExitCode::SUCCESS)
}

/// What exists of what `pgml sync` created, on the open connections.
struct Found {
    dst: postgres::Client,
    src: Option<postgres::Client>,
    subscription: bool,
    foreign_tables: Vec<String>,
    dependents: Vec<String>,
    publication: bool,
}

/// Connects and looks everything up; refuses (changing nothing) when objects built on the foreign
/// tables would be dropped without --cascade.
fn preflight(args: &TeardownArgs, target: &Server, source: Option<&Server>) -> Result<Found> {
    let mut dst = target.connect()?;
    let subscription = dst
        .query_opt(
            &format!("SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = {THIS_DB}"),
            &[&args.name],
        )
        .map_err(|e| Error::sql("looking up the subscription", e))?
        .is_some();
    let (mut foreign_tables, mut dependents) = (Vec::new(), Vec::new());
    if let Some(server) = &args.fdw_server {
        foreign_tables = dst
            .query(
                "SELECT c.oid::regclass::text FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
                   JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE s.srvname = $1 ORDER BY 1",
                &[server],
            )
            .map_err(|e| Error::sql("listing the foreign tables", e))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        dependents = dependents_of_server(&mut dst, server)?;
        if !dependents.is_empty() && !args.cascade {
            println!(
                "objects that depend on the foreign tables of server {server}:\n  - {}",
                dependents.join("\n  - ")
            );
            return Err(Error::Refused {
                message: format!(
                    "{} object(s) depend on the foreign tables of server {server}; nothing was changed",
                    dependents.len()
                ),
                hint: Some(
                    "drop or rewrite them first, or pass --cascade to drop them with the server"
                        .into(),
                ),
            });
        }
    }
    let (mut src, mut publication) = (None, false);
    if let Some(source) = source {
        let mut c = source.connect()?;
        publication = c
            .query_opt(
                "SELECT 1 FROM pg_publication WHERE pubname = $1",
                &[&args.name],
            )
            .map_err(|e| Error::sql("looking up the publication", e))?
            .is_some();
        src = Some(c);
    }
    Ok(Found {
        dst,
        src,
        subscription,
        foreign_tables,
        dependents,
        publication,
    })
}

/// The statements, per server: what --dry-run prints and execute runs.
struct Plan {
    target: Vec<String>,
    source: Vec<String>,
}

fn plan(args: &TeardownArgs, found: &Found) -> Plan {
    let name = ident(&args.name);
    let mut target = Vec::new();
    if found.subscription {
        target.push(format!("DROP SUBSCRIPTION {name}"));
    }
    if let Some(server) = &args.fdw_server {
        target.push(format!("DROP SERVER IF EXISTS {} CASCADE", ident(server)));
    }
    let mut source = Vec::new();
    if found.publication {
        source.push(format!("DROP PUBLICATION {name}"));
    }
    Plan { target, source }
}

fn print_plan(
    args: &TeardownArgs,
    target: &Server,
    source: Option<&Server>,
    found: &Found,
    plan: &Plan,
) {
    if let Some(server) = &args.fdw_server {
        if !found.foreign_tables.is_empty() {
            println!(
                "foreign tables dropped with server {server}: {}",
                found.foreign_tables.join(", ")
            );
        }
        if !found.dependents.is_empty() {
            println!(
                "objects that depend on them, dropped too (--cascade):\n  - {}",
                found.dependents.join("\n  - ")
            );
        }
    }
    println!("plan on {}:", target.masked());
    for s in &plan.target {
        println!("  {s};");
    }
    if let Some(source) = source {
        println!("plan on {}:", source.masked());
        for s in &plan.source {
            println!("  {s};");
        }
        println!(
            "  (and pg_drop_replication_slot('{}') if the slot is still there, inactive)",
            args.name
        );
    }
    if plan.target.is_empty() && plan.source.is_empty() && source.is_none() {
        println!("nothing to remove");
    }
}

fn execute(args: &TeardownArgs, plan: &Plan, found: &mut Found) -> Result<()> {
    for s in &plan.target {
        found
            .dst
            .batch_execute(s)
            .map_err(|e| Error::sql(format!("running {s} on the target"), e))?;
        println!("done: {s}");
    }
    if let Some(c) = found.src.as_mut() {
        for s in &plan.source {
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
    Ok(())
}

/// Reads back that everything planned is gone. A slot still in use (another subscriber) is
/// reported, not an error: it is not pgml's to drop.
fn verify(args: &TeardownArgs, found: &mut Found) -> Result<()> {
    let gone = |c: &mut postgres::Client, sql: &str, what: &str| -> Result<bool> {
        Ok(c.query_opt(sql, &[&args.name])
            .map_err(|e| Error::sql(format!("checking that the {what} is gone"), e))?
            .is_none())
    };
    let mut left = Vec::new();
    let sub_sql =
        format!("SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = {THIS_DB}");
    if !gone(&mut found.dst, &sub_sql, "subscription")? {
        left.push(format!("subscription {} on the target", args.name));
    }
    if let Some(server) = &args.fdw_server {
        let still = found
            .dst
            .query_opt(
                "SELECT 1 FROM pg_foreign_server WHERE srvname = $1",
                &[server],
            )
            .map_err(|e| Error::sql("checking that the foreign server is gone", e))?
            .is_some();
        if still {
            left.push(format!("foreign server {server} on the target"));
        }
    }
    if let Some(c) = found.src.as_mut() {
        if !gone(
            c,
            "SELECT 1 FROM pg_publication WHERE pubname = $1",
            "publication",
        )? {
            left.push(format!("publication {} on the source", args.name));
        }
        if !gone(
            c,
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
            "replication slot",
        )? {
            println!(
                "note: the replication slot {} on the source is in use by another subscriber; left as it is",
                args.name
            );
        }
    }
    if left.is_empty() {
        println!("verified: nothing of it is left");
        Ok(())
    } else {
        Err(Error::Verification {
            message: format!("still there after teardown: {}", left.join(", ")),
            hint: Some("run pgml sync teardown again, or drop them by hand".into()),
        })
    }
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
