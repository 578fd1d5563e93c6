//! The packed tree walk (`algorithms::packed`) answers bit for bit what the stored trees' walk
//! answers, for every tree model that uses it, on random rows with missing values (NaN, and
//! rows shorter than the model's features), infinities, signed zeros and values exactly at the
//! models' thresholds, where `<` and `<=` part ways.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_core::algorithms::forest::ForestModel;
use pgml_core::algorithms::packed::PackedTrees;
use pgml_core::algorithms::xgboost::XgboostModel;
use pgml_core::algorithms::{self, Algorithm, Fitted, Labels, Predictor};
use pgml_core::split::SplitMix64;
use pgml_core::{Matrix, Task};

const ROWS: usize = 400;
const COLS: usize = 6;
const CHECKED_ROWS: usize = 5_000;

fn uniform(rng: &mut SplitMix64) -> f32 {
    (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32
}

/// Training rows with a learnable signal; `missing`: about one value in eight is NaN.
fn data(seed: u64, missing: bool) -> (Matrix, Vec<f32>, Vec<u32>) {
    let mut rng = SplitMix64(seed);
    let mut rows = vec![vec![0.0f32; COLS]; ROWS];
    for r in &mut rows {
        for v in r.iter_mut() {
            *v = uniform(&mut rng) * 4.0 - 2.0;
            // A few repeated values, so thresholds sit on values rows really have.
            if rng.next_u64().is_multiple_of(5) {
                *v = v.round();
            }
        }
    }
    let y: Vec<f32> = rows
        .iter()
        .map(|r| r[0] * 2.0 - r[1] * r[2] + (r[3] > 0.5) as u8 as f32 + uniform(&mut rng) * 0.3)
        .collect();
    let codes: Vec<u32> = y
        .iter()
        .map(|&v| match v {
            v if v < -0.5 => 0,
            v if v < 1.0 => 1,
            _ => 2,
        })
        .collect();
    if missing {
        for r in &mut rows {
            for v in r.iter_mut() {
                if rng.next_u64().is_multiple_of(8) {
                    *v = f32::NAN;
                }
            }
        }
    }
    let mut columns = vec![0.0f32; ROWS * COLS];
    for (i, r) in rows.iter().enumerate() {
        for (j, &v) in r.iter().enumerate() {
            columns[j * ROWS + i] = v;
        }
    }
    (Matrix::from_columns(ROWS, COLS, columns).unwrap(), y, codes)
}

/// Rows to predict: random values, NaN, ±inf, ±0, the thresholds themselves and their
/// neighbours; some rows shorter than the model's features (the rest are missing).
fn probe_rows(seed: u64, thresholds: &[f32]) -> Vec<Vec<f32>> {
    assert!(
        !thresholds.is_empty(),
        "a model without splits tests nothing"
    );
    let mut rng = SplitMix64(seed);
    (0..CHECKED_ROWS)
        .map(|_| {
            let len = if rng.next_u64().is_multiple_of(20) {
                (rng.next_u64() % COLS as u64) as usize
            } else {
                COLS
            };
            (0..len)
                .map(|_| {
                    let t = thresholds[(rng.next_u64() % thresholds.len() as u64) as usize];
                    match rng.next_u64() % 16 {
                        0 | 1 => f32::NAN,
                        2 => f32::INFINITY,
                        3 => f32::NEG_INFINITY,
                        4 => -0.0,
                        5 => 0.0,
                        6..=8 => t,
                        9 => t.next_up(),
                        10 => t.next_down(),
                        _ => uniform(&mut rng) * 5.0 - 2.5,
                    }
                })
                .collect()
        })
        .collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn fit(algorithm: &str, task: Task, hyperparams: &str, missing: bool, classes: usize) -> Fitted {
    let (x, y, codes) = data(7, missing);
    let codes: Vec<u32> = codes.iter().map(|&c| c % classes.max(1) as u32).collect();
    let labels = match task {
        Task::Regression => Labels::Values(&y),
        _ => Labels::Classes {
            codes: &codes,
            num_classes: classes,
        },
    };
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a
        .resolve(task, &serde_json::from_str(hyperparams).unwrap())
        .unwrap();
    algorithms::fit(a, task, &params, &x, labels, &|| {})
        .unwrap()
        .fitted()
        .clone()
}

/// A model's packed walk and its stored walk, for one row.
type Walks<'a> = Box<dyn Fn(&[f32]) -> (Vec<f64>, Vec<f64>) + 'a>;

/// Compares both walks of one model on the probe rows; returns how many rows it checked.
fn compare(name: &str, fitted: &Fitted) -> usize {
    let (thresholds, packed_ok, walks): (Vec<f32>, bool, Walks<'_>) = match fitted {
        Fitted::XgboostTrees(m) => {
            let e = &m.ensemble;
            let t = e
                .trees
                .iter()
                .flat_map(|t| t.left.iter().zip(&t.value).filter(|(l, _)| **l >= 0))
                .map(|(_, &v)| v)
                .collect();
            let ok = PackedTrees::from_xgboost(&e.trees).map(|p| p.trees()) == Some(e.trees.len());
            (
                t,
                ok,
                Box::new(move |x| (e.margins(x), e.margins_unpacked(x))),
            )
        }
        Fitted::Forest(m) => {
            let t = m
                .trees
                .iter()
                .flat_map(|t| t.nodes.iter().filter(|n| n.children != 0))
                .map(|n| n.threshold)
                .collect();
            let k = m.num_classes.max(1);
            let ok = PackedTrees::from_cart(&m.trees, k).map(|p| p.trees()) == Some(m.trees.len());
            (t, ok, Box::new(move |x| (m.mean(x), m.mean_unpacked(x))))
        }
        Fitted::MultiOutputForest(m) => {
            let t = m
                .trees
                .iter()
                .flat_map(|t| t.nodes.iter().filter(|n| n.children != 0))
                .map(|n| n.threshold)
                .collect();
            let ok = PackedTrees::from_cart(&m.trees, m.num_outputs).map(|p| p.trees())
                == Some(m.trees.len());
            (t, ok, Box::new(move |x| (m.mean(x), m.mean_unpacked(x))))
        }
        Fitted::GradientBoosting(m) => {
            let t = m
                .trees
                .iter()
                .flat_map(|t| t.nodes.iter().filter(|n| n.children != 0))
                .map(|n| n.threshold)
                .collect();
            let ok = PackedTrees::from_cart(&m.trees, 1).map(|p| p.trees()) == Some(m.trees.len());
            (t, ok, Box::new(move |x| (m.raw(x), m.raw_unpacked(x))))
        }
        Fitted::HistGradientBoosting(m) => {
            let t = m
                .trees
                .iter()
                .flat_map(|t| t.left.iter().zip(&t.value).filter(|(l, _)| **l >= 0))
                .map(|(_, &v)| v)
                .collect();
            let ok = PackedTrees::from_xgboost(&m.trees).map(|p| p.trees()) == Some(m.trees.len());
            (t, ok, Box::new(move |x| (m.raw(x), m.raw_unpacked(x))))
        }
        _ => panic!("{name}: not a packed tree model"),
    };
    assert!(packed_ok, "{name}: the trees were not packed");
    let rows = probe_rows(11, &thresholds);
    for (i, r) in rows.iter().enumerate() {
        let (packed, stored) = walks(r);
        assert_eq!(bits(&packed), bits(&stored), "{name}: row {i} {r:?}");
    }
    rows.len()
}

#[test]
fn xgboost_packed_walk_is_bit_identical() {
    let cases = [
        (
            "xgboost",
            Task::Regression,
            r#"{"n_estimators": 30, "max_depth": 6}"#,
            0,
        ),
        (
            "xgboost",
            Task::Classification,
            r#"{"n_estimators": 20, "max_depth": 4}"#,
            2,
        ),
        (
            "xgboost",
            Task::Classification,
            r#"{"n_estimators": 10, "max_depth": 5}"#,
            3,
        ),
        (
            "xgboost_random_forest",
            Task::Regression,
            r#"{"n_estimators": 20}"#,
            0,
        ),
    ];
    for (algorithm, task, hp, classes) in cases {
        let fitted = fit(algorithm, task, hp, true, classes);
        let name = format!("{algorithm} {task:?} {classes}");
        assert_eq!(compare(&name, &fitted), CHECKED_ROWS);
    }
}

#[test]
fn cart_ensembles_packed_walk_is_bit_identical() {
    let cases = [
        (
            "random_forest",
            Task::Regression,
            r#"{"n_estimators": 20, "max_depth": 8}"#,
            0,
        ),
        (
            "random_forest",
            Task::Classification,
            r#"{"n_estimators": 20}"#,
            3,
        ),
        (
            "extra_trees",
            Task::Regression,
            r#"{"n_estimators": 15}"#,
            0,
        ),
        (
            "extra_trees",
            Task::Classification,
            r#"{"n_estimators": 15}"#,
            2,
        ),
        (
            "bagging",
            Task::Classification,
            r#"{"n_estimators": 10}"#,
            3,
        ),
        (
            "gradient_boosting_trees",
            Task::Regression,
            r#"{"n_estimators": 40}"#,
            0,
        ),
        (
            "gradient_boosting_trees",
            Task::Classification,
            r#"{"n_estimators": 20}"#,
            3,
        ),
    ];
    for (algorithm, task, hp, classes) in cases {
        let fitted = fit(algorithm, task, hp, false, classes);
        let name = format!("{algorithm} {task:?} {classes}");
        assert_eq!(compare(&name, &fitted), CHECKED_ROWS);
    }
}

#[test]
fn hist_gradient_boosting_packed_walk_is_bit_identical() {
    let cases = [
        (
            "hist_gradient_boosting",
            Task::Regression,
            r#"{"max_iter": 40}"#,
            0,
        ),
        (
            "hist_gradient_boosting",
            Task::Classification,
            r#"{"max_iter": 20}"#,
            2,
        ),
        (
            "hist_gradient_boosting",
            Task::Classification,
            r#"{"max_iter": 10}"#,
            3,
        ),
    ];
    for (algorithm, task, hp, classes) in cases {
        let fitted = fit(algorithm, task, hp, true, classes);
        let name = format!("{algorithm} {task:?} {classes}");
        assert_eq!(compare(&name, &fitted), CHECKED_ROWS);
    }
}

/// A model decoded from its stored bytes packs its trees on first use and answers as the
/// fitted model's stored walk.
#[test]
fn a_decoded_model_predicts_as_the_fitted_one() {
    let (x, _, _) = data(3, true);
    let Fitted::XgboostTrees(xgb) = fit(
        "xgboost",
        Task::Regression,
        r#"{"n_estimators": 10}"#,
        true,
        0,
    ) else {
        panic!("not xgboost");
    };
    let decoded: XgboostModel = postcard::from_bytes(&postcard::to_stdvec(&xgb).unwrap()).unwrap();
    let Fitted::Forest(forest) = fit(
        "random_forest",
        Task::Classification,
        r#"{"n_estimators": 10}"#,
        false,
        3,
    ) else {
        panic!("not a forest");
    };
    let decoded_forest: ForestModel =
        postcard::from_bytes(&postcard::to_stdvec(&forest).unwrap()).unwrap();
    for i in 0..x.rows() {
        let r = x.row(i);
        assert_eq!(
            bits(&xgb.ensemble.margins_unpacked(&r)),
            bits(&decoded.ensemble.margins(&r))
        );
        assert_eq!(
            decoded.predict(&r).map(f32::to_bits),
            Some((xgb.ensemble.margins_unpacked(&r)[0] as f32).to_bits())
        );
        assert_eq!(
            bits(&forest.mean_unpacked(&r)),
            bits(&decoded_forest.mean(&r))
        );
    }
}

/// Multi-output forests (`pgml.train_joint`): leaves with one value per label, packed as a
/// classification forest's leaves are.
#[test]
fn multi_output_forests_packed_walk_is_bit_identical() {
    let (x, y, codes) = data(7, false);
    // Three labels a row: the regression target, the class code and a mix of both.
    let joint: Vec<f32> = y
        .iter()
        .zip(&codes)
        .flat_map(|(&v, &c)| [v, c as f32, v * 0.5 - c as f32])
        .collect();
    let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    for (algorithm, hyperparams) in [
        ("random_forest", r#"{"n_estimators": 12, "max_depth": 8}"#),
        ("extra_trees", r#"{"n_estimators": 12}"#),
    ] {
        let a = Algorithm::parse(algorithm).unwrap();
        let params = a
            .resolve(
                Task::Regression,
                &serde_json::from_str(hyperparams).unwrap(),
            )
            .unwrap();
        let e = algorithms::joint::fit(a, &params, &x, &joint, &names, &|| {}).unwrap();
        let Fitted::Joint(j) = e.fitted() else {
            panic!("{algorithm}: not a joint model");
        };
        assert_eq!(j.models.len(), 1, "{algorithm}: one forest for the labels");
        assert!(compare(algorithm, &j.models[0]) > 0);
    }
}
