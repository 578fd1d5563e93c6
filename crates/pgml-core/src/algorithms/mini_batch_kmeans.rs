//! `mini_batch_kmeans`: scikit-learn's MiniBatchKMeans. Centers start from k-means++ on
//! `init_size` random rows (the best of `n_init` starts on a validation sample), then each step
//! draws `batch_size` rows with replacement, moves every center to the running mean of the rows
//! it has won, and now and then moves centers that win almost nothing (`reassignment_ratio`) onto
//! random rows of the batch. It stops when the centers move less than `tol` (scaled by the mean
//! feature variance, off at 0) or when the smoothed batch inertia has not improved for
//! `max_no_improvement` steps, else after `max_iter` passes' worth of batches. The model is
//! kmeans's (predict: the nearest center).

use super::kmeans::{self, init_of, n_init, Init, KMeansModel, Rows, INIT, N_INIT};
use super::params::{float, int, max_iter, INF, NTHREAD};
use super::{clustering, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct MiniBatchKMeans;

const PARAMS: &[Param] = &[
    int("n_clusters", 1, 100_000, DefaultValue::Int(8)),
    INIT,
    N_INIT,
    max_iter(100),
    int("batch_size", 1, 100_000_000, DefaultValue::Int(1024)),
    float("tol", 0.0, INF, false, DefaultValue::Float(0.0)),
    int("max_no_improvement", 0, 1_000_000, DefaultValue::Int(10)),
    int("init_size", 1, 100_000_000, DefaultValue::Null),
    float(
        "reassignment_ratio",
        0.0,
        INF,
        false,
        DefaultValue::Float(0.01),
    ),
    int("random_state", 0, i64::MAX, DefaultValue::Int(0)),
    Param {
        name: "compute_labels",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
    int("verbose", 0, i64::MAX, DefaultValue::Int(0)),
    NTHREAD,
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_clusters: usize,
    pub init: Init,
    pub n_init: usize,
    pub max_iter: usize,
    pub batch_size: usize,
    pub tol: f64,
    /// None: never stop for lack of improvement (scikit-learn's None; 0 here as well).
    pub max_no_improvement: Option<usize>,
    pub init_size: Option<usize>,
    pub reassignment_ratio: f64,
    pub seed: u64,
    pub nthread: usize,
}

impl Learner for MiniBatchKMeans {
    type Options = Options;

    fn name(&self) -> &'static str {
        "mini_batch_kmeans"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "MiniBatchKMeans"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let init = init_of(h)?;
        let no_improvement = h.usize("max_no_improvement")?;
        Ok(Options {
            n_clusters: h.usize("n_clusters")?,
            init,
            n_init: n_init(h, init, 3)?,
            max_iter: h.usize("max_iter")?,
            batch_size: h.usize("batch_size")?,
            tol: h.float("tol")?,
            max_no_improvement: (no_improvement > 0).then_some(no_improvement),
            init_size: h
                .opt_int("init_size")?
                .and_then(|v| usize::try_from(v).ok()),
            reassignment_ratio: h.float("reassignment_ratio")?,
            seed: h.int("random_state")?.unsigned_abs(),
            nthread: h.usize("nthread")?,
        })
    }

    fn fit(
        &self,
        _task: Task,
        o: &Options,
        x: &Matrix,
        _labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        Ok(Fitted::KMeans(fit(x, o, check_interrupts)?))
    }
}

/// Rows drawn with replacement, copied out row-major.
fn sample(rows: Rows<'_>, count: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let mut out = Vec::with_capacity(count * rows.p);
    for _ in 0..count {
        out.extend_from_slice(rows.row(rng.below(rows.n)));
    }
    out
}

pub fn fit(x: &Matrix, o: &Options, check_interrupts: &dyn Fn()) -> Result<KMeansModel> {
    let (n, p, k) = (x.rows(), x.cols(), o.n_clusters);
    if n < k {
        return Err(kmeans::too_few_rows(n, k));
    }
    let data = clustering::rows_of(x);
    let rows = Rows { data: &data, n, p };
    let mut rng = SplitMix64(o.seed);
    let batch_size = o.batch_size.min(n);
    // scikit-learn: init_size defaults to 3 × batch_size, at least 3 × n_clusters, at most n.
    let mut init_size = o.init_size.unwrap_or(3 * batch_size);
    if init_size < k {
        init_size = 3 * k;
    }
    let init_size = init_size.min(n);
    let tol = kmeans::scaled_tol(x, o.tol);
    let threads = o.nthread.max(1);

    // The start of least inertia on one validation sample.
    let valid = sample(rows, init_size, &mut rng);
    let valid = Rows {
        data: &valid,
        n: init_size,
        p,
    };
    let mut best: Option<(Vec<f32>, f64)> = None;
    for _ in 0..o.n_init.max(1) {
        check_interrupts();
        let subset = sample(rows, init_size, &mut rng);
        let subset = Rows {
            data: &subset,
            n: init_size,
            p,
        };
        let centers = match o.init {
            Init::KMeansPlusPlus => {
                kmeans::kmeans_plus_plus(subset, k, &mut rng, threads, check_interrupts)
            }
            Init::Random => kmeans::random_centers(subset, k, &mut rng),
        };
        let inertia = kmeans::assign(valid, &centers, k, threads).inertia;
        if best.as_ref().is_none_or(|b| inertia < b.1) {
            best = Some((centers, inertia));
        }
    }
    let mut centers = best.map(|b| b.0).unwrap_or_default();

    let mut weight = vec![0f64; k];
    let mut state = Convergence::default();
    let steps = (o.max_iter * n) / batch_size;
    let mut since_reassign = 0usize;
    for step in 0..steps {
        if step.is_multiple_of(64) {
            check_interrupts();
        }
        let batch = sample(rows, batch_size, &mut rng);
        let batch = Rows {
            data: &batch,
            n: batch_size,
            p,
        };
        // scikit-learn reassigns when a center has won nothing yet, or every 10 × k rows seen.
        since_reassign += batch_size;
        let reassign = if weight.contains(&0.0) || since_reassign >= 10 * k {
            since_reassign = 0;
            true
        } else {
            false
        };
        let a = kmeans::assign(batch, &centers, k, 1);
        let mut new = centers.clone();
        for c in (0..k).filter(|&c| a.counts[c] > 0) {
            let old = weight[c];
            weight[c] += a.counts[c] as f64;
            for j in 0..p {
                new[c * p + j] =
                    ((f64::from(centers[c * p + j]) * old + a.sums[c * p + j]) / weight[c]) as f32;
            }
        }
        if reassign && o.reassignment_ratio > 0.0 {
            reassign_small(&mut new, &mut weight, batch, o.reassignment_ratio, &mut rng);
        }
        let shift: f64 = if tol > 0.0 {
            new.iter()
                .zip(&centers)
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum()
        } else {
            0.0
        };
        centers = new;
        if state.converged(
            step,
            n,
            batch_size,
            shift,
            tol,
            a.inertia,
            o.max_no_improvement,
        ) {
            break;
        }
    }
    Ok(KMeansModel {
        p,
        centroids: centers,
    })
}

/// Centers whose weight is below `ratio` × the largest (at most half a batch of them, the
/// lightest) move onto distinct random rows of the batch and take the smallest remaining weight.
fn reassign_small(
    centers: &mut [f32],
    weight: &mut [f64],
    batch: Rows<'_>,
    ratio: f64,
    rng: &mut SplitMix64,
) {
    let p = batch.p;
    let max = weight.iter().copied().fold(0.0, f64::max);
    let mut small: Vec<usize> = (0..weight.len())
        .filter(|&c| weight[c] < ratio * max)
        .collect();
    if small.is_empty() {
        return;
    }
    let limit = batch.n / 2;
    if small.len() > limit {
        small.sort_by(|&a, &b| weight[a].total_cmp(&weight[b]));
        small.truncate(limit);
    }
    let kept_min = (0..weight.len())
        .filter(|c| !small.contains(c))
        .map(|c| weight[c])
        .fold(f64::INFINITY, f64::min);
    let mut picks: Vec<usize> = (0..batch.n).collect();
    for (i, &c) in small.iter().enumerate() {
        let j = i + rng.below(batch.n - i);
        picks.swap(i, j);
        centers[c * p..(c + 1) * p].copy_from_slice(batch.row(picks[i]));
        if kept_min.is_finite() {
            weight[c] = kept_min;
        }
    }
}

/// scikit-learn's stopping rule: an exponentially weighted average of the batch inertia per row,
/// with a patience of `max_no_improvement` steps, or centers that moved less than `tol`.
#[derive(Debug, Default)]
struct Convergence {
    ewa: Option<f64>,
    ewa_min: Option<f64>,
    no_improvement: usize,
}

impl Convergence {
    #[allow(clippy::too_many_arguments)] // scikit-learn's rule reads all of them
    fn converged(
        &mut self,
        step: usize,
        n: usize,
        batch_size: usize,
        shift: f64,
        tol: f64,
        batch_inertia: f64,
        max_no_improvement: Option<usize>,
    ) -> bool {
        let inertia = batch_inertia / batch_size as f64;
        if step == 0 {
            return false; // the first step starts from the init: not informative
        }
        let alpha = (batch_size as f64 * 2.0 / (n as f64 + 1.0)).min(1.0);
        let ewa = match self.ewa {
            None => inertia,
            Some(e) => e * (1.0 - alpha) + inertia * alpha,
        };
        self.ewa = Some(ewa);
        if tol > 0.0 && shift <= tol {
            return true;
        }
        if self.ewa_min.is_none_or(|m| ewa < m) {
            self.no_improvement = 0;
            self.ewa_min = Some(ewa);
        } else {
            self.no_improvement += 1;
        }
        max_no_improvement.is_some_and(|m| self.no_improvement >= m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Matrix {
        let mut rows = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 10.0), (0.0, 10.0)] {
            for i in 0..300 {
                let dx = ((i * 7) % 11) as f32 / 10.0 - 0.5;
                let dy = ((i * 3) % 13) as f32 / 12.0 - 0.5;
                rows.push(vec![cx + dx, cy + dy]);
            }
        }
        Matrix::from_rows(&rows).unwrap()
    }

    fn options(k: usize) -> Options {
        Options {
            n_clusters: k,
            init: Init::KMeansPlusPlus,
            n_init: 1,
            max_iter: 100,
            batch_size: 64,
            tol: 0.0,
            max_no_improvement: Some(10),
            init_size: None,
            reassignment_ratio: 0.01,
            seed: 3,
            nthread: 1,
        }
    }

    #[test]
    fn finds_three_separated_blobs() {
        let x = blobs();
        let m = fit(&x, &options(3), &|| {}).unwrap();
        let labels: Vec<f32> = (0..x.rows()).map(|i| m.predict(&x.row(i))).collect();
        for blob in 0..3 {
            let first = labels[blob * 300];
            assert!(labels[blob * 300..(blob + 1) * 300]
                .iter()
                .all(|&l| l == first));
        }
        assert_ne!(labels[0], labels[300]);
        assert_ne!(labels[300], labels[600]);
        assert_ne!(labels[0], labels[600]);
    }

    #[test]
    fn patience_stops_long_before_max_iter() {
        let x = blobs();
        let calls = std::cell::Cell::new(0usize);
        let o = Options {
            max_iter: 10_000,
            ..options(3)
        };
        fit(&x, &o, &|| calls.set(calls.get() + 1)).unwrap();
        // 10 000 passes of 900 rows in batches of 64 would be 140 625 steps (2 198 checks).
        assert!(calls.get() < 100, "{} interrupt checks", calls.get());
    }
}
