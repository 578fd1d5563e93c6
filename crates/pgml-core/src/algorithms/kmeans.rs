//! KMeans: k-means++ seeding and Lloyd iterations, scikit-learn's defaults (n_clusters 8,
//! max_iter 300, tol 1e-4 relative to the features' mean variance, one initialization).

use serde::{Deserialize, Serialize};

use super::params::{int, max_iter, TOL};
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::metrics::Metrics;
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

/// The silhouette costs O(n²): it is computed on at most this many test rows, evenly spaced.
pub const SILHOUETTE_ROWS: usize = 2000;

/// `kmeans`, the clustering algorithm.
#[derive(Debug, Clone, Copy)]
pub struct KMeans;

const PARAMS: &[Param] = &[
    int("n_clusters", 1, 100_000, DefaultValue::Int(8)),
    max_iter(300),
    TOL,
    int("random_state", 0, i64::MAX, DefaultValue::Int(0)),
];

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
        Ok(Options {
            n_clusters: params.usize("n_clusters")?,
            max_iter: params.usize("max_iter")?,
            tol: params.float("tol")?,
            seed: params.int("random_state")?.unsigned_abs(),
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
        nearest(&self.centroids, self.p, x).0 as f32
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
        let labels: Vec<usize> = (0..x.rows())
            .map(|i| KMeansModel::predict(self, &x.row(i)) as usize)
            .collect();
        let mut metrics = Metrics::new();
        if let Some(s) = silhouette(x, &labels, SILHOUETTE_ROWS) {
            metrics.insert("silhouette".into(), s);
        }
        metrics
    }
}

fn dist2(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum()
}

fn nearest(centroids: &[f32], p: usize, x: &[f32]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, centroid) in centroids.chunks(p.max(1)).enumerate() {
        let d = dist2(centroid, x);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_clusters: usize,
    pub max_iter: usize,
    pub tol: f64,
    pub seed: u64,
}

pub fn fit(x: &Matrix, opts: &Options, check_interrupts: &dyn Fn()) -> Result<KMeansModel> {
    let (n, p, k) = (x.rows(), x.cols(), opts.n_clusters);
    if n < k {
        return Err(Error::bad_data(
            format!("{n} training rows cannot form {k} clusters"),
            "use fewer n_clusters or more rows",
        ));
    }
    // Rows copied out once: every iteration measures every row against every centroid.
    let rows: Vec<Vec<f32>> = (0..n).map(|i| x.row(i)).collect();
    let mut rng = SplitMix64(opts.seed);

    // k-means++: each next centre drawn with probability proportional to its squared distance.
    let mut centroids: Vec<f32> = Vec::with_capacity(k * p);
    centroids.extend_from_slice(&rows[rng.below(n)]);
    let mut d2: Vec<f64> = rows.iter().map(|r| dist2(r, &centroids[..p])).collect();
    while centroids.len() < k * p {
        check_interrupts();
        let total: f64 = d2.iter().sum();
        let pick = if total > 0.0 {
            let mut target = rng.unit() * total;
            let mut chosen = n - 1;
            for (i, &d) in d2.iter().enumerate() {
                if target < d {
                    chosen = i;
                    break;
                }
                target -= d;
            }
            chosen
        } else {
            rng.below(n) // every row coincides with a centre already
        };
        let start = centroids.len();
        centroids.extend_from_slice(&rows[pick]);
        for (i, r) in rows.iter().enumerate() {
            d2[i] = d2[i].min(dist2(r, &centroids[start..start + p]));
        }
    }

    // Tolerance relative to the data's scale, as scikit-learn's: tol × mean feature variance.
    let mean_var: f64 = (0..p)
        .map(|j| {
            let c = x.col(j);
            let m = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
            c.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n as f64
        })
        .sum::<f64>()
        / p.max(1) as f64;
    let tol = opts.tol * mean_var;

    let mut labels = vec![0usize; n];
    for _ in 0..opts.max_iter {
        check_interrupts();
        for (i, r) in rows.iter().enumerate() {
            labels[i] = nearest(&centroids, p, r).0;
        }
        let mut sums = vec![0f64; k * p];
        let mut counts = vec![0usize; k];
        for (r, &c) in rows.iter().zip(&labels) {
            counts[c] += 1;
            for (s, &v) in sums[c * p..(c + 1) * p].iter_mut().zip(r) {
                *s += f64::from(v);
            }
        }
        let mut shift = 0.0;
        for c in 0..k {
            if counts[c] == 0 {
                continue; // an empty cluster keeps its centre
            }
            for j in 0..p {
                let new = (sums[c * p + j] / counts[c] as f64) as f32;
                shift += f64::from(new - centroids[c * p + j]).powi(2);
                centroids[c * p + j] = new;
            }
        }
        if shift <= tol {
            break;
        }
    }
    Ok(KMeansModel { p, centroids })
}

/// Mean silhouette coefficient of `labels` on `x` (at most `max_rows` rows, evenly spaced, to
/// bound the O(n²) cost). None when fewer than two clusters are present.
pub fn silhouette(x: &Matrix, labels: &[usize], max_rows: usize) -> Option<f64> {
    let step = x.rows().div_ceil(max_rows.max(1)).max(1);
    let idx: Vec<usize> = (0..x.rows()).step_by(step).collect();
    let rows: Vec<Vec<f32>> = idx.iter().map(|&i| x.row(i)).collect();
    let labs: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
    let k = labs.iter().max().map_or(0, |m| m + 1);
    let mut present = vec![0usize; k];
    for &l in &labs {
        present[l] += 1;
    }
    if present.iter().filter(|&&c| c > 0).count() < 2 {
        return None;
    }
    let mut total = 0.0;
    for (i, r) in rows.iter().enumerate() {
        let mut sum = vec![0f64; k];
        for (j, s) in rows.iter().enumerate() {
            if i != j {
                sum[labs[j]] += dist2(r, s).sqrt();
            }
        }
        let own = labs[i];
        if present[own] <= 1 {
            continue; // scikit-learn: a point alone in its cluster scores 0
        }
        let a = sum[own] / (present[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && present[c] > 0)
            .map(|c| sum[c] / present[c] as f64)
            .fold(f64::INFINITY, f64::min);
        total += (b - a) / a.max(b);
    }
    Some(total / rows.len() as f64)
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
                n_clusters: 3,
                max_iter: 300,
                tol: 1e-4,
                seed: 1,
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
                n_clusters: 3,
                max_iter: 10,
                tol: 1e-4,
                seed: 0
            },
            &|| {}
        )
        .is_err());
    }
}
