//! The one place that runs PostgreSQL's client programs (pg_dump, psql). Connection details and
//! passwords go through the environment, never the command line (visible to every local user).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use pgml_postgres::PgInstall;

use crate::error::{Error, Result};
use crate::pg::conn::Server;

pub fn command(program: &str, server: &Server) -> Result<Command> {
    let install = PgInstall::detect()?;
    let mut cmd = install.client_command(program);
    // pgml resolved the connection already (service, environment, password file): the child gets
    // exactly those values and nothing of the caller's PG* variables that could differ.
    for var in crate::pg::conninfo::libpq_env_vars() {
        cmd.env_remove(var);
    }
    cmd.envs(server.env()).stdin(Stdio::null());
    // libpq reads sslpassword from no environment variable: a service file only pgml's OS user
    // can read carries it (never the command line).
    if let Some(password) = server.sslpassword() {
        let file = secret_service_file(password)?;
        cmd.env("PGSERVICEFILE", &file).env("PGSERVICE", "pgml");
    }
    Ok(cmd)
}

/// Files holding a secret for a child, removed when pgml exits (`remove_secret_files`).
static SECRET_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A service file `[pgml]` holding `sslpassword`, in a directory of its own (0700, file 0600).
fn secret_service_file(sslpassword: &str) -> Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if sslpassword.contains(['\n', '\r']) {
        return Err(Error::Usage {
            message: "sslpassword must be one line (libpq's service files hold one value per line)"
                .into(),
            hint: None,
        });
    }
    let mut files = SECRET_FILES.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!(
        "pgml-secrets-{}-{}",
        std::process::id(),
        files.len()
    ));
    let io = |what: &str, e: std::io::Error| Error::Environment {
        message: format!("cannot write {what}: {e}"),
        hint: Some("check that the temporary directory ($TMPDIR or /tmp) is writable".into()),
    };
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| io(&dir.display().to_string(), e))?;
    let path = dir.join("pg_service.conf");
    files.push(dir);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io(&path.display().to_string(), e))?;
    writeln!(f, "[pgml]\nsslpassword={sslpassword}")
        .map_err(|e| io(&path.display().to_string(), e))?;
    Ok(path)
}

/// Removes the files `command` wrote for its children.
pub fn remove_secret_files() {
    let mut files = SECRET_FILES.lock().unwrap_or_else(|e| e.into_inner());
    for dir in files.drain(..) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// psql's arguments for applying a dump: quiet, one transaction, stop at the first error (so a
/// failed restore leaves nothing behind).
pub fn restore_args() -> Vec<String> {
    [
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        "-o",
        "/dev/null",
    ]
    .map(String::from)
    .to_vec()
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

/// Runs `pg_dump ... | psql ...`, streaming through this process so the bytes can be counted (and,
/// with `progress`, shown on stderr). When either program fails the error is `failed` followed by
/// both programs' messages. Returns the bytes copied.
pub fn pipe(
    mut dump: Command,
    mut restore: Command,
    mut progress: Option<&mut crate::progress::Progress>,
    failed: &str,
) -> Result<u64> {
    use std::io::{Read, Write};

    let mut dump = dump
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error("pg_dump", e))?;
    let mut restore = restore
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error("psql", e))?;
    let (Some(mut from), Some(mut to)) = (dump.stdout.take(), restore.stdin.take()) else {
        return Err(Error::Server {
            message: "could not connect pg_dump to psql".into(),
            hint: None,
        });
    };
    let mut copied: u64 = 0;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = from.read(&mut buffer).map_err(|e| Error::Server {
            message: format!("reading pg_dump's output: {e}"),
            hint: None,
        })?;
        if n == 0 || to.write_all(&buffer[..n]).is_err() {
            break; // the end, or psql stopped: its error is reported below
        }
        copied += n as u64;
        if let Some(p) = progress.as_deref_mut() {
            p.set(copied);
        }
    }
    drop(to);
    if let Some(p) = progress {
        p.finish();
    }
    let dumped = dump
        .wait_with_output()
        .map_err(|e| spawn_error("pg_dump", e))?;
    let restored = restore
        .wait_with_output()
        .map_err(|e| spawn_error("psql", e))?;
    if !dumped.status.success() || !restored.status.success() {
        return Err(Error::Server {
            message: format!(
                "{failed}\npg_dump: {}\npsql: {}",
                String::from_utf8_lossy(&dumped.stderr).trim(),
                String::from_utf8_lossy(&restored.stderr).trim()
            ),
            hint: None,
        });
    }
    Ok(copied)
}
