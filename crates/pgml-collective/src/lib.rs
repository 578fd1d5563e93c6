//! Distributed training's rendezvous, in Rust: the tracker XGBoost 1.7's rabit collective needs
//! (its own is a Python program, not part of the C library), plus a per-job token so a stray
//! connection cannot join, timeouts so a missing worker fails the job instead of hanging it, and
//! every socket closed when the job ends. Standard library only. See docs/distributed-training.md.
//!
//! ```no_run
//! use pgml_collective::{Tracker, TrackerConfig};
//! let tracker = Tracker::start(TrackerConfig::new("10.0.0.5:0".parse()?, 3))?;
//! for i in 0..3 {
//!     let env = tracker.worker(i); // DMLC_TRACKER_URI, DMLC_TRACKER_PORT, DMLC_TASK_ID for worker i
//!     # let _ = env;
//! }
//! let report = tracker.wait()?; // every worker said `shutdown`, or the job failed
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod handshake;
mod links;
mod token;
mod tracker;
pub mod wire;

pub use links::LinkMap;
pub use token::JobToken;
pub use tracker::{Error, Refusal, Report, Result, Tracker, TrackerConfig, WorkerEnv, MAX_WORKERS};
