//! Real PostgreSQL servers for pgml's tests, benchmarks and demo. Installs and clusters come from
//! `pgml-postgres` (which `pgml up` uses too, so every server pgml starts is started the same way),
//! re-exported here for the tests.
//!
//! - [`Server`]: a throwaway test server on a free loopback port in its own temporary directory, with
//!   connection strings, databases, roles and hot standbys; stopped and removed on drop, also when a test
//!   panics (then its log is printed first).
#![forbid(unsafe_code)]

mod port;
mod server;

pub use pgml_postgres::{
    describe_pg_error, quote_ident, quote_literal, Auth, Cluster, ClusterStatus, Error, PgInstall,
    Result, StopMode,
};
pub use port::free_port;
pub use server::{Server, ServerBuilder};
