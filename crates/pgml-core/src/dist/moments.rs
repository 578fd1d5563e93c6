//! Counts, means and centered co-moments of a shard's columns, and their exact merge.

use serde::{Deserialize, Serialize};

use crate::{Error, Matrix, Result};

/// n, the column means and the centered co-moment matrix C = Σ (x − μ)(x − μ)ᵀ (p × p,
/// row-major) of some rows. Centered per shard and merged with Chan et al.'s update, so no
/// shard ever adds large uncentered squares (which would lose digits on data far from 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub p: usize,
    pub mean: Vec<f64>,
    pub comoment: Vec<f64>,
}

impl Moments {
    /// No rows yet, `p` columns.
    pub fn empty(p: usize) -> Moments {
        Moments {
            n: 0,
            p,
            mean: vec![0.0; p],
            comoment: vec![0.0; p * p],
        }
    }

    /// The moments of `x`'s columns followed, when given, by `extra` (the label).
    pub fn of(x: &Matrix, extra: Option<&[f32]>) -> Result<Moments> {
        let n = x.rows();
        let mut cols: Vec<&[f32]> = (0..x.cols()).map(|j| x.col(j)).collect();
        if let Some(y) = extra {
            if y.len() != n {
                return Err(Error::invalid(format!(
                    "{} label values for {n} rows",
                    y.len()
                )));
            }
            cols.push(y);
        }
        let p = cols.len();
        let mut m = Moments::empty(p);
        m.n = n as u64;
        if n == 0 {
            return Ok(m);
        }
        for (j, c) in cols.iter().enumerate() {
            m.mean[j] = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        }
        for i in 0..p {
            for j in i..p {
                let s: f64 = cols[i]
                    .iter()
                    .zip(cols[j])
                    .map(|(&a, &b)| (f64::from(a) - m.mean[i]) * (f64::from(b) - m.mean[j]))
                    .sum();
                m.comoment[i * p + j] = s;
                m.comoment[j * p + i] = s;
            }
        }
        Ok(m)
    }

    pub fn comoment(&self, i: usize, j: usize) -> f64 {
        self.comoment[i * self.p + j]
    }

    /// Adds another shard's moments (Chan, Golub & LeVeque's pairwise update):
    /// μ = μa + δ·nb/n, C = Ca + Cb + δδᵀ·na·nb/n with δ = μb − μa.
    pub fn merge(&mut self, other: &Moments) -> Result<()> {
        if other.p != self.p
            || other.mean.len() != other.p
            || other.comoment.len() != other.p * other.p
        {
            return Err(Error::invalid(format!(
                "a shard sent moments of {} columns, expected {}",
                other.p, self.p
            )));
        }
        if other.n == 0 {
            return Ok(());
        }
        if self.n == 0 {
            *self = other.clone();
            return Ok(());
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta: Vec<f64> = other
            .mean
            .iter()
            .zip(&self.mean)
            .map(|(b, a)| b - a)
            .collect();
        let p = self.p;
        for i in 0..p {
            for j in 0..p {
                self.comoment[i * p + j] +=
                    other.comoment[i * p + j] + delta[i] * delta[j] * na * nb / n;
            }
        }
        for (m, d) in self.mean.iter_mut().zip(&delta) {
            *m += d * nb / n;
        }
        self.n += other.n;
        Ok(())
    }

    /// Every shard's moments merged.
    pub fn merge_all(p: usize, parts: &[Moments]) -> Result<Moments> {
        let mut m = Moments::empty(p);
        for part in parts {
            m.merge(part)?;
        }
        Ok(m)
    }

    /// The mean population variance of the columns (scikit-learn scales k-means' `tol` by it).
    pub fn mean_variance(&self) -> f64 {
        if self.n == 0 || self.p == 0 {
            return 0.0;
        }
        (0..self.p).map(|j| self.comoment(j, j)).sum::<f64>() / self.n as f64 / self.p as f64
    }
}
