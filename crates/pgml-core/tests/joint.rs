//! Multi-output regression (`pgml.train_joint`) on linnerud against scikit-learn 1.5.2 on the
//! same split (rows whose index is a multiple of 4 are the test set): the reference numbers come
//! from `benches/joint_accuracy_sklearn.py`, which fits the natively multi-output estimators on a
//! 2-D y and wraps the others in `MultiOutputRegressor`, and scores with scikit-learn's
//! multi-output default (`uniform_average`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_core::algorithms::{joint, Algorithm};
use pgml_core::{datasets, metrics, Matrix, Task};

const LABELS: [&str; 3] = ["weight", "waist", "pulse"];

/// (train x, train y row-major, test x, test y row-major)
fn linnerud() -> (Matrix, Vec<f32>, Vec<Vec<f32>>, Vec<f32>) {
    let d = datasets::find("linnerud").unwrap();
    let names: Vec<&str> = d.columns.iter().map(|(c, _)| *c).collect();
    let (mut xtr, mut ytr, mut xte, mut yte) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, row) in d.rows().enumerate() {
        let v: Vec<f32> = row.iter().map(|s| s.parse().unwrap()).collect();
        let x: Vec<f32> = (0..v.len())
            .filter(|&k| !LABELS.contains(&names[k]))
            .map(|k| v[k])
            .collect();
        let y = LABELS
            .iter()
            .map(|l| v[names.iter().position(|n| n == l).unwrap()]);
        if i % 4 == 0 {
            xte.push(x);
            yte.extend(y);
        } else {
            xtr.push(x);
            ytr.extend(y);
        }
    }
    (Matrix::from_rows(&xtr).unwrap(), ytr, xte, yte)
}

/// (uniform-average r2, mse, mae, the first test row's predictions)
fn joint_scores(algorithm: &str, hyperparams: &str) -> (f64, f64, f64, Vec<f32>) {
    let (xtr, ytr, xte, yte) = linnerud();
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a
        .resolve(
            Task::Regression,
            &serde_json::from_str(hyperparams).unwrap(),
        )
        .unwrap();
    let names: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
    let m = joint::fit(a, &params, &xtr, &ytr, &names, &|| {}).unwrap();
    let pred: Vec<f32> = xte
        .iter()
        .flat_map(|r| m.predict_joint(r).unwrap())
        .collect();
    let s = metrics::regression_joint(&yte, &pred, 3);
    (
        s["r2"],
        s["mean_squared_error"],
        s["mean_absolute_error"],
        pred[..3].to_vec(),
    )
}

/// Deterministic estimators reach scikit-learn's model: its scores to 3 decimals and its first
/// test row's three predictions. For the linear family and kernel ridge, scikit-learn's native
/// 2-D fit and one fit per target are the same model (the script prints both).
#[test]
fn deterministic_joint_models_match_scikit_learn() {
    // (algorithm, r2, mse, mae, first test row) from benches/joint_accuracy_sklearn.py
    #[rustfmt::skip]
    let cases: [(&str, f64, f64, f64, [f32; 3]); 8] = [
        ("linear", -0.1299, 154.5674, 9.1643, [172.941, 34.8547, 56.8972]),
        ("ridge", -0.1297, 154.5288, 9.1636, [172.9285, 34.852, 56.892]),
        ("lasso", -0.1214, 152.9262, 9.1341, [172.6536, 34.5679, 56.5438]),
        ("elastic_net", -0.1232, 153.4798, 9.1444, [172.7114, 34.6969, 56.6881]),
        ("least_angle", -0.1299, 154.5674, 9.1643, [172.941, 34.8547, 56.8972]),
        ("lasso_least_angle", -0.1214, 152.9224, 9.1340, [172.6543, 34.568, 56.5438]),
        ("orthogonal_matching_pursuit", 0.0848, 106.3988, 7.8679, [174.4284, 34.9691, 55.7378]),
        ("kernel_ridge", -22.2665, 1550.9552, 25.8481, [157.6819, 31.9297, 52.9697]),
    ];
    for (algorithm, r2, mse, mae, first) in cases {
        let (pr2, pmse, pmae, pfirst) = joint_scores(algorithm, "{}");
        println!("{algorithm:28} r2 {pr2:.4} ({r2:.4}) mse {pmse:.4} ({mse:.4}) mae {pmae:.4} ({mae:.4}) first {pfirst:?}");
        assert!((pr2 - r2).abs() < 1e-3, "{algorithm}: r2 {pr2} vs {r2}");
        assert!(
            (pmse - mse).abs() < 1e-3 * mse,
            "{algorithm}: mse {pmse} vs {mse}"
        );
        assert!(
            (pmae - mae).abs() < 1e-3 * mae,
            "{algorithm}: mae {pmae} vs {mae}"
        );
        for (p, f) in pfirst.iter().zip(first) {
            assert!(
                (p - f).abs() < 1e-2,
                "{algorithm}: first row {pfirst:?} vs {first:?}"
            );
        }
    }
}

/// MultiOutputRegressor's estimators (one per target, as scikit-learn wraps them): no worse than
/// scikit-learn's uniform-average r2 minus the toy-accuracy margin. (Tree ensembles are left out:
/// on linnerud's 15 training rows their scores swing with the seed's tie-breaking on both sides.)
#[test]
fn wrapped_joint_models_are_as_good_as_scikit_learn() {
    for (algorithm, reference) in [
        ("bayesian_ridge", 0.1977),
        ("huber", -0.0226),
        ("svm", -0.0433),
    ] {
        let (r2, ..) = joint_scores(algorithm, "{}");
        println!("{algorithm:28} r2 {r2:.4} (scikit-learn {reference:.4})");
        assert!(
            r2 >= reference - 0.02,
            "{algorithm}: r2 {r2} vs scikit-learn {reference}"
        );
    }
}

/// GaussianProcessRegressor with a 2-D y optimizes one kernel for all targets (the summed log
/// marginal likelihood): pgml fits it jointly as well, and lands where scikit-learn does, which is
/// not where three separate fits land (scikit-learn's per-target r2 there is 0.0616).
#[test]
fn gaussian_process_shares_one_kernel_across_targets_as_scikit_learn() {
    let hp = r#"{"kernel": "1.0 * RBF(10.0) + WhiteKernel(1.0)", "normalize_y": true}"#;
    let (r2, mse, mae, first) = joint_scores("gaussian_process", hp);
    println!("gaussian_process joint r2 {r2:.4} mse {mse:.4} mae {mae:.4} first {first:?}");
    // scikit-learn: r2 -0.1091, mse 96.6874, mae 7.0222, first row [179.0667, 35.6667, 55.6]
    assert!((r2 - -0.1091).abs() < 2e-3, "r2 {r2}");
    assert!((mse - 96.6874).abs() < 0.2, "mse {mse}");
    for (p, f) in first.iter().zip([179.0667f32, 35.6667, 55.6]) {
        assert!((p - f).abs() < 0.05, "first row {first:?}");
    }
}

/// RANSACRegressor with a 2-D y picks one inlier set for all targets. Its draws are random, so both
/// sides are averaged over seeds: scikit-learn's joint fit scores -0.1932 over 1000 seeds (its
/// per-target fits -0.2231), from the same script's `ransac` lines.
#[test]
fn ransac_shares_one_inlier_set_across_targets_as_scikit_learn() {
    let seeds = 200;
    let mean = (0..seeds)
        .map(|seed| joint_scores("ransac", &format!(r#"{{"random_state": {seed}}}"#)).0)
        .sum::<f64>()
        / f64::from(seeds);
    println!("ransac joint mean r2 over {seeds} seeds {mean:.4} (scikit-learn -0.1932)");
    assert!(mean >= -0.1932 - 0.02, "mean r2 {mean}");
}

/// RandomForestRegressor / ExtraTreesRegressor with a 2-D y grow one multi-output tree per
/// estimator (a split minimizes the mean of the targets' squared errors); pgml grows the same
/// trees with its own random stream, so single seeds differ as two scikit-learn seeds do and
/// seed means are compared. On 15 training rows the 5-seed mean swings by about 0.1 from one
/// set of seeds to the next (scikit-learn's extra trees: −0.2286 over seeds 0..4, −0.3463 over
/// 0..49), so the bound is asserted on 50 seeds and the 5-seed mean is printed for the table.
#[test]
fn forests_grow_multi_output_trees_as_scikit_learn() {
    // (algorithm, scikit-learn's mean r2 over seeds 0..4, over 0..49), from
    // benches/joint_accuracy_sklearn.py.
    for (algorithm, sk5, sk50) in [
        ("random_forest", -0.4187, -0.4140),
        ("extra_trees", -0.2286, -0.3463),
    ] {
        let mean = |seeds: u32| {
            let scores: Vec<(f64, f64, f64)> = (0..seeds)
                .map(|seed| {
                    let (r2, mse, mae, _) =
                        joint_scores(algorithm, &format!(r#"{{"random_state": {seed}}}"#));
                    (r2, mse, mae)
                })
                .collect();
            let n = f64::from(seeds);
            (
                scores.iter().map(|s| s.0).sum::<f64>() / n,
                scores.iter().map(|s| s.1).sum::<f64>() / n,
                scores.iter().map(|s| s.2).sum::<f64>() / n,
            )
        };
        let (r2_5, mse_5, mae_5) = mean(5);
        let (r2_50, mse_50, _) = mean(50);
        println!(
            "{algorithm:14} mean over 5 seeds r2 {r2_5:.4} mse {mse_5:.4} mae {mae_5:.4} (scikit-learn r2 {sk5:.4}); \
             over 50 seeds r2 {r2_50:.4} mse {mse_50:.4} (scikit-learn {sk50:.4})"
        );
        assert!(
            r2_50 >= sk50 - 0.02,
            "{algorithm}: mean r2 over 50 seeds {r2_50} vs scikit-learn {sk50}"
        );
    }
}
