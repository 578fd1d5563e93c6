//! `pgml.predict`, `pgml.predict_proba`: by project name (the deployed model, read from
//! `pgml.deployments` once per statement, so a deploy that arrives by any route counts at the next
//! statement) or by model id. Loaded models are cached per backend by (database, model id): model rows never
//! change, so a cached model can never be stale.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgml_core::algorithms::Fitted;
use pgml_core::model::Model;
use pgml_core::Task;
use pgrx::prelude::*;
use pgrx::Array;

use crate::catalog::project::Privilege;
use crate::catalog::{model, project};
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::fixed_search_path;
use crate::pg::statement::{statement_key, StatementKey};

/// (database oid, model id)
type ModelKey = (u32, i64);

thread_local! {
    /// Loaded models by (database, model id), with the version (the `pgml.models` row's xmin) they
    /// were loaded at: ids are reused after DROP EXTENSION or a restore, row versions are not.
    static MODELS: RefCell<HashMap<ModelKey, (i64, Rc<Model>)>> = RefCell::new(HashMap::new());
}

fn database_id() -> u32 {
    // SAFETY: MyDatabaseId is set once at backend start and only read afterwards.
    unsafe { pg_sys::MyDatabaseId }.to_u32()
}

/// Model `id`, from this backend's cache or the catalog. Its row version is checked once per
/// statement, so a cached model is never served for a different model that reuses the id; the
/// caller's `predict` right on its project is checked with it (so a cached model is served only to
/// a role that may use it).
pub fn model_by_id(id: i64) -> Result<Rc<Model>> {
    let version = match model_version(id)? {
        Some(Visible {
            version,
            allowed: true,
            ..
        }) => version,
        Some(Visible { project, .. }) => {
            return Err(denied(project::by_id(project)?, id));
        }
        None => {
            // Not visible to the caller: it does not exist, or the caller holds no right on its
            // project (row-level security hides it). Say which, as PostgreSQL does for tables.
            return Err(match model::project_of(id)? {
                Some(p) => denied(project::by_id(p)?, id),
                None => PgmlError::undefined(format!("model {id} does not exist"))
                    .hint("SELECT id, project_id, algorithm FROM pgml.models lists the models"),
            });
        }
    };
    let key = (database_id(), id);
    if let Some((v, m)) = MODELS.with(|c| c.borrow().get(&key).cloned()) {
        if v == version {
            return Ok(m);
        }
    }
    let (_, loaded) = model::load(id)?
        .ok_or_else(|| PgmlError::undefined(format!("model {id} does not exist")))?;
    let loaded = Rc::new(loaded);
    MODELS.with(|c| c.borrow_mut().insert(key, (version, loaded.clone())));
    Ok(loaded)
}

fn denied(p: Option<project::Project>, model_id: i64) -> PgmlError {
    match p.map(|p| p.require(Privilege::Predict)) {
        Some(Err(e)) => e,
        _ => PgmlError::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("permission denied to predict with model {model_id}"),
        ),
    }
}

/// What one statement has looked up: project deployments and model row versions.
#[derive(Debug, Default)]
struct StatementCache {
    key: Option<StatementKey>,
    deployments: HashMap<String, Option<i64>>,
    versions: HashMap<i64, Option<Visible>>,
}

/// A model row as the calling role sees it.
#[derive(Debug, Clone, Copy)]
struct Visible {
    /// The row's xmin: a new row under a reused id is another model.
    version: i64,
    project: i64,
    /// The caller holds `predict` on the project.
    allowed: bool,
}

thread_local! {
    static STATEMENT: RefCell<StatementCache> = RefCell::new(StatementCache::default());
}

/// Runs `f` on this statement's cache, emptied first if it belongs to an earlier statement.
fn with_statement<R>(f: impl FnOnce(&mut StatementCache) -> R) -> R {
    let key = statement_key();
    STATEMENT.with(|c| {
        let mut c = c.borrow_mut();
        if c.key != Some(key) {
            *c = StatementCache {
                key: Some(key),
                ..StatementCache::default()
            };
        }
        f(&mut c)
    })
}

const DEPLOYMENT_LOOKUP: &str = "SELECT p.id, d.model_id
       FROM pgml.projects p
       LEFT JOIN LATERAL (SELECT model_id FROM pgml.deployments
                           WHERE project_id = p.id ORDER BY id DESC LIMIT 1) d ON true
      WHERE p.name = $1";
// Read as the caller: row-level security hides the models of projects it holds no right on.
const VERSION_LOOKUP: &str = "SELECT m.xmin::text::bigint, p.id,
            pgml.project_allows(p.owner, p.acl, 'predict')
       FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
      WHERE m.id = $1";

thread_local! {
    /// The deployment lookup, planned once per backend (SPI_keepplan): parsing and planning it on
    /// every single-row predict cost more than the prediction itself. PostgreSQL's plan cache
    /// replans it if the catalog tables change.
    static LOOKUP_PLAN: RefCell<Option<pgrx::spi::OwnedPreparedStatement>> = const { RefCell::new(None) };
    static VERSION_PLAN: RefCell<Option<pgrx::spi::OwnedPreparedStatement>> = const { RefCell::new(None) };
}

/// The row version of model `id` and the caller's right on it (None when the caller sees no such
/// model), once per statement.
fn model_version(id: i64) -> Result<Option<Visible>> {
    if let Some(v) = with_statement(|c| c.versions.get(&id).copied()) {
        return Ok(v);
    }
    let visible = fixed_search_path(|| {
        Spi::connect(|client| {
            VERSION_PLAN.with(|cell| {
                let mut slot = cell.borrow_mut();
                if slot.is_none() {
                    let plan = client.prepare(
                        VERSION_LOOKUP,
                        &[pgrx::PgOid::BuiltIn(pgrx::PgBuiltInOids::INT8OID)],
                    )?;
                    *slot = Some(plan.keep());
                }
                let Some(plan) = slot.as_ref() else {
                    return Ok(None);
                };
                match client
                    .select(plan, Some(1), &[id.into()])
                    .and_then(|t| t.first().get_three::<i64, i64, bool>())
                {
                    Ok((Some(version), Some(project), allowed)) => Ok(Some(Visible {
                        version,
                        project,
                        allowed: allowed.unwrap_or(false),
                    })),
                    Ok(_) | Err(pgrx::spi::SpiError::InvalidPosition) => Ok(None),
                    Err(e) => Err(PgmlError::from(e)),
                }
            })
        })
    })?;
    with_statement(|c| c.versions.insert(id, visible));
    Ok(visible)
}

/// (project id, deployed model id) of a project, each None when absent.
fn lookup_deployment(project_name: &str) -> Result<(Option<i64>, Option<i64>)> {
    fixed_search_path(|| lookup_deployment_as_caller(project_name))
}

/// Read as the caller: row-level security hides the projects it holds no right on.
fn lookup_deployment_as_caller(project_name: &str) -> Result<(Option<i64>, Option<i64>)> {
    Spi::connect(|client| {
        LOOKUP_PLAN.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let plan = client.prepare(
                    DEPLOYMENT_LOOKUP,
                    &[pgrx::PgOid::BuiltIn(pgrx::PgBuiltInOids::TEXTOID)],
                )?;
                *slot = Some(plan.keep());
            }
            let Some(plan) = slot.as_ref() else {
                return Ok((None, None));
            };
            let result = client
                .select(plan, Some(1), &[project_name.into()])
                .and_then(|t| t.first().get_two::<i64, i64>());
            match result {
                Ok(v) => Ok(v),
                Err(pgrx::spi::SpiError::InvalidPosition) => Ok((None, None)),
                Err(e) => Err(e.into()),
            }
        })
    })
}

/// The deployed model of a project, with its id. One catalog query per project and statement:
/// `SELECT pgml.predict('p', ...) FROM big` looks the deployment up once, not once per row.
fn deployed(project_name: &str) -> Result<(i64, Rc<Model>)> {
    let cached = with_statement(|c| c.deployments.get(project_name).copied());
    let model_id = match cached {
        Some(id) => id,
        None => {
            let (project_id, model_id) = lookup_deployment(project_name)?;
            if project_id.is_none() {
                // Missing, or hidden from the caller: say which.
                let p = project::get(project_name)?;
                return Err(p.require(Privilege::Predict).err().unwrap_or_else(|| {
                    PgmlError::undefined(format!("project \"{project_name}\" does not exist"))
                }));
            }
            with_statement(|c| c.deployments.insert(project_name.to_string(), model_id));
            model_id
        }
    };
    let id = model_id.ok_or_else(|| {
        PgmlError::not_ready(format!("project \"{project_name}\" has no deployed model"))
            .hint("train it with pgml.train, or deploy a model with pgml.deploy")
    })?;
    Ok((id, model_by_id(id)?))
}

/// The raw feature values; a NULL becomes NaN here and is imputed (or refused, naming the
/// feature) by the model's own transform.
fn features<T: Into<f64>>(values: impl Iterator<Item = Option<T>>) -> Vec<f32> {
    values
        .enumerate()
        .map(|(i, v)| match v.map(Into::into) {
            None => f32::NAN,
            // NaN is a value the model never saw (training refuses it), not a missing one.
            Some(v) if v.is_nan() => PgmlError::data(format!("feature {} is NaN", i + 1))
                .hint(
                    "predict needs finite numbers; pass NULL for a missing value the model imputes",
                )
                .report(),
            Some(v) => v as f32,
        })
        .collect()
}

/// bigint → f64 → f32: features are f32 everywhere in pgml.
fn bigints(values: Array<'_, i64>) -> Vec<f32> {
    features(values.iter().map(|v| v.map(|v| v as f64)))
}

fn booleans(values: Array<'_, bool>) -> Vec<f32> {
    features(values.iter().map(|v| v.map(|b| if b { 1.0 } else { 0.0 })))
}

fn check_width(id: i64, m: &Model, x: &[f32]) -> Result<()> {
    if x.len() != m.num_inputs() {
        let names: Vec<String> = m
            .features
            .iter()
            .map(|f| {
                if f.width == 1 {
                    f.name.clone()
                } else {
                    format!("{}[{}]", f.name, f.width)
                }
            })
            .collect();
        return Err(PgmlError::invalid(format!(
            "model {id} expects {} features, got {}",
            m.num_inputs(),
            x.len()
        ))
        .hint(format!(
            "pass them in the order it was trained on: {}",
            names.join(", ")
        )));
    }
    Ok(())
}

/// Raw values (NaN for NULL) to the estimator's inputs: width checked, then the model's own
/// imputing, scaling and encoding, then every input must be finite, or NaN (missing) for an
/// algorithm that takes missing values.
fn prepare(id: i64, m: &Model, x: &[f32]) -> Result<Vec<f32>> {
    check_width(id, m, x)?;
    let raw: Vec<Option<f32>> = x.iter().map(|&v| (!v.is_nan()).then_some(v)).collect();
    let inputs = m.transform(&raw)?;
    let missing = m.algorithm.handles_missing_values();
    if let Some(i) = inputs
        .iter()
        .position(|v| !(v.is_finite() || (missing && v.is_nan())))
    {
        return Err(
            PgmlError::data(format!("model input {} is {}", i + 1, inputs[i]))
                .hint("features must be finite numbers"),
        );
    }
    Ok(inputs)
}

fn predict_with(id: i64, m: &Model, x: &[f32]) -> Result<f32> {
    let x = prepare(id, m, x)?;
    // PostgresML answers predict on a decomposition model with the row's first component (its
    // transform, flattened, first value): the same here, so its example queries run unchanged.
    let first_component = || m.estimator.decompose(&x).and_then(|c| c.first().copied());
    let out = m
        .estimator
        .predict(&x)
        .or_else(first_component)
        .ok_or_else(|| match m.estimator.fitted() {
            Fitted::Joint(j) => PgmlError::new(
                PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                format!(
                    "model {id} was trained by pgml.train_joint: it predicts {} labels ({}), not one",
                    j.targets.len(),
                    j.targets.join(", ")
                ),
            )
            .hint("use pgml.predict_joint(project_name, features)"),
            _ => PgmlError::not_supported(format!(
                "model {id} is a {} model: it has no single prediction",
                m.task
            ))
            .hint("use pgml.decompose(project_name, features) for decomposition"),
        })?;
    Ok(match (&m.class_values, m.task) {
        (Some(values), Task::Classification) => values.get(out as usize).copied().unwrap_or(out),
        _ => out,
    })
}

fn predict_proba_with(id: i64, m: &Model, x: &[f32]) -> Result<Vec<f32>> {
    if m.task != Task::Classification {
        return Err(PgmlError::not_supported(format!(
            "predict_proba needs a classification model; model {id} is {}",
            m.task
        ))
        .hint("use pgml.predict"));
    }
    let x = prepare(id, m, x)?;
    m.estimator.predict_proba(&x).ok_or_else(|| {
        PgmlError::not_supported(format!(
            "model {id} ({}) does not estimate probabilities",
            m.estimator.name()
        ))
        .hint("use pgml.predict, or train with an algorithm that has probabilities (linear)")
    })
}

/// Every label of a model trained by `pgml.train_joint`, in the order its `y_column_name` named
/// them.
fn predict_joint_with(id: i64, m: &Model, x: &[f32]) -> Result<Vec<f32>> {
    if x.is_empty() {
        return Err(PgmlError::invalid(
            "pgml.predict_joint needs at least one feature, got an empty array",
        )
        .hint(format!(
            "pass the model's {} features in the order it was trained on",
            m.num_inputs()
        )));
    }
    if !matches!(m.estimator.fitted(), Fitted::Joint(_)) {
        return Err(match m.task {
            Task::Regression => PgmlError::new(
                PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                format!("model {id} predicts one label: it was trained by pgml.train, not pgml.train_joint"),
            )
            .hint("use pgml.predict(project_name, features)"),
            task => PgmlError::not_supported(format!(
                "pgml.predict_joint supports multi-output regression models (trained by pgml.train_joint); model {id} is {task}"
            ))
            .hint(match task {
                Task::Classification => "use pgml.predict or pgml.predict_proba",
                Task::Decomposition => "use pgml.decompose",
                _ => "use pgml.predict",
            }),
        });
    }
    let x = prepare(id, m, x)?;
    m.estimator.predict_joint(&x).ok_or_else(|| {
        PgmlError::data(format!(
            "model {id} gave no prediction for one of its labels"
        ))
    })
}

fn joint(using: Using<'_>, x: &[f32]) -> Vec<f32> {
    using
        .resolve()
        .and_then(|(id, m)| predict_joint_with(id, &m, x))
        .or_report()
}

/// `pgml.predict_joint(project_name, features)`: one value per label of the deployed joint model.
#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_real(project_name: &str, features: Array<'_, f32>) -> Vec<f32> {
    joint(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_double(project_name: &str, features: Array<'_, f64>) -> Vec<f32> {
    joint(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_int(project_name: &str, features: Array<'_, i32>) -> Vec<f32> {
    joint(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_bigint(project_name: &str, features: Array<'_, i64>) -> Vec<f32> {
    joint(Using::Project(project_name), &bigints(features))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_smallint(project_name: &str, features: Array<'_, i16>) -> Vec<f32> {
    joint(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_bool(project_name: &str, features: Array<'_, bool>) -> Vec<f32> {
    joint(Using::Project(project_name), &booleans(features))
}

/// By model id (STABLE: it reads the catalog).
#[pg_extern(stable, parallel_safe, strict, name = "predict_joint")]
fn predict_joint_model_real(model_id: i64, features: Array<'_, f32>) -> Vec<f32> {
    joint(Using::Model(model_id), &self::features(features.iter()))
}

/// Which model a call predicts with: a project's deployed model, or one model by id.
#[derive(Debug, Clone, Copy)]
enum Using<'a> {
    Project(&'a str),
    Model(i64),
}

impl Using<'_> {
    fn resolve(self) -> Result<(i64, Rc<Model>)> {
        match self {
            Using::Project(name) => deployed(name),
            Using::Model(id) => Ok((id, model_by_id(id)?)),
        }
    }
}

fn predict(using: Using<'_>, x: &[f32]) -> f32 {
    using
        .resolve()
        .and_then(|(id, m)| predict_with(id, &m, x))
        .or_report()
}

fn proba(using: Using<'_>, x: &[f32]) -> Vec<f32> {
    using
        .resolve()
        .and_then(|(id, m)| predict_proba_with(id, &m, x))
        .or_report()
}

fn predict_on_row(using: Using<'_>, row: &pgrx::AnyElement) -> f32 {
    using
        .resolve()
        .and_then(|(id, m)| predict_with(id, &m, &crate::pg::row::features(&m, row)?))
        .or_report()
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_real(project_name: &str, features: Array<'_, f32>) -> f32 {
    predict(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_double(project_name: &str, features: Array<'_, f64>) -> f32 {
    predict(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_int(project_name: &str, features: Array<'_, i32>) -> f32 {
    predict(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_bigint(project_name: &str, features: Array<'_, i64>) -> f32 {
    predict(Using::Project(project_name), &bigints(features))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_smallint(project_name: &str, features: Array<'_, i16>) -> f32 {
    predict(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_bool(project_name: &str, features: Array<'_, bool>) -> f32 {
    predict(Using::Project(project_name), &booleans(features))
}

/// `pgml.predict('project', t) FROM t`: a composite row, matched to the model's features by column
/// name (extra columns such as the label are ignored); also any numeric array type (numeric[]).
#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_row(project_name: &str, row: pgrx::AnyElement) -> f32 {
    predict_on_row(Using::Project(project_name), &row)
}

/// By model id: STABLE (not IMMUTABLE) because it reads the catalog; a model's rows never change.
#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_real(model_id: i64, features: Array<'_, f32>) -> f32 {
    predict(Using::Model(model_id), &self::features(features.iter()))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_double(model_id: i64, features: Array<'_, f64>) -> f32 {
    predict(Using::Model(model_id), &self::features(features.iter()))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_int(model_id: i64, features: Array<'_, i32>) -> f32 {
    predict(Using::Model(model_id), &self::features(features.iter()))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_bigint(model_id: i64, features: Array<'_, i64>) -> f32 {
    predict(Using::Model(model_id), &bigints(features))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_smallint(model_id: i64, features: Array<'_, i16>) -> f32 {
    predict(Using::Model(model_id), &self::features(features.iter()))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_bool(model_id: i64, features: Array<'_, bool>) -> f32 {
    predict(Using::Model(model_id), &booleans(features))
}

/// A whole row, by model id (columns matched by name, as by project).
#[pg_extern(stable, parallel_safe, strict, name = "predict")]
fn predict_model_row(model_id: i64, row: pgrx::AnyElement) -> f32 {
    predict_on_row(Using::Model(model_id), &row)
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_proba")]
fn predict_proba_real(project_name: &str, features: Array<'_, f32>) -> Vec<f32> {
    proba(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_proba")]
fn predict_proba_double(project_name: &str, features: Array<'_, f64>) -> Vec<f32> {
    proba(
        Using::Project(project_name),
        &self::features(features.iter()),
    )
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_proba")]
fn predict_proba_row(project_name: &str, row: pgrx::AnyElement) -> Vec<f32> {
    Using::Project(project_name)
        .resolve()
        .and_then(|(id, m)| predict_proba_with(id, &m, &crate::pg::row::features(&m, &row)?))
        .or_report()
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_proba")]
fn predict_proba_model(model_id: i64, features: Array<'_, f32>) -> Vec<f32> {
    proba(Using::Model(model_id), &self::features(features.iter()))
}

#[pg_extern(stable, parallel_safe, strict, name = "predict_proba")]
fn predict_proba_model_double(model_id: i64, features: Array<'_, f64>) -> Vec<f32> {
    proba(Using::Model(model_id), &self::features(features.iter()))
}

/// `pgml.decompose(project_name, vector)`: the row projected onto the deployed decomposition
/// model's components.
#[pg_extern(stable, parallel_safe, strict)]
fn decompose(project_name: &str, vector: Array<'_, f32>) -> Vec<f32> {
    let x = self::features(vector.iter());
    deployed(project_name)
        .and_then(|(id, m)| {
            let x = prepare(id, &m, &x)?;
            m.estimator.decompose(&x).ok_or_else(|| {
                PgmlError::not_supported(format!(
                    "pgml.decompose needs a decomposition model; project \"{project_name}\" is {}",
                    m.task
                ))
                .hint("use pgml.predict")
            })
        })
        .or_report()
}

/// `pgml.predict_batch(project_name, features)`: `features` holds several rows back to back (each
/// as wide as the model's inputs); one prediction per row, in order.
#[pg_extern(stable, parallel_safe, strict)]
fn predict_batch(project_name: &str, features: Array<'_, f32>) -> SetOfIterator<'static, f32> {
    let x = self::features(features.iter());
    let out = deployed(project_name)
        .and_then(|(id, m)| {
            let width = m.num_inputs().max(1);
            if x.len() % width != 0 {
                return Err(PgmlError::invalid(format!(
                    "predict_batch got {} values, not a multiple of the {width} features of model {id}",
                    x.len()
                ))
                .hint("pass whole rows, back to back"));
            }
            x.chunks(width).map(|row| predict_with(id, &m, row)).collect::<Result<Vec<f32>>>()
        })
        .or_report();
    SetOfIterator::new(out)
}
