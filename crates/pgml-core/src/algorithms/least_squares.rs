//! Least-squares linear models, shared by the `linear`, `ridge`, `lasso` and `elastic_net`
//! algorithms: LinearRegression (OLS), Ridge, Lasso, ElasticNet and RidgeClassifier, with
//! scikit-learn's objectives so the same hyperparameters mean the same thing.

use serde::{Deserialize, Serialize};

use super::Predictor;
use crate::linalg::{solve_psd, Sym};
use crate::Matrix;

/// Stored by name (`value`, `sign`, `argmax`), never by variant position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Output {
    /// Regression: the score itself.
    Value,
    /// Binary classification: class 1 when the score is positive.
    Sign,
    /// Multi-class: the class with the highest score.
    Argmax,
}

impl From<Output> for &'static str {
    fn from(o: Output) -> &'static str {
        match o {
            Output::Value => "value",
            Output::Sign => "sign",
            Output::Argmax => "argmax",
        }
    }
}

impl TryFrom<String> for Output {
    type Error = String;
    fn try_from(s: String) -> Result<Output, String> {
        match s.as_str() {
            "value" => Ok(Output::Value),
            "sign" => Ok(Output::Sign),
            "argmax" => Ok(Output::Argmax),
            _ => Err(format!("unknown linear model output \"{s}\"")),
        }
    }
}

/// `k` linear scores over `p` features: score_c = intercept_c + Σ coef[c·p + j] · x_j.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub p: usize,
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
    pub output: Output,
}

impl LinearModel {
    pub fn num_features(&self) -> usize {
        self.p
    }

    fn score(&self, c: usize, x: &[f32]) -> f64 {
        let w = &self.coef[c * self.p..(c + 1) * self.p];
        self.intercept[c] + w.iter().zip(x).map(|(w, &x)| w * f64::from(x)).sum::<f64>()
    }

    pub fn predict(&self, x: &[f32]) -> f32 {
        match self.output {
            Output::Value => self.score(0, x) as f32,
            Output::Sign => f32::from(u8::from(self.score(0, x) > 0.0)),
            Output::Argmax => {
                let mut best = (0, f64::NEG_INFINITY);
                for c in 0..self.intercept.len() {
                    let s = self.score(c, x);
                    if s > best.1 {
                        best = (c, s);
                    }
                }
                best.0 as f32
            }
        }
    }
}

impl Predictor for LinearModel {
    fn num_features(&self) -> usize {
        self.p
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(LinearModel::predict(self, x))
    }
}

/// Column means (zeros without an intercept: the model then goes through the origin).
fn means(x: &Matrix, fit_intercept: bool) -> Vec<f64> {
    let n = x.rows().max(1) as f64;
    (0..x.cols())
        .map(|j| {
            if fit_intercept {
                x.col(j).iter().map(|&v| f64::from(v)).sum::<f64>() / n
            } else {
                0.0
            }
        })
        .collect()
}

/// Rows per block of the Gram matrix: the block's centered columns in f64 (p × 2048 × 8 bytes,
/// 320 kB at 20 features) stay in cache while every pair of them is multiplied.
const GRAM_BLOCK: usize = 2048;

/// Σ (x_i − μ_i)(x_j − μ_j) over rows: the centered Gram matrix. One pass over the data in
/// blocks of rows (each column centered once per block, then all pairs from cache) instead of a
/// pass over two whole columns per pair, which made the fit memory-bound (1.8× scikit-learn's
/// time at 1 M × 20).
fn gram(x: &Matrix, mu: &[f64], check_interrupts: &dyn Fn()) -> Sym {
    let (n, p) = (x.rows(), x.cols());
    let mut g = Sym::zeros(p);
    let mut block = vec![0.0f64; p * GRAM_BLOCK];
    let mut start = 0;
    while start < n {
        check_interrupts();
        let len = GRAM_BLOCK.min(n - start);
        for j in 0..p {
            let src = &x.col(j)[start..start + len];
            for (d, &v) in block[j * GRAM_BLOCK..j * GRAM_BLOCK + len]
                .iter_mut()
                .zip(src)
            {
                *d = f64::from(v) - mu[j];
            }
        }
        for i in 0..p {
            let ci = &block[i * GRAM_BLOCK..i * GRAM_BLOCK + len];
            for j in i..p {
                let cj = &block[j * GRAM_BLOCK..j * GRAM_BLOCK + len];
                g.a[i * p + j] += dot4(ci, cj);
            }
        }
        start += len;
    }
    for i in 0..p {
        for j in 0..i {
            g.a[i * p + j] = g.a[j * p + i];
        }
    }
    g
}

/// A dot product with four independent sums, so the compiler can keep several multiply-adds in
/// flight (a single running sum serializes them).
fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

fn cross(x: &Matrix, mu: &[f64], y: &[f64], y_mean: f64) -> Vec<f64> {
    (0..x.cols())
        .map(|j| {
            x.col(j)
                .iter()
                .zip(y)
                .map(|(&a, &t)| (f64::from(a) - mu[j]) * (t - y_mean))
                .sum()
        })
        .collect()
}

/// LinearRegression (alpha = 0: minimum-norm least squares, like lstsq) and Ridge
/// (minimizes ‖y − Xw‖² + alpha·‖w‖²).
pub fn fit_least_squares(
    x: &Matrix,
    y: &[f32],
    alpha: f64,
    fit_intercept: bool,
    check_interrupts: &dyn Fn(),
) -> LinearModel {
    let mu = means(x, fit_intercept);
    let y: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let y_mean = if fit_intercept {
        y.iter().sum::<f64>() / y.len().max(1) as f64
    } else {
        0.0
    };
    let g = gram(x, &mu, check_interrupts);
    let c = cross(x, &mu, &y, y_mean);
    solve_normal_equations(g, &c, &mu, y_mean, alpha)
}

/// The least-squares / ridge solution from the centered Gram matrix `g` (Σ (x−μ)(x−μ)ᵀ), the
/// centered cross products `c` (Σ (x−μ)(y−ȳ)) and the means: what `fit_least_squares` computes
/// from rows, and what distributed training (`crate::dist`) computes from per-shard moments.
/// With no intercept, μ and ȳ are zero (the sums are then uncentered).
pub fn solve_normal_equations(
    mut g: Sym,
    c: &[f64],
    mu: &[f64],
    y_mean: f64,
    alpha: f64,
) -> LinearModel {
    for i in 0..g.p {
        g.a[i * g.p + i] += alpha;
    }
    let w = solve_psd(&g, c);
    let intercept = y_mean - w.iter().zip(mu).map(|(w, m)| w * m).sum::<f64>();
    LinearModel {
        p: g.p,
        coef: w,
        intercept: vec![intercept],
        output: Output::Value,
    }
}

/// Lasso (l1_ratio = 1) and ElasticNet by cyclic coordinate descent on scikit-learn's objective
/// 1/(2n)·‖y − Xw‖² + alpha·l1_ratio·‖w‖₁ + alpha·(1 − l1_ratio)/2·‖w‖².
#[allow(clippy::too_many_arguments)] // each is a hyperparameter of the same name
pub fn fit_coordinate_descent(
    x: &Matrix,
    y: &[f32],
    alpha: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    max_iter: usize,
    tol: f64,
    check_interrupts: &dyn Fn(),
) -> LinearModel {
    let (n, p) = (x.rows(), x.cols());
    let nf = n.max(1) as f64;
    let mu = means(x, fit_intercept);
    let y_mean = if fit_intercept {
        y.iter().map(|&v| f64::from(v)).sum::<f64>() / nf
    } else {
        0.0
    };
    // Centered columns in f64, once: coordinate descent walks each column every sweep.
    let cols: Vec<Vec<f64>> = (0..p)
        .map(|j| x.col(j).iter().map(|&v| f64::from(v) - mu[j]).collect())
        .collect();
    let norms: Vec<f64> = cols
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>() / nf)
        .collect();
    let mut r: Vec<f64> = y.iter().map(|&v| f64::from(v) - y_mean).collect();
    let mut w = vec![0.0; p];
    let l1 = alpha * l1_ratio;
    let l2 = alpha * (1.0 - l1_ratio);
    for _ in 0..max_iter {
        check_interrupts();
        let (mut max_change, mut max_w) = (0.0f64, 0.0f64);
        for j in 0..p {
            if norms[j] == 0.0 {
                continue; // a constant column carries no information
            }
            let old = w[j];
            let rho: f64 =
                cols[j].iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() / nf + norms[j] * old;
            let new = soft_threshold(rho, l1) / (norms[j] + l2);
            if new != old {
                let d = new - old;
                for (ri, xi) in r.iter_mut().zip(&cols[j]) {
                    *ri -= d * xi;
                }
                w[j] = new;
            }
            max_change = max_change.max((new - old).abs());
            max_w = max_w.max(new.abs());
        }
        if max_w == 0.0 || max_change / max_w < tol {
            break;
        }
    }
    let intercept = y_mean - w.iter().zip(&mu).map(|(w, m)| w * m).sum::<f64>();
    LinearModel {
        p,
        coef: w,
        intercept: vec![intercept],
        output: Output::Value,
    }
}

fn soft_threshold(v: f64, t: f64) -> f64 {
    if v > t {
        v - t
    } else if v < -t {
        v + t
    } else {
        0.0
    }
}

/// RidgeClassifier: ridge regression on ±1 targets (one column for two classes, one per class
/// otherwise), predicting by sign or by the highest score.
pub fn fit_ridge_classifier(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    alpha: f64,
    fit_intercept: bool,
    check_interrupts: &dyn Fn(),
) -> LinearModel {
    let mu = means(x, fit_intercept);
    let mut g = gram(x, &mu, check_interrupts);
    for i in 0..g.p {
        g.a[i * g.p + i] += alpha;
    }
    let outputs: Vec<u32> = if num_classes == 2 {
        vec![1]
    } else {
        (0..num_classes as u32).collect()
    };
    let (mut coef, mut intercept) = (Vec::new(), Vec::new());
    for c in outputs {
        let y: Vec<f64> = codes
            .iter()
            .map(|&k| if k == c { 1.0 } else { -1.0 })
            .collect();
        let y_mean = if fit_intercept {
            y.iter().sum::<f64>() / y.len().max(1) as f64
        } else {
            0.0
        };
        let w = solve_psd(&g, &cross(x, &mu, &y, y_mean));
        intercept.push(y_mean - w.iter().zip(&mu).map(|(w, m)| w * m).sum::<f64>());
        coef.extend(w);
    }
    LinearModel {
        p: x.cols(),
        coef,
        intercept,
        output: if num_classes == 2 {
            Output::Sign
        } else {
            Output::Argmax
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_interrupts() {}

    /// y = 3 + 2·x0 − x1 exactly.
    fn exact() -> (Matrix, Vec<f32>) {
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| vec![i as f32, ((i * 7) % 5) as f32])
            .collect();
        let y = rows.iter().map(|r| 3.0 + 2.0 * r[0] - r[1]).collect();
        (Matrix::from_rows(&rows).unwrap(), y)
    }

    #[test]
    fn ols_recovers_exact_coefficients() {
        let (x, y) = exact();
        let m = fit_least_squares(&x, &y, 0.0, true, &no_interrupts);
        assert!(
            (m.coef[0] - 2.0).abs() < 1e-9 && (m.coef[1] + 1.0).abs() < 1e-9,
            "{m:?}"
        );
        assert!((m.intercept[0] - 3.0).abs() < 1e-9);
        assert!((m.predict(&[10.0, 1.0]) - 22.0).abs() < 1e-4);
    }

    #[test]
    fn ols_with_a_duplicated_column_splits_the_weight() {
        let rows: Vec<Vec<f32>> = (0..10).map(|i| vec![i as f32, i as f32]).collect();
        let y: Vec<f32> = (0..10).map(|i| 4.0 * i as f32).collect();
        let m = fit_least_squares(
            &Matrix::from_rows(&rows).unwrap(),
            &y,
            0.0,
            true,
            &no_interrupts,
        );
        assert!(
            (m.coef[0] - 2.0).abs() < 1e-9 && (m.coef[1] - 2.0).abs() < 1e-9,
            "{m:?}"
        );
    }

    #[test]
    fn ridge_shrinks_and_lasso_zeroes() {
        let (x, y) = exact();
        let ridge = fit_least_squares(&x, &y, 100.0, true, &no_interrupts);
        assert!(ridge.coef[0] < 2.0 && ridge.coef[0] > 1.0, "{ridge:?}");
        // A strong L1 penalty removes the weaker feature entirely.
        let lasso = fit_coordinate_descent(&x, &y, 5.0, 1.0, true, 1000, 1e-6, &no_interrupts);
        assert_eq!(lasso.coef[1], 0.0, "{lasso:?}");
        assert!(lasso.coef[0] > 1.5);
        // alpha = 0 coordinate descent converges to OLS.
        let cd = fit_coordinate_descent(&x, &y, 0.0, 1.0, true, 10_000, 1e-12, &no_interrupts);
        assert!(
            (cd.coef[0] - 2.0).abs() < 1e-6 && (cd.coef[1] + 1.0).abs() < 1e-6,
            "{cd:?}"
        );
    }

    #[test]
    fn ridge_classifier_separates_classes() {
        let rows: Vec<Vec<f32>> = (0..30).map(|i| vec![i as f32]).collect();
        let codes: Vec<u32> = (0..30).map(|i| (i / 10) as u32).collect();
        let m = fit_ridge_classifier(
            &Matrix::from_rows(&rows).unwrap(),
            &codes,
            3,
            1.0,
            true,
            &no_interrupts,
        );
        assert_eq!(m.predict(&[1.0]), 0.0);
        assert_eq!(m.predict(&[28.0]), 2.0);
        let binary: Vec<u32> = (0..30).map(|i| u32::from(i >= 15)).collect();
        let b = fit_ridge_classifier(
            &Matrix::from_rows(&rows).unwrap(),
            &binary,
            2,
            1.0,
            true,
            &no_interrupts,
        );
        assert_eq!((b.predict(&[2.0]), b.predict(&[27.0])), (0.0, 1.0));
    }
}
