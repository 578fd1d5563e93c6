use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use pgml_postgres::run;

use crate::{
    free_port, quote_ident, quote_literal, Auth, Cluster, Error, PgInstall, Result, StopMode,
};

const DIR_PREFIX: &str = "pgml-testkit-";

/// Builds a [`Server`] with extra settings.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    name: String,
    settings: Vec<(String, String)>,
}

impl ServerBuilder {
    /// Any `postgresql.conf` setting, e.g. `("max_replication_slots", "20")`.
    pub fn setting(mut self, key: &str, value: &str) -> Self {
        self.settings.retain(|(k, _)| k != key);
        self.settings.push((key.to_string(), value.to_string()));
        self
    }

    /// `wal_level = logical`, for a server that publishes tables.
    pub fn logical_replication(self) -> Self {
        self.setting("wal_level", "logical")
    }

    /// Runs initdb in a new temporary directory and starts the server on a free loopback port.
    pub fn start(self) -> Result<Server> {
        let install = PgInstall::detect()?;
        let server = Server::new_dir(install, self.name, self.settings, None)?;
        server
            .cluster
            .init(&Auth::Password(server.password.clone()))?;
        server.start_on_free_port()
    }
}

/// A throwaway PostgreSQL server on 127.0.0.1, in its own temporary directory, run by the server OS
/// user. TCP needs the superuser's password (as in production); the unix socket, used for admin
/// tooling, is `trust`. Dropping it stops the server and removes the directory; when the thread is
/// panicking the end of the server log is printed first. `PGML_TESTKIT_KEEP=1` keeps the directory.
#[derive(Debug)]
pub struct Server {
    name: String,
    cluster: Cluster,
    base_dir: PathBuf,
    port: u16,
    password: String,
    settings: Vec<(String, String)>,
    running: bool,
}

impl Server {
    pub fn builder(name: &str) -> ServerBuilder {
        ServerBuilder {
            name: name.to_string(),
            settings: Vec::new(),
        }
    }

    /// A server with default settings.
    pub fn start(name: &str) -> Result<Server> {
        Server::builder(name).start()
    }

    fn new_dir(
        install: PgInstall,
        name: String,
        settings: Vec<(String, String)>,
        password: Option<String>,
    ) -> Result<Server> {
        static CLEANUP: Once = Once::new();
        CLEANUP.call_once(|| remove_leftovers(&install));
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let base_dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        if base_dir.exists() {
            std::fs::remove_dir_all(&base_dir).map_err(|e| Error::io("removing", &base_dir, e))?;
        }
        install.create_server_dir(&base_dir)?;
        install.create_server_dir(&base_dir.join("run"))?;
        let cluster = Cluster::new(install, base_dir.join("data"), base_dir.join("server.log"));
        Ok(Server {
            name,
            cluster,
            base_dir,
            port: 0,
            password: password.unwrap_or_else(random_password),
            settings,
            running: false,
        })
    }

    fn start_on_free_port(mut self) -> Result<Server> {
        for _ in 0..5 {
            self.port = free_port()?;
            self.cluster.configure(&self.all_settings())?;
            match self.cluster.start() {
                Ok(()) => {
                    self.running = true;
                    return Ok(self);
                }
                // Another process took the port between our probe and the server's bind: try another.
                Err(_) if self.cluster.log_tail(20).contains("could not bind") => continue,
                Err(_) => break,
            }
        }
        Err(Error::StartFailed {
            name: self.name.clone(),
            log: self.cluster.log_file().to_path_buf(),
            tail: self.cluster.log_tail(30),
        })
    }

    fn all_settings(&self) -> Vec<(String, String)> {
        let mut s = vec![
            ("port".to_string(), self.port.to_string()),
            ("listen_addresses".into(), "127.0.0.1".into()),
            (
                "unix_socket_directories".into(),
                self.socket_dir().display().to_string(),
            ),
            // Throwaway servers: durability only costs test time.
            ("fsync".into(), "off".into()),
            ("log_line_prefix".into(), "%m [%p] %q%u@%d ".into()),
        ];
        s.extend(self.settings.iter().cloned());
        s
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `postgres` superuser's password (TCP connections need it).
    pub fn password(&self) -> &str {
        &self.password
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.base_dir.join("run")
    }

    pub fn data_dir(&self) -> &Path {
        self.cluster.data_dir()
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn log(&self) -> String {
        self.cluster.log_tail(usize::MAX)
    }

    /// A libpq URL for the superuser over loopback TCP.
    pub fn url(&self, db: &str) -> String {
        self.url_as("postgres", &self.password, db)
    }

    /// A libpq URL for another role over loopback TCP (user, password and database percent-encoded).
    pub fn url_as(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgresql://{}:{}@127.0.0.1:{}/{}",
            percent_encode(user),
            percent_encode(password),
            self.port,
            percent_encode(db)
        )
    }

    /// A connection as the superuser over loopback TCP.
    pub fn connect(&self, db: &str) -> Result<postgres::Client> {
        postgres::Client::connect(&self.url(db), postgres::NoTls).map_err(|e| self.sql_error(e))
    }

    /// Runs one or more statements as the superuser.
    pub fn execute(&self, db: &str, sql: &str) -> Result<()> {
        self.connect(db)?
            .batch_execute(sql)
            .map_err(|e| self.sql_error(e))
    }

    /// The first column of the first row of `sql`, as text (NULL is `None`).
    pub fn query_text(&self, db: &str, sql: &str) -> Result<Option<String>> {
        let rows = self
            .connect(db)?
            .simple_query(sql)
            .map_err(|e| self.sql_error(e))?;
        Ok(rows
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
                _ => None,
            })
            .flatten())
    }

    pub fn create_database(&self, db: &str) -> Result<()> {
        self.execute("postgres", &format!("CREATE DATABASE {}", quote_ident(db)))
    }

    /// `CREATE ROLE name LOGIN PASSWORD ... <attributes>`, e.g. attributes `"REPLICATION"`.
    pub fn create_role(&self, name: &str, password: &str, attributes: &str) -> Result<()> {
        self.execute(
            "postgres",
            &format!(
                "CREATE ROLE {} LOGIN PASSWORD {} {attributes}",
                quote_ident(name),
                quote_literal(password)
            ),
        )
    }

    /// A client program (psql, pg_dump, ...) set up to reach `db` on this server over its unix
    /// socket as the superuser, so no password is needed or exposed.
    pub fn command(&self, program: &str, db: &str) -> Command {
        let mut cmd = self.cluster.install().client_command(program);
        cmd.env("PGHOST", self.socket_dir())
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", db)
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE");
        cmd
    }

    /// Runs `sql` through psql (stopping at the first error) and returns its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String> {
        let mut cmd = self.command("psql", db);
        cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]);
        let out = run(&mut cmd, &format!("psql on {}", self.name))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// A hot standby of this server (`pg_basebackup -R`), streaming from it over the unix socket.
    pub fn standby(&self, name: &str) -> Result<Server> {
        let install = self.cluster.install().clone();
        let standby = Server::new_dir(
            install.clone(),
            name.to_string(),
            self.settings.clone(),
            Some(self.password.clone()),
        )?;
        let mut cmd = install.server_command("pg_basebackup");
        cmd.arg("-h")
            .arg(self.socket_dir())
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", "postgres", "-R", "-X", "stream", "-c", "fast", "-D"])
            .arg(standby.data_dir());
        run(&mut cmd, &format!("pg_basebackup of {}", self.name))?;
        standby.start_on_free_port()
    }

    /// Waits until `standby` has replayed everything this server has written so far.
    pub fn wait_for_replay(&self, standby: &Server) -> Result<()> {
        let lsn = self
            .query_text("postgres", "SELECT pg_current_wal_lsn()::text")?
            .unwrap_or_default();
        let sql = format!("SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if standby.query_text("postgres", &sql)?.as_deref() == Some("t") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(Error::Timeout(format!(
            "standby {} did not replay {} up to {lsn} within 60 s",
            standby.name, self.name
        )))
    }

    pub fn stop(&mut self) -> Result<()> {
        if self.running {
            self.cluster.stop(StopMode::Fast)?;
            self.running = false;
        }
        Ok(())
    }

    /// Starts a stopped server again on the same port.
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.cluster.start()?;
        self.running = true;
        Ok(())
    }

    fn sql_error(&self, source: postgres::Error) -> Error {
        Error::Sql {
            server: self.name.clone(),
            source,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let keep = std::env::var("PGML_TESTKIT_KEEP").is_ok_and(|v| v == "1");
        if std::thread::panicking() {
            eprintln!(
                "---- pgml-testkit: server {} (port {}), last lines of {} ----\n{}\n----",
                self.name,
                self.port,
                self.cluster.log_file().display(),
                self.cluster.log_tail(60)
            );
        }
        if self.running {
            let mode = if keep {
                StopMode::Fast
            } else {
                StopMode::Immediate
            };
            if let Err(e) = self.cluster.stop(mode) {
                eprintln!("pgml-testkit: stopping {}: {e}", self.name);
            }
        }
        if keep {
            eprintln!(
                "pgml-testkit: kept {} (PGML_TESTKIT_KEEP=1)",
                self.base_dir.display()
            );
        } else if let Err(e) = std::fs::remove_dir_all(&self.base_dir) {
            eprintln!("pgml-testkit: removing {}: {e}", self.base_dir.display());
        }
    }
}

/// Stops servers and removes directories left by test processes that were killed before their
/// drops ran (a SIGKILLed `cargo test`), so they do not pile up and hold ports.
fn remove_leftovers(install: &PgInstall) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue; // its owner is alive (or the pid was reused): leave it
        }
        let dir = entry.path();
        let data = dir.join("data");
        if data.join("postmaster.pid").exists() {
            let cluster = Cluster::new(install.clone(), &data, dir.join("server.log"));
            let _ = cluster.stop(StopMode::Immediate);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn random_password() -> String {
    // RandomState is seeded from the OS per process; good enough for a loopback test server.
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("pw{:016x}{:08x}", h.finish(), std::process::id())
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a URL's user, password or path.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(percent_encode("abc-XYZ_0.9~"), "abc-XYZ_0.9~");
        assert_eq!(percent_encode("p@ss w:rd/é"), "p%40ss%20w%3Ard%2F%C3%A9");
    }
}
