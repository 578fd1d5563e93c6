use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::install::run;
use crate::{Error, PgInstall, Result};

/// How clients authenticate. The unix socket is always `trust` for the owner's tooling.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Loopback TCP without a password: the local development server, like PostgresML's Docker image.
    Trust,
    /// Loopback TCP with scram-sha-256 and this password for the `postgres` superuser, as in production.
    Password(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Waits for clients to be disconnected cleanly and writes a checkpoint.
    Fast,
    /// Stops at once; the next start runs crash recovery. For throwaway servers.
    Immediate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterStatus {
    Running {
        pid: u32,
    },
    Stopped,
    /// No data directory (never initialized, or removed).
    Missing,
}

/// Settings file written by pgml into the data directory and included from `postgresql.conf`, so it
/// can be rewritten whole (new port, new settings) without editing PostgreSQL's own file.
const SETTINGS_FILE: &str = "pgml.conf";

/// One PostgreSQL data directory and the commands that manage it. Never deletes anything.
#[derive(Debug, Clone)]
pub struct Cluster {
    install: PgInstall,
    data_dir: PathBuf,
    log_file: PathBuf,
}

impl Cluster {
    pub fn new(
        install: PgInstall,
        data_dir: impl Into<PathBuf>,
        log_file: impl Into<PathBuf>,
    ) -> Self {
        Cluster {
            install,
            data_dir: data_dir.into(),
            log_file: log_file.into(),
        }
    }

    pub fn install(&self) -> &PgInstall {
        &self.install
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    pub fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    /// Runs initdb with superuser `postgres`, UTF-8, and `auth` on loopback TCP.
    pub fn init(&self, auth: &Auth) -> Result<()> {
        let parent = self.data_dir.parent().ok_or_else(|| {
            Error::NoInstall(format!("{} has no parent", self.data_dir.display()))
        })?;
        self.install.create_server_dir(parent)?;
        let mut cmd = self.install.server_command("initdb");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
        ]);
        let pwfile = parent.join(".initdb-password");
        match auth {
            Auth::Trust => {
                cmd.arg("--auth-host=trust");
            }
            Auth::Password(password) => {
                self.write_server_file(&pwfile, password)?;
                cmd.arg("--auth-host=scram-sha-256")
                    .arg(format!("--pwfile={}", pwfile.display()));
            }
        }
        let result = run(&mut cmd, &format!("initdb -D {}", self.data_dir.display()));
        let _ = std::fs::remove_file(&pwfile);
        result?;
        let conf = self.data_dir.join("postgresql.conf");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .map_err(|e| Error::io("opening", &conf, e))?;
        writeln!(
            f,
            "\ninclude_if_exists = '{SETTINGS_FILE}'\t# written by pgml"
        )
        .map_err(|e| Error::io("writing", &conf, e))?;
        Ok(())
    }

    /// Replaces the pgml settings file (port, listen address, socket directory, anything else).
    pub fn configure(&self, settings: &[(String, String)]) -> Result<()> {
        let mut text = String::from(
            "# Written by pgml; rewritten on every start. Edit postgresql.conf instead.\n",
        );
        for (key, value) in settings {
            text.push_str(&format!("{key} = '{}'\n", value.replace('\'', "''")));
        }
        self.write_server_file(&self.data_dir.join(SETTINGS_FILE), &text)
    }

    pub fn start(&self) -> Result<()> {
        let mut cmd = self.install.server_command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args(["-w", "-t", "120", "start"]);
        run(
            &mut cmd,
            &format!("pg_ctl start -D {}", self.data_dir.display()),
        )
        .map(drop)
    }

    pub fn stop(&self, mode: StopMode) -> Result<()> {
        let mode = match mode {
            StopMode::Fast => "fast",
            StopMode::Immediate => "immediate",
        };
        let mut cmd = self.install.server_command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-m", mode, "-w", "-t", "120", "stop"]);
        run(
            &mut cmd,
            &format!("pg_ctl stop -D {}", self.data_dir.display()),
        )
        .map(drop)
    }

    pub fn status(&self) -> Result<ClusterStatus> {
        if !self.is_initialized() {
            return Ok(ClusterStatus::Missing);
        }
        let mut cmd = self.install.server_command("pg_ctl");
        cmd.arg("-D").arg(&self.data_dir).arg("status");
        let out = cmd.output().map_err(|source| Error::Spawn {
            program: "pg_ctl".into(),
            source,
        })?;
        // pg_ctl status: 0 running, 3 not running, 4 no accessible data directory.
        match out.status.code() {
            Some(0) => {
                let pid = std::fs::read_to_string(self.data_dir.join("postmaster.pid"))
                    .ok()
                    .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
                    .unwrap_or(0);
                Ok(ClusterStatus::Running { pid })
            }
            Some(3) => Ok(ClusterStatus::Stopped),
            Some(4) => Ok(ClusterStatus::Missing),
            _ => Err(Error::Command {
                what: format!("pg_ctl status -D {}", self.data_dir.display()),
                status: out.status,
                output: String::from_utf8_lossy(&out.stderr).into_owned(),
            }),
        }
    }

    /// The port the running postmaster listens on, from `postmaster.pid` (line 4).
    pub fn running_port(&self) -> Option<u16> {
        std::fs::read_to_string(self.data_dir.join("postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().nth(3).and_then(|l| l.trim().parse().ok()))
    }

    /// The last `lines` lines of the server log, for failure reports.
    pub fn log_tail(&self, lines: usize) -> String {
        match std::fs::read_to_string(&self.log_file) {
            Ok(text) => {
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(lines)..].join("\n")
            }
            Err(e) => format!("(cannot read {}: {e})", self.log_file.display()),
        }
    }

    /// Writes a file only the server's OS user (and root) can read.
    fn write_server_file(&self, path: &Path, contents: &str) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io("writing", path, e))?;
        f.write_all(contents.as_bytes())
            .map_err(|e| Error::io("writing", path, e))?;
        drop(f);
        self.install.give_to_server_user(path)
    }
}
