//! One training run on data already in memory: split, (search,) fit, score. The extension reads
//! the data and stores the result; everything in between is here, testable without PostgreSQL.

use std::time::Instant;

use crate::algorithms::{self, Algorithm, Estimator, Labels};
use crate::hyperparams::Hyperparams;
use crate::metrics::{self, Metrics};
use crate::split::{self, Sampling, SplitMix64};
use crate::{Error, Matrix, Result, Task};

/// Mixed into the split seed for the cross-validation folds, so folds differ from the train/test split.
const FOLD_SALT: u64 = 0x5EA2_C4D1;

pub use crate::algorithms::kmeans::SILHOUETTE_ROWS;

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

/// A target restricted to some rows.
#[derive(Debug, Clone)]
enum Owned {
    Values(Vec<f32>),
    Classes { codes: Vec<u32>, num_classes: usize },
    None,
}

impl Target<'_> {
    fn rows(&self, idx: &[usize]) -> Owned {
        match *self {
            Target::Values(y) => Owned::Values(idx.iter().map(|&i| y[i]).collect()),
            Target::Classes { codes, num_classes } => Owned::Classes {
                codes: idx.iter().map(|&i| codes[i]).collect(),
                num_classes,
            },
            Target::None => Owned::None,
        }
    }
}

impl Owned {
    fn labels(&self) -> Labels<'_> {
        match self {
            Owned::Values(y) => Labels::Values(y),
            Owned::Classes { codes, num_classes } => Labels::Classes {
                codes,
                num_classes: *num_classes,
            },
            Owned::None => Labels::None,
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub estimator: Estimator,
    pub metrics: Metrics,
    pub num_train_rows: usize,
    pub num_test_rows: usize,
}

/// The result of a hyperparameter search: the outcome of the chosen candidate, refitted on the
/// whole training split and scored on the test split.
#[derive(Debug)]
pub struct SearchOutcome {
    pub outcome: Outcome,
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// Mean cross-validated key metric of every candidate, in candidate order.
    pub cv_scores: Vec<f64>,
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
    let (train, test) = split_rows(x, target, test_size, sampling, seed)?;
    fit_and_score(
        task,
        algorithm,
        params,
        x,
        target,
        &train,
        &test,
        check_interrupts,
    )
}

/// Chooses among `candidates` by `cv`-fold cross-validation on the training split (the task's key
/// metric, higher is better), then refits the best on the whole training split and scores it on
/// the test split, which the choice never saw.
#[allow(clippy::too_many_arguments)] // the train call's own parameters
pub fn run_search(
    task: Task,
    algorithm: Algorithm,
    candidates: &[Hyperparams],
    cv: usize,
    x: &Matrix,
    target: Target<'_>,
    test_size: f64,
    sampling: Sampling,
    seed: u64,
    check_interrupts: &dyn Fn(),
) -> Result<SearchOutcome> {
    if candidates.is_empty() {
        return Err(Error::invalid("the search has no candidates"));
    }
    let (train, test) = split_rows(x, target, test_size, sampling, seed)?;
    if cv < 2 || cv > train.len() {
        return Err(Error::invalid_with_hint(
            format!(
                "cv must be between 2 and the {} training rows, got {cv}",
                train.len()
            ),
            "set search_args, e.g. '{\"cv\": 3}'",
        ));
    }
    // Folds: the training rows in a seeded order, cut into cv contiguous parts.
    let mut order = train.clone();
    SplitMix64(seed ^ FOLD_SALT).shuffle(&mut order);
    let folds: Vec<&[usize]> = (0..cv)
        .map(|k| &order[k * order.len() / cv..(k + 1) * order.len() / cv])
        .collect();
    let key = task.key_metric();
    let mut cv_scores = Vec::with_capacity(candidates.len());
    for params in candidates {
        let mut total = 0.0;
        for k in 0..cv {
            check_interrupts();
            let validate = folds[k];
            let fit_rows: Vec<usize> = folds
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .flat_map(|(_, f)| f.iter().copied())
                .collect();
            let scored = fit_and_score(
                task,
                algorithm,
                params,
                x,
                target,
                &fit_rows,
                validate,
                check_interrupts,
            )?;
            total += scored
                .metrics
                .get(key)
                .copied()
                .unwrap_or(f64::NEG_INFINITY);
        }
        cv_scores.push(total / cv as f64);
    }
    let chosen = (0..cv_scores.len())
        .max_by(|&a, &b| cv_scores[a].total_cmp(&cv_scores[b]).then(b.cmp(&a)))
        .unwrap_or(0);
    let mut outcome = fit_and_score(
        task,
        algorithm,
        &candidates[chosen],
        x,
        target,
        &train,
        &test,
        check_interrupts,
    )?;
    outcome
        .metrics
        .insert("search_cv_score".into(), cv_scores[chosen]);
    Ok(SearchOutcome {
        outcome,
        chosen,
        cv_scores,
    })
}

fn split_rows(
    x: &Matrix,
    target: Target<'_>,
    test_size: f64,
    sampling: Sampling,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let codes = match target {
        Target::Classes { codes, .. } => Some(codes),
        Target::Values(_) | Target::None => None,
    };
    split::split(x.rows(), test_size, sampling, codes, seed)
}

#[allow(clippy::too_many_arguments)] // one fit: what, on which rows, scored on which rows
fn fit_and_score(
    task: Task,
    algorithm: Algorithm,
    params: &Hyperparams,
    x: &Matrix,
    target: Target<'_>,
    fit_rows: &[usize],
    score_rows: &[usize],
    check_interrupts: &dyn Fn(),
) -> Result<Outcome> {
    let x_train = x.select_rows(fit_rows);
    let x_test = x.select_rows(score_rows);
    let y_train = target.rows(fit_rows);
    if let Owned::Classes { codes, .. } = &y_train {
        if codes.iter().all(|&c| c == codes[0]) {
            return Err(Error::bad_data(
                "the training split has only one class",
                "use more rows, or test_sampling => 'stratified'",
            ));
        }
    }
    let started = Instant::now();
    let estimator = algorithms::fit(
        algorithm,
        task,
        params,
        &x_train,
        y_train.labels(),
        check_interrupts,
    )?;
    let fit_time = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut metrics = evaluate(&estimator, &x_test, &target.rows(score_rows));
    metrics.extend(estimator.fit_metrics());
    metrics.insert("fit_time".into(), fit_time);
    metrics.insert("score_time".into(), started.elapsed().as_secs_f64());
    Ok(Outcome {
        estimator,
        metrics,
        num_train_rows: fit_rows.len(),
        num_test_rows: score_rows.len(),
    })
}

fn evaluate(estimator: &Estimator, x: &Matrix, target: &Owned) -> Metrics {
    match target {
        Owned::Values(y) => {
            let pred: Vec<f32> = (0..x.rows())
                .map(|i| estimator.predict(&x.row(i)).unwrap_or(f32::NAN))
                .collect();
            metrics::regression(y, &pred)
        }
        Owned::Classes { codes, num_classes } => {
            let mut pred = Vec::with_capacity(codes.len());
            let mut proba: Option<Vec<f32>> = Some(Vec::with_capacity(codes.len() * num_classes));
            for i in 0..x.rows() {
                let row = x.row(i);
                pred.push(estimator.predict(&row).unwrap_or(0.0) as u32);
                match (estimator.predict_proba(&row), proba.as_mut()) {
                    (Some(p), Some(all)) => all.extend(p),
                    _ => proba = None,
                }
            }
            metrics::classification(codes, &pred, proba.as_deref(), *num_classes)
        }
        Owned::None => estimator.unsupervised_metrics(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_chooses_by_cross_validation_and_scores_on_the_test_split() {
        // y = x0: a lasso with a huge alpha predicts a constant; a small one fits.
        let rows: Vec<Vec<f32>> = (0..120)
            .map(|i| vec![i as f32, ((i * 7) % 5) as f32])
            .collect();
        let y: Vec<f32> = rows.iter().map(|r| r[0]).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let lasso = Algorithm::parse("lasso").unwrap();
        let candidates: Vec<Hyperparams> = [json!({"alpha": 1000.0}), json!({"alpha": 0.001})]
            .iter()
            .map(|h| lasso.resolve(Task::Regression, h).unwrap())
            .collect();
        let s = run_search(
            Task::Regression,
            lasso,
            &candidates,
            3,
            &x,
            Target::Values(&y),
            0.25,
            Sampling::Random,
            1,
            &|| {},
        )
        .unwrap();
        assert_eq!(s.chosen, 1);
        assert!(
            s.cv_scores[1] > 0.99 && s.cv_scores[0] < 0.5,
            "{:?}",
            s.cv_scores
        );
        assert_eq!(s.outcome.num_train_rows, 90);
        assert!(s.outcome.metrics["r2"] > 0.99);
        assert!(s.outcome.metrics.contains_key("search_cv_score"));
    }
}
