//! `pgml up | down | status`: the local development server.
//!
//! One PostgreSQL 15 cluster on 127.0.0.1 (port 5433, database `pgml_development`, extension created),
//! the address PostgresML's Docker stack uses, so the commands in its docs work unchanged. TCP on
//! loopback is `trust`, like that image: this is a development server, never a production one.

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

use pgml_postgres::{quote_ident, Auth, Cluster, ClusterStatus, PgInstall, StopMode};

use crate::cli::{LocalArgs, StatusArgs};
use crate::error::{Error, Result};

pub const DEFAULT_PORT: u16 = 5433;
pub const DATABASE: &str = "pgml_development";

/// Where the server lives: `dir/data` (PGDATA), `dir/run` (unix socket), `dir/server.log`.
struct Local {
    dir: PathBuf,
    port: u16,
    /// The port was asked for (--port or PGML_PORT), not the default.
    port_given: bool,
    cluster: Cluster,
}

impl Local {
    fn new(args: &LocalArgs) -> Result<Self> {
        let install = PgInstall::detect()?;
        let dir = match &args.data_dir {
            Some(d) => absolute(d)?,
            None => default_dir(install.server_user().is_some())?,
        };
        let cluster = Cluster::new(install, dir.join("data"), dir.join("server.log"));
        Ok(Local {
            dir,
            port: args.port.unwrap_or(DEFAULT_PORT),
            port_given: args.port.is_some(),
            cluster,
        })
    }

    /// The port of the running server, refused when another port was asked for: a --port must
    /// select the server on that port, never act on another one.
    fn running_port(&self) -> Result<u16> {
        let running = self.cluster.running_port().unwrap_or(self.port);
        if self.port_given && running != self.port {
            return Err(Error::Refused {
                message: format!(
                    "the server in {} runs on 127.0.0.1:{running}, not on port {}; nothing was changed",
                    self.dir.display(),
                    self.port
                ),
                hint: Some(format!(
                    "leave out --port (and PGML_PORT) to use that server, or pass --data-dir DIR for a second server on port {}",
                    self.port
                )),
            });
        }
        Ok(running)
    }

    fn url(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{DATABASE}")
    }

    fn connect(&self, port: u16, db: &str) -> Result<postgres::Client> {
        let conninfo =
            format!("host=127.0.0.1 port={port} user=postgres dbname={db} connect_timeout=10");
        postgres::Client::connect(&conninfo, postgres::NoTls).map_err(|e| Error::Server {
            message: format!(
                "cannot connect to the local server on 127.0.0.1:{port}: {}",
                pgml_postgres::describe_pg_error(&e)
            ),
            hint: Some(format!("its log is {}", self.cluster.log_file().display())),
        })
    }
}

pub fn up(args: &LocalArgs) -> Result<ExitCode> {
    let local = Local::new(args)?;
    let install = local.cluster.install().clone();
    if !local.cluster.is_initialized() {
        install.create_server_dir(&local.dir)?;
        println!(
            "initializing a new cluster in {}",
            local.cluster.data_dir().display()
        );
        local.cluster.init(&Auth::Trust)?;
    }
    let port = match local.cluster.status()? {
        ClusterStatus::Running { .. } => {
            let port = local.running_port()?;
            println!("server already running on 127.0.0.1:{port}");
            port
        }
        ClusterStatus::Stopped | ClusterStatus::Missing => {
            if TcpListener::bind((Ipv4Addr::LOCALHOST, local.port)).is_err() {
                return Err(Error::Server {
                    message: format!(
                        "port {} on 127.0.0.1 is already in use by another program",
                        local.port
                    ),
                    hint: Some(
                        "stop that program, or choose another port with --port or PGML_PORT".into(),
                    ),
                });
            }
            let run_dir = local.dir.join("run");
            install.create_server_dir(&run_dir)?;
            local.cluster.configure(&[
                ("port".into(), local.port.to_string()),
                ("listen_addresses".into(), "127.0.0.1".into()),
                (
                    "unix_socket_directories".into(),
                    run_dir.display().to_string(),
                ),
            ])?;
            local.cluster.start().map_err(|e| Error::Server {
                message: format!("the local server did not start: {e}"),
                hint: Some(format!("its log is {}", local.cluster.log_file().display())),
            })?;
            println!("server started on 127.0.0.1:{}", local.port);
            local.port
        }
    };

    let mut admin = local.connect(port, "postgres")?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DATABASE])
        .map_err(|e| Error::sql("looking up the development database", e))?
        .is_some();
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE {}", quote_ident(DATABASE)))
            .map_err(|e| Error::sql(format!("creating database {DATABASE}"), e))?;
        println!("created database {DATABASE}");
    }
    let mut db = local.connect(port, DATABASE)?;
    let available = db
        .query_opt(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pgml'",
            &[],
        )
        .map_err(|e| Error::sql("looking up the pgml extension", e))?
        .is_some();
    if !available {
        return Err(Error::Environment {
            message: format!(
                "the pgml extension is not installed for PostgreSQL in {}",
                install.bin_dir().display()
            ),
            hint: Some(
                "build and install it: cargo pgrx install --release -p pgml-extension \
                 --pg-config /usr/lib/postgresql/15/bin/pg_config (scripts/demo does this)"
                    .into(),
            ),
        });
    }
    db.batch_execute("CREATE EXTENSION IF NOT EXISTS pgml")
        .map_err(|e| Error::sql("creating the pgml extension", e))?;
    // A newer build installed since the database was created: bring its SQL objects up to date, as
    // a developer rebuilding the extension expects.
    let row = db
        .query_one(
            "SELECT default_version, installed_version FROM pg_available_extensions WHERE name = 'pgml'",
            &[],
        )
        .map_err(|e| Error::sql("reading the pgml extension's versions", e))?;
    let (available, installed): (String, Option<String>) = (row.get(0), row.get(1));
    if installed.as_deref() != Some(available.as_str()) {
        db.batch_execute("ALTER EXTENSION pgml UPDATE")
            .map_err(|e| Error::sql(format!("updating the pgml extension to {available}"), e))?;
        println!(
            "updated extension pgml from {} to {available}",
            installed.as_deref().unwrap_or("?")
        );
    }
    print_status(&local, port, &mut db)?;
    Ok(ExitCode::SUCCESS)
}

pub fn down(args: &LocalArgs) -> Result<ExitCode> {
    let local = Local::new(args)?;
    match local.cluster.status()? {
        ClusterStatus::Running { .. } => {
            local.running_port()?;
            local.cluster.stop(StopMode::Fast)?;
            println!(
                "server stopped; data kept in {}",
                local.cluster.data_dir().display()
            );
        }
        ClusterStatus::Stopped => println!("server is not running"),
        ClusterStatus::Missing => println!(
            "no local server in {} (nothing to stop)",
            local.cluster.data_dir().display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(args: &StatusArgs) -> Result<ExitCode> {
    let local = Local::new(&args.local)?;
    let state = local.cluster.status()?;
    if args.json {
        return status_json(&local, state);
    }
    match state {
        ClusterStatus::Running { .. } => {
            let port = local.running_port()?;
            let mut db = local.connect(port, DATABASE)?;
            print_status(&local, port, &mut db)?;
            Ok(ExitCode::SUCCESS)
        }
        ClusterStatus::Stopped => {
            println!("server:    stopped (start it with `pgml up`)");
            println!("data:      {}", local.cluster.data_dir().display());
            Ok(ExitCode::from(3))
        }
        ClusterStatus::Missing => {
            println!("server:    not initialized (create it with `pgml up`)");
            println!("data:      {}", local.cluster.data_dir().display());
            Ok(ExitCode::from(3))
        }
    }
}

/// `pgml status --json`: the same facts as the text, and the same exit code (0 running, 3 not).
fn status_json(local: &Local, state: ClusterStatus) -> Result<ExitCode> {
    let data = local.cluster.data_dir().display().to_string();
    let log = local.cluster.log_file().display().to_string();
    let doc = match state {
        ClusterStatus::Running { .. } => {
            let port = local.running_port()?;
            let mut db = local.connect(port, DATABASE)?;
            let row = db
                .query_one(
                    "SELECT current_setting('server_version'),
                            (SELECT extversion FROM pg_extension WHERE extname = 'pgml')",
                    &[],
                )
                .map_err(|e| Error::sql("reading the server's state", e))?;
            let (version, extension): (String, Option<String>) = (row.get(0), row.get(1));
            serde_json::json!({
                "state": "running",
                "port": port,
                "url": local.url(port),
                "server_version": version,
                "extension_version": extension,
                "data_dir": data,
                "log": log,
            })
        }
        ClusterStatus::Stopped => {
            serde_json::json!({"state": "stopped", "data_dir": data, "log": log})
        }
        ClusterStatus::Missing => {
            serde_json::json!({"state": "not_initialized", "data_dir": data, "log": log})
        }
    };
    crate::print_json(&doc);
    Ok(if doc["state"] == "running" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

fn print_status(local: &Local, port: u16, db: &mut postgres::Client) -> Result<()> {
    let row = db
        .query_one(
            "SELECT current_setting('server_version'),
                    (SELECT extversion FROM pg_extension WHERE extname = 'pgml')",
            &[],
        )
        .map_err(|e| Error::sql("reading the server's state", e))?;
    let server_version: String = row.get(0);
    let extension: Option<String> = row.get(1);
    println!("server:    running (PostgreSQL {server_version})");
    println!("url:       {}", local.url(port));
    match extension {
        Some(v) => println!("extension: pgml {v} installed"),
        None => println!("extension: pgml not installed (run `pgml up`)"),
    }
    println!("data:      {}", local.cluster.data_dir().display());
    println!("log:       {}", local.cluster.log_file().display());
    Ok(())
}

fn default_dir(as_root: bool) -> Result<PathBuf> {
    if as_root {
        // Root's home is not traversable by the server's OS user, so the server lives in /var/lib.
        return Ok(PathBuf::from("/var/lib/pgml/development"));
    }
    let base = match std::env::var_os("XDG_DATA_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(".local/share"),
            None => {
                return Err(Error::Environment {
                    message: "neither XDG_DATA_HOME nor HOME is set".into(),
                    hint: Some("pass --data-dir or set PGML_DATA_DIR".into()),
                })
            }
        },
    };
    Ok(base.join("pgml/development"))
}

fn absolute(path: &std::path::Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::Environment {
        message: format!("cannot resolve {}: {e}", path.display()),
        hint: None,
    })
}
