//! What the two gradient-boosting learners (`gradient_boosting_trees`, `hist_gradient_boosting`)
//! share: scikit-learn's percentiles (the init estimators and the leaf updates of the
//! non-differentiable losses use them), the validation split of early stopping, the links from
//! raw scores to probabilities, and the output kind stored with a model (by name).

use crate::split::{self, Sampling};
use crate::{Error, Result};

/// numpy's `np.percentile(values, q)` with its default linear interpolation (what
/// scikit-learn's init estimators use when no sample weights were given). Empty: 0.
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable_by(f64::total_cmp);
    let position = q / 100.0 * (values.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = (low + 1).min(values.len() - 1);
    let fraction = position - low as f64;
    values[low] + fraction * (values[high] - values[low])
}

/// scikit-learn's `_weighted_percentile`: the lower weighted percentile (the first value whose
/// cumulative weight reaches `q`% of the total), used by the leaf updates of absolute_error,
/// huber and quantile when sample weights exist. Empty: 0.
pub fn weighted_percentile(pairs: &mut [(f64, f64)], q: f64) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut target = q / 100.0 * total;
    if target == 0.0 {
        // scikit-learn skips leading zero weights for the 0th percentile.
        target = f64::MIN_POSITIVE;
    }
    let mut cumulative = 0.0;
    for (i, &(v, w)) in pairs.iter().enumerate() {
        cumulative += w;
        if cumulative >= target {
            return v;
        }
        if i + 1 == pairs.len() {
            return v;
        }
    }
    pairs[pairs.len() - 1].0
}

/// Rows kept for training and rows held out for early stopping: `fraction` of them (rounded up),
/// stratified by class for classifiers, as scikit-learn's `train_test_split` in both boosters.
pub fn validation_split(
    n: usize,
    fraction: f64,
    classes: Option<&[u32]>,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let sampling = if classes.is_some() {
        Sampling::Stratified
    } else {
        Sampling::Random
    };
    split::split(n, fraction, sampling, classes, seed).map_err(|_| {
        Error::bad_data(
            format!(
                "{n} training rows are too few to hold out a validation_fraction of {fraction} for early stopping"
            ),
            "use more rows, a larger validation_fraction, or turn early stopping off",
        )
    })
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Softmax of `raw`, in place.
pub fn softmax(raw: &mut [f64]) {
    let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in raw.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    raw.iter_mut().for_each(|v| *v /= sum);
}

/// How a boosted model's raw scores become its answer. Stored by name (never by position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The raw score is the prediction (squared, absolute, huber, quantile losses).
    Identity,
    /// exp(raw) (poisson and gamma, whose link is the log).
    Exp,
    /// Binary log loss: P(class 1) = sigmoid(raw).
    Logistic,
    /// Binary exponential loss: P(class 1) = sigmoid(2 raw).
    Exponential,
    /// Multinomial log loss: one raw score per class, softmax.
    Softmax,
}

impl Output {
    pub fn as_str(self) -> &'static str {
        match self {
            Output::Identity => "identity",
            Output::Exp => "exp",
            Output::Logistic => "logistic",
            Output::Exponential => "exponential",
            Output::Softmax => "softmax",
        }
    }

    pub fn parse(s: &str) -> Option<Output> {
        Some(match s {
            "identity" => Output::Identity,
            "exp" => Output::Exp,
            "logistic" => Output::Logistic,
            "exponential" => Output::Exponential,
            "softmax" => Output::Softmax,
            _ => return None,
        })
    }

    pub fn is_classification(self) -> bool {
        matches!(
            self,
            Output::Logistic | Output::Exponential | Output::Softmax
        )
    }

    /// Regression: the value. Classification: the class code of the highest score (the first
    /// on ties, as numpy's argmax; for two classes, class 1 only when its score is positive).
    pub fn predict(self, raw: &[f64]) -> f32 {
        match self {
            Output::Identity => raw[0] as f32,
            Output::Exp => raw[0].exp() as f32,
            Output::Logistic | Output::Exponential => f32::from(u8::from(raw[0] > 0.0)),
            Output::Softmax => {
                let mut best = 0;
                for c in 1..raw.len() {
                    if raw[c] > raw[best] {
                        best = c;
                    }
                }
                best as f32
            }
        }
    }

    pub fn proba(self, raw: &[f64]) -> Option<Vec<f32>> {
        let p1 = match self {
            Output::Identity | Output::Exp => return None,
            Output::Logistic => sigmoid(raw[0]),
            Output::Exponential => sigmoid(2.0 * raw[0]),
            Output::Softmax => {
                let mut p = raw.to_vec();
                softmax(&mut p);
                return Some(p.into_iter().map(|v| v as f32).collect());
            }
        };
        Some(vec![(1.0 - p1) as f32, p1 as f32])
    }
}

impl serde::Serialize for Output {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Output {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Output, D::Error> {
        let s = String::deserialize(d)?;
        Output::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown boosting output \"{s}\"")))
    }
}

/// The class frequencies scikit-learn's init uses, clipped away from 0 and 1 by `eps` (float32's
/// epsilon in GradientBoosting, float64's in HistGradientBoosting).
pub fn class_priors(codes: &[u32], weight: Option<&[f64]>, k: usize, eps: f64) -> Vec<f64> {
    let mut counts = vec![0.0; k];
    for (i, &c) in codes.iter().enumerate() {
        counts[c as usize] += weight.map_or(1.0, |w| w[i]);
    }
    let total: f64 = counts.iter().sum();
    counts
        .iter()
        .map(|c| (c / total.max(f64::MIN_POSITIVE)).clamp(eps, 1.0 - eps))
        .collect()
}

/// scikit-learn's symmetric multinomial link: log p_k minus the mean of the logs.
pub fn symmetric_log(p: &[f64]) -> Vec<f64> {
    let logs: Vec<f64> = p.iter().map(|v| v.ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    logs.iter().map(|v| v - mean).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_numpys_and_scikit_learns() {
        assert_eq!(percentile(&mut [3.0, 1.0, 2.0, 4.0], 50.0), 2.5);
        assert_eq!(percentile(&mut [1.0, 2.0, 3.0, 4.0, 5.0], 90.0), 4.6);
        assert_eq!(percentile(&mut [7.0], 10.0), 7.0);
        // The lower weighted percentile: [1, 2, 3, 4] unweighted has median 2 (not 2.5).
        let mut p = [(4.0, 1.0), (1.0, 1.0), (3.0, 1.0), (2.0, 1.0)];
        assert_eq!(weighted_percentile(&mut p, 50.0), 2.0);
        let mut p = [(1.0, 1.0), (2.0, 5.0), (3.0, 1.0)];
        assert_eq!(weighted_percentile(&mut p, 90.0), 3.0);
        assert_eq!(weighted_percentile(&mut p, 20.0), 2.0);
        let mut p = [(1.0, 0.0), (2.0, 1.0)];
        assert_eq!(weighted_percentile(&mut p, 0.0), 2.0);
    }

    #[test]
    fn outputs_are_stored_by_name() {
        for o in [
            Output::Identity,
            Output::Exp,
            Output::Logistic,
            Output::Exponential,
            Output::Softmax,
        ] {
            let b = postcard::to_stdvec(&o).unwrap();
            assert_eq!(&b[1..], o.as_str().as_bytes());
            assert_eq!(postcard::from_bytes::<Output>(&b).unwrap(), o);
        }
        assert!(postcard::from_bytes::<Output>(b"\x04tanh").is_err());
        assert_eq!(Output::Logistic.predict(&[0.0]), 0.0);
        assert_eq!(Output::Softmax.predict(&[1.0, 3.0, 3.0]), 1.0);
        let p = Output::Exponential.proba(&[0.5]).unwrap();
        assert!((p[1] - sigmoid(1.0) as f32).abs() < 1e-7);
        assert_eq!(symmetric_log(&[0.5, 0.5]), [0.0, 0.0]);
    }
}
