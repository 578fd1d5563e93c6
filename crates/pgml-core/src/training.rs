//! One training run on data already in memory: split, fit, score. The extension reads the data
//! and stores the result; everything in between is here, testable without PostgreSQL.

use std::time::Instant;

use crate::algorithms::{self, kmeans, pca, Algorithm, Estimator, Labels};
use crate::hyperparams::Hyperparams;
use crate::metrics::{self, Metrics};
use crate::split::{self, Sampling};
use crate::{Matrix, Result, Task};

/// The silhouette costs O(n²): it is computed on at most this many test rows, evenly spaced.
pub const SILHOUETTE_ROWS: usize = 2000;

#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Values(&'a [f32]),
    Classes {
        codes: &'a [u32],
        num_classes: usize,
    },
    /// Clustering and decomposition.
    None,
}

#[derive(Debug)]
pub struct Outcome {
    pub estimator: Estimator,
    pub metrics: Metrics,
    pub num_train_rows: usize,
    pub num_test_rows: usize,
}

#[allow(clippy::too_many_arguments)] // the train call's own parameters
pub fn run(
    task: Task,
    algorithm: Algorithm,
    params: &Hyperparams,
    x: &Matrix,
    target: Target<'_>,
    test_size: f64,
    sampling: Sampling,
    seed: u64,
    check_interrupts: &dyn Fn(),
) -> Result<Outcome> {
    let codes = match target {
        Target::Classes { codes, .. } => Some(codes),
        Target::Values(_) | Target::None => None,
    };
    let (train, test) = split::split(x.rows(), test_size, sampling, codes, seed)?;
    let x_train = x.select_rows(&train);
    let x_test = x.select_rows(&test);

    let started = Instant::now();
    let estimator = match target {
        Target::Values(y) => {
            let y_train: Vec<f32> = train.iter().map(|&i| y[i]).collect();
            algorithms::fit(
                algorithm,
                task,
                params,
                &x_train,
                Labels::Values(&y_train),
                check_interrupts,
            )?
        }
        Target::Classes { codes, num_classes } => {
            let y_train: Vec<u32> = train.iter().map(|&i| codes[i]).collect();
            if y_train.iter().all(|&c| c == y_train[0]) {
                return Err(crate::Error::bad_data(
                    "the training split has only one class",
                    "use more rows, or test_sampling => 'stratified'",
                ));
            }
            algorithms::fit(
                algorithm,
                task,
                params,
                &x_train,
                Labels::Classes {
                    codes: &y_train,
                    num_classes,
                },
                check_interrupts,
            )?
        }
        Target::None => algorithms::fit(
            algorithm,
            task,
            params,
            &x_train,
            Labels::None,
            check_interrupts,
        )?,
    };
    let fit_time = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut metrics = match target {
        Target::Values(y) => {
            let y_test: Vec<f32> = test.iter().map(|&i| y[i]).collect();
            let pred: Vec<f32> = (0..x_test.rows())
                .map(|i| estimator.predict(&x_test.row(i)).unwrap_or(f32::NAN))
                .collect();
            metrics::regression(&y_test, &pred)
        }
        Target::Classes { codes, num_classes } => {
            let y_test: Vec<u32> = test.iter().map(|&i| codes[i]).collect();
            let mut pred = Vec::with_capacity(test.len());
            let mut proba: Option<Vec<f32>> = Some(Vec::with_capacity(test.len() * num_classes));
            for i in 0..x_test.rows() {
                let row = x_test.row(i);
                pred.push(estimator.predict(&row).unwrap_or(0.0) as u32);
                match (estimator.predict_proba(&row), proba.as_mut()) {
                    (Some(p), Some(all)) => all.extend(p),
                    _ => proba = None,
                }
            }
            metrics::classification(&y_test, &pred, proba.as_deref(), num_classes)
        }
        Target::None => match &estimator {
            Estimator::KMeans(m) => {
                let labels: Vec<usize> = (0..x_test.rows())
                    .map(|i| m.predict(&x_test.row(i)) as usize)
                    .collect();
                let mut metrics = Metrics::new();
                if let Some(s) = kmeans::silhouette(&x_test, &labels, SILHOUETTE_ROWS) {
                    metrics.insert("silhouette".into(), s);
                }
                metrics
            }
            Estimator::Pca(m) => Metrics::from([(
                "cumulative_explained_variance".to_string(),
                pca::cumulative_explained_variance(m, &x_test),
            )]),
            _ => Metrics::new(),
        },
    };
    metrics.insert("fit_time".into(), fit_time);
    metrics.insert("score_time".into(), started.elapsed().as_secs_f64());
    Ok(Outcome {
        estimator,
        metrics,
        num_train_rows: train.len(),
        num_test_rows: test.len(),
    })
}
