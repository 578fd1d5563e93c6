//! `optics`: scikit-learn's OPTICS. Every row gets a core distance (the distance to its
//! `min_samples`-th nearest row, itself included; infinite beyond `max_eps`); rows are visited
//! in order of least reachability, and clusters are read off the reachability plot by the ξ
//! method (steep down and up areas, `xi`, `min_cluster_size`, `predecessor_correction`) or, with
//! `cluster_method` "dbscan", by cutting it at `eps` (default `max_eps`).
//!
//! scikit-learn has no `predict` for OPTICS. pgml's is DBSCAN's rule with each sample's own
//! radius: a new row takes the label of the nearest clustered training row whose core distance
//! (with "dbscan": `eps`, for its core rows) reaches it, else -1. The model keeps those rows.
//!
//! O(n²) distance evaluations, O(n) memory: no n×n matrix.

use super::clustering::{rows_of, Distance, NearestSampleModel, CHECK_EVERY, METRICS};
use super::dbscan::{metric_of, ALGORITHMS};
use super::kmeans::Rows;
use super::params::{float, int, INF};
use super::sgd::params::choice;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{Amount, DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Optics;

const fn count_or_fraction(name: &'static str, default: DefaultValue) -> Param {
    Param {
        name,
        kind: Kind::CountOrFraction {
            min: 2,
            max: 1_000_000_000,
            fraction_below_one: false,
            names: &[],
        },
        default,
    }
}

const PARAMS: &[Param] = &[
    count_or_fraction("min_samples", DefaultValue::Int(5)),
    float("max_eps", 0.0, INF, false, DefaultValue::Float(INF)),
    choice("metric", METRICS, "minkowski"),
    float("p", 0.0, INF, true, DefaultValue::Float(2.0)),
    choice("cluster_method", &["xi", "dbscan"], "xi"),
    float("eps", 0.0, INF, false, DefaultValue::Null),
    float("xi", 0.0, 1.0, false, DefaultValue::Float(0.05)),
    Param {
        name: "predecessor_correction",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
    count_or_fraction("min_cluster_size", DefaultValue::Null),
    choice("algorithm", ALGORITHMS, "auto"),
    int("leaf_size", 1, 1_000_000_000, DefaultValue::Int(30)),
    int("n_jobs", -1, 1024, DefaultValue::Null),
];

/// A count, or a fraction of the training rows (at least 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Size {
    Count(usize),
    Fraction(f64),
}

impl Size {
    fn of(amount: Option<Amount<'_>>) -> Option<Size> {
        match amount? {
            Amount::Count(c) => Some(Size::Count(usize::try_from(c).unwrap_or(usize::MAX))),
            Amount::Fraction(f) => Some(Size::Fraction(f)),
            Amount::Named(_) => None,
        }
    }

    fn resolve(self, name: &str, n: usize) -> Result<usize> {
        match self {
            Size::Count(c) if c > n => Err(Error::bad_data(
                format!("{name} {c} is more than the {n} training rows"),
                format!("lower {name}, or give it as a fraction of the rows"),
            )),
            Size::Count(c) => Ok(c),
            Size::Fraction(f) => Ok(((f * n as f64) as usize).max(2)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub min_samples: Size,
    pub max_eps: f64,
    pub metric: Distance,
    /// Some(eps) for cluster_method "dbscan".
    pub dbscan_eps: Option<f64>,
    pub xi: f64,
    pub predecessor_correction: bool,
    pub min_cluster_size: Option<Size>,
}

impl Learner for Optics {
    type Options = Options;

    fn name(&self) -> &'static str {
        "optics"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "OPTICS"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let max_eps = h.float("max_eps")?;
        let dbscan = h.str("cluster_method")? == "dbscan";
        let eps = h.opt_float("eps")?;
        if let Some(eps) = eps.filter(|&e| dbscan && e > max_eps) {
            return Err(Error::invalid_with_hint(
                format!("eps {eps} must not exceed max_eps {max_eps}"),
                "raise max_eps or lower eps",
            ));
        }
        Ok(Options {
            min_samples: Size::of(h.amount("min_samples")?).unwrap_or(Size::Count(5)),
            max_eps,
            metric: metric_of(h, 2.0)?,
            dbscan_eps: dbscan.then(|| eps.unwrap_or(max_eps)),
            xi: h.float("xi")?,
            predecessor_correction: h.bool("predecessor_correction")?,
            min_cluster_size: Size::of(h.amount("min_cluster_size")?),
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

/// scikit-learn rounds distances to 15 decimals so that ties break the same way everywhere.
fn round15(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1e15).round() / 1e15
    } else {
        v
    }
}

/// What OPTICS computes before extracting clusters.
#[derive(Debug, Clone)]
pub struct Graph {
    pub ordering: Vec<usize>,
    pub core_distances: Vec<f64>,
    pub reachability: Vec<f64>,
    pub predecessor: Vec<i64>,
}

pub fn graph(
    rows: Rows<'_>,
    min_samples: usize,
    max_eps: f64,
    metric: &Distance,
    check_interrupts: &dyn Fn(),
) -> Graph {
    let n = rows.n;
    let mut d = vec![0f64; n];
    let core_distances: Vec<f64> = (0..n)
        .map(|i| {
            if i.is_multiple_of(CHECK_EVERY) {
                check_interrupts();
            }
            let x = rows.row(i);
            for (j, dj) in d.iter_mut().enumerate() {
                *dj = metric.between(x, rows.row(j));
            }
            let k = min_samples.clamp(1, n) - 1;
            let (_, kth, _) = d.select_nth_unstable_by(k, f64::total_cmp);
            let c = *kth;
            if c > max_eps {
                f64::INFINITY
            } else {
                round15(c)
            }
        })
        .collect();
    let mut reachability = vec![f64::INFINITY; n];
    let mut predecessor = vec![-1i64; n];
    let mut processed = vec![false; n];
    let mut ordering = Vec::with_capacity(n);
    for step in 0..n {
        if step.is_multiple_of(CHECK_EVERY) {
            check_interrupts();
        }
        // The unprocessed row of least reachability, the first of equals.
        let mut point = usize::MAX;
        let mut least = f64::INFINITY;
        for i in (0..n).filter(|&i| !processed[i]) {
            if point == usize::MAX || reachability[i] < least {
                point = i;
                least = reachability[i];
            }
        }
        processed[point] = true;
        ordering.push(point);
        if core_distances[point].is_infinite() {
            continue;
        }
        let x = rows.row(point);
        for j in (0..n).filter(|&j| !processed[j]) {
            let dist = metric.between(x, rows.row(j));
            if dist > max_eps {
                continue;
            }
            let r = round15(dist.max(core_distances[point]));
            if r < reachability[j] {
                reachability[j] = r;
                predecessor[j] = point as i64;
            }
        }
    }
    Graph {
        ordering,
        core_distances,
        reachability,
        predecessor,
    }
}

/// The training rows' labels (scikit-learn's `labels_`) and the model.
pub fn fit(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(Vec<i64>, NearestSampleModel)> {
    let (n, p) = (x.rows(), x.cols());
    let min_samples = o.min_samples.resolve("min_samples", n)?;
    let min_cluster_size = match o.min_cluster_size {
        Some(s) => s.resolve("min_cluster_size", n)?,
        None => min_samples,
    };
    let data = rows_of(x);
    let rows = Rows { data: &data, n, p };
    let g = graph(rows, min_samples, o.max_eps, &o.metric, check_interrupts);
    let (labels, radius): (Vec<i64>, Vec<f64>) = match o.dbscan_eps {
        Some(eps) => {
            let labels = dbscan_labels(&g, eps);
            let radius = g
                .core_distances
                .iter()
                .map(|&c| if c <= eps { eps } else { -1.0 })
                .collect();
            (labels, radius)
        }
        None => {
            let plot: Vec<f64> = g.ordering.iter().map(|&i| g.reachability[i]).collect();
            let pred: Vec<i64> = g.ordering.iter().map(|&i| g.predecessor[i]).collect();
            let clusters = xi_clusters(
                &plot,
                &pred,
                &g.ordering,
                o.xi,
                min_samples,
                min_cluster_size,
                o.predecessor_correction,
            );
            (xi_labels(&g.ordering, &clusters), g.core_distances.clone())
        }
    };
    let keep: Vec<usize> = (0..n)
        .filter(|&i| labels[i] >= 0 && radius[i].is_finite() && radius[i] >= 0.0)
        .collect();
    let model = NearestSampleModel {
        p,
        samples: keep.iter().flat_map(|&i| rows.row(i).to_vec()).collect(),
        labels: keep.iter().map(|&i| labels[i] as i32).collect(),
        radius: keep.iter().map(|&i| radius[i]).collect(),
        metric: o.metric,
    };
    Ok((labels, model))
}

/// scikit-learn's cluster_optics_dbscan.
fn dbscan_labels(g: &Graph, eps: f64) -> Vec<i64> {
    let n = g.ordering.len();
    let mut labels = vec![0i64; n];
    let mut count = 0i64;
    for &i in &g.ordering {
        if g.reachability[i] > eps && g.core_distances[i] <= eps {
            count += 1;
        }
        labels[i] = count - 1;
    }
    for (i, label) in labels.iter_mut().enumerate() {
        if g.reachability[i] > eps && g.core_distances[i] > eps {
            *label = -1;
        }
    }
    labels
}

/// Extends a steep region from `start` (scikit-learn's _extend_region): at most `min_samples`
/// consecutive non-steep points, stopping at a point going the other way.
fn extend_region(steep: &[bool], xward: &[bool], start: usize, min_samples: usize) -> usize {
    let mut non_xward = 0;
    let mut end = start;
    for index in start..steep.len() {
        if steep[index] {
            non_xward = 0;
            end = index;
        } else if !xward[index] {
            non_xward += 1;
            if non_xward > min_samples {
                break;
            }
        } else {
            return end;
        }
    }
    end
}

#[derive(Debug, Clone, Copy)]
struct SteepDown {
    start: usize,
    end: usize,
    mib: f64,
}

/// Algorithm 2 of Schubert & Gertz (2018), as scikit-learn applies it.
fn correct_predecessor(
    plot: &[f64],
    pred: &[i64],
    ordering: &[usize],
    s: usize,
    mut e: usize,
) -> Option<(usize, usize)> {
    while s < e {
        if plot[s] > plot[e] {
            return Some((s, e));
        }
        let p_e = pred[e];
        if (s..e).any(|i| p_e == ordering[i] as i64) {
            return Some((s, e));
        }
        e -= 1;
    }
    None
}

/// The ξ clusters as (start, end) ranges of the ordering, inclusive, smaller ones before the
/// larger ones containing them (scikit-learn's _xi_cluster).
fn xi_clusters(
    plot: &[f64],
    pred: &[i64],
    ordering: &[usize],
    xi: f64,
    min_samples: usize,
    min_cluster_size: usize,
    predecessor_correction: bool,
) -> Vec<(usize, usize)> {
    let n = plot.len();
    let mut r = plot.to_vec();
    r.push(f64::INFINITY);
    let xi_complement = 1.0 - xi;
    // NaN ratios (inf / inf) compare false everywhere, as numpy's do.
    let ratio: Vec<f64> = (0..n).map(|i| r[i] / r[i + 1]).collect();
    let steep_up: Vec<bool> = ratio.iter().map(|&q| q <= xi_complement).collect();
    let steep_down: Vec<bool> = ratio.iter().map(|&q| q >= 1.0 / xi_complement).collect();
    let downward: Vec<bool> = ratio.iter().map(|&q| q > 1.0).collect();
    let upward: Vec<bool> = ratio.iter().map(|&q| q < 1.0).collect();

    let mut sdas: Vec<SteepDown> = Vec::new();
    let mut clusters = Vec::new();
    let mut index = 0usize;
    let mut mib = 0.0f64;
    let filter = |sdas: &mut Vec<SteepDown>, mib: f64| {
        if mib.is_infinite() {
            sdas.clear();
            return;
        }
        sdas.retain(|d| mib <= r[d.start] * xi_complement);
        for d in sdas.iter_mut() {
            d.mib = d.mib.max(mib);
        }
    };
    for steep_index in (0..n).filter(|&i| steep_up[i] || steep_down[i]) {
        if steep_index < index {
            continue;
        }
        mib = r[index..=steep_index].iter().copied().fold(mib, f64::max);
        if steep_down[steep_index] {
            filter(&mut sdas, mib);
            let end = extend_region(&steep_down, &upward, steep_index, min_samples);
            sdas.push(SteepDown {
                start: steep_index,
                end,
                mib: 0.0,
            });
            index = end + 1;
            mib = r[index];
        } else {
            filter(&mut sdas, mib);
            let u_start = steep_index;
            let u_end = extend_region(&steep_up, &downward, u_start, min_samples);
            index = u_end + 1;
            mib = r[index];
            let mut found = Vec::new();
            for d in &sdas {
                let mut c_start = d.start;
                let mut c_end = u_end;
                if r[c_end + 1] * xi_complement < d.mib {
                    continue;
                }
                let d_max = r[d.start];
                if d_max * xi_complement >= r[c_end + 1] {
                    while r[c_start + 1] > r[c_end + 1] && c_start < d.end {
                        c_start += 1;
                    }
                } else if r[c_end + 1] * xi_complement >= d_max {
                    while r[c_end - 1] > d_max && c_end > u_start {
                        c_end -= 1;
                    }
                }
                if predecessor_correction {
                    match correct_predecessor(&r, pred, ordering, c_start, c_end) {
                        Some((s, e)) => (c_start, c_end) = (s, e),
                        None => continue,
                    }
                }
                if c_end + 1 < c_start + min_cluster_size {
                    continue;
                }
                if c_start > d.end || c_end < u_start {
                    continue;
                }
                found.push((c_start, c_end));
            }
            found.reverse();
            clusters.extend(found);
        }
    }
    clusters
}

/// Labels from ξ clusters: each cluster, smallest first, labels its rows unless one of them is
/// labelled already (scikit-learn's _extract_xi_labels).
fn xi_labels(ordering: &[usize], clusters: &[(usize, usize)]) -> Vec<i64> {
    let n = ordering.len();
    let mut by_position = vec![-1i64; n];
    let mut label = 0;
    for &(s, e) in clusters {
        if by_position[s..=e].iter().all(|&l| l == -1) {
            by_position[s..=e].iter_mut().for_each(|l| *l = label);
            label += 1;
        }
    }
    let mut labels = vec![-1i64; n];
    for (pos, &i) in ordering.iter().enumerate() {
        labels[i] = by_position[pos];
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Matrix {
        let mut rows: Vec<Vec<f32>> = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 0.0), (0.0, 10.0)] {
            for i in 0..40 {
                let dx = ((i * 7) % 11) as f32 / 10.0;
                let dy = ((i * 3) % 13) as f32 / 12.0;
                rows.push(vec![cx + dx, cy + dy]);
            }
        }
        Matrix::from_rows(&rows).unwrap()
    }

    fn options() -> Options {
        Options {
            min_samples: Size::Count(5),
            max_eps: f64::INFINITY,
            metric: Distance::EUCLIDEAN,
            dbscan_eps: None,
            xi: 0.05,
            predecessor_correction: true,
            min_cluster_size: None,
        }
    }

    fn check_three(labels: &[i64]) {
        for g in 0..3 {
            let first = labels[g * 40];
            assert!(first >= 0, "group {g}: {labels:?}");
            let same = labels[g * 40..(g + 1) * 40]
                .iter()
                .filter(|&&l| l == first)
                .count();
            assert!(same >= 36, "group {g}: {labels:?}");
        }
        assert_ne!(labels[0], labels[40]);
        assert_ne!(labels[40], labels[80]);
        assert_ne!(labels[0], labels[80]);
    }

    #[test]
    fn xi_and_dbscan_extraction_find_three_groups() {
        let x = groups();
        let (labels, model) = fit(&x, &options(), &|| {}).unwrap();
        // scikit-learn 1.5.2's OPTICS().fit(X).labels_ on the same rows (as float64): the third
        // group's grid is too regular for ξ, which keeps only five of its rows.
        let third = [
            -1, 1, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1,
            -1, 1, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, 1,
        ];
        let expected: Vec<i64> = [vec![0; 40], vec![2; 40], third.to_vec()].concat();
        assert_eq!(labels, expected);
        assert_eq!(i64::from(model.label(&[0.5, 0.5])), labels[0]);
        assert_eq!(model.label(&[5.0, 5.0]), -1);
        let o = Options {
            dbscan_eps: Some(2.0),
            ..options()
        };
        let (labels, _) = fit(&x, &o, &|| {}).unwrap();
        check_three(&labels);
    }

    #[test]
    fn min_samples_above_the_rows_is_refused() {
        let x = groups();
        let o = Options {
            min_samples: Size::Count(500),
            ..options()
        };
        assert!(matches!(fit(&x, &o, &|| {}), Err(Error::BadData { .. })));
    }
}
