//! `gaussian_process` classification (scikit-learn's GaussianProcessClassifier, Laplace
//! approximation, one-vs-rest) on the toy datasets against scikit-learn 1.5.2 on the same split
//! (rows whose index is a multiple of 4 are the test set): `benches/gpc_accuracy_sklearn.py`.
//! Run in release (the optimized kernels take many Laplace fits):
//! `cargo test --release -p pgml-core --test gaussian_process_classifier -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::labels::{self, LabelKind};
use pgml_core::{datasets, metrics, Matrix, Task};

/// (accuracy, log loss, the first test row's probabilities)
fn scores(name: &str, label: &str, hyperparams: &str) -> (f64, f64, Vec<f32>) {
    let d = datasets::find(name).unwrap();
    let at = d.columns.iter().position(|(c, _)| *c == label).unwrap();
    let (mut xtr, mut ltr, mut xte, mut lte) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, row) in d.rows().enumerate() {
        let num = |v: &str| match v {
            "true" => 1.0,
            "false" => 0.0,
            n => n.parse::<f32>().unwrap(),
        };
        let x: Vec<f32> = (0..row.len())
            .filter(|&k| k != at)
            .map(|k| num(row[k]))
            .collect();
        if i % 4 == 0 {
            xte.push(x);
            lte.push(row[at].to_string());
        } else {
            xtr.push(x);
            ltr.push(row[at].to_string());
        }
    }
    let kind = if ltr[0] == "true" || ltr[0] == "false" {
        LabelKind::Boolean
    } else {
        LabelKind::Numeric
    };
    let all: Vec<String> = ltr.iter().chain(&lte).cloned().collect();
    let enc = labels::encode(&all, kind).unwrap();
    let (ctr, cte) = enc.codes.split_at(ltr.len());
    let k = enc.classes.len();
    let a = Algorithm::parse("gaussian_process").unwrap();
    let params = a
        .resolve(
            Task::Classification,
            &serde_json::from_str(hyperparams).unwrap(),
        )
        .unwrap();
    let m = algorithms::fit(
        a,
        Task::Classification,
        &params,
        &Matrix::from_rows(&xtr).unwrap(),
        Labels::Classes {
            codes: ctr,
            num_classes: k,
        },
        &|| {},
    )
    .unwrap();
    assert_eq!(m.name(), "GaussianProcessClassifier");
    let pred: Vec<u32> = xte.iter().map(|r| m.predict(r).unwrap() as u32).collect();
    let proba: Vec<f32> = xte
        .iter()
        .flat_map(|r| m.predict_proba(r).unwrap())
        .collect();
    let s = metrics::classification(cte, &pred, Some(&proba), k);
    (s["accuracy"], s["log_loss"], proba[..k].to_vec())
}

/// (dataset, label, hyperparameters, scikit-learn's accuracy, log loss, first test row)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static [f32],
);

#[test]
fn gaussian_process_classifier_matches_scikit_learn() {
    // (dataset, label, hyperparameters, scikit-learn's accuracy, log loss, first test row)
    #[rustfmt::skip]
    let cases: [Case; 5] = [
        ("iris", "target", "{}", 1.0, 0.2803, &[0.8579, 0.0714, 0.0707]),
        ("wine", "target", "{}", 0.4222, 1.0984, &[0.3333, 0.3333, 0.3333]),
        // The prior: log loss ln 2.
        ("breast_cancer", "malignant", "{}", 0.7413, std::f64::consts::LN_2, &[0.5, 0.5]),
        ("iris", "target", r#"{"kernel": "1.0 * RBF(1.0)"}"#, 0.9737, 0.2860, &[0.8486, 0.0358, 0.1156]),
        ("breast_cancer", "malignant", r#"{"kernel": "1.0 * RBF(100.0)"}"#, 0.9720, 0.1148, &[0.146, 0.854]),
    ];
    let mut failures = Vec::new();
    for (name, label, hp, accuracy, log_loss, first) in cases {
        let (a, l, f) = scores(name, label, hp);
        println!("{name:14} {hp:34} accuracy {a:.4} ({accuracy:.4}) log_loss {l:.4} ({log_loss:.4}) first {f:?} ({first:?})");
        if a < accuracy - 0.02 {
            failures.push(format!("{name} {hp}: accuracy {a}"));
        }
        // Where scikit-learn's optimum sits on a bound (breast_cancer's kernel: constant 316² at
        // its upper bound, length scale 2410), pgml's finite-difference L-BFGS stops at another
        // point of the flat ridge: accuracy 0.9790 vs 0.9720, log loss 0.1423 vs 0.1148. Elsewhere
        // the same model.
        let exact = !(name == "breast_cancer" && hp.contains("RBF"));
        if exact && (l - log_loss).abs() > 0.01 {
            failures.push(format!("{name} {hp}: log_loss {l}"));
        }
        if exact && f.iter().zip(first).any(|(p, q)| (p - q).abs() > 0.01) {
            failures.push(format!("{name} {hp}: first row {f:?} vs {first:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
