//! `pgml models ...`: trained models across servers. `export`, `import` and `push` carry the
//! package `pgml.export_models` builds (one checksummed blob; the server does the work, so the SQL
//! functions and the CLI behave the same); `replicate` subscribes inference servers to the training
//! server's catalog.

pub mod replicate;
pub mod transfer;

use crate::error::{Error, Result};

/// Checks that `db` has pgml with the model-transfer functions (0.2.0 and later).
pub fn require_pgml(db: &mut postgres::Client, server: &str) -> Result<String> {
    let version: Option<String> = db
        .query_opt(
            "SELECT extversion FROM pg_extension WHERE extname = 'pgml'",
            &[],
        )
        .map_err(|e| Error::sql(format!("checking pgml on {server}"), e))?
        .map(|r| r.get(0));
    let Some(version) = version else {
        return Err(Error::Refused {
            message: format!("pgml is not installed in {server}"),
            hint: Some("install the extension there and run CREATE EXTENSION pgml".into()),
        });
    };
    let has_transfer: bool = db
        .query_one(
            "SELECT to_regprocedure('pgml.import_models(bytea, boolean)') IS NOT NULL",
            &[],
        )
        .map_err(|e| Error::sql(format!("checking pgml on {server}"), e))?
        .get(0);
    if !has_transfer {
        return Err(Error::Refused {
            message: format!("pgml {version} in {server} cannot move models (0.2.0 or later can)"),
            hint: Some("install the newer pgml there and run ALTER EXTENSION pgml UPDATE".into()),
        });
    }
    Ok(version)
}
