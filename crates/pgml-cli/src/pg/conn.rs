//! A server given as a libpq URL or connection string. Passwords come from the URL, PGPASSWORD or
//! ~/.pgpass, are never printed (URLs are shown masked) and never put on a child's command line.

use std::path::PathBuf;
use std::str::FromStr;

use postgres::config::Host;

use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Server {
    /// The URL as given, for messages only through `masked()`.
    given: String,
    config: postgres::Config,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Server {
    pub fn parse(url: &str) -> Result<Server> {
        let mut config = postgres::Config::from_str(url).map_err(|e| Error::Usage {
            message: format!("{} is not a valid connection URL: {e}", mask(url)),
            hint: Some("use postgresql://user@host:port/database".into()),
        })?;
        if config.get_password().is_none() {
            if let Some(p) = std::env::var_os("PGPASSWORD") {
                config.password(p.to_string_lossy().as_bytes());
            } else if let Some(p) = pgpass(&config) {
                config.password(p.as_bytes());
            }
        }
        Ok(Server {
            given: url.to_string(),
            config,
        })
    }

    /// Every URL of a repeated option, or the first one that does not parse.
    pub fn parse_all(urls: &[String]) -> Result<Vec<Server>> {
        urls.iter().map(|u| Server::parse(u)).collect()
    }

    /// The URL with any password replaced by `***`.
    pub fn masked(&self) -> String {
        mask(&self.given)
    }

    pub fn connect(&self) -> Result<postgres::Client> {
        self.config.connect(postgres::NoTls).map_err(|e| Error::Server {
            message: format!("cannot connect to {}: {}", self.masked(), pgml_testkit::describe_pg_error(&e)),
            hint: Some("check the URL, that the server runs, and the password (URL, PGPASSWORD or ~/.pgpass)".into()),
        })
    }

    pub fn dbname(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_string()
    }

    /// (host, port, dbname, user, password) as a foreign server and user mapping need them.
    pub fn parts(&self) -> (String, u16, String, String, Option<String>) {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or("postgres").to_string();
        let password = self
            .config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        (host, port, self.dbname(), user, password)
    }

    /// A libpq connection string for a server to reach this one (CREATE SUBSCRIPTION), each value
    /// single-quoted with \ and ' escaped; `password` is given separately so that it can be masked.
    pub fn conninfo(&self, password: Option<&str>) -> String {
        let (host, port, dbname, user, _) = self.parts();
        let q = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        let mut c = format!(
            "host={} port={port} dbname={} user={}",
            q(&host),
            q(&dbname),
            q(&user)
        );
        if let Some(p) = password {
            c.push_str(&format!(" password={}", q(p)));
        }
        c
    }

    /// libpq environment for a child program: the connection without any secret in its argv.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        if let Some(host) = self.config.get_hosts().first() {
            env.push((
                "PGHOST",
                match host {
                    Host::Tcp(h) => h.clone(),
                    Host::Unix(p) => p.display().to_string(),
                },
            ));
        }
        if let Some(port) = self.config.get_ports().first() {
            env.push(("PGPORT", port.to_string()));
        }
        if let Some(user) = self.config.get_user() {
            env.push(("PGUSER", user.to_string()));
        }
        env.push(("PGDATABASE", self.dbname()));
        if let Some(p) = self.config.get_password() {
            env.push(("PGPASSWORD", String::from_utf8_lossy(p).into_owned()));
        }
        env
    }
}

/// Masks the password of a URL (`postgresql://user:secret@host/db` → `postgresql://user:***@host/db`)
/// or of a key=value string (`password=secret` → `password=***`).
pub fn mask(url: &str) -> String {
    if let Some(rest) = url.split_once("://") {
        let (scheme, rest) = rest;
        if let Some((auth, tail)) = rest.split_once('@') {
            if let Some((user, _)) = auth.split_once(':') {
                return format!("{scheme}://{user}:***@{tail}");
            }
        }
        return url.to_string();
    }
    url.split_whitespace()
        .map(|kv| match kv.split_once('=') {
            Some(("password", _)) => "password=***".to_string(),
            _ => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The password for this connection from ~/.pgpass (or PGPASSFILE), as libpq would find it.
fn pgpass(config: &postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(_)) | None => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or("").to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    let wanted = [host.as_str(), port.as_str(), db.as_str(), user.as_str()];
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields: Vec<&str> = line.splitn(5, ':').collect();
            if fields.len() != 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(f, w)| *f == "*" || *f == w);
            matches.then(|| fields[4].to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask("postgresql://app:s3cret@db:5432/shop"),
            "postgresql://app:***@db:5432/shop"
        );
        assert_eq!(mask("postgresql://app@db/shop"), "postgresql://app@db/shop");
        assert_eq!(
            mask("host=db password=s3cret dbname=x"),
            "host=db password=*** dbname=x"
        );
        let s = Server::parse("postgresql://app:s3cret@127.0.0.1:5999/shop").unwrap();
        assert!(!format!("{s:?}").contains("s3cret"));
        assert!(s.env().contains(&("PGPASSWORD", "s3cret".to_string())));
        assert!(s.env().contains(&("PGDATABASE", "shop".to_string())));
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        assert!(matches!(
            Server::parse("postgresql://a:b@h:notaport/db"),
            Err(Error::Usage { .. })
        ));
    }
}
