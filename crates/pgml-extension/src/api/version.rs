use pgrx::prelude::*;

/// `pgml.version()`: the version of the pgml library loaded by this backend.
///
/// STABLE rather than IMMUTABLE: installing a new build changes the answer, so it must never be
/// folded into an index or a stored plan.
#[pg_extern(stable, parallel_safe, strict)]
fn version() -> &'static str {
    pgml_core::VERSION
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
// #[pg_test] bodies run inside PostgreSQL, where clippy does not see them as tests; a panic there
// is the failure report, as in any test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn version_is_the_crate_version_and_lives_in_pgml() {
        let v = Spi::get_one::<String>("SELECT pgml.version()");
        assert_eq!(v, Ok(Some(env!("CARGO_PKG_VERSION").to_string())));
    }

    #[pg_test]
    fn version_matches_the_installed_extension() {
        let installed = Spi::get_one::<String>(
            "SELECT extversion::text FROM pg_extension WHERE extname = 'pgml'",
        );
        assert_eq!(installed, Ok(Some(env!("CARGO_PKG_VERSION").to_string())));
    }
}
