//! Running PostgreSQL the way every part of pgml does: production code (`pgml up`, the `pgml`
//! command's SQL) and the test kit share it, so it lives in neither.
//!
//! - [`PgInstall`]: where the PostgreSQL binaries are, and which OS user runs servers (PostgreSQL
//!   refuses root, so as root every server command runs through `runuser` as `postgres`).
//! - [`Cluster`]: one data directory: initdb, settings, start, stop, status. It never deletes anything.
//! - [`quote_ident`], [`quote_literal`]: SQL quoting as PostgreSQL's functions of those names do.
//! - [`describe_pg_error`]: a client error with the server's severity, SQLSTATE, detail and hint.
#![forbid(unsafe_code)]

mod cluster;
mod error;
mod install;
mod quote;

pub use cluster::{Auth, Cluster, ClusterStatus, StopMode};
pub use error::{describe_pg_error, Error, Result};
pub use install::{run, PgInstall};
pub use quote::{quote_ident, quote_literal};
