//! A shard's side of a distributed job, once its rows are in memory: split them by the job's
//! rule and seed, learn together with the other shards over XGBoost's collective (which this
//! thread has joined), and score the local test part.
//!
//! Every worker ends with the same model: XGBoost's workers grow identical trees; for the
//! statistics-based algorithms every worker receives every shard's statistics (`allgather`) and
//! merges them in rank order, so all of them compute the same bytes.

use serde::{Deserialize, Serialize};

use super::kmeans::{self as dist_kmeans, KMeansPartial, KMeansShard, LocalShard};
use super::score::ScorePartial;
use super::{fit_least_squares, fit_pca, Moments};
use crate::algorithms::kmeans::{self, KMeansModel};
use crate::algorithms::pca::WhitenedPca;
use crate::algorithms::{self, Algorithm, Estimator, Fitted, Labels};
use crate::hyperparams::Hyperparams;
use crate::split::{self, Sampling, SplitMix64};
use crate::training::Target;
use crate::{Error, Matrix, Result, Task};
use pgml_xgboost::{Communicator, Operation};

/// The algorithms a distributed job can train.
pub const ALGORITHMS: &[&str] = &["xgboost", "linear", "ridge", "kmeans", "pca"];

/// Refuses what distributed training cannot do yet, naming what it can.
pub fn check(algorithm: Algorithm, task: Task, params: &Hyperparams) -> Result<()> {
    let name = algorithm.as_str();
    if !ALGORITHMS.contains(&name) {
        return Err(Error::not_supported(
            format!("distributed training of algorithm {name} is not supported"),
            format!("distributed algorithms: {}", ALGORITHMS.join(", ")),
        ));
    }
    if matches!(name, "linear" | "ridge") && task != Task::Regression {
        return Err(Error::not_supported(
            format!("distributed {name} {task} is not supported"),
            "distributed linear and ridge are regressions (exact, from per-shard moments); use xgboost for classification",
        ));
    }
    if name == "xgboost" {
        if params.opt_int("early_stopping_rounds")?.is_some() {
            return Err(Error::not_supported(
                "early_stopping_rounds in distributed training is not supported",
                "leave early_stopping_rounds out, or train on one server",
            ));
        }
        if params.str("tree_method")? != "hist" {
            return Err(Error::not_supported(
                "distributed XGBoost needs tree_method hist",
                "leave tree_method out (hist is the default)",
            ));
        }
    }
    Ok(())
}

/// What a worker returns to the coordinator.
#[derive(Debug)]
pub struct Outcome {
    pub estimator: Estimator,
    pub score: ScorePartial,
    /// Moments of the test part's features (PCA's explained variance on the union of them).
    pub test_moments: Option<Moments>,
    pub train_rows: usize,
    pub test_rows: usize,
}

/// Runs this worker's part of the job on the thread that joined `comm`.
#[allow(clippy::too_many_arguments)] // the job's own settings
pub fn run(
    comm: &Communicator,
    task: Task,
    algorithm: Algorithm,
    params: &Hyperparams,
    x: &Matrix,
    target: Target<'_>,
    test_size: f64,
    sampling: Sampling,
    seed: u64,
    check_interrupts: &dyn Fn(),
) -> Result<Outcome> {
    if matches!(target, Target::Joint { .. }) {
        return Err(Error::not_supported(
            "distributed training of several labels (pgml.train_joint) is not supported",
            "train_joint on one server",
        ));
    }
    let codes = match target {
        Target::Classes { codes, .. } => Some(codes),
        _ => None,
    };
    // Each shard splits its own rows by the same rule and seed; a shard with too few rows to
    // split trains on all of them.
    let (train, test) = if x.rows() >= 2 {
        split::split(x.rows(), test_size, sampling, codes, seed)?
    } else {
        ((0..x.rows()).collect(), Vec::new())
    };
    let x_train = x.select_rows(&train);
    let x_test = x.select_rows(&test);
    let name = algorithm.as_str();
    let (estimator, test_moments) = match name {
        "xgboost" => {
            let labels = labels_of(target, &train);
            let estimator = algorithms::fit(
                algorithm,
                task,
                params,
                &x_train,
                labels.as_labels(),
                check_interrupts,
            )?;
            (estimator, None)
        }
        "linear" | "ridge" => {
            let y = match target {
                Target::Values(y) => train.iter().map(|&i| y[i]).collect::<Vec<f32>>(),
                _ => return Err(Error::invalid("distributed least squares needs values")),
            };
            let mine = Moments::of(&x_train, Some(&y))?;
            let m = merge_moments(comm, x.cols() + 1, &mine)?;
            let alpha = if name == "ridge" {
                params.float("alpha")?
            } else {
                0.0
            };
            let model = fit_least_squares(&m, alpha, params.bool("fit_intercept")?)?;
            let label = if name == "ridge" {
                "Ridge"
            } else {
                "LinearRegression"
            };
            (Estimator::new(label, Fitted::Linear(model)), None)
        }
        "pca" => {
            let pca = algorithms::pca::Pca;
            let o = <algorithms::pca::Pca as algorithms::Learner>::options(&pca, task, params)?;
            let m = merge_moments(comm, x.cols(), &Moments::of(&x_train, None)?)?;
            let (model, variance) = fit_pca(&m, &o)?;
            let fitted = if o.whiten {
                Fitted::WhitenedPca(WhitenedPca {
                    scale: variance.iter().map(|v| v.sqrt()).collect(),
                    pca: model,
                })
            } else {
                Fitted::Pca(model)
            };
            let tm = merge_moments(comm, x.cols(), &Moments::of(&x_test, None)?)?;
            (Estimator::new("PCA", fitted), Some(tm))
        }
        "kmeans" => {
            let km = algorithms::kmeans::KMeans;
            let o =
                <algorithms::kmeans::KMeans as algorithms::Learner>::options(&km, task, params)?;
            let model = fit_kmeans(comm, &x_train, &o, check_interrupts)?;
            (Estimator::new("KMeans", Fitted::KMeans(model)), None)
        }
        other => {
            return Err(Error::not_supported(
                format!("distributed training of algorithm {other} is not supported"),
                format!("distributed algorithms: {}", ALGORITHMS.join(", ")),
            ))
        }
    };
    let score = match target {
        Target::Values(y) => {
            let truth: Vec<f32> = test.iter().map(|&i| y[i]).collect();
            let pred: Vec<f32> = (0..x_test.rows())
                .map(|i| estimator.predict(&x_test.row(i)).unwrap_or(f32::NAN))
                .collect();
            ScorePartial::regression(&truth, &pred)
        }
        Target::Classes { codes, num_classes } => {
            let truth: Vec<u32> = test.iter().map(|&i| codes[i]).collect();
            let mut pred = Vec::with_capacity(truth.len());
            let mut proba: Option<Vec<f32>> = Some(Vec::new());
            for i in 0..x_test.rows() {
                let row = x_test.row(i);
                match (estimator.predict_proba(&row), proba.as_mut()) {
                    (Some(p), Some(all)) if p.len() == num_classes => {
                        let best = (0..num_classes)
                            .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                            .unwrap_or(0);
                        pred.push(best as u32);
                        all.extend(p);
                    }
                    _ => {
                        proba = None;
                        pred.push(estimator.predict(&row).unwrap_or(0.0) as u32);
                    }
                }
            }
            ScorePartial::classification(&truth, &pred, proba.as_deref(), num_classes)
        }
        // Refused at the start of `run`.
        Target::None | Target::Joint { .. } => ScorePartial::None,
    };
    Ok(Outcome {
        estimator,
        score,
        test_moments,
        train_rows: train.len(),
        test_rows: test.len(),
    })
}

enum OwnedLabels {
    Values(Vec<f32>),
    Classes(Vec<u32>, usize),
    None,
}

impl OwnedLabels {
    fn as_labels(&self) -> Labels<'_> {
        match self {
            OwnedLabels::Values(v) => Labels::Values(v),
            OwnedLabels::Classes(codes, k) => Labels::Classes {
                codes,
                num_classes: *k,
            },
            OwnedLabels::None => Labels::None,
        }
    }
}

fn labels_of(target: Target<'_>, rows: &[usize]) -> OwnedLabels {
    match target {
        Target::Values(y) => OwnedLabels::Values(rows.iter().map(|&i| y[i]).collect()),
        Target::Classes { codes, num_classes } => {
            OwnedLabels::Classes(rows.iter().map(|&i| codes[i]).collect(), num_classes)
        }
        Target::None | Target::Joint { .. } => OwnedLabels::None,
    }
}

/// Every worker's bytes, in rank order, on every worker: the lengths by one sum-allreduce (each
/// rank fills its own slot), then each rank's bytes by a broadcast from it.
pub fn allgather(comm: &Communicator, mine: &[u8]) -> Result<Vec<Vec<u8>>> {
    let (rank, size) = (comm.rank(), comm.world_size());
    let mut lengths = vec![0u64; size];
    lengths[rank] = mine.len() as u64;
    comm.allreduce(&mut lengths, Operation::Sum)
        .map_err(collective)?;
    let mut all = Vec::with_capacity(size);
    for (r, &len) in lengths.iter().enumerate() {
        let len = usize::try_from(len)
            .map_err(|_| Error::invalid("a shard's statistics are too large"))?;
        let mut buf = if r == rank {
            mine.to_vec()
        } else {
            vec![0u8; len]
        };
        if len > 0 {
            comm.broadcast(&mut buf, r).map_err(collective)?;
        }
        all.push(buf);
    }
    Ok(all)
}

fn collective(e: pgml_xgboost::Error) -> Error {
    Error::invalid(format!("the distributed job failed: {e}"))
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::invalid(format!("encoding shard statistics: {e}")))
}

fn decode<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b)
        .map_err(|e| Error::invalid(format!("a shard sent unreadable statistics: {e}")))
}

fn merge_moments(comm: &Communicator, p: usize, mine: &Moments) -> Result<Moments> {
    let parts = allgather(comm, &encode(mine)?)?
        .iter()
        .map(|b| decode(b))
        .collect::<Result<Vec<Moments>>>()?;
    Moments::merge_all(p, &parts)
}

/// This worker's rows as a k-means shard whose every step returns the merged statistics of all
/// shards.
struct CollectiveShard<'a> {
    local: LocalShard,
    comm: &'a Communicator,
    p: usize,
}

impl KMeansShard for CollectiveShard<'_> {
    fn step(&mut self, centers: &[f32], k: usize, want_farthest: bool) -> Result<KMeansPartial> {
        let mine = self.local.step(centers, k, want_farthest)?;
        let parts = allgather(self.comm, &encode(&mine)?)?
            .iter()
            .map(|b| decode(b))
            .collect::<Result<Vec<KMeansPartial>>>()?;
        dist_kmeans::merge(k, self.p, parts)
    }
}

/// Lloyd over the collective, started without sending a row: every shard runs k-means on its own
/// rows and sends the means of its groups (at least two rows each) with their sizes; every worker
/// seeds k centers from all of them the same way (weighted k-means++, or weighted random draws for
/// `init: random`), `n_init` times with successive seeds, runs Lloyd from each over the collective
/// (sums and counts) and keeps the lowest inertia.
fn fit_kmeans(
    comm: &Communicator,
    x: &Matrix,
    o: &kmeans::Options,
    check_interrupts: &dyn Fn(),
) -> Result<KMeansModel> {
    let (p, k) = (x.cols(), o.n_clusters);
    let m = merge_moments(comm, p, &Moments::of(x, None)?)?;
    if m.n < k as u64 {
        return Err(kmeans::too_few_rows(usize::try_from(m.n).unwrap_or(0), k));
    }
    let tol = o.tol * m.mean_variance();
    // Each shard its own seed, so that shards holding alike rows do not pick alike starts.
    let local_seed = o
        .seed
        .wrapping_add((comm.rank() as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mine = dist_kmeans::local_centers(
        x,
        k,
        local_seed,
        o.max_iter,
        tol,
        o.nthread.max(1),
        check_interrupts,
    );
    let parts = allgather(comm, &encode(&mine)?)?
        .iter()
        .map(|b| decode(b))
        .collect::<Result<Vec<dist_kmeans::LocalCenters>>>()?;
    let mut shard = CollectiveShard {
        local: LocalShard::new(x, o.nthread),
        comm,
        p,
    };
    let mut rng = SplitMix64(o.seed);
    let mut best: Option<(KMeansModel, f64)> = None;
    for _ in 0..o.n_init.max(1) {
        let init = dist_kmeans::seed_from_centers(
            &parts,
            p,
            k,
            matches!(o.init, kmeans::Init::KMeansPlusPlus),
            &mut rng,
            check_interrupts,
        )?;
        let mut shards: [&mut dyn KMeansShard; 1] = [&mut shard];
        let (model, inertia) =
            dist_kmeans::lloyd(&mut shards, init, k, o.max_iter, tol, check_interrupts)?;
        if best.as_ref().is_none_or(|b| inertia < b.1) {
            best = Some((model, inertia));
        }
    }
    best.map(|b| b.0)
        .ok_or_else(|| Error::invalid("k-means ran no start"))
}
