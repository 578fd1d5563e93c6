//! Lloyd's k-means over shards: each shard assigns its own rows to the current centers and
//! sends back per-center sums and counts; the coordinator computes the next centers exactly as
//! single-server Lloyd (`algorithms::kmeans::lloyd`) does, so both end at the same centers from
//! the same start (to rounding of the sums).

use serde::{Deserialize, Serialize};

use crate::algorithms::clustering::rows_of;
use crate::algorithms::kmeans::{assign, KMeansModel, Rows};
use crate::{Error, Matrix, Result};

/// What one shard learns from one assignment pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansPartial {
    /// k × p coordinate sums of the rows nearest each center.
    pub sums: Vec<f64>,
    pub counts: Vec<u64>,
    pub inertia: f64,
    /// Rows whose nearest center differs from the previous pass's (all rows on the first pass).
    pub changed: u64,
    /// The shard's rows farthest from their center, farthest first, at most k of them (an
    /// empty cluster's center moves onto the farthest row of all, as in scikit-learn). Only
    /// sent when some center got no row, so normally no row leaves a shard.
    pub farthest: Vec<(f32, Vec<f32>)>,
}

/// One shard's side: assigns its rows to `centers` (k × p) and remembers the labels for the
/// next pass's `changed`.
pub trait KMeansShard {
    fn step(&mut self, centers: &[f32], k: usize, want_farthest: bool) -> Result<KMeansPartial>;
}

/// A shard whose rows are in this process (the shard server's side, and the tests).
#[derive(Debug)]
pub struct LocalShard {
    data: Vec<f32>,
    n: usize,
    p: usize,
    threads: usize,
    labels: Option<Vec<u32>>,
}

impl LocalShard {
    pub fn new(x: &Matrix, threads: usize) -> LocalShard {
        LocalShard {
            data: rows_of(x),
            n: x.rows(),
            p: x.cols(),
            threads: threads.max(1),
            labels: None,
        }
    }
}

impl KMeansShard for LocalShard {
    fn step(&mut self, centers: &[f32], k: usize, want_farthest: bool) -> Result<KMeansPartial> {
        if centers.len() != k * self.p {
            return Err(Error::invalid(format!(
                "{} center coordinates for {k} centers of {} features",
                centers.len(),
                self.p
            )));
        }
        let rows = Rows {
            data: &self.data,
            n: self.n,
            p: self.p,
        };
        let a = assign(rows, centers, k, self.threads);
        let changed = match &self.labels {
            Some(old) => old.iter().zip(&a.labels).filter(|(a, b)| a != b).count(),
            None => self.n,
        } as u64;
        let farthest = if want_farthest {
            let mut far: Vec<usize> = (0..self.n).collect();
            far.sort_by(|&i, &j| a.dist2[j].total_cmp(&a.dist2[i]));
            far.iter()
                .take(k)
                .map(|&i| (a.dist2[i], rows.row(i).to_vec()))
                .collect()
        } else {
            Vec::new()
        };
        self.labels = Some(a.labels);
        Ok(KMeansPartial {
            sums: a.sums,
            counts: a.counts.iter().map(|&c| c as u64).collect(),
            inertia: a.inertia,
            changed,
            farthest,
        })
    }
}

/// The shards' partials added up (farthest rows: all of them, farthest first).
pub fn merge(k: usize, p: usize, parts: Vec<KMeansPartial>) -> Result<KMeansPartial> {
    let mut total = KMeansPartial {
        sums: vec![0.0; k * p],
        counts: vec![0; k],
        inertia: 0.0,
        changed: 0,
        farthest: Vec::new(),
    };
    for part in parts {
        if part.sums.len() != k * p || part.counts.len() != k {
            return Err(Error::invalid(format!(
                "a shard sent k-means sums for {} centers, expected {k}",
                part.counts.len()
            )));
        }
        for (t, s) in total.sums.iter_mut().zip(&part.sums) {
            *t += s;
        }
        for (t, c) in total.counts.iter_mut().zip(&part.counts) {
            *t += c;
        }
        total.inertia += part.inertia;
        total.changed += part.changed;
        total.farthest.extend(part.farthest);
    }
    total.farthest.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(total)
}

/// Lloyd's iterations over `shards` from `init` (k × p), with single-server Lloyd's stopping
/// rules: labels unchanged, total squared center shift ≤ `tol` (already scaled by the mean
/// variance, see `Moments::mean_variance`), or `max_iter`. Returns the model and its inertia.
pub fn lloyd(
    shards: &mut [&mut dyn KMeansShard],
    init: Vec<f32>,
    k: usize,
    max_iter: usize,
    tol: f64,
    check_interrupts: &dyn Fn(),
) -> Result<(KMeansModel, f64)> {
    if k == 0 || !init.len().is_multiple_of(k) {
        return Err(Error::invalid(format!(
            "{} initial coordinates for {k} centers",
            init.len()
        )));
    }
    let p = init.len() / k;
    let pass = |shards: &mut [&mut dyn KMeansShard], centers: &[f32], far: bool| {
        let parts = shards
            .iter_mut()
            .map(|s| s.step(centers, k, far))
            .collect::<Result<Vec<_>>>()?;
        merge(k, p, parts)
    };
    let mut centers = init;
    let mut a = pass(shards, &centers, false)?;
    let mut first = true;
    for _ in 0..max_iter {
        check_interrupts();
        if !first && a.changed == 0 {
            return Ok((
                KMeansModel {
                    p,
                    centroids: centers,
                },
                a.inertia,
            ));
        }
        first = false;
        if a.counts.contains(&0) {
            // Ask again for the farthest rows: only now does a row cross the network.
            a = pass(shards, &centers, true)?;
        }
        let mut new = centers.clone();
        for c in (0..k).filter(|&c| a.counts[c] > 0) {
            for j in 0..p {
                new[c * p + j] = (a.sums[c * p + j] / a.counts[c] as f64) as f32;
            }
        }
        let empty: Vec<usize> = (0..k).filter(|&c| a.counts[c] == 0).collect();
        for (c, (_, row)) in empty.into_iter().zip(&a.farthest) {
            new[c * p..(c + 1) * p].copy_from_slice(row);
        }
        let shift: f64 = new
            .iter()
            .zip(&centers)
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum();
        centers = new;
        a = pass(shards, &centers, false)?;
        if shift <= tol {
            break;
        }
    }
    Ok((
        KMeansModel {
            p,
            centroids: centers,
        },
        a.inertia,
    ))
}

/// One shard's contribution to the distributed start: the centers of k-means on its own rows and
/// how many rows each holds. Only centers of at least [`MIN_GROUP`] rows are sent: a center is a
/// mean of rows, the statistic Lloyd's passes exchange anyway, never a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalCenters {
    /// m × p, row-major.
    pub centers: Vec<f32>,
    pub counts: Vec<u64>,
}

/// The fewest rows whose mean a shard sends as a start center (one row's mean is that row).
pub const MIN_GROUP: u64 = 2;

/// A shard's k-means on its own rows (k-means++ from `seed`, then Lloyd with `max_iter` and
/// `tol`), reduced to the centers of groups of at least [`MIN_GROUP`] rows.
pub fn local_centers(
    x: &Matrix,
    k: usize,
    seed: u64,
    max_iter: usize,
    tol: f64,
    threads: usize,
    check_interrupts: &dyn Fn(),
) -> LocalCenters {
    let (n, p) = (x.rows(), x.cols());
    let k = k.min(n / MIN_GROUP as usize);
    if k == 0 || p == 0 {
        return LocalCenters {
            centers: Vec::new(),
            counts: Vec::new(),
        };
    }
    let data = rows_of(x);
    let rows = Rows { data: &data, n, p };
    let mut rng = crate::split::SplitMix64(seed);
    let init =
        crate::algorithms::kmeans::kmeans_plus_plus(rows, k, &mut rng, threads, check_interrupts);
    let (centers, _) =
        crate::algorithms::kmeans::lloyd(rows, init, k, max_iter, tol, threads, check_interrupts);
    let a = assign(rows, &centers, k, threads);
    let mut out = LocalCenters {
        centers: Vec::with_capacity(k * p),
        counts: Vec::with_capacity(k),
    };
    for c in 0..k {
        let count = a.counts[c] as u64;
        if count >= MIN_GROUP {
            // The exact mean of the group (Lloyd's last centers may lag its last assignment).
            out.centers.extend(
                a.sums[c * p..(c + 1) * p]
                    .iter()
                    .map(|&s| (s / count as f64) as f32),
            );
            out.counts.push(count);
        }
    }
    out
}

fn dist2(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum()
}

/// k start centers from every shard's [`LocalCenters`] (merged in rank order, so every worker
/// computes the same): weighted k-means++ (each local center counts as many rows as it holds;
/// scikit-learn's greedy variant with 2 + ln k trials), or `random` weighted draws, then weighted
/// Lloyd on those points. Every start center is a weighted mean of the shards' group means.
pub fn seed_from_centers(
    parts: &[LocalCenters],
    p: usize,
    k: usize,
    plus_plus: bool,
    rng: &mut crate::split::SplitMix64,
    check_interrupts: &dyn Fn(),
) -> Result<Vec<f32>> {
    let points: Vec<&[f32]> = parts
        .iter()
        .flat_map(|l| l.centers.chunks_exact(p.max(1)))
        .collect();
    let weights: Vec<f64> = parts
        .iter()
        .flat_map(|l| l.counts.iter().map(|&c| c as f64))
        .collect();
    let m = points.len();
    if p == 0 || m != weights.len() || m < k || k == 0 {
        return Err(Error::bad_data(
            format!(
                "the shards' rows form {m} groups of at least {MIN_GROUP} rows, fewer than the {k} clusters to start from"
            ),
            "use fewer n_clusters or more rows per shard",
        ));
    }
    let draw = |rng: &mut crate::split::SplitMix64, mass: &[f64], total: f64| -> usize {
        let mut target = rng.unit() * total;
        for (i, &w) in mass.iter().enumerate() {
            if target < w {
                return i;
            }
            target -= w;
        }
        mass.iter().rposition(|&w| w > 0.0).unwrap_or(m - 1)
    };
    let mut centers: Vec<f32> = Vec::with_capacity(k * p);
    if plus_plus {
        let total: f64 = weights.iter().sum();
        let first = draw(rng, &weights, total);
        centers.extend_from_slice(points[first]);
        let mut closest: Vec<f64> = points.iter().map(|x| dist2(x, points[first])).collect();
        let trials = 2 + (k as f64).ln() as usize;
        while centers.len() < k * p {
            check_interrupts();
            let mass: Vec<f64> = closest.iter().zip(&weights).map(|(d, w)| d * w).collect();
            let potential: f64 = mass.iter().sum();
            let mut best: Option<(usize, Vec<f64>, f64)> = None;
            for _ in 0..trials {
                let pick = if potential > 0.0 {
                    draw(rng, &mass, potential)
                } else {
                    rng.below(m)
                };
                let next: Vec<f64> = points
                    .iter()
                    .zip(&closest)
                    .map(|(x, &d)| d.min(dist2(x, points[pick])))
                    .collect();
                let total: f64 = next.iter().zip(&weights).map(|(d, w)| d * w).sum();
                if best.as_ref().is_none_or(|b| total < b.2) {
                    best = Some((pick, next, total));
                }
            }
            if let Some((pick, next, _)) = best {
                centers.extend_from_slice(points[pick]);
                closest = next;
            }
        }
    } else {
        // k distinct points, each drawn with probability proportional to its rows.
        let mut mass = weights.clone();
        while centers.len() < k * p {
            let total: f64 = mass.iter().sum();
            let pick = draw(rng, &mass, total);
            centers.extend_from_slice(points[pick]);
            mass[pick] = 0.0;
        }
    }
    // Weighted Lloyd on the points until the labels stop changing.
    let mut labels: Vec<usize> = vec![usize::MAX; m];
    for _ in 0..300 {
        check_interrupts();
        let mut changed = false;
        let mut far: Vec<(f64, usize)> = Vec::with_capacity(m);
        for (i, x) in points.iter().enumerate() {
            let (best, d) = (0..k)
                .map(|c| (c, dist2(x, &centers[c * p..(c + 1) * p])))
                .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b });
            if labels[i] != best {
                labels[i] = best;
                changed = true;
            }
            far.push((d * weights[i], i));
        }
        if !changed {
            break;
        }
        let mut sums = vec![0f64; k * p];
        let mut mass = vec![0f64; k];
        for (i, x) in points.iter().enumerate() {
            let c = labels[i];
            mass[c] += weights[i];
            for (s, &v) in sums[c * p..(c + 1) * p].iter_mut().zip(x.iter()) {
                *s += weights[i] * f64::from(v);
            }
        }
        // An empty cluster takes the point (a group mean) farthest from its center.
        far.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut farthest = far.iter().map(|&(_, i)| i);
        for c in 0..k {
            if mass[c] > 0.0 {
                for j in 0..p {
                    centers[c * p + j] = (sums[c * p + j] / mass[c]) as f32;
                }
            } else if let Some(i) = farthest.next() {
                centers[c * p..(c + 1) * p].copy_from_slice(points[i]);
            }
        }
    }
    Ok(centers)
}
