//! `pgml sync`: moving training data to a pgml server by PostgreSQL's own mechanisms.

pub mod dump;
pub mod fdw;
pub mod replicate;
pub mod schema;
pub mod status;
pub mod teardown;
