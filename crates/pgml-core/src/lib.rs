//! pgml's machine-learning core. Nothing here knows about PostgreSQL, so it is unit-tested and
//! benchmarked on its own; the extension converts SQL values into these types and back.
#![forbid(unsafe_code)]

pub mod algorithms;
pub mod column_stats;
pub mod datasets;
pub mod dist;
mod error;
pub mod file_parts;
pub mod hyperparams;
pub mod labels;
pub mod linalg;
mod matrix;
pub mod metrics;
pub mod model;
pub mod package;
pub mod plots;
pub mod pool;
pub mod preprocess;
pub mod search;
pub mod split;
mod task;
pub mod training;

pub use error::{Error, Result};
pub use matrix::Matrix;
pub use task::Task;

/// The version of pgml this core belongs to; the extension and the CLI report the same one.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
