//! KMeans: greedy k-means++ seeding and Lloyd iterations, scikit-learn's algorithm and defaults
//! (n_clusters 8, max_iter 300, tol 1e-4 relative to the features' mean variance, n_init "auto":
//! one run from k-means++, ten from random rows; the run of least inertia is kept). The passes
//! over the rows run on `nthread` scoped threads; `check_interrupts` runs on the calling thread
//! between them. The parts here (seeding, assignment) are mini_batch_kmeans's too.

use serde::{Deserialize, Serialize};

use super::clustering::{self, nearest_center};
use super::params::{int, max_iter, NTHREAD, TOL};
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::metrics::Metrics;
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

pub use clustering::SILHOUETTE_ROWS;

/// `kmeans`, the clustering algorithm.
#[derive(Debug, Clone, Copy)]
pub struct KMeans;

pub(crate) const N_INIT: Param = Param {
    name: "n_init",
    kind: Kind::NumberOrName {
        min: 0.0,
        names: &["auto"],
    },
    default: DefaultValue::Str("auto"),
};
pub(crate) const INIT: Param = choice("init", &["k-means++", "random"], "k-means++");

const PARAMS: &[Param] = &[
    int("n_clusters", 1, 100_000, DefaultValue::Int(8)),
    INIT,
    N_INIT,
    max_iter(300),
    TOL,
    int("random_state", 0, i64::MAX, DefaultValue::Int(0)),
    // Elkan's algorithm reaches Lloyd's result; both names are accepted and Lloyd runs.
    choice("algorithm", &["lloyd", "elkan", "auto", "full"], "lloyd"),
    int("verbose", 0, i64::MAX, DefaultValue::Int(0)),
    Param {
        name: "copy_x",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
    NTHREAD,
];

/// How the first centers are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    KMeansPlusPlus,
    Random,
}

/// scikit-learn's `n_init`: "auto" is 1 from k-means++ and `auto_random` from random rows.
pub(crate) fn n_init(params: &Hyperparams, init: Init, auto_random: usize) -> Result<usize> {
    match params.float_or_name("n_init")? {
        Err(_) => Ok(if init == Init::KMeansPlusPlus {
            1
        } else {
            auto_random
        }),
        Ok(v) if v >= 1.0 && v.fract() == 0.0 && v <= 1000.0 => Ok(v as usize),
        Ok(v) => Err(Error::invalid_with_hint(
            format!(
                "hyperparameter n_init must be \"auto\" or a whole number from 1 to 1000, got {v}"
            ),
            "n_init is how many initializations to run",
        )),
    }
}

pub(crate) fn init_of(params: &Hyperparams) -> Result<Init> {
    Ok(match params.str("init")? {
        "random" => Init::Random,
        _ => Init::KMeansPlusPlus,
    })
}

impl Learner for KMeans {
    type Options = Options;

    fn name(&self) -> &'static str {
        "kmeans"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "KMeans"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        let init = init_of(params)?;
        Ok(Options {
            n_clusters: params.usize("n_clusters")?,
            max_iter: params.usize("max_iter")?,
            tol: params.float("tol")?,
            seed: params.int("random_state")?.unsigned_abs(),
            init,
            n_init: n_init(params, init, 10)?,
            nthread: params.usize("nthread")?,
        })
    }

    /// Learns from the features alone; labels, if any, are ignored.
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

/// Centers labelled by their index; mini_batch_kmeans, mean_shift and affinity_propagation keep
/// theirs the same way (predict: the nearest center).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansModel {
    pub p: usize,
    /// k rows of p coordinates.
    pub centroids: Vec<f32>,
}

impl KMeansModel {
    pub fn num_features(&self) -> usize {
        self.p
    }

    pub fn k(&self) -> usize {
        self.centroids.len() / self.p.max(1)
    }

    /// The nearest centroid's index.
    pub fn predict(&self, x: &[f32]) -> f32 {
        nearest_center(&self.centroids, self.p, x).0 as f32
    }
}

impl Predictor for KMeansModel {
    fn num_features(&self) -> usize {
        self.p
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(KMeansModel::predict(self, x))
    }
    fn unsupervised_metrics(&self, x: &Matrix) -> Metrics {
        let labels: Vec<i64> = (0..x.rows())
            .map(|i| KMeansModel::predict(self, &x.row(i)) as i64)
            .collect();
        clustering::scores(x, &labels)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_clusters: usize,
    pub max_iter: usize,
    pub tol: f64,
    pub seed: u64,
    pub init: Init,
    pub n_init: usize,
    pub nthread: usize,
}

impl Options {
    /// scikit-learn's defaults with `n_clusters` clusters and seed 0, on one thread.
    pub fn new(n_clusters: usize) -> Options {
        Options {
            n_clusters,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            init: Init::KMeansPlusPlus,
            n_init: 1,
            nthread: 1,
        }
    }
}

/// Row-major rows, their count and width: the layout every pass here walks.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub n: usize,
    pub p: usize,
}

impl<'a> Rows<'a> {
    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.data[i * self.p..(i + 1) * self.p]
    }
}

/// What one pass of assignment learns: each row's nearest center and squared distance, and each
/// center's count and coordinate sums (for Lloyd's update).
#[derive(Debug)]
pub struct Assignment {
    pub labels: Vec<u32>,
    pub dist2: Vec<f32>,
    pub sums: Vec<f64>,
    pub counts: Vec<usize>,
    pub inertia: f64,
}

/// Assigns every row to its nearest center on `threads` threads. Centers are laid out feature
/// by feature (p × k) so that the inner loop runs over centers, which the compiler vectorizes.
pub fn assign(rows: Rows<'_>, centers: &[f32], k: usize, threads: usize) -> Assignment {
    let (n, p) = (rows.n, rows.p);
    let mut transposed = vec![0f32; p * k];
    for c in 0..k {
        for j in 0..p {
            transposed[j * k + c] = centers[c * p + j];
        }
    }
    let mut labels = vec![0u32; n];
    let mut dist2 = vec![0f32; n];
    let threads = threads.clamp(1, n.div_ceil(4096).max(1));
    let chunk = n.div_ceil(threads).max(1);
    let parts: Vec<(Vec<f64>, Vec<usize>, f64)> = std::thread::scope(|scope| {
        let transposed = &transposed;
        let mut handles = Vec::new();
        let mut mine = None;
        for (t, (labels, dist2)) in labels
            .chunks_mut(chunk)
            .zip(dist2.chunks_mut(chunk))
            .enumerate()
        {
            let work = move || assign_part(rows, t * chunk, labels, dist2, transposed, k);
            if t == 0 {
                mine = Some(work);
            } else {
                handles.push(scope.spawn(work));
            }
        }
        let mut out = Vec::new();
        if let Some(mut work) = mine {
            out.push(work());
        }
        for h in handles {
            match h.join() {
                Ok(part) => out.push(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    });
    let mut sums = vec![0f64; k * p];
    let mut counts = vec![0usize; k];
    let mut inertia = 0.0;
    for (s, c, i) in parts {
        sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
        counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
        inertia += i;
    }
    Assignment {
        labels,
        dist2,
        sums,
        counts,
        inertia,
    }
}

fn assign_part(
    rows: Rows<'_>,
    first: usize,
    labels: &mut [u32],
    dist2: &mut [f32],
    transposed: &[f32],
    k: usize,
) -> (Vec<f64>, Vec<usize>, f64) {
    let p = rows.p;
    let mut sums = vec![0f64; k * p];
    let mut counts = vec![0usize; k];
    let mut inertia = 0.0;
    let mut acc = vec![0f32; k];
    for (o, (label, d2)) in labels.iter_mut().zip(dist2.iter_mut()).enumerate() {
        let x = rows.row(first + o);
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (j, &v) in x.iter().enumerate() {
            let col = &transposed[j * k..(j + 1) * k];
            for (a, &c) in acc.iter_mut().zip(col) {
                let d = v - c;
                *a += d * d;
            }
        }
        let mut best = (0usize, f32::INFINITY);
        for (c, &a) in acc.iter().enumerate() {
            if a < best.1 {
                best = (c, a);
            }
        }
        *label = best.0 as u32;
        *d2 = best.1;
        inertia += f64::from(best.1);
        counts[best.0] += 1;
        for (s, &v) in sums[best.0 * p..(best.0 + 1) * p].iter_mut().zip(x) {
            *s += f64::from(v);
        }
    }
    (sums, counts, inertia)
}

/// Squared distances of every row to `center`, on `threads` threads, folded into `closest` by
/// minimum when `update` (k-means++'s running distances), and their sum.
fn distances_to(
    rows: Rows<'_>,
    center: &[f32],
    closest: &[f32],
    threads: usize,
) -> (Vec<f32>, f64) {
    let n = rows.n;
    let mut out = vec![0f32; n];
    let threads = threads.clamp(1, n.div_ceil(4096).max(1));
    let chunk = n.div_ceil(threads).max(1);
    let totals: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = out
            .chunks_mut(chunk)
            .enumerate()
            .map(|(t, part)| {
                scope.spawn(move || {
                    let mut total = 0.0;
                    for (o, d) in part.iter_mut().enumerate() {
                        let i = t * chunk + o;
                        let x = rows.row(i);
                        let mut s = 0f32;
                        for (a, b) in x.iter().zip(center) {
                            s += (a - b) * (a - b);
                        }
                        *d = s.min(closest[i]);
                        total += f64::from(*d);
                    }
                    total
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    (out, totals.iter().sum())
}

/// scikit-learn's greedy k-means++: each next center is the best (least total distance) of
/// 2 + ln(k) candidates drawn with probability proportional to the squared distance.
pub fn kmeans_plus_plus(
    rows: Rows<'_>,
    k: usize,
    rng: &mut SplitMix64,
    threads: usize,
    check_interrupts: &dyn Fn(),
) -> Vec<f32> {
    let (n, p) = (rows.n, rows.p);
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers: Vec<f32> = Vec::with_capacity(k * p);
    centers.extend_from_slice(rows.row(rng.below(n)));
    let infinite = vec![f32::INFINITY; n];
    let (mut closest, mut potential) = distances_to(rows, &centers[..p], &infinite, threads);
    while centers.len() < k * p {
        check_interrupts();
        let mut best: Option<(usize, Vec<f32>, f64)> = None;
        for _ in 0..trials {
            let pick = if potential > 0.0 {
                let mut target = rng.unit() * potential;
                let mut chosen = n - 1;
                for (i, &d) in closest.iter().enumerate() {
                    if target < f64::from(d) {
                        chosen = i;
                        break;
                    }
                    target -= f64::from(d);
                }
                chosen
            } else {
                rng.below(n) // every row coincides with a center already
            };
            let (d, total) = distances_to(rows, rows.row(pick), &closest, threads);
            if best.as_ref().is_none_or(|b| total < b.2) {
                best = Some((pick, d, total));
            }
        }
        if let Some((pick, d, total)) = best {
            centers.extend_from_slice(rows.row(pick));
            closest = d;
            potential = total;
        }
    }
    centers
}

/// `k` distinct rows drawn at random (scikit-learn's init "random").
pub fn random_centers(rows: Rows<'_>, k: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let mut idx: Vec<usize> = (0..rows.n).collect();
    for i in 0..k.min(rows.n) {
        let j = i + rng.below(rows.n - i);
        idx.swap(i, j);
    }
    idx[..k]
        .iter()
        .flat_map(|&i| rows.row(i).to_vec())
        .collect()
}

/// scikit-learn's tolerance: `tol` × the features' mean variance.
pub fn scaled_tol(x: &Matrix, tol: f64) -> f64 {
    let (n, p) = (x.rows(), x.cols());
    let mean_var: f64 = (0..p)
        .map(|j| {
            let c = x.col(j);
            let m = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n.max(1) as f64;
            c.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n.max(1) as f64
        })
        .sum::<f64>()
        / p.max(1) as f64;
    tol * mean_var
}

pub(crate) fn too_few_rows(n: usize, k: usize) -> Error {
    Error::bad_data(
        format!("{n} training rows cannot form {k} clusters"),
        "use fewer n_clusters or more rows",
    )
}

pub fn fit(x: &Matrix, opts: &Options, check_interrupts: &dyn Fn()) -> Result<KMeansModel> {
    let (n, p, k) = (x.rows(), x.cols(), opts.n_clusters);
    if n < k {
        return Err(too_few_rows(n, k));
    }
    let data = clustering::rows_of(x);
    let rows = Rows { data: &data, n, p };
    let tol = scaled_tol(x, opts.tol);
    let threads = opts.nthread.max(1);
    let mut rng = SplitMix64(opts.seed);
    let mut best: Option<(Vec<f32>, f64)> = None;
    for _ in 0..opts.n_init.max(1) {
        let init = match opts.init {
            Init::KMeansPlusPlus => kmeans_plus_plus(rows, k, &mut rng, threads, check_interrupts),
            Init::Random => random_centers(rows, k, &mut rng),
        };
        let (centers, inertia) =
            lloyd(rows, init, k, opts.max_iter, tol, threads, check_interrupts);
        if best.as_ref().is_none_or(|b| inertia < b.1) {
            best = Some((centers, inertia));
        }
    }
    let centroids = best.map(|b| b.0).unwrap_or_default();
    Ok(KMeansModel { p, centroids })
}

/// Lloyd's iterations from `centers` until the labels stop changing, the centers move less than
/// `tol` in total (squared), or `max_iter`; returns the centers and their inertia.
pub(crate) fn lloyd(
    rows: Rows<'_>,
    mut centers: Vec<f32>,
    k: usize,
    max_iter: usize,
    tol: f64,
    threads: usize,
    check_interrupts: &dyn Fn(),
) -> (Vec<f32>, f64) {
    let p = rows.p;
    let mut previous: Option<Vec<u32>> = None;
    let mut a = assign(rows, &centers, k, threads);
    for _ in 0..max_iter {
        check_interrupts();
        if previous.as_ref() == Some(&a.labels) {
            return (centers, a.inertia); // strict convergence: the centers are the labels' means
        }
        let mut shift = 0.0;
        let mut empty: Vec<usize> = (0..k).filter(|&c| a.counts[c] == 0).collect();
        let mut new = centers.clone();
        for c in (0..k).filter(|&c| a.counts[c] > 0) {
            for j in 0..p {
                new[c * p + j] = (a.sums[c * p + j] / a.counts[c] as f64) as f32;
            }
        }
        if !empty.is_empty() {
            // scikit-learn moves an empty cluster's center onto the row farthest from its own.
            let mut far: Vec<usize> = (0..rows.n).collect();
            far.sort_by(|&i, &j| a.dist2[j].total_cmp(&a.dist2[i]));
            for (c, &i) in empty.drain(..).zip(&far) {
                new[c * p..(c + 1) * p].copy_from_slice(rows.row(i));
            }
        }
        for (a, b) in new.iter().zip(&centers) {
            shift += f64::from(a - b).powi(2);
        }
        centers = new;
        previous = Some(std::mem::take(&mut a.labels));
        a = assign(rows, &centers, k, threads);
        if shift <= tol {
            break;
        }
    }
    (centers, a.inertia)
}

/// Mean silhouette coefficient of `labels` on `x` (at most `max_rows` rows, evenly spaced, to
/// bound the O(n²) cost). None when fewer than two clusters are present.
pub fn silhouette(x: &Matrix, labels: &[usize], max_rows: usize) -> Option<f64> {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    clustering::silhouette_codes(x, labels, k, max_rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Matrix {
        let mut rows = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 10.0), (0.0, 10.0)] {
            for i in 0..30 {
                let dx = ((i * 7) % 11) as f32 / 10.0 - 0.5;
                let dy = ((i * 3) % 13) as f32 / 12.0 - 0.5;
                rows.push(vec![cx + dx, cy + dy]);
            }
        }
        Matrix::from_rows(&rows).unwrap()
    }

    #[test]
    fn finds_three_separated_blobs() {
        let x = blobs();
        let m = fit(
            &x,
            &Options {
                seed: 1,
                ..Options::new(3)
            },
            &|| {},
        )
        .unwrap();
        let labels: Vec<usize> = (0..x.rows())
            .map(|i| m.predict(&x.row(i)) as usize)
            .collect();
        for blob in 0..3 {
            let first = labels[blob * 30];
            assert!(
                labels[blob * 30..(blob + 1) * 30]
                    .iter()
                    .all(|&l| l == first),
                "blob {blob} split"
            );
        }
        assert_ne!(labels[0], labels[30]);
        assert_ne!(labels[30], labels[60]);
        let s = silhouette(&x, &labels, 1000).unwrap();
        assert!(s > 0.8, "silhouette {s}");
    }

    #[test]
    fn more_clusters_than_rows_is_an_error() {
        let x = Matrix::from_rows(&[vec![1.0], vec![2.0]]).unwrap();
        assert!(fit(
            &x,
            &Options {
                max_iter: 10,
                ..Options::new(3)
            },
            &|| {}
        )
        .is_err());
    }
}
