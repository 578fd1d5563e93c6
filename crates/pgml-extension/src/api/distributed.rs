//! Distributed training (issue 15): `pgml.train(..., hyperparams => '{"distributed": true}')` on
//! a coordinator whose relation is a partitioned table (or a view over one) of postgres_fdw
//! foreign tables. The coordinator checks every shard, fixes the features, label encoding,
//! parameters and split, runs the collective's tracker, and has every shard run
//! `pgml._dist_worker` over its own rows; the shards learn together over XGBoost's collective and
//! each returns the same model, its row counts, test statistics and the bytes it sent.
//! `pgml._dist_worker` is the shard side: it reads only the local table, as the role the
//! coordinator connected as.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgml_core::algorithms::Algorithm;
use pgml_core::dist::score::ScorePartial;
use pgml_core::dist::{worker, Moments};
use pgml_core::hyperparams::Hyperparams;
use pgml_core::labels::{self, LabelKind};
use pgml_core::metrics::Metrics;
use pgml_core::model::Model;
use pgml_core::split::Sampling;
use pgml_core::training::Target;
use pgml_core::Task;
use pgrx::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{OrReport, PgmlError, Result};
use crate::pg::privilege::fixed_search_path;
use crate::pg::reader::{self, LabelRead};
use crate::pg::relation::{self, Column, ColumnKind, Relation};
use crate::pg::remote::{self, ShardError};
use crate::pg::shards::{self, Shard};
use crate::pg::spi::read_one;

/// What the coordinator sends each shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    kind: String,
    relation: String,
    features: Vec<String>,
    label: Option<String>,
    task: String,
    algorithm: String,
    hyperparams: serde_json::Value,
    classes: Option<Vec<String>>,
    label_kind: Option<String>,
    test_size: f64,
    sampling: String,
    seed: u64,
    tracker_host: String,
    tracker_port: u16,
    task_id: String,
    timeout_s: u64,
    rank: usize,
}

/// What a shard answers.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    rows: usize,
    train_rows: usize,
    test_rows: usize,
    /// The encoded model, from rank 0 only (the others send its hash).
    model: Option<String>,
    model_sha256: String,
    score: ScorePartial,
    test_moments: Option<Moments>,
    bytes_sent: u64,
    bytes_received: u64,
    seconds: f64,
}

/// The shard side of a distributed job. Volatile (it joins a job), strict; the coordinator is its
/// only intended caller, with the rights of the role its user mapping names.
#[pg_extern(volatile, strict, parallel_unsafe, name = "_dist_worker")]
fn dist_worker(job: pgrx::JsonB) -> pgrx::JsonB {
    let job: Job = serde_json::from_value(job.0)
        .map_err(|e| PgmlError::invalid(format!("not a distributed job: {e}")))
        .or_report();
    pgrx::JsonB(fixed_search_path(|| run_worker(&job)).or_report())
}

fn label_kind(name: Option<&str>) -> LabelKind {
    match name {
        Some("numeric") => LabelKind::Numeric,
        Some("boolean") => LabelKind::Boolean,
        _ => LabelKind::Text,
    }
}

fn label_kind_name(c: &Column) -> &'static str {
    match c.kind {
        ColumnKind::Number => "numeric",
        ColumnKind::Bool => "boolean",
        _ => "text",
    }
}

/// The feature and label columns of the shard's table, in the coordinator's order.
fn columns(rel: &Relation, job: &Job) -> Result<(Vec<Column>, Option<Column>)> {
    let features = job
        .features
        .iter()
        .map(|f| {
            let c = rel.column(f)?;
            if !matches!(c.kind, ColumnKind::Number | ColumnKind::Bool) {
                return Err(PgmlError::new(
                    PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                    format!("column \"{f}\" of {} has type {} here; distributed features are numbers or booleans", rel.name, c.type_name),
                ));
            }
            Ok(c.clone())
        })
        .collect::<Result<Vec<_>>>()?;
    let label = job
        .label
        .as_deref()
        .map(|l| rel.column(l).cloned())
        .transpose()?;
    Ok((features, label))
}

fn run_worker(job: &Job) -> Result<serde_json::Value> {
    crate::guc::choose_openmp_wait_policy();
    let rel = relation::resolve(&job.relation)?;
    let (features, label) = columns(&rel, job)?;
    let task = Task::parse(&job.task)?;
    if job.kind == "classes" {
        let label = label.ok_or_else(|| PgmlError::invalid("a classes job needs the label"))?;
        let cap = i64::from(crate::guc::MAX_CLASSES.get()) + 1;
        // rel.name is the canonical quoted name from regclass; the label is quoted.
        let classes = read_one::<pgrx::JsonB>(
            &format!(
                "SELECT COALESCE(pg_catalog.jsonb_agg(v), '[]') FROM (SELECT DISTINCT {}::text AS v FROM {} WHERE {} IS NOT NULL LIMIT {cap}) d",
                crate::pg::quote_ident(&label.name),
                rel.name,
                crate::pg::quote_ident(&label.name)
            ),
            &[],
        )?;
        return Ok(
            serde_json::json!({"classes": classes.map_or(serde_json::Value::Null, |j| j.0)}),
        );
    }
    let algorithm = Algorithm::for_task(&job.algorithm, task)?;
    let params = algorithm.resolve(task, &job.hyperparams)?;
    let read_label = label.as_ref().filter(|_| task.needs_label()).map(|l| {
        (
            l,
            if task == Task::Classification {
                LabelRead::Class
            } else {
                LabelRead::Value
            },
        )
    });
    let nullable = vec![false; features.len()];
    let labels: Vec<_> = read_label.into_iter().collect();
    let data = reader::read(&rel.name, &rel.name, &features, &nullable, &labels)?;
    let started = Instant::now();
    // The coordinator's classes first, then this shard's labels: the same encoding everywhere,
    // and a label the coordinator did not see is found.
    let codes = match (task, &job.classes) {
        (Task::Classification, Some(classes)) => {
            let enc = data
                .class_labels
                .encode_after(classes, label_kind(job.label_kind.as_deref()))?;
            if enc.classes.len() != classes.len() {
                return Err(PgmlError::data(format!(
                    "{} has label values the coordinator did not see when it planned the job",
                    rel.name
                ))
                .hint("the table changed during training; train again"));
            }
            Some((enc.codes, classes.len(), enc.values))
        }
        _ => None,
    };
    let x = data.x;
    let values = data.values;
    let cancel = Arc::new(AtomicBool::new(false));
    let (cancel2, params2, job2) = (cancel.clone(), params.clone(), job.clone());
    let codes2 = codes.as_ref().map(|(c, k, _)| (c.clone(), *k));
    // XGBoost's collective lives in the thread that joins it: a fresh thread per job, which
    // calls no PostgreSQL function.
    let handle = std::thread::spawn(
        move || -> Result<(worker::Outcome, pgml_xgboost::Traffic), String> {
            let mut config = pgml_xgboost::CommunicatorConfig::new(
                &job2.tracker_host,
                job2.tracker_port,
                &job2.task_id,
            );
            config.timeout = Duration::from_secs(job2.timeout_s);
            let comm = pgml_xgboost::Communicator::join(&config)
                .map_err(|e| format!("joining the job: {e}"))?;
            let target = match (&codes2, task) {
                (Some((codes, k)), _) => Target::Classes {
                    codes,
                    num_classes: *k,
                },
                (None, Task::Regression) => Target::Values(&values),
                _ => Target::None,
            };
            let check = || {
                if cancel2.load(Ordering::Relaxed) {
                    panic!("the distributed job was cancelled");
                }
            };
            let outcome = worker::run(
                &comm,
                task,
                algorithm,
                &params2,
                &x,
                target,
                job2.test_size,
                Sampling::parse(&job2.sampling).map_err(|e| e.to_string())?,
                job2.seed,
                &check,
            )
            .map_err(|e| e.to_string())?;
            let traffic = comm.traffic();
            drop(comm);
            Ok((outcome, traffic))
        },
    );
    let _stop = SetOnDrop(cancel);
    while !handle.is_finished() {
        pg_sys::check_for_interrupts!();
        std::thread::sleep(Duration::from_millis(20));
    }
    let (outcome, traffic) = match handle.join() {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
                e,
            ))
        }
        Err(_) => {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_QUERY_CANCELED,
                "the distributed job's worker stopped",
            ))
        }
    };
    let (classes, class_values) = match codes {
        Some((_, _, values)) => (job.classes.clone(), Some(values)),
        None => (None, None),
    };
    let model = Model {
        task,
        algorithm,
        hyperparams: params.to_json().to_string(),
        features: data.features,
        classes,
        class_values,
        estimator: outcome.estimator,
        pgml_version: pgml_core::VERSION.to_string(),
    };
    let bytes = model.encode()?;
    let answer = Answer {
        rows: x_rows(outcome.train_rows, outcome.test_rows),
        train_rows: outcome.train_rows,
        test_rows: outcome.test_rows,
        model: (job.rank == 0).then(|| hex(&bytes)),
        model_sha256: hex(&Sha256::digest(&bytes)),
        score: outcome.score,
        test_moments: outcome.test_moments,
        bytes_sent: traffic.sent,
        bytes_received: traffic.received,
        seconds: started.elapsed().as_secs_f64(),
    };
    serde_json::to_value(answer).map_err(|e| PgmlError::data(format!("encoding the answer: {e}")))
}

fn x_rows(train: usize, test: usize) -> usize {
    train + test
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|v| format!("{v:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// What the coordinator asks for.
pub struct Request<'a> {
    pub task: Task,
    pub algorithm: Algorithm,
    pub params: &'a Hyperparams,
    pub relation: &'a Relation,
    pub features: &'a [Column],
    pub label: Option<&'a Column>,
    pub test_size: f64,
    pub sampling: Sampling,
    pub seed: u64,
}

/// What the coordinator stores.
pub struct Trained {
    pub model: Model,
    pub metrics: Metrics,
    pub train_rows: usize,
    pub test_rows: usize,
    pub rows: usize,
    pub lineage: serde_json::Value,
}

fn is_superuser() -> Result<bool> {
    Ok(read_one::<bool>(
        "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) CURRENT_USER",
        &[],
    )?
    .unwrap_or(false))
}

/// Checks a shard before any job starts: pgml installed at the coordinator's version, the
/// worker function callable, the table there and readable.
fn preflight(client: &mut postgres::Client, remote_table: &str) -> Result<(), ShardError> {
    let q = |e: postgres::Error| {
        ShardError::new(
            PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
            remote::error_text(&e),
        )
    };
    let row = client
        .query_one(
            "SELECT (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgml'),
                    pg_catalog.to_regclass($1::text)::pg_catalog.oid IS NOT NULL",
            &[&remote_table],
        )
        .map_err(q)?;
    let version: Option<String> = row.get(0);
    match version.as_deref() {
        None => {
            return Err(ShardError::new(
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                "pgml is not installed in the shard's database",
            )
            .hint("CREATE EXTENSION pgml on the shard (the same version as on the coordinator)"))
        }
        Some(v) if v != pgml_core::VERSION => {
            return Err(ShardError::new(
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("pgml {v} is installed there; the coordinator runs pgml {}", pgml_core::VERSION),
            )
            .hint(format!("ALTER EXTENSION pgml UPDATE TO '{}' on the shard (or install the same version on both)", pgml_core::VERSION)))
        }
        Some(_) => {}
    }
    let exists: bool = row.get(1);
    if !exists {
        return Err(ShardError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            format!("table {remote_table} does not exist on the shard"),
        )
        .hint("fix the foreign table's schema_name/table_name options"));
    }
    let row = client
        .query_one(
            "SELECT pg_catalog.has_table_privilege($1::text, 'SELECT'),
                    pg_catalog.has_function_privilege('pgml._dist_worker(jsonb)', 'EXECUTE'),
                    CURRENT_USER::text",
            &[&remote_table],
        )
        .map_err(q)?;
    let (select, execute, user): (bool, bool, String) = (row.get(0), row.get(1), row.get(2));
    if !select {
        return Err(ShardError::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("role {user} has no SELECT on {remote_table} there"),
        )
        .hint(format!(
            "on the shard: GRANT SELECT ON {remote_table} TO {user}"
        )));
    }
    if !execute {
        return Err(ShardError::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("role {user} may not run pgml's distributed worker there"),
        )
        .hint(format!("on the shard: GRANT pgml_trainer TO {user}")));
    }
    Ok(())
}

fn call(client: &mut postgres::Client, job: &Job) -> Result<serde_json::Value, ShardError> {
    let text = serde_json::to_string(job)
        .map_err(|e| ShardError::new(PgSqlErrorCode::ERRCODE_DATA_EXCEPTION, e.to_string()))?;
    let row = client
        .query_one("SELECT pgml._dist_worker($1::text::jsonb)::text", &[&text])
        .map_err(|e| {
            let code = match e.code().map(|c| c.code()) {
                Some("57014") => PgSqlErrorCode::ERRCODE_QUERY_CANCELED,
                _ => PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
            };
            ShardError::new(
                code,
                format!(
                    "the shard's part of the job failed: {}",
                    remote::error_text(&e)
                ),
            )
        })?;
    let answer: String = row.get(0);
    serde_json::from_str(&answer).map_err(|e| {
        ShardError::new(
            PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
            format!("unreadable answer: {e}"),
        )
    })
}

/// Runs the job on every shard and returns what to store.
pub fn train(r: &Request<'_>) -> Result<Trained> {
    worker::check(r.algorithm, r.task, r.params)?;
    for c in r.features {
        if !matches!(c.kind, ColumnKind::Number | ColumnKind::Bool) {
            return Err(PgmlError::not_supported(format!(
                "feature column \"{}\" has type {}; distributed training takes number and boolean features",
                c.name, c.type_name
            ))
            .hint("cast or leave it out in a view on the shards, or train on one server"));
        }
    }
    let shards = shards::discover(&r.relation.name)?;
    let superuser = is_superuser()?;
    let timeout =
        Duration::from_secs(u64::try_from(crate::guc::DISTRIBUTED_TIMEOUT.get()).unwrap_or(30));
    let connect_timeout = timeout.min(Duration::from_secs(10));
    let remote_tables: Vec<String> = shards
        .iter()
        .map(|s| s.remote_table.clone().unwrap_or_default())
        .collect();
    // Every shard is checked before anything starts.
    {
        let tables = remote_tables.clone();
        remote::run_all(&shards, superuser, connect_timeout, move |i, client| {
            preflight(client, &tables[i])
        })?;
    }
    let base = Job {
        kind: "classes".into(),
        relation: String::new(),
        features: r.features.iter().map(|c| c.name.clone()).collect(),
        label: r.label.map(|l| l.name.clone()),
        task: r.task.to_string(),
        algorithm: r.algorithm.as_str().to_string(),
        hyperparams: r.params.to_json(),
        classes: None,
        label_kind: r.label.map(|l| label_kind_name(l).to_string()),
        test_size: r.test_size,
        sampling: r.sampling.as_str().to_string(),
        seed: r.seed,
        tracker_host: String::new(),
        tracker_port: 0,
        task_id: String::new(),
        timeout_s: timeout.as_secs(),
        rank: 0,
    };
    // Classification: the classes of every shard, encoded once here.
    let mut job = base.clone();
    if r.task == Task::Classification {
        let (jobs, tables) = (base.clone(), remote_tables.clone());
        let lists = remote::run_all(&shards, superuser, connect_timeout, move |i, client| {
            let mut j = jobs.clone();
            j.relation = tables[i].clone();
            call(client, &j)
        })?;
        let mut all: Vec<String> = Vec::new();
        for l in lists {
            if let Some(a) = l.get("classes").and_then(|v| v.as_array()) {
                all.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
        }
        let enc = labels::encode(&all, label_kind(job.label_kind.as_deref()))?;
        let cap = crate::guc::MAX_CLASSES.get();
        if enc.classes.len() > usize::try_from(cap).unwrap_or(usize::MAX) {
            return Err(PgmlError::new(
                PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                format!("the label has more than pgml.max_classes ({cap}) distinct values over the shards"),
            ));
        }
        if enc.classes.len() < 2 {
            return Err(PgmlError::data(
                "the label has fewer than two classes over the shards",
            ));
        }
        job.classes = Some(enc.classes);
    }
    job.kind = "train".into();
    let bind = crate::guc::distributed_address();
    let ip: std::net::IpAddr = bind.parse().map_err(|_| {
        PgmlError::invalid(format!("pgml.distributed_address \"{bind}\" is not an IP address"))
            .hint("SET pgml.distributed_address to the coordinator's address on the shards' private network")
    })?;
    let mut config =
        pgml_collective::TrackerConfig::new(std::net::SocketAddr::new(ip, 0), shards.len());
    config.rendezvous_timeout = timeout;
    config.timeout = timeout;
    let tracker = pgml_collective::Tracker::start(config).map_err(|e| {
        PgmlError::new(
            PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
            format!("starting the job's tracker on {bind}: {e}"),
        )
        .hint("SET pgml.distributed_address to an address of this server the shards can reach")
    })?;
    let envs: Vec<_> = (0..shards.len()).map(|i| tracker.worker(i)).collect();
    let started = Instant::now();
    let (jobs, tables) = (job.clone(), remote_tables.clone());
    let answers = remote::run_all(&shards, superuser, connect_timeout, move |i, client| {
        let mut j = jobs.clone();
        j.relation = tables[i].clone();
        j.rank = i;
        j.tracker_host = envs[i].tracker_host.clone();
        j.tracker_port = envs[i].tracker_port;
        j.task_id = envs[i].task_id.clone();
        call(client, &j)
    });
    let answers = match answers {
        Ok(a) => a,
        Err(e) => {
            let _ = tracker.stop();
            return Err(e);
        }
    };
    let _ = tracker.wait();
    let seconds = started.elapsed().as_secs_f64();
    let answers = answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            serde_json::from_value::<Answer>(a).map_err(|e| {
                PgmlError::data(format!("{}: unreadable answer: {e}", shards[i].label()))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    combine(r, &shards, answers, seconds)
}

fn combine(
    r: &Request<'_>,
    shards: &[Shard],
    answers: Vec<Answer>,
    seconds: f64,
) -> Result<Trained> {
    let first = &answers[0];
    for (i, a) in answers.iter().enumerate() {
        if a.model_sha256 != first.model_sha256 {
            return Err(PgmlError::data(format!(
                "{} trained a different model than {}",
                shards[i].label(),
                shards[0].label()
            ))
            .hint(
                "every shard must run the same pgml build; report this with both servers' versions",
            ));
        }
    }
    let bytes = first
        .model
        .as_deref()
        .and_then(unhex)
        .ok_or_else(|| PgmlError::data(format!("{} sent no model", shards[0].label())))?;
    let model = Model::decode(&bytes)?;
    let mut score = ScorePartial::None;
    let mut test_moments: Option<Moments> = None;
    for a in &answers {
        score = score.merge(a.score.clone())?;
        if let Some(m) = &a.test_moments {
            match &mut test_moments {
                Some(t) => t.merge(m)?,
                None => test_moments = Some(m.clone()),
            }
        }
    }
    let mut metrics = score.metrics();
    if let (Some(m), Some(pca)) = (&test_moments, pca_of(&model)) {
        metrics.insert(
            "cumulative_explained_variance".into(),
            pgml_core::dist::explained_variance(pca, m),
        );
    }
    metrics.insert("fit_time".into(), seconds);
    let lineage = serde_json::json!({
        "shards": shards.iter().zip(&answers).map(|(s, a)| serde_json::json!({
            "server": s.server, "host": s.host, "port": s.port, "dbname": s.dbname,
            "partition": s.partition, "remote_table": s.remote_table,
            "rows": a.rows, "train_rows": a.train_rows, "test_rows": a.test_rows,
            "bytes_sent": a.bytes_sent, "bytes_received": a.bytes_received, "seconds": a.seconds,
        })).collect::<Vec<_>>(),
        "algorithm": r.algorithm.as_str(),
        "seconds": seconds,
    });
    Ok(Trained {
        model,
        metrics,
        train_rows: answers.iter().map(|a| a.train_rows).sum(),
        test_rows: answers.iter().map(|a| a.test_rows).sum(),
        rows: answers.iter().map(|a| a.rows).sum(),
        lineage,
    })
}

fn pca_of(model: &Model) -> Option<&pgml_core::algorithms::pca::PcaModel> {
    match model.estimator.fitted() {
        pgml_core::algorithms::Fitted::Pca(p) => Some(p),
        pgml_core::algorithms::Fitted::WhitenedPca(w) => Some(&w.pca),
        _ => None,
    }
}
