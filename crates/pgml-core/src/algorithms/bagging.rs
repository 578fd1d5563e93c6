//! `bagging`: scikit-learn's BaggingRegressor / BaggingClassifier of CART trees (its default
//! estimator): each of `n_estimators` fully grown trees (`cart`, all of its features at every
//! split) learns from `max_samples` rows (drawn with replacement when `bootstrap`) and
//! `max_features` features (with replacement when `bootstrap_features`); predictions are the mean
//! of the trees' leaves (class probabilities for classification). Same parameters and defaults as
//! scikit-learn, plus `nthread`.

use super::cart::{Criterion, MaxFeatures, Size, Splitter, TreeParams};
use super::forest::{self, bootstrap, max_samples, Draw, ForestOptions};
use super::params::{int, NTHREAD};
use super::xgboost::RANDOM_STATE;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{Amount, DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Bagging;

const PARAMS: &[Param] = &[
    int(
        "n_estimators",
        1,
        forest::MAX_ESTIMATORS,
        DefaultValue::Int(10),
    ),
    max_samples(DefaultValue::Float(1.0)),
    Param {
        name: "max_features",
        kind: Kind::CountOrFraction {
            min: 1,
            max: i32::MAX as i64,
            fraction_below_one: false,
            names: &[],
        },
        default: DefaultValue::Float(1.0),
    },
    bootstrap(true),
    Param {
        name: "bootstrap_features",
        kind: Kind::Bool,
        default: DefaultValue::Bool(false),
    },
    NTHREAD,
    RANDOM_STATE,
];

fn size(params: &Hyperparams, name: &str) -> Result<Size> {
    match params.amount(name)? {
        Some(Amount::Count(c)) => Ok(Size::Count(usize::try_from(c).unwrap_or(usize::MAX))),
        Some(Amount::Fraction(f)) => Ok(Size::Fraction(f)),
        _ => Err(Error::invalid(format!(
            "hyperparameter {name} of bagging must be a count or a fraction"
        ))),
    }
}

impl Learner for Bagging {
    type Options = ForestOptions;

    fn name(&self) -> &'static str {
        "bagging"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "BaggingClassifier",
            _ => "BaggingRegressor",
        }
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<ForestOptions> {
        // scikit-learn's default estimator: DecisionTreeClassifier() / DecisionTreeRegressor().
        let criterion = match task {
            Task::Classification => Criterion::Gini,
            _ => Criterion::SquaredError,
        };
        Ok(ForestOptions {
            tree: TreeParams {
                criterion,
                splitter: Splitter::Best,
                max_depth: None,
                min_samples_split: Size::Count(2),
                min_samples_leaf: Size::Count(1),
                min_weight_fraction_leaf: 0.0,
                max_features: MaxFeatures::All,
                max_leaf_nodes: None,
                min_impurity_decrease: 0.0,
            },
            n_estimators: params.usize("n_estimators")?,
            draw: Draw::Bagging {
                bootstrap: params.bool("bootstrap")?,
                max_samples: size(params, "max_samples")?,
                max_features: size(params, "max_features")?,
                bootstrap_features: params.bool("bootstrap_features")?,
            },
            oob_score: false,
            class_weight: None,
            nthread: params.usize("nthread")?,
            random_state: params.usize("random_state")? as u64,
        })
    }

    fn fit(
        &self,
        task: Task,
        o: &ForestOptions,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        forest::fit(self.name(), task, o, x, labels, check_interrupts).map(Fitted::Forest)
    }
}
