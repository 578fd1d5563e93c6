//! `pgml.deploy(project, strategy, algorithm)` and `pgml.deploy(model_id)`: append a row to
//! `pgml.deployments`; predict reads the newest one.

use pgml_core::algorithms::Algorithm;
use pgrx::prelude::*;

use crate::catalog::project::Privilege;
use crate::catalog::{deployment, guard, project};
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::{as_owner, fixed_search_path};
use crate::pg::spi::{read_pair, read_triple};

#[pg_extern(volatile, parallel_unsafe, name = "_deploy")]
fn deploy_strategy(
    project_name: Option<&str>,
    strategy: Option<&str>,
    algorithm: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(project, String),
        name!(strategy, String),
        name!(algorithm, String),
    ),
> {
    let row = (|| {
        let name = project_name.ok_or_else(|| PgmlError::null("project_name must not be NULL"))?;
        let strategy = strategy.ok_or_else(|| PgmlError::null("strategy must not be NULL"))?;
        fixed_search_path(|| {
            guard::ensure_writable("deploy")?;
            deploy(name, strategy, algorithm)
        })
    })()
    .or_report();
    TableIterator::once(row)
}

/// Deploys one model by id (strategy `specific`).
#[pg_extern(volatile, parallel_unsafe, strict, name = "deploy")]
fn deploy_model(
    model_id: i64,
) -> TableIterator<
    'static,
    (
        name!(project, String),
        name!(strategy, String),
        name!(algorithm, String),
    ),
> {
    let row = fixed_search_path(|| {
        guard::ensure_writable("deploy")?;
        let (project_id, _, algorithm) = model_owner(model_id)?
            .ok_or_else(|| PgmlError::undefined(format!("model {model_id} does not exist")))?;
        let p = project::by_id(project_id)?
            .ok_or_else(|| PgmlError::undefined(format!("model {model_id} does not exist")))?;
        p.require(Privilege::Deploy)?;
        deployment::insert(project_id, model_id, "specific")?;
        Ok::<_, PgmlError>((p.name, "specific".to_string(), algorithm))
    })
    .or_report();
    TableIterator::once(row)
}

fn model_owner(model_id: i64) -> Result<Option<(i64, String, String)>> {
    as_owner(|| {
        read_triple(
        "SELECT p.id, p.name, m.algorithm FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
          WHERE m.id = $1",
        &[model_id.into()],
    )
    })
}

fn deploy(
    project_name: &str,
    strategy: &str,
    algorithm: Option<&str>,
) -> Result<(String, String, String)> {
    let p = project::get_for(project_name, Privilege::Deploy)?;
    if let Some(a) = algorithm {
        Algorithm::parse(a)?;
    }
    let key = p.task.key_metric();
    let order =
        match strategy {
            "best_score" => format!("(m.metrics ->> '{key}')::float8 DESC NULLS LAST, m.id DESC"),
            "most_recent" => "m.id DESC".to_string(),
            "rollback" => return rollback(&p, algorithm),
            other => return Err(PgmlError::invalid(format!(
                "strategy {other} cannot be used with pgml.deploy(project, ...)"
            ))
            .hint(
                "use best_score, most_recent or rollback; pgml.deploy(model_id) deploys one model",
            )),
        };
    let chosen = as_owner(|| {
        read_pair::<i64, String>(
        &format!(
            "SELECT m.id, m.algorithm FROM pgml.models m
              WHERE m.project_id = $1 AND m.status = 'successful' AND ($2::text IS NULL OR m.algorithm = $2)
              ORDER BY {order} LIMIT 1"
        ),
        &[p.id.into(), algorithm.into()],
    )
    })?;
    let (model_id, algorithm_used) = chosen.ok_or_else(|| no_models(&p.name, algorithm))?;
    deployment::insert(p.id, model_id, strategy)?;
    Ok((p.name, strategy.to_string(), algorithm_used))
}

/// Back to the model deployed before the current one (by deployment history).
fn rollback(p: &project::Project, algorithm: Option<&str>) -> Result<(String, String, String)> {
    let current = deployment::deployed_model(p.id)?.ok_or_else(|| {
        PgmlError::not_ready(format!(
            "project \"{}\" has no deployment to roll back",
            p.name
        ))
    })?;
    let previous = as_owner(|| {
        read_pair::<i64, String>(
        "SELECT d.model_id, m.algorithm FROM pgml.deployments d JOIN pgml.models m ON m.id = d.model_id
          WHERE d.project_id = $1 AND d.model_id <> $2 AND ($3::text IS NULL OR m.algorithm = $3)
          ORDER BY d.id DESC LIMIT 1",
        &[p.id.into(), current.into(), algorithm.into()],
    )
    })?;
    let (model_id, algorithm_used) = previous.ok_or_else(|| {
        PgmlError::not_ready(format!(
            "project \"{}\" has no earlier deployment to roll back to",
            p.name
        ))
    })?;
    deployment::insert(p.id, model_id, "rollback")?;
    Ok((p.name.clone(), "rollback".to_string(), algorithm_used))
}

fn no_models(project: &str, algorithm: Option<&str>) -> PgmlError {
    match algorithm {
        Some(a) => PgmlError::not_ready(format!(
            "project \"{project}\" has no successful model trained with {a}"
        )),
        None => PgmlError::not_ready(format!("project \"{project}\" has no successful model")),
    }
    .hint("train one with pgml.train")
}

extension_sql!(
    r#"
-- The PostgresML-compatible signature with enum-typed parameters; pgml._deploy does the work.
CREATE FUNCTION pgml.deploy(project_name text, strategy pgml.strategy, algorithm pgml.algorithm DEFAULT NULL)
RETURNS TABLE (project text, strategy text, algorithm text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT * FROM pgml._deploy(project_name, strategy::pg_catalog.text, algorithm::pg_catalog.text) $$;
"#,
    name = "deploy",
    requires = [deploy_strategy]
);
