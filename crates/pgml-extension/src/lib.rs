//! The pgml extension: a thin SQL layer over `pgml-core`.
//!
//! `api/` holds every function SQL can call (one file per feature), `catalog/` the `pgml` schema's
//! tables (their DDL in `.sql` files). Upgrade scripts live in `../sql/`. `#[pg_test]`s sit in a
//! `tests` module beside the code they test (pgrx runs them from the `tests` schema).

mod api;
mod catalog;
mod error;
mod pg;
#[cfg(test)]
mod upgrade_scripts;

::pgrx::pg_module_magic!(name, version);

/// Required by `cargo pgrx test`; must sit at the crate root.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
