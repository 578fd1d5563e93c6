//! The algorithms of `registry::HANDLE_MISSING_VALUES` learn from missing values (NaN) and
//! predict rows with them, as their scikit-learn estimator or library does: the extension reads a
//! NULL feature as NaN for them alone (`tests/missing_values.rs` runs that through SQL).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_core::algorithms::{registry, Algorithm, Labels};
use pgml_core::{Matrix, Task};
use serde_json::json;

/// 400 rows, 3 features; x0 is missing in every 4th row, whose label is high (50) or class 2.
fn data() -> (Matrix, Vec<f32>, Vec<u32>) {
    let rows: Vec<Vec<f32>> = (0..400)
        .map(|i| {
            let x0 = if i % 4 == 0 {
                f32::NAN
            } else {
                (i % 13) as f32
            };
            let x2 = if i % 7 == 0 { f32::NAN } else { (i % 3) as f32 };
            vec![x0, (i % 5) as f32, x2]
        })
        .collect();
    let y = rows
        .iter()
        .map(|r| if r[0].is_nan() { 50.0 } else { 2.0 * r[0] })
        .collect();
    let codes = rows
        .iter()
        .map(|r| match r[0] {
            v if v.is_nan() => 2,
            v if v < 6.0 => 0,
            _ => 1,
        })
        .collect();
    (Matrix::from_rows(&rows).unwrap(), y, codes)
}

#[test]
fn missing_values_are_learned_and_predicted() {
    let (x, y, codes) = data();
    for name in registry::HANDLE_MISSING_VALUES {
        let a = Algorithm::parse(name).unwrap();
        let hp = if a
            .params(Task::Regression)
            .iter()
            .any(|p| p.name == "n_estimators")
        {
            json!({"n_estimators": 30})
        } else {
            json!({})
        };
        let params = a.resolve(Task::Regression, &hp).unwrap();
        let m = a
            .fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let missing = m.predict(&[f32::NAN, 1.0, 1.0]).unwrap();
        let known = m.predict(&[3.0, 1.0, f32::NAN]).unwrap();
        assert!(
            missing > 35.0,
            "{name}: a row without x0 predicted {missing}"
        );
        assert!(
            (known - 6.0).abs() < 4.0,
            "{name}: x0 = 3 predicted {known}"
        );

        if !a.supports(Task::Classification) {
            continue;
        }
        let params = a.resolve(Task::Classification, &hp).unwrap();
        let m = a
            .fit(
                Task::Classification,
                &params,
                &x,
                Labels::Classes {
                    codes: &codes,
                    num_classes: 3,
                },
                &|| {},
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.predict(&[f32::NAN, 0.0, f32::NAN]), Some(2.0), "{name}");
        assert_eq!(m.predict(&[2.0, 0.0, f32::NAN]), Some(0.0), "{name}");
        let p = m.predict_proba(&[f32::NAN, f32::NAN, f32::NAN]).unwrap();
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{name}: {p:?}");
    }
}
