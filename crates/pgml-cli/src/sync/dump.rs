//! `pgml sync dump`: copy tables with `pg_dump -t ... | psql`, streamed (no temporary file), with a
//! check first, progress while copying, and row counts compared at the end.

use std::process::ExitCode;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::tools;
use crate::progress::Progress;

#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// The server to copy from (libpq URL; the password may come from PGPASSWORD or ~/.pgpass).
    #[arg(long)]
    pub source: String,
    /// The pgml server to copy into.
    #[arg(long)]
    pub target: String,
    /// A table to copy, optionally schema-qualified; repeat, or separate with commas.
    #[arg(
        long = "table",
        visible_alias = "tables",
        value_delimiter = ',',
        required = true
    )]
    pub tables: Vec<String>,
    /// Replace tables that already exist on the target (otherwise that is refused).
    #[arg(long)]
    pub replace: bool,
    /// Print the steps (SQL and shell) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

struct Table {
    /// As given, for pg_dump's -t.
    given: String,
    /// `regclass::text` on the source: the name as it is created on the target.
    name: String,
    rows: i64,
}

/// preflight → plan → (print; --dry-run stops here) → execute → verify.
pub fn run(args: &DumpArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let target = Server::parse(&args.target)?;
    let mut src = source.connect()?;
    let (tables, existing) = preflight(args, &source, &target, &mut src)?;
    let (dump_args, psql_args) = plan(args, &tables);
    print_plan(&source, &target, &tables, &existing, &dump_args, &psql_args);
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    execute(&source, &target, &tables, &dump_args, &psql_args, &mut src)?;
    verify(&target, &tables)?;
    Ok(ExitCode::SUCCESS)
}

/// Every table exists on the source (counted); none exists on the target unless --replace.
/// Returns the tables and those that will be replaced.
fn preflight(
    args: &DumpArgs,
    source: &Server,
    target: &Server,
    src: &mut postgres::Client,
) -> Result<(Vec<Table>, Vec<String>)> {
    // Check: every table exists on the source; none exists on the target unless --replace.
    let mut tables = Vec::new();
    for t in &args.tables {
        let row = src
            .query_opt("SELECT to_regclass($1)::text", &[t])
            .map_err(|e| Error::sql(format!("looking up {t} on the source"), e))?;
        let name: Option<String> = row.and_then(|r| r.get(0));
        let Some(name) = name else {
            return Err(Error::Refused {
                message: format!("table {t} does not exist on the source {}", source.masked()),
                hint: Some("name it as psql would (schema.table; quote mixed case)".into()),
            });
        };
        let rows: i64 = src
            .query_one(&format!("SELECT count(*) FROM {name}"), &[])
            .map_err(|e| Error::sql(format!("counting the rows of {name} on the source"), e))?
            .get(0);
        tables.push(Table {
            given: t.clone(),
            name,
            rows,
        });
    }
    let mut dst = target.connect()?;
    warn_without_pgml(&mut dst, target)?;
    let existing: Vec<&str> = tables
        .iter()
        .filter(|t| {
            dst.query_opt("SELECT 1 WHERE to_regclass($1) IS NOT NULL", &[&t.name])
                .ok()
                .flatten()
                .is_some()
        })
        .map(|t| t.name.as_str())
        .collect();
    if !existing.is_empty() && !args.replace {
        return Err(Error::Refused {
            message: format!(
                "{} already exist(s) on the target {}",
                existing.join(", "),
                target.masked()
            ),
            hint: Some("pass --replace to drop and copy them again; nothing was changed".into()),
        });
    }

    let existing = existing.into_iter().map(str::to_string).collect();
    Ok((tables, existing))
}

/// pg_dump's and psql's arguments (connections go through their environment).
fn plan(args: &DumpArgs, tables: &[Table]) -> (Vec<String>, Vec<String>) {
    let mut dump_args: Vec<String> = vec!["--no-owner".into(), "--no-privileges".into()];
    if args.replace {
        dump_args.extend(["--clean".into(), "--if-exists".into()]);
    }
    for t in tables {
        dump_args.push("-t".into());
        dump_args.push(t.given.clone());
    }
    let psql_args = tools::restore_args();
    (dump_args, psql_args)
}

fn print_plan(
    source: &Server,
    target: &Server,
    tables: &[Table],
    existing: &[String],
    dump_args: &[String],
    psql_args: &[String],
) {
    println!(
        "plan: copy {} table(s) from {} to {}",
        tables.len(),
        source.masked(),
        target.masked()
    );
    for t in tables {
        println!(
            "  {} ({} rows){}",
            t.name,
            t.rows,
            if existing.contains(&t.name) {
                ", replaced"
            } else {
                ""
            }
        );
    }
    println!(
        "  {}\n    | {}",
        tools::describe("pg_dump", dump_args, source),
        tools::describe("psql", psql_args, target)
    );
}

/// pg_dump's output streamed into psql through this process, to count bytes for progress.
fn execute(
    source: &Server,
    target: &Server,
    tables: &[Table],
    dump_args: &[String],
    psql_args: &[String],
    src: &mut postgres::Client,
) -> Result<()> {
    // Run: pg_dump's output is streamed into psql through this process, to count bytes for progress.
    let started = Instant::now();
    // The tables' size on disk estimates the dump's size (COPY text is usually of that order).
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let estimate: Option<i64> = src
        .query_one(
            "SELECT sum(pg_table_size(t::regclass))::bigint FROM unnest($1::text[]) AS t",
            &[&names],
        )
        .map_err(|e| Error::sql("measuring the tables on the source", e))?
        .get(0);
    let mut progress = Progress::new(
        "copying",
        estimate.map(|b| b.max(0) as u64),
        crate::progress::Unit::Bytes,
    );
    let mut dump = tools::command("pg_dump", source)?;
    dump.args(dump_args);
    let mut restore = tools::command("psql", target)?;
    restore.args(psql_args);
    let copied = tools::pipe(
        dump,
        restore,
        Some(&mut progress),
        "the copy failed; the target was left unchanged (one transaction)",
    )?;
    println!(
        "copied {:.1} MB in {:.1} s",
        copied as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    Ok(())
}

/// The row counts on the target match what the source had.
fn verify(target: &Server, tables: &[Table]) -> Result<()> {
    // Verify: the row counts match what the source had.
    let mut dst = target.connect()?;
    let mut wrong = Vec::new();
    for t in tables {
        let rows: i64 = dst
            .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])
            .map_err(|e| Error::sql(format!("counting the rows of {} on the target", t.name), e))?
            .get(0);
        if rows == t.rows {
            println!("verified: {} has {rows} rows on both servers", t.name);
        } else {
            wrong.push(format!(
                "{} has {} rows on the source and {rows} on the target",
                t.name, t.rows
            ));
        }
    }
    if !wrong.is_empty() {
        return Err(Error::Verification {
            message: wrong.join("\n"),
            hint: Some("the source changed during the copy? run again, or use pgml sync replicate for changing data".into()),
        });
    }
    Ok(())
}

/// Data moved to a server without pgml cannot be trained on there: say so (the copy itself is
/// still useful, e.g. to install the extension afterwards).
pub fn warn_without_pgml(dst: &mut postgres::Client, target: &Server) -> Result<()> {
    let has: bool = dst
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgml')",
            &[],
        )
        .map_err(|e| Error::sql("checking the target for pgml", e))?
        .get(0);
    if !has {
        eprintln!(
            "WARNING: the target {} has no pgml extension: training there needs it (CREATE EXTENSION pgml)",
            target.masked()
        );
    }
    Ok(())
}
