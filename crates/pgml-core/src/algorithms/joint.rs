//! Multi-output regression (`pgml.train_joint`): one fitted regressor per target column, in the
//! order the targets were named.
//!
//! scikit-learn fits several targets in two ways. Estimators without multi-output support are
//! wrapped in `MultiOutputRegressor`, which clones the estimator (same hyperparameters, same
//! `random_state`) and fits one clone per target: exactly what is stored here. The linear family
//! (`LinearRegression`, `Ridge`, `Lasso`, `ElasticNet`, `Lars`, `LassoLars`,
//! `OrthogonalMatchingPursuit`) and `KernelRidge` accept a 2-D `y` natively, but solve each target
//! column on its own (the normal equations, coordinate descent and LARS paths decouple by column,
//! with the same hyperparameters), so one model per target is the same model. Natively multi-output
//! estimators that couple the targets: `GaussianProcessRegressor` optimizes one set of kernel
//! hyperparameters for all targets, and so does `gaussian_process::fit_joint` here. `RANSACRegressor`
//! picks one inlier set for all targets, as `ransac::fit_joint` does. CART-based forests
//! (`RandomForestRegressor`, `ExtraTreesRegressor`) grow one multi-output tree per estimator,
//! splitting on the mean of the targets' impurities: `forest::fit_joint` does the same and stores
//! one `cart_forest_multi_output` model for all targets.
//!
//! The stored form is the list of (fitted kind, bytes) pairs, each encoded as that kind encodes
//! itself, so a per-target model is stored exactly as a single-label model of its kind would be.
//! Each model answers as many targets as it has outputs (one, or all of a multi-output forest's),
//! in order: the outputs add up to the targets.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    extra_trees, forest, gaussian_process, random_forest, ransac, Algorithm, Estimator, Fitted,
    Labels, Learner, Predictor,
};
use crate::hyperparams::Hyperparams;
use crate::{Error, Matrix, Result, Task};

/// A trained multi-output regressor: the target names and one fitted model per target.
#[derive(Debug, Clone, PartialEq)]
pub struct JointModel {
    /// The label columns, in the order predictions are returned.
    pub targets: Vec<String>,
    /// One regressor per target, same order; a multi-output model answers several targets.
    pub models: Vec<Fitted>,
}

/// The stored layout: postcard is positional, so never reorder these fields.
#[derive(Serialize, Deserialize)]
struct Stored {
    targets: Vec<String>,
    /// (fitted kind, that kind's bytes) per target.
    models: Vec<(String, Vec<u8>)>,
}

impl Serialize for JointModel {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let models = self
            .models
            .iter()
            .map(|m| {
                Ok((
                    m.kind().to_string(),
                    m.to_bytes().map_err(S::Error::custom)?,
                ))
            })
            .collect::<std::result::Result<Vec<_>, S::Error>>()?;
        Stored {
            targets: self.targets.clone(),
            models,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for JointModel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let stored = Stored::deserialize(d)?;
        let models = stored
            .models
            .iter()
            .map(|(kind, bytes)| {
                Fitted::from_bytes(kind, bytes)
                    .ok_or_else(|| {
                        D::Error::custom(format!("unknown fitted model kind \"{kind}\""))
                    })?
                    .map_err(D::Error::custom)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let outputs: usize = models.iter().map(outputs).sum();
        if stored.targets.len() != outputs {
            return Err(D::Error::custom(format!(
                "joint model names {} targets but its models predict {outputs}",
                stored.targets.len(),
            )));
        }
        Ok(JointModel {
            targets: stored.targets,
            models,
        })
    }
}

/// How many targets a model inside a joint model answers.
fn outputs(m: &Fitted) -> usize {
    match m {
        Fitted::MultiOutputForest(f) => f.num_outputs,
        _ => 1,
    }
}

impl Predictor for JointModel {
    fn num_features(&self) -> usize {
        self.models
            .first()
            .map_or(0, |m| m.predictor().num_features())
    }

    /// A joint model has no single prediction: `predict_joint` answers instead.
    fn predict(&self, _x: &[f32]) -> Option<f32> {
        None
    }

    fn predict_joint(&self, x: &[f32]) -> Option<Vec<f32>> {
        let mut out = Vec::with_capacity(self.targets.len());
        for m in &self.models {
            match m {
                Fitted::MultiOutputForest(f) => out.extend(f.predict_joint(x)?),
                _ => out.push(m.predictor().predict(x)?),
            }
        }
        Some(out)
    }

    /// One model for every target (a multi-output forest): its importances.
    fn feature_importances(&self) -> Option<Vec<f64>> {
        match self.models.as_slice() {
            [m] => m.predictor().feature_importances(),
            _ => None,
        }
    }

    fn fit_metrics(&self) -> crate::metrics::Metrics {
        match self.models.as_slice() {
            [m] => m.predictor().fit_metrics(),
            _ => crate::metrics::Metrics::new(),
        }
    }
}

/// Fits `algorithm` once per target: `y` is row-major, `x.rows()` × `targets.len()`.
pub fn fit(
    algorithm: Algorithm,
    params: &Hyperparams,
    x: &Matrix,
    y: &[f32],
    targets: &[String],
    check_interrupts: &dyn Fn(),
) -> Result<Estimator> {
    let t = targets.len();
    if t == 0 {
        return Err(Error::invalid("a joint model needs at least one target"));
    }
    if y.len() != x.rows() * t {
        return Err(Error::invalid(format!(
            "{} target values for {} rows of {t} targets",
            y.len(),
            x.rows()
        )));
    }
    let columns = || -> Vec<Vec<f32>> {
        (0..t)
            .map(|k| y.iter().skip(k).step_by(t).copied().collect())
            .collect()
    };
    // Natively multi-output in scikit-learn with coupled targets: fitted jointly here too.
    let shared = |models: Vec<Fitted>| {
        Estimator::new(
            algorithm.estimator_name(Task::Regression),
            Fitted::Joint(JointModel {
                targets: targets.to_vec(),
                models,
            }),
        )
    };
    // Forests of multi-output trees, as scikit-learn grows them for a 2-D y.
    let multi_output_forest = |options: &forest::ForestOptions| -> Result<Estimator> {
        let model = forest::fit_joint(options, x, y, t, check_interrupts)?;
        Ok(shared(vec![Fitted::MultiOutputForest(model)]))
    };
    match algorithm.as_str() {
        "random_forest" => {
            let options = random_forest::RandomForest.options(Task::Regression, params)?;
            return multi_output_forest(&options);
        }
        "extra_trees" => {
            let options = extra_trees::ExtraTrees.options(Task::Regression, params)?;
            return multi_output_forest(&options);
        }
        "gaussian_process" => {
            let options = gaussian_process::GaussianProcess.options(Task::Regression, params)?;
            let models = gaussian_process::fit_joint(x, &columns(), &options, check_interrupts)?;
            return Ok(shared(
                models.into_iter().map(Fitted::GaussianProcess).collect(),
            ));
        }
        "ransac" => {
            let options = ransac::Ransac.options(Task::Regression, params)?;
            let models = ransac::fit_joint(x, &columns(), &options, check_interrupts)?;
            return Ok(shared(models.into_iter().map(Fitted::Linear).collect()));
        }
        _ => {}
    }
    let mut models = Vec::with_capacity(t);
    let mut name = "";
    for k in 0..t {
        check_interrupts();
        let column: Vec<f32> = y.iter().skip(k).step_by(t).copied().collect();
        let fitted = algorithm.fit(
            Task::Regression,
            params,
            x,
            Labels::Values(&column),
            check_interrupts,
        )?;
        name = fitted.name();
        models.push(fitted.into_fitted());
    }
    Ok(Estimator::new(
        name,
        Fitted::Joint(JointModel {
            targets: targets.to_vec(),
            models,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data() -> (Matrix, Vec<f32>, Vec<String>) {
        let rows: Vec<Vec<f32>> = (0..60)
            .map(|i| vec![(i % 7) as f32, ((i * 3) % 11) as f32])
            .collect();
        // Two targets, row-major: y0 = x0 + 2 x1, y1 = 3 - x0.
        let y: Vec<f32> = rows
            .iter()
            .flat_map(|r| [r[0] + 2.0 * r[1], 3.0 - r[0]])
            .collect();
        (
            Matrix::from_rows(&rows).unwrap(),
            y,
            vec!["a".into(), "b".into()],
        )
    }

    #[test]
    fn one_model_per_target_each_as_its_own_fit() {
        let (x, y, names) = data();
        let ridge = Algorithm::parse("ridge").unwrap();
        let params = ridge.resolve(Task::Regression, &json!({})).unwrap();
        let joint = fit(ridge, &params, &x, &y, &names, &|| {}).unwrap();
        assert_eq!(joint.name(), "Ridge");
        assert_eq!(joint.predict(&[1.0, 2.0]), None);
        let out = joint.predict_joint(&[1.0, 2.0]).unwrap();
        // Each output is what a single-label fit on that column predicts.
        for (k, &o) in out.iter().enumerate() {
            let column: Vec<f32> = y.iter().skip(k).step_by(2).copied().collect();
            let single = ridge
                .fit(
                    Task::Regression,
                    &params,
                    &x,
                    Labels::Values(&column),
                    &|| {},
                )
                .unwrap();
            assert_eq!(Some(o), single.predict(&[1.0, 2.0]));
        }
        assert!(
            (out[0] - 5.0).abs() < 0.1 && (out[1] - 2.0).abs() < 0.1,
            "{out:?}"
        );
    }

    #[test]
    fn stored_bytes_round_trip_and_name_each_kind() {
        let (x, y, names) = data();
        let forest = Algorithm::parse("random_forest").unwrap();
        let params = forest
            .resolve(Task::Regression, &json!({"n_estimators": 3}))
            .unwrap();
        let joint = fit(forest, &params, &x, &y, &names, &|| {}).unwrap();
        let bytes = joint.fitted().to_bytes().unwrap();
        let back = Fitted::from_bytes("joint_model", &bytes).unwrap().unwrap();
        assert_eq!(&back, joint.fitted());
        let Fitted::Joint(j) = joint.fitted() else {
            panic!("not a joint model");
        };
        assert_eq!(
            j.models.len(),
            1,
            "one multi-output forest for both targets"
        );
        let kind = b"cart_forest_multi_output";
        let at = bytes
            .windows(kind.len())
            .position(|w| w == kind)
            .expect("the inner kind is stored by name");
        // A damaged inner kind is refused, not misread.
        let mut damaged = bytes.clone();
        damaged[at + 10] = b'X';
        assert!(Fitted::from_bytes("joint_model", &damaged)
            .unwrap()
            .is_err());
    }

    /// random_forest and extra_trees grow one multi-output tree per estimator (scikit-learn's
    /// forests with a 2-D y): one model answers every target, in order; absolute error is refused.
    #[test]
    fn forests_fit_every_target_with_one_forest() {
        let (x, y, names) = data();
        for name in ["random_forest", "extra_trees"] {
            let a = Algorithm::parse(name).unwrap();
            let params = a
                .resolve(
                    Task::Regression,
                    &json!({"n_estimators": 20, "random_state": 3, "bootstrap": true, "oob_score": true}),
                )
                .unwrap();
            let e = fit(a, &params, &x, &y, &names, &|| {}).unwrap();
            assert_eq!(e.name(), a.estimator_name(Task::Regression));
            let Fitted::Joint(j) = e.fitted() else {
                panic!("{name}: not joint");
            };
            let Fitted::MultiOutputForest(f) = &j.models[0] else {
                panic!("{name}: not a multi-output forest");
            };
            assert_eq!((j.models.len(), f.num_outputs), (1, 2));
            // y0 = x0 + 2 x1 and y1 = 3 - x0 on the training rows: close, each in its place.
            let out = e.predict_joint(&[1.0, 2.0]).unwrap();
            assert!(
                (out[0] - 5.0).abs() < 1.5 && (out[1] - 2.0).abs() < 0.6,
                "{name}: {out:?}"
            );
            let oob = e.fit_metrics()["oob_score"];
            assert!(oob > 0.5 && oob <= 1.0, "{name}: oob {oob}");
            assert!(e.feature_importances().is_some());
            // One label: the same forest kind, one output, and its trees are the single-label
            // forest's (the single-output tree, bit for bit).
            let column: Vec<f32> = y.iter().step_by(2).copied().collect();
            let one = fit(a, &params, &x, &column, &names[..1], &|| {}).unwrap();
            let single = a
                .fit(
                    Task::Regression,
                    &params,
                    &x,
                    Labels::Values(&column),
                    &|| {},
                )
                .unwrap();
            let (Fitted::Joint(j), Fitted::Forest(s)) = (one.fitted(), single.fitted()) else {
                panic!("{name}: kinds");
            };
            let Fitted::MultiOutputForest(f) = &j.models[0] else {
                panic!("{name}: not a multi-output forest");
            };
            assert_eq!(f.trees, s.trees, "{name}");
            assert_eq!(
                one.predict_joint(&[1.0, 2.0]).unwrap(),
                [single.predict(&[1.0, 2.0]).unwrap()]
            );
            let mae = a
                .resolve(Task::Regression, &json!({"criterion": "absolute_error"}))
                .unwrap();
            let err = fit(a, &mae, &x, &y, &names, &|| {}).unwrap_err();
            assert!(
                matches!(err, Error::NotSupported { .. })
                    && err.to_string().contains("absolute_error"),
                "{name}: {err}"
            );
        }
    }

    /// A stored joint model whose models answer more or fewer values than it names targets is
    /// refused at load.
    #[test]
    fn a_joint_model_must_answer_each_target_once() {
        let (x, y, names) = data();
        let forest = Algorithm::parse("random_forest").unwrap();
        let params = forest
            .resolve(Task::Regression, &json!({"n_estimators": 2}))
            .unwrap();
        let e = fit(forest, &params, &x, &y, &names, &|| {}).unwrap();
        let Fitted::Joint(j) = e.fitted() else {
            panic!("not joint");
        };
        let mut three = j.clone();
        three.targets.push("c".into());
        let bytes = Fitted::Joint(three).to_bytes().unwrap();
        assert!(Fitted::from_bytes("joint_model", &bytes).unwrap().is_err());
    }

    #[test]
    fn mismatched_targets_are_refused() {
        let (x, y, _) = data();
        let linear = Algorithm::parse("linear").unwrap();
        let params = linear.resolve(Task::Regression, &json!({})).unwrap();
        assert!(fit(linear, &params, &x, &y, &[], &|| {}).is_err());
        assert!(fit(
            linear,
            &params,
            &x,
            &y[1..],
            &["a".into(), "b".into()],
            &|| {}
        )
        .is_err());
    }
}
