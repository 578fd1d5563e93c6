//! `pgml.train_joint(...)`: PostgresML's multi-output regression. Same signature and defaults as
//! `pgml.train` except `y_column_name text[]`; one model predicts every label (`pgml.predict_joint`).
//! The SQL wrapper is in `train_joint.sql`; the work is `train::train` with several labels.

use pgml_core::algorithms::Fitted;
use pgml_core::Task;
use pgrx::prelude::*;

use crate::catalog::model;
use crate::catalog::project::Project;
use crate::catalog::snapshot::Snapshot;
use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::fixed_search_path;

use super::train::{self, Args};

#[allow(clippy::too_many_arguments)] // PostgresML's signature
#[pg_extern(volatile, parallel_unsafe, name = "_train_joint")]
fn train_joint_internal(
    project_name: Option<&str>,
    task: Option<&str>,
    relation_name: Option<&str>,
    y_column_name: Option<Vec<Option<String>>>,
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
    let y_column_names = y_column_name
        .map(|names| {
            names
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    n.ok_or_else(|| {
                        PgmlError::null(format!("element {} of y_column_name is NULL", i + 1))
                            .hint("name every label column, e.g. ARRAY['weight', 'waist', 'pulse']")
                    })
                })
                .collect::<Result<Vec<String>>>()
        })
        .transpose()
        .or_report();
    let args = Args::from_call(
        project_name,
        task,
        relation_name,
        y_column_names,
        true,
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
    TableIterator::once(fixed_search_path(|| train::train(&args)).or_report())
}

/// What a train_joint call may ask, before anything is read: regression only, and at least one
/// distinct label when it names them (PostgresML accepts a one-element `y_column_name`; its model
/// is still a joint one, answered by `pgml.predict_joint` with a one-element array).
pub(super) fn check_call(task: Task, labels: Option<&[String]>) -> Result<()> {
    if task != Task::Regression {
        return Err(PgmlError::not_supported(format!(
            "pgml.train_joint supports regression only, not {task}"
        ))
        .hint(format!(
            "train_joint fits several numeric labels jointly (task => 'regression'); for {task}, train one project per label with pgml.train"
        )));
    }
    if let Some(labels) = labels {
        if labels.is_empty() {
            return Err(PgmlError::invalid(
                "pgml.train_joint needs at least one label column in y_column_name, got an empty array",
            )
            .hint("name the label columns, e.g. ARRAY['weight', 'waist', 'pulse']"));
        }
        if let Some(dup) = labels
            .iter()
            .enumerate()
            .find(|(i, l)| labels[..*i].contains(l))
        {
            return Err(PgmlError::invalid(format!(
                "y_column_name names label column \"{}\" twice",
                dup.1
            )));
        }
    }
    Ok(())
}

/// A project holds models of one kind: trained by train_joint or by train. Several labels on the
/// newest model's snapshot mean train_joint; with one label, the newest model itself tells (a
/// joint model with one label is train_joint's too).
pub(super) fn check_project(p: &Project, last: Option<&Snapshot>, joint: bool) -> Result<()> {
    let Some(last) = last else {
        return Ok(());
    };
    let was_joint = match last.y_column_names.len() {
        0 => false,
        1 if p.task == Task::Regression => newest_is_joint(p.id)?,
        1 => false,
        _ => true,
    };
    match (was_joint, joint) {
        (true, false) => Err(PgmlError::invalid(format!(
            "project \"{}\" was trained by pgml.train_joint on labels {}; pgml.train cannot add a single-label model to it",
            p.name,
            last.y_column_names.join(", ")
        ))
        .hint("use pgml.train_joint for this project, or another project name for a single-label model")),
        (false, true) => Err(PgmlError::invalid(format!(
            "project \"{}\" was trained by pgml.train; pgml.train_joint cannot add a multi-output model to it",
            p.name
        ))
        .hint("use another project name for a joint model")),
        _ => Ok(()),
    }
}

/// Whether the project's newest model was trained by train_joint (its fitted data is a joint
/// model). Only asked for one-label regression projects.
fn newest_is_joint(project_id: i64) -> Result<bool> {
    let Some(id) = model::newest_of_project(project_id)? else {
        return Ok(false);
    };
    Ok(model::load(id)?.is_some_and(|(_, m)| matches!(m.estimator.fitted(), Fitted::Joint(_))))
}

extension_sql_file!(
    "train_joint.sql",
    name = "train_joint",
    requires = [train_joint_internal]
);
