//! The pgml extension: a thin SQL layer over `pgml-core`.
//!
//! `api/` holds every function SQL can call (one file per feature), `catalog/` the `pgml` schema's
//! tables (their DDL in `.sql` files). Upgrade scripts live in `../sql/`. `#[pg_test]`s sit in a
//! `tests` module beside the code they test (pgrx runs them from the `tests` schema).

mod api;
mod catalog;
mod error;
mod guc;
mod pg;
#[cfg(test)]
mod upgrade_scripts;

::pgrx::pg_module_magic!(name, version);

/// Called when a backend loads pgml.so. Never trains or predicts here: XGBoost's OpenMP threads
/// must not start in a process that later forks (the postmaster, with shared_preload_libraries).
/// libxgboost (and with it libgomp) is not even loaded until the first XGBoost train of a backend
/// (pgml-xgboost loads it then, with idle OpenMP workers set to sleep).
#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // pgrx attaches a Rust backtrace to an error's DETAIL when backtraces are enabled
    // (RUST_BACKTRACE=1 in the server's environment): internal frames are no business of a client,
    // so library backtraces are turned off here, before any can be captured. Panics still name
    // their place in the server log.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    guc::init();
}

/// Required by `cargo pgrx test`; must sit at the crate root.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
