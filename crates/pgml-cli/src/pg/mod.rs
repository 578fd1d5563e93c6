//! Connections to the servers a command works with, and the one module that runs PostgreSQL's
//! client programs.

pub mod conn;
pub mod tools;
