//! `pgml.projects`.

use pgml_core::Task;
use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::spi::read_two;

#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub task: Task,
}

pub fn find(name: &str) -> Result<Option<Project>> {
    match read_two::<i64, String>(
        "SELECT id, task::text FROM pgml.projects WHERE name = $1",
        &[name.into()],
    )? {
        (Some(id), Some(task)) => Ok(Some(Project {
            id,
            name: name.to_string(),
            task: Task::parse(&task)?,
        })),
        _ => Ok(None),
    }
}

/// The project, which must exist (42704 otherwise).
pub fn get(name: &str) -> Result<Project> {
    find(name)?.ok_or_else(|| {
        PgmlError::undefined(format!("project \"{name}\" does not exist")).hint(
            "train it first with pgml.train; SELECT name FROM pgml.projects lists the projects",
        )
    })
}

pub fn create(name: &str, task: Task) -> Result<Project> {
    if name.trim().is_empty() {
        return Err(PgmlError::invalid("project_name must not be empty"));
    }
    let id = Spi::get_one_with_args::<i64>(
        "INSERT INTO pgml.projects (name, task) VALUES ($1, $2::pgml.task) RETURNING id",
        &[name.into(), task.as_str().into()],
    )?
    .ok_or_else(|| PgmlError::data("inserting the project returned no id"))?;
    Ok(Project {
        id,
        name: name.to_string(),
        task,
    })
}
