use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::{Error, Result};

/// The PostgreSQL major version pgml is built and tested against.
pub const PG_MAJOR: u32 = 15;

/// Where the PostgreSQL binaries are and which OS user runs servers.
#[derive(Debug, Clone)]
pub struct PgInstall {
    bin_dir: PathBuf,
    /// Set when this process runs as root: servers then run as this user.
    server_user: Option<OsUser>,
}

#[derive(Debug, Clone)]
struct OsUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl PgInstall {
    /// Finds the binaries: `$PGML_PG_BIN`, else `pg_config --bindir` of `$PG_CONFIG`, else Debian's
    /// `/usr/lib/postgresql/15/bin`. As root, servers run as `$PGML_OS_USER` (default `postgres`).
    pub fn detect() -> Result<Self> {
        let bin_dir = if let Some(dir) = std::env::var_os("PGML_PG_BIN") {
            PathBuf::from(dir)
        } else if let Some(pg_config) = std::env::var_os("PG_CONFIG") {
            let out = Command::new(&pg_config)
                .arg("--bindir")
                .output()
                .map_err(|source| Error::Spawn {
                    program: PathBuf::from(&pg_config).display().to_string(),
                    source,
                })?;
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        } else {
            PathBuf::from(format!("/usr/lib/postgresql/{PG_MAJOR}/bin"))
        };
        for program in ["initdb", "pg_ctl", "postgres"] {
            if !bin_dir.join(program).is_file() {
                return Err(Error::NoInstall(format!(
                    "{} is missing; install postgresql-{PG_MAJOR} (scripts/bootstrap does), \
                     or point PG_CONFIG or PGML_PG_BIN at another installation",
                    bin_dir.join(program).display()
                )));
            }
        }
        let server_user = if effective_uid()? == 0 {
            let name = std::env::var("PGML_OS_USER").unwrap_or_else(|_| "postgres".into());
            Some(lookup_user(&name)?)
        } else {
            None
        };
        Ok(PgInstall {
            bin_dir,
            server_user,
        })
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    pub fn bin(&self, program: &str) -> PathBuf {
        self.bin_dir.join(program)
    }

    /// Name of the OS user servers run as, when it is not the current one.
    pub fn server_user(&self) -> Option<&str> {
        self.server_user.as_ref().map(|u| u.name.as_str())
    }

    /// A server-side program (initdb, pg_ctl, pg_basebackup) run as the server's OS user.
    pub fn server_command(&self, program: &str) -> Command {
        match &self.server_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(&user.name).arg("--").arg(self.bin(program));
                c
            }
            None => Command::new(self.bin(program)),
        }
    }

    /// A client program (psql, pg_dump) run as the calling user.
    pub fn client_command(&self, program: &str) -> Command {
        Command::new(self.bin(program))
    }

    /// Creates `dir` (and its parents) so that the server's OS user owns it and can use it.
    pub fn create_server_dir(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating directory", dir, e))?;
        self.give_to_server_user(dir)
    }

    /// Makes the server's OS user the owner of `path` (a no-op when that is the current user).
    pub fn give_to_server_user(&self, path: &Path) -> Result<()> {
        if let Some(user) = &self.server_user {
            std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
                .map_err(|e| Error::io("giving to the server user", path, e))?;
        }
        Ok(())
    }
}

/// Runs `cmd`, failing with its combined output when it exits non-zero.
pub fn run(cmd: &mut Command, what: &str) -> Result<Output> {
    cmd.stdin(Stdio::null());
    let out = cmd.output().map_err(|source| Error::Spawn {
        program: format!("{:?}", cmd.get_program()),
        source,
    })?;
    if !out.status.success() {
        return Err(Error::Command {
            what: what.to_string(),
            status: out.status,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(out)
}

/// The effective uid, read without libc: `/proc/self` belongs to the process's effective user.
fn effective_uid() -> Result<u32> {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| Error::io("reading the effective user", "/proc/self", e))
}

fn lookup_user(name: &str) -> Result<OsUser> {
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id")
            .arg(flag)
            .arg(name)
            .output()
            .map_err(|source| Error::Spawn {
                program: "id".into(),
                source,
            })?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| Error::NoOsUser {
                user: name.to_string(),
                hint:
                    "create it (scripts/bootstrap does) or set PGML_OS_USER to an unprivileged user"
                        .into(),
            })
    };
    Ok(OsUser {
        name: name.to_string(),
        uid: id("-u")?,
        gid: id("-g")?,
    })
}
