//! `class_weight` given per class (scikit-learn's dict form, `{"0": 1, "1": 5}`): the weights
//! change the fit as scikit-learn's do. The expected numbers are scikit-learn 1.5.2's on the same
//! 60 rows (`/opt/skl/bin/python benches/class_weight_sklearn.py`): LogisticRegression
//! (lbfgs, tol 1e-10) and DecisionTreeClassifier (max_depth 3), which pgml's random_forest
//! grows when it has one tree on all rows and all features.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_core::algorithms::{Algorithm, Estimator, Fitted, Labels};
use pgml_core::labels::{self, LabelKind};
use pgml_core::{Error, Matrix, Task};
use serde_json::json;

/// The rows of benches/class_weight_sklearn.py: two features, three classes (23, 22, 15 rows),
/// every fifth row's class set against the rule so that the classes overlap.
fn data() -> (Matrix, Vec<String>) {
    let rows: Vec<Vec<f32>> = (0..60)
        .map(|i| {
            vec![
                ((i * 7) % 31) as f32 / 3.0,
                ((i * 11) % 17) as f32 / 2.0 + 0.01 * i as f32,
            ]
        })
        .collect();
    let labels = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let class = if i % 5 == 0 {
                (i / 5) % 3
            } else if r[0] + 0.5 * r[1] < 6.0 {
                0
            } else if r[0] < 8.0 {
                1
            } else {
                2
            };
            class.to_string()
        })
        .collect();
    (Matrix::from_rows(&rows).unwrap(), labels)
}

/// Trains `algorithm` on the rows with the labels' classes bound, as `pgml.train` does.
fn train(
    algorithm: &str,
    labels: &[String],
    hyperparams: serde_json::Value,
) -> Result<Estimator, Error> {
    let (x, _) = data();
    let enc = labels::encode(labels, LabelKind::Numeric).unwrap();
    let a = Algorithm::parse(algorithm).unwrap();
    let mut params = a.resolve(Task::Classification, &hyperparams)?;
    params.bind_classes(&enc.classes, LabelKind::Numeric)?;
    a.fit(
        Task::Classification,
        &params,
        &x,
        Labels::Classes {
            codes: &enc.codes,
            num_classes: enc.classes.len(),
        },
        &|| {},
    )
}

fn logistic(e: &Estimator) -> (Vec<f64>, Vec<f64>) {
    match e.fitted() {
        Fitted::Logistic(m) => (m.coef.clone(), m.intercept.clone()),
        other => panic!("not a logistic model: {}", other.kind()),
    }
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol,
            "{what}: got {got:?}, scikit-learn {want:?}"
        );
    }
}

#[test]
fn logistic_regression_weighs_classes_as_scikit_learn() {
    let (_, labels) = data();
    let hp = |cw: serde_json::Value| json!({"tol": 1e-10, "max_iter": 10000, "class_weight": cw});
    // (class_weight, coef_ row-major per class, intercept_), from scikit-learn.
    let cases = [
        (
            json!("none"),
            vec![-0.549437, -0.268742, 0.107268, 0.240434, 0.442169, 0.028309],
            vec![3.842206, -1.101143, -2.741063],
        ),
        (
            json!({"0": 1.0, "1": 5.0}),
            vec![
                -0.613602, -0.166227, 0.038751, 0.208525, 0.574852, -0.042299,
            ],
            vec![3.342674, 0.538444, -3.881118],
        ),
        (
            json!("balanced"),
            vec![-0.522708, -0.285148, 0.112193, 0.244438, 0.410515, 0.04071],
            vec![3.615015, -1.281259, -2.333756],
        ),
    ];
    for (cw, coef, intercept) in cases {
        let (c, b) = logistic(&train("linear", &labels, hp(cw.clone())).unwrap());
        close(&c, &coef, 2e-3, &format!("coef with {cw}"));
        close(&b, &intercept, 2e-3, &format!("intercept with {cw}"));
    }
    // Binary: class 1 against the rest, the positive class weighing 3; the same model when the
    // key is written as a number with a decimal point.
    let binary: Vec<String> = labels
        .iter()
        .map(|l| if l == "1" { "1" } else { "0" }.to_string())
        .collect();
    for key in ["1", "1.0"] {
        let (c, b) = logistic(&train("linear", &binary, hp(json!({ key: 3 }))).unwrap());
        close(&c, &[0.162706, 0.324644], 2e-3, key);
        close(&b, &[-1.760747], 2e-3, key);
    }
    let (c, b) = logistic(&train("linear", &binary, hp(json!({}))).unwrap());
    close(&c, &[0.143977, 0.333413], 2e-3, "no weights");
    close(&b, &[-2.799361], 2e-3, "no weights");
}

#[test]
fn a_tree_weighs_classes_as_scikit_learn() {
    let (x, labels) = data();
    // One tree on every row and every feature: scikit-learn's DecisionTreeClassifier.
    let tree = |cw: serde_json::Value| {
        train(
            "random_forest",
            &labels,
            json!({"n_estimators": 1, "bootstrap": false, "max_features": 1.0, "max_depth": 3, "class_weight": cw}),
        )
        .unwrap()
    };
    let want_plain = [
        [0.85, 0.1, 0.05],
        [0.85, 0.1, 0.05],
        [0.666667, 0.166667, 0.166667],
        [0.1, 0.85, 0.05],
        [0.0, 0.0, 1.0],
        [0.85, 0.1, 0.05],
        [0.1, 0.85, 0.05],
        [0.1, 0.85, 0.05],
    ];
    let want_weighted = [
        [0.875, 0.0, 0.125],
        [0.384615, 0.576923, 0.038462],
        [0.4, 0.5, 0.1],
        [0.022727, 0.965909, 0.011364],
        [0.0, 0.0, 1.0],
        [0.384615, 0.576923, 0.038462],
        [0.022727, 0.965909, 0.011364],
        [0.022727, 0.965909, 0.011364],
    ];
    for (cw, want) in [
        (json!(null), want_plain),
        (json!({"0": 1, "1": 5}), want_weighted),
    ] {
        let e = tree(cw.clone());
        for (i, w) in want.iter().enumerate() {
            let p: Vec<f64> = e
                .predict_proba(&x.row(i))
                .unwrap()
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            close(&p, w, 1e-5, &format!("row {i} with {cw}"));
        }
    }
    // A class the dict leaves out weighs 1: naming it with 1 is the same forest.
    assert_eq!(
        train("random_forest", &labels, json!({"class_weight": {"1": 5}})).unwrap(),
        train(
            "random_forest",
            &labels,
            json!({"class_weight": {"0": 1, "1": 5, "2": 1.0}})
        )
        .unwrap()
    );
}

/// Every algorithm that takes `class_weight: 'balanced'` takes a dict too, and a dict changes
/// its fit; an all-ones dict is no weights at all.
#[test]
fn every_class_weight_algorithm_takes_a_dict() {
    let (_, labels) = data();
    for name in [
        "linear",
        "random_forest",
        "extra_trees",
        "hist_gradient_boosting",
        "stochastic_gradient_descent",
        "perceptron",
        "passive_aggressive",
        "svm",
        "nu_svm",
        "linear_svm",
    ] {
        let plain = train(name, &labels, json!({})).unwrap();
        let ones = train(
            name,
            &labels,
            json!({"class_weight": {"0": 1, "1": 1, "2": 1}}),
        )
        .unwrap();
        // hist_gradient_boosting takes another path with sample weights (weighted hessians).
        if name != "hist_gradient_boosting" {
            assert_eq!(plain, ones, "{name}: all weights 1");
        }
        let weighted = train(name, &labels, json!({"class_weight": {"1": 8, "2": 0.5}})).unwrap();
        if name == "nu_svm" {
            // libsvm's ν-SVC has no per-class C, so scikit-learn's NuSVC fits the same model
            // whatever class_weight says (checked: its dual_coef_ does not change).
            assert_eq!(plain, weighted, "{name}");
        } else {
            assert_ne!(plain, weighted, "{name}: weights left the fit unchanged");
            assert_ne!(ones, weighted, "{name}: weights left the fit unchanged");
        }
    }
}

#[test]
fn keys_that_are_not_classes_and_bad_weights_are_refused() {
    let (_, labels) = data();
    for name in ["random_forest", "linear", "svm", "hist_gradient_boosting"] {
        let e = train(
            name,
            &labels,
            json!({"class_weight": {"1": 2, "7": 3, "x": 1}}),
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{name}: {e:?}");
        assert_eq!(
            e.to_string(),
            "the keys \"7\", \"x\" of class_weight are not classes of the label",
            "{name}"
        );
        assert_eq!(
            e.hint(),
            Some("class_weight maps class labels to weights; the classes are \"0\", \"1\", \"2\""),
        );
        for bad in [json!(-1), json!("2"), json!(null), json!([1])] {
            let e = train(name, &labels, json!({"class_weight": {"1": bad}})).unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { .. }), "{name}: {e:?}");
            assert!(
                e.to_string()
                    .contains("a weight must be a number at least 0"),
                "{name}: {e}"
            );
        }
        let e = train(name, &labels, json!({"class_weight": {"1": 2, "1.0": 3}})).unwrap_err();
        assert!(e.to_string().contains("two weights"), "{name}: {e}");
    }
}

/// Text and boolean labels are named as they appear in the label column.
#[test]
fn text_and_boolean_keys() {
    let (x, labels) = data();
    let fit = |labels: &[String], kind: LabelKind, cw: serde_json::Value| {
        let enc = labels::encode(labels, kind).unwrap();
        let a = Algorithm::parse("linear").unwrap();
        let mut params = a
            .resolve(Task::Classification, &json!({ "class_weight": cw }))
            .unwrap();
        params.bind_classes(&enc.classes, kind)?;
        a.fit(
            Task::Classification,
            &params,
            &x,
            Labels::Classes {
                codes: &enc.codes,
                num_classes: enc.classes.len(),
            },
            &|| {},
        )
        .map(|e| logistic(&e))
    };
    let names: Vec<String> = labels
        .iter()
        .map(|l| ["setosa", "versicolor", "virginica"][l.parse::<usize>().unwrap()].to_string())
        .collect();
    let numeric = fit(&labels, LabelKind::Numeric, json!({"0": 1.0, "1": 5.0})).unwrap();
    let text = fit(
        &names,
        LabelKind::Text,
        json!({"setosa": 1.0, "versicolor": 5.0}),
    )
    .unwrap();
    assert_eq!(numeric, text);
    let e = fit(&names, LabelKind::Text, json!({"Setosa": 2})).unwrap_err();
    assert!(e.to_string().contains("\"Setosa\""), "{e}");

    let truth: Vec<String> = labels.iter().map(|l| (l == "1").to_string()).collect();
    let zero_one: Vec<String> = labels
        .iter()
        .map(|l| if l == "1" { "1" } else { "0" }.to_string())
        .collect();
    let numeric = fit(&zero_one, LabelKind::Numeric, json!({"1": 3})).unwrap();
    for key in ["true", "t", "1"] {
        assert_eq!(
            fit(&truth, LabelKind::Boolean, json!({ key: 3 })).unwrap(),
            numeric,
            "{key}"
        );
    }
    assert!(fit(&truth, LabelKind::Boolean, json!({"yes": 3})).is_err());
}

/// A dict the classes were never bound to is an error at fit, never a fit without weights.
#[test]
fn an_unbound_dict_is_not_trained_without_weights() {
    let (x, labels) = data();
    let enc = labels::encode(&labels, LabelKind::Numeric).unwrap();
    for name in [
        "random_forest",
        "linear",
        "svm",
        "hist_gradient_boosting",
        "perceptron",
        "linear_svm",
    ] {
        let a = Algorithm::parse(name).unwrap();
        let params = a
            .resolve(Task::Classification, &json!({"class_weight": {"1": 5}}))
            .unwrap();
        let e = a
            .fit(
                Task::Classification,
                &params,
                &x,
                Labels::Classes {
                    codes: &enc.codes,
                    num_classes: 3,
                },
                &|| {},
            )
            .unwrap_err();
        assert!(e.to_string().contains("class_weight"), "{name}: {e}");
    }
}
