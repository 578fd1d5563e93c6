//! `pgml sync replicate`: logical replication of tables from the source to the pgml server —
//! preflight on both sides, table definitions copied with `pg_dump --schema-only`, publication,
//! subscription, per-table initial-copy progress until every table is ready, then the lag.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use pgml_postgres::quote_literal;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::tools;
use crate::pg::{ident, THIS_DB};

#[derive(Debug, clap::Args)]
pub struct ReplicateArgs {
    /// The publisher (libpq URL; its role needs REPLICATION, SELECT on the tables and to own them).
    #[arg(long)]
    pub source: String,
    /// The pgml server, the subscriber (its role must be superuser on PostgreSQL 15).
    #[arg(long)]
    pub target: String,
    /// A table to replicate; repeat, or separate with commas.
    #[arg(
        long = "table",
        visible_alias = "tables",
        value_delimiter = ',',
        required_unless_present = "all_tables"
    )]
    pub tables: Vec<String>,
    /// Every table of --schema.
    #[arg(long)]
    pub all_tables: bool,
    /// Schema on the source whose tables --all-tables replicates.
    #[arg(long, default_value = "public")]
    pub schema: String,
    /// A publication an administrator created beforehand (as the tables' owner), used instead of
    /// creating one; it must publish every table asked for. The source role then needs no ownership.
    #[arg(long)]
    pub publication: Option<String>,
    /// Name of the publication (unless --publication), subscription and slot.
    #[arg(long, default_value = "pgml")]
    pub name: String,
    /// Seconds to wait for the initial copy.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Print the SQL and shell steps and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// preflight → plan → (print; --dry-run stops here) → execute → verify.
pub fn run(args: &ReplicateArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let target = Server::parse(&args.target)?;
    let mut src = source.connect()?;
    let mut dst = target.connect()?;
    let checked = preflight(args, &source, &target, &mut src, &mut dst)?;
    let plan = plan(args, &source, &checked);
    print_plan(args, &source, &target, &plan);
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    execute(args, &source, &target, &plan, &mut src, &mut dst)?;
    verify(args, &source, &plan, &mut src, &mut dst)?;
    Ok(ExitCode::SUCCESS)
}

/// What the checks found that the plan needs.
#[derive(Debug)]
struct Checked {
    /// The tables as `regclass::text` on the source.
    tables: Vec<String>,
    /// The publication exists already (an administrator's, with --publication).
    pub_exists: bool,
}

/// Every check on both sides, all problems reported at once; nothing is changed.
fn preflight(
    args: &ReplicateArgs,
    source: &Server,
    target: &Server,
    src: &mut postgres::Client,
    dst: &mut postgres::Client,
) -> Result<Checked> {
    let pub_name = args.publication.as_deref().unwrap_or(&args.name);
    let publication = ident(pub_name);
    // Tables that do not exist are refused as sync dump and plan refuse them (exit 7), before the
    // catalog query below would fail on the cast.
    for t in &args.tables {
        let found: Option<String> = src
            .query_one("SELECT to_regclass($1)::text", &[t])
            .map_err(|e| Error::sql(format!("looking up {t} on the source"), e))?
            .get(0);
        if found.is_none() {
            return Err(Error::Refused {
                message: format!("table {t} does not exist on the source {}", source.masked()),
                hint: Some("name it as psql would (schema.table; quote mixed case)".into()),
            });
        }
    }
    crate::sync::dump::warn_without_pgml(dst, target)?;

    // Preflight on the source.
    let mut problems: Vec<String> = Vec::new();
    let r = src
        .query_one(
            "SELECT current_setting('server_version_num')::int, current_setting('wal_level'),
                    current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int,
                    current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)::int,
                    r.rolsuper OR r.rolreplication, current_user::text,
                    EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1),
                    EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2)
               FROM pg_roles r WHERE r.rolname = current_user",
            &[&args.name, &pub_name],
        )
        .map_err(|e| Error::sql("checking the source", e))?;
    let (version, wal_level, slots, senders, can_replicate, role, slot_exists, pub_exists): (
        i32,
        String,
        i32,
        i32,
        bool,
        String,
        bool,
        bool,
    ) = (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
        r.get(7),
    );
    if version < 100_000 {
        problems.push(
            "the source is older than PostgreSQL 10, which has no logical replication".into(),
        );
    }
    if wal_level != "logical" {
        problems.push(format!(
            "wal_level is {wal_level} on the source: ALTER SYSTEM SET wal_level = logical; and restart it"
        ));
    }
    if slots < 1 && !slot_exists {
        problems.push(
            "no free replication slot on the source: raise max_replication_slots (restart)".into(),
        );
    }
    if senders < 1 {
        problems.push("no free WAL sender on the source: raise max_wal_senders (restart)".into());
    }
    if !can_replicate {
        problems.push(format!(
            "role {role} may not replicate: ALTER ROLE {} REPLICATION;",
            ident(&role)
        ));
    }
    if args.publication.is_some() && !pub_exists {
        problems.push(format!(
            "publication {pub_name} does not exist on the source: its administrator creates it (as the tables' owner) with CREATE PUBLICATION {publication} FOR TABLE ..."
        ));
    } else if !pub_exists {
        let can_create: bool = src
            .query_one(
                "SELECT has_database_privilege(current_user, current_database(), 'CREATE')",
                &[],
            )
            .map_err(|e| Error::sql("checking the source role's rights", e))?
            .get(0);
        if !can_create {
            problems.push(format!(
                "role {role} cannot create a publication: GRANT CREATE ON DATABASE {} TO {};",
                ident(&source.dbname()),
                ident(&role)
            ));
        }
    }
    if slot_exists {
        problems.push(format!(
            "a replication slot {} already exists on the source: pgml sync teardown --name {}, or choose --name",
            args.name, args.name
        ));
    }
    let tables: Vec<(String, bool, bool, bool)> = {
        let query = "SELECT c.oid::regclass::text, has_table_privilege(current_user, c.oid, 'SELECT'),
                            pg_has_role(current_user, c.relowner, 'USAGE'),
                            c.relreplident = 'f' OR c.relreplident = 'i'
                              OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace";
        let rows = if args.all_tables {
            src.query(
                &format!("{query} WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"),
                &[&args.schema],
            )
        } else {
            src.query(&format!("{query} WHERE c.oid = ANY ($1::text[]::regclass[]) ORDER BY 1"), &[&args.tables])
        }
        .map_err(|e| Error::sql("listing the tables on the source", e))?;
        rows.iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    };
    if tables.is_empty() {
        problems.push("no tables to replicate".into());
    }
    for (t, select, owner, identity) in &tables {
        if !select {
            problems.push(format!("role {role} cannot SELECT from {t} (needed for the initial copy): GRANT SELECT ON {t} TO {};", ident(&role)));
        }
        if !owner && !pub_exists {
            problems.push(format!(
                "role {role} does not own {t}, so it cannot publish it: run as its owner, or have an administrator create a publication of it and pass --publication"
            ));
        }
        if !identity {
            problems.push(format!(
                "{t} has no primary key or replica identity, so updates and deletes could not be replicated: add a primary key"
            ));
        }
    }
    if pub_exists && !tables.is_empty() {
        let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
        let missing: Vec<String> = src
            .query(
                "SELECT t FROM unnest($2::text[]) AS t
                  WHERE NOT EXISTS (SELECT 1 FROM pg_publication_tables p
                                     WHERE p.pubname = $1
                                       AND format('%I.%I', p.schemaname, p.tablename)::regclass = t::regclass)
                  ORDER BY 1",
                &[&pub_name, &names],
            )
            .map_err(|e| Error::sql("reading the publication's tables", e))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "publication {pub_name} does not publish {}: its administrator adds them with ALTER PUBLICATION {publication} ADD TABLE {};",
                missing.join(", "),
                missing.join(", ")
            ));
        }
    }
    // Preflight on the target.
    let r = dst
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map_err(|e| Error::sql("checking the target", e))?;
    if !r.get::<_, bool>(0) {
        problems.push(
            "the target role is not superuser, which CREATE SUBSCRIPTION needs on PostgreSQL 15"
                .into(),
        );
    }
    let sub_exists = dst
        .query_opt(
            &format!("SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = {THIS_DB}"),
            &[&args.name],
        )
        .map_err(|e| Error::sql("checking subscriptions on the target", e))?
        .is_some();
    if sub_exists {
        problems.push(format!(
            "subscription {} already exists on the target: pgml sync status shows it",
            args.name
        ));
    }
    for (t, ..) in &tables {
        let there = dst
            .query_opt("SELECT 1 WHERE to_regclass($1) IS NOT NULL", &[t])
            .map_err(|e| Error::sql("checking the target's tables", e))?
            .is_some();
        if there {
            problems.push(format!("{t} already exists on the target: the initial copy would clash with its rows; drop it first"));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "preflight failed; nothing was changed:\n  - {}",
                problems.join("\n  - ")
            ),
            hint: None,
        });
    }
    Ok(Checked {
        tables: tables.into_iter().map(|t| t.0).collect(),
        pub_exists,
    })
}

/// The steps, in order: what --dry-run prints and what execute runs.
#[derive(Debug)]
struct Plan {
    names: Vec<String>,
    dump_args: Vec<String>,
    psql_args: Vec<String>,
    /// None when the publication exists already.
    publication_sql: Option<String>,
    /// CREATE SUBSCRIPTION with the password, and as shown (password masked).
    subscription_sql: String,
    subscription_shown: String,
}

fn plan(args: &ReplicateArgs, source: &Server, checked: &Checked) -> Plan {
    let name = ident(&args.name);
    let pub_name = args.publication.as_deref().unwrap_or(&args.name);
    let publication = ident(pub_name);
    let pub_exists = checked.pub_exists;
    let names: Vec<&str> = checked.tables.iter().map(String::as_str).collect();

    let mut dump_args: Vec<String> = vec![
        "--schema-only".into(),
        "--no-owner".into(),
        "--no-privileges".into(),
    ];
    for t in &names {
        dump_args.push("-t".into());
        dump_args.push((*t).to_string());
    }
    let psql_args = tools::restore_args();
    let password = source.password().map(str::to_string);
    let publication_sql = if pub_exists {
        None
    } else {
        Some(format!(
            "CREATE PUBLICATION {publication} FOR TABLE {}",
            names.join(", ")
        ))
    };
    let subscription_sql = |password: Option<&str>| {
        format!(
            "CREATE SUBSCRIPTION {name} CONNECTION {} PUBLICATION {publication}",
            quote_literal(&source.conninfo(password))
        )
    };
    Plan {
        names: names.iter().map(|n| n.to_string()).collect(),
        subscription_shown: subscription_sql(password.as_ref().map(|_| "***")),
        subscription_sql: subscription_sql(password.as_deref()),
        dump_args,
        psql_args,
        publication_sql,
    }
}

fn print_plan(args: &ReplicateArgs, source: &Server, target: &Server, plan: &Plan) {
    let pub_name = args.publication.as_deref().unwrap_or(&args.name);
    let Plan {
        names,
        dump_args,
        psql_args,
        publication_sql,
        subscription_shown,
        ..
    } = plan;
    println!(
        "plan: replicate {} from {} to {}",
        names.join(", "),
        source.masked(),
        target.masked()
    );
    println!(
        "  1. {}\n       | {}",
        tools::describe("pg_dump", dump_args, source),
        tools::describe("psql", psql_args, target)
    );
    if let Some(sql) = &publication_sql {
        println!("  2. on the source: {sql};");
    } else {
        println!("  2. on the source: publication {pub_name} exists already, used as it is");
    }
    println!("  3. on the target: {};", subscription_shown);
}

/// Table definitions, publication, subscription; a failure undoes what this run created.
fn execute(
    args: &ReplicateArgs,
    source: &Server,
    target: &Server,
    plan: &Plan,
    src: &mut postgres::Client,
    dst: &mut postgres::Client,
) -> Result<()> {
    let pub_name = args.publication.as_deref().unwrap_or(&args.name);
    let publication = ident(pub_name);
    let Plan {
        names,
        dump_args,
        psql_args,
        publication_sql,
        subscription_sql,
        ..
    } = plan;
    // 1. Table definitions.
    let mut dump = tools::command("pg_dump", source)?;
    dump.args(dump_args);
    let mut restore = tools::command("psql", target)?;
    restore.args(psql_args);
    tools::pipe(
        dump,
        restore,
        None,
        "copying the table definitions failed; nothing was created",
    )?;
    println!("copied the definitions of {} table(s)", names.len());
    // 2. Publication. 3. Subscription (creates the slot on the source and starts the initial copy).
    // A failure here undoes what this run created, so a retry starts from a clean state.
    // (The flag used to shadow the publication's name, so the undo ran "DROP PUBLICATION IF EXISTS
    // true" and left the publication behind.)
    let undo = |src: &mut postgres::Client, dst: &mut postgres::Client, drop_publication: bool| {
        for t in names.iter() {
            let _ = dst.batch_execute(&format!("DROP TABLE IF EXISTS {t}"));
        }
        if drop_publication {
            let _ = src.batch_execute(&format!("DROP PUBLICATION IF EXISTS {publication}"));
        }
    };
    if let Some(sql) = &publication_sql {
        if let Err(e) = src.batch_execute(sql) {
            undo(src, dst, false);
            return Err(Error::sql(
                "creating the publication (the copied definitions were dropped again)",
                e,
            ));
        }
        println!("created publication {pub_name} on the source");
    }
    crate::pg::keep_secrets_out_of_logs(dst);
    if let Err(e) = dst.batch_execute(subscription_sql) {
        undo(src, dst, publication_sql.is_some());
        return Err(Error::sql(
            format!("creating subscription {} on the target (undone)", args.name),
            e,
        ));
    }
    println!(
        "created subscription {} on the target; initial copy running",
        args.name
    );

    Ok(())
}

/// The initial copy until every table is ready, the rows that arrived, and the lag.
fn verify(
    args: &ReplicateArgs,
    source: &Server,
    plan: &Plan,
    src: &mut postgres::Client,
    dst: &mut postgres::Client,
) -> Result<()> {
    let names = &plan.names;
    // Each table's estimated rows on the source, to show the initial copy's progress in rows.
    let estimates: Vec<(String, i64)> = src
        .query(
            "SELECT t, greatest(c.reltuples, 0)::bigint FROM unnest($1::text[]) AS t
               JOIN pg_class c ON c.oid = t::regclass",
            &[&names],
        )
        .map_err(|e| Error::sql("estimating the tables' rows on the source", e))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    wait_for_initial_copy(dst, &args.name, args.timeout, &estimates)?;
    for t in names.iter() {
        let n: i64 = dst
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .map_err(|e| Error::sql(format!("counting {t} on the target"), e))?
            .get(0);
        println!("  {t}: {n} rows on the target");
    }
    // A fresh connection: the source may have restarted during a long copy (the subscription
    // retries and completes; the connection opened before it would be gone).
    let mut src = source.connect()?;
    let lag: Option<i64> = src
        .query_one(
            "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1
             UNION ALL SELECT NULL LIMIT 1",
            &[&args.name],
        )
        .map_err(|e| Error::sql("reading the slot on the source", e))?
        .get(0);
    println!(
        "apply lag: {} bytes of WAL not yet confirmed by the target",
        lag.unwrap_or(0)
    );
    Ok(())
}

/// Prints each table's state of subscription `name` as it changes, until all are ready. With
/// `estimates` (table, rows on the source), also the rows copied so far: tables past their copy
/// count in full, tables being copied by what `pg_stat_progress_copy` reports for their sync worker.
pub fn wait_for_initial_copy(
    dst: &mut postgres::Client,
    name: &str,
    timeout: u64,
    estimates: &[(String, i64)],
) -> Result<()> {
    let started = Instant::now();
    let mut last = String::new();
    let total: i64 = estimates.iter().map(|(_, n)| n).sum();
    let mut progress = (total > 0).then(|| {
        crate::progress::Progress::new(
            "initial copy",
            Some(total as u64),
            crate::progress::Unit::Rows,
        )
    });
    loop {
        let states = dst
            .query(
                &format!(
                    "SELECT sr.srrelid::regclass::text, sr.srsubstate::text FROM pg_subscription_rel sr
                       JOIN pg_subscription s ON s.oid = sr.srsubid
                      WHERE s.subname = $1 AND s.subdbid = {THIS_DB} ORDER BY 1"
                ),
                &[&name],
            )
            .map_err(|e| Error::sql("reading the subscription's progress", e))?;
        let line: Vec<String> = states
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.get::<_, String>(0),
                    state(&r.get::<_, String>(1))
                )
            })
            .collect();
        let line = line.join(", ");
        if line != last {
            println!("  {line}");
            last = line;
        }
        if let Some(p) = progress.as_mut() {
            let copying: Vec<(String, i64)> = dst
                .query(
                    "SELECT relid::regclass::text, tuples_processed FROM pg_stat_progress_copy
                      WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    &[],
                )
                .map_err(|e| Error::sql("reading the copy progress", e))?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let mut done: i64 = 0;
            for r in &states {
                let (table, state): (String, String) = (r.get(0), r.get(1));
                let estimate = estimates
                    .iter()
                    .find(|(t, _)| *t == table)
                    .map_or(0, |(_, n)| *n);
                done += match state.as_str() {
                    "f" | "s" | "r" => estimate,
                    _ => copying
                        .iter()
                        .find(|(t, _)| *t == table)
                        .map_or(0, |(_, n)| *n),
                };
            }
            p.set(done.max(0) as u64);
        }
        if !states.is_empty() && states.iter().all(|r| r.get::<_, String>(1) == "r") {
            break;
        }
        if started.elapsed() > Duration::from_secs(timeout) {
            return Err(Error::Verification {
                message: format!("the initial copy did not finish within {timeout} s: {last}"),
                hint: Some("see the target's server log; pgml sync status shows the state".into()),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if let Some(p) = &progress {
        p.finish();
    }
    println!(
        "initial copy done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn state(code: &str) -> &'static str {
    match code {
        "i" => "initializing",
        "d" => "copying",
        "f" => "copied",
        "s" => "synchronizing",
        "r" => "ready",
        _ => "unknown",
    }
}
