//! PCA: the eigen-decomposition of the training covariance; `decompose` projects a row onto the
//! leading components (scikit-learn's `transform`), divided by the square root of each
//! component's variance with `whiten`.
//!
//! Every `svd_solver` of scikit-learn ('auto', 'full', 'covariance_eigh', 'arpack',
//! 'randomized') gives the same components up to sign there; here all of them are the exact
//! eigen-decomposition, with scikit-learn's sign convention, so they give the same result.
//! 'arpack' keeps its limit (n_components below min(rows, features)); the randomized solver's
//! tuning parameters are accepted.

use serde::{Deserialize, Serialize};

use super::params::{float, int, INF};
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{Amount, DefaultValue, Hyperparams, Kind, Param};
use crate::linalg::{symmetric_eigen, Sym};
use crate::metrics::Metrics;
use crate::{Error, Matrix, Result, Task};

/// `pca`, the decomposition algorithm.
#[derive(Debug, Clone, Copy)]
pub struct Pca;

/// n_components defaults to "none": min(rows, features), known only at fit. A whole number is a
/// count; a fraction in (0, 1) keeps the fewest components explaining more than that share of
/// the variance (scikit-learn's float n_components).
const PARAMS: &[Param] = &[
    Param {
        name: "n_components",
        kind: Kind::CountOrFraction {
            min: 1,
            max: 100_000,
            fraction_below_one: true,
            names: &[],
        },
        default: DefaultValue::Null,
    },
    Param {
        name: "whiten",
        kind: Kind::Bool,
        default: DefaultValue::Bool(false),
    },
    choice(
        "svd_solver",
        &["auto", "full", "covariance_eigh", "arpack", "randomized"],
        "auto",
    ),
    float("tol", 0.0, INF, false, DefaultValue::Float(0.0)),
    Param {
        name: "iterated_power",
        kind: Kind::NumberOrName {
            min: -1.0,
            names: &["auto"],
        },
        default: DefaultValue::Str("auto"),
    },
    int("n_oversamples", 1, 1_000_000, DefaultValue::Int(10)),
    choice(
        "power_iteration_normalizer",
        &["auto", "QR", "LU", "none"],
        "auto",
    ),
    int("random_state", 0, i64::MAX, DefaultValue::Null),
    Param {
        name: "copy",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
];

/// How many components to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Components {
    /// min(rows, features).
    All,
    Count(usize),
    /// The fewest explaining more than this share of the variance.
    Variance(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_components: Components,
    pub whiten: bool,
    /// 'arpack' needs fewer components than min(rows, features).
    pub arpack: bool,
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
        let n_components = match params.amount("n_components")? {
            None | Some(Amount::Named(_)) => Components::All,
            Some(Amount::Count(c)) => Components::Count(usize::try_from(c).unwrap_or(usize::MAX)),
            Some(Amount::Fraction(f)) => Components::Variance(f),
        };
        let arpack = params.str("svd_solver")? == "arpack";
        if arpack && matches!(n_components, Components::Variance(_)) {
            return Err(Error::invalid_with_hint(
                "svd_solver arpack needs n_components as a whole number",
                "give a count, or use svd_solver full for a share of the variance",
            ));
        }
        Ok(Options {
            n_components,
            whiten: params.bool("whiten")?,
            arpack,
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
        let (model, variance) = fit_components(x, o, check_interrupts)?;
        Ok(if o.whiten {
            Fitted::WhitenedPca(WhitenedPca {
                scale: variance.iter().map(|v| v.sqrt()).collect(),
                pca: model,
            })
        } else {
            Fitted::Pca(model)
        })
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
    let o = Options {
        n_components: n_components.map_or(Components::All, Components::Count),
        whiten: false,
        arpack: false,
    };
    Ok(fit_components(x, &o, check_interrupts)?.0)
}

/// The model and each kept component's variance (scikit-learn's `explained_variance_`).
pub fn fit_components(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(PcaModel, Vec<f64>)> {
    let (n, p) = (x.rows(), x.cols());
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
    from_covariance(n, mean, &cov, o)
}

/// The model from the rows' count, means and covariance (divided by n − 1): what
/// `fit_components` computes from rows, and what distributed training (`crate::dist`) computes
/// from per-shard moments.
pub fn from_covariance(
    n: usize,
    mean: Vec<f64>,
    cov: &Sym,
    o: &Options,
) -> Result<(PcaModel, Vec<f64>)> {
    let p = cov.p;
    let most = n.min(p);
    let e = symmetric_eigen(cov);
    let total: f64 = e.values.iter().map(|v| v.max(0.0)).sum();
    let ratio = |k: usize| {
        if total > 0.0 {
            e.values[k].max(0.0) / total
        } else {
            0.0
        }
    };
    let keep = match o.n_components {
        Components::All => most,
        Components::Count(c) => c,
        Components::Variance(share) => {
            // The fewest components whose cumulative ratio exceeds the share.
            let mut sum = 0.0;
            (0..most)
                .position(|k| {
                    sum += ratio(k);
                    sum > share
                })
                .map_or(most, |k| k + 1)
        }
    };
    let limit = if o.arpack {
        most.saturating_sub(1)
    } else {
        most
    };
    if keep == 0 || keep > limit {
        let what = if o.arpack {
            "below the smaller of rows and features, for svd_solver arpack"
        } else {
            "the smaller of rows and features"
        };
        return Err(Error::invalid_with_hint(
            format!("n_components {keep} must be between 1 and {limit} ({what})"),
            "lower n_components",
        ));
    }
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
    let explained_variance_ratio = (0..keep).map(ratio).collect();
    let variance = e.values[..keep].iter().map(|v| v.max(0.0)).collect();
    Ok((
        PcaModel {
            p,
            mean,
            components,
            explained_variance_ratio,
        },
        variance,
    ))
}

/// A PCA with `whiten`: the projections divided by the square root of each component's
/// variance (unit variance on the training rows). Its own kind, so that stored PCA models keep
/// their layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhitenedPca {
    pub pca: PcaModel,
    /// √(explained variance) per component.
    pub scale: Vec<f64>,
}

impl Predictor for WhitenedPca {
    fn num_features(&self) -> usize {
        self.pca.p
    }
    fn predict(&self, _x: &[f32]) -> Option<f32> {
        None
    }
    fn decompose(&self, x: &[f32]) -> Option<Vec<f32>> {
        Some(
            self.pca
                .decompose(x)
                .iter()
                .zip(&self.scale)
                // A component of zero variance projects every row to 0; scikit-learn divides
                // by its variance floor, which leaves 0 as well.
                .map(|(&v, &s)| {
                    if s > 0.0 {
                        (f64::from(v) / s) as f32
                    } else {
                        0.0
                    }
                })
                .collect(),
        )
    }
    /// Whitening rescales each component: the share of variance they explain is the PCA's.
    fn unsupervised_metrics(&self, x: &Matrix) -> Metrics {
        self.pca.unsupervised_metrics(x)
    }
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
    fn whitening_gives_unit_variance_and_a_share_picks_the_count() {
        let rows: Vec<Vec<f32>> = (0..60)
            .map(|i| {
                let t = i as f32;
                vec![t, 0.5 * t + (i % 7) as f32, (i % 3) as f32]
            })
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            n_components: Components::Count(2),
            whiten: true,
            arpack: false,
        };
        let (pca, variance) = fit_components(&x, &o, &|| {}).unwrap();
        let w = WhitenedPca {
            scale: variance.iter().map(|v| v.sqrt()).collect(),
            pca,
        };
        for k in 0..2 {
            let z: Vec<f64> = (0..60)
                .map(|i| f64::from(w.decompose(&x.row(i)).unwrap()[k]))
                .collect();
            let m = z.iter().sum::<f64>() / 60.0;
            let var = z.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 59.0;
            assert!((var - 1.0).abs() < 1e-4, "component {k}: variance {var}");
        }
        // The first component alone explains more than 90 % of this variance.
        let share = Options {
            n_components: Components::Variance(0.9),
            whiten: false,
            arpack: false,
        };
        assert_eq!(
            fit_components(&x, &share, &|| {}).unwrap().0.n_components(),
            1
        );
        let arpack = Options {
            n_components: Components::Count(3),
            whiten: false,
            arpack: true,
        };
        assert!(fit_components(&x, &arpack, &|| {}).is_err());
    }

    #[test]
    fn too_many_components_is_an_error() {
        let x = Matrix::from_rows(&[vec![1.0, 2.0], vec![2.0, 3.0], vec![3.0, 5.0]]).unwrap();
        assert!(fit(&x, Some(3), &|| {}).is_err());
        assert_eq!(fit(&x, None, &|| {}).unwrap().n_components(), 2);
    }
}
