//! What a model's plots need, computed once at train time on the test split and stored with the
//! model (`pgml.models.plots`): the dashboard draws them without the model's data or its bytes, on
//! any server the catalog reaches (a standby, an inference server).
//!
//! Every list is bounded (curves thinned to [`MAX_CURVE_POINTS`], samples to [`MAX_SAMPLE`],
//! classes to [`MAX_CLASSES`]), so the stored JSON stays small whatever the size of the data.

use serde::{Deserialize, Serialize};

use crate::algorithms::boosting::Output;
use crate::algorithms::trees::{Objective, Tree, TreeEnsemble};
use crate::Matrix;

/// The version of this layout; the dashboard reads what it knows and ignores the rest.
pub const VERSION: u32 = 1;
/// Points kept per curve (ROC, precision-recall); the AUC is computed before thinning.
pub const MAX_CURVE_POINTS: usize = 200;
/// Points kept for predicted-vs-actual.
pub const MAX_SAMPLE: usize = 500;
/// Classes with their own curves (one-vs-rest); a confusion matrix is shown up to this many too.
pub const MAX_CLASSES: usize = 20;
/// Bins of the residual histogram.
pub const RESIDUAL_BINS: usize = 30;
/// Bins of the calibration curve (uniform in predicted probability, scikit-learn's `uniform`).
pub const CALIBRATION_BINS: usize = 10;
/// Rows used for the per-iteration losses of boosted models (a strided sample beyond this).
pub const MAX_LOSS_ROWS: usize = 10_000;

/// Everything plot-shaped known about a model; absent parts are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plots {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion_matrix: Option<ConfusionMatrix>,
    /// Binary: one curve, of class 1; multi-class: one per class (one-vs-rest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roc: Vec<Curve>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub precision_recall: Vec<Curve>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_vs_actual: Option<Sample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residuals: Option<Histogram>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_curve: Option<LossCurve>,
    /// Clustering: test rows per cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_sizes: Option<Vec<u64>>,
    /// Decomposition: the share of the test rows' variance each component captures (their sum
    /// is the model's cumulative_explained_variance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explained_variance: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchPlot>,
}

/// `matrix[actual][predicted]`: test rows of class `actual` predicted as `predicted` (class codes;
/// the model's label_mapping names them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    pub matrix: Vec<Vec<u64>>,
}

/// A curve of (x, y) points: ROC is (false positive rate, true positive rate), precision-recall is
/// (recall, precision). `auc` is its area (ROC) or the average precision (precision-recall),
/// computed on every point before thinning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub class: u32,
    pub auc: f64,
    pub points: Vec<[f64; 2]>,
}

/// Reliability of predicted probabilities: per bin of predicted probability, the mean predicted
/// value, the observed frequency and the number of rows. For binary models the probability of
/// class 1; for multi-class models the top class's probability against how often it was right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// "class 1" or "top class".
    pub of: String,
    pub mean_predicted: Vec<f64>,
    pub fraction_positive: Vec<f64>,
    pub count: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub actual: Vec<f64>,
    pub predicted: Vec<f64>,
}

/// `counts[i]` values fell in `[edges[i], edges[i + 1])` (the last bin includes its right edge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// A boosted model's loss after each boosting round, on the training and the test split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossCurve {
    /// "rmse", "logloss" or "mlogloss" (XGBoost's names for its default evaluation metrics).
    pub metric: String,
    pub train: Vec<f64>,
    pub validation: Vec<f64>,
}

/// A hyperparameter search: every candidate's cross-validated score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPlot {
    /// The key metric scored (higher is better).
    pub metric: String,
    /// Index of the chosen candidate.
    pub chosen: usize,
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The parameters that differ between candidates (the searched ones), by name.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub mean_score: f64,
    pub std_score: f64,
    /// Mean seconds per fold fit.
    pub fit_time: f64,
}

impl Plots {
    pub fn new() -> Plots {
        Plots {
            version: VERSION,
            ..Plots::default()
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        // Every field is plain data with finite numbers replaced (see `finite`): this cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Non-finite numbers have no JSON form; they become 0 (they only arise from degenerate inputs,
/// e.g. a model predicting NaN).
fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Plots of a classifier from its test split: `y` and `pred` are class codes < `k`, `proba`
/// row-major n × k when the model has probabilities.
pub fn classification(y: &[u32], pred: &[u32], proba: Option<&[f32]>, k: usize) -> Plots {
    let mut plots = Plots::new();
    if k <= MAX_CLASSES {
        let mut matrix = vec![vec![0u64; k]; k];
        for (&t, &p) in y.iter().zip(pred) {
            if let Some(cell) = matrix
                .get_mut(t as usize)
                .and_then(|r| r.get_mut(p as usize))
            {
                *cell += 1;
            }
        }
        plots.confusion_matrix = Some(ConfusionMatrix { matrix });
    }
    let Some(proba) = proba.filter(|p| p.len() == y.len() * k && k >= 2) else {
        return plots;
    };
    let classes: Vec<u32> = if k == 2 {
        vec![1]
    } else {
        (0..k.min(MAX_CLASSES) as u32).collect()
    };
    for c in classes {
        let scores: Vec<f32> = (0..y.len()).map(|i| proba[i * k + c as usize]).collect();
        let truth: Vec<bool> = y.iter().map(|&t| t == c).collect();
        if let Some((roc, pr)) = curves(&truth, &scores, c) {
            plots.roc.push(roc);
            plots.precision_recall.push(pr);
        }
    }
    plots.calibration = Some(if k == 2 {
        let scores: Vec<f32> = (0..y.len()).map(|i| proba[i * 2 + 1]).collect();
        let truth: Vec<bool> = y.iter().map(|&t| t == 1).collect();
        calibration("class 1", &truth, &scores)
    } else {
        let (truth, scores): (Vec<bool>, Vec<f32>) = (0..y.len())
            .map(|i| {
                let row = &proba[i * k..(i + 1) * k];
                let (best, p) =
                    row.iter()
                        .enumerate()
                        .fold(
                            (0, f32::NEG_INFINITY),
                            |acc, (c, &p)| {
                                if p > acc.1 {
                                    (c, p)
                                } else {
                                    acc
                                }
                            },
                        );
                (best as u32 == y[i], p)
            })
            .unzip();
        calibration("top class", &truth, &scores)
    });
    plots
}

/// ROC and precision-recall curves of `scores` for the rows where `truth` holds, thresholds at
/// every distinct score (as scikit-learn's `roc_curve` with `drop_intermediate=False`). None when
/// the test split lacks positives or negatives.
fn curves(truth: &[bool], scores: &[f32], class: u32) -> Option<(Curve, Curve)> {
    let positives = truth.iter().filter(|&&t| t).count();
    let negatives = truth.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut roc = vec![[0.0, 0.0]];
    // Precision-recall starts at recall 0 with precision 1, as scikit-learn's does.
    let mut pr = vec![[0.0, 1.0]];
    let mut i = 0;
    while i < order.len() {
        let s = scores[order[i]];
        while i < order.len() && scores[order[i]].total_cmp(&s).is_eq() {
            if truth[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        roc.push([fp as f64 / negatives as f64, tp as f64 / positives as f64]);
        pr.push([tp as f64 / positives as f64, tp as f64 / (tp + fp) as f64]);
    }
    let auc = roc
        .windows(2)
        .map(|w| (w[1][0] - w[0][0]) * (w[1][1] + w[0][1]) / 2.0)
        .sum();
    // Average precision: sum over thresholds of (recall step) × precision, scikit-learn's definition.
    let ap = pr.windows(2).map(|w| (w[1][0] - w[0][0]) * w[1][1]).sum();
    Some((
        Curve {
            class,
            auc: finite(auc),
            points: thin(roc),
        },
        Curve {
            class,
            auc: finite(ap),
            points: thin(pr),
        },
    ))
}

/// At most MAX_CURVE_POINTS points, evenly spaced along the list, first and last kept.
fn thin(points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let n = points.len();
    if n <= MAX_CURVE_POINTS {
        return points;
    }
    (0..MAX_CURVE_POINTS)
        .map(|j| points[j * (n - 1) / (MAX_CURVE_POINTS - 1)])
        .collect()
}

fn calibration(of: &str, truth: &[bool], scores: &[f32]) -> Calibration {
    let bins = CALIBRATION_BINS;
    let mut sum = vec![0.0f64; bins];
    let mut hits = vec![0u64; bins];
    let mut count = vec![0u64; bins];
    for (&t, &s) in truth.iter().zip(scores) {
        if !s.is_finite() {
            continue;
        }
        let s = f64::from(s).clamp(0.0, 1.0);
        let b = ((s * bins as f64) as usize).min(bins - 1);
        sum[b] += s;
        count[b] += 1;
        hits[b] += u64::from(t);
    }
    // Empty bins are left out, as scikit-learn's calibration_curve does.
    let kept: Vec<usize> = (0..bins).filter(|&b| count[b] > 0).collect();
    Calibration {
        of: of.to_string(),
        mean_predicted: kept.iter().map(|&b| sum[b] / count[b] as f64).collect(),
        fraction_positive: kept
            .iter()
            .map(|&b| hits[b] as f64 / count[b] as f64)
            .collect(),
        count: kept.iter().map(|&b| count[b]).collect(),
    }
}

/// Plots of a regressor from its test split.
pub fn regression(y: &[f32], pred: &[f32]) -> Plots {
    let mut plots = Plots::new();
    let pairs: Vec<(f64, f64)> = y
        .iter()
        .zip(pred)
        .filter(|(a, p)| a.is_finite() && p.is_finite())
        .map(|(&a, &p)| (f64::from(a), f64::from(p)))
        .collect();
    if pairs.is_empty() {
        return plots;
    }
    let step = pairs.len().div_ceil(MAX_SAMPLE);
    let sample: Vec<&(f64, f64)> = pairs.iter().step_by(step).collect();
    plots.predicted_vs_actual = Some(Sample {
        actual: sample.iter().map(|p| p.0).collect(),
        predicted: sample.iter().map(|p| p.1).collect(),
    });
    let residuals: Vec<f64> = pairs.iter().map(|(a, p)| a - p).collect();
    plots.residuals = Some(histogram(&residuals, RESIDUAL_BINS));
    plots
}

/// Equal-width bins between the smallest and the largest finite value.
pub fn histogram(values: &[f64], bins: usize) -> Histogram {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if finite.is_empty() || bins == 0 {
        return Histogram {
            edges: Vec::new(),
            counts: Vec::new(),
        };
    }
    // One value (or all equal): one bin around it.
    if lo == hi {
        return Histogram {
            edges: vec![lo - 0.5, hi + 0.5],
            counts: vec![finite.len() as u64],
        };
    }
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for v in finite {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    Histogram {
        edges: (0..=bins).map(|i| lo + width * i as f64).collect(),
        counts,
    }
}

/// Test rows per cluster (cluster numbers as `predict` returns them).
pub fn cluster_sizes(clusters: &[f32]) -> Option<Vec<u64>> {
    let max = clusters
        .iter()
        .filter(|c| c.is_finite() && **c >= 0.0)
        .fold(-1.0f32, |m, &c| m.max(c));
    if max < 0.0 || max as usize >= 10_000 {
        return None;
    }
    let mut sizes = vec![0u64; max as usize + 1];
    for &c in clusters {
        if c.is_finite() && c >= 0.0 {
            sizes[c as usize] += 1;
        }
    }
    Some(sizes)
}

/// Each component's share of the variance of `x` (the test rows): the variance of the rows
/// projected on it over the total variance of the inputs, as cumulative_explained_variance sums.
pub fn explained_variance(x: &Matrix, projected: &[Vec<f32>]) -> Option<Vec<f64>> {
    let n = x.rows();
    let k = projected.first()?.len();
    if n < 2 || projected.len() != n || projected.iter().any(|r| r.len() != k) {
        return None;
    }
    let sum_sq = |values: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = values.collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>()
    };
    let total: f64 = (0..x.cols())
        .map(|j| sum_sq(&mut x.col(j).iter().map(|&v| f64::from(v))))
        .sum();
    if total <= 0.0 {
        return None;
    }
    Some(
        (0..k)
            .map(|c| finite(sum_sq(&mut projected.iter().map(|r| f64::from(r[c]))) / total))
            .collect(),
    )
}

/// The labels a loss curve is computed against.
#[derive(Debug, Clone, Copy)]
pub enum LossLabels<'a> {
    Values(&'a [f32]),
    Classes(&'a [u32]),
}

/// A boosted tree ensemble's loss after each round on the training and test rows: XGBoost's
/// `evals_result()` for its default metric (rmse for regression, logloss for classification),
/// recomputed from the trees. Rows beyond [`MAX_LOSS_ROWS`] are sampled with a stride.
pub fn loss_curve(
    ensemble: &TreeEnsemble,
    x_train: &Matrix,
    y_train: LossLabels<'_>,
    x_test: &Matrix,
    y_test: LossLabels<'_>,
) -> Option<LossCurve> {
    // Only the objectives whose default metric is rmse or logloss; the others (poisson, gamma,
    // hinge, ...) have no curve rather than a curve of another loss.
    let (groups, metric) = match ensemble.objective {
        Objective::SquaredError => (1, Metric::Rmse),
        Objective::Logistic | Objective::LogitRaw => (1, Metric::LogLoss),
        Objective::Softprob { num_class } | Objective::Softmax { num_class } => {
            (num_class.max(1), Metric::MultiLogLoss)
        }
        _ => return None,
    };
    let rounds = ensemble.trees.len() / groups;
    if rounds < 2 || !ensemble.trees.len().is_multiple_of(groups) {
        return None;
    }
    // Every tree must add to a group this many margins hold.
    if ensemble.tree_class.len() != ensemble.trees.len()
        || ensemble.tree_class.iter().any(|&c| c as usize >= groups)
    {
        return None;
    }
    let start = vec![f64::from(ensemble.base_margin); groups];
    let add = |r: usize, x: &[f32], margins: &mut [f64]| {
        for t in r * groups..(r + 1) * groups {
            let class = ensemble.tree_class[t] as usize;
            margins[class] += f64::from(leaf(&ensemble.trees[t], x));
        }
    };
    Some(LossCurve {
        metric: metric.name().to_string(),
        train: staged_losses(metric, &start, rounds, &add, x_train, y_train)?,
        validation: staged_losses(metric, &start, rounds, &add, x_test, y_test)?,
    })
}

/// A boosted model that can be evaluated stage by stage (gradient_boosting_trees,
/// hist_gradient_boosting, catboost), for its per-iteration losses.
pub trait Staged {
    /// How raw scores become predictions.
    fn output(&self) -> Output;
    /// The raw score per output before the first stage.
    fn start(&self) -> &[f64];
    fn stages(&self) -> usize;
    /// Adds stage `stage`'s trees' contribution for row `x` to `raw`.
    fn add_stage(&self, stage: usize, x: &[f32], raw: &mut [f64]);
}

/// A staged model's loss after each iteration on the training and test rows: scikit-learn's
/// `train_score_` / `validation_score_` and CatBoost's `evals_result_`, as rmse for regression
/// (whatever loss was fitted: the curve is of the same measure as XGBoost's), logloss for binary
/// and mlogloss for multi-class models. Models with another link (poisson, gamma, exponential
/// loss) have no curve. Rows beyond [`MAX_LOSS_ROWS`] are sampled with a stride.
pub fn staged_loss_curve(
    model: &dyn Staged,
    x_train: &Matrix,
    y_train: LossLabels<'_>,
    x_test: &Matrix,
    y_test: LossLabels<'_>,
) -> Option<LossCurve> {
    let start = model.start();
    let metric = match (model.output(), start.len()) {
        (Output::Identity, 1) => Metric::Rmse,
        (Output::Logistic, 1) => Metric::LogLoss,
        (Output::Softmax, k) if k >= 2 => Metric::MultiLogLoss,
        _ => return None,
    };
    let rounds = model.stages();
    if rounds < 2 {
        return None;
    }
    let add = |r: usize, x: &[f32], raw: &mut [f64]| model.add_stage(r, x, raw);
    Some(LossCurve {
        metric: metric.name().to_string(),
        train: staged_losses(metric, start, rounds, &add, x_train, y_train)?,
        validation: staged_losses(metric, start, rounds, &add, x_test, y_test)?,
    })
}

#[derive(Debug, Clone, Copy)]
enum Metric {
    Rmse,
    LogLoss,
    MultiLogLoss,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Rmse => "rmse",
            Metric::LogLoss => "logloss",
            Metric::MultiLogLoss => "mlogloss",
        }
    }
}

/// Adds stage `r`'s contribution for row `x` to its raw scores: `add(r, x, raw)`.
type AddStage<'a> = dyn Fn(usize, &[f32], &mut [f64]) + 'a;

/// The loss after each of `rounds` stages: `add(r, x, raw)` adds stage r to a row's raw scores,
/// which start at `start` (one per output).
fn staged_losses(
    metric: Metric,
    start: &[f64],
    rounds: usize,
    add: &AddStage<'_>,
    x: &Matrix,
    y: LossLabels<'_>,
) -> Option<Vec<f64>> {
    let n = match y {
        LossLabels::Values(v) => v.len(),
        LossLabels::Classes(c) => c.len(),
    };
    let groups = start.len();
    if n == 0 || n != x.rows() || groups == 0 {
        return None;
    }
    let rows: Vec<usize> = (0..n).step_by(n.div_ceil(MAX_LOSS_ROWS)).collect();
    let xs: Vec<Vec<f32>> = rows.iter().map(|&i| x.row(i)).collect();
    let mut margins: Vec<f64> = rows.iter().flat_map(|_| start.iter().copied()).collect();
    let mut out = Vec::with_capacity(rounds);
    for r in 0..rounds {
        for (j, row) in xs.iter().enumerate() {
            add(r, row, &mut margins[j * groups..(j + 1) * groups]);
        }
        let loss = match (metric, y) {
            (Metric::Rmse, LossLabels::Values(v)) => {
                let se: f64 = rows
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| (margins[j] - f64::from(v[i])).powi(2))
                    .sum();
                (se / rows.len() as f64).sqrt()
            }
            (Metric::LogLoss, LossLabels::Classes(c)) => {
                let ll: f64 = rows
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| {
                        let p = (1.0 / (1.0 + (-margins[j]).exp())).clamp(1e-15, 1.0 - 1e-15);
                        if c[i] == 1 {
                            -p.ln()
                        } else {
                            -(1.0 - p).ln()
                        }
                    })
                    .sum();
                ll / rows.len() as f64
            }
            (Metric::MultiLogLoss, LossLabels::Classes(c)) => {
                let ll: f64 = rows
                    .iter()
                    .enumerate()
                    .map(|(j, &i)| {
                        let m = &margins[j * groups..(j + 1) * groups];
                        let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let sum: f64 = m.iter().map(|v| (v - max).exp()).sum();
                        let p = ((m.get(c[i] as usize).copied().unwrap_or(f64::NEG_INFINITY)
                            - max)
                            .exp()
                            / sum)
                            .clamp(1e-15, 1.0);
                        -p.ln()
                    })
                    .sum();
                ll / rows.len() as f64
            }
            _ => return None,
        };
        out.push(finite(loss));
    }
    Some(out)
}

/// The leaf value `tree` gives `x`: the walk of `Tree::leaf` (x < value goes left, a missing
/// value follows default_left), repeated here because the plots need it per round.
fn leaf(tree: &Tree, x: &[f32]) -> f32 {
    let mut i = 0usize;
    for _ in 0..tree.left.len() {
        let l = tree.left[i];
        if l < 0 {
            return tree.value[i];
        }
        let v = x.get(tree.feature[i] as usize).copied().unwrap_or(f32::NAN);
        let go_left = if v.is_nan() {
            tree.default_left[i]
        } else {
            v < tree.value[i]
        };
        i = if go_left {
            l as usize
        } else {
            tree.right[i] as usize
        };
        if i >= tree.left.len() {
            break;
        }
    }
    // A malformed tree (a cycle or an index out of range): contributes nothing.
    0.0
}

/// The search's candidates as the dashboard plots them: the parameters that differ between
/// candidates, each candidate's fold scores summarized, and mean fit time per fold.
pub fn search(
    metric: &str,
    chosen: usize,
    params: &[serde_json::Value],
    fold_scores: &[Vec<f64>],
    fit_times: &[f64],
) -> SearchPlot {
    let varying: Vec<String> = params
        .first()
        .and_then(|p| p.as_object())
        .map(|first| {
            first
                .keys()
                .filter(|k| params.iter().any(|p| p.get(k.as_str()) != first.get(*k)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let candidates = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let scores = fold_scores.get(i).map(Vec::as_slice).unwrap_or(&[]);
            let n = scores.len().max(1) as f64;
            let mean = scores.iter().sum::<f64>() / n;
            let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
            Candidate {
                params: varying
                    .iter()
                    .filter_map(|k| p.get(k).map(|v| (k.clone(), v.clone())))
                    .collect(),
                mean_score: finite(mean),
                std_score: finite(var.sqrt()),
                fit_time: finite(fit_times.get(i).copied().unwrap_or(0.0)),
            }
        })
        .collect();
    SearchPlot {
        metric: metric.to_string(),
        chosen,
        candidates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_matrix_counts_actual_by_predicted() {
        let p = classification(&[0, 0, 1, 1, 2], &[0, 1, 1, 1, 0], None, 3);
        assert_eq!(
            p.confusion_matrix.unwrap().matrix,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 0]]
        );
        assert!(p.roc.is_empty() && p.calibration.is_none());
    }

    /// Same numbers as scikit-learn: roc_curve / roc_auc_score / average_precision_score on
    /// y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8] give AUC 0.75, AP 0.8333.
    #[test]
    fn roc_and_average_precision_match_scikit_learn() {
        let y = [0, 0, 1, 1];
        let s = [0.1f32, 0.4, 0.35, 0.8];
        let proba: Vec<f32> = s.iter().flat_map(|&p| [1.0 - p, p]).collect();
        let p = classification(&y, &[0, 1, 0, 1], Some(&proba), 2);
        assert_eq!(p.roc.len(), 1);
        assert!((p.roc[0].auc - 0.75).abs() < 1e-12, "{}", p.roc[0].auc);
        assert_eq!(
            p.roc[0].points,
            vec![[0.0, 0.0], [0.0, 0.5], [0.5, 0.5], [0.5, 1.0], [1.0, 1.0]]
        );
        let ap = p.precision_recall[0].auc;
        assert!((ap - (0.5 * 1.0 + 0.5 * (2.0 / 3.0))).abs() < 1e-12, "{ap}");
        // The ROC AUC agrees with the metric pgml already reports.
        let m = crate::metrics::classification(&y, &[0, 1, 0, 1], Some(&proba), 2);
        assert!((m["roc_auc"] - p.roc[0].auc).abs() < 1e-12);
    }

    #[test]
    fn multiclass_has_a_curve_per_class_and_top_class_calibration() {
        let y = [0, 1, 2, 0, 1, 2];
        let proba = [
            0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7, 0.5, 0.4, 0.1, 0.3, 0.3, 0.4, 0.1, 0.1,
            0.8,
        ];
        let p = classification(&y, &[0, 1, 2, 0, 2, 2], Some(&proba), 3);
        assert_eq!(p.roc.iter().map(|c| c.class).collect::<Vec<_>>(), [0, 1, 2]);
        let cal = p.calibration.unwrap();
        assert_eq!(cal.of, "top class");
        assert_eq!(cal.count.iter().sum::<u64>(), 6);
        // The 0.4 row (bin 4) is the only wrong top prediction.
        let at = cal
            .mean_predicted
            .iter()
            .position(|&m| (m - 0.4).abs() < 1e-6);
        assert_eq!(cal.fraction_positive[at.unwrap()], 0.0);
    }

    #[test]
    fn a_split_without_positives_has_no_curve() {
        let proba = [0.9f32, 0.1, 0.8, 0.2];
        let p = classification(&[0, 0], &[0, 0], Some(&proba), 2);
        assert!(p.roc.is_empty() && p.precision_recall.is_empty());
        assert!(p.confusion_matrix.is_some());
    }

    #[test]
    fn curves_are_thinned_but_keep_their_ends() {
        let n = 5000;
        let y: Vec<u32> = (0..n).map(|i| (i % 3 == 0) as u32).collect();
        let proba: Vec<f32> = (0..n)
            .flat_map(|i| {
                let p = (i as f32 / n as f32 + if i % 3 == 0 { 0.2 } else { 0.0 }).min(1.0);
                [1.0 - p, p]
            })
            .collect();
        let pred: Vec<u32> = (0..n).map(|i| (proba[2 * i + 1] > 0.5) as u32).collect();
        let p = classification(&y, &pred, Some(&proba), 2);
        let roc = &p.roc[0].points;
        assert_eq!(roc.len(), MAX_CURVE_POINTS);
        assert_eq!(roc[0], [0.0, 0.0]);
        assert_eq!(roc[roc.len() - 1], [1.0, 1.0]);
        let m = crate::metrics::classification(&y, &pred, Some(&proba), 2);
        assert!((m["roc_auc"] - p.roc[0].auc).abs() < 1e-9);
    }

    #[test]
    fn regression_sample_and_residuals() {
        let y: Vec<f32> = (0..2000).map(|i| i as f32).collect();
        let pred: Vec<f32> = y.iter().map(|v| v + ((*v as i32 % 5) - 2) as f32).collect();
        let p = regression(&y, &pred);
        let s = p.predicted_vs_actual.unwrap();
        assert_eq!(s.actual.len(), MAX_SAMPLE);
        assert_eq!(s.actual[1], 4.0);
        let h = p.residuals.unwrap();
        assert_eq!(h.counts.len(), RESIDUAL_BINS);
        assert_eq!(h.counts.iter().sum::<u64>(), 2000);
        assert_eq!((h.edges[0], h.edges[RESIDUAL_BINS]), (-2.0, 2.0));
    }

    #[test]
    fn histogram_of_equal_values_is_one_bin() {
        let h = histogram(&[3.0, 3.0, f64::NAN], 10);
        assert_eq!(h.counts, vec![2]);
        assert_eq!(h.edges, vec![2.5, 3.5]);
        assert!(histogram(&[], 10).counts.is_empty());
    }

    #[test]
    fn search_keeps_the_varying_parameters_and_summarizes_folds() {
        let params = [
            serde_json::json!({"alpha": 1.0, "fit_intercept": true}),
            serde_json::json!({"alpha": 2.0, "fit_intercept": true}),
        ];
        let s = search(
            "r2",
            1,
            &params,
            &[vec![0.5, 0.7], vec![0.9, 0.9]],
            &[0.1, 0.2],
        );
        assert_eq!(s.candidates[0].params.len(), 1);
        assert_eq!(s.candidates[1].params["alpha"], 2.0);
        assert!((s.candidates[0].mean_score - 0.6).abs() < 1e-12);
        assert!((s.candidates[0].std_score - 0.1).abs() < 1e-12);
        assert_eq!(s.candidates[1].std_score, 0.0);
    }

    #[test]
    fn cluster_sizes_count_each_cluster() {
        assert_eq!(cluster_sizes(&[0.0, 2.0, 2.0, 1.0]), Some(vec![1, 1, 2]));
        assert_eq!(cluster_sizes(&[f32::NAN]), None);
    }

    #[test]
    fn json_leaves_out_what_is_missing_and_round_trips() {
        let p = regression(&[1.0, 2.0, 3.0], &[1.0, 2.5, 2.0]);
        let j = p.to_json();
        assert!(j.get("roc").is_none() && j.get("confusion_matrix").is_none());
        assert_eq!(j["version"], VERSION);
        let back: Plots = serde_json::from_value(j).unwrap();
        assert_eq!(back, p);
    }
}
