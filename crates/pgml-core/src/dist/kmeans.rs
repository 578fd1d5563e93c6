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
