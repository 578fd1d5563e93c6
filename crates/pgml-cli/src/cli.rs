use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Result;
use crate::local;

/// Machine learning inside PostgreSQL: set up and check what crosses servers.
#[derive(Debug, Parser)]
#[command(name = "pgml", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the local development server (127.0.0.1:5433, database pgml_development, extension
    /// created), initializing it on first use. Running it again is harmless.
    Up(LocalArgs),
    /// Stop the local development server (its data is kept).
    Down(LocalArgs),
    /// Show the local development server's state, connection URL and extension.
    /// Exits 0 when it is running, 3 when it is not.
    Status(StatusArgs),
    /// Measure the source (sizes, rows, write churn, version, wal_level, slots, privileges) and
    /// recommend how to move its data to a pgml server, with what must change first.
    Plan(crate::plan::PlanArgs),
    /// Move training data to a pgml server with PostgreSQL's own mechanisms.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Move trained models between servers: a checksummed package, or a replicated catalog.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// A web page over the pgml catalog: projects, models with their plots, snapshots and the
    /// fleet, read with the connection's rights (listens on 127.0.0.1:8484 by default).
    Dashboard(crate::dashboard::DashboardArgs),
    /// Train one model over shard servers without moving their rows (`--distributed`): the
    /// coordinator runs pgml.train's distributed job over the shard URLs and stores the model.
    Train(crate::train::TrainArgs),
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Write a package of models (files, snapshots' lineage, deployments) to standard output.
    Export(crate::models::transfer::ExportArgs),
    /// Import a package from standard input, atomically, with new ids; each project keeps the
    /// package's deployed model (unless --no-deploy). Importing the same package again changes nothing.
    Import(crate::models::transfer::ImportArgs),
    /// Export from one server and import into each --to server.
    Push(crate::models::transfer::PushArgs),
    /// Subscribe inference servers to the training server's catalog: every train and deploy there
    /// reaches them; they cannot train or deploy themselves.
    Replicate(crate::models::replicate::ReplicateArgs),
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Copy tables with pg_dump | psql (small data that changes rarely): checked, streamed, verified.
    Dump(crate::sync::dump::DumpArgs),
    /// Read the source's tables through postgres_fdw (medium data that changes often): rights checked,
    /// foreign server with a bulk fetch_size, user mapping, IMPORT FOREIGN SCHEMA, a row read back.
    Fdw(crate::sync::fdw::FdwArgs),
    /// Replicate tables logically (large data that changes): preflight, schema copy, publication,
    /// subscription, initial-copy progress, lag.
    Replicate(crate::sync::replicate::ReplicateArgs),
    /// Subscriptions, table states and lag on the pgml server; WAL retained by the source's slots, with
    /// a loud warning (exit 9) for inactive or bloated slots.
    Status(crate::sync::status::StatusArgs),
    /// Remove what pgml sync created: subscription (and its slot), publication, a slot left behind,
    /// optionally the FDW server.
    Teardown(crate::sync::teardown::TeardownArgs),
    /// A schema change under replication: subscriber first, then publisher, then refresh.
    Alter(crate::sync::schema::AlterArgs),
    /// Compare the published tables on both sides and list drift that will break apply.
    Check(crate::sync::schema::CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct LocalArgs {
    /// TCP port on 127.0.0.1 [default: 5433, the port PostgresML's Docker image uses, so its docs'
    /// commands work]. Selects the server on that port: when the server in --data-dir runs on
    /// another port, the command is refused (use another --data-dir for a second server).
    #[arg(long, env = "PGML_PORT")]
    pub port: Option<u16>,
    /// Directory holding the server (data/, run/, server.log). Default: /var/lib/pgml/development as
    /// root, else $XDG_DATA_HOME/pgml/development (~/.local/share/pgml/development).
    #[arg(long, env = "PGML_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub local: LocalArgs,
    /// Print one JSON document instead of text (described in docs/cli.md); the exit code is the same.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Up(args) => local::up(&args),
        Command::Down(args) => local::down(&args),
        Command::Status(args) => local::status(&args),
        Command::Plan(args) => crate::plan::run(&args),
        Command::Sync(SyncCommand::Dump(args)) => crate::sync::dump::run(&args),
        Command::Sync(SyncCommand::Fdw(args)) => crate::sync::fdw::run(&args),
        Command::Sync(SyncCommand::Replicate(args)) => crate::sync::replicate::run(&args),
        Command::Sync(SyncCommand::Status(args)) => crate::sync::status::run(&args),
        Command::Sync(SyncCommand::Teardown(args)) => crate::sync::teardown::run(&args),
        Command::Sync(SyncCommand::Alter(args)) => crate::sync::schema::alter(&args),
        Command::Sync(SyncCommand::Check(args)) => crate::sync::schema::check(&args),
        Command::Models(ModelsCommand::Export(args)) => crate::models::transfer::export(&args),
        Command::Models(ModelsCommand::Import(args)) => crate::models::transfer::import(&args),
        Command::Models(ModelsCommand::Push(args)) => crate::models::transfer::push(&args),
        Command::Models(ModelsCommand::Replicate(args)) => crate::models::replicate::run(&args),
        Command::Dashboard(args) => crate::dashboard::run(&args),
        Command::Train(args) => crate::train::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every subcommand's path and its long flags, e.g. ("sync dump", ["source", "target", ...]).
    fn commands() -> Vec<(String, clap::Command)> {
        fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
            for sub in cmd.get_subcommands() {
                let path = format!("{prefix} {}", sub.get_name()).trim().to_string();
                if sub.has_subcommands() {
                    walk(&path, sub, out);
                } else {
                    out.push((path, sub.clone()));
                }
            }
        }
        let mut out = Vec::new();
        walk("", &super::Cli::command(), &mut out);
        out
    }

    #[test]
    fn every_flag_has_help() {
        for (path, cmd) in commands() {
            for arg in cmd.get_arguments() {
                if matches!(arg.get_id().as_str(), "help" | "version") {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "pgml {path} --{} has no help text",
                    arg.get_long().unwrap_or(arg.get_id().as_str())
                );
            }
        }
    }

    /// docs/cli.md's synopsis has a line per command naming each of its flags, so the page cannot
    /// fall behind `--help`.
    #[test]
    fn docs_cli_md_names_every_flag() {
        let doc = include_str!("../../../docs/cli.md");
        for (path, cmd) in commands() {
            let line = doc
                .lines()
                .find(|l| l.starts_with(&format!("pgml {path} ")) || *l == format!("pgml {path}"))
                .unwrap_or_else(|| panic!("docs/cli.md has no synopsis line for `pgml {path}`"));
            for arg in cmd.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if matches!(long, "help" | "version") {
                    continue;
                }
                assert!(
                    line.contains(&format!("--{long}")),
                    "docs/cli.md's synopsis of `pgml {path}` lacks --{long}: {line}"
                );
            }
        }
    }
}
