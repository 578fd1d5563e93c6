//! `ada_boost`: scikit-learn's AdaBoostClassifier (SAMME, on depth-1 CART trees) and
//! AdaBoostRegressor (AdaBoost.R2, on depth-3 CART trees fitted to weighted resamples of the
//! rows), with scikit-learn's parameters and defaults. Boosting is sequential, so one thread; the
//! cancel check runs before every tree.

use serde::{Deserialize, Serialize};

use super::cart::{self, CartTree, Criterion, MaxFeatures, Size, Splitter, TreeParams};
use super::params::{float, int, INF};
use super::xgboost::RANDOM_STATE;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct AdaBoost;

const N_ESTIMATORS: Param = int("n_estimators", 1, 100_000, DefaultValue::Int(50));
const LEARNING_RATE: Param = float("learning_rate", 0.0, INF, true, DefaultValue::Float(1.0));

const CLASSIFICATION: &[Param] = &[
    N_ESTIMATORS,
    LEARNING_RATE,
    // SAMME.R is deprecated in scikit-learn 1.4 and gone in 1.6.
    Param {
        name: "algorithm",
        kind: Kind::Choice(&["SAMME"]),
        default: DefaultValue::Str("SAMME"),
    },
    RANDOM_STATE,
];

const REGRESSION: &[Param] = &[
    N_ESTIMATORS,
    LEARNING_RATE,
    Param {
        name: "loss",
        kind: Kind::Choice(&["linear", "square", "exponential"]),
        default: DefaultValue::Str("linear"),
    },
    RANDOM_STATE,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    Linear,
    Square,
    Exponential,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub n_estimators: usize,
    pub learning_rate: f64,
    pub loss: Loss,
    pub random_state: u64,
}

impl Learner for AdaBoost {
    type Options = Options;

    fn name(&self) -> &'static str {
        "ada_boost"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "AdaBoostClassifier",
            _ => "AdaBoostRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<Options> {
        let loss = match task {
            Task::Classification => Loss::Linear,
            _ => match params.str("loss")? {
                "square" => Loss::Square,
                "exponential" => Loss::Exponential,
                _ => Loss::Linear,
            },
        };
        Ok(Options {
            n_estimators: params.usize("n_estimators")?,
            learning_rate: params.float("learning_rate")?,
            loss,
            random_state: params.usize("random_state")? as u64,
        })
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        if x.rows() == 0 || x.cols() == 0 {
            return Err(Error::bad_data(
                "a tree needs at least one row and one feature",
                "check the relation and the features",
            ));
        }
        if (0..x.cols()).any(|j| x.col(j).iter().any(|v| v.is_nan())) {
            return Err(Error::bad_data(
                "the features have NaN values; pgml's trees do not split on missing values yet",
                "impute them: preprocess => '{\"column\": {\"impute\": \"mean\"}}'",
            ));
        }
        let model = match labels {
            Labels::Classes { codes, num_classes } => {
                samme(x, codes, num_classes, o, check_interrupts)?
            }
            Labels::Values(y) => r2(x, y, o, check_interrupts),
            Labels::None => return Err(super::wrong_labels(self.name(), task)),
        };
        Ok(Fitted::AdaBoost(model))
    }
}

/// scikit-learn's default base trees: DecisionTreeClassifier(max_depth=1) and
/// DecisionTreeRegressor(max_depth=3).
fn base_tree(criterion: Criterion, max_depth: usize) -> TreeParams {
    TreeParams {
        criterion,
        splitter: Splitter::Best,
        max_depth: Some(max_depth),
        min_samples_split: Size::Count(2),
        min_samples_leaf: Size::Count(1),
        min_weight_fraction_leaf: 0.0,
        max_features: MaxFeatures::All,
        max_leaf_nodes: None,
        min_impurity_decrease: 0.0,
    }
}

fn grow(
    x: &Matrix,
    target: cart::Target<'_>,
    weight: &[f64],
    params: &TreeParams,
    rng: &mut SplitMix64,
    check_interrupts: &dyn Fn(),
) -> (CartTree, Vec<f64>) {
    let samples = (0..x.rows() as u32)
        .filter(|&i| weight[i as usize] > 0.0)
        .collect();
    let grown = cart::grow(
        x,
        target,
        weight,
        samples,
        (0..x.cols()).collect(),
        params,
        rng,
        &mut || {
            check_interrupts();
            false
        },
    );
    // The stop callback never asks to stop (a cancel unwinds out of check_interrupts).
    match grown {
        Ok(g) => {
            // scikit-learn's tree importances: normalized, all zero for a single leaf.
            let total: f64 = g.importances.iter().sum();
            let importances = if total > 0.0 {
                g.importances.iter().map(|v| v / total).collect()
            } else {
                vec![0.0; g.importances.len()]
            };
            (g.tree, importances)
        }
        Err(cart::Stopped) => unreachable!("the tree's stop callback always returns false"),
    }
}

/// SAMME (scikit-learn's `_boost_discrete`): each tree's error on the weighted rows gives its
/// say, `learning_rate · (ln((1 − err) / err) + ln(k − 1))`, and multiplies the weights of the
/// rows it got wrong by e^say.
fn samme(
    x: &Matrix,
    codes: &[u32],
    k: usize,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<AdaBoostModel> {
    let n = x.rows();
    let params = base_tree(Criterion::Gini, 1);
    let target = cart::Target::Classes { codes, k };
    let mut master = SplitMix64(o.random_state);
    let mut weight = vec![1.0 / n as f64; n];
    let mut model = AdaBoostModel {
        num_features: x.cols(),
        num_classes: k,
        trees: Vec::new(),
        weights: Vec::new(),
        feature_importances: vec![0.0; x.cols()],
    };
    for round in 0..o.n_estimators {
        check_interrupts();
        let mut rng = SplitMix64(master.next_u64());
        let (tree, importances) = grow(x, target, &weight, &params, &mut rng, check_interrupts);
        let wrong: Vec<bool> = (0..n)
            .map(|i| tree_class(&tree, x, i, k) != codes[i] as usize)
            .collect();
        let total: f64 = weight.iter().sum();
        let error = (0..n).filter(|&i| wrong[i]).map(|i| weight[i]).sum::<f64>() / total;
        if error <= 0.0 {
            model.push(tree, 1.0, &importances);
            break;
        }
        if error >= 1.0 - 1.0 / k as f64 {
            if model.trees.is_empty() {
                return Err(Error::bad_data(
                    "ada_boost's first tree is no better than chance, so the ensemble cannot be fit",
                    "check the labels, or use another algorithm",
                ));
            }
            break;
        }
        let say = o.learning_rate * (((1.0 - error) / error).ln() + (k as f64 - 1.0).ln());
        model.push(tree, say, &importances);
        if round + 1 == o.n_estimators {
            break;
        }
        for i in 0..n {
            if wrong[i] && weight[i] > 0.0 {
                weight[i] = (weight[i].ln() + say).exp();
            }
        }
        let sum: f64 = weight.iter().sum();
        if !sum.is_finite() || sum <= 0.0 {
            break;
        }
        weight.iter_mut().for_each(|w| *w /= sum);
    }
    model.finish();
    Ok(model)
}

/// AdaBoost.R2 (scikit-learn's `_boost`): each tree learns from a resample of the rows drawn by
/// weight; its relative errors give its say, `learning_rate · ln(1 / β)` with `β = err / (1 −
/// err)`, and shrink the weights of the rows it predicted well.
fn r2(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> AdaBoostModel {
    let n = x.rows();
    let params = base_tree(Criterion::SquaredError, 3);
    let target = cart::Target::Values(y);
    let mut master = SplitMix64(o.random_state);
    let mut weight = vec![1.0 / n as f64; n];
    let mut model = AdaBoostModel {
        num_features: x.cols(),
        num_classes: 0,
        trees: Vec::new(),
        weights: Vec::new(),
        feature_importances: vec![0.0; x.cols()],
    };
    for round in 0..o.n_estimators {
        check_interrupts();
        let mut rng = SplitMix64(master.next_u64());
        // n rows drawn with replacement, each with its weight's probability; the draws are the
        // tree's sample weights.
        let mut cumulative = Vec::with_capacity(n);
        let mut acc = 0.0;
        for &w in &weight {
            acc += w;
            cumulative.push(acc);
        }
        let mut counts = vec![0.0f64; n];
        for _ in 0..n {
            let u = rng.unit() * acc;
            let i = cumulative.partition_point(|&c| c <= u).min(n - 1);
            counts[i] += 1.0;
        }
        let (tree, importances) = grow(x, target, &counts, &params, &mut rng, check_interrupts);
        let mut error: Vec<f64> = (0..n)
            .map(|i| f64::from((tree.leaf_values[tree.leaf_of_row(x, i)] - y[i]).abs()))
            .collect();
        let max = (0..n)
            .filter(|&i| weight[i] > 0.0)
            .map(|i| error[i])
            .fold(0.0, f64::max);
        if max != 0.0 {
            error.iter_mut().for_each(|e| *e /= max);
        }
        match o.loss {
            Loss::Linear => {}
            Loss::Square => error.iter_mut().for_each(|e| *e *= *e),
            Loss::Exponential => error.iter_mut().for_each(|e| *e = 1.0 - (-*e).exp()),
        }
        let estimator_error: f64 = (0..n)
            .filter(|&i| weight[i] > 0.0)
            .map(|i| weight[i] * error[i])
            .sum();
        if estimator_error <= 0.0 {
            model.push(tree, 1.0, &importances);
            break;
        }
        if estimator_error >= 0.5 {
            // scikit-learn keeps a bad first tree (with no say), and drops a later one.
            if model.trees.is_empty() {
                model.push(tree, 0.0, &importances);
            }
            break;
        }
        let beta = estimator_error / (1.0 - estimator_error);
        model.push(tree, o.learning_rate * (1.0 / beta).ln(), &importances);
        if round + 1 == o.n_estimators {
            break;
        }
        for i in 0..n {
            if weight[i] > 0.0 {
                weight[i] *= beta.powf((1.0 - error[i]) * o.learning_rate);
            }
        }
        let sum: f64 = weight.iter().sum();
        if !sum.is_finite() || sum <= 0.0 {
            break;
        }
        weight.iter_mut().for_each(|w| *w /= sum);
    }
    model.finish();
    model
}

/// The class a classification tree gives row `i` (the first most probable, numpy's argmax).
fn tree_class(tree: &CartTree, x: &Matrix, i: usize, k: usize) -> usize {
    let leaf = tree.leaf_of_row(x, i);
    argmax_f32(&tree.leaf_values[leaf * k..(leaf + 1) * k])
}

fn argmax_f32(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &p) in v.iter().enumerate() {
        if p > v[best] {
            best = i;
        }
    }
    best
}

/// Boosted trees and their says. Classification: each tree votes for its leaf's class with its
/// say; regression: the say-weighted median of the trees' values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredAdaBoost")]
pub struct AdaBoostModel {
    pub num_features: usize,
    /// 0 for regression.
    pub num_classes: usize,
    pub trees: Vec<CartTree>,
    pub weights: Vec<f64>,
    /// The say-weighted mean of the trees' importances (scikit-learn's `feature_importances_`).
    pub feature_importances: Vec<f64>,
}

#[derive(Deserialize)]
struct StoredAdaBoost {
    num_features: usize,
    num_classes: usize,
    trees: Vec<CartTree>,
    weights: Vec<f64>,
    feature_importances: Vec<f64>,
}

impl TryFrom<StoredAdaBoost> for AdaBoostModel {
    type Error = String;
    fn try_from(s: StoredAdaBoost) -> std::result::Result<AdaBoostModel, String> {
        if s.trees.is_empty() || s.trees.len() != s.weights.len() || s.num_classes == 1 {
            return Err("boosted trees without trees, or with one class".into());
        }
        for (i, t) in s.trees.iter().enumerate() {
            t.check(s.num_features, s.num_classes.max(1))
                .map_err(|e| format!("tree {i}: {e}"))?;
        }
        Ok(AdaBoostModel {
            num_features: s.num_features,
            num_classes: s.num_classes,
            trees: s.trees,
            weights: s.weights,
            feature_importances: s.feature_importances,
        })
    }
}

impl AdaBoostModel {
    fn push(&mut self, tree: CartTree, weight: f64, importances: &[f64]) {
        self.trees.push(tree);
        self.weights.push(weight);
        for (a, b) in self.feature_importances.iter_mut().zip(importances) {
            *a += weight * b;
        }
    }

    /// Divides the importances by the sum of the says.
    fn finish(&mut self) {
        let total: f64 = self.weights.iter().sum();
        if total > 0.0 {
            self.feature_importances
                .iter_mut()
                .for_each(|v| *v /= total);
        }
    }

    /// SAMME's decision: each class's share of the says.
    fn votes(&self, x: &[f32]) -> Vec<f64> {
        let k = self.num_classes;
        let mut votes = vec![0.0; k];
        for (t, &w) in self.trees.iter().zip(&self.weights) {
            votes[argmax_f32(t.leaf_outputs(x, k))] += w;
        }
        let total: f64 = self.weights.iter().sum();
        if total > 0.0 {
            votes.iter_mut().for_each(|v| *v /= total);
        }
        votes
    }
}

impl Predictor for AdaBoostModel {
    fn num_features(&self) -> usize {
        self.num_features
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        if self.num_classes > 0 {
            let votes = self.votes(x);
            let mut best = 0;
            for (c, &v) in votes.iter().enumerate() {
                if v > votes[best] {
                    best = c;
                }
            }
            return Some(best as f32);
        }
        // The weighted median: the smallest value whose cumulative say reaches half.
        let mut values: Vec<(f32, f64)> = self
            .trees
            .iter()
            .zip(&self.weights)
            .map(|(t, &w)| (t.leaf_outputs(x, 1)[0], w))
            .collect();
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        let half = values.iter().map(|v| v.1).sum::<f64>() / 2.0;
        let mut cumulative = 0.0;
        for &(v, w) in &values {
            cumulative += w;
            if cumulative >= half {
                return Some(v);
            }
        }
        values.last().map(|v| v.0)
    }

    /// scikit-learn's SAMME probabilities: the softmax of the decision over k − 1 (for two
    /// classes, of ∓ half the difference of the votes).
    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        if self.num_classes == 0 {
            return None;
        }
        let votes = self.votes(x);
        let scaled: Vec<f64> = if self.num_classes == 2 {
            let d = votes[1] - votes[0];
            vec![-d / 2.0, d / 2.0]
        } else {
            let k1 = (self.num_classes - 1) as f64;
            votes.iter().map(|v| v / k1).collect()
        };
        let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scaled.iter().map(|v| (v - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        Some(exp.iter().map(|e| (e / sum) as f32).collect())
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.feature_importances.clone())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::Algorithm;
    use super::*;

    fn data() -> (Matrix, Vec<u32>, Vec<f32>) {
        let mut rng = SplitMix64(4);
        let rows: Vec<Vec<f32>> = (0..300)
            .map(|_| (0..3).map(|_| rng.unit() as f32).collect())
            .collect();
        let codes = rows
            .iter()
            .map(|r| u32::from(r[0] > 0.3) + u32::from(r[1] > 0.6))
            .collect();
        let y = rows.iter().map(|r| 4.0 * r[0] + r[1] * r[1]).collect();
        (Matrix::from_rows(&rows).unwrap(), codes, y)
    }

    #[test]
    fn boosting_fits_and_probabilities_sum_to_one() {
        let (x, codes, y) = data();
        let a = Algorithm::parse("ada_boost").unwrap();
        let params = a.resolve(Task::Classification, &json!({})).unwrap();
        let labels = Labels::Classes {
            codes: &codes,
            num_classes: 3,
        };
        let calls = std::cell::Cell::new(0);
        let m = a
            .fit(Task::Classification, &params, &x, labels, &|| {
                calls.set(calls.get() + 1)
            })
            .unwrap();
        assert!(calls.get() >= 50, "{} checks", calls.get());
        let right = (0..300)
            .filter(|&i| m.predict(&x.row(i)) == Some(codes[i] as f32))
            .count();
        assert!(right > 200, "{right}");
        let p = m.predict_proba(&x.row(0)).unwrap();
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let bytes = m.fitted().to_bytes().unwrap();
        assert_eq!(
            &Fitted::from_bytes("adaboost_trees", &bytes)
                .unwrap()
                .unwrap(),
            m.fitted()
        );

        for loss in ["linear", "square", "exponential"] {
            let params = a
                .resolve(Task::Regression, &json!({ "loss": loss }))
                .unwrap();
            let m = a
                .fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {})
                .unwrap();
            let pred: Vec<f32> = (0..300).map(|i| m.predict(&x.row(i)).unwrap()).collect();
            let r2 = crate::metrics::regression(&y, &pred)["r2"];
            assert!(r2 > 0.9, "{loss}: {r2}");
        }
        let e = a
            .resolve(Task::Classification, &json!({"algorithm": "SAMME.R"}))
            .unwrap_err();
        assert!(e.to_string().contains("one of SAMME"), "{e}");
        let e = a
            .resolve(Task::Regression, &json!({"learning_rate": 0}))
            .unwrap_err();
        assert!(e.to_string().contains("greater than 0"), "{e}");
    }
}
