//! PCA: the eigen-decomposition of the training covariance; `decompose` projects a row onto the
//! leading components (scikit-learn's `transform`, without whitening).

use serde::{Deserialize, Serialize};

use super::params::int;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::linalg::{symmetric_eigen, Sym};
use crate::metrics::Metrics;
use crate::{Error, Matrix, Result, Task};

/// `pca`, the decomposition algorithm.
#[derive(Debug, Clone, Copy)]
pub struct Pca;

/// n_components defaults to "none": min(rows, features), known only at fit.
const PARAMS: &[Param] = &[int("n_components", 1, 100_000, DefaultValue::Null)];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_components: Option<usize>,
}

impl Learner for Pca {
    type Options = Options;

    fn name(&self) -> &'static str {
        "pca"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Decomposition]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "PCA"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        Ok(Options {
            n_components: params
                .opt_int("n_components")?
                .and_then(|n| usize::try_from(n).ok()),
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
        Ok(Fitted::Pca(fit(x, o.n_components, check_interrupts)?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaModel {
    pub p: usize,
    pub mean: Vec<f64>,
    /// n_components rows of p loadings.
    pub components: Vec<f64>,
    /// Fraction of the training variance each component explains.
    pub explained_variance_ratio: Vec<f64>,
}

impl PcaModel {
    pub fn num_features(&self) -> usize {
        self.p
    }

    pub fn n_components(&self) -> usize {
        self.components.len() / self.p.max(1)
    }

    pub fn decompose(&self, x: &[f32]) -> Vec<f32> {
        self.components
            .chunks(self.p.max(1))
            .map(|c| {
                c.iter()
                    .zip(x)
                    .zip(&self.mean)
                    .map(|((w, &v), m)| w * (f64::from(v) - m))
                    .sum::<f64>() as f32
            })
            .collect()
    }
}

impl Predictor for PcaModel {
    fn num_features(&self) -> usize {
        self.p
    }
    fn predict(&self, _x: &[f32]) -> Option<f32> {
        None
    }
    fn decompose(&self, x: &[f32]) -> Option<Vec<f32>> {
        Some(PcaModel::decompose(self, x))
    }
    fn unsupervised_metrics(&self, x: &Matrix) -> Metrics {
        Metrics::from([(
            "cumulative_explained_variance".to_string(),
            cumulative_explained_variance(self, x),
        )])
    }
}

/// `n_components` None keeps min(rows, features) components, as scikit-learn does.
pub fn fit(
    x: &Matrix,
    n_components: Option<usize>,
    check_interrupts: &dyn Fn(),
) -> Result<PcaModel> {
    let (n, p) = (x.rows(), x.cols());
    let keep = n_components.unwrap_or(n.min(p));
    if keep == 0 || keep > n.min(p) {
        return Err(Error::invalid_with_hint(
            format!(
                "n_components {keep} must be between 1 and {} (the smaller of rows and features)",
                n.min(p)
            ),
            "lower n_components",
        ));
    }
    let mean: Vec<f64> = (0..p)
        .map(|j| x.col(j).iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64)
        .collect();
    let mut cov = Sym::zeros(p);
    for i in 0..p {
        check_interrupts();
        for j in i..p {
            let s: f64 = x
                .col(i)
                .iter()
                .zip(x.col(j))
                .map(|(&a, &b)| (f64::from(a) - mean[i]) * (f64::from(b) - mean[j]))
                .sum::<f64>()
                / (n.max(2) - 1) as f64;
            cov.a[i * p + j] = s;
            cov.a[j * p + i] = s;
        }
    }
    let e = symmetric_eigen(&cov);
    let total: f64 = e.values.iter().map(|v| v.max(0.0)).sum();
    let mut components = Vec::with_capacity(keep * p);
    for k in 0..keep {
        // scikit-learn's sign convention (svd_flip): the largest-magnitude loading is positive.
        let col: Vec<f64> = (0..p).map(|r| e.vectors[r * p + k]).collect();
        let big = col
            .iter()
            .copied()
            .fold(0.0f64, |a, v| if v.abs() > a.abs() { v } else { a });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        components.extend(col.iter().map(|v| v * sign));
    }
    let explained_variance_ratio = e.values[..keep]
        .iter()
        .map(|v| if total > 0.0 { v.max(0.0) / total } else { 0.0 })
        .collect();
    Ok(PcaModel {
        p,
        mean,
        components,
        explained_variance_ratio,
    })
}

/// The fraction of `x`'s total variance that the model's components capture.
pub fn cumulative_explained_variance(model: &PcaModel, x: &Matrix) -> f64 {
    let n = x.rows();
    if n < 2 {
        return 0.0;
    }
    let total: f64 = (0..x.cols())
        .map(|j| {
            let c = x.col(j);
            let m = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
            c.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>()
        })
        .sum();
    let projected: Vec<Vec<f32>> = (0..n).map(|i| model.decompose(&x.row(i))).collect();
    let captured: f64 = (0..model.n_components())
        .map(|k| {
            let m = projected.iter().map(|r| f64::from(r[k])).sum::<f64>() / n as f64;
            projected
                .iter()
                .map(|r| (f64::from(r[k]) - m).powi(2))
                .sum::<f64>()
        })
        .sum();
    if total > 0.0 {
        captured / total
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_component() {
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![i as f32, 2.0 * i as f32 + 1.0])
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let m = fit(&x, Some(1), &|| {}).unwrap();
        assert!((m.explained_variance_ratio[0] - 1.0).abs() < 1e-9);
        // The loading is (1, 2)/√5 with a positive sign.
        let s5 = 5f64.sqrt();
        assert!(
            (m.components[0] - 1.0 / s5).abs() < 1e-9 && (m.components[1] - 2.0 / s5).abs() < 1e-9
        );
        assert!((cumulative_explained_variance(&m, &x) - 1.0).abs() < 1e-6);
        // The mean projects to 0.
        assert!(m.decompose(&[24.5, 50.0])[0].abs() < 1e-4);
    }

    #[test]
    fn too_many_components_is_an_error() {
        let x = Matrix::from_rows(&[vec![1.0, 2.0], vec![2.0, 3.0], vec![3.0, 5.0]]).unwrap();
        assert!(fit(&x, Some(3), &|| {}).is_err());
        assert_eq!(fit(&x, None, &|| {}).unwrap().n_components(), 2);
    }
}
