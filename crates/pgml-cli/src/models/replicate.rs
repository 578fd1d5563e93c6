//! `pgml models replicate`: the training server publishes its catalog (the five `pgml` tables,
//! not datasets or snapshot tables); every inference server subscribes to it, so a train or deploy
//! on the training server reaches the whole fleet at each server's next statement after apply.
//!
//! Inference servers cannot write the replicated catalog: `pgml.catalog_write_guard` refuses any
//! change there except the apply worker's, and train, deploy and import say so before working.

use std::process::ExitCode;

use pgml_postgres::quote_literal;

use super::require_pgml;
use crate::error::{Error, Result};
use crate::pg::conn::Server;
use crate::pg::ident;
use crate::sync::replicate::wait_for_initial_copy;

const CATALOG: [&str; 5] = [
    "pgml.projects",
    "pgml.snapshots",
    "pgml.models",
    "pgml.files",
    "pgml.deployments",
];

#[derive(Debug, clap::Args)]
pub struct ReplicateArgs {
    /// The training server, the publisher (its role needs REPLICATION; superuser creates the
    /// publication of the extension's tables).
    #[arg(long)]
    pub source: String,
    /// An inference server, a subscriber (repeatable; its role must be superuser on PostgreSQL 15).
    #[arg(long = "target", visible_alias = "to", required = true)]
    pub targets: Vec<String>,
    /// Name of the publication and of each subscription (slots get the target's id appended).
    #[arg(long, default_value = "pgml_models")]
    pub name: String,
    /// Seconds to wait for each initial copy.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Check both sides and print the SQL (passwords masked); change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &ReplicateArgs) -> Result<ExitCode> {
    let source = Server::parse(&args.source)?;
    let targets = Server::parse_all(&args.targets)?;
    let mut src = source.connect()?;
    let version = require_pgml(&mut src, &source.masked())?;
    let name = ident(&args.name);

    let mut problems = Vec::new();
    let r = src
        .query_one(
            "SELECT current_setting('wal_level'), r.rolsuper OR r.rolreplication, pgml.catalog_subscription(),
                    EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1),
                    (SELECT array_agg(schemaname || '.' || tablename ORDER BY schemaname, tablename)
                       FROM pg_publication_tables WHERE pubname = $1)
               FROM pg_roles r WHERE r.rolname = current_user",
            &[&args.name],
        )
        .map_err(|e| Error::sql("checking the source", e))?;
    let (wal_level, can_replicate, subscribed, pub_exists, published): (
        String,
        bool,
        Option<String>,
        bool,
        Option<Vec<String>>,
    ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    if wal_level != "logical" {
        problems.push(format!(
            "wal_level is {wal_level} on the source: ALTER SYSTEM SET wal_level = logical; and restart it"
        ));
    }
    if !can_replicate {
        problems.push("the source role may not replicate: ALTER ROLE ... REPLICATION".into());
    }
    if let Some(sub) = subscribed {
        problems.push(format!(
            "the source's own catalog is replicated from elsewhere (subscription {sub}): replicate from the training server"
        ));
    }
    let mut expected: Vec<String> = CATALOG.iter().map(|s| s.to_string()).collect();
    expected.sort();
    if pub_exists && published.as_ref() != Some(&expected) {
        problems.push(format!(
            "publication {} exists on the source but does not publish exactly the pgml catalog: choose --name",
            args.name
        ));
    }

    // Each target: same pgml version (the tables must match column for column), an empty catalog
    // (replicated ids would collide with its own), and no subscription of that name yet.
    let mut plans = Vec::new();
    for target in &targets {
        let mut dst = target.connect()?;
        let there = require_pgml(&mut dst, &target.masked())?;
        if there != version {
            problems.push(format!(
                "{} has pgml {there}, the source {version}: install the same version and ALTER EXTENSION pgml UPDATE",
                target.masked()
            ));
        }
        let r = dst
            .query_one(
                "SELECT (SELECT count(*) FROM pgml.projects), pgml.catalog_subscription(),
                        (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                        (SELECT system_identifier::text FROM pg_control_system()) || '_' ||
                        (SELECT oid::text FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .map_err(|e| Error::sql(format!("checking {}", target.masked()), e))?;
        let (projects, subscribed, superuser, id): (i64, Option<String>, bool, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        match subscribed {
            Some(sub) if sub == args.name => {
                println!(
                    "{}: already subscribed ({sub}); left as it is",
                    target.masked()
                );
                continue;
            }
            Some(sub) => problems.push(format!(
                "{} already replicates its catalog by subscription {sub}",
                target.masked()
            )),
            None if projects > 0 => problems.push(format!(
                "{} already has {projects} project(s) in its catalog; a replicated catalog must start empty",
                target.masked()
            )),
            None => {}
        }
        if !superuser {
            problems.push(format!(
                "the role on {} is not superuser, which CREATE SUBSCRIPTION needs on PostgreSQL 15",
                target.masked()
            ));
        }
        plans.push((target, dst, format!("{}_{id}", args.name)));
    }
    if !problems.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "preflight failed; nothing was changed:\n  - {}",
                problems.join("\n  - ")
            ),
            hint: Some(
                "to copy models into a server that has its own, use `pgml models push` instead"
                    .into(),
            ),
        });
    }

    let publication_sql = format!("CREATE PUBLICATION {name} FOR TABLE {}", CATALOG.join(", "));
    let password = source.password().map(str::to_string);
    let subscription_sql = |slot: &str, password: Option<&str>| {
        format!(
            "CREATE SUBSCRIPTION {name} CONNECTION {} PUBLICATION {name} WITH (slot_name = {})",
            quote_literal(&source.conninfo(password)),
            quote_literal(slot)
        )
    };
    println!("plan: replicate the pgml catalog of {}", source.masked());
    if pub_exists {
        println!(
            "  on the source: publication {} exists already, used as it is",
            args.name
        );
    } else {
        println!("  on the source: {publication_sql};");
    }
    let masked = password.as_ref().map(|_| "***");
    for (target, _, slot) in &plans {
        println!(
            "  on {}: {};",
            target.masked(),
            subscription_sql(slot, masked)
        );
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }

    if !pub_exists {
        src.batch_execute(&publication_sql)
            .map_err(|e| Error::sql("creating the publication on the source", e))?;
        println!("created publication {} on the source", args.name);
    }
    for (target, mut dst, slot) in plans {
        let sql = subscription_sql(&slot, password.as_deref());
        crate::pg::keep_secrets_out_of_logs(&mut dst);
        dst.batch_execute(&sql).map_err(|e| {
            Error::sql(
                format!("creating subscription {} on {}", args.name, target.masked()),
                e,
            )
        })?;
        println!(
            "{}: subscribed ({}, slot {slot}); initial copy running",
            target.masked(),
            args.name
        );
        wait_for_initial_copy(&mut dst, &args.name, args.timeout, &[])?;
    }
    Ok(ExitCode::SUCCESS)
}
