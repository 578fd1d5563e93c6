//! Gradient-boosted trees and random forests, trained by XGBoost (Debian's libxgboost) and
//! evaluated in Rust (`trees`). Hyperparameter names and defaults are XGBoost's.

use serde::{Deserialize, Serialize};

use super::trees::TreeEnsemble;
use super::Labels;
use crate::{Error, Matrix, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XgboostModel {
    pub ensemble: TreeEnsemble,
    /// XGBoost's own JSON model, for export (`xgboost.Booster().load_model(...)` reads it). Not part
    /// of the serialized model: it is stored as a file of its own (see `Model::native_files`), so
    /// that loading a model for predict reads only the compact trees.
    #[serde(skip)]
    pub native_json: Vec<u8>,
}

/// The parameters handed to XGBoost, by XGBoost's names.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Boosting rounds (one tree per class each), or 1 in random-forest mode.
    pub rounds: usize,
    pub params: Vec<(&'static str, String)>,
}

/// How many rows of the training set the Rust evaluator is checked against XGBoost on.
const SELF_CHECK_ROWS: usize = 256;

pub fn fit(
    x: &Matrix,
    labels: Labels<'_>,
    opts: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<XgboostModel> {
    let (n, p) = (x.rows(), x.cols());
    let xgb = |e: pgml_xgboost::Error| Error::bad_data(e.to_string(), "check the hyperparameters");
    let row_major: Vec<f32> = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| x.get(i, j))
        .collect();
    let mut train = pgml_xgboost::DMatrix::from_dense(&row_major, n, p).map_err(xgb)?;
    let objective: Vec<(&str, String)> = match labels {
        Labels::Values(y) => {
            train.set_labels(y).map_err(xgb)?;
            vec![("objective", "reg:squarederror".into())]
        }
        Labels::Classes { codes, num_classes } => {
            let y: Vec<f32> = codes.iter().map(|&c| c as f32).collect();
            train.set_labels(&y).map_err(xgb)?;
            if num_classes == 2 {
                vec![("objective", "binary:logistic".into())]
            } else {
                vec![
                    ("objective", "multi:softprob".into()),
                    ("num_class", num_classes.to_string()),
                ]
            }
        }
        Labels::None => {
            return Err(Error::not_supported(
                "tree ensembles need a label",
                "use kmeans for clustering and pca for decomposition",
            ))
        }
    };
    let mut booster = pgml_xgboost::Booster::new(&train).map_err(xgb)?;
    for (k, v) in objective
        .iter()
        .map(|(k, v)| (*k, v))
        .chain(opts.params.iter().map(|(k, v)| (*k, v)))
    {
        booster.set_param(k, v).map_err(xgb)?;
    }
    for round in 0..opts.rounds {
        check_interrupts();
        booster.update(round, &train).map_err(xgb)?;
    }
    let native_json = booster.save_json().map_err(xgb)?;
    let ensemble = TreeEnsemble::from_xgboost_json(&native_json)?;

    // The Rust evaluator must give XGBoost's own answers: checked on the first rows, every time.
    let rows = n.min(SELF_CHECK_ROWS);
    let sample = pgml_xgboost::DMatrix::from_dense(&row_major[..rows * p], rows, p).map_err(xgb)?;
    let theirs = booster.predict(&sample).map_err(xgb)?;
    let width = theirs.len() / rows.max(1);
    for i in 0..rows {
        let ours = ensemble.xgboost_output(&row_major[i * p..(i + 1) * p]);
        let want = &theirs[i * width..(i + 1) * width];
        let close = ours.len() == want.len()
            && ours
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() <= 1e-4 * b.abs().max(1.0));
        if !close {
            return Err(Error::BadModel {
                message: format!(
                    "pgml's tree evaluator disagrees with XGBoost on training row {i}: {ours:?} vs {want:?}"
                ),
                newer_format: false,
            });
        }
    }
    Ok(XgboostModel {
        ensemble,
        native_json,
    })
}
