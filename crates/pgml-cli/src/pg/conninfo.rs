//! libpq's connection parameters, read and completed the way psql does: a URL
//! (`postgresql://user:pw@host:port/db?sslmode=require`) or a `key=value` string, then a service
//! (`service=` or PGSERVICE, from pg_service.conf), then the PG* environment, then libpq's
//! defaults, then the password file. The `postgres` crate's own parser knows neither services, nor
//! the environment, nor `verify-ca`/`verify-full`, so pgml resolves everything here and hands the
//! crate (and pg_dump/psql) explicit values.
//!
//! No error from this module quotes a password: messages name keys, and values only of keys that
//! are not secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every keyword libpq 15 accepts, with the environment variable that supplies it when it is unset.
const KEYWORDS: &[(&str, Option<&str>)] = &[
    ("host", Some("PGHOST")),
    ("hostaddr", Some("PGHOSTADDR")),
    ("port", Some("PGPORT")),
    ("dbname", Some("PGDATABASE")),
    ("user", Some("PGUSER")),
    ("password", Some("PGPASSWORD")),
    ("passfile", Some("PGPASSFILE")),
    ("service", Some("PGSERVICE")),
    ("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    ("client_encoding", Some("PGCLIENTENCODING")),
    ("options", Some("PGOPTIONS")),
    ("application_name", Some("PGAPPNAME")),
    ("fallback_application_name", None),
    ("keepalives", None),
    ("keepalives_idle", None),
    ("keepalives_interval", None),
    ("keepalives_count", None),
    ("tcp_user_timeout", None),
    ("sslmode", Some("PGSSLMODE")),
    ("sslcompression", Some("PGSSLCOMPRESSION")),
    ("sslcert", Some("PGSSLCERT")),
    ("sslkey", Some("PGSSLKEY")),
    ("sslpassword", None),
    ("sslrootcert", Some("PGSSLROOTCERT")),
    ("sslcrl", Some("PGSSLCRL")),
    ("sslcrldir", Some("PGSSLCRLDIR")),
    ("sslsni", Some("PGSSLSNI")),
    ("requirepeer", Some("PGREQUIREPEER")),
    ("ssl_min_protocol_version", Some("PGSSLMINPROTOCOLVERSION")),
    ("ssl_max_protocol_version", Some("PGSSLMAXPROTOCOLVERSION")),
    ("gssencmode", Some("PGGSSENCMODE")),
    ("krbsrvname", Some("PGKRBSRVNAME")),
    ("gsslib", Some("PGGSSLIB")),
    ("channel_binding", Some("PGCHANNELBINDING")),
    ("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    ("replication", None),
];

/// Keys whose values are secret: never printed, never put on a command line.
pub const SECRET_KEYS: &[&str] = &["password", "sslpassword"];

/// Every environment variable libpq reads for a connection; children get ours instead of these.
pub fn libpq_env_vars() -> impl Iterator<Item = &'static str> {
    KEYWORDS.iter().filter_map(|(_, env)| *env).chain([
        "PGSERVICEFILE",
        "PGSYSCONFDIR",
        "PGREALM",
        "PGTZ",
        "PGDATESTYLE",
    ])
}

pub const SSL_MODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// Debian's libpq looks for unix sockets here when no host is given.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

pub type Params = BTreeMap<String, String>;

/// Splits a connection string into keywords, as libpq's `PQconninfoParse` does (without defaults).
pub fn parse(input: &str) -> Result<Params, String> {
    let trimmed = input.trim_start();
    let params = if let Some(rest) = trimmed
        .strip_prefix("postgresql://")
        .or_else(|| trimmed.strip_prefix("postgres://"))
    {
        parse_url(rest)?
    } else if trimmed.contains('=') {
        parse_keywords(trimmed)?
    } else if trimmed.is_empty() {
        Params::new()
    } else {
        // psql takes a bare word as a database name.
        Params::from([("dbname".to_string(), trimmed.to_string())])
    };
    for key in params.keys() {
        if !KEYWORDS.iter().any(|(k, _)| k == key) {
            return Err(format!("invalid connection option \"{key}\""));
        }
    }
    if let Some(mode) = params.get("sslmode") {
        check_sslmode(mode)?;
    }
    Ok(params)
}

fn check_sslmode(mode: &str) -> Result<(), String> {
    if SSL_MODES.contains(&mode) {
        Ok(())
    } else {
        Err(format!(
            "invalid sslmode value \"{mode}\" (one of {})",
            SSL_MODES.join(", ")
        ))
    }
}

fn parse_url(rest: &str) -> Result<Params, String> {
    let mut params = Params::new();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match main.find('/') {
        Some(i) => (&main[..i], Some(&main[i + 1..])),
        None => (main, None),
    };
    // The password may contain '@' only percent-encoded; the last '@' ends the user part.
    let hostspec = match authority.rfind('@') {
        Some(i) => {
            let userinfo = &authority[..i];
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                params.insert("user".into(), decode(user, "user")?);
            }
            if let Some(p) = password {
                // A decoding error must not show the password.
                params.insert(
                    "password".into(),
                    decode(p, "password").map_err(|_| {
                        "the password in the URL has an invalid percent-encoding".to_string()
                    })?,
                );
            }
            &authority[i + 1..]
        }
        None => authority,
    };
    let (mut hosts, mut ports) = (Vec::new(), Vec::new());
    for spec in hostspec.split(',').filter(|s| !s.is_empty()) {
        let (host, port) = if let Some(v6) = spec.strip_prefix('[') {
            let Some((h, tail)) = v6.split_once(']') else {
                return Err("an IPv6 host address in the URL lacks its closing ']'".into());
            };
            (h.to_string(), tail.strip_prefix(':'))
        } else {
            match spec.rsplit_once(':') {
                Some((h, p)) => (decode(h, "host")?, Some(p)),
                None => (decode(spec, "host")?, None),
            }
        };
        hosts.push(host);
        ports.push(port.unwrap_or("").to_string());
    }
    if hosts.iter().any(|h| !h.is_empty()) {
        params.insert("host".into(), hosts.join(","));
    }
    if ports.iter().any(|p| !p.is_empty()) {
        params.insert("port".into(), ports.join(","));
    }
    if let Some(db) = path.filter(|p| !p.is_empty()) {
        params.insert("dbname".into(), decode(db, "dbname")?);
    }
    for pair in query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(format!(
                "URI query parameter \"{}\" has no value",
                decode(pair, "parameter")?
            ));
        };
        let key = decode(k, "parameter")?;
        let value = if SECRET_KEYS.contains(&key.as_str()) {
            decode(v, &key)
                .map_err(|_| format!("the {key} parameter has an invalid percent-encoding"))?
        } else {
            decode(v, &key)?
        };
        // libpq's JDBC-compatible spelling.
        if key == "ssl" {
            if value == "true" {
                params.insert("sslmode".into(), "require".into());
                continue;
            }
            return Err(format!("invalid ssl value \"{value}\" (only ssl=true)"));
        }
        params.insert(key, value);
    }
    Ok(params)
}

fn decode(s: &str, what: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid percent-encoded token in the URL's {what}"))?;
            if hex == 0 {
                return Err(format!("forbidden %00 in the URL's {what}"));
            }
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the URL's {what} is not valid UTF-8"))
}

/// `key = value` pairs separated by white space; a value may be single-quoted, and `\` escapes
/// the next character (libpq's `conninfo_parse`).
fn parse_keywords(s: &str) -> Result<Params, String> {
    let mut params = Params::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(params);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!(
                "missing \"=\" after \"{key}\" in the connection string"
            ));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(format!(
                            "unterminated quoted value of \"{key}\" in the connection string"
                        ))
                    }
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        params.insert(key, value);
    }
}

/// Where values come from besides the string itself; a trait so that tests need not touch the
/// process environment.
pub trait Sources {
    fn env(&self, name: &str) -> Option<String>;
    fn read(&self, path: &Path) -> Option<String>;
    /// Whether a password file may be used: libpq ignores one that others can read.
    fn private_file(&self, path: &Path) -> bool;
    fn os_user(&self) -> Option<String>;
    fn home(&self) -> Option<PathBuf> {
        self.env("HOME").map(PathBuf::from)
    }
}

/// The real process: its environment, files and OS user.
#[derive(Debug)]
pub struct Process;

impl Sources for Process {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn read(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
    fn private_file(&self, path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o077 == 0 => true,
            Ok(m) if m.is_file() => {
                eprintln!(
                    "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less (ignored, as psql does)",
                    path.display()
                );
                false
            }
            _ => false,
        }
    }
    fn os_user(&self) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        // /proc/self belongs to the process's effective uid; /etc/passwd names it (libpq asks getpwuid).
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2).then(|| (f[0], f[2]))
            })
            .find(|(_, id)| id.parse() == Ok(uid))
            .map(|(name, _)| name.to_string())
            .or_else(|| std::env::var("USER").ok())
    }
}

/// Completes `given` as libpq does: the service's values, then the environment's, then defaults,
/// then the password file. Returns the full set of values the connection will use.
pub fn resolve(given: Params, src: &dyn Sources) -> Result<Params, String> {
    let mut params = given;
    let service = params
        .get("service")
        .cloned()
        .or_else(|| src.env("PGSERVICE"));
    if let Some(service) = service.filter(|s| !s.is_empty()) {
        for (k, v) in service_params(&service, src)? {
            params.entry(k).or_insert(v);
        }
    }
    for (key, env) in KEYWORDS {
        if params.contains_key(*key) {
            continue;
        }
        if let Some(v) = env.and_then(|e| src.env(e)) {
            params.insert(key.to_string(), v);
        }
    }
    if let Some(mode) = params.get("sslmode") {
        check_sslmode(mode)?;
    }
    params
        .entry("sslmode".into())
        .or_insert_with(|| "prefer".into());
    if params.get("host").is_none_or(|h| h.is_empty()) && !params.contains_key("hostaddr") {
        params.insert("host".into(), DEFAULT_SOCKET_DIR.into());
    }
    if params.get("port").is_none_or(|p| p.is_empty()) {
        params.insert("port".into(), "5432".into());
    }
    for port in params["port"].split(',') {
        if port.parse::<u16>().is_err() {
            return Err(format!("invalid port number: \"{port}\""));
        }
    }
    if params.get("user").is_none_or(|u| u.is_empty()) {
        let user = src
            .os_user()
            .ok_or("no user name given and the OS user is unknown: set user= or PGUSER")?;
        params.insert("user".into(), user);
    }
    if params.get("dbname").is_none_or(|d| d.is_empty()) {
        let user = params["user"].clone();
        params.insert("dbname".into(), user);
    }
    if params.get("password").is_none_or(|p| p.is_empty()) {
        params.remove("password");
        if let Some(p) = pgpass(&params, src) {
            params.insert("password".into(), p);
        }
    }
    Ok(params)
}

/// The values of `[service]` in the user's ~/.pg_service.conf (or PGSERVICEFILE), else in the
/// system's pg_service.conf (PGSYSCONFDIR, Debian's /etc/postgresql-common).
fn service_params(service: &str, src: &dyn Sources) -> Result<Params, String> {
    let user_file = src
        .env("PGSERVICEFILE")
        .map(PathBuf::from)
        .or_else(|| src.home().map(|h| h.join(".pg_service.conf")));
    let system_file = PathBuf::from(
        src.env("PGSYSCONFDIR")
            .unwrap_or_else(|| "/etc/postgresql-common".into()),
    )
    .join("pg_service.conf");
    for file in user_file.iter().chain([&system_file]) {
        let Some(text) = src.read(file) else { continue };
        let mut inside = false;
        let mut found = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                if inside {
                    break;
                }
                inside = name == service;
                if inside {
                    found = Some(Params::new());
                }
                continue;
            }
            if !inside {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(format!(
                    "syntax error in service file \"{}\", line {}",
                    file.display(),
                    n + 1
                ));
            };
            let k = k.trim();
            if k == "service" {
                return Err(format!(
                    "nested service specifications not supported in service file \"{}\", line {}",
                    file.display(),
                    n + 1
                ));
            }
            if !KEYWORDS.iter().any(|(kw, _)| *kw == k) {
                return Err(format!(
                    "syntax error in service file \"{}\", line {}: invalid connection option \"{k}\"",
                    file.display(),
                    n + 1
                ));
            }
            if let Some(p) = found.as_mut() {
                p.insert(k.to_string(), v.trim().to_string());
            }
        }
        if let Some(p) = found {
            return Ok(p);
        }
    }
    Err(format!("definition of service \"{service}\" not found"))
}

/// The password for these parameters from the password file (passfile, PGPASSFILE, ~/.pgpass),
/// matched as libpq matches it: a unix socket counts as `localhost`; `*` matches anything; `\`
/// escapes `:` and `\`.
fn pgpass(params: &Params, src: &dyn Sources) -> Option<String> {
    let path = params
        .get("passfile")
        .map(PathBuf::from)
        .or_else(|| src.home().map(|h| h.join(".pgpass")))?;
    if !src.private_file(&path) {
        return None;
    }
    let text = src.read(&path)?;
    let host = params
        .get("host")
        .map(|h| h.split(',').next().unwrap_or(""));
    let host = match host {
        Some(h) if !h.is_empty() && !h.starts_with('/') => h.to_string(),
        _ => "localhost".to_string(),
    };
    let port = params
        .get("port")
        .map(|p| p.split(',').next().unwrap_or("5432"))?;
    let wanted = [
        host.as_str(),
        port,
        params.get("dbname")?.as_str(),
        params.get("user")?.as_str(),
    ];
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split_pgpass(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(f, w)| f == "*" || f == w);
            matches.then(|| fields[4..].join(":"))
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if let Some(f) = fields.last_mut() {
                        f.push(n);
                    }
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Fake {
        env: HashMap<String, String>,
        files: HashMap<PathBuf, String>,
    }

    impl Sources for Fake {
        fn env(&self, name: &str) -> Option<String> {
            self.env.get(name).cloned()
        }
        fn read(&self, path: &Path) -> Option<String> {
            self.files.get(path).cloned()
        }
        fn private_file(&self, path: &Path) -> bool {
            self.files.contains_key(path)
        }
        fn os_user(&self) -> Option<String> {
            Some("osuser".into())
        }
    }

    fn fake(env: &[(&str, &str)], files: &[(&str, &str)]) -> Fake {
        Fake {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: files
                .iter()
                .map(|(k, v)| (PathBuf::from(k), v.to_string()))
                .collect(),
        }
    }

    fn get(p: &Params, k: &str) -> String {
        p.get(k).cloned().unwrap_or_default()
    }

    #[test]
    fn urls() {
        let p = parse("postgresql://app:s%40cret@db.example:6543/shop?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x").unwrap();
        assert_eq!(get(&p, "user"), "app");
        assert_eq!(get(&p, "password"), "s@cret");
        assert_eq!(get(&p, "host"), "db.example");
        assert_eq!(get(&p, "port"), "6543");
        assert_eq!(get(&p, "dbname"), "shop");
        assert_eq!(get(&p, "sslmode"), "verify-full");
        assert_eq!(get(&p, "sslrootcert"), "/ca.pem");
        let p = parse("postgres://[::1]:5433,h2/db?password=readpw").unwrap();
        assert_eq!(get(&p, "host"), "::1,h2");
        assert_eq!(get(&p, "port"), "5433,");
        assert_eq!(get(&p, "password"), "readpw");
        let p = parse("postgresql:///shop?host=%2Fvar%2Frun%2Fpostgresql").unwrap();
        assert_eq!(get(&p, "host"), "/var/run/postgresql");
        assert!(!p.contains_key("user"));
        assert_eq!(
            get(&parse("postgresql://h/?ssl=true").unwrap(), "sslmode"),
            "require"
        );
    }

    #[test]
    fn keyword_strings() {
        let p = parse("host=db  password = readpw dbname='my db' user=a\\ b").unwrap();
        assert_eq!(get(&p, "host"), "db");
        assert_eq!(get(&p, "password"), "readpw");
        assert_eq!(get(&p, "dbname"), "my db");
        assert_eq!(get(&p, "user"), "a b");
        assert_eq!(get(&parse("service=foo").unwrap(), "service"), "foo");
        assert_eq!(get(&parse("shop").unwrap(), "dbname"), "shop");
    }

    #[test]
    fn errors_never_quote_passwords() {
        for bad in [
            "postgresql://u:readpw%zz@h/db",
            "postgresql://u@h/db?password=readpw%zz",
            "password = 'readpw",
            "password=readpw bogus=1",
            "postgresql://u:readpw@h/db?sslmode=sometimes",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(!e.contains("readpw"), "{bad}: {e}");
        }
        assert!(parse("sslmode=verify-full").is_ok());
        assert!(parse("sslmode=verify-fool").is_err());
    }

    #[test]
    fn environment_fills_what_is_missing() {
        let src = fake(
            &[
                ("PGHOST", "envhost"),
                ("PGPORT", "6000"),
                ("PGUSER", "envuser"),
                ("PGSSLMODE", "require"),
            ],
            &[],
        );
        let p = resolve(parse("postgresql://h2/db").unwrap(), &src).unwrap();
        assert_eq!(get(&p, "host"), "h2");
        assert_eq!(
            get(&p, "port"),
            "6000",
            "PGPORT applies to a URL without a port"
        );
        assert_eq!(get(&p, "user"), "envuser");
        assert_eq!(get(&p, "sslmode"), "require");
        let p = resolve(parse("dbname=shop").unwrap(), &src).unwrap();
        assert_eq!(get(&p, "host"), "envhost");
        let p = resolve(Params::new(), &fake(&[], &[])).unwrap();
        assert_eq!(get(&p, "user"), "osuser");
        assert_eq!(get(&p, "dbname"), "osuser");
        assert_eq!(get(&p, "host"), DEFAULT_SOCKET_DIR);
        assert_eq!(get(&p, "sslmode"), "prefer");
    }

    #[test]
    fn services_and_password_files() {
        let src = fake(
            &[("HOME", "/home/u"), ("PGSERVICE", "fallback")],
            &[
                (
                    "/home/u/.pg_service.conf",
                    "# mine\n[shop]\nhost=svc.example\nport=7000\ndbname=shop\nuser=reader\n[other]\nhost=x\n",
                ),
                ("/etc/postgresql-common/pg_service.conf", "[fallback]\nhost=sys\n"),
                ("/home/u/.pgpass", "svc.example:7000:shop:reader:pa\\:ss\n*:*:*:*:any\n"),
            ],
        );
        let p = resolve(parse("service=shop").unwrap(), &src).unwrap();
        assert_eq!(get(&p, "host"), "svc.example");
        assert_eq!(get(&p, "port"), "7000");
        assert_eq!(get(&p, "password"), "pa:ss");
        let p = resolve(parse("service=shop port=7001").unwrap(), &src).unwrap();
        assert_eq!(
            get(&p, "port"),
            "7001",
            "given values win over the service's"
        );
        assert_eq!(get(&p, "password"), "any");
        let p = resolve(parse("user=x").unwrap(), &src).unwrap();
        assert_eq!(get(&p, "host"), "sys", "PGSERVICE from the system file");
        assert!(resolve(parse("service=nope").unwrap(), &src)
            .unwrap_err()
            .contains("definition of service \"nope\" not found"));
    }
}
