use std::path::PathBuf;
use std::process::ExitStatus;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("PostgreSQL server binaries not found: {0}")]
    NoInstall(String),
    #[error(
        "OS user {user:?} (runs PostgreSQL servers, which refuse root) does not exist: {hint}"
    )]
    NoOsUser { user: String, hint: String },
    #[error("{context}: {path}: {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed ({status}):\n{output}")]
    Command {
        what: String,
        status: ExitStatus,
        output: String,
    },
    #[error("server {name} did not start; last lines of {log}:\n{tail}")]
    StartFailed {
        name: String,
        log: PathBuf,
        tail: String,
    },
    #[error("{0}")]
    Timeout(String),
    #[error("SQL on {server}: {}", describe_pg_error(.source))]
    Sql {
        server: String,
        #[source]
        source: postgres::Error,
    },
}

impl Error {
    pub fn io(context: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            context,
            path: path.into(),
            source,
        }
    }
}

/// The whole story of a client error. `postgres::Error`'s own Display says only "db error" for a
/// server error; this gives the server's severity, SQLSTATE, message, detail and hint.
pub fn describe_pg_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            );
            if let Some(detail) = db.detail() {
                s.push_str(&format!("\nDETAIL: {detail}"));
            }
            if let Some(hint) = db.hint() {
                s.push_str(&format!("\nHINT: {hint}"));
            }
            s
        }
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}
