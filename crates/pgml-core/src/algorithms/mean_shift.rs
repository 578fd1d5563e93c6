//! `mean_shift`: scikit-learn's MeanShift with a flat kernel. Each seed (every row, or with
//! `bin_seeding` the occupied cells of a grid of `bandwidth`-sized bins holding at least
//! `min_bin_freq` rows) moves to the mean of the rows within `bandwidth` until it moves less than
//! 1e-3 × bandwidth or `max_iter` times; the end points, most populated first, become centers
//! unless within `bandwidth` of a center kept before. `bandwidth` defaults to scikit-learn's
//! estimate_bandwidth(quantile=0.3): the mean over rows of the distance to their 30 % nearest
//! row. Rows farther than `bandwidth` from every center are -1 in training with `cluster_all`
//! false; predict is scikit-learn's, the nearest center.
//!
//! O(n²) distance evaluations per iteration of all seeds, O(n) memory.

use std::collections::HashMap;

use super::clustering::{dist2, rows_of, CHECK_EVERY};
use super::kmeans::KMeansModel;
use super::params::{float, int, max_iter, INF};
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct MeanShift;

const PARAMS: &[Param] = &[
    float("bandwidth", 0.0, INF, true, DefaultValue::Null),
    Param {
        name: "bin_seeding",
        kind: Kind::Bool,
        default: DefaultValue::Bool(false),
    },
    int("min_bin_freq", 1, i64::MAX, DefaultValue::Int(1)),
    Param {
        name: "cluster_all",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
    max_iter(300),
    int("n_jobs", -1, 1024, DefaultValue::Null),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub bandwidth: Option<f64>,
    pub bin_seeding: bool,
    pub min_bin_freq: usize,
    pub cluster_all: bool,
    pub max_iter: usize,
}

impl Learner for MeanShift {
    type Options = Options;

    fn name(&self) -> &'static str {
        "mean_shift"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "MeanShift"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            bandwidth: h.opt_float("bandwidth")?,
            bin_seeding: h.bool("bin_seeding")?,
            min_bin_freq: h.usize("min_bin_freq")?,
            cluster_all: h.bool("cluster_all")?,
            max_iter: h.usize("max_iter")?,
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
        Ok(Fitted::KMeans(fit(x, o, check_interrupts)?.1))
    }
}

/// scikit-learn's estimate_bandwidth(X, quantile): the mean distance of each row to its
/// ⌊n × quantile⌋-th nearest row (itself counted first).
pub fn estimate_bandwidth(rows: &[Vec<f64>], quantile: f64, check_interrupts: &dyn Fn()) -> f64 {
    let n = rows.len();
    let k = ((n as f64 * quantile) as usize).clamp(1, n.max(1));
    let mut d = vec![0f64; n];
    let mut total = 0.0;
    for (i, a) in rows.iter().enumerate() {
        if i.is_multiple_of(CHECK_EVERY) {
            check_interrupts();
        }
        for (dj, b) in d.iter_mut().zip(rows) {
            *dj = sq(a, b);
        }
        let (_, kth, _) = d.select_nth_unstable_by(k - 1, f64::total_cmp);
        total += kth.sqrt();
    }
    total / n.max(1) as f64
}

fn sq(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// scikit-learn's get_bin_seeds: grid cells (rounded half to even) with enough rows, scaled
/// back; every row when binning does not reduce them.
fn bin_seeds(rows: &[Vec<f64>], bin: f64, min_freq: usize) -> Vec<Vec<f64>> {
    if bin == 0.0 {
        return rows.to_vec();
    }
    let mut order: Vec<Vec<i64>> = Vec::new();
    let mut counts: HashMap<Vec<i64>, usize> = HashMap::new();
    for r in rows {
        let cell: Vec<i64> = r
            .iter()
            .map(|v| (v / bin).round_ties_even() as i64)
            .collect();
        let c = counts.entry(cell.clone()).or_insert(0);
        if *c == 0 {
            order.push(cell);
        }
        *c += 1;
    }
    let seeds: Vec<Vec<f64>> = order
        .into_iter()
        .filter(|c| counts[c] >= min_freq)
        // scikit-learn stores bin seeds as float32.
        .map(|c| c.iter().map(|&v| f64::from(v as f32) * bin).collect())
        .collect();
    if seeds.len() == rows.len() {
        rows.to_vec()
    } else {
        seeds
    }
}

/// The training rows' labels (scikit-learn's `labels_`) and the model of the centers.
pub fn fit(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(Vec<i64>, KMeansModel)> {
    let (n, p) = (x.rows(), x.cols());
    let flat = rows_of(x);
    let rows: Vec<Vec<f64>> = flat
        .chunks(p.max(1))
        .take(n)
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect();
    let bandwidth = match o.bandwidth {
        Some(b) => b,
        None => estimate_bandwidth(&rows, 0.3, check_interrupts),
    };
    if bandwidth <= 0.0 {
        return Err(Error::bad_data(
            "mean_shift estimated a bandwidth of 0: the rows are (nearly) all equal",
            "give hyperparameter bandwidth",
        ));
    }
    let seeds = if o.bin_seeding {
        bin_seeds(&rows, bandwidth, o.min_bin_freq)
    } else {
        rows.clone()
    };
    let (b2, stop) = (bandwidth * bandwidth, 1e-3 * bandwidth);
    // Each seed climbs to its mode; modes keyed by their exact bits, with their row count.
    let mut modes: HashMap<Vec<u64>, (Vec<f64>, usize)> = HashMap::new();
    for (s, seed) in seeds.iter().enumerate() {
        if s.is_multiple_of(16) {
            check_interrupts();
        }
        let mut mean = seed.clone();
        let mut within;
        let mut done = 0;
        loop {
            let mut sum = vec![0f64; p];
            within = 0usize;
            for r in &rows {
                if sq(r, &mean) <= b2 {
                    within += 1;
                    sum.iter_mut().zip(r).for_each(|(a, v)| *a += v);
                }
            }
            if within == 0 {
                break;
            }
            let old = std::mem::replace(&mut mean, sum.iter().map(|v| v / within as f64).collect());
            if sq(&mean, &old).sqrt() <= stop || done == o.max_iter {
                break;
            }
            done += 1;
        }
        if within > 0 {
            let key = mean.iter().map(|v| v.to_bits()).collect();
            modes.insert(key, (mean, within));
        }
    }
    if modes.is_empty() {
        return Err(Error::bad_data(
            format!("no row is within bandwidth {bandwidth} of any seed"),
            "raise bandwidth",
        ));
    }
    // Most populated first (then the larger coordinates, as scikit-learn's tuple order).
    let mut sorted: Vec<(Vec<f64>, usize)> = modes.into_values().collect();
    sorted.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| {
            b.0.iter()
                .zip(&a.0)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let mut unique = vec![true; sorted.len()];
    for i in 0..sorted.len() {
        if unique[i] {
            for j in 0..sorted.len() {
                if j != i && sq(&sorted[i].0, &sorted[j].0) <= b2 {
                    unique[j] = false;
                }
            }
        }
    }
    let centers: Vec<&Vec<f64>> = sorted
        .iter()
        .zip(&unique)
        .filter(|(_, &u)| u)
        .map(|(c, _)| &c.0)
        .collect();
    let labels = rows
        .iter()
        .map(|r| {
            let mut best = (0usize, f64::INFINITY);
            for (c, center) in centers.iter().enumerate() {
                let d = sq(r, center);
                if d < best.1 {
                    best = (c, d);
                }
            }
            if o.cluster_all || best.1 <= b2 {
                best.0 as i64
            } else {
                -1
            }
        })
        .collect();
    let centroids = centers
        .iter()
        .flat_map(|c| c.iter().map(|&v| v as f32))
        .collect();
    let _ = dist2; // distances here are on the f64 copies
    Ok((labels, KMeansModel { p, centroids }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_blobs_two_centers() {
        let mut rows = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 10.0)] {
            for i in 0..25 {
                rows.push(vec![cx + (i % 5) as f32 * 0.3, cy + (i / 5) as f32 * 0.3]);
            }
        }
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            bandwidth: None,
            bin_seeding: false,
            min_bin_freq: 1,
            cluster_all: true,
            max_iter: 300,
        };
        let (labels, model) = fit(&x, &o, &|| {}).unwrap();
        assert_eq!(model.k(), 2, "{labels:?}");
        assert!(labels[..25].iter().all(|&l| l == labels[0]));
        assert!(labels[25..].iter().all(|&l| l == labels[25]));
        assert_ne!(labels[0], labels[25]);
        assert_eq!(model.predict(&[9.0, 9.0]) as i64, labels[25]);
        let binned = Options {
            bin_seeding: true,
            ..o
        };
        let (again, _) = fit(&x, &binned, &|| {}).unwrap();
        assert_eq!(labels, again);
    }
}
