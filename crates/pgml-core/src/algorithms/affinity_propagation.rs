//! `affinity_propagation`: scikit-learn's AffinityPropagation on negative squared euclidean
//! similarities. Rows exchange responsibilities and availabilities (damped by `damping`) until
//! the set of exemplars has not changed for `convergence_iter` iterations, or `max_iter`; the
//! `preference` (default: the median similarity) sets how many exemplars emerge. Predict is
//! scikit-learn's: the nearest exemplar (none found: every row is -1).
//!
//! It holds four n×n f64 matrices: the fit refuses more than `max_train_rows` rows (5 000 by
//! default, 800 MB) before allocating them.

use super::clustering::{
    check_pairwise_rows, dist2, max_train_rows, rows_of, Distance, NearestSampleModel,
};
use super::params::{float, int, max_iter, INF};
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct AffinityPropagation;

const PARAMS: &[Param] = &[
    float("damping", 0.5, 1.0, false, DefaultValue::Float(0.5)),
    max_iter(200),
    int("convergence_iter", 1, 1_000_000, DefaultValue::Int(15)),
    float("preference", -INF, INF, false, DefaultValue::Null),
    choice("affinity", &["euclidean"], "euclidean"),
    Param {
        name: "copy",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
    Param {
        name: "verbose",
        kind: Kind::Bool,
        default: DefaultValue::Bool(false),
    },
    int("random_state", 0, i64::MAX, DefaultValue::Int(0)),
    max_train_rows(5_000),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub damping: f64,
    pub max_iter: usize,
    pub convergence_iter: usize,
    pub preference: Option<f64>,
    pub seed: u64,
    pub max_train_rows: usize,
}

impl Learner for AffinityPropagation {
    type Options = Options;

    fn name(&self) -> &'static str {
        "affinity_propagation"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "AffinityPropagation"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let damping = h.float("damping")?;
        if damping >= 1.0 {
            return Err(Error::invalid_with_hint(
                format!(
                    "hyperparameter damping of affinity_propagation must be at least 0.5 and less than 1, got {damping}"
                ),
                "damping 1 would never update the messages",
            ));
        }
        Ok(Options {
            damping,
            max_iter: h.usize("max_iter")?,
            convergence_iter: h.usize("convergence_iter")?,
            preference: h.opt_float("preference")?,
            seed: h.int("random_state")?.unsigned_abs(),
            max_train_rows: h.usize("max_train_rows")?,
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
        Ok(Fitted::NearestSample(fit(x, o, check_interrupts)?.1))
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u = rng.unit().max(f64::MIN_POSITIVE);
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The training rows' labels (scikit-learn's `labels_`) and the model of its exemplars.
pub fn fit(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(Vec<i64>, NearestSampleModel)> {
    let (n, p) = (x.rows(), x.cols());
    check_pairwise_rows("affinity_propagation", n, o.max_train_rows, 4)?;
    let data = rows_of(x);
    let row = |i: usize| &data[i * p..(i + 1) * p];
    let model = |exemplars: &[usize]| NearestSampleModel {
        p,
        samples: exemplars.iter().flat_map(|&i| row(i).to_vec()).collect(),
        labels: (0..exemplars.len() as i32).collect(),
        radius: vec![f64::INFINITY; exemplars.len()],
        metric: Distance::EUCLIDEAN,
    };
    if n <= 1 {
        return Ok((vec![0; n], model(&(0..n).collect::<Vec<_>>())));
    }

    let mut s = vec![0f64; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let d = -dist2(row(i), row(j));
            s[i * n + j] = d;
            s[j * n + i] = d;
        }
    }
    let preference = match o.preference {
        Some(v) => v,
        None => median(&s),
    };
    // All similarities equal: scikit-learn returns every row or one row as exemplar.
    let first = s[1];
    if (0..n).all(|i| (0..n).all(|j| i == j || s[i * n + j] == first)) && preference == first {
        return Ok((vec![0; n], model(&[0])));
    }
    for i in 0..n {
        s[i * n + i] = preference;
    }
    // Tiny noise removes degenerate ties, as scikit-learn's does.
    let mut rng = SplitMix64(o.seed);
    for v in s.iter_mut() {
        *v += (f64::EPSILON * *v + f64::MIN_POSITIVE * 100.0) * normal(&mut rng);
    }

    let (damping, keep) = (o.damping, 1.0 - o.damping);
    let mut a = vec![0f64; n * n];
    let mut r = vec![0f64; n * n];
    let mut colsum = vec![0f64; n];
    let window = o.convergence_iter;
    let mut history = vec![false; n * window];
    let mut exemplar = vec![false; n];
    let mut converged = false;
    for it in 0..o.max_iter {
        check_interrupts();
        // Responsibilities.
        for i in 0..n {
            let (si, ai) = (&s[i * n..(i + 1) * n], &a[i * n..(i + 1) * n]);
            let (mut best, mut y, mut y2) = (0usize, f64::NEG_INFINITY, f64::NEG_INFINITY);
            for k in 0..n {
                let v = ai[k] + si[k];
                if v > y {
                    y2 = y;
                    y = v;
                    best = k;
                } else if v > y2 {
                    y2 = v;
                }
            }
            let ri = &mut r[i * n..(i + 1) * n];
            for k in 0..n {
                let new = si[k] - if k == best { y2 } else { y };
                ri[k] = damping * ri[k] + keep * new;
            }
        }
        // Availabilities.
        colsum.iter_mut().for_each(|c| *c = 0.0);
        for i in 0..n {
            for k in 0..n {
                let v = r[i * n + k];
                colsum[k] += if i == k { v } else { v.max(0.0) };
            }
        }
        for i in 0..n {
            for k in 0..n {
                let v = r[i * n + k];
                let new = if i == k {
                    colsum[k] - v
                } else {
                    (colsum[k] - v.max(0.0)).min(0.0)
                };
                a[i * n + k] = damping * a[i * n + k] + keep * new;
            }
        }
        let mut count = 0;
        for i in 0..n {
            exemplar[i] = a[i * n + i] + r[i * n + i] > 0.0;
            history[i * window + it % window] = exemplar[i];
            count += usize::from(exemplar[i]);
        }
        if it >= window {
            let stable = (0..n).all(|i| {
                let on = history[i * window..(i + 1) * window]
                    .iter()
                    .filter(|&&e| e)
                    .count();
                on == window || on == 0
            });
            if stable && count > 0 {
                converged = true;
                break;
            }
        }
    }
    let _ = converged; // scikit-learn keeps an unconverged result too (with a warning)

    let mut centers: Vec<usize> = (0..n).filter(|&i| exemplar[i]).collect();
    if centers.is_empty() {
        return Ok((vec![-1; n], model(&[])));
    }
    let assign = |centers: &[usize]| -> Vec<usize> {
        let mut c: Vec<usize> = (0..n)
            .map(|i| {
                let mut best = 0;
                for (k, &e) in centers.iter().enumerate() {
                    if s[i * n + e] > s[i * n + centers[best]] {
                        best = k;
                    }
                }
                best
            })
            .collect();
        for (k, &e) in centers.iter().enumerate() {
            c[e] = k;
        }
        c
    };
    // Each cluster's exemplar becomes the member most similar to the others.
    let c = assign(&centers);
    for (k, center) in centers.iter_mut().enumerate() {
        let members: Vec<usize> = (0..n).filter(|&i| c[i] == k).collect();
        let mut best = (members[0], f64::NEG_INFINITY);
        for &j in &members {
            let total: f64 = members.iter().map(|&i| s[i * n + j]).sum();
            if total > best.1 {
                best = (j, total);
            }
        }
        *center = best.0;
    }
    let c = assign(&centers);
    let chosen: Vec<usize> = c.iter().map(|&k| centers[k]).collect();
    let mut unique = chosen.clone();
    unique.sort_unstable();
    unique.dedup();
    let labels = chosen
        .iter()
        .map(|e| unique.binary_search(e).map_or(-1, |v| v as i64))
        .collect();
    Ok((labels, model(&unique)))
}

fn median(v: &[f64]) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[m - 1] + sorted[m]) / 2.0
    } else {
        sorted[m]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            damping: 0.5,
            max_iter: 200,
            convergence_iter: 15,
            preference: None,
            seed: 0,
            max_train_rows: 5000,
        }
    }

    #[test]
    fn finds_the_groups_and_predicts_the_nearest_exemplar() {
        let mut rows = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 10.0), (0.0, 10.0)] {
            for i in 0..15 {
                rows.push(vec![cx + (i % 4) as f32 * 0.2, cy + (i / 4) as f32 * 0.2]);
            }
        }
        let x = Matrix::from_rows(&rows).unwrap();
        let (labels, model) = fit(
            &x,
            &Options {
                preference: Some(-50.0),
                ..options()
            },
            &|| {},
        )
        .unwrap();
        assert_eq!(model.labels.len(), 3, "{labels:?}");
        for g in 0..3 {
            assert!(labels[g * 15..(g + 1) * 15]
                .iter()
                .all(|&l| l == labels[g * 15]));
        }
        assert_eq!(i64::from(model.label(&[9.0, 9.0])), labels[15]);
    }

    #[test]
    fn too_many_rows_are_refused_before_allocating() {
        let x = Matrix::from_columns(6000, 1, vec![0.0; 6000]).unwrap();
        let e = fit(&x, &options(), &|| {}).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
        assert!(e.to_string().contains("limit of 5000"), "{e}");
    }
}
