//! Distributed training from per-shard statistics (issue 15): each shard server reduces its own
//! rows to a few sums, the coordinator merges them and solves. Nothing here moves rows.
//!
//! - `linear` / `ridge` regression: per-shard counts, means and centered co-moments of the
//!   features and the label ([`Moments`]); merged exactly (Chan et al.'s pairwise update), then
//!   the normal equations single-server training solves.
//! - `pca`: the same moments of the features; the merged covariance's eigenvectors.
//! - `kmeans`: Lloyd's iterations; each shard assigns its rows to the current centers and returns
//!   per-center sums and counts ([`kmeans::KMeansPartial`]); the coordinator computes the new
//!   centers exactly as single-server Lloyd does.
//!
//! The results equal single-server training on the union of the rows to floating-point
//! rounding (the sums are added in another order): the tests here show it.

pub mod kmeans;
pub mod moments;
pub mod score;
pub mod worker;

pub use moments::Moments;

use crate::algorithms::least_squares::{solve_normal_equations, LinearModel};
use crate::algorithms::pca::{self, PcaModel};
use crate::linalg::Sym;
use crate::{Error, Result};

/// LinearRegression (alpha 0) or Ridge from the merged moments of the features followed by the
/// label (the label is the last column), as `least_squares::fit_least_squares` fits them from
/// rows.
pub fn fit_least_squares(m: &Moments, alpha: f64, fit_intercept: bool) -> Result<LinearModel> {
    if m.p == 0 {
        return Err(Error::invalid(
            "distributed least squares needs the label as the last column of the moments",
        ));
    }
    if m.n == 0 {
        return Err(Error::bad_data(
            "no training rows on any shard",
            "check the shards' partitions hold rows",
        ));
    }
    let p = m.p - 1;
    let mut g = Sym::zeros(p);
    let mut c = vec![0.0; p];
    let n = m.n as f64;
    for (i, ci) in c.iter_mut().enumerate() {
        for j in 0..p {
            g.a[i * p + j] = m.comoment(i, j);
            if !fit_intercept {
                // Uncentered sums: Σ x xᵀ = C + n μ μᵀ.
                g.a[i * p + j] += n * m.mean[i] * m.mean[j];
            }
        }
        *ci = m.comoment(i, p);
        if !fit_intercept {
            *ci += n * m.mean[i] * m.mean[p];
        }
    }
    let (mu, y_mean) = if fit_intercept {
        (m.mean[..p].to_vec(), m.mean[p])
    } else {
        (vec![0.0; p], 0.0)
    };
    Ok(solve_normal_equations(g, &c, &mu, y_mean, alpha))
}

/// PCA from the merged moments of the features, as `pca::fit_components` fits it from rows;
/// also returns each kept component's variance (for `whiten`).
pub fn fit_pca(m: &Moments, o: &pca::Options) -> Result<(PcaModel, Vec<f64>)> {
    let p = m.p;
    let denominator = (m.n.max(2) - 1) as f64;
    let mut cov = Sym::zeros(p);
    for i in 0..p {
        for j in 0..p {
            cov.a[i * p + j] = m.comoment(i, j) / denominator;
        }
    }
    let n = usize::try_from(m.n).unwrap_or(usize::MAX);
    pca::from_covariance(n, m.mean.clone(), &cov, o)
}

#[cfg(test)]
mod tests;

/// PCA's `cumulative_explained_variance` on rows given by their merged moments: the projections'
/// variance Σₖ wₖᵀ C wₖ over the total trace(C), which is what `pca::cumulative_explained_variance`
/// computes from the rows themselves.
pub fn explained_variance(model: &PcaModel, m: &Moments) -> f64 {
    let p = m.p;
    if m.n < 2 || model.p != p {
        return 0.0;
    }
    let total: f64 = (0..p).map(|j| m.comoment(j, j)).sum();
    let captured: f64 = model
        .components
        .chunks(p.max(1))
        .map(|w| {
            (0..p)
                .map(|i| (0..p).map(|j| w[i] * m.comoment(i, j) * w[j]).sum::<f64>())
                .sum::<f64>()
        })
        .sum();
    if total > 0.0 {
        captured / total
    } else {
        0.0
    }
}
