//! `spectral`: scikit-learn's SpectralClustering. The rows' affinity (`affinity` 'rbf':
//! exp(−gamma‖a − b‖²); 'nearest_neighbors': the symmetrized graph of each row's `n_neighbors`
//! nearest rows, itself included) is embedded by the leading eigenvectors of the normalized
//! affinity D^−½ A D^−½ (the smallest of the normalized Laplacian; diagonal ignored, as
//! scipy's laplacian does), scaled by D^−½ and sign-fixed as scikit-learn's
//! spectral_embedding, then labelled by `assign_labels`: 'kmeans' (k-means++ with `n_init`
//! starts and `random_state`), 'discretize' (Yu & Shi's rotation) or 'cluster_qr' (pivoted QR).
//! The eigenvectors come from subspace iteration with Rayleigh-Ritz, which reaches the same
//! subspace as scikit-learn's ARPACK; `eigen_solver` and `eigen_tol` are accepted.
//!
//! scikit-learn has no `predict` for SpectralClustering. pgml's: the label of the nearest
//! training row (the model keeps them). The affinity is n×n: the fit refuses more than
//! `max_train_rows` rows (5 000 by default, 200 MB) before allocating it.

use super::clustering::{
    check_pairwise_rows, max_train_rows, rows_of, Distance, NearestSampleModel,
};
use super::kmeans::{self, Init};
use super::params::{float, int, INF};
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::linalg::{symmetric_eigen, Sym};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Spectral;

const PARAMS: &[Param] = &[
    int("n_clusters", 1, 100_000, DefaultValue::Int(8)),
    choice("eigen_solver", &["arpack", "lobpcg", "amg"], "arpack"),
    int("n_components", 1, 100_000, DefaultValue::Null),
    int("random_state", 0, i64::MAX, DefaultValue::Int(0)),
    int("n_init", 1, 1000, DefaultValue::Int(10)),
    float("gamma", 0.0, INF, false, DefaultValue::Float(1.0)),
    choice("affinity", &["rbf", "nearest_neighbors"], "rbf"),
    int("n_neighbors", 1, 1_000_000, DefaultValue::Int(10)),
    Param {
        name: "eigen_tol",
        kind: Kind::NumberOrName {
            min: 0.0,
            names: &["auto"],
        },
        default: DefaultValue::Str("auto"),
    },
    choice(
        "assign_labels",
        &["kmeans", "discretize", "cluster_qr"],
        "kmeans",
    ),
    float("degree", 0.0, INF, false, DefaultValue::Float(3.0)),
    float("coef0", -INF, INF, false, DefaultValue::Float(1.0)),
    int("n_jobs", -1, 1024, DefaultValue::Null),
    Param {
        name: "verbose",
        kind: Kind::Bool,
        default: DefaultValue::Bool(false),
    },
    max_train_rows(5_000),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    KMeans,
    Discretize,
    ClusterQr,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_clusters: usize,
    pub n_components: Option<usize>,
    pub seed: u64,
    pub n_init: usize,
    pub gamma: f64,
    /// Some(k): the k-nearest-neighbour graph; None: rbf.
    pub n_neighbors: Option<usize>,
    pub assign: Assign,
    pub max_train_rows: usize,
}

impl Learner for Spectral {
    type Options = Options;

    fn name(&self) -> &'static str {
        "spectral"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "SpectralClustering"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            n_clusters: h.usize("n_clusters")?,
            n_components: h
                .opt_int("n_components")?
                .and_then(|v| usize::try_from(v).ok()),
            seed: h.int("random_state")?.unsigned_abs(),
            n_init: h.usize("n_init")?,
            gamma: h.float("gamma")?,
            n_neighbors: (h.str("affinity")? == "nearest_neighbors")
                .then(|| h.usize("n_neighbors"))
                .transpose()?,
            assign: match h.str("assign_labels")? {
                "discretize" => Assign::Discretize,
                "cluster_qr" => Assign::ClusterQr,
                _ => Assign::KMeans,
            },
            max_train_rows: h.usize("max_train_rows")?,
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
        Ok(Fitted::NearestSample(fit(x, o, check_interrupts)?.1))
    }
}

/// The affinity matrix, row-major n×n.
fn affinity(
    rows: &[f32],
    n: usize,
    p: usize,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let row = |i: usize| &rows[i * p..(i + 1) * p];
    let d2 = |i: usize, j: usize| -> f64 {
        row(i)
            .iter()
            .zip(row(j))
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum()
    };
    let mut a = vec![0f64; n * n];
    match o.n_neighbors {
        None => {
            for i in 0..n {
                if i.is_multiple_of(64) {
                    check_interrupts();
                }
                a[i * n + i] = 1.0;
                for j in i + 1..n {
                    let v = (-o.gamma * d2(i, j)).exp();
                    a[i * n + j] = v;
                    a[j * n + i] = v;
                }
            }
        }
        Some(k) => {
            let k = k.min(n);
            let mut d: Vec<(f64, usize)> = Vec::with_capacity(n);
            for i in 0..n {
                if i.is_multiple_of(64) {
                    check_interrupts();
                }
                d.clear();
                d.extend((0..n).map(|j| (d2(i, j), j)));
                // The row itself first among equals, as a tree query returns it.
                d.sort_by(|x, y| x.0.total_cmp(&y.0).then((x.1 != i).cmp(&(y.1 != i))));
                for &(_, j) in &d[..k] {
                    a[i * n + j] += 0.5;
                    a[j * n + i] += 0.5;
                }
            }
        }
    }
    a
}

/// The `k` leading eigenvectors (columns of an n×k row-major matrix) of the symmetric `m`, whose
/// eigenvalues lie in [−1, 1]: subspace iteration on (m + I)/2 with a few extra vectors, and a
/// Rayleigh-Ritz rotation each round, until the Ritz values settle.
fn leading_eigenvectors(
    m: &[f64],
    n: usize,
    k: usize,
    seed: u64,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let b = (k + k.max(8)).min(n);
    let mut rng = SplitMix64(seed ^ 0x5eed);
    let mut q: Vec<f64> = (0..n * b).map(|_| rng.unit() - 0.5).collect();
    orthonormalize(&mut q, n, b);
    let mut z = vec![0f64; n * b];
    let mut previous = vec![f64::INFINITY; k];
    for round in 0..MAX_ROUNDS {
        if round.is_multiple_of(4) {
            check_interrupts();
        }
        // z = (m + I)/2 · q
        for i in 0..n {
            let mi = &m[i * n..(i + 1) * n];
            let zi = &mut z[i * b..(i + 1) * b];
            zi.iter_mut()
                .zip(&q[i * b..(i + 1) * b])
                .for_each(|(z, &qv)| *z = qv);
            for (j, &mij) in mi.iter().enumerate() {
                if mij != 0.0 {
                    let qj = &q[j * b..(j + 1) * b];
                    zi.iter_mut().zip(qj).for_each(|(z, &qv)| *z += mij * qv);
                }
            }
            zi.iter_mut().for_each(|v| *v *= 0.5);
        }
        // Rayleigh-Ritz: the small matrix qᵀz and its eigenvectors rotate the block.
        let mut small = Sym::zeros(b);
        for r in 0..b {
            for c in r..b {
                let v: f64 = (0..n).map(|i| q[i * b + r] * z[i * b + c]).sum();
                small.a[r * b + c] = v;
                small.a[c * b + r] = v;
            }
        }
        let e = symmetric_eigen(&small);
        std::mem::swap(&mut q, &mut z);
        orthonormalize(&mut q, n, b);
        let change = e.values[..k]
            .iter()
            .zip(&previous)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        previous.copy_from_slice(&e.values[..k]);
        if change < 1e-10 {
            break;
        }
    }
    // Final Rayleigh-Ritz on the converged block.
    for i in 0..n {
        let zi = &mut z[i * b..(i + 1) * b];
        zi.iter_mut().for_each(|v| *v = 0.0);
        for j in 0..n {
            let mij = m[i * n + j];
            if mij != 0.0 {
                zi.iter_mut()
                    .zip(&q[j * b..(j + 1) * b])
                    .for_each(|(z, &qv)| *z += mij * qv);
            }
        }
    }
    let mut small = Sym::zeros(b);
    for r in 0..b {
        for c in r..b {
            let v: f64 = (0..n).map(|i| q[i * b + r] * z[i * b + c]).sum();
            small.a[r * b + c] = v;
            small.a[c * b + r] = v;
        }
    }
    let e = symmetric_eigen(&small);
    let mut out = vec![0f64; n * k];
    for i in 0..n {
        for c in 0..k {
            out[i * k + c] = (0..b).map(|r| q[i * b + r] * e.vectors[r * b + c]).sum();
        }
    }
    out
}

/// Subspace iteration stops here even if the Ritz values still move (a graph without a gap
/// between its k-th and next eigenvalue, where any basis of the block is as good).
const MAX_ROUNDS: usize = 500;

/// Modified Gram-Schmidt on the b columns of the n×b row-major `q`.
fn orthonormalize(q: &mut [f64], n: usize, b: usize) {
    for c in 0..b {
        for prev in 0..c {
            let dot: f64 = (0..n).map(|i| q[i * b + c] * q[i * b + prev]).sum();
            for i in 0..n {
                q[i * b + c] -= dot * q[i * b + prev];
            }
        }
        let norm = (0..n).map(|i| q[i * b + c].powi(2)).sum::<f64>().sqrt();
        if norm > 0.0 {
            for i in 0..n {
                q[i * b + c] /= norm;
            }
        }
    }
}

/// The polar factor U Vᵀ of the k×k `a` (row-major) and the sum of its singular values, through
/// the eigen-decomposition of aᵀa.
fn polar(a: &[f64], k: usize) -> (Vec<f64>, f64) {
    let mut ata = Sym::zeros(k);
    for r in 0..k {
        for c in 0..k {
            ata.a[r * k + c] = (0..k).map(|i| a[i * k + r] * a[i * k + c]).sum();
        }
    }
    let e = symmetric_eigen(&ata);
    let singular: Vec<f64> = e.values.iter().map(|v| v.max(0.0).sqrt()).collect();
    // (aᵀa)^−½ = W Λ^−½ Wᵀ, over the directions a does not flatten.
    let mut inv_sqrt = vec![0f64; k * k];
    for (t, &s) in singular.iter().enumerate() {
        if s > 1e-12 * singular[0].max(f64::MIN_POSITIVE) {
            for r in 0..k {
                for c in 0..k {
                    inv_sqrt[r * k + c] += e.vectors[r * k + t] * e.vectors[c * k + t] / s;
                }
            }
        }
    }
    let mut u_vt = vec![0f64; k * k];
    for r in 0..k {
        for c in 0..k {
            u_vt[r * k + c] = (0..k).map(|t| a[r * k + t] * inv_sqrt[t * k + c]).sum();
        }
    }
    (u_vt, singular.iter().sum())
}

fn argmax_rows(v: &[f64], n: usize, k: usize) -> Vec<i64> {
    (0..n)
        .map(|i| {
            let row = &v[i * k..(i + 1) * k];
            let mut best = 0;
            for c in 1..k {
                if row[c] > row[best] {
                    best = c;
                }
            }
            best as i64
        })
        .collect()
}

/// scikit-learn's cluster_qr: the rows picked by QR with column pivoting of vᵀ fix a rotation;
/// each row goes to its largest rotated coordinate.
fn cluster_qr(v: &[f64], n: usize, k: usize) -> Vec<i64> {
    // Pivoted Gram-Schmidt on the rows of v (the columns of vᵀ): pick the largest residual.
    let mut residual = v.to_vec();
    let mut picked = Vec::with_capacity(k);
    for _ in 0..k.min(n) {
        let norms: Vec<f64> = (0..n)
            .map(|i| residual[i * k..(i + 1) * k].iter().map(|x| x * x).sum())
            .collect();
        let best =
            (0..n)
                .filter(|i| !picked.contains(i))
                .fold(None, |b: Option<usize>, i| match b {
                    Some(j) if norms[j] >= norms[i] => Some(j),
                    _ => Some(i),
                });
        let Some(best) = best else { break };
        picked.push(best);
        let norm = norms[best].sqrt();
        if norm == 0.0 {
            continue;
        }
        let unit: Vec<f64> = residual[best * k..(best + 1) * k]
            .iter()
            .map(|x| x / norm)
            .collect();
        for i in 0..n {
            let dot: f64 = residual[i * k..(i + 1) * k]
                .iter()
                .zip(&unit)
                .map(|(a, b)| a * b)
                .sum();
            residual[i * k..(i + 1) * k]
                .iter_mut()
                .zip(&unit)
                .for_each(|(a, b)| *a -= dot * b);
        }
    }
    let mut sub = vec![0f64; k * k];
    for (r, &i) in picked.iter().enumerate() {
        sub[r * k..(r + 1) * k].copy_from_slice(&v[i * k..(i + 1) * k]);
    }
    // scikit-learn: svd of the picked rows, then |v · (u vh)|.
    let (u_vt, _) = polar(&sub, k);
    let mut rotated = vec![0f64; n * k];
    for i in 0..n {
        for c in 0..k {
            rotated[i * k + c] = (0..k)
                .map(|t| v[i * k + t] * u_vt[t * k + c])
                .sum::<f64>()
                .abs();
        }
    }
    argmax_rows(&rotated, n, k)
}

/// scikit-learn's discretize (Yu & Shi, 2003): rotate the normalized embedding towards an
/// indicator matrix, restarting from another row on a failed decomposition.
fn discretize(v: &[f64], n: usize, k: usize, rng: &mut SplitMix64) -> Vec<i64> {
    let mut v = v.to_vec();
    let norm_ones = (n as f64).sqrt();
    for c in 0..k {
        let norm = (0..n).map(|i| v[i * k + c].powi(2)).sum::<f64>().sqrt();
        for i in 0..n {
            v[i * k + c] = v[i * k + c] / norm.max(f64::MIN_POSITIVE) * norm_ones;
        }
        let first = v[c];
        if first != 0.0 {
            for i in 0..n {
                v[i * k + c] = -v[i * k + c] * first.signum();
            }
        }
    }
    for i in 0..n {
        let norm = v[i * k..(i + 1) * k]
            .iter()
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            v[i * k..(i + 1) * k].iter_mut().for_each(|x| *x /= norm);
        }
    }
    let mut rotation = vec![0f64; k * k];
    let start = rng.below(n);
    for r in 0..k {
        rotation[r * k] = v[start * k + r];
    }
    let mut c = vec![0f64; n];
    for j in 1..k {
        for i in 0..n {
            c[i] += (0..k)
                .map(|r| v[i * k + r] * rotation[r * k + j - 1])
                .sum::<f64>()
                .abs();
        }
        let pick = (0..n).fold(0, |b, i| if c[i] < c[b] { i } else { b });
        for r in 0..k {
            rotation[r * k + j] = v[pick * k + r];
        }
    }
    let mut last = 0.0;
    let mut labels = vec![0i64; n];
    for iteration in 1.. {
        let mut t = vec![0f64; n * k];
        for i in 0..n {
            for col in 0..k {
                t[i * k + col] = (0..k).map(|r| v[i * k + r] * rotation[r * k + col]).sum();
            }
        }
        labels = argmax_rows(&t, n, k);
        // t_svd = indicatorᵀ · v
        let mut t_svd = vec![0f64; k * k];
        for i in 0..n {
            let l = labels[i] as usize;
            for col in 0..k {
                t_svd[l * k + col] += v[i * k + col];
            }
        }
        let (u_vt, singular_sum) = polar(&t_svd, k);
        let ncut = 2.0 * (n as f64 - singular_sum);
        if (ncut - last).abs() < f64::EPSILON || iteration > 20 {
            break;
        }
        last = ncut;
        // rotation = V Uᵀ = (U Vᵀ)ᵀ
        for r in 0..k {
            for col in 0..k {
                rotation[r * k + col] = u_vt[col * k + r];
            }
        }
    }
    labels
}

/// The training rows' labels (scikit-learn's `labels_`) and the model.
pub fn fit(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(Vec<i64>, NearestSampleModel)> {
    let (n, p) = (x.rows(), x.cols());
    check_pairwise_rows("spectral", n, o.max_train_rows, 1)?;
    if n < o.n_clusters {
        return Err(kmeans::too_few_rows(n, o.n_clusters));
    }
    let rows = rows_of(x);
    let mut a = affinity(&rows, n, p, o, check_interrupts);
    // scipy's normalized Laplacian ignores the diagonal; isolated rows keep degree 1.
    let dd: Vec<f64> = (0..n)
        .map(|i| {
            let w: f64 = (0..n).filter(|&j| j != i).map(|j| a[i * n + j]).sum();
            if w > 0.0 {
                w.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = if i == j {
                0.0
            } else {
                a[i * n + j] / (dd[i] * dd[j])
            };
        }
    }
    let k = o.n_components.unwrap_or(o.n_clusters).min(n);
    let vectors = leading_eigenvectors(&a, n, k, o.seed, check_interrupts);
    drop(a);
    // u = D^−½ x, each vector's largest entry made positive (deterministic signs).
    let mut embedding = vec![0f64; n * k];
    for c in 0..k {
        let mut big = 0.0f64;
        for i in 0..n {
            let v = vectors[i * k + c] / dd[i];
            embedding[i * k + c] = v;
            if v.abs() > big.abs() {
                big = v;
            }
        }
        if big < 0.0 {
            (0..n).for_each(|i| embedding[i * k + c] = -embedding[i * k + c]);
        }
    }
    let mut rng = SplitMix64(o.seed);
    let labels = match o.assign {
        Assign::KMeans => {
            let e32: Vec<Vec<f32>> = (0..n)
                .map(|i| {
                    embedding[i * k..(i + 1) * k]
                        .iter()
                        .map(|&v| v as f32)
                        .collect()
                })
                .collect();
            let em = Matrix::from_rows(&e32)?;
            let opts = kmeans::Options {
                n_clusters: o.n_clusters,
                seed: o.seed,
                init: Init::KMeansPlusPlus,
                n_init: o.n_init,
                ..kmeans::Options::new(o.n_clusters)
            };
            let m = kmeans::fit(&em, &opts, check_interrupts)?;
            e32.iter().map(|r| m.predict(r) as i64).collect()
        }
        Assign::Discretize => discretize(&embedding, n, k, &mut rng),
        Assign::ClusterQr => cluster_qr(&embedding, n, k),
    };
    if labels.len() != n {
        return Err(Error::bad_data(
            "spectral embedding failed",
            "try assign_labels kmeans",
        ));
    }
    let model = NearestSampleModel {
        p,
        samples: rows,
        labels: labels.iter().map(|&l| l as i32).collect(),
        radius: vec![f64::INFINITY; n],
        metric: Distance::EUCLIDEAN,
    };
    Ok((labels, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_rings_by_neighbours_and_blobs_by_rbf() {
        // Two concentric rings: k-means cannot separate them, the neighbour graph can.
        let mut rows = Vec::new();
        for (radius, count) in [(1.0f32, 60), (5.0, 120)] {
            for i in 0..count {
                let t = i as f32 / count as f32 * std::f32::consts::TAU;
                rows.push(vec![radius * t.cos(), radius * t.sin()]);
            }
        }
        let x = Matrix::from_rows(&rows).unwrap();
        for assign in [Assign::KMeans, Assign::Discretize, Assign::ClusterQr] {
            let o = Options {
                n_clusters: 2,
                n_components: None,
                seed: 0,
                n_init: 10,
                gamma: 1.0,
                n_neighbors: Some(5),
                assign,
                max_train_rows: 5000,
            };
            let (labels, model) = fit(&x, &o, &|| {}).unwrap();
            assert!(
                labels[..60].iter().all(|&l| l == labels[0]),
                "{assign:?} {labels:?}"
            );
            assert!(
                labels[60..].iter().all(|&l| l == labels[60]),
                "{assign:?} {labels:?}"
            );
            assert_ne!(labels[0], labels[60], "{assign:?}");
            assert_eq!(i64::from(model.label(&[0.0, 4.9])), labels[60]);
        }
        let too_many = Options {
            n_clusters: 2,
            n_components: None,
            seed: 0,
            n_init: 1,
            gamma: 1.0,
            n_neighbors: None,
            assign: Assign::KMeans,
            max_train_rows: 100,
        };
        assert!(matches!(
            fit(&x, &too_many, &|| {}),
            Err(Error::TooLarge { .. })
        ));
    }
}
