//! `gaussian_process` for classification: scikit-learn's GaussianProcessClassifier, the Laplace
//! approximation of Rasmussen & Williams (GPML, algorithms 3.1 and 3.2 and 5.1's objective).
//!
//! Binary: Newton's method finds the posterior mode of the latent f under the logistic
//! likelihood (at most `max_iter_predict` steps, stopping when the approximate log marginal
//! likelihood gains less than 1e-10, as scikit-learn's `_posterior_mode`). The kernel's non-fixed
//! hyperparameters maximize that approximate log marginal likelihood with the regressor's
//! optimizer (L-BFGS in log space within the bounds, `n_restarts_optimizer` more starts).
//! Prediction: the latent mean kᵀ(y − π) decides the class (f > 0); the probability averages the
//! sigmoid over the latent's Gaussian with scikit-learn's five-error-function approximation of the
//! logistic (the same constants, so the numbers agree).
//!
//! More than two classes: one binary classifier per class against the rest, each with its own
//! kernel fit (scikit-learn's `multi_class='one_vs_rest'`), probabilities normalized to sum to 1;
//! `one_vs_one` is 0A000. The model keeps the training rows and, per binary classifier, the
//! n×n Cholesky factor of B = I + W½KW½ (lower triangle), so `max_train_rows` bounds it as for
//! the regressor.

use serde::{Deserialize, Serialize};

use super::gaussian_process::{cho_solve, cholesky, dot4, minimize, Options, ROW_BLOCK};
use super::gp_kernel::Kernel;
use super::Predictor;
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result};

/// One binary Laplace classifier: its fitted kernel and what prediction needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryLaplace {
    pub kernel: Kernel,
    /// y − π at the posterior mode (f* = K*ᵀ (y − π)).
    pub y_minus_pi: Vec<f64>,
    /// √W at the mode.
    pub w_sr: Vec<f64>,
    /// The lower triangle of the Cholesky factor of I + W½KW½, row by row.
    pub l: Vec<f64>,
}

/// A fitted GaussianProcessClassifier: the training rows and one binary classifier (two classes)
/// or one per class (one-vs-rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianProcessClassifierModel {
    pub p: usize,
    /// Row-major training rows.
    pub rows: Vec<f32>,
    pub num_classes: usize,
    pub binary: Vec<BinaryLaplace>,
}

fn expit(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// log(1 + exp(v)) without overflow.
fn log1p_exp(v: f64) -> f64 {
    if v > 0.0 {
        v + (-v).exp().ln_1p()
    } else {
        v.exp().ln_1p()
    }
}

/// The error function to about 1e-12: its Taylor series below 3, the continued fraction of erfc
/// above (the probabilities below are a sum of large, cancelling terms, so erf must be exact to
/// far more digits than the result).
pub(crate) fn erf(x: f64) -> f64 {
    let a = x.abs();
    let v = if a < 3.0 {
        // erf(a) = 2/√π Σ (−1)ⁿ a^(2n+1) / (n! (2n+1))
        let (mut term, mut sum, a2) = (a, a, a * a);
        for n in 1..200 {
            term *= -a2 / n as f64;
            let t = term / (2 * n + 1) as f64;
            sum += t;
            if t.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfc(a) = e^(−a²)/√π · 1/(a + ½/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
        let mut f = a;
        for k in (1..60).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
    };
    if x < 0.0 {
        -v
    } else {
        v
    }
}

/// scikit-learn's approximation of the logistic by a sum of error functions (its `LAMBDAS` and
/// `COEFS`, from Williams & Barber 1998).
const LAMBDAS: [f64; 5] = [0.41, 0.4, 0.37, 0.44, 0.39];
const COEFS: [f64; 5] = [
    -1854.8214151,
    3516.89893646,
    221.29346712,
    128.12323805,
    -2010.49422654,
];

/// ∫ σ(z) N(z | mean, var) dz, as scikit-learn's `_BinaryGPCLaplace.predict_proba`.
fn averaged_sigmoid(mean: f64, var: f64) -> f64 {
    let alpha = 1.0 / (2.0 * var);
    let mut sum = 0.5 * COEFS.iter().sum::<f64>();
    for (l, c) in LAMBDAS.iter().zip(COEFS) {
        let gamma = l * mean;
        let integral = (std::f64::consts::PI / alpha).sqrt()
            * erf(gamma * (alpha / (alpha + l * l)).sqrt())
            / (2.0 * (var * 2.0 * std::f64::consts::PI).sqrt());
        sum += c * integral;
    }
    sum
}

/// What the Newton iterations leave: the mode's approximate log marginal likelihood and the
/// quantities prediction needs.
struct Mode {
    lml: f64,
    y_minus_pi: Vec<f64>,
    w_sr: Vec<f64>,
    /// Full row-major lower factor.
    l: Vec<f64>,
}

/// GPML algorithm 3.1 on the kernel matrix `k` (row-major n×n) and labels y ∈ {0, 1}; None when
/// B is not positive definite (a kernel the optimizer should avoid).
fn posterior_mode(
    k: &[f64],
    y: &[f64],
    max_iter: usize,
    check_interrupts: &dyn Fn(),
) -> Option<Mode> {
    let n = y.len();
    let mut f = vec![0.0; n];
    let mut best = f64::NEG_INFINITY;
    let mut mode = None;
    for _ in 0..max_iter.max(1) {
        check_interrupts();
        let pi: Vec<f64> = f.iter().map(|&v| expit(v)).collect();
        let w: Vec<f64> = pi.iter().map(|p| p * (1.0 - p)).collect();
        let w_sr: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
        let mut b = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                b[i * n + j] = w_sr[i] * k[i * n + j] * w_sr[j];
            }
            b[i * n + i] += 1.0;
        }
        if !cholesky(&mut b, n, check_interrupts) {
            return mode.map(|(_, m)| m);
        }
        let bb: Vec<f64> = (0..n).map(|i| w[i] * f[i] + (y[i] - pi[i])).collect();
        // a = b − W½ B⁻¹ (W½ K b)
        let kb: Vec<f64> = (0..n)
            .map(|i| w_sr[i] * (0..n).map(|j| k[i * n + j] * bb[j]).sum::<f64>())
            .collect();
        let solved = cho_solve(&b, n, &kb);
        let a: Vec<f64> = (0..n).map(|i| bb[i] - w_sr[i] * solved[i]).collect();
        f = (0..n)
            .map(|i| (0..n).map(|j| k[i * n + j] * a[j]).sum())
            .collect();
        let lml = -0.5 * a.iter().zip(&f).map(|(x, y)| x * y).sum::<f64>()
            - (0..n)
                .map(|i| log1p_exp(-(2.0 * y[i] - 1.0) * f[i]))
                .sum::<f64>()
            - (0..n).map(|i| b[i * n + i].ln()).sum::<f64>();
        let improved = lml - best;
        best = lml;
        mode = Some((
            lml,
            Mode {
                lml,
                y_minus_pi: (0..n).map(|i| y[i] - pi[i]).collect(),
                w_sr,
                l: b,
            },
        ));
        if improved < 1e-10 {
            break;
        }
    }
    mode.map(|(_, m)| m)
}

fn gram(kernel: &Kernel, rows: &[Vec<f64>], check_interrupts: &dyn Fn()) -> Vec<f64> {
    let n = rows.len();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        if i % 256 == 0 {
            check_interrupts();
        }
        for j in 0..=i {
            let v = kernel.eval(&rows[i], &rows[j], i == j);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
    }
    k
}

fn fit_binary(
    rows: &[Vec<f64>],
    y: &[f64],
    o: &Options,
    max_iter: usize,
    seed: u64,
    check_interrupts: &dyn Fn(),
) -> Result<BinaryLaplace> {
    let lml = |kernel: &Kernel| -> f64 {
        let k = gram(kernel, rows, check_interrupts);
        posterior_mode(&k, y, max_iter, check_interrupts).map_or(f64::NEG_INFINITY, |m| m.lml)
    };
    let mut kernel = o.kernel.clone();
    let mut theta = Vec::new();
    kernel.theta(&mut theta);
    if o.optimize && !theta.is_empty() {
        let bounds: Vec<(f64, f64)> = theta.iter().map(|(_, b)| *b).collect();
        let objective = |t: &[f64]| -> f64 {
            let mut k = o.kernel.clone();
            k.set_theta(t);
            -lml(&k)
        };
        let start: Vec<f64> = theta.iter().map(|(v, _)| *v).collect();
        let mut best = minimize(&objective, &start, &bounds);
        let mut rng = SplitMix64(seed);
        for _ in 0..o.n_restarts {
            let s: Vec<f64> = bounds
                .iter()
                .map(|(lo, hi)| lo + (hi - lo) * rng.unit())
                .collect();
            let candidate = minimize(&objective, &s, &bounds);
            if candidate.1 < best.1 {
                best = candidate;
            }
        }
        kernel.set_theta(&best.0);
    }
    let k = gram(&kernel, rows, check_interrupts);
    let mode = posterior_mode(&k, y, max_iter, check_interrupts).ok_or_else(|| {
        Error::bad_data(
            "gaussian_process: the Laplace approximation's matrix I + W½KW½ is not positive definite",
            "choose another kernel, e.g. add a WhiteKernel",
        )
    })?;
    let n = rows.len();
    let l = (0..n)
        .flat_map(|i| mode.l[i * n..=i * n + i].to_vec())
        .collect();
    Ok(BinaryLaplace {
        kernel,
        y_minus_pi: mode.y_minus_pi,
        w_sr: mode.w_sr,
        l,
    })
}

/// Trains on class codes 0..k (k ≥ 2): one binary classifier for two classes, one per class
/// against the rest otherwise.
pub fn fit(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    o: &Options,
    max_iter: usize,
    check_interrupts: &dyn Fn(),
) -> Result<GaussianProcessClassifierModel> {
    let (n, p) = (x.rows(), x.cols());
    super::gaussian_process::check_rows(n, o)?;
    o.kernel.check(p)?;
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| x.row(i).into_iter().map(f64::from).collect())
        .collect();
    let targets: Vec<u32> = if num_classes <= 2 {
        vec![1]
    } else {
        (0..num_classes as u32).collect()
    };
    // Each one-vs-rest classifier draws its restarts from its own stream, as scikit-learn's
    // clones share random_state but optimize separately.
    let binary = targets
        .iter()
        .map(|&c| {
            let y: Vec<f64> = codes.iter().map(|&v| f64::from(u8::from(v == c))).collect();
            fit_binary(&rows, &y, o, max_iter, o.seed, check_interrupts)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(GaussianProcessClassifierModel {
        p,
        rows: rows.iter().flatten().map(|&v| v as f32).collect(),
        num_classes,
        binary,
    })
}

/// x = L⁻¹ b for the packed lower triangle `l` (row i at i(i+1)/2, i+1 entries).
///
/// A block of ROW_BLOCK rows takes its sums over the x already known together (`dot4`: the same
/// bits as one sum per row, without waiting on one addition at a time), then finishes its own
/// triangle in order. Prediction runs this once per test row and class, n²/2 steps each, which
/// made it a large part of fitting and scoring on digits.
fn forward_substitution(l: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let row = |i: usize| &l[i * (i + 1) / 2..(i + 1) * (i + 2) / 2];
    let mut x = vec![0.0; n];
    let mut i0 = 0;
    while i0 < n {
        let rows = ROW_BLOCK.min(n - i0);
        let mut s = [-0.0f64; ROW_BLOCK];
        if rows == ROW_BLOCK {
            s = dot4(
                [
                    &row(i0)[..i0],
                    &row(i0 + 1)[..i0],
                    &row(i0 + 2)[..i0],
                    &row(i0 + 3)[..i0],
                ],
                &x[..i0],
            );
        } else {
            for (r, s) in s.iter_mut().enumerate().take(rows) {
                *s = row(i0 + r)[..i0].iter().zip(&x).map(|(a, b)| a * b).sum();
            }
        }
        for (r, mut s) in s.into_iter().enumerate().take(rows) {
            let i = i0 + r;
            let li = row(i);
            for k in i0..i {
                s += li[k] * x[k];
            }
            x[i] = (b[i] - s) / li[i];
        }
        i0 += rows;
    }
    x
}

impl BinaryLaplace {
    /// (latent mean, P(class 1)) for one row.
    fn latent_and_probability(&self, rows: &[f32], p: usize, x: &[f64]) -> (f64, f64) {
        let n = self.y_minus_pi.len();
        let mut row = vec![0.0; p];
        let mut k_star = Vec::with_capacity(n);
        for r in rows.chunks(p.max(1)).take(n) {
            for (d, &v) in row.iter_mut().zip(r) {
                *d = f64::from(v);
            }
            k_star.push(self.kernel.eval(&row, x, false));
        }
        let mean: f64 = k_star
            .iter()
            .zip(&self.y_minus_pi)
            .map(|(a, b)| a * b)
            .sum();
        // v = L⁻¹ (W½ k*).
        let wk: Vec<f64> = self.w_sr.iter().zip(&k_star).map(|(w, k)| w * k).collect();
        let v = forward_substitution(&self.l, &wk);
        let var = self.kernel.eval(x, x, true) - v.iter().map(|a| a * a).sum::<f64>();
        (mean, averaged_sigmoid(mean, var))
    }
}

impl GaussianProcessClassifierModel {
    fn scores(&self, x: &[f32]) -> Vec<(f64, f64)> {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        self.binary
            .iter()
            .map(|b| b.latent_and_probability(&self.rows, self.p, &x))
            .collect()
    }
}

impl Predictor for GaussianProcessClassifierModel {
    fn num_features(&self) -> usize {
        self.p
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        let scores = self.scores(x);
        if self.binary.len() == 1 {
            // scikit-learn decides binary by the latent mean's sign.
            return Some(if scores[0].0 > 0.0 { 1.0 } else { 0.0 });
        }
        // One-vs-rest: the highest probability; on a tie the last class, as scikit-learn's
        // OneVsRestClassifier overwrites its argmax on equality.
        let mut best = 0;
        for (i, s) in scores.iter().enumerate() {
            if s.1 >= scores[best].1 {
                best = i;
            }
        }
        Some(best as f32)
    }

    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        let scores = self.scores(x);
        if self.binary.len() == 1 {
            let p1 = scores[0].1;
            return Some(vec![(1.0 - p1) as f32, p1 as f32]);
        }
        let total: f64 = scores.iter().map(|s| s.1).sum();
        Some(
            scores
                .iter()
                .map(|s| (s.1 / if total > 0.0 { total } else { 1.0 }) as f32)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocked forward substitution gives the bits of the plain one (one sum per row, in
    /// order), for every size around the block's.
    #[test]
    fn forward_substitution_is_the_plain_one_bit_for_bit() {
        let mut rng = SplitMix64(7);
        for n in 0..=13 {
            // Zeros of both signs too: a sum's start value shows only on them.
            let entry = |rng: &mut SplitMix64| match rng.unit() {
                u if u < 0.3 => 0.0,
                u if u < 0.6 => -0.0,
                _ => rng.unit() * 2.0 - 1.0,
            };
            let mut l = Vec::new();
            for i in 0..n {
                for _ in 0..i {
                    l.push(entry(&mut rng));
                }
                l.push(1.0 + rng.unit());
            }
            let b: Vec<f64> = (0..n).map(|_| entry(&mut rng)).collect();
            let mut plain = vec![0.0; n];
            let mut at = 0;
            for i in 0..n {
                let li = &l[at..at + i + 1];
                at += i + 1;
                let s: f64 = li[..i].iter().zip(&plain).map(|(a, b)| a * b).sum();
                plain[i] = (b[i] - s) / li[i];
            }
            let got = forward_substitution(&l, &b);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&plain), "n = {n}");
        }
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (2.9, 0.999_958_902_121_900_3),
            (3.5, 0.999_999_256_901_627_7),
            (-1.0, -0.842_700_792_949_714_9),
        ] {
            assert!(
                (erf(x) - want).abs() < 1e-12,
                "erf({x}) = {} vs {want}",
                erf(x)
            );
        }
    }

    #[test]
    fn the_averaged_sigmoid_is_the_sigmoid_at_zero_variance_and_symmetric() {
        assert!((averaged_sigmoid(0.0, 1.0) - 0.5).abs() < 1e-6);
        assert!((averaged_sigmoid(2.0, 1e-8) - expit(2.0)).abs() < 1e-3);
        let (a, b) = (averaged_sigmoid(1.3, 2.0), averaged_sigmoid(-1.3, 2.0));
        assert!((a + b - 1.0).abs() < 1e-6);
        // Uncertainty pulls the probability towards one half.
        assert!(a < expit(1.3));
    }
}
