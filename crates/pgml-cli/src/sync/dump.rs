//! `pgml sync dump`: copy tables with `pg_dump -t ... | psql`, streamed (no temporary file), with a
//! check first, progress while copying, and row counts compared at the end.

use std::process::ExitCode;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::tools;

#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// The server to copy from (libpq URL; the password may come from PGPASSWORD or ~/.pgpass).
    #[arg(long)]
    pub source: String,
    /// The pgml server to copy into.
    #[arg(long)]
    pub target: String,
    /// A table to copy, optionally schema-qualified; repeat for several.
    #[arg(long = "table", required = true)]
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

pub fn run(args: &DumpArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let target = Server::parse(&args.target)?;

    // Check: every table exists on the source; none exists on the target unless --replace.
    let mut src = source.connect()?;
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

    let mut dump_args: Vec<String> = vec!["--no-owner".into(), "--no-privileges".into()];
    if args.replace {
        dump_args.extend(["--clean".into(), "--if-exists".into()]);
    }
    for t in &tables {
        dump_args.push("-t".into());
        dump_args.push(t.given.clone());
    }
    let psql_args = tools::restore_args();
    println!(
        "plan: copy {} table(s) from {} to {}",
        tables.len(),
        source.masked(),
        target.masked()
    );
    for t in &tables {
        println!(
            "  {} ({} rows){}",
            t.name,
            t.rows,
            if existing.contains(&t.name.as_str()) {
                ", replaced"
            } else {
                ""
            }
        );
    }
    println!(
        "  {}\n    | {}",
        tools::describe("pg_dump", &dump_args, &source),
        tools::describe("psql", &psql_args, &target)
    );
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }

    // Run: pg_dump's output is streamed into psql through this process, to count bytes for progress.
    let started = Instant::now();
    let mut dump = tools::command("pg_dump", &source)?;
    dump.args(&dump_args);
    let mut restore = tools::command("psql", &target)?;
    restore.args(&psql_args);
    let copied = tools::pipe(
        dump,
        restore,
        true,
        "the copy failed; the target was left unchanged (one transaction)",
    )?;
    println!(
        "copied {:.1} MB in {:.1} s",
        copied as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // Verify: the row counts match what the source had.
    let mut dst = target.connect()?;
    let mut wrong = Vec::new();
    for t in &tables {
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
    Ok(ExitCode::SUCCESS)
}
