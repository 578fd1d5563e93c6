//! `dbscan`: scikit-learn's DBSCAN. A row with at least `min_samples` rows (itself included)
//! within `eps` is a core sample; clusters are the core samples connected through each other's
//! neighbourhoods plus the rows they reach; the rest is noise (-1). Clusters are numbered in
//! order of their first core sample and grown depth-first, as scikit-learn's are.
//!
//! scikit-learn has no `predict` for DBSCAN. pgml's: a new row takes the label of the nearest
//! core sample within `eps` of it, else -1 (noise). The model keeps the core samples.
//!
//! Neighbourhoods are computed brute force, O(n²) distance evaluations and O(n) memory: nothing
//! n×n is held, whatever `eps`. `algorithm` and `leaf_size` are accepted for compatibility and
//! change nothing but speed in scikit-learn either.

use super::clustering::{rows_of, Distance, NearestSampleModel, CHECK_EVERY, METRICS};
use super::kmeans::Rows;
use super::params::{float, int, INF};
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Dbscan;

pub(crate) const ALGORITHMS: &[&str] = &["auto", "ball_tree", "kd_tree", "brute"];

const PARAMS: &[Param] = &[
    float("eps", 0.0, INF, true, DefaultValue::Float(0.5)),
    int("min_samples", 1, 1_000_000_000, DefaultValue::Int(5)),
    choice("metric", METRICS, "euclidean"),
    choice("algorithm", ALGORITHMS, "auto"),
    int("leaf_size", 1, 1_000_000_000, DefaultValue::Int(30)),
    float("p", 0.0, INF, true, DefaultValue::Null),
    int("n_jobs", -1, 1024, DefaultValue::Null),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub eps: f64,
    pub min_samples: usize,
    pub metric: Distance,
}

/// The metric from `metric` and `p` (Minkowski's power, 2 when not given).
pub(crate) fn metric_of(h: &Hyperparams, p_default: f64) -> Result<Distance> {
    let name = h.str("metric")?;
    let p = h.opt_float("p")?.unwrap_or(p_default);
    if name == "minkowski" && p < 1.0 {
        return Err(Error::invalid_with_hint(
            format!("hyperparameter p must be at least 1 for metric minkowski, got {p}"),
            "p 1 is manhattan, 2 euclidean",
        ));
    }
    Distance::parse(name, p).ok_or_else(|| {
        Error::invalid_with_hint(
            format!("unknown metric \"{name}\""),
            format!("metrics: {}", METRICS.join(", ")),
        )
    })
}

impl Learner for Dbscan {
    type Options = Options;

    fn name(&self) -> &'static str {
        "dbscan"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "DBSCAN"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            eps: h.float("eps")?,
            min_samples: h.usize("min_samples")?,
            metric: metric_of(h, 2.0)?,
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
        Ok(Fitted::NearestSample(fit(x, o, check_interrupts).1))
    }
}

/// The rows within `eps` of row `i`, itself included, in index order.
fn neighbours(rows: Rows<'_>, i: usize, eps: f64, metric: &Distance, out: &mut Vec<usize>) {
    out.clear();
    let x = rows.row(i);
    out.extend((0..rows.n).filter(|&j| metric.between(x, rows.row(j)) <= eps));
}

/// The training rows' labels (scikit-learn's `labels_`) and the model.
pub fn fit(x: &Matrix, o: &Options, check_interrupts: &dyn Fn()) -> (Vec<i64>, NearestSampleModel) {
    let (n, p) = (x.rows(), x.cols());
    let data = rows_of(x);
    let rows = Rows { data: &data, n, p };
    let mut scratch = Vec::new();
    let core: Vec<bool> = (0..n)
        .map(|i| {
            if i.is_multiple_of(CHECK_EVERY) {
                check_interrupts();
            }
            let xi = rows.row(i);
            let mut count = 0usize;
            for j in 0..n {
                if o.metric.between(xi, rows.row(j)) <= o.eps {
                    count += 1;
                    if count >= o.min_samples {
                        return true;
                    }
                }
            }
            false
        })
        .collect();

    let mut labels = vec![-1i64; n];
    let mut next = 0i64;
    let mut stack = Vec::new();
    let mut expanded = 0usize;
    for start in 0..n {
        if labels[start] != -1 || !core[start] {
            continue;
        }
        let mut i = start;
        loop {
            if labels[i] == -1 {
                labels[i] = next;
                if core[i] {
                    expanded += 1;
                    if expanded.is_multiple_of(CHECK_EVERY) {
                        check_interrupts();
                    }
                    neighbours(rows, i, o.eps, &o.metric, &mut scratch);
                    stack.extend(scratch.iter().copied().filter(|&v| labels[v] == -1));
                }
            }
            match stack.pop() {
                Some(v) => i = v,
                None => break,
            }
        }
        next += 1;
    }

    let keep: Vec<usize> = (0..n).filter(|&i| core[i]).collect();
    let model = NearestSampleModel {
        p,
        samples: keep.iter().flat_map(|&i| rows.row(i).to_vec()).collect(),
        labels: keep.iter().map(|&i| labels[i] as i32).collect(),
        radius: vec![o.eps; keep.len()],
        metric: o.metric,
    };
    (labels, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_dense_groups_and_an_outlier() {
        let mut rows: Vec<Vec<f32>> = Vec::new();
        for i in 0..10 {
            rows.push(vec![i as f32 * 0.1, 0.0]);
        }
        for i in 0..10 {
            rows.push(vec![5.0 + i as f32 * 0.1, 5.0]);
        }
        rows.push(vec![20.0, 20.0]);
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            eps: 0.25,
            min_samples: 3,
            metric: Distance::EUCLIDEAN,
        };
        let (labels, model) = fit(&x, &o, &|| {});
        assert!(labels[..10].iter().all(|&l| l == 0), "{labels:?}");
        assert!(labels[10..20].iter().all(|&l| l == 1), "{labels:?}");
        assert_eq!(labels[20], -1);
        assert_eq!(model.label(&[0.45, 0.05]), 0);
        assert_eq!(model.label(&[5.5, 5.1]), 1);
        assert_eq!(model.label(&[2.5, 2.5]), -1);
    }
}
