//! LogisticRegression: binary (one logit) and multinomial (softmax), L2-penalized with
//! scikit-learn's `C`, fitted by L-BFGS.
//!
//! Features are standardized inside the fit (and the weights mapped back), which keeps L-BFGS
//! well conditioned on raw columns such as breast_cancer's areas (~1000) next to its smoothness
//! (~0.1). The penalty is still scikit-learn's, on the weights in raw feature units (each
//! standardized weight is penalized by 1/σ²), so `C` means what it means there and the optimum is
//! the same model scikit-learn's lbfgs converges to. The `linear` algorithm trains it for
//! classification.

use serde::{Deserialize, Serialize};

use super::Predictor;
use crate::hyperparams::ClassWeight;
use crate::{Error, Matrix, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Inverse regularization strength; infinity means no penalty.
    pub c: f64,
    pub fit_intercept: bool,
    pub max_iter: usize,
    pub tol: f64,
    /// 'balanced' or given per class: each row's loss weighs its class's weight, as
    /// scikit-learn's sample weights do.
    pub class_weight: Option<ClassWeight>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    pub p: usize,
    pub num_classes: usize,
    /// One row of p weights for binary problems, one per class otherwise.
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
}

impl LogisticModel {
    pub fn num_features(&self) -> usize {
        self.p
    }

    fn scores(&self, x: &[f32]) -> Vec<f64> {
        self.intercept
            .iter()
            .enumerate()
            .map(|(c, b)| {
                b + self.coef[c * self.p..(c + 1) * self.p]
                    .iter()
                    .zip(x)
                    .map(|(w, &v)| w * f64::from(v))
                    .sum::<f64>()
            })
            .collect()
    }

    pub fn predict_proba(&self, x: &[f32]) -> Vec<f32> {
        let s = self.scores(x);
        if self.num_classes == 2 {
            let p1 = sigmoid(s[0]);
            vec![(1.0 - p1) as f32, p1 as f32]
        } else {
            softmax(&s).into_iter().map(|v| v as f32).collect()
        }
    }

    pub fn predict(&self, x: &[f32]) -> f32 {
        let s = self.scores(x);
        if self.num_classes == 2 {
            f32::from(u8::from(s[0] > 0.0))
        } else {
            let mut best = 0;
            for c in 1..s.len() {
                if s[c] > s[best] {
                    best = c;
                }
            }
            best as f32
        }
    }
}

impl Predictor for LogisticModel {
    fn num_features(&self) -> usize {
        self.p
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(LogisticModel::predict(self, x))
    }
    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        Some(LogisticModel::predict_proba(self, x))
    }
}

fn sigmoid(s: f64) -> f64 {
    if s >= 0.0 {
        1.0 / (1.0 + (-s).exp())
    } else {
        let e = s.exp();
        e / (1.0 + e)
    }
}

fn softmax(s: &[f64]) -> Vec<f64> {
    let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// The penalized mean log-loss over standardized data, and its gradient.
struct Problem<'a> {
    z: &'a [Vec<f32>],
    codes: &'a [u32],
    /// Per class: the weight of its rows' loss (all 1 without `class_weight`).
    class_weight: Vec<f64>,
    /// The sum of the rows' weights: the loss is their weighted mean, as scikit-learn's
    /// (whose penalty, 1 / (C · that sum), then means the same C).
    total_weight: f64,
    /// Number of logits: 1 for binary, k for multinomial.
    m: usize,
    p: usize,
    fit_intercept: bool,
    /// Penalty weight on ½‖W‖² per unit of row weight: 1 / (C · total_weight).
    lambda: f64,
    /// Per-feature penalty scale 1/σ², so the penalty applies to raw-unit weights.
    scale: &'a [f64],
}

impl Problem<'_> {
    fn dim(&self) -> usize {
        self.m * (self.p + 1)
    }

    fn eval(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let n = self.codes.len();
        let (m, p) = (self.m, self.p);
        let mut scores = vec![0.0f64; n * m];
        for c in 0..m {
            let b = theta[c * (p + 1) + p];
            let row = &mut scores[c * n..(c + 1) * n];
            row.iter_mut().for_each(|s| *s = b);
            for j in 0..p {
                let w = theta[c * (p + 1) + j];
                if w != 0.0 {
                    for (s, &v) in row.iter_mut().zip(&self.z[j]) {
                        *s += w * f64::from(v);
                    }
                }
            }
        }
        // Turn scores into d(loss)/d(score) in place, summing the loss.
        let mut loss = 0.0;
        if m == 1 {
            for (i, &code) in self.codes.iter().enumerate() {
                let s = scores[i];
                let y = f64::from(code);
                let w = self.class_weight[code as usize];
                // log(1 + e^s) − y·s, computed without overflow.
                loss += w
                    * (if s > 0.0 {
                        s + (-s).exp().ln_1p()
                    } else {
                        s.exp().ln_1p()
                    } - y * s);
                scores[i] = w * (sigmoid(s) - y);
            }
        } else {
            let mut row = vec![0.0; m];
            for (i, &code) in self.codes.iter().enumerate() {
                for c in 0..m {
                    row[c] = scores[c * n + i];
                }
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
                let w = self.class_weight[code as usize];
                loss += w * (max + sum.ln() - row[code as usize]);
                for c in 0..m {
                    scores[c * n + i] =
                        w * ((row[c] - max).exp() / sum - f64::from(u8::from(c == code as usize)));
                }
            }
        }
        let nf = self.total_weight;
        let mut penalty = 0.0;
        for c in 0..m {
            let d = &scores[c * n..(c + 1) * n];
            for j in 0..p {
                let w = theta[c * (p + 1) + j];
                let g: f64 = d
                    .iter()
                    .zip(&self.z[j])
                    .map(|(a, &b)| a * f64::from(b))
                    .sum();
                grad[c * (p + 1) + j] = g / nf + self.lambda * self.scale[j] * w;
                penalty += self.scale[j] * w * w;
            }
            grad[c * (p + 1) + p] = if self.fit_intercept {
                d.iter().sum::<f64>() / nf
            } else {
                0.0
            };
        }
        loss / nf + 0.5 * self.lambda * penalty
    }
}

pub fn fit(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    opts: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<LogisticModel> {
    let (n, p) = (x.rows(), x.cols());
    if num_classes < 2 {
        return Err(Error::bad_data(
            "classification needs at least two classes in the training data",
            "check the label column, or use a larger training set",
        ));
    }
    let mut mu = vec![0.0; p];
    let mut sigma = vec![1.0; p];
    let z: Vec<Vec<f32>> = (0..p)
        .map(|j| {
            let col = x.col(j);
            let mean = col.iter().map(|&v| f64::from(v)).sum::<f64>() / n.max(1) as f64;
            let var = col
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n.max(1) as f64;
            mu[j] = mean;
            sigma[j] = if var > 0.0 { var.sqrt() } else { 1.0 };
            col.iter()
                .map(|&v| ((f64::from(v) - mean) / sigma[j]) as f32)
                .collect()
        })
        .collect();
    let scale: Vec<f64> = sigma.iter().map(|s| 1.0 / (s * s)).collect();
    let mut counts = vec![0.0f64; num_classes];
    for &c in codes {
        counts[c as usize] += 1.0;
    }
    // scikit-learn's LogisticRegression: 'balanced' is n / (k · count of the class) over the
    // classes of the training labels.
    let class_weight: Vec<f64> = match &opts.class_weight {
        None => vec![1.0; num_classes],
        Some(cw) => match cw.per_class(num_classes)? {
            Some(w) => w.to_vec(),
            None => {
                let present = counts.iter().filter(|&&c| c > 0.0).count() as f64;
                counts
                    .iter()
                    .map(|&c| {
                        if c > 0.0 {
                            n as f64 / (present * c)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            }
        },
    };
    let total_weight: f64 = counts.iter().zip(&class_weight).map(|(c, w)| c * w).sum();
    if total_weight <= 0.0 {
        return Err(Error::invalid_with_hint(
            "class_weight gives every training row the weight 0",
            "give at least one class of the training rows a weight above 0",
        ));
    }
    let problem = Problem {
        scale: &scale,
        z: &z,
        codes,
        class_weight,
        total_weight,
        m: if num_classes == 2 { 1 } else { num_classes },
        p,
        fit_intercept: opts.fit_intercept,
        lambda: if opts.c.is_finite() {
            1.0 / (opts.c * total_weight)
        } else {
            0.0
        },
    };
    let theta = lbfgs(&problem, opts.max_iter, opts.tol, check_interrupts);
    // Back to raw feature units: w = w'/σ, b = b' − Σ w'·μ/σ.
    let mut coef = Vec::with_capacity(problem.m * p);
    let mut intercept = Vec::with_capacity(problem.m);
    for c in 0..problem.m {
        let mut b = theta[c * (p + 1) + p];
        for j in 0..p {
            let w = theta[c * (p + 1) + j] / sigma[j];
            coef.push(w);
            b -= w * mu[j];
        }
        intercept.push(b);
    }
    Ok(LogisticModel {
        p,
        num_classes,
        coef,
        intercept,
    })
}

/// Limited-memory BFGS (10 pairs) with a backtracking Armijo line search; stops when the largest
/// gradient component is below `tol` or after `max_iter` iterations.
fn lbfgs(
    problem: &Problem<'_>,
    max_iter: usize,
    tol: f64,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    const HISTORY: usize = 10;
    let d = problem.dim();
    let mut x = vec![0.0; d];
    let mut g = vec![0.0; d];
    let mut f = problem.eval(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut x_new = vec![0.0; d];
    let mut g_new = vec![0.0; d];
    for _ in 0..max_iter {
        check_interrupts();
        if g.iter().fold(0.0f64, |a, v| a.max(v.abs())) < tol {
            break;
        }
        // Two-loop recursion: direction = −H·g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(s_hist.len());
        for (s, y) in s_hist.iter().zip(&y_hist).rev() {
            let rho = 1.0 / dot(y, s);
            let a = rho * dot(s, &q);
            axpy(-a, y, &mut q);
            alphas.push((rho, a));
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let norm = dot(&g, &g).sqrt().max(1e-12);
            q.iter_mut().for_each(|v| *v /= norm);
        }
        for ((s, y), (rho, a)) in s_hist.iter().zip(&y_hist).zip(alphas.into_iter().rev()) {
            let b = rho * dot(y, &q);
            axpy(a - b, s, &mut q);
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &dir);
        if slope >= 0.0 {
            // Not a descent direction (curvature went wrong): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            dir = g.iter().map(|v| -v).collect();
            slope = dot(&g, &dir);
        }
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            for i in 0..d {
                x_new[i] = x[i] + step * dir[i];
            }
            let f_new = problem.eval(&x_new, &mut g_new);
            if f_new <= f + 1e-4 * step * slope {
                let s: Vec<f64> = (0..d).map(|i| x_new[i] - x[i]).collect();
                let y: Vec<f64> = (0..d).map(|i| g_new[i] - g[i]).collect();
                if dot(&s, &y) > 1e-12 {
                    if s_hist.len() == HISTORY {
                        s_hist.remove(0);
                        y_hist.remove(0);
                    }
                    s_hist.push(s);
                    y_hist.push(y);
                }
                x.copy_from_slice(&x_new);
                g.copy_from_slice(&g_new);
                let improvement = f - f_new;
                f = f_new;
                accepted = true;
                if improvement.abs() <= f64::EPSILON * f.abs().max(1.0) {
                    return x;
                }
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break; // no further decrease is possible at this precision
        }
    }
    x
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            c: 1.0,
            fit_intercept: true,
            max_iter: 100,
            tol: 1e-4,
            class_weight: None,
        }
    }

    #[test]
    fn binary_separates_and_probabilities_sum_to_one() {
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![i as f32 * 25.0, (i % 3) as f32])
            .collect();
        let codes: Vec<u32> = (0..40).map(|i| u32::from(i >= 20)).collect();
        let m = fit(
            &Matrix::from_rows(&rows).unwrap(),
            &codes,
            2,
            &opts(),
            &|| {},
        )
        .unwrap();
        assert_eq!(m.predict(&[0.0, 1.0]), 0.0);
        assert_eq!(m.predict(&[975.0, 1.0]), 1.0);
        let p = m.predict_proba(&[500.0, 0.0]);
        assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn multinomial_learns_three_bands() {
        let rows: Vec<Vec<f32>> = (0..90).map(|i| vec![i as f32]).collect();
        let codes: Vec<u32> = (0..90).map(|i| (i / 30) as u32).collect();
        let m = fit(
            &Matrix::from_rows(&rows).unwrap(),
            &codes,
            3,
            &Options { c: 100.0, ..opts() },
            &|| {},
        )
        .unwrap();
        let correct = rows
            .iter()
            .zip(&codes)
            .filter(|(r, &c)| m.predict(r) == c as f32)
            .count();
        assert!(correct >= 84, "{correct}/90");
        let p = m.predict_proba(&[45.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p[1] > p[0] && p[1] > p[2], "{p:?}");
    }

    #[test]
    fn one_class_is_an_error() {
        let x = Matrix::from_rows(&[vec![1.0], vec![2.0]]).unwrap();
        assert!(matches!(
            fit(&x, &[0, 0], 1, &opts(), &|| {}),
            Err(Error::BadData { .. })
        ));
    }
}
