//! Parts the clustering algorithms share: distances by scikit-learn's metric names, the scores
//! of a clustering (silhouette, Calinski-Harabasz, Davies-Bouldin), the model that labels a new
//! row by its nearest stored sample (dbscan, optics, birch, spectral), and the guard that refuses
//! training sets whose n×n matrices would not fit in memory.

use serde::{Deserialize, Serialize};

use super::params::int;
use super::Predictor;
use crate::hyperparams::{DefaultValue, Param};
use crate::metrics::Metrics;
use crate::{Error, Matrix, Result};

/// The silhouette costs O(n²): it is computed on at most this many test rows, evenly spaced.
pub const SILHOUETTE_ROWS: usize = 2000;

/// The metric names dbscan and optics accept (scikit-learn's, for dense rows).
pub const METRICS: &[&str] = &[
    "euclidean",
    "l2",
    "manhattan",
    "l1",
    "cityblock",
    "chebyshev",
    "minkowski",
];

/// A distance between rows. Stored by name inside models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Distance {
    pub kind: DistanceKind,
    /// Minkowski's power (2 is euclidean, 1 manhattan); ignored by the other kinds.
    pub p: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum DistanceKind {
    Euclidean,
    Manhattan,
    Chebyshev,
    Minkowski,
}

impl From<DistanceKind> for &'static str {
    fn from(k: DistanceKind) -> &'static str {
        match k {
            DistanceKind::Euclidean => "euclidean",
            DistanceKind::Manhattan => "manhattan",
            DistanceKind::Chebyshev => "chebyshev",
            DistanceKind::Minkowski => "minkowski",
        }
    }
}

impl TryFrom<String> for DistanceKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<DistanceKind, String> {
        Distance::parse(&s, 2.0)
            .map(|d| d.kind)
            .ok_or_else(|| format!("unknown metric \"{s}\""))
    }
}

impl Distance {
    pub const EUCLIDEAN: Distance = Distance {
        kind: DistanceKind::Euclidean,
        p: 2.0,
    };

    /// scikit-learn's metric name with Minkowski's `p` (minkowski with p 1 or 2 is the cheaper
    /// manhattan or euclidean, as scikit-learn computes it).
    pub fn parse(name: &str, p: f64) -> Option<Distance> {
        let kind = match name {
            "euclidean" | "l2" => DistanceKind::Euclidean,
            "manhattan" | "l1" | "cityblock" => DistanceKind::Manhattan,
            "chebyshev" => DistanceKind::Chebyshev,
            "minkowski" if p == 2.0 => DistanceKind::Euclidean,
            "minkowski" if p == 1.0 => DistanceKind::Manhattan,
            "minkowski" => DistanceKind::Minkowski,
            _ => return None,
        };
        Some(Distance { kind, p })
    }

    pub fn between(&self, a: &[f32], b: &[f32]) -> f64 {
        let diffs = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs());
        match self.kind {
            DistanceKind::Euclidean => dist2(a, b).sqrt(),
            DistanceKind::Manhattan => diffs.sum(),
            DistanceKind::Chebyshev => diffs.fold(0.0, f64::max),
            DistanceKind::Minkowski => diffs
                .map(|d| d.powf(self.p))
                .sum::<f64>()
                .powf(1.0 / self.p),
        }
    }
}

/// Squared euclidean distance.
pub fn dist2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum()
}

/// The index of the nearest of `centers` (k rows of p, row-major) and its squared distance.
pub fn nearest_center(centers: &[f32], p: usize, x: &[f32]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, center) in centers.chunks(p.max(1)).enumerate() {
        let d = dist2(center, x);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// The training rows, row-major: the neighbourhood searches walk rows, not columns.
pub fn rows_of(x: &Matrix) -> Vec<f32> {
    let (n, p) = (x.rows(), x.cols());
    let mut out = vec![0f32; n * p];
    for j in 0..p {
        for (i, &v) in x.col(j).iter().enumerate() {
            out[i * p + j] = v;
        }
    }
    out
}

/// Declares `max_train_rows` for an algorithm that holds `matrices` n×n f64 matrices.
pub const fn max_train_rows(default: i64) -> Param {
    int("max_train_rows", 1, 1_000_000, DefaultValue::Int(default))
}

/// Refuses (54000) `n` rows above `limit` before an n×n matrix is allocated, naming the limit,
/// the memory it stands for and the hyperparameter that raises it.
pub fn check_pairwise_rows(algorithm: &str, n: usize, limit: usize, matrices: usize) -> Result<()> {
    if n <= limit {
        return Ok(());
    }
    let mb = |rows: usize| (8 * matrices) as f64 * (rows as f64).powi(2) / 1e6;
    Err(Error::too_large(
        format!(
            "{algorithm} needs {matrices} n×n matrices: {n} training rows exceed the limit of {limit} ({:.0} MB)",
            mb(limit)
        ),
        format!(
            "raise hyperparameter max_train_rows to at least {n} if the server has {:.0} MB to spare, or train on fewer rows",
            mb(n)
        ),
    ))
}

/// Silhouette, Calinski-Harabasz and Davies-Bouldin of `labels` on `x` (scikit-learn's
/// definitions; noise, -1, counts as one more cluster as it would there). Left out when fewer
/// than two clusters, or as many clusters as rows, are present.
pub fn scores(x: &Matrix, labels: &[i64]) -> Metrics {
    let mut metrics = Metrics::new();
    let (codes, k) = codes_of(labels);
    if k < 2 || k >= x.rows() {
        return metrics;
    }
    if let Some(s) = silhouette_codes(x, &codes, k, SILHOUETTE_ROWS) {
        metrics.insert("silhouette".into(), s);
    }
    let (ch, db) = calinski_harabasz_davies_bouldin(x, &codes, k);
    metrics.insert("calinski_harabasz".into(), ch);
    metrics.insert("davies_bouldin".into(), db);
    metrics
}

/// Labels renumbered 0..k in order of first appearance.
fn codes_of(labels: &[i64]) -> (Vec<usize>, usize) {
    let mut seen: Vec<i64> = Vec::new();
    let codes = labels
        .iter()
        .map(|l| match seen.iter().position(|s| s == l) {
            Some(c) => c,
            None => {
                seen.push(*l);
                seen.len() - 1
            }
        })
        .collect();
    (codes, seen.len())
}

/// Mean silhouette coefficient on at most `max_rows` rows, evenly spaced, to bound the O(n²)
/// cost. None when fewer than two clusters are among them.
pub fn silhouette_codes(x: &Matrix, codes: &[usize], k: usize, max_rows: usize) -> Option<f64> {
    let step = x.rows().div_ceil(max_rows.max(1)).max(1);
    let idx: Vec<usize> = (0..x.rows()).step_by(step).collect();
    let rows: Vec<Vec<f32>> = idx.iter().map(|&i| x.row(i)).collect();
    let labs: Vec<usize> = idx.iter().map(|&i| codes[i]).collect();
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

/// Both scores need the clusters' centroids and one more pass: O(n·p), all rows.
fn calinski_harabasz_davies_bouldin(x: &Matrix, codes: &[usize], k: usize) -> (f64, f64) {
    let (n, p) = (x.rows(), x.cols());
    let mut counts = vec![0usize; k];
    for &c in codes {
        counts[c] += 1;
    }
    let mut centroids = vec![0f64; k * p];
    let mut mean = vec![0f64; p];
    for j in 0..p {
        for (i, &v) in x.col(j).iter().enumerate() {
            centroids[codes[i] * p + j] += f64::from(v);
            mean[j] += f64::from(v);
        }
    }
    for c in 0..k {
        for j in 0..p {
            centroids[c * p + j] /= counts[c].max(1) as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);

    // Calinski-Harabasz: between- over within-cluster dispersion, each per degree of freedom.
    let mut within = 0.0;
    let mut spread = vec![0f64; k]; // Σ‖x − centroid‖ per cluster, for Davies-Bouldin
    for (i, &c) in codes.iter().enumerate().take(n) {
        let d2: f64 = (0..p)
            .map(|j| (f64::from(x.get(i, j)) - centroids[c * p + j]).powi(2))
            .sum();
        within += d2;
        spread[c] += d2.sqrt();
    }
    let between: f64 = (0..k)
        .map(|c| {
            counts[c] as f64
                * (0..p)
                    .map(|j| (centroids[c * p + j] - mean[j]).powi(2))
                    .sum::<f64>()
        })
        .sum();
    let ch = if within == 0.0 {
        1.0
    } else {
        between * (n - k) as f64 / (within * (k - 1) as f64)
    };

    // Davies-Bouldin: each cluster's worst ratio of summed spreads to centroid distance.
    let s: Vec<f64> = (0..k)
        .map(|c| spread[c] / counts[c].max(1) as f64)
        .collect();
    let db = if s.iter().all(|&v| v == 0.0) {
        0.0
    } else {
        let mut total = 0.0;
        for a in 0..k {
            let mut worst = 0.0f64;
            for b in (0..k).filter(|&b| b != a) {
                let d: f64 = (0..p)
                    .map(|j| (centroids[a * p + j] - centroids[b * p + j]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                // scikit-learn divides by an infinite distance where two centroids coincide.
                let ratio = if d == 0.0 { 0.0 } else { (s[a] + s[b]) / d };
                worst = worst.max(ratio);
            }
            total += worst;
        }
        total / k as f64
    };
    (ch, db)
}

/// A clustering that labels a new row by stored samples: the nearest sample whose `radius`
/// reaches the row gives its label, else the row is noise (-1). dbscan stores its core samples
/// with radius `eps`, optics every clustered sample with its core distance, birch its
/// subclusters' centroids and spectral its training rows, both with an infinite radius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearestSampleModel {
    pub p: usize,
    /// Samples, row-major.
    pub samples: Vec<f32>,
    pub labels: Vec<i32>,
    /// One per sample; infinite where any distance reaches.
    pub radius: Vec<f64>,
    pub metric: Distance,
}

impl NearestSampleModel {
    pub fn label(&self, x: &[f32]) -> i32 {
        let mut best = (-1, f64::INFINITY);
        for (i, s) in self.samples.chunks(self.p.max(1)).enumerate() {
            let d = self.metric.between(s, x);
            if d <= self.radius[i] && d < best.1 {
                best = (self.labels[i], d);
            }
        }
        best.0
    }
}

impl Predictor for NearestSampleModel {
    fn num_features(&self) -> usize {
        self.p
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(self.label(x) as f32)
    }
    fn unsupervised_metrics(&self, x: &Matrix) -> Metrics {
        let labels: Vec<i64> = (0..x.rows())
            .map(|i| i64::from(self.label(&x.row(i))))
            .collect();
        scores(x, &labels)
    }
}

/// Interrupt checks in O(n²) loops: every this many rows.
pub const CHECK_EVERY: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_scikit_learn() {
        // sklearn.metrics on X = [[0,0],[0,1],[4,0],[4,1],[9,9]], labels [0,0,1,1,2]:
        // calinski_harabasz_score 113.0, davies_bouldin_score 0.18356733755, silhouette 0.60303099901
        let x = Matrix::from_rows(&[
            vec![0.0, 0.0],
            vec![0.0, 1.0],
            vec![4.0, 0.0],
            vec![4.0, 1.0],
            vec![9.0, 9.0],
        ])
        .unwrap();
        let m = scores(&x, &[0, 0, 1, 1, 2]);
        assert!((m["calinski_harabasz"] - 113.0).abs() < 1e-9, "{m:?}");
        assert!(
            (m["davies_bouldin"] - 0.183_567_337_55).abs() < 1e-9,
            "{m:?}"
        );
        assert!((m["silhouette"] - 0.603_030_999_01).abs() < 1e-9, "{m:?}");
        assert!(scores(&x, &[1, 1, 1, 1, 1]).is_empty());
    }

    #[test]
    fn distances_by_name() {
        let (a, b) = ([0.0f32, 0.0], [3.0f32, 4.0]);
        let d = |name, p| Distance::parse(name, p).unwrap().between(&a, &b);
        assert_eq!(d("euclidean", 2.0), 5.0);
        assert_eq!(d("manhattan", 2.0), 7.0);
        assert_eq!(d("chebyshev", 2.0), 4.0);
        assert!((d("minkowski", 3.0) - 91f64.powf(1.0 / 3.0)).abs() < 1e-12);
        assert!(Distance::parse("cosine", 2.0).is_none());
    }

    #[test]
    fn a_row_beyond_every_radius_is_noise() {
        let m = NearestSampleModel {
            p: 1,
            samples: vec![0.0, 10.0],
            labels: vec![0, 1],
            radius: vec![1.0, 1.0],
            metric: Distance::EUCLIDEAN,
        };
        assert_eq!(m.label(&[0.5]), 0);
        assert_eq!(m.label(&[9.2]), 1);
        assert_eq!(m.label(&[5.0]), -1);
    }
}

/// How agglomerative clustering measures the distance between two clusters (scikit-learn's
/// `linkage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// The merge that least increases the within-cluster variance (euclidean only).
    Ward,
    Complete,
    Average,
    Single,
}

/// Ward's agglomerative clustering of `points` into `n_clusters` (scikit-learn's
/// AgglomerativeClustering with linkage "ward"). See [`agglomerate`].
pub fn ward(points: &[Vec<f64>], n_clusters: usize, check_interrupts: &dyn Fn()) -> Vec<usize> {
    agglomerate(
        points,
        n_clusters,
        Linkage::Ward,
        Distance::EUCLIDEAN,
        check_interrupts,
    )
}

/// Agglomerative clustering of `points` into `n_clusters`: the nearest-neighbour chain on the
/// Lance-Williams update (of squared distances for Ward), then the merges applied in order of
/// height until `n_clusters` remain (all four linkages are reducible, so the chain finds the
/// same dendrogram as the greedy algorithm). Labels are numbered by first appearance. Holds one
/// m×m f64 matrix: callers bound m.
pub fn agglomerate(
    points: &[Vec<f64>],
    n_clusters: usize,
    linkage: Linkage,
    metric: Distance,
    check_interrupts: &dyn Fn(),
) -> Vec<usize> {
    let m = points.len();
    if m == 0 {
        return Vec::new();
    }
    let mut d = vec![0f64; m * m];
    for i in 0..m {
        if i.is_multiple_of(CHECK_EVERY) {
            check_interrupts();
        }
        for j in i + 1..m {
            let (a, b) = (&points[i], &points[j]);
            let v = match (linkage, metric.kind) {
                (Linkage::Ward, _) | (_, DistanceKind::Euclidean) => {
                    let sq: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                    if linkage == Linkage::Ward {
                        sq
                    } else {
                        sq.sqrt()
                    }
                }
                (_, DistanceKind::Manhattan) => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum(),
                (_, DistanceKind::Chebyshev) => a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max),
                (_, DistanceKind::Minkowski) => a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs().powf(metric.p))
                    .sum::<f64>()
                    .powf(1.0 / metric.p),
            };
            d[i * m + j] = v;
            d[j * m + i] = v;
        }
    }
    let mut size = vec![1f64; m];
    let mut active = vec![true; m];
    let mut merges: Vec<(usize, usize, f64)> = Vec::with_capacity(m.saturating_sub(1));
    let mut chain: Vec<usize> = Vec::new();
    for _ in 1..m {
        if merges.len().is_multiple_of(CHECK_EVERY) {
            check_interrupts();
        }
        if chain.is_empty() {
            chain.push((0..m).find(|&i| active[i]).unwrap_or(0));
        }
        let (a, b) = loop {
            let a = chain[chain.len() - 1];
            let previous = (chain.len() >= 2).then(|| chain[chain.len() - 2]);
            // The nearest active cluster, preferring the chain's previous one on a tie.
            let mut best = previous.map_or((usize::MAX, f64::INFINITY), |p| (p, d[a * m + p]));
            for j in (0..m).filter(|&j| active[j] && j != a) {
                if d[a * m + j] < best.1 {
                    best = (j, d[a * m + j]);
                }
            }
            if Some(best.0) == previous {
                chain.pop();
                chain.pop();
                break (a, best.0);
            }
            chain.push(best.0);
        };
        let height = d[a * m + b];
        merges.push((a, b, height));
        // The union lives at index a; b leaves.
        let (na, nb) = (size[a], size[b]);
        for k in (0..m).filter(|&k| active[k] && k != a && k != b) {
            let (dak, dbk) = (d[a * m + k], d[b * m + k]);
            let v = match linkage {
                Linkage::Ward => {
                    let nk = size[k];
                    ((na + nk) * dak + (nb + nk) * dbk - nk * height) / (na + nb + nk)
                }
                Linkage::Complete => dak.max(dbk),
                Linkage::Average => (na * dak + nb * dbk) / (na + nb),
                Linkage::Single => dak.min(dbk),
            };
            d[a * m + k] = v;
            d[k * m + a] = v;
        }
        active[b] = false;
        size[a] = na + nb;
    }
    // The dendrogram's lowest merges first, until n_clusters are left.
    merges.sort_by(|x, y| x.2.total_cmp(&y.2));
    let mut parent: Vec<usize> = (0..m).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for &(a, b, _) in merges.iter().take(m.saturating_sub(n_clusters.max(1))) {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[rb] = ra;
    }
    let mut numbers: Vec<Option<usize>> = vec![None; m];
    let mut next = 0;
    (0..m)
        .map(|i| {
            let r = root(&mut parent, i);
            *numbers[r].get_or_insert_with(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

#[cfg(test)]
mod ward_tests {
    use super::*;

    #[test]
    fn ward_joins_the_near_pairs_first() {
        let pts: Vec<Vec<f64>> = [0.0, 0.1, 5.0, 5.2, 20.0, 20.5, 21.0]
            .iter()
            .map(|&v| vec![v])
            .collect();
        assert_eq!(ward(&pts, 3, &|| {}), vec![0, 0, 1, 1, 2, 2, 2]);
        assert_eq!(ward(&pts, 7, &|| {}), vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(ward(&pts, 1, &|| {}), vec![0; 7]);
        for linkage in [Linkage::Complete, Linkage::Average, Linkage::Single] {
            let l = agglomerate(&pts, 3, linkage, Distance::EUCLIDEAN, &|| {});
            assert_eq!(l, vec![0, 0, 1, 1, 2, 2, 2], "{linkage:?}");
        }
        // Single linkage follows a chain of close points that complete linkage cuts.
        let chain: Vec<Vec<f64>> = [0.0, 1.1, 2.3, 3.6, 5.6].iter().map(|&v| vec![v]).collect();
        let single = agglomerate(&chain, 2, Linkage::Single, Distance::EUCLIDEAN, &|| {});
        assert_eq!(single, vec![0, 0, 0, 0, 1]);
        let complete = agglomerate(&chain, 2, Linkage::Complete, Distance::EUCLIDEAN, &|| {});
        assert_eq!(complete, vec![0, 0, 1, 1, 1]);
    }
}

/// scikit-learn's adjusted_rand_score: agreement of two labelings over all pairs of rows,
/// 1 for identical partitions (whatever the numbering), about 0 for independent ones. Noise (-1)
/// is one more label, as there.
pub fn adjusted_rand_index(a: &[i64], b: &[i64]) -> f64 {
    let n = a.len().min(b.len());
    let (ca, ka) = codes_of(&a[..n]);
    let (cb, kb) = codes_of(&b[..n]);
    let mut table = vec![0f64; ka * kb];
    for (&i, &j) in ca.iter().zip(&cb) {
        table[i * kb + j] += 1.0;
    }
    let pairs = |v: f64| v * (v - 1.0) / 2.0;
    let sum_cells: f64 = table.iter().map(|&v| pairs(v)).sum();
    let sum_a: f64 = (0..ka)
        .map(|i| pairs(table[i * kb..(i + 1) * kb].iter().sum()))
        .sum();
    let sum_b: f64 = (0..kb)
        .map(|j| pairs((0..ka).map(|i| table[i * kb + j]).sum()))
        .sum();
    let expected = sum_a * sum_b / pairs(n as f64).max(f64::MIN_POSITIVE);
    let max = (sum_a + sum_b) / 2.0;
    if max == expected {
        return 1.0; // both partitions trivial (one cluster, or all singletons) and equal
    }
    (sum_cells - expected) / (max - expected)
}

#[cfg(test)]
mod ari_tests {
    use super::*;

    #[test]
    fn adjusted_rand_index_as_scikit_learn() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
        // sklearn.metrics.adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) = 0.5714285714285714
        let v = adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1]);
        assert!((v - 0.571_428_571_428_571_4).abs() < 1e-12, "{v}");
        // adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-12);
    }
}
