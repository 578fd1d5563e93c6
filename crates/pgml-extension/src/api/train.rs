//! `pgml.train(...)`: the PostgresML-compatible signature is the SQL wrapper in `train.sql`
//! (it has the enum-typed parameters and defaults); it calls `pgml._train` here with text.

use pgml_core::algorithms::Algorithm;
use pgml_core::hyperparams::Hyperparams;
use pgml_core::labels::LabelKind;
use pgml_core::model::Model;
use pgml_core::preprocess;
use pgml_core::search::{self, Search};
use pgml_core::split::Sampling;
use pgml_core::training::{self, Target};
use pgml_core::{Matrix, Task};
use pgrx::prelude::*;

use crate::catalog::project::Privilege;
use crate::catalog::{deployment, guard, model, project, snapshot};
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::json;
use crate::pg::privilege::{as_owner, fixed_search_path};
use crate::pg::reader::{self, LabelRead};
use crate::pg::relation::{self, ColumnKind};

use super::train_joint as joint;

#[allow(clippy::too_many_arguments)] // PostgresML's signature
#[pg_extern(volatile, parallel_unsafe, name = "_train")]
fn train_internal(
    project_name: Option<&str>,
    task: Option<&str>,
    relation_name: Option<&str>,
    y_column_name: Option<&str>,
    algorithm: Option<&str>,
    hyperparams: Option<&str>,
    search: Option<&str>,
    search_params: Option<&str>,
    search_args: Option<&str>,
    test_size: Option<f32>,
    test_sampling: Option<&str>,
    runtime: Option<&str>,
    automatic_deploy: Option<bool>,
    materialize_snapshot: Option<bool>,
    preprocess: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(project, String),
        name!(task, String),
        name!(algorithm, String),
        name!(deployed, bool),
    ),
> {
    let args = Args::from_call(
        project_name,
        task,
        relation_name,
        y_column_name.map(|y| vec![y.to_string()]),
        false,
        algorithm,
        hyperparams,
        search,
        search_params,
        search_args,
        test_size,
        test_sampling,
        runtime,
        automatic_deploy,
        materialize_snapshot,
        preprocess,
    );
    TableIterator::once(fixed_search_path(|| train(&args)).or_report())
}

pub(super) struct Args<'a> {
    pub(super) project_name: &'a str,
    pub(super) task: Option<&'a str>,
    pub(super) relation_name: Option<&'a str>,
    /// The label column(s) named by the call, if any.
    pub(super) y_column_names: Option<Vec<String>>,
    /// `pgml.train_joint`: several labels, one multi-output regression model.
    pub(super) joint: bool,
    pub(super) algorithm: &'a str,
    pub(super) hyperparams: serde_json::Value,
    pub(super) search: Option<&'a str>,
    pub(super) search_params: serde_json::Value,
    pub(super) search_args: serde_json::Value,
    pub(super) test_size: f32,
    pub(super) test_sampling: &'a str,
    pub(super) runtime: Option<&'a str>,
    pub(super) automatic_deploy: bool,
    pub(super) materialize_snapshot: bool,
    pub(super) preprocess: serde_json::Value,
}

impl<'a> Args<'a> {
    /// The arguments of a `_train` / `_train_joint` call with PostgresML's defaults filled in and
    /// every JSON argument parsed (a mistake is reported here, naming the argument).
    #[allow(clippy::too_many_arguments)] // PostgresML's signature
    pub(super) fn from_call(
        project_name: Option<&'a str>,
        task: Option<&'a str>,
        relation_name: Option<&'a str>,
        y_column_names: Option<Vec<String>>,
        joint: bool,
        algorithm: Option<&'a str>,
        hyperparams: Option<&str>,
        search: Option<&'a str>,
        search_params: Option<&str>,
        search_args: Option<&str>,
        test_size: Option<f32>,
        test_sampling: Option<&'a str>,
        runtime: Option<&'a str>,
        automatic_deploy: Option<bool>,
        materialize_snapshot: Option<bool>,
        preprocess: Option<&str>,
    ) -> Args<'a> {
        Args {
            project_name: required(project_name, "project_name").or_report(),
            task,
            relation_name,
            y_column_names,
            joint,
            algorithm: algorithm.unwrap_or("linear"),
            hyperparams: json::parse("hyperparams", hyperparams).or_report(),
            search,
            search_params: json::parse("search_params", search_params).or_report(),
            search_args: json::parse("search_args", search_args).or_report(),
            test_size: test_size.unwrap_or(0.25),
            test_sampling: test_sampling.unwrap_or("stratified"),
            runtime,
            automatic_deploy: automatic_deploy.unwrap_or(true),
            materialize_snapshot: materialize_snapshot.unwrap_or(true),
            preprocess: json::parse("preprocess", preprocess).or_report(),
        }
    }
}

fn required<'a>(v: Option<&'a str>, name: &str) -> Result<&'a str> {
    v.ok_or_else(|| PgmlError::null(format!("{name} must not be NULL")))
}

fn is_empty(j: &serde_json::Value) -> bool {
    j.is_null() || j.as_object().is_some_and(|o| o.is_empty())
}

pub(super) fn train(a: &Args<'_>) -> Result<(String, String, String, bool)> {
    crate::guc::choose_openmp_wait_policy();
    guard::ensure_writable("train")?;
    if a.runtime == Some("python") {
        // PostgresML's queries name the runtime that ran scikit-learn; pgml's algorithms follow
        // scikit-learn's semantics in Rust, so the query runs as written and says so.
        pgrx::notice!(
            "pgml has no Python runtime: {} is trained by pgml's Rust implementation (scikit-learn's semantics); the model's runtime is rust",
            a.algorithm
        );
    }

    let requested_task = a.task.map(Task::parse).transpose()?;
    let existing = project::find(a.project_name)?;
    if let Some(p) = &existing {
        p.require(Privilege::Train)?;
    }
    let task = match (&existing, requested_task) {
        (Some(p), Some(t)) if p.task != t => {
            return Err(PgmlError::invalid(format!(
                "project \"{}\" is a {} project; it cannot train {t}",
                p.name, p.task
            ))
            .hint("a project's task is fixed by its first train; use another project name"))
        }
        (Some(p), _) => p.task,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(PgmlError::invalid(format!(
                "project \"{}\" does not exist, and its first train needs a task",
                a.project_name
            ))
            .hint(format!(
                "pass the task: pgml.train('{}', 'regression', 'my_table', 'my_label') (or classification, clustering, decomposition)",
                a.project_name
            )))
        }
    };
    if a.joint {
        joint::check_call(task, a.y_column_names.as_deref())?;
    }
    if let Some(p) = &existing {
        let last = snapshot::last_for_project(p.id)?;
        joint::check_project(p, last.as_ref(), a.joint)?;
    }
    let algorithm = Algorithm::for_task(a.algorithm, task)?;
    let cap = i64::from(crate::guc::TRAINING_THREADS.get().max(1));
    let has_threads = algorithm.params(task).iter().any(|p| p.name == "nthread");
    // Threads: the user's nthread, at most pgml.training_threads; 0 (the default) means the cap.
    let resolve = |given: &serde_json::Value| -> Result<Hyperparams> {
        let mut params = algorithm.resolve(task, given)?;
        if has_threads {
            let asked = params.int("nthread")?;
            params.set_int("nthread", if asked == 0 { cap } else { asked.min(cap) });
        }
        Ok(params)
    };
    let (given, distributed) = take_distributed(&a.hyperparams)?;
    let params = resolve(&given)?;
    if distributed {
        return train_distributed(a, existing, task, algorithm, params);
    }
    // A search: every candidate is checked here, before any data is read.
    let candidates = match a.search {
        Some(kind) => {
            let args = search::parse_args(&a.search_args)?;
            let list = search::candidates(
                Search::parse(kind)?,
                &a.hyperparams,
                &a.search_params,
                &args,
            )?
            .iter()
            .map(&resolve)
            .collect::<Result<Vec<_>>>()?;
            Some((list, args.cv))
        }
        None if !is_empty(&a.search_params) || !is_empty(&a.search_args) => {
            return Err(PgmlError::invalid(
                "search_params and search_args need search => 'grid' or 'random'",
            ))
        }
        None => None,
    };
    let sampling = Sampling::parse(a.test_sampling)?;
    pgml_core::split::validate_test_size(f64::from(a.test_size))?;

    let snap = match a.relation_name {
        Some(name) => {
            let rel = relation::resolve(name)?;
            let y: Vec<String> = match (task.needs_label(), a.y_column_names.as_deref()) {
                (true, None) => {
                    return Err(PgmlError::invalid(format!(
                        "{task} needs y_column_name, the label column"
                    ))
                    .hint(format!(
                        "columns of {}: {}",
                        rel.name,
                        column_list(&rel)
                    )))
                }
                (_, Some(names)) => names
                    .iter()
                    .map(|y| Ok(rel.column(y)?.name.clone()))
                    .collect::<Result<_>>()?,
                (false, None) => Vec::new(),
            };
            let columns = serde_json::Value::Array(
                rel.columns
                    .iter()
                    .map(|c| serde_json::json!({"name": c.name, "type": c.type_name}))
                    .collect(),
            );
            snapshot::create(
                &rel,
                &y,
                a.test_size,
                sampling,
                a.materialize_snapshot,
                columns,
                false,
            )?
        }
        None => match &existing {
            Some(p) => snapshot::last_for_project(p.id)?.ok_or_else(|| {
                PgmlError::not_ready(format!(
                    "project \"{}\" has no snapshot to train on",
                    p.name
                ))
                .hint("pass relation_name")
            })?,
            None => {
                return Err(PgmlError::undefined(format!(
                    "project \"{}\" does not exist",
                    a.project_name
                ))
                .hint("its first train needs a task and a relation_name"))
            }
        },
    };

    // Columns of what is actually read: the snapshot table when materialized.
    let source = snap.source();
    let rel = relation::resolve(&source)?;
    let label_columns: Vec<&relation::Column> = snap
        .y_column_names
        .iter()
        .map(|y| rel.column(y))
        .collect::<Result<_>>()?;
    // A joint project's snapshot names several labels; a single-label project's, one.
    let label = label_columns.first().copied();
    let features: Vec<_> = rel
        .columns
        .iter()
        .filter(|c| !snap.y_column_names.contains(&c.name))
        .cloned()
        .collect();
    if features.is_empty() {
        return Err(PgmlError::data(format!(
            "{} has no feature columns besides the label",
            snap.relation_name
        )));
    }
    for c in &features {
        match c.kind {
            ColumnKind::Number
            | ColumnKind::Bool
            | ColumnKind::NumberArray
            | ColumnKind::BoolArray
            | ColumnKind::Text => {}
            ColumnKind::Other => {
                return Err(PgmlError::new(
                    PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                    format!(
                        "feature column \"{}\" has type {}, which cannot be a feature",
                        c.name, c.type_name
                    ),
                )
                .hint(
                    "features are numbers, booleans, text or arrays of numbers; leave it out with a view",
                ))
            }
        }
    }
    // Clustering and decomposition learn from the features alone: a label column given to them is
    // left out of the features and not read.
    let read_labels: Vec<(&relation::Column, LabelRead)> = label_columns
        .iter()
        .filter(|_| task.needs_label())
        .map(|&l| {
            (
                l,
                if task == Task::Classification {
                    LabelRead::Class
                } else {
                    LabelRead::Value
                },
            )
        })
        .collect();
    for &(l, how) in &read_labels {
        check_label_type(l, how, task)?;
    }
    // preprocess: parsed (and every mistake in it named) before the data is read.
    let names: Vec<&str> = features.iter().map(|c| c.name.as_str()).collect();
    let specs = preprocess::parse(&a.preprocess, &names)?;
    // NULL is read as NaN where it is imputed, and for the algorithms that take missing values
    // themselves (number and boolean columns, and array elements; a NULL text is refused).
    let missing = algorithm.handles_missing_values();
    let nullable: Vec<bool> = features
        .iter()
        .map(|c| {
            specs.get(&c.name).is_some_and(|s| s.impute.is_some())
                || (missing && c.kind != ColumnKind::Text)
        })
        .collect();
    // A materialized snapshot is pgml's table, read as its owner once the caller's right to train
    // the project was checked; a relation trained on directly is read with the caller's privileges.
    let read = || {
        reader::read(
            &source,
            &snap.relation_name,
            &features,
            &nullable,
            &read_labels,
        )
    };
    let mut data = if snap.materialized {
        snapshot::verify_table(snap.id)?;
        as_owner(read)?
    } else {
        read()?
    };
    if !specs.is_empty() {
        data.x = apply_preprocess(&specs, &features, &mut data.features, &data.x, missing)?;
    }
    // Text columns encoded natively (not one-hot) are marked as categories (codes 0..k): the
    // values every learner sees stay the same; learners that take categories as such (catboost's
    // ordered target statistics) read the mark.
    let kinds: Vec<Option<usize>> = data
        .features
        .iter()
        .flat_map(|f| {
            let kind = match (&f.categories, f.prep.one_hot) {
                (Some(c), false) => Some(c.len()),
                _ => None,
            };
            std::iter::repeat_n(kind, f.output_width())
        })
        .collect();
    data.x.set_categorical(kinds)?;

    let check = || {
        pg_sys::check_for_interrupts!();
    };
    let encoded = match task {
        Task::Classification => {
            let kind = match label.map(|l| l.kind) {
                Some(ColumnKind::Number) => LabelKind::Numeric,
                Some(ColumnKind::Bool) => LabelKind::Boolean,
                _ => LabelKind::Text,
            };
            let enc = std::mem::take(&mut data.class_labels).encode(kind)?;
            let cap = crate::guc::MAX_CLASSES.get();
            if enc.classes.len() > usize::try_from(cap).unwrap_or(usize::MAX) {
                return Err(PgmlError::new(
                    PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                    format!(
                        "label column \"{}\" has {} distinct values, more than pgml.max_classes ({cap})",
                        label.map_or("", |l| l.name.as_str()),
                        enc.classes.len()
                    ),
                )
                .hint("is it an id or free text rather than a class? If the classes are right, SET pgml.max_classes to more"));
            }
            Some((enc, kind))
        }
        _ => None,
    };
    // A class_weight object names classes by their labels: matched to the codes now that the
    // labels are read (a key that is no class is refused here, before any fit).
    let (mut params, mut candidates) = (params, candidates);
    if let Some((enc, kind)) = &encoded {
        params.bind_classes(&enc.classes, *kind)?;
        for c in candidates.iter_mut().flat_map(|(list, _)| list.iter_mut()) {
            c.bind_classes(&enc.classes, *kind)?;
        }
    }
    let encoded = encoded.map(|(enc, _)| enc);
    let target = match (&encoded, task) {
        (Some(enc), _) => Target::Classes {
            codes: &enc.codes,
            num_classes: enc.classes.len(),
        },
        (None, Task::Regression) if a.joint => Target::Joint {
            values: &data.values,
            targets: &snap.y_column_names,
        },
        (None, Task::Regression) => Target::Values(&data.values),
        (None, _) => Target::None,
    };
    let (test_size, seed) = (f64::from(snap.test_size), snap.seed as u64);
    let (num_rows, num_features) = (data.x.rows(), data.x.cols());
    let (outcome, params) = match &candidates {
        // The matrix is handed over: it becomes the training and test matrices (less memory).
        None => (
            training::run_owned(
                task,
                algorithm,
                &params,
                std::mem::replace(&mut data.x, Matrix::from_columns(0, 0, Vec::new())?),
                target,
                test_size,
                snap.sampling,
                seed,
                &check,
            )?,
            params,
        ),
        Some((list, cv)) => {
            let found = training::run_search(
                task,
                algorithm,
                list,
                *cv,
                &data.x,
                target,
                test_size,
                snap.sampling,
                seed,
                &check,
            )?;
            (found.outcome, list[found.chosen].clone())
        }
    };
    let (classes, class_values) = match encoded {
        Some(enc) => (Some(enc.classes), Some(enc.values)),
        None => (None, None),
    };

    snapshot::finish(
        snap.id,
        outcome.num_train_rows,
        outcome.num_test_rows,
        serde_json::json!({"num_rows": num_rows, "num_features": num_features}),
    )?;
    let project = match existing {
        Some(p) => p,
        None => project::create_or_get(a.project_name, task)?,
    };
    let trained = Model {
        task,
        algorithm,
        hyperparams: params.to_json().to_string(),
        features: data.features,
        classes,
        class_values,
        estimator: outcome.estimator,
        pgml_version: pgml_core::VERSION.to_string(),
    };
    let search_info = a
        .search
        .map(|kind| (kind, &a.search_params, &a.search_args));
    let model_id = model::insert(
        project.id,
        snap.id,
        &trained,
        &outcome.metrics,
        search_info,
        &outcome.plots.to_json(),
    )?;

    // Deploy unless the deployed model is strictly better on the task's key metric.
    let key = task.key_metric();
    let new_score = outcome.metrics.get(key).copied();
    let deploy = a.automatic_deploy
        && match deployment::deployed_model(project.id)? {
            None => true,
            Some(current) => match (deployment::key_metric(current, key)?, new_score) {
                (Some(old), Some(new)) => old <= new || old.is_nan(),
                _ => true,
            },
        };
    if deploy {
        deployment::insert(project.id, model_id, "new_score")?;
    }
    Ok((
        project.name,
        task.to_string(),
        algorithm.as_str().to_string(),
        deploy,
    ))
}

/// A label column's type must suit the task: a class is a number, a boolean or text; a value
/// (regression, each of a joint model's labels) is a number or a boolean.
fn check_label_type(l: &relation::Column, how: LabelRead, task: Task) -> Result<()> {
    match how {
        LabelRead::Class
            if !matches!(
                l.kind,
                ColumnKind::Number | ColumnKind::Bool | ColumnKind::Text
            ) =>
        {
            Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                format!(
                    "label column \"{}\" has type {}; a class label is a number, a boolean or text",
                    l.name, l.type_name
                ),
            )
            .hint("cast it in a view, e.g. label::text"))
        }
        LabelRead::Value if !matches!(l.kind, ColumnKind::Number | ColumnKind::Bool) => {
            Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                format!(
                    "label column \"{}\" has type {}; {task} needs a number",
                    l.name, l.type_name
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Learns each column's preprocessing from the snapshot's rows, stores it in the features, and
/// returns the matrix the estimator trains on (imputed, scaled, one-hot), built by the same
/// transform predict applies to every row.
fn apply_preprocess(
    specs: &std::collections::BTreeMap<String, preprocess::ColumnSpec>,
    columns: &[relation::Column],
    features: &mut [pgml_core::model::Feature],
    x: &pgml_core::Matrix,
    missing: bool,
) -> Result<pgml_core::Matrix> {
    let mut at = 0;
    for (column, feature) in columns.iter().zip(features.iter_mut()) {
        let spec = specs.get(&column.name).copied().unwrap_or_default();
        feature.prep = match column.kind {
            ColumnKind::Text => preprocess::fit_text(&column.name, &spec)?,
            ColumnKind::NumberArray | ColumnKind::BoolArray => {
                if specs.contains_key(&column.name) {
                    return Err(PgmlError::not_supported(format!(
                        "preprocess applies to single-value columns; \"{}\" is an array",
                        column.name
                    )));
                }
                preprocess::Prep::default()
            }
            _ => preprocess::fit_numeric(&column.name, &spec, x.col(at))?,
        };
        at += feature.width;
    }
    let rows: Vec<Vec<f32>> = (0..x.rows())
        .map(|i| {
            let raw: Vec<Option<f32>> = x
                .row(i)
                .into_iter()
                .map(|v| (!v.is_nan()).then_some(v))
                .collect();
            pgml_core::model::transform_missing(features, &raw, missing)
        })
        .collect::<Result<_, _>>()?;
    Ok(pgml_core::Matrix::from_rows(&rows)?)
}

/// `"distributed": true` in hyperparams asks for a distributed train (docs/distributed-training.md);
/// it is pgml's switch, not the algorithm's, so it is taken out before the algorithm's check.
fn take_distributed(given: &serde_json::Value) -> Result<(serde_json::Value, bool)> {
    let mut given = given.clone();
    let flag = match given.as_object_mut().and_then(|o| o.remove("distributed")) {
        None => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(other) => {
            return Err(PgmlError::invalid(format!(
                "hyperparameter distributed must be true or false, got {other}"
            )))
        }
    };
    Ok((given, flag))
}

/// A train whose rows stay on the shard servers (`api::distributed`): the snapshot records the
/// relation and the shards, never a copy of the rows.
fn train_distributed(
    a: &Args<'_>,
    existing: Option<project::Project>,
    task: Task,
    algorithm: Algorithm,
    params: Hyperparams,
) -> Result<(String, String, String, bool)> {
    if a.search.is_some() {
        return Err(
            PgmlError::not_supported("a search in distributed training is not supported")
                .hint("train each candidate with its own pgml.train call"),
        );
    }
    if !is_empty(&a.preprocess) {
        return Err(PgmlError::not_supported(
            "preprocess in distributed training is not supported",
        )
        .hint("prepare the columns in a view on each shard"));
    }
    let name = a.relation_name.ok_or_else(|| {
        PgmlError::invalid("a distributed train needs relation_name (its rows stay on the shards; there is no snapshot to retrain from)")
    })?;
    let sampling = Sampling::parse(a.test_sampling)?;
    pgml_core::split::validate_test_size(f64::from(a.test_size))?;
    let rel = relation::resolve(name)?;
    let y_column_name = match a.y_column_names.as_deref() {
        None => None,
        Some([y]) => Some(y.as_str()),
        Some(_) => {
            return Err(PgmlError::not_supported(
                "distributed training of several labels (pgml.train_joint) is not supported",
            )
            .hint("train_joint on one server"))
        }
    };
    let label = match (task.needs_label(), y_column_name) {
        (true, None) => {
            return Err(
                PgmlError::invalid(format!("{task} needs y_column_name, the label column"))
                    .hint(format!("columns of {}: {}", rel.name, column_list(&rel))),
            )
        }
        (_, Some(y)) => Some(rel.column(y)?.clone()),
        (false, None) => None,
    };
    let features: Vec<_> = rel
        .columns
        .iter()
        .filter(|c| Some(&c.name) != label.as_ref().map(|l| &l.name))
        .cloned()
        .collect();
    if features.is_empty() {
        return Err(PgmlError::data(format!(
            "{} has no feature columns besides the label",
            rel.name
        )));
    }
    let columns = serde_json::Value::Array(
        rel.columns
            .iter()
            .map(|c| serde_json::json!({"name": c.name, "type": c.type_name}))
            .collect(),
    );
    let labels: Vec<String> = label.iter().map(|l| l.name.clone()).collect();
    let snap = snapshot::create(&rel, &labels, a.test_size, sampling, false, columns, true)?;
    let trained = super::distributed::train(&super::distributed::Request {
        task,
        algorithm,
        params: &params,
        relation: &rel,
        features: &features,
        label: label.as_ref().filter(|_| task.needs_label()),
        test_size: f64::from(a.test_size),
        sampling,
        seed: snap.seed as u64,
    })?;
    snapshot::finish(
        snap.id,
        trained.train_rows,
        trained.test_rows,
        serde_json::json!({"num_rows": trained.rows, "num_features": features.len()}),
    )?;
    snapshot::record_shards(snap.id, trained.lineage)?;
    let project = match existing {
        Some(p) => p,
        None => project::create_or_get(a.project_name, task)?,
    };
    let model_id = model::insert(
        project.id,
        snap.id,
        &trained.model,
        &trained.metrics,
        None,
        &pgml_core::plots::Plots::default().to_json(),
    )?;
    let deployed = auto_deploy(
        a.automatic_deploy,
        project.id,
        model_id,
        task,
        &trained.metrics,
    )?;
    Ok((
        project.name,
        task.to_string(),
        algorithm.as_str().to_string(),
        deployed,
    ))
}

/// Deploys unless the deployed model is strictly better on the task's key metric.
fn auto_deploy(
    automatic: bool,
    project_id: i64,
    model_id: i64,
    task: Task,
    metrics: &pgml_core::metrics::Metrics,
) -> Result<bool> {
    let key = task.key_metric();
    let new_score = metrics.get(key).copied();
    let deploy = automatic
        && match deployment::deployed_model(project_id)? {
            None => true,
            Some(current) => match (deployment::key_metric(current, key)?, new_score) {
                (Some(old), Some(new)) => old <= new || old.is_nan(),
                _ => true,
            },
        };
    if deploy {
        deployment::insert(project_id, model_id, "new_score")?;
    }
    Ok(deploy)
}

fn column_list(rel: &relation::Relation) -> String {
    rel.columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

extension_sql_file!("train.sql", name = "train", requires = [train_internal]);
