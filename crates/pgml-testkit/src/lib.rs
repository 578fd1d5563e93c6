//! Real PostgreSQL servers for pgml's tests, benchmarks and demo, and the cluster control that
//! `pgml up` uses, so that every server pgml starts is started the same way.
//!
//! - [`PgInstall`]: where the PostgreSQL binaries are, and which OS user runs servers (PostgreSQL
//!   refuses root, so as root every server command runs through `runuser` as `postgres`).
//! - [`Cluster`]: one data directory: initdb, settings, start, stop, status. It never deletes anything.
//! - [`Server`]: a throwaway test server on a free loopback port in its own temporary directory, with
//!   connection strings, databases, roles and hot standbys; stopped and removed on drop, also when a test
//!   panics (then its log is printed first).
#![forbid(unsafe_code)]

mod cluster;
mod error;
mod install;
mod port;
mod server;

pub use cluster::{Auth, Cluster, ClusterStatus, StopMode};
pub use error::{describe_pg_error, Error, Result};
pub use install::PgInstall;
pub use port::free_port;
pub use server::{quote_ident, quote_literal, Server, ServerBuilder};
