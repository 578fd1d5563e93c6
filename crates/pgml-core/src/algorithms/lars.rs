//! Least-angle regression, shared by `least_angle` (Lars) and `lasso_least_angle` (LassoLars):
//! scikit-learn's path algorithm (`lars_path` with a precomputed Gram matrix) step by step, so
//! the same data gives the same path and coefficients.
//!
//! On centered data, the variable most correlated with the residual joins the active set; the
//! coefficients move along the equiangular direction (from the Cholesky factor of the active
//! Gram block, grown one row per added variable) until another variable is as correlated, or, for
//! the lasso, until an active coefficient reaches zero (it then leaves the set). The path stops at
//! `max_iter` steps, when every variable is active, or when the correlation per row falls to
//! `alpha`, where the lasso's coefficients are interpolated to exactly alpha. scikit-learn's
//! details are kept because they decide the path on real data: a variable whose Cholesky pivot
//! would be below 1e-7 is not added (its correlation is set to zero), correlations of the
//! direction are rounded to 15 decimals, a sign change in plain LAR skips the next addition, and
//! a lasso path whose alpha rises again stops. Its vectors are indexed by position in a
//! permutation of the features that adding and dropping swap, as scikit-learn's are; ties go to
//! the first position as `argmax` does.

use crate::Matrix;

/// What the path needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathOptions {
    /// Steps at most (Lars: `n_nonzero_coefs`; LassoLars: `max_iter`).
    pub max_iter: usize,
    /// Where the path stops (Lars: 0).
    pub alpha_min: f64,
    pub lasso: bool,
    pub positive: bool,
    /// The smallest Cholesky pivot (scikit-learn's `eps`).
    pub eps: f64,
}

/// Centered columns and targets, and the offsets to restore the intercept.
#[derive(Debug)]
pub struct Centered {
    pub cols: Vec<Vec<f64>>,
    pub y: Vec<f64>,
    pub x_offset: Vec<f64>,
    pub y_offset: f64,
}

pub fn center(x: &Matrix, y: &[f64], fit_intercept: bool) -> Centered {
    let n = x.rows().max(1) as f64;
    let mut cols = Vec::with_capacity(x.cols());
    let mut x_offset = Vec::with_capacity(x.cols());
    for j in 0..x.cols() {
        let c: Vec<f64> = x.col(j).iter().map(|&v| f64::from(v)).collect();
        let m = if fit_intercept {
            c.iter().sum::<f64>() / n
        } else {
            0.0
        };
        cols.push(c.into_iter().map(|v| v - m).collect());
        x_offset.push(m);
    }
    let y_offset = if fit_intercept {
        y.iter().sum::<f64>() / n
    } else {
        0.0
    };
    Centered {
        cols,
        y: y.iter().map(|v| v - y_offset).collect(),
        x_offset,
        y_offset,
    }
}

/// The smallest positive value, or f64::MAX (scikit-learn's `arrayfuncs.min_pos`).
fn min_pos(v: impl Iterator<Item = f64>) -> f64 {
    v.filter(|&x| x > 0.0).fold(f64::MAX, f64::min)
}

/// Rounds to 15 decimals, as numpy's `around` (scale, round half to even, unscale).
fn around15(v: f64) -> f64 {
    let scale = 1e15;
    let s = v * scale;
    let r = s.round();
    let r = if (s - s.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - s.signum()
    } else {
        r
    };
    r / scale
}

/// Solves L Lᵀ x = b for the leading k×k block of the lower-triangular `l` (stride `m`).
fn cholesky_solve(l: &[f64], m: usize, k: usize, b: &[f64]) -> Vec<f64> {
    let mut z = b[..k].to_vec();
    for i in 0..k {
        let s: f64 = (0..i).map(|j| l[i * m + j] * z[j]).sum();
        z[i] = (z[i] - s) / l[i * m + i];
    }
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| l[j * m + i] * z[j]).sum();
        z[i] = (z[i] - s) / l[i * m + i];
    }
    z
}

/// The coefficients at the end of the path, by original feature.
pub fn path(
    gram0: &[f64],
    xy: &[f64],
    n_samples: usize,
    o: &PathOptions,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let p = xy.len();
    let ns = n_samples.max(1) as f64;
    let max_features = o.max_iter.min(p);
    // The permuted Gram matrix and the inactive correlations, by position.
    let mut gram = gram0.to_vec();
    let mut cov: Vec<f64> = xy.to_vec();
    let mut indices: Vec<usize> = (0..p).collect();
    let m = max_features.max(1);
    let mut l = vec![0.0; m * m];
    let mut sign_active = vec![0.0f64; max_features.max(1)];
    let mut active: Vec<usize> = Vec::new();
    let mut coef = vec![0.0; p];
    let mut prev_coef = vec![0.0; p];
    let mut prev_alpha = 0.0;
    let (mut n_iter, mut n_active) = (0usize, 0usize);
    let mut drop = false;
    let tiny32 = f64::from(f32::MIN_POSITIVE);
    let equality_tolerance = f64::from(f32::EPSILON);
    let swap_gram = |g: &mut Vec<f64>, a: usize, b: usize| {
        if a == b {
            return;
        }
        for c in 0..p {
            g.swap(a * p + c, b * p + c);
        }
        for r in 0..p {
            g.swap(r * p + a, r * p + b);
        }
    };
    loop {
        check_interrupts();
        let (c_idx, c_signed, c) = if cov.is_empty() {
            (0, 0.0, 0.0)
        } else {
            let mut best = 0;
            for i in 1..cov.len() {
                let better = if o.positive {
                    cov[i] > cov[best]
                } else {
                    cov[i].abs() > cov[best].abs()
                };
                if better {
                    best = i;
                }
            }
            let v = cov[best];
            (best, v, if o.positive { v } else { v.abs() })
        };
        let alpha = c / ns;
        if alpha <= o.alpha_min + equality_tolerance {
            if (alpha - o.alpha_min).abs() > equality_tolerance && n_iter > 0 {
                let ss = (prev_alpha - o.alpha_min) / (prev_alpha - alpha);
                for j in 0..p {
                    coef[j] = prev_coef[j] + ss * (coef[j] - prev_coef[j]);
                }
            }
            break;
        }
        if n_iter >= o.max_iter || n_active >= p {
            break;
        }
        if !drop {
            if n_active >= max_features {
                break;
            }
            sign_active[n_active] = if o.positive { 1.0 } else { c_signed.signum() };
            let (mm, nn) = (n_active, c_idx + n_active);
            let saved_cov = cov.clone();
            cov.swap(c_idx, 0);
            indices.swap(mm, nn);
            swap_gram(&mut gram, mm, nn);
            let cc = gram[n_active * p + n_active];
            // The new row of L: solve L[:k,:k] z = Gram[k, :k].
            let mut row: Vec<f64> = (0..n_active).map(|j| gram[n_active * p + j]).collect();
            for i in 0..n_active {
                let s: f64 = (0..i).map(|j| l[i * m + j] * row[j]).sum();
                row[i] = (row[i] - s) / l[i * m + i];
            }
            let v: f64 = row.iter().map(|r| r * r).sum();
            let diag = (cc - v).abs().sqrt().max(o.eps);
            if diag < 1e-7 {
                // Degenerate: scikit-learn puts the correlations back with the chosen one
                // zeroed, leaving the permutation and Gram swapped (as it does).
                cov = saved_cov;
                cov[0] = 0.0;
                cov.swap(c_idx, 0);
                continue;
            }
            l[n_active * m..n_active * m + n_active].copy_from_slice(&row);
            l[n_active * m + n_active] = diag;
            cov.remove(0);
            active.push(indices[n_active]);
            n_active += 1;
        }
        if o.lasso && n_iter > 0 && prev_alpha < alpha {
            break;
        }
        let mut ls = cholesky_solve(&l, m, n_active, &sign_active);
        let aa;
        if ls.len() == 1 && ls[0] == 0.0 {
            ls[0] = 1.0;
            aa = 1.0;
        } else {
            let s: f64 = ls.iter().zip(&sign_active).map(|(a, b)| a * b).sum();
            let mut a = 1.0 / s.sqrt();
            let mut i = 0;
            while !a.is_finite() && i < 64 {
                let mut l2 = l.clone();
                for k in 0..n_active {
                    l2[k * m + k] += 2f64.powi(i) * o.eps;
                }
                ls = cholesky_solve(&l2, m, n_active, &sign_active);
                let t: f64 = ls
                    .iter()
                    .zip(&sign_active)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    .max(o.eps);
                a = 1.0 / t.sqrt();
                i += 1;
            }
            aa = a;
            ls.iter_mut().for_each(|v| *v *= aa);
        }
        // Correlation of the direction with each inactive variable (positions n_active..).
        let corr: Vec<f64> = (n_active..p)
            .map(|r| around15((0..n_active).map(|k| gram[k * p + r] * ls[k]).sum()))
            .collect();
        let g1 = min_pos(
            cov.iter()
                .zip(&corr)
                .map(|(&cv, &ce)| (c - cv) / (aa - ce + tiny32)),
        );
        let mut gamma = if o.positive {
            g1.min(c / aa)
        } else {
            let g2 = min_pos(
                cov.iter()
                    .zip(&corr)
                    .map(|(&cv, &ce)| (c + cv) / (aa + ce + tiny32)),
            );
            g1.min(g2).min(c / aa)
        };
        drop = false;
        let z: Vec<f64> = active
            .iter()
            .zip(&ls)
            .map(|(&j, &d)| -coef[j] / (d + tiny32))
            .collect();
        let z_pos = min_pos(z.iter().copied());
        let mut idx: Vec<usize> = Vec::new();
        if z_pos < gamma {
            idx = (0..z.len()).rev().filter(|&i| z[i] == z_pos).collect();
            for &i in &idx {
                sign_active[i] = -sign_active[i];
            }
            if o.lasso {
                gamma = z_pos;
            }
            drop = true;
        }
        n_iter += 1;
        prev_coef.copy_from_slice(&coef);
        prev_alpha = alpha;
        let mut next = vec![0.0; p];
        for (k, &j) in active.iter().enumerate() {
            next[j] = prev_coef[j] + gamma * ls[k];
        }
        coef = next;
        for (cv, ce) in cov.iter_mut().zip(&corr) {
            *cv -= gamma * ce;
        }
        if drop && o.lasso {
            let mut dropped = Vec::new();
            for &ii in &idx {
                n_active -= 1;
                dropped.push(active.remove(ii));
                for i in ii..n_active {
                    indices.swap(i, i + 1);
                    swap_gram(&mut gram, i, i + 1);
                }
                sign_active.remove(ii);
                sign_active.push(0.0);
            }
            // The Cholesky factor of the remaining active block (scikit-learn downdates it with
            // Givens rotations: the same factor to rounding).
            l.iter_mut().for_each(|v| *v = 0.0);
            for k in 0..n_active {
                for i in 0..=k {
                    let s: f64 = (0..i).map(|j| l[k * m + j] * l[i * m + j]).sum();
                    if i == k {
                        l[k * m + k] = (gram[k * p + k] - s).abs().sqrt().max(o.eps);
                    } else {
                        l[k * m + i] = (gram[k * p + i] - s) / l[i * m + i];
                    }
                }
            }
            // The dropped variables' correlations with the residual, first in line again.
            let fresh: Vec<f64> = dropped
                .iter()
                .map(|&j| xy[j] - (0..p).map(|k| gram0[j * p + k] * coef[k]).sum::<f64>())
                .collect();
            cov = fresh.into_iter().chain(cov).collect();
        }
    }
    coef
}

/// The Gram matrix and Xᵀy of centered columns.
pub fn gram(c: &Centered, check_interrupts: &dyn Fn()) -> (Vec<f64>, Vec<f64>) {
    let p = c.cols.len();
    let mut g = vec![0.0; p * p];
    for a in 0..p {
        check_interrupts();
        for b in 0..=a {
            let v: f64 = c.cols[a].iter().zip(&c.cols[b]).map(|(u, w)| u * w).sum();
            g[a * p + b] = v;
            g[b * p + a] = v;
        }
    }
    let xy = c
        .cols
        .iter()
        .map(|col| col.iter().zip(&c.y).map(|(u, w)| u * w).sum())
        .collect();
    (g, xy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(lasso: bool, alpha_min: f64) -> PathOptions {
        PathOptions {
            max_iter: 500,
            alpha_min,
            lasso,
            positive: false,
            eps: f64::EPSILON,
        }
    }

    fn data() -> Centered {
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                vec![
                    (i % 7) as f32,
                    ((i * 3) % 11) as f32,
                    ((i * 5) % 13) as f32 * 0.5,
                ]
            })
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                3.0 * f64::from(r[0]) - 2.0 * f64::from(r[1]) + ((i * 17) % 5) as f64 * 0.1
            })
            .collect();
        center(&Matrix::from_rows(&rows).unwrap(), &y, true)
    }

    /// The full LAR path ends at least squares; the lasso path at alpha where the correlations
    /// of the active variables are alpha·n (the lasso's optimality condition).
    #[test]
    fn the_path_ends_at_least_squares_and_at_the_lasso_optimum() {
        let c = data();
        let (g, xy) = gram(&c, &|| {});
        let ols = path(&g, &xy, 40, &options(false, 0.0), &|| {});
        // Normal equations: G w = Xᵀy.
        for r in 0..3 {
            let lhs: f64 = (0..3).map(|k| g[r * 3 + k] * ols[k]).sum();
            assert!((lhs - xy[r]).abs() < 1e-8 * xy[r].abs().max(1.0), "{ols:?}");
        }
        let alpha = 0.5;
        let lasso = path(&g, &xy, 40, &options(true, alpha), &|| {});
        for r in 0..3 {
            let corr = xy[r] - (0..3).map(|k| g[r * 3 + k] * lasso[k]).sum::<f64>();
            if lasso[r] != 0.0 {
                assert!(
                    (corr - alpha * 40.0 * lasso[r].signum()).abs() < 1e-6,
                    "{r}: {corr} {lasso:?}"
                );
            } else {
                assert!(corr.abs() <= alpha * 40.0 + 1e-6, "{r}: {corr}");
            }
        }
    }
}
