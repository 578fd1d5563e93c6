//! Hyperparameter declarations several algorithms share (scikit-learn's names and defaults).

use crate::hyperparams::{DefaultValue, Kind, Param};

pub const INF: f64 = f64::INFINITY;

pub const fn float(
    name: &'static str,
    min: f64,
    max: f64,
    min_exclusive: bool,
    default: DefaultValue,
) -> Param {
    Param {
        name,
        kind: Kind::Float {
            min,
            max,
            min_exclusive,
        },
        default,
    }
}

pub const fn int(name: &'static str, min: i64, max: i64, default: DefaultValue) -> Param {
    Param {
        name,
        kind: Kind::Int { min, max },
        default,
    }
}

pub const FIT_INTERCEPT: Param = Param {
    name: "fit_intercept",
    kind: Kind::Bool,
    default: DefaultValue::Bool(true),
};
pub const ALPHA: Param = float("alpha", 0.0, INF, false, DefaultValue::Float(1.0));
pub const TOL: Param = float("tol", 0.0, INF, true, DefaultValue::Float(1e-4));

pub const fn max_iter(default: i64) -> Param {
    int("max_iter", 1, 1_000_000, DefaultValue::Int(default))
}

/// XGBoost's thread count; the extension caps it by `pgml.training_threads` (0 means the cap).
pub const NTHREAD: Param = int("nthread", 0, 1024, DefaultValue::Int(0));

/// One of `options` (scikit-learn's and XGBoost's string choices).
pub const fn choice(
    name: &'static str,
    options: &'static [&'static str],
    default: DefaultValue,
) -> Param {
    Param {
        name,
        kind: Kind::Choice(options),
        default,
    }
}
