//! Connections from the coordinator's backend to the shard servers (rust-postgres, on threads:
//! libpq-style blocking I/O never runs on the backend's own thread, which keeps answering
//! interrupts). Each shard is reached as the role its user mapping names, like postgres_fdw.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::shards::Shard;

/// Why a shard failed, kept apart so the error names the shard and the fix.
#[derive(Debug)]
pub struct ShardError {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub hint: Option<String>,
}

impl ShardError {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> ShardError {
        ShardError {
            code,
            message: message.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> ShardError {
        self.hint = Some(hint.into());
        self
    }
    pub fn into_error(self, shard: &Shard) -> PgmlError {
        let e = PgmlError::new(self.code, format!("{}: {}", shard.label(), self.message));
        match self.hint {
            Some(h) => e.hint(h),
            None => e,
        }
    }
}

fn config(shard: &Shard, password: Option<&str>, connect_timeout: Duration) -> postgres::Config {
    let mut c = postgres::Config::new();
    c.host(shard.host.as_deref().unwrap_or("/var/run/postgresql"));
    if let Some(port) = shard.port.as_deref().and_then(|p| p.parse().ok()) {
        c.port(port);
    }
    if let Some(db) = &shard.dbname {
        c.dbname(db);
    }
    if let Some(user) = &shard.user {
        c.user(user);
    }
    if let Some(p) = password {
        c.password(p);
    }
    c.application_name("pgml distributed training");
    c.connect_timeout(connect_timeout);
    c
}

/// Connects to `shard` as its mapped role. For a caller who is not a superuser, as postgres_fdw
/// requires, the mapping must carry a password and the shard must really check it: otherwise a
/// role could reach the shard as any role the coordinator's host is trusted for.
pub fn connect(
    shard: &Shard,
    superuser: bool,
    connect_timeout: Duration,
) -> Result<postgres::Client, ShardError> {
    let password_required = shard.password_required.as_deref() != Some("false");
    if !superuser && password_required {
        if shard.password.is_none() {
            return Err(ShardError::new(
                PgSqlErrorCode::ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED,
                "the user mapping has no password; a non-superuser reaches a shard only with one (as postgres_fdw requires)",
            )
            .hint("ALTER USER MAPPING FOR CURRENT_USER SERVER ... OPTIONS (ADD password '...')"));
        }
        // A connection with a wrong password that succeeds means the shard does not check it.
        if tls_connect(
            shard,
            &config(shard, Some("pgml-probe-not-the-password"), connect_timeout),
        )
        .is_ok()
        {
            return Err(ShardError::new(
                PgSqlErrorCode::ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED,
                "the shard server did not ask for the mapping's password; a non-superuser may only reach shards that authenticate it (as postgres_fdw requires)",
            )
            .hint("make the shard's pg_hba.conf ask for a password (scram-sha-256) from the coordinator"));
        }
    }
    tls_connect(
        shard,
        &config(shard, shard.password.as_deref(), connect_timeout),
    )
}

/// The shard's TLS settings as libpq would read them from the foreign server and user mapping,
/// with `~/.postgresql/` defaults looked up in this server's OS user's home, as postgres_fdw's
/// libpq does.
fn tls_settings(shard: &Shard) -> impl Fn(&str) -> Option<String> + '_ {
    move |k: &str| shard.ssl.get(k).cloned()
}

fn tls_connect(shard: &Shard, config: &postgres::Config) -> Result<postgres::Client, ShardError> {
    let get = tls_settings(shard);
    pgml_tls::Tls::new(&get, pgml_tls::home_dir())
        .connect(config)
        .map_err(|e| match e {
            pgml_tls::Error::Settings(e) => ShardError::new(
                PgSqlErrorCode::ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE,
                format!("the foreign server's TLS settings: {e}"),
            )
            .hint("fix the ssl* options of the foreign server or user mapping (ALTER SERVER ... OPTIONS (SET ...))"),
            pgml_tls::Error::Connect(e) => ShardError::new(
                PgSqlErrorCode::ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
                format!("cannot connect: {}", error_text(&e)),
            )
            .hint("start the shard server, or fix the foreign server's host/port/dbname/ssl* options and the user mapping"),
        })
}

/// Sends a cancel request for the statement running on `token`'s connection, over TLS when the
/// shard's connection used it.
fn cancel(shard: &Shard, token: &postgres::CancelToken) {
    let get = tls_settings(shard);
    let tls = pgml_tls::Tls::new(&get, pgml_tls::home_dir());
    if tls.sslmode() == "disable" {
        let _ = token.cancel_query(postgres::NoTls);
    } else if let Ok(connector) = tls.connector() {
        let _ = token.cancel_query(connector);
    }
}

/// The server's message when there is one (rust-postgres's Display says only "db error").
pub fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s = format!("{s}: {inner}");
                src = inner.source();
            }
            s
        }
    }
}

/// Runs `work` for every shard, each on its own thread with its own connection, while this
/// (the backend's) thread keeps answering interrupts. The first failure cancels the others'
/// statements; so does a cancel of the coordinator's statement (the guard's drop), after which
/// the PostgreSQL error unwinds through here.
pub fn run_all<T: Send + 'static>(
    shards: &[Shard],
    superuser: bool,
    connect_timeout: Duration,
    work: impl Fn(usize, &mut postgres::Client) -> Result<T, ShardError> + Send + Sync + 'static,
) -> Result<Vec<T>> {
    let work = Arc::new(work);
    let cancels: Arc<Mutex<Vec<Option<postgres::CancelToken>>>> =
        Arc::new(Mutex::new(vec![None; shards.len()]));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let (tx, work, cancels, shard) = (tx.clone(), work.clone(), cancels.clone(), shard.clone());
        handles.push(std::thread::spawn(move || {
            let result = connect(&shard, superuser, connect_timeout).and_then(|mut client| {
                if let Ok(mut c) = cancels.lock() {
                    c[i] = Some(client.cancel_token());
                }
                let r = work(i, &mut client);
                if let Ok(mut c) = cancels.lock() {
                    c[i] = None;
                }
                r
            });
            let _ = tx.send((i, result));
        }));
    }
    drop(tx);
    let guard = CancelGuard {
        cancels: cancels.clone(),
        shards: shards.to_vec(),
        armed: true,
    };
    let mut results: Vec<Option<T>> = (0..shards.len()).map(|_| None).collect();
    let mut failure: Option<(usize, ShardError)> = None;
    let mut left = shards.len();
    while left > 0 {
        pg_sys::check_for_interrupts!();
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((i, Ok(v))) => {
                results[i] = Some(v);
                left -= 1;
            }
            Ok((i, Err(e))) => {
                left -= 1;
                if failure.is_none() {
                    failure = Some((i, e));
                    guard.cancel_all();
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut guard = guard;
    guard.armed = false;
    for h in handles {
        let _ = h.join();
    }
    if let Some((i, e)) = failure {
        return Err(e.into_error(&shards[i]));
    }
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.ok_or_else(|| {
                PgmlError::new(
                    PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
                    format!(
                        "{}: the shard's thread ended without an answer",
                        shards[i].label()
                    ),
                )
            })
        })
        .collect()
}

/// Cancels every shard statement still running when dropped armed (the coordinator's statement
/// was cancelled or failed while the shards worked).
struct CancelGuard {
    cancels: Arc<Mutex<Vec<Option<postgres::CancelToken>>>>,
    /// Each token's shard: its cancel request goes over TLS as its connection did.
    shards: Vec<Shard>,
    armed: bool,
}

impl CancelGuard {
    fn cancel_all(&self) {
        let tokens: Vec<(usize, postgres::CancelToken)> = match self.cancels.lock() {
            Ok(c) => c
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.clone().map(|t| (i, t)))
                .collect(),
            Err(_) => return,
        };
        for (i, t) in tokens {
            cancel(&self.shards[i], &t);
        }
    }
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if self.armed {
            self.cancel_all();
        }
    }
}
