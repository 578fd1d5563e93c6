//! Schema changes under logical replication. DDL is not replicated: a column added on the publisher
//! first breaks apply on the subscriber ("missing replicated column"). `pgml sync alter` applies a
//! change to the subscriber first, then the publisher, then refreshes the subscription when tables
//! were added; `pgml sync check` compares the published tables on both sides and lists drift that
//! will break apply, before it does.

use std::collections::BTreeMap;
use std::process::ExitCode;

use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::{ident, THIS_DB};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The publisher (libpq URL, key=value string or service=NAME).
    #[arg(long)]
    pub source: String,
    /// The pgml server, the subscriber.
    #[arg(long)]
    pub target: String,
    /// Name of the subscription on the target; the publication is the one it subscribes to (as
    /// `sync replicate --publication` chose), else a publication of this name.
    #[arg(long, default_value = "pgml")]
    pub name: String,
}

#[derive(Debug, clap::Args)]
pub struct AlterArgs {
    /// The publisher (libpq URL, key=value string or service=NAME).
    #[arg(long)]
    pub source: String,
    /// The pgml server, the subscriber.
    #[arg(long)]
    pub target: String,
    /// The schema change, e.g. "ALTER TABLE customers ADD COLUMN segment text".
    #[arg(long)]
    pub sql: String,
    /// Name of the subscription on the target; the publication is the one it subscribes to.
    #[arg(long, default_value = "pgml")]
    pub name: String,
    /// Print the steps and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// Columns (name → (type, NOT NULL without default)) of the publication's tables, read on `client`.
fn columns(client: &mut postgres::Client, tables: &[String]) -> Result<Columns> {
    let mut out = Columns::new();
    for t in tables {
        let rows = client
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull AND NOT a.atthasdef
                   FROM pg_attribute a
                  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
                &[t],
            )
            .map_err(|e| Error::sql(format!("reading the columns of {t}"), e))?;
        out.insert(
            t.clone(),
            rows.iter()
                .map(|r| (r.get(0), (r.get(1), r.get(2))))
                .collect(),
        );
    }
    Ok(out)
}

/// The publications subscription `name` on the target reads (recorded in the subscription itself,
/// so an administrator's publication chosen with `sync replicate --publication` is found), or
/// `[name]` when there is no such subscription in this database.
fn publications(dst: &mut postgres::Client, name: &str) -> Result<Vec<String>> {
    let row = dst
        .query_opt(
            &format!(
                "SELECT subpublications::text[] FROM pg_subscription WHERE subname = $1 AND subdbid = {THIS_DB}"
            ),
            &[&name],
        )
        .map_err(|e| Error::sql("looking up the subscription on the target", e))?;
    Ok(row
        .map(|r| r.get::<_, Vec<String>>(0))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| vec![name.to_string()]))
}

fn published(src: &mut postgres::Client, pubs: &[String]) -> Result<Vec<String>> {
    Ok(src
        .query(
            "SELECT DISTINCT format('%I.%I', schemaname, tablename) FROM pg_publication_tables WHERE pubname = ANY ($1) ORDER BY 1",
            &[&pubs],
        )
        .map_err(|e| Error::sql("reading the publication's tables", e))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Drift between the two sides that breaks (or will break) apply.
fn drift(
    src: &mut postgres::Client,
    dst: &mut postgres::Client,
    pubs: &[String],
) -> Result<Vec<String>> {
    let tables = published(src, pubs)?;
    if tables.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "publication {} does not exist on the source, or publishes no table",
                pubs.join(", ")
            ),
            hint: Some("name the subscription with --name (pgml sync status lists them)".into()),
        });
    }
    let (a, b) = (columns(src, &tables)?, columns(dst, &tables)?);
    let mut problems = Vec::new();
    for t in &tables {
        let (s, d) = (&a[t], &b[t]);
        if d.is_empty() {
            problems.push(format!("{t} is missing on the target"));
            continue;
        }
        for (col, (ty, _)) in s {
            match d.get(col) {
                None => problems.push(format!(
                    "{t}.{col} ({ty}) is missing on the target: apply fails on the next change"
                )),
                Some((dty, _)) if dty != ty => problems.push(format!(
                    "{t}.{col} is {ty} on the source but {dty} on the target"
                )),
                _ => {}
            }
        }
        for (col, (ty, required)) in d {
            if !s.contains_key(col) && *required {
                problems.push(format!(
                    "{t}.{col} ({ty}) exists only on the target and is NOT NULL without a default: inserted rows fail"
                ));
            }
        }
    }
    Ok(problems)
}

pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    let (source, target) = (Server::parse(&args.source)?, Server::parse(&args.target)?);
    let (mut src, mut dst) = (source.connect()?, target.connect()?);
    let pubs = publications(&mut dst, &args.name)?;
    let problems = drift(&mut src, &mut dst, &pubs)?;
    if problems.is_empty() {
        println!(
            "no drift: the tables of publication {} match on both sides",
            pubs.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    Err(Error::Verification {
        message: format!("schema drift that breaks replication:\n  - {}", problems.join("\n  - ")),
        hint: Some("apply the missing change on the target first (pgml sync alter does it in the right order)".into()),
    })
}

pub fn alter(args: &AlterArgs) -> Result<ExitCode> {
    let (source, target) = (Server::parse(&args.source)?, Server::parse(&args.target)?);
    let (mut src, mut dst) = (source.connect()?, target.connect()?);
    let name = ident(&args.name);
    let pubs = publications(&mut dst, &args.name)?;
    println!("plan (publication {}):", pubs.join(", "));
    println!("  1. on the target (subscriber first): {};", args.sql);
    println!("  2. on the source (publisher): {};", args.sql);
    println!("  3. on the target, if the publication gained tables: ALTER SUBSCRIPTION {name} REFRESH PUBLICATION;");
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    dst.batch_execute(&args.sql).map_err(|e| {
        Error::sql(
            "applying the change on the target (nothing was changed on the source)",
            e,
        )
    })?;
    println!("done on the target");
    if let Err(e) = src.batch_execute(&args.sql) {
        return Err(Error::sql(
            "applying the change on the source; the target already has it, which replication tolerates for \
             added columns: fix the statement and run it on the source by hand",
            e,
        ));
    }
    println!("done on the source");
    let subscribed: Vec<String> = dst
        .query(
            &format!(
                "SELECT sr.srrelid::regclass::text FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid
                  WHERE s.subname = $1 AND s.subdbid = {THIS_DB}"
            ),
            &[&args.name],
        )
        .map_err(|e| Error::sql("reading the subscription's tables", e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let published = published(&mut src, &pubs)?;
    let added = published.len() > subscribed.len();
    if added {
        dst.batch_execute(&format!("ALTER SUBSCRIPTION {name} REFRESH PUBLICATION"))
            .map_err(|e| Error::sql("refreshing the subscription", e))?;
        println!(
            "refreshed subscription {}: new tables are being copied",
            args.name
        );
    }
    // Both servers have changed by now: no failure from here on may claim (exit 7) that nothing was.
    let problems = drift(&mut src, &mut dst, &pubs).map_err(|e| Error::Verification {
        message: format!("the change was applied on both servers, but checking them failed: {e}"),
        hint: None,
    })?;
    if !problems.is_empty() {
        return Err(Error::Verification {
            message: format!(
                "after the change the sides still differ:\n  - {}",
                problems.join("\n  - ")
            ),
            hint: None,
        });
    }
    println!("verified: the published tables match on both sides");
    Ok(ExitCode::SUCCESS)
}
