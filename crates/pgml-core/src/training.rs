//! One training run on data already in memory: split, (search,) fit, score. The extension reads
//! the data and stores the result; everything in between is here, testable without PostgreSQL.

use std::time::Instant;

use crate::algorithms::{self, Algorithm, Estimator, Labels};
use crate::hyperparams::Hyperparams;
use crate::metrics::{self, Metrics};
use crate::plots::{self, LossLabels, Plots};
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
    /// Multi-output regression (`pgml.train_joint`): `values` row-major, one column per target.
    Joint {
        values: &'a [f32],
        targets: &'a [String],
    },
}

/// A target restricted to some rows.
#[derive(Debug, Clone)]
enum Owned {
    Values(Vec<f32>),
    Joint { values: Vec<f32>, targets: usize },
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
            Target::Joint { values, targets } => {
                let t = targets.len();
                Owned::Joint {
                    values: idx
                        .iter()
                        .flat_map(|&i| &values[i * t..(i + 1) * t])
                        .copied()
                        .collect(),
                    targets: t,
                }
            }
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
            // Joint targets are fitted one column at a time by `joint::fit`, never through here.
            Owned::None | Owned::Joint { .. } => Labels::None,
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub estimator: Estimator,
    pub metrics: Metrics,
    pub num_train_rows: usize,
    pub num_test_rows: usize,
    /// What the dashboard's plots need, from the test split (and, for a search, every candidate).
    pub plots: Plots,
    /// Seconds the fit took (also in `metrics` as fit_time).
    pub fit_time: f64,
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
    /// Every candidate's score on each fold, in candidate order.
    pub fold_scores: Vec<Vec<f64>>,
    /// Every candidate's mean fit time per fold, in seconds.
    pub fit_times: Vec<f64>,
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
        Rows::Select(x),
        target,
        &train,
        &test,
        check_interrupts,
    )
}

/// [`run`] on a matrix the caller no longer needs: it becomes the training and test matrices
/// ([`Matrix::split_rows`]), so the whole matrix and the training copy never both exist during the
/// fit (for 1 M × 20 rows, 60 MB less at the fit's peak). The same outcome as [`run`].
#[allow(clippy::too_many_arguments)] // the train call's own parameters
pub fn run_owned(
    task: Task,
    algorithm: Algorithm,
    params: &Hyperparams,
    x: Matrix,
    target: Target<'_>,
    test_size: f64,
    sampling: Sampling,
    seed: u64,
    check_interrupts: &dyn Fn(),
) -> Result<Outcome> {
    let (train, test) = split_rows(&x, target, test_size, sampling, seed)?;
    fit_and_score(
        task,
        algorithm,
        params,
        Rows::Owned(x),
        target,
        &train,
        &test,
        check_interrupts,
    )
}

/// Where a fit's training and test rows come from.
enum Rows<'a> {
    /// Copied out of a matrix that stays.
    Select(&'a Matrix),
    /// Made from the matrix itself.
    Owned(Matrix),
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
    let mut fold_scores = Vec::with_capacity(candidates.len());
    let mut fit_times = Vec::with_capacity(candidates.len());
    for params in candidates {
        let mut total = 0.0;
        let mut scores = Vec::with_capacity(cv);
        let mut fit_time = 0.0;
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
                Rows::Select(x),
                target,
                &fit_rows,
                validate,
                check_interrupts,
            )?;
            let score = scored
                .metrics
                .get(key)
                .copied()
                .unwrap_or(f64::NEG_INFINITY);
            total += score;
            scores.push(score);
            fit_time += scored.fit_time;
        }
        cv_scores.push(total / cv as f64);
        fold_scores.push(scores);
        fit_times.push(fit_time / cv as f64);
    }
    let chosen = (0..cv_scores.len())
        .max_by(|&a, &b| cv_scores[a].total_cmp(&cv_scores[b]).then(b.cmp(&a)))
        .unwrap_or(0);
    let mut outcome = fit_and_score(
        task,
        algorithm,
        &candidates[chosen],
        Rows::Select(x),
        target,
        &train,
        &test,
        check_interrupts,
    )?;
    outcome
        .metrics
        .insert("search_cv_score".into(), cv_scores[chosen]);
    let params: Vec<serde_json::Value> = candidates.iter().map(Hyperparams::to_json).collect();
    outcome.plots.search = Some(plots::search(
        key,
        chosen,
        &params,
        &fold_scores,
        &fit_times,
    ));
    Ok(SearchOutcome {
        outcome,
        chosen,
        cv_scores,
        fold_scores,
        fit_times,
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
        Target::Values(_) | Target::None | Target::Joint { .. } => None,
    };
    split::split(x.rows(), test_size, sampling, codes, seed)
}

#[allow(clippy::too_many_arguments)] // one fit: what, on which rows, scored on which rows
fn fit_and_score(
    task: Task,
    algorithm: Algorithm,
    params: &Hyperparams,
    x: Rows<'_>,
    target: Target<'_>,
    fit_rows: &[usize],
    score_rows: &[usize],
    check_interrupts: &dyn Fn(),
) -> Result<Outcome> {
    let (x_train, mut x_test) = match x {
        Rows::Select(x) => (x.select_rows(fit_rows), Rows::Select(x)),
        Rows::Owned(x) => {
            let (train, test) = x.split_rows(fit_rows, score_rows);
            (train, Rows::Owned(test))
        }
    };
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
    let estimator = match (&y_train, target) {
        (Owned::Joint { values, .. }, Target::Joint { targets, .. }) => algorithms::joint::fit(
            algorithm,
            params,
            &x_train,
            values,
            targets,
            check_interrupts,
        )?,
        _ => algorithms::fit(
            algorithm,
            task,
            params,
            &x_train,
            y_train.labels(),
            check_interrupts,
        )?,
    };
    let fit_time = started.elapsed().as_secs_f64();

    let started = Instant::now();
    // Selected after the fit, so the test rows' copy does not add to the fit's peak memory
    // (unless the whole matrix was given away: then the test rows are all that is left of it).
    let x_test = match &mut x_test {
        Rows::Select(x) => x.select_rows(score_rows),
        Rows::Owned(test) => std::mem::replace(test, Matrix::from_columns(0, 0, Vec::new())?),
    };
    let y_test = target.rows(score_rows);
    let (mut metrics, mut plots) = evaluate(&estimator, &x_test, &y_test);
    metrics.extend(estimator.fit_metrics());
    metrics.insert("fit_time".into(), fit_time);
    metrics.insert("score_time".into(), started.elapsed().as_secs_f64());
    plots.loss_curve = boosting_losses(&estimator, &x_train, &y_train, &x_test, &y_test);
    Ok(Outcome {
        estimator,
        metrics,
        num_train_rows: fit_rows.len(),
        num_test_rows: score_rows.len(),
        plots,
        fit_time,
    })
}

/// Per-round losses of a boosted model: XGBoost (not its random-forest mode, whose one round has
/// no curve), gradient_boosting_trees, hist_gradient_boosting and catboost.
fn boosting_losses(
    estimator: &Estimator,
    x_train: &Matrix,
    y_train: &Owned,
    x_test: &Matrix,
    y_test: &Owned,
) -> Option<plots::LossCurve> {
    fn labels(o: &Owned) -> Option<LossLabels<'_>> {
        match o {
            Owned::Values(v) => Some(LossLabels::Values(v)),
            Owned::Classes { codes, .. } => Some(LossLabels::Classes(codes)),
            Owned::None | Owned::Joint { .. } => None,
        }
    }
    let (train, test) = (labels(y_train)?, labels(y_test)?);
    let staged: &dyn plots::Staged = match estimator.fitted() {
        algorithms::Fitted::XgboostTrees(model) => {
            if !matches!(estimator.name(), "XGBRegressor" | "XGBClassifier") {
                return None;
            }
            return plots::loss_curve(&model.ensemble, x_train, train, x_test, test);
        }
        algorithms::Fitted::GradientBoosting(model) => model,
        algorithms::Fitted::HistGradientBoosting(model) => model,
        algorithms::Fitted::CatBoost(model) => model,
        _ => return None,
    };
    plots::staged_loss_curve(staged, x_train, train, x_test, test)
}

fn evaluate(estimator: &Estimator, x: &Matrix, target: &Owned) -> (Metrics, Plots) {
    match target {
        Owned::Values(y) => {
            let pred: Vec<f32> = (0..x.rows())
                .map(|i| estimator.predict(&x.row(i)).unwrap_or(f32::NAN))
                .collect();
            (metrics::regression(y, &pred), plots::regression(y, &pred))
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
            (
                metrics::classification(codes, &pred, proba.as_deref(), *num_classes),
                plots::classification(codes, &pred, proba.as_deref(), *num_classes),
            )
        }
        Owned::Joint { values, targets } => {
            let pred: Vec<f32> = (0..x.rows())
                .flat_map(|i| {
                    estimator
                        .predict_joint(&x.row(i))
                        .unwrap_or_else(|| vec![f32::NAN; *targets])
                })
                .collect();
            (
                metrics::regression_joint(values, &pred, *targets),
                Plots::new(),
            )
        }
        Owned::None => {
            let mut plots = Plots::new();
            let clusters: Vec<f32> = (0..x.rows())
                .filter_map(|i| estimator.predict(&x.row(i)))
                .collect();
            if clusters.len() == x.rows() {
                plots.cluster_sizes = plots::cluster_sizes(&clusters);
            }
            let projected: Vec<Vec<f32>> = (0..x.rows())
                .filter_map(|i| estimator.decompose(&x.row(i)))
                .collect();
            if projected.len() == x.rows() {
                plots.explained_variance = plots::explained_variance(x, &projected);
            }
            (estimator.unsupervised_metrics(x), plots)
        }
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
        // The dashboard's search plot: one candidate per parameter set, alpha the varying one.
        let plot = s.outcome.plots.search.as_ref().unwrap();
        assert_eq!(plot.chosen, 1);
        assert_eq!(plot.metric, "r2");
        assert_eq!(plot.candidates.len(), 2);
        assert_eq!(
            plot.candidates[0].params.keys().collect::<Vec<_>>(),
            ["alpha"]
        );
        assert!((plot.candidates[1].mean_score - s.cv_scores[1]).abs() < 1e-12);
        assert_eq!(s.fold_scores[1].len(), 3);
    }

    fn rows() -> (Matrix, Vec<f32>, Vec<u32>) {
        let rows: Vec<Vec<f32>> = (0..400)
            .map(|i| vec![(i % 23) as f32, ((i * 7) % 11) as f32, (i % 3) as f32])
            .collect();
        let y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] - r[1] + r[2]).collect();
        let codes: Vec<u32> = rows
            .iter()
            .map(|r| u32::from(r[0] > 11.0) + u32::from(r[1] > 5.0))
            .collect();
        (Matrix::from_rows(&rows).unwrap(), y, codes)
    }

    fn train(name: &str, task: Task, target: Target<'_>, x: &Matrix) -> Outcome {
        let a = Algorithm::parse(name).unwrap();
        let p = a.resolve(task, &json!({})).unwrap();
        run(task, a, &p, x, target, 0.25, Sampling::Random, 7, &|| {}).unwrap()
    }

    #[test]
    fn every_task_stores_its_plots() {
        let (x, y, codes) = rows();
        let r = train("linear", Task::Regression, Target::Values(&y), &x);
        let s = r.plots.predicted_vs_actual.as_ref().unwrap();
        assert_eq!(s.actual.len(), r.num_test_rows);
        assert_eq!(
            r.plots
                .residuals
                .as_ref()
                .unwrap()
                .counts
                .iter()
                .sum::<u64>(),
            r.num_test_rows as u64
        );
        let c = train(
            "linear",
            Task::Classification,
            Target::Classes {
                codes: &codes,
                num_classes: 3,
            },
            &x,
        );
        let cm = &c.plots.confusion_matrix.as_ref().unwrap().matrix;
        assert_eq!(cm.iter().flatten().sum::<u64>(), c.num_test_rows as u64);
        // Accuracy is the confusion matrix's diagonal.
        let diagonal: u64 = (0..3).map(|i| cm[i][i]).sum();
        assert!((diagonal as f64 / c.num_test_rows as f64 - c.metrics["accuracy"]).abs() < 1e-12);
        assert_eq!(c.plots.roc.len(), 3);
        let k = train("kmeans", Task::Clustering, Target::None, &x);
        assert_eq!(
            k.plots.cluster_sizes.as_ref().unwrap().iter().sum::<u64>(),
            k.num_test_rows as u64
        );
        // PCA: per component, summing to the model's metric.
        let p = train("pca", Task::Decomposition, Target::None, &x);
        let ev = p.plots.explained_variance.as_ref().unwrap();
        assert_eq!(ev.len(), 3);
        assert!(ev.windows(2).all(|w| w[0] >= w[1] - 1e-9), "{ev:?}");
        let sum: f64 = ev.iter().sum();
        assert!(
            (sum - p.metrics["cumulative_explained_variance"]).abs() < 1e-9,
            "{sum}"
        );
        assert!(p.plots.cluster_sizes.is_none());
    }

    /// The per-round loss is recomputed from the trees: its last round equals the loss of the
    /// model's own predictions, and boosting lowers the training loss.
    #[test]
    fn boosted_models_have_a_loss_per_round() {
        let (x, y, codes) = rows();
        let r = train("xgboost", Task::Regression, Target::Values(&y), &x);
        let loss = r.plots.loss_curve.as_ref().unwrap();
        assert_eq!(loss.metric, "rmse");
        assert_eq!(loss.train.len(), 100);
        assert!(loss.train[99] < loss.train[0] / 10.0, "{loss:?}");
        let rmse = r.metrics["mean_squared_error"].sqrt();
        assert!(
            (loss.validation[99] - rmse).abs() < 1e-3 * rmse.max(1.0),
            "{} vs {rmse}",
            loss.validation[99]
        );
        let c = train(
            "xgboost",
            Task::Classification,
            Target::Classes {
                codes: &codes,
                num_classes: 3,
            },
            &x,
        );
        let loss = c.plots.loss_curve.as_ref().unwrap();
        assert_eq!(loss.metric, "mlogloss");
        assert!(
            (loss.validation[99] - c.metrics["log_loss"]).abs() < 1e-4,
            "{loss:?}"
        );
        // Random-forest mode is one round: no curve.
        let f = train(
            "xgboost_random_forest",
            Task::Regression,
            Target::Values(&y),
            &x,
        );
        assert!(f.plots.loss_curve.is_none());
    }

    /// scikit-learn's train_score_ / validation_score_ and CatBoost's evals_result_: a loss per
    /// iteration for the three other boosters, whose last point is the loss of the model's own
    /// predictions on the test split (the same numbers the metrics hold).
    #[test]
    fn every_booster_has_a_loss_per_iteration() {
        let (x, y, codes) = rows();
        let binary: Vec<u32> = codes.iter().map(|&c| c.min(1)).collect();
        for (name, hp, iterations) in [
            ("gradient_boosting_trees", json!({"n_estimators": 40}), 40),
            ("hist_gradient_boosting", json!({"max_iter": 30}), 30),
            ("catboost", json!({"iterations": 25}), 25),
        ] {
            let a = Algorithm::parse(name).unwrap();
            let fit = |task, target| {
                let p = a.resolve(task, &hp).unwrap();
                run(task, a, &p, &x, target, 0.25, Sampling::Random, 7, &|| {}).unwrap()
            };
            let r = fit(Task::Regression, Target::Values(&y));
            let loss = r.plots.loss_curve.as_ref().unwrap();
            assert_eq!(loss.metric, "rmse", "{name}");
            assert_eq!(loss.train.len(), iterations, "{name}");
            assert_eq!(loss.validation.len(), iterations, "{name}");
            assert!(
                loss.train[iterations - 1] < loss.train[0] / 2.0,
                "{name} {loss:?}"
            );
            let rmse = r.metrics["mean_squared_error"].sqrt();
            assert!(
                (loss.validation[iterations - 1] - rmse).abs() < 1e-3 * rmse.max(1.0),
                "{name}: {} vs {rmse}",
                loss.validation[iterations - 1]
            );
            for (target, metric) in [
                (
                    Target::Classes {
                        codes: &binary,
                        num_classes: 2,
                    },
                    "logloss",
                ),
                (
                    Target::Classes {
                        codes: &codes,
                        num_classes: 3,
                    },
                    "mlogloss",
                ),
            ] {
                let c = fit(Task::Classification, target);
                let loss = c.plots.loss_curve.as_ref().unwrap();
                assert_eq!(loss.metric, metric, "{name}");
                assert_eq!(loss.train.len(), iterations, "{name}");
                assert!(
                    loss.train[iterations - 1] < loss.train[0],
                    "{name} {loss:?}"
                );
                assert!(
                    (loss.validation[iterations - 1] - c.metrics["log_loss"]).abs() < 1e-3,
                    "{name} {metric}: {} vs {}",
                    loss.validation[iterations - 1],
                    c.metrics["log_loss"]
                );
            }
        }
        // A link other than identity, logistic or softmax has no curve (poisson's is the log).
        let a = Algorithm::parse("hist_gradient_boosting").unwrap();
        let p = a
            .resolve(Task::Regression, &json!({"loss": "poisson", "max_iter": 5}))
            .unwrap();
        let positive: Vec<f32> = y.iter().map(|v| v.abs() + 1.0).collect();
        let o = run(
            Task::Regression,
            a,
            &p,
            &x,
            Target::Values(&positive),
            0.25,
            Sampling::Random,
            7,
            &|| {},
        )
        .unwrap();
        assert!(o.plots.loss_curve.is_none());
    }
}
