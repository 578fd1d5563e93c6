//! `feature_agglomeration`: scikit-learn's FeatureAgglomeration, which clusters the features
//! (columns), not the rows: features are grouped by agglomerative clustering of their columns of
//! training values (`linkage` ward, complete, average or single; `metric` for the last three)
//! into `n_clusters` groups, and a row is reduced to each group's mean (`pooling_func` mean). It
//! is therefore a decomposition here: `pgml.decompose` returns the pooled values, group 0 being
//! the group of the first feature, group 1 that of the first feature not in group 0, and so on
//! (scikit-learn numbers its groups by its dendrogram instead, so its columns may come in
//! another order). PostgresML lists the name under clustering but cannot predict with it (it
//! has no `predict`); pgml trains it for decomposition only.
//!
//! Its score, `cumulative_explained_variance`, is PCA's for the directions pooling projects on:
//! a group of m features is the unit vector with 1/√m on each of them, and these directions are
//! orthonormal, so Σ m·var(group mean) over Σ var(feature) (on the test rows) is the share of the
//! variance they capture, between 0 and 1.

use serde::{Deserialize, Serialize};

use super::clustering::{agglomerate, Distance, Linkage};
use super::params::int;
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::metrics::Metrics;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct FeatureAgglomeration;

/// The column-by-column distance matrix is features × features: bounded by the feature count.
const MAX_FEATURES: usize = 20_000;

const PARAMS: &[Param] = &[
    int("n_clusters", 1, 100_000, DefaultValue::Int(2)),
    choice(
        "metric",
        &[
            "euclidean",
            "l2",
            "manhattan",
            "l1",
            "cityblock",
            "chebyshev",
        ],
        "euclidean",
    ),
    choice(
        "linkage",
        &["ward", "complete", "average", "single"],
        "ward",
    ),
    choice("pooling_func", &["mean"], "mean"),
    Param {
        name: "compute_full_tree",
        kind: Kind::NumberOrName {
            min: f64::NEG_INFINITY,
            names: &["auto"],
        },
        default: DefaultValue::Str("auto"),
    },
    Param {
        name: "compute_distances",
        kind: Kind::Bool,
        default: DefaultValue::Bool(false),
    },
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_clusters: usize,
    pub linkage: Linkage,
    pub metric: Distance,
}

impl Learner for FeatureAgglomeration {
    type Options = Options;

    fn name(&self) -> &'static str {
        "feature_agglomeration"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Decomposition]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "FeatureAgglomeration"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let linkage = match h.str("linkage")? {
            "complete" => Linkage::Complete,
            "average" => Linkage::Average,
            "single" => Linkage::Single,
            _ => Linkage::Ward,
        };
        let name = h.str("metric")?;
        if linkage == Linkage::Ward && !matches!(name, "euclidean" | "l2") {
            return Err(Error::invalid_with_hint(
                format!("linkage ward needs metric euclidean, got {name}"),
                "use linkage complete, average or single for another metric",
            ));
        }
        Ok(Options {
            n_clusters: h.usize("n_clusters")?,
            linkage,
            metric: Distance::parse(name, 2.0).unwrap_or(Distance::EUCLIDEAN),
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
        Ok(Fitted::FeatureAgglomeration(fit(x, o, check_interrupts)?))
    }
}

/// Which group each feature pools into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureAgglomerationModel {
    pub p: usize,
    /// The group of each feature, 0..n_clusters.
    pub groups: Vec<u32>,
    pub n_clusters: usize,
}

impl FeatureAgglomerationModel {
    pub fn pool(&self, x: &[f32]) -> Vec<f32> {
        let mut sums = vec![0f64; self.n_clusters];
        let mut counts = vec![0usize; self.n_clusters];
        for (&g, &v) in self.groups.iter().zip(x) {
            sums[g as usize] += f64::from(v);
            counts[g as usize] += 1;
        }
        sums.iter()
            .zip(&counts)
            .map(|(s, &c)| (s / c.max(1) as f64) as f32)
            .collect()
    }
}

impl Predictor for FeatureAgglomerationModel {
    fn num_features(&self) -> usize {
        self.p
    }
    fn predict(&self, _x: &[f32]) -> Option<f32> {
        None
    }
    fn decompose(&self, x: &[f32]) -> Option<Vec<f32>> {
        Some(self.pool(x))
    }
    fn unsupervised_metrics(&self, x: &Matrix) -> Metrics {
        let (n, p) = (x.rows(), x.cols());
        let variance = |values: &mut dyn Iterator<Item = f64>| {
            let v: Vec<f64> = values.collect();
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            v.iter().map(|a| (a - mean).powi(2)).sum::<f64>()
        };
        let total: f64 = (0..p)
            .map(|j| variance(&mut x.col(j).iter().map(|&v| f64::from(v))))
            .sum();
        let pooled: Vec<Vec<f32>> = (0..n).map(|i| self.pool(&x.row(i))).collect();
        let mut sizes = vec![0usize; self.n_clusters];
        for &g in &self.groups {
            sizes[g as usize] += 1;
        }
        let captured: f64 = (0..self.n_clusters)
            .map(|g| sizes[g] as f64 * variance(&mut pooled.iter().map(|r| f64::from(r[g]))))
            .sum();
        let kept = if total > 0.0 { captured / total } else { 0.0 };
        Metrics::from([("cumulative_explained_variance".to_string(), kept)])
    }
}

pub fn fit(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<FeatureAgglomerationModel> {
    let p = x.cols();
    if o.n_clusters > p {
        return Err(Error::invalid_with_hint(
            format!("n_clusters {} is more than the {p} features", o.n_clusters),
            "feature_agglomeration groups features: lower n_clusters",
        ));
    }
    if p > MAX_FEATURES {
        return Err(Error::too_large(
            format!("feature_agglomeration is limited to {MAX_FEATURES} features, got {p}"),
            "select fewer features",
        ));
    }
    let columns: Vec<Vec<f64>> = (0..p)
        .map(|j| x.col(j).iter().map(|&v| f64::from(v)).collect())
        .collect();
    let groups = agglomerate(
        &columns,
        o.n_clusters,
        o.linkage,
        o.metric,
        check_interrupts,
    );
    Ok(FeatureAgglomerationModel {
        p,
        groups: groups.iter().map(|&g| g as u32).collect(),
        n_clusters: o.n_clusters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlated_features_pool_together() {
        // Features 0 and 2 move together, 1 and 3 together.
        let rows: Vec<Vec<f32>> = (0..30)
            .map(|i| {
                let (a, b) = (i as f32, ((i * 7) % 11) as f32 * 3.0);
                vec![a, b, a + 0.5, b - 0.5]
            })
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            n_clusters: 2,
            linkage: Linkage::Ward,
            metric: Distance::EUCLIDEAN,
        };
        let m = fit(&x, &o, &|| {}).unwrap();
        assert_eq!(m.groups, vec![0, 1, 0, 1]);
        assert_eq!(m.pool(&[1.0, 10.0, 2.0, 20.0]), vec![1.5, 15.0]);
        let kept = m.unsupervised_metrics(&x)["cumulative_explained_variance"];
        // Each group holds two features that differ by a constant: pooling loses nothing.
        assert!((kept - 1.0).abs() < 1e-9, "{kept}");
        // Independent features of equal variance pooled in pairs keep half of it.
        let rows: Vec<Vec<f32>> = (0..400)
            .map(|i| {
                let (a, b) = ((i % 2) as f32, ((i / 2) % 2) as f32);
                vec![a, b, 10.0 * a, 10.0 * b]
            })
            .collect();
        let pairs = FeatureAgglomerationModel {
            p: 4,
            groups: vec![0, 0, 1, 1],
            n_clusters: 2,
        };
        let half = pairs.unsupervised_metrics(&Matrix::from_rows(&rows).unwrap());
        assert!(
            (half["cumulative_explained_variance"] - 0.5).abs() < 1e-9,
            "{half:?}"
        );
        assert!(fit(&x, &Options { n_clusters: 5, ..o }, &|| {}).is_err());
    }
}
