//! What the boosting learners' unit tests share (`gradient_boosting_trees`,
//! `hist_gradient_boosting`; catboost's tests have the same shape): uniform random rows, three
//! classes from the first two features, a fit by algorithm name, and r2 on given rows.

use super::{Algorithm, Estimator, Labels};
use crate::split::SplitMix64;
use crate::{Matrix, Task};

/// `n` rows of `p` features uniform in [0, 1), drawn row by row from `rng`.
pub(crate) fn uniform_rows(n: usize, p: usize, rng: &mut SplitMix64) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| (0..p).map(|_| rng.unit() as f32).collect())
        .collect()
}

/// Class 0, 1 or 2: one for x0 above 0.3, one more for x1 above 0.6.
pub(crate) fn three_classes(rows: &[Vec<f32>]) -> Vec<u32> {
    rows.iter()
        .map(|r| u32::from(r[0] > 0.3) + u32::from(r[1] > 0.6))
        .collect()
}

/// `algorithm` trained with `hp` (which must be valid) on `x`.
pub(crate) fn fit(
    algorithm: &str,
    hp: serde_json::Value,
    task: Task,
    x: &Matrix,
    labels: Labels<'_>,
) -> Estimator {
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a.resolve(task, &hp).unwrap();
    a.fit(task, &params, x, labels, &|| {}).unwrap()
}

/// r2 of `m`'s predictions of the rows of `x` against `y`.
pub(crate) fn r2(m: &Estimator, x: &Matrix, y: &[f32]) -> f64 {
    let pred: Vec<f32> = (0..x.rows())
        .map(|i| m.predict(&x.row(i)).unwrap())
        .collect();
    crate::metrics::regression(y, &pred)["r2"]
}
