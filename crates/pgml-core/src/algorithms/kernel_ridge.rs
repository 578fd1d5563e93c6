//! `kernel_ridge`: scikit-learn's KernelRidge (regression): the dual coefficients c solve
//! (K + alpha·I) c = y by Cholesky, and a prediction is Σ c_i k(x_i, x). No intercept, as
//! scikit-learn's.
//!
//! K is n×n: the fit refuses more than `max_train_rows` rows (10 000 by default, 800 MB of f64)
//! before allocating it, naming the limit and the hyperparameter that raises it.

use serde::{Deserialize, Serialize};

use super::params::{float, int, INF};
use super::sgd::params::choice;
use super::{wrong_labels, Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct KernelRidge;

/// Stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Kind {
    Linear,
    Poly,
    Rbf,
    Sigmoid,
    Laplacian,
    Cosine,
}

const KERNELS: &[&str] = &[
    "linear",
    "poly",
    "polynomial",
    "rbf",
    "sigmoid",
    "laplacian",
    "cosine",
];

impl From<Kind> for &'static str {
    fn from(k: Kind) -> &'static str {
        match k {
            Kind::Linear => "linear",
            Kind::Poly => "poly",
            Kind::Rbf => "rbf",
            Kind::Sigmoid => "sigmoid",
            Kind::Laplacian => "laplacian",
            Kind::Cosine => "cosine",
        }
    }
}

impl TryFrom<String> for Kind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Kind, String> {
        Kind::parse(&s).ok_or_else(|| format!("unknown kernel \"{s}\""))
    }
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "linear" => Kind::Linear,
            "poly" | "polynomial" => Kind::Poly,
            "rbf" => Kind::Rbf,
            "sigmoid" => Kind::Sigmoid,
            "laplacian" => Kind::Laplacian,
            "cosine" => Kind::Cosine,
            _ => return None,
        })
    }
}

/// scikit-learn's pairwise kernels; gamma None is 1 / features, as there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    pub kind: Kind,
    pub gamma: f64,
    pub degree: f64,
    pub coef0: f64,
}

impl Kernel {
    fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        let dot = || a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        match self.kind {
            Kind::Linear => dot(),
            Kind::Poly => (self.gamma * dot() + self.coef0).powf(self.degree),
            Kind::Rbf => {
                let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                (-self.gamma * d).exp()
            }
            Kind::Sigmoid => (self.gamma * dot() + self.coef0).tanh(),
            Kind::Laplacian => {
                let d: f64 = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum();
                (-self.gamma * d).exp()
            }
            Kind::Cosine => {
                let na = a.iter().map(|v| v * v).sum::<f64>().sqrt();
                let nb = b.iter().map(|v| v * v).sum::<f64>().sqrt();
                // scikit-learn normalizes zero rows to zero: their similarity is 0.
                if na == 0.0 || nb == 0.0 {
                    0.0
                } else {
                    dot() / (na * nb)
                }
            }
        }
    }
}

/// Default cap on training rows: K alone is 8·n² bytes (800 MB at 10 000).
const MAX_TRAIN_ROWS: i64 = 10_000;

const PARAMS: &[Param] = &[
    float("alpha", 0.0, INF, false, DefaultValue::Float(1.0)),
    choice("kernel", KERNELS, "linear"),
    float("gamma", 0.0, INF, true, DefaultValue::Null),
    float("degree", 0.0, INF, true, DefaultValue::Float(3.0)),
    float("coef0", -INF, INF, false, DefaultValue::Float(1.0)),
    int(
        "max_train_rows",
        1,
        1_000_000,
        DefaultValue::Int(MAX_TRAIN_ROWS),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub alpha: f64,
    pub kind: Kind,
    pub gamma: Option<f64>,
    pub degree: f64,
    pub coef0: f64,
    pub max_train_rows: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelRidgeModel {
    pub p: usize,
    pub kernel: Kernel,
    /// The training rows, row-major.
    pub rows: Vec<f32>,
    pub dual_coef: Vec<f64>,
}

impl Predictor for KernelRidgeModel {
    fn num_features(&self) -> usize {
        self.p
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut row = vec![0.0; self.p];
        let mut sum = 0.0;
        for (r, c) in self.rows.chunks(self.p.max(1)).zip(&self.dual_coef) {
            for (d, &v) in row.iter_mut().zip(r) {
                *d = f64::from(v);
            }
            sum += c * self.kernel.eval(&row, &x);
        }
        Some(sum as f32)
    }
}

impl Learner for KernelRidge {
    type Options = Options;

    fn name(&self) -> &'static str {
        "kernel_ridge"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "KernelRidge"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let kernel = h.str("kernel")?;
        Ok(Options {
            alpha: h.float("alpha")?,
            kind: Kind::parse(kernel)
                .ok_or_else(|| Error::invalid(format!("unknown kernel {kernel}")))?,
            gamma: h.opt_float("gamma")?,
            degree: h.float("degree")?,
            coef0: h.float("coef0")?,
            max_train_rows: h.usize("max_train_rows")?,
        })
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        match labels {
            Labels::Values(y) => Ok(Fitted::KernelRidge(fit(x, y, o, check_interrupts)?)),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}

pub fn fit(
    x: &Matrix,
    y: &[f32],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<KernelRidgeModel> {
    let (n, p) = (x.rows(), x.cols());
    if n > o.max_train_rows {
        return Err(Error::too_large(
            format!(
                "kernel_ridge needs an n×n kernel matrix: {n} training rows exceed the limit of {} ({:.1} MB)",
                o.max_train_rows,
                8.0 * (o.max_train_rows as f64).powi(2) / 1e6
            ),
            format!(
                "raise hyperparameter max_train_rows to at least {n} if the server has {:.1} MB to spare, or train on fewer rows",
                8.0 * (n as f64).powi(2) / 1e6
            ),
        ));
    }
    let kernel = Kernel {
        kind: o.kind,
        gamma: o.gamma.unwrap_or(1.0 / p.max(1) as f64),
        degree: o.degree,
        coef0: o.coef0,
    };
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| x.row(i).into_iter().map(f64::from).collect())
        .collect();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        if i % 256 == 0 {
            check_interrupts();
        }
        for j in 0..=i {
            let v = kernel.eval(&rows[i], &rows[j]);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
        k[i * n + i] += o.alpha;
    }
    let b: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let dual_coef = cholesky_solve(&mut k, n, &b, check_interrupts).ok_or_else(|| {
        Error::bad_data(
            "kernel_ridge: the kernel matrix plus alpha·I is not positive definite",
            "use alpha > 0, or a positive semi-definite kernel (linear, rbf, laplacian, cosine, poly with coef0 ≥ 0)",
        )
    })?;
    Ok(KernelRidgeModel {
        p,
        kernel,
        rows: (0..n).flat_map(|i| x.row(i)).collect(),
        dual_coef,
    })
}

/// Solves a x = b for symmetric positive definite a (row-major n×n, overwritten by its Cholesky
/// factor); None if a is not positive definite.
fn cholesky_solve(
    a: &mut [f64],
    n: usize,
    b: &[f64],
    check_interrupts: &dyn Fn(),
) -> Option<Vec<f64>> {
    for j in 0..n {
        if j % 64 == 0 {
            check_interrupts();
        }
        let lj: Vec<f64> = a[j * n..j * n + j].to_vec();
        let d = a[j * n + j] - lj.iter().map(|v| v * v).sum::<f64>();
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        // L[i][j] for i > j, kept in row i: (a_ij − Σ_k L_ik L_jk) / L_jj.
        for i in j + 1..n {
            let row_i = &mut a[i * n..(i + 1) * n];
            let s: f64 = row_i[..j].iter().zip(&lj).map(|(x, y)| x * y).sum();
            row_i[j] = (row_i[j] - s) / d;
        }
    }
    // L z = b, then Lᵀ x = z.
    let mut z = b.to_vec();
    for i in 0..n {
        let s: f64 = (0..i).map(|k| a[i * n + k] * z[k]).sum();
        z[i] = (z[i] - s) / a[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[k * n + i] * z[k]).sum();
        z[i] = (z[i] - s) / a[i * n + i];
    }
    Some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(kind: Kind) -> Options {
        Options {
            alpha: 1e-6,
            kind,
            gamma: None,
            degree: 3.0,
            coef0: 1.0,
            max_train_rows: 10_000,
        }
    }

    #[test]
    fn a_linear_kernel_with_tiny_alpha_is_least_squares_through_the_origin() {
        let rows: Vec<Vec<f32>> = (0..30).map(|i| vec![i as f32, (i % 7) as f32]).collect();
        let y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] - r[1]).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let m = fit(&x, &y, &options(Kind::Linear), &|| {}).unwrap();
        let p = m.predict(&[10.0, 3.0]).unwrap();
        assert!((p - 17.0).abs() < 1e-2, "{p}");
        for kind in [Kind::Rbf, Kind::Laplacian, Kind::Cosine, Kind::Poly] {
            let o = Options {
                alpha: 0.1,
                ..options(kind)
            };
            let m = fit(&x, &y, &o, &|| {}).unwrap();
            assert!(m.predict(&[10.0, 3.0]).unwrap().is_finite(), "{kind:?}");
        }
    }

    #[test]
    fn too_many_rows_are_refused_naming_the_override() {
        let x = Matrix::from_rows(&vec![vec![1.0]; 11]).unwrap();
        let o = Options {
            max_train_rows: 10,
            ..options(Kind::Linear)
        };
        let e = fit(&x, &[0.0; 11], &o, &|| {}).unwrap_err();
        assert!(
            e.to_string()
                .contains("11 training rows exceed the limit of 10"),
            "{e}"
        );
        assert!(e.hint().unwrap().contains("max_train_rows"), "{e:?}");
        assert!(matches!(e, Error::TooLarge { .. }), "54000, not {e:?}");
    }
}
