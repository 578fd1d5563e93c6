use std::process::ExitCode;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure of a `pgml` command. Each class has its own exit code (documented in docs/cli.md), so
/// scripts can tell "fix your machine" from "the server failed" from "the SQL failed".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the machine lacks: PostgreSQL binaries, the extension files, an OS user. Exit 4.
    #[error("{message}")]
    Environment {
        message: String,
        hint: Option<String>,
    },
    /// A server could not be initialized, started, stopped or reached. Exit 5.
    #[error("{message}")]
    Server {
        message: String,
        hint: Option<String>,
    },
    /// The command line is wrong (a malformed URL, a missing argument). Exit 2, like clap's.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// A check before acting refused to go on; nothing was changed. Exit 7.
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
    /// The action ran but its result does not check out (e.g. row counts differ). Exit 8.
    #[error("{message}")]
    Verification {
        message: String,
        hint: Option<String>,
    },
    /// A statement failed on a server. Exit 6.
    #[error("{context}: {}", pgml_postgres::describe_pg_error(.source))]
    Sql {
        context: String,
        #[source]
        source: postgres::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }

    /// The exit code as a number (also reported in `--json` output).
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage { .. } => 2,
            Error::Environment { .. } => 4,
            Error::Server { .. } => 5,
            Error::Sql { .. } => 6,
            Error::Refused { .. } => 7,
            Error::Verification { .. } => 8,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Environment { hint, .. }
            | Error::Server { hint, .. }
            | Error::Usage { hint, .. }
            | Error::Refused { hint, .. }
            | Error::Verification { hint, .. } => hint.clone(),
            // describe_pg_error already includes the server's hint.
            Error::Sql { .. } => None,
        }
    }

    pub fn sql(context: impl Into<String>, source: postgres::Error) -> Self {
        Error::Sql {
            context: context.into(),
            source,
        }
    }
}

impl From<pgml_postgres::Error> for Error {
    fn from(e: pgml_postgres::Error) -> Self {
        use pgml_postgres::Error as T;
        match e {
            T::NoInstall(_) | T::NoOsUser { .. } => Error::Environment {
                message: e.to_string(),
                hint: Some("run scripts/bootstrap to install what pgml needs".into()),
            },
            _ => Error::Server {
                message: e.to_string(),
                hint: None,
            },
        }
    }
}
