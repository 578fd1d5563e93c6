//! What the dashboard reads from the pgml catalog, through an ordinary connection with the
//! connecting role's rights (row-level security shows it the projects it holds a right on).
//!
//! No SQL here is built from request input: ids arrive as integers and are bound as parameters.
//! The only text put into statements is this module's own (column names known to exist, the key
//! metric of each task from pgml-core).

use std::collections::HashSet;

use postgres::types::ToSql;
use postgres::{Client, Row};

use pgml_core::Task;

/// A failed query, with what was being read (shown on the page).
#[derive(Debug)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, QueryError>;

fn run(c: &mut Client, what: &str, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
    c.query(sql, params).map_err(|e| {
        QueryError(format!(
            "reading {what}: {}",
            pgml_postgres::describe_pg_error(&e)
        ))
    })
}

/// Which optional catalog columns this server has (older pgml versions lack the newer ones; the
/// pages show what there is).
#[derive(Debug, Clone, Default)]
pub struct Columns(HashSet<String>);

impl Columns {
    pub fn load(c: &mut Client) -> Result<Columns> {
        let rows = run(
            c,
            "the catalog's columns",
            "SELECT c.relname || '.' || a.attname
               FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
              WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pgml')
                AND c.relname IN ('projects', 'models', 'snapshots', 'deployments')
                AND a.attnum > 0 AND NOT a.attisdropped",
            &[],
        )?;
        if rows.is_empty() {
            return Err(QueryError(
                "this database has no pgml catalog (CREATE EXTENSION pgml), or the role cannot see it".into(),
            ));
        }
        Ok(Columns(
            rows.iter().map(|r| r.get::<_, String>(0)).collect(),
        ))
    }

    /// `alias.column` when the table has it, else a NULL of its type.
    fn col(&self, table: &str, alias: &str, column: &str, ty: &str) -> String {
        if self.0.contains(&format!("{table}.{column}")) {
            format!("{alias}.{column}::{ty}")
        } else {
            format!("NULL::{ty}")
        }
    }
}

/// The key metric of a project's task, as a SQL expression over `task` (a pgml.task column).
fn key_metric_sql(task: &str) -> String {
    let mut s = format!("CASE {task}::text");
    for t in Task::ALL {
        s.push_str(&format!(" WHEN '{}' THEN '{}'", t.as_str(), t.key_metric()));
    }
    s.push_str(" END");
    s
}

pub fn key_metric(task: &str) -> &'static str {
    Task::parse(task).map_or("score", |t| t.key_metric())
}

const TS: &str = "'YYYY-MM-DD HH24:MI'";

fn json(s: Option<String>) -> serde_json::Value {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[derive(Debug, Clone)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub task: String,
    pub models: i64,
    pub last_trained: Option<String>,
    pub deployed_model: Option<i64>,
    pub deployed_algorithm: Option<String>,
    pub deployed_score: Option<f64>,
    /// The key metric of every model, oldest first.
    pub scores: Vec<Option<f64>>,
}

pub fn projects(c: &mut Client) -> Result<Vec<ProjectSummary>> {
    let key_m = format!("(m.metrics ->> {})::float8", key_metric_sql("p.task"));
    let key_d = format!("(dm.metrics ->> {})::float8", key_metric_sql("p.task"));
    let sql = format!(
        "SELECT p.id, p.name, p.task::text, count(m.id), to_char(max(m.created_at), {TS}),
                d.model_id, dm.algorithm, {key_d},
                coalesce(array_agg({key_m} ORDER BY m.id) FILTER (WHERE m.id IS NOT NULL), '{{}}')
           FROM pgml.projects p
           LEFT JOIN pgml.models m ON m.project_id = p.id
           LEFT JOIN LATERAL (SELECT model_id FROM pgml.deployments
                               WHERE project_id = p.id ORDER BY id DESC LIMIT 1) d ON true
           LEFT JOIN pgml.models dm ON dm.id = d.model_id
          GROUP BY p.id, d.model_id, dm.id
          ORDER BY p.name"
    );
    Ok(run(c, "projects", &sql, &[])?
        .iter()
        .map(|r| ProjectSummary {
            id: r.get(0),
            name: r.get(1),
            task: r.get(2),
            models: r.get(3),
            last_trained: r.get(4),
            deployed_model: r.get(5),
            deployed_algorithm: r.get(6),
            deployed_score: r.get(7),
            scores: r.get(8),
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub task: String,
    pub owner: Option<String>,
    pub created_at: String,
}

pub fn project(c: &mut Client, cols: &Columns, id: i64) -> Result<Option<Project>> {
    let sql = format!(
        "SELECT p.id, p.name, p.task::text, {}, to_char(p.created_at, {TS})
           FROM pgml.projects p WHERE p.id = $1",
        cols.col("projects", "p", "owner", "text")
    );
    Ok(run(c, "the project", &sql, &[&id])?
        .first()
        .map(|r| Project {
            id: r.get(0),
            name: r.get(1),
            task: r.get(2),
            owner: r.get(3),
            created_at: r.get(4),
        }))
}

#[derive(Debug, Clone)]
pub struct ModelSummary {
    pub id: i64,
    pub algorithm: String,
    pub status: String,
    pub hyperparams: serde_json::Value,
    pub metrics: serde_json::Value,
    pub created_at: String,
    pub created_epoch: f64,
    pub origin: serde_json::Value,
    pub search: Option<String>,
}

pub fn project_models(c: &mut Client, cols: &Columns, project: i64) -> Result<Vec<ModelSummary>> {
    let sql = format!(
        "SELECT m.id, m.algorithm, m.status::text, m.hyperparams::text, m.metrics::text,
                to_char(m.created_at, {TS}), extract(epoch FROM m.created_at)::float8, {}, m.search::text
           FROM pgml.models m WHERE m.project_id = $1 ORDER BY m.id",
        cols.col("models", "m", "origin", "text")
    );
    Ok(run(c, "the project's models", &sql, &[&project])?
        .iter()
        .map(|r| ModelSummary {
            id: r.get(0),
            algorithm: r.get(1),
            status: r.get(2),
            hyperparams: json(r.get(3)),
            metrics: json(r.get(4)),
            created_at: r.get(5),
            created_epoch: r.get(6),
            origin: json(r.get(7)),
            search: r.get(8),
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub model_id: i64,
    pub algorithm: Option<String>,
    pub strategy: String,
    pub created_at: String,
    pub deployed_by: Option<String>,
}

/// Newest first.
pub fn deployments(c: &mut Client, cols: &Columns, project: i64) -> Result<Vec<Deployment>> {
    let sql = format!(
        "SELECT d.model_id, m.algorithm, d.strategy::text, to_char(d.created_at, {TS}), {}
           FROM pgml.deployments d LEFT JOIN pgml.models m ON m.id = d.model_id
          WHERE d.project_id = $1 ORDER BY d.id DESC",
        cols.col("deployments", "d", "deployed_by", "text")
    );
    Ok(run(c, "the deployments", &sql, &[&project])?
        .iter()
        .map(|r| Deployment {
            model_id: r.get(0),
            algorithm: r.get(1),
            strategy: r.get(2),
            created_at: r.get(3),
            deployed_by: r.get(4),
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct Model {
    pub id: i64,
    pub project_id: i64,
    pub project: String,
    pub task: String,
    pub snapshot_id: Option<i64>,
    pub algorithm: String,
    pub status: String,
    pub num_features: i32,
    pub hyperparams: serde_json::Value,
    pub metrics: serde_json::Value,
    pub search: Option<String>,
    pub search_params: serde_json::Value,
    pub features: serde_json::Value,
    pub label_mapping: serde_json::Value,
    pub created_at: String,
    pub feature_hash: Option<String>,
    pub origin: serde_json::Value,
    pub feature_importances: serde_json::Value,
    pub plots: serde_json::Value,
    pub deployed_now: bool,
    pub deployed_ever: bool,
}

pub fn model(c: &mut Client, cols: &Columns, id: i64) -> Result<Option<Model>> {
    let sql = format!(
        "SELECT m.id, m.project_id, p.name, p.task::text, m.snapshot_id, m.algorithm, m.status::text,
                m.num_features, m.hyperparams::text, m.metrics::text, m.search::text, m.search_params::text,
                m.features::text, m.label_mapping::text, to_char(m.created_at, {TS}), {}, {}, {}, {},
                coalesce((SELECT d.model_id = m.id FROM pgml.deployments d WHERE d.project_id = m.project_id
                           ORDER BY d.id DESC LIMIT 1), false),
                EXISTS (SELECT 1 FROM pgml.deployments d WHERE d.model_id = m.id)
           FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
          WHERE m.id = $1",
        cols.col("models", "m", "feature_hash", "text"),
        cols.col("models", "m", "origin", "text"),
        cols.col("models", "m", "feature_importances", "text"),
        cols.col("models", "m", "plots", "text"),
    );
    Ok(run(c, "the model", &sql, &[&id])?.first().map(|r| Model {
        id: r.get(0),
        project_id: r.get(1),
        project: r.get(2),
        task: r.get(3),
        snapshot_id: r.get(4),
        algorithm: r.get(5),
        status: r.get(6),
        num_features: r.get(7),
        hyperparams: json(r.get(8)),
        metrics: json(r.get(9)),
        search: r.get(10),
        search_params: json(r.get(11)),
        features: json(r.get(12)),
        label_mapping: json(r.get(13)),
        created_at: r.get(14),
        feature_hash: r.get(15),
        origin: json(r.get(16)),
        feature_importances: json(r.get(17)),
        plots: json(r.get(18)),
        deployed_now: r.get(19),
        deployed_ever: r.get(20),
    }))
}

/// Whether the connection's role may deploy this project's models here: it holds the project's
/// deploy right and EXECUTE on pgml.deploy, and the server is not a read-only standby. Unknown
/// (older catalogs without pgml.project_allows) counts as no.
pub fn may_deploy(c: &mut Client, project: i64) -> bool {
    let sql = "SELECT NOT pg_catalog.pg_is_in_recovery()
                  AND pg_catalog.has_function_privilege('pgml.deploy(bigint)', 'EXECUTE')
                  AND pgml.project_allows(p.owner, p.acl, 'deploy')
                 FROM pgml.projects p WHERE p.id = $1";
    c.query_opt(sql, &[&project])
        .ok()
        .flatten()
        .and_then(|r| r.get::<_, Option<bool>>(0))
        .unwrap_or(false)
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: i64,
    pub relation_name: String,
    /// Every label column, in order: one for `pgml.train`, several for `pgml.train_joint`, none
    /// for clustering and decomposition.
    pub y_column_names: Vec<String>,
    pub test_size: f32,
    pub test_sampling: String,
    pub status: String,
    pub materialized: bool,
    pub num_train_rows: Option<i64>,
    pub num_test_rows: Option<i64>,
    pub created_at: String,
    pub columns: serde_json::Value,
    pub lineage: serde_json::Value,
    pub owner: Option<String>,
    pub column_stats: serde_json::Value,
}

pub fn snapshot(c: &mut Client, cols: &Columns, id: i64) -> Result<Option<Snapshot>> {
    let sql = format!(
        "SELECT s.id, s.relation_name, s.y_column_name, s.test_size, s.test_sampling::text, s.status::text,
                s.materialized, s.num_train_rows, s.num_test_rows, to_char(s.created_at, {TS}),
                s.columns::text, {}, {}, {}
           FROM pgml.snapshots s WHERE s.id = $1",
        cols.col("snapshots", "s", "lineage", "text"),
        cols.col("snapshots", "s", "owner", "text"),
        cols.col("snapshots", "s", "column_stats", "text"),
    );
    Ok(run(c, "the snapshot", &sql, &[&id])?
        .first()
        .map(|r| Snapshot {
            id: r.get(0),
            relation_name: r.get(1),
            y_column_names: r
                .get::<_, Option<Vec<Option<String>>>>(2)
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
            test_size: r.get(3),
            test_sampling: r.get(4),
            status: r.get(5),
            materialized: r.get(6),
            num_train_rows: r.get(7),
            num_test_rows: r.get(8),
            created_at: r.get(9),
            columns: json(r.get(10)),
            lineage: json(r.get(11)),
            owner: r.get(12),
            column_stats: json(r.get(13)),
        }))
}

#[derive(Debug, Clone)]
pub struct TrainedOn {
    pub model_id: i64,
    pub project_id: i64,
    pub project: String,
    pub algorithm: String,
    pub key_metric: String,
    pub score: Option<f64>,
}

/// Models shown on a snapshot's page (the newest); a snapshot can train thousands.
pub const SNAPSHOT_MODELS_SHOWN: i64 = 50;

/// The newest models trained on a snapshot, and how many there are in all.
pub fn snapshot_models(c: &mut Client, snapshot: i64) -> Result<(Vec<TrainedOn>, i64)> {
    let key = key_metric_sql("p.task");
    let sql = format!(
        "SELECT m.id, p.id, p.name, m.algorithm, {key}, (m.metrics ->> {key})::float8, count(*) OVER ()
           FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
          WHERE m.snapshot_id = $1 ORDER BY m.id DESC LIMIT $2"
    );
    let rows = run(
        c,
        "the snapshot's models",
        &sql,
        &[&snapshot, &SNAPSHOT_MODELS_SHOWN],
    )?;
    let total = rows.first().map_or(0, |r| r.get::<_, i64>(6));
    let list = rows
        .iter()
        .map(|r| TrainedOn {
            model_id: r.get(0),
            project_id: r.get(1),
            project: r.get(2),
            algorithm: r.get(3),
            key_metric: r.get(4),
            score: r.get(5),
        })
        .collect();
    Ok((list, total))
}

/// A list of rows as text cells, for the fleet page's tables (whatever the columns).
pub fn text_rows(c: &mut Client, what: &str, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    Ok(run(c, what, sql, &[])?
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get::<_, Option<String>>(i))
                .collect()
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct Deployed {
    pub project: String,
    pub model_id: i64,
    pub algorithm: String,
    pub deployed_at: String,
}

/// The deployed model of every project this server's catalog has.
pub fn deployed_models(c: &mut Client) -> Result<Vec<Deployed>> {
    let sql = format!(
        "SELECT name, model_id, algorithm, to_char(deployed_at, {TS}) FROM pgml.deployed_models ORDER BY name"
    );
    Ok(run(c, "the deployed models", &sql, &[])?
        .iter()
        .map(|r| Deployed {
            project: r.get(0),
            model_id: r.get(1),
            algorithm: r.get(2),
            deployed_at: r.get(3),
        })
        .collect())
}

/// Deploys `model` as the connection's role, in a read-write transaction of its own.
pub fn deploy(c: &mut Client, model: i64) -> Result<String> {
    let mut tx = c
        .build_transaction()
        .read_only(false)
        .start()
        .map_err(|e| QueryError(pgml_postgres::describe_pg_error(&e)))?;
    let row = tx
        .query_one(
            "SELECT project, strategy, algorithm FROM pgml.deploy($1::bigint)",
            &[&model],
        )
        .map_err(|e| QueryError(pgml_postgres::describe_pg_error(&e)))?;
    tx.commit()
        .map_err(|e| QueryError(pgml_postgres::describe_pg_error(&e)))?;
    let (project, algorithm): (String, String) = (row.get(0), row.get(2));
    Ok(format!(
        "model {model} ({algorithm}) is now deployed for {project}"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_metric_case_names_every_task() {
        let s = super::key_metric_sql("p.task");
        for t in pgml_core::Task::ALL {
            assert!(s.contains(&format!("WHEN '{}' THEN '{}'", t.as_str(), t.key_metric())));
        }
        assert_eq!(super::key_metric("classification"), "f1");
    }
}
