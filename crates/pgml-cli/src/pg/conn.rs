//! A server given as a libpq URL, `key=value` string or service, completed as psql completes it
//! (see [`conninfo`]). Passwords come from the string, PGPASSWORD or the password file; they are
//! never printed (servers are shown as a URL without the password) and never put on a child's
//! command line (children get them through their environment).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use postgres::config::{ChannelBinding, SslMode, TargetSessionAttrs};

use crate::error::{Error, Result};
use crate::pg::conninfo::{self, Params};

#[derive(Clone)]
pub struct Server {
    /// Every value the connection uses, after the service, environment, defaults and password file.
    params: Params,
    config: postgres::Config,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Server {
    /// Parses and completes a connection string the way psql does. An empty string means "from
    /// the environment only" (PGHOST, PGSERVICE, ...).
    pub fn parse(url: &str) -> Result<Server> {
        Server::resolve(url, &conninfo::Process)
    }

    pub fn resolve(url: &str, sources: &dyn conninfo::Sources) -> Result<Server> {
        let usage = |reason: String| Error::Usage {
            message: format!("not a valid connection string: {reason}"),
            hint: Some(
                "use postgresql://user@host:port/database?sslmode=require, key=value pairs \
                 (host=... dbname=...) or service=NAME; see docs/cli.md"
                    .into(),
            ),
        };
        let given = conninfo::parse(url).map_err(usage)?;
        let params = conninfo::resolve(given, sources).map_err(usage)?;
        let config = config(&params).map_err(usage)?;
        Ok(Server { params, config })
    }

    /// Every URL of a repeated option, or the first one that does not parse.
    pub fn parse_all(urls: &[String]) -> Result<Vec<Server>> {
        urls.iter().map(|u| Server::parse(u)).collect()
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// The server as a URL without any password, for messages.
    pub fn masked(&self) -> String {
        let host = self.host();
        let port = self.port();
        let mut query = Vec::new();
        let authority = if host.starts_with('/') {
            query.push(format!("host={host}"));
            String::new()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        if host.starts_with('/') {
            query.push(format!("port={port}"));
        }
        let mode = self.sslmode();
        if mode != "prefer" {
            query.push(format!("sslmode={mode}"));
        }
        let mut s = format!("postgresql://{}@{authority}/{}", self.user(), self.dbname());
        if !query.is_empty() {
            s.push('?');
            s.push_str(&query.join("&"));
        }
        s
    }

    pub fn dbname(&self) -> String {
        self.get("dbname").unwrap_or("postgres").to_string()
    }

    pub fn user(&self) -> &str {
        self.get("user").unwrap_or("postgres")
    }

    /// The first host (libpq tries them in order; pgml names the first in messages).
    pub fn host(&self) -> &str {
        self.get("host")
            .and_then(|h| h.split(',').next())
            .filter(|h| !h.is_empty())
            .or(self.get("hostaddr"))
            .unwrap_or(conninfo::DEFAULT_SOCKET_DIR)
    }

    pub fn port(&self) -> u16 {
        self.get("port")
            .and_then(|p| p.split(',').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(5432)
    }

    pub fn sslmode(&self) -> &str {
        self.get("sslmode").unwrap_or("prefer")
    }

    pub fn password(&self) -> Option<&str> {
        self.get("password")
    }

    /// The passphrase of an encrypted client key.
    pub fn sslpassword(&self) -> Option<&str> {
        self.get("sslpassword").filter(|p| !p.is_empty())
    }

    pub fn connect(&self) -> Result<postgres::Client> {
        let fail = |e: String| {
            Error::Server {
            message: format!("cannot connect to {}: {e}", self.masked()),
            hint: Some(
                "check the connection string, that the server runs, the password (URL, PGPASSWORD or ~/.pgpass) \
                 and sslmode / sslrootcert"
                    .into(),
            ),
        }
        };
        let get = |k: &str| self.get(k).map(str::to_string);
        pgml_tls::Tls::new(&get, pgml_tls::home_dir())
            .connect(&self.config)
            .map_err(|e| match e {
                pgml_tls::Error::Settings(e) => fail(e),
                pgml_tls::Error::Connect(e) => fail(describe(&e)),
            })
    }

    /// Cancels the statement running on `token`'s connection, reaching the server as `connect`
    /// does (TLS unless sslmode=disable).
    pub fn cancel(&self, token: &postgres::CancelToken) -> Result<()> {
        let fail = |e: String| Error::Server {
            message: format!("cannot cancel the statement on {}: {e}", self.masked()),
            hint: None,
        };
        if self.sslmode() == "disable" {
            return token
                .cancel_query(postgres::NoTls)
                .map_err(|e| fail(describe(&e)));
        }
        let get = |k: &str| self.get(k).map(str::to_string);
        let tls = pgml_tls::Tls::new(&get, pgml_tls::home_dir())
            .connector()
            .map_err(fail)?;
        token.cancel_query(tls).map_err(|e| fail(describe(&e)))
    }

    /// The connection settings a server that pgml configures (postgres_fdw's foreign server, a
    /// subscription) uses to reach this one: host, port, dbname and the TLS settings. The paths of
    /// sslrootcert/sslcert/sslkey are handed on only when given, and are read on that server's host.
    pub fn server_options(&self) -> Vec<(&'static str, String)> {
        let mut opts = vec![
            ("host", self.get("host").unwrap_or("").to_string()),
            ("port", self.get("port").unwrap_or("5432").to_string()),
            ("dbname", self.dbname()),
        ];
        if let Some(a) = self.get("hostaddr") {
            opts.push(("hostaddr", a.to_string()));
        }
        opts.push(("sslmode", self.sslmode().to_string()));
        for key in ["sslrootcert", "sslcert", "sslkey"] {
            // No default sets these: present means the user gave them (string, service or PG*).
            if let Some(v) = self.get(key) {
                opts.push((key, v.to_string()));
            }
        }
        opts.retain(|(_, v)| !v.is_empty());
        opts
    }

    /// A libpq connection string for a server to reach this one (CREATE SUBSCRIPTION), each value
    /// single-quoted with \ and ' escaped; `password` is given separately so that it can be masked.
    pub fn conninfo(&self, password: Option<&str>) -> String {
        let q = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        let mut parts: Vec<String> = self
            .server_options()
            .iter()
            .map(|(k, v)| format!("{k}={}", q(v)))
            .collect();
        parts.push(format!("user={}", q(self.user())));
        if let Some(p) = password {
            parts.push(format!("password={}", q(p)));
        }
        parts.join(" ")
    }

    /// libpq environment for a child program: the connection without any secret in its argv. Every
    /// value is explicit, so the child resolves nothing differently from pgml.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        for (key, var) in [
            ("host", "PGHOST"),
            ("hostaddr", "PGHOSTADDR"),
            ("port", "PGPORT"),
            ("user", "PGUSER"),
            ("dbname", "PGDATABASE"),
            ("password", "PGPASSWORD"),
            ("sslmode", "PGSSLMODE"),
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
            ("sslcrl", "PGSSLCRL"),
            ("sslcrldir", "PGSSLCRLDIR"),
            ("sslsni", "PGSSLSNI"),
            ("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"),
            ("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"),
            ("connect_timeout", "PGCONNECT_TIMEOUT"),
            ("options", "PGOPTIONS"),
            ("application_name", "PGAPPNAME"),
            ("target_session_attrs", "PGTARGETSESSIONATTRS"),
            ("channel_binding", "PGCHANNELBINDING"),
            ("gssencmode", "PGGSSENCMODE"),
        ] {
            if let Some(v) = self.get(key) {
                env.push((var, v.to_string()));
            }
        }
        // pgml verifies against the system's store by default; Debian's libpq 15 knows no
        // sslrootcert=system, so children are pointed at the system bundle explicitly.
        let verifies = matches!(self.sslmode(), "verify-ca" | "verify-full");
        let get = |k: &str| self.get(k).map(str::to_string);
        if verifies
            && pgml_tls::Tls::new(&get, pgml_tls::home_dir())
                .root_cert_file()
                .is_none()
        {
            env.retain(|(k, _)| *k != "PGSSLROOTCERT");
            if let Some(bundle) = system_bundle() {
                env.push(("PGSSLROOTCERT", bundle.display().to_string()));
            }
        }
        env
    }
}

/// The system's CA bundle, where Debian, Fedora and Alpine keep it.
fn system_bundle() -> Option<PathBuf> {
    [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ]
    .iter()
    .map(Path::new)
    .find(|p| p.is_file())
    .map(Path::to_path_buf)
}

/// The `postgres` crate's configuration for resolved parameters.
fn config(p: &Params) -> std::result::Result<postgres::Config, String> {
    let mut c = postgres::Config::new();
    let ports: Vec<u16> = p
        .get("port")
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    let hosts: Vec<&str> = p
        .get("host")
        .map(|h| h.split(',').collect())
        .unwrap_or_default();
    for h in &hosts {
        if h.starts_with('/') {
            c.host_path(h);
        } else {
            c.host(h);
        }
    }
    if let Some(addrs) = p.get("hostaddr") {
        for a in addrs.split(',') {
            let ip: IpAddr = a.parse().map_err(|_| format!("invalid hostaddr \"{a}\""))?;
            c.hostaddr(ip);
        }
    }
    // libpq: one port for every host, or one port per host.
    let n = hosts.len().max(1);
    for i in 0..n {
        c.port(*ports.get(i).or(ports.first()).unwrap_or(&5432));
    }
    if let Some(u) = p.get("user") {
        c.user(u);
    }
    if let Some(d) = p.get("dbname") {
        c.dbname(d);
    }
    if let Some(pw) = p.get("password") {
        c.password(pw);
    }
    if let Some(o) = p.get("options") {
        c.options(o);
    }
    let app = p
        .get("application_name")
        .or(p.get("fallback_application_name"))
        .map_or("pgml", String::as_str);
    c.application_name(app);
    if let Some(t) = p.get("connect_timeout").filter(|t| !t.is_empty()) {
        let secs: u64 = t
            .parse()
            .map_err(|_| format!("invalid connect_timeout \"{t}\""))?;
        if secs > 0 {
            c.connect_timeout(Duration::from_secs(secs.max(2)));
        }
    }
    match p.get("target_session_attrs").map(String::as_str) {
        None | Some("any") => {}
        Some("read-write") => {
            c.target_session_attrs(TargetSessionAttrs::ReadWrite);
        }
        Some("read-only") => {
            c.target_session_attrs(TargetSessionAttrs::ReadOnly);
        }
        Some(other) => return Err(format!("unsupported target_session_attrs \"{other}\"")),
    }
    match p.get("channel_binding").map(String::as_str) {
        None | Some("prefer") => {}
        Some("disable") => {
            c.channel_binding(ChannelBinding::Disable);
        }
        Some("require") => {
            c.channel_binding(ChannelBinding::Require);
        }
        Some(other) => return Err(format!("invalid channel_binding \"{other}\"")),
    }
    c.ssl_mode(match p.get("sslmode").map(String::as_str) {
        Some("disable") => SslMode::Disable,
        Some("allow" | "prefer") | None => SslMode::Prefer,
        Some(_) => SslMode::Require,
    });
    Ok(c)
}

/// A client error in full, without the connection string (which may hold a password).
fn describe(e: &postgres::Error) -> String {
    pgml_postgres::describe_pg_error(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_never_shown() {
        for given in [
            "postgresql://app:s3cret@127.0.0.1:5999/shop",
            "postgresql://app@127.0.0.1:5999/shop?password=s3cret",
            "host=127.0.0.1 port=5999 user=app dbname=shop password = s3cret",
        ] {
            let s = Server::parse(given).unwrap();
            assert!(!format!("{s:?}").contains("s3cret"), "{s:?}");
            assert_eq!(s.masked(), "postgresql://app@127.0.0.1:5999/shop");
            assert!(s.env().contains(&("PGPASSWORD", "s3cret".to_string())));
            assert!(s.env().contains(&("PGDATABASE", "shop".to_string())));
            assert!(s.conninfo(Some("***")).contains("password='***'"));
        }
    }

    #[test]
    fn tls_settings_are_handed_on() {
        let s = Server::parse(
            "postgresql://app@db.example/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        )
        .unwrap();
        assert_eq!(s.sslmode(), "verify-full");
        let env = s.env();
        assert!(env.contains(&("PGSSLMODE", "verify-full".to_string())));
        assert!(env.contains(&("PGSSLROOTCERT", "/etc/ca.pem".to_string())));
        let opts = s.server_options();
        assert!(opts.contains(&("sslmode", "verify-full".to_string())));
        assert!(opts.contains(&("sslrootcert", "/etc/ca.pem".to_string())));
        assert!(s.conninfo(None).contains("sslmode='verify-full'"));
        assert!(s.masked().ends_with("?sslmode=verify-full"));
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        assert!(matches!(
            Server::parse("postgresql://a:b@h:notaport/db"),
            Err(Error::Usage { .. })
        ));
        assert!(matches!(
            Server::parse("postgresql://a:b@h/db?sslmode=sometimes"),
            Err(Error::Usage { .. })
        ));
    }
}
