//! The one place that runs PostgreSQL's client programs (pg_dump, psql). Connection details and
//! passwords go through the environment, never the command line (visible to every local user).

use std::process::{Command, Stdio};

use pgml_testkit::PgInstall;

use crate::error::{Error, Result};
use crate::pg::conn::Server;

pub fn command(program: &str, server: &Server) -> Result<Command> {
    let install = PgInstall::detect()?;
    let mut cmd = install.client_command(program);
    for var in [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGSERVICE",
        "PGOPTIONS",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(server.env()).stdin(Stdio::null());
    Ok(cmd)
}

/// The command line as it would be typed, with the connection as a masked URL, for --dry-run.
pub fn describe(program: &str, args: &[String], server: &Server) -> String {
    format!("{program} {} # on {}", args.join(" "), server.masked())
}

pub fn spawn_error(program: &str, e: std::io::Error) -> Error {
    Error::Environment {
        message: format!("cannot run {program}: {e}"),
        hint: Some("install postgresql-client-15 (scripts/bootstrap does)".into()),
    }
}
