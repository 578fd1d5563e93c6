//! `pgml.deployments`: append-only; a project's deployed model is its newest row.

use pgrx::prelude::*;

use crate::error::Result;
use crate::pg::privilege::{as_owner, current_role_name};
use crate::pg::spi::read_one;

/// The deployed model of a project, read from the catalog every time it is asked for, so a
/// deployment arriving by WAL, logical replication or a restore counts at once.
/// Read as the extension's owner: callers hold a right on the project.
pub fn deployed_model(project_id: i64) -> Result<Option<i64>> {
    as_owner(|| {
        read_one::<i64>(
            "SELECT model_id FROM pgml.deployments WHERE project_id = $1 ORDER BY id DESC LIMIT 1",
            &[project_id.into()],
        )
    })
}

/// Written as the extension's owner: callers checked the caller's `deploy` (or `train`) right.
/// The caller's role is recorded as `deployed_by` (the dashboard's deployment timeline says who).
pub fn insert(project_id: i64, model_id: i64, strategy: &str) -> Result<()> {
    let caller = current_role_name()?;
    as_owner(|| {
        Spi::run_with_args(
            "INSERT INTO pgml.deployments (project_id, model_id, strategy, deployed_by)
             VALUES ($1, $2, $3::pgml.strategy, $4)",
            &[
                project_id.into(),
                model_id.into(),
                strategy.into(),
                caller.as_str().into(),
            ],
        )?;
        Ok(())
    })
}

/// The key metric of a model, from its row (NULL when absent).
pub fn key_metric(model_id: i64, metric: &str) -> Result<Option<f64>> {
    as_owner(|| {
        read_one::<f64>(
            "SELECT (metrics ->> $2)::float8 FROM pgml.models WHERE id = $1",
            &[model_id.into(), metric.into()],
        )
    })
}
