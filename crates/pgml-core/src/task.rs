use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a project learns. Fixed by the project's first training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Task {
    Regression,
    Classification,
    Clustering,
    Decomposition,
}

impl Task {
    pub const ALL: [Task; 4] = [
        Task::Regression,
        Task::Classification,
        Task::Clustering,
        Task::Decomposition,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::Classification => "classification",
            Task::Clustering => "clustering",
            Task::Decomposition => "decomposition",
        }
    }

    pub fn parse(s: &str) -> Result<Task> {
        Task::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_with_hint(
                    format!("unknown task \"{s}\""),
                    "use one of: regression, classification, clustering, decomposition",
                )
            })
    }

    /// Supervised tasks learn a label column; the others learn from the features alone.
    pub fn needs_label(self) -> bool {
        matches!(self, Task::Regression | Task::Classification)
    }

    /// The metric deployment compares models by (higher is better for all of them).
    pub fn key_metric(self) -> &'static str {
        match self {
            Task::Regression => "r2",
            Task::Classification => "f1",
            Task::Clustering => "silhouette",
            Task::Decomposition => "cumulative_explained_variance",
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
