//! `pgml.train_joint(...)`: PostgresML's multi-output regression. Same signature and defaults as
//! `pgml.train` except `y_column_name text[]`; one model predicts every label (`pgml.predict_joint`).
//! The SQL wrapper is in `train_joint.sql`; the work is `train::train` with several labels.

use pgml_core::Task;
use pgrx::prelude::*;

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

/// What a train_joint call may ask, before anything is read: regression only, and at least two
/// distinct labels when it names them (one label is `pgml.train`'s job, and the count is what tells
/// a joint project from a single-label one).
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
        if labels.len() < 2 {
            return Err(PgmlError::invalid(format!(
                "pgml.train_joint needs at least two label columns in y_column_name, got {}",
                labels.len()
            ))
            .hint(
                "for one label use pgml.train(project_name, 'regression', relation_name, 'label')",
            ));
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

/// A project holds models of one kind: trained by train_joint (several labels) or by train (one
/// label or none), told by the labels of its newest model's snapshot.
pub(super) fn check_project(p: &Project, last: Option<&Snapshot>, joint: bool) -> Result<()> {
    let Some(last) = last else {
        return Ok(());
    };
    let was_joint = last.y_column_names.len() > 1;
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

extension_sql_file!(
    "train_joint.sql",
    name = "train_joint",
    requires = [train_joint_internal]
);
