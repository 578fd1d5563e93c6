//! Metrics recorded with every model, computed on the test split. Names follow scikit-learn.

use std::collections::BTreeMap;

pub type Metrics = BTreeMap<String, f64>;

pub fn regression(y: &[f32], pred: &[f32]) -> Metrics {
    let n = y.len().max(1) as f64;
    let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut ss_res, mut ss_tot, mut abs) = (0.0, 0.0, 0.0);
    for (&t, &p) in y.iter().zip(pred) {
        let (t, p) = (f64::from(t), f64::from(p));
        ss_res += (t - p) * (t - p);
        ss_tot += (t - mean) * (t - mean);
        abs += (t - p).abs();
    }
    // scikit-learn's convention for a constant target: 1 if perfect, else 0.
    let r2 = if ss_tot == 0.0 {
        if ss_res == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - ss_res / ss_tot
    };
    Metrics::from([
        ("r2".to_string(), r2),
        ("mean_squared_error".to_string(), ss_res / n),
        ("mean_absolute_error".to_string(), abs / n),
    ])
}

/// Multi-output regression: `y` and `pred` row-major with `targets` columns; each metric is the
/// mean of the per-target ones (scikit-learn's `multioutput='uniform_average'`, its default).
pub fn regression_joint(y: &[f32], pred: &[f32], targets: usize) -> Metrics {
    let t = targets.max(1);
    let mut sum = Metrics::new();
    for k in 0..t {
        let column = |v: &[f32]| -> Vec<f32> { v.iter().skip(k).step_by(t).copied().collect() };
        for (name, value) in regression(&column(y), &column(pred)) {
            *sum.entry(name).or_insert(0.0) += value;
        }
    }
    sum.values_mut().for_each(|v| *v /= t as f64);
    sum
}

/// `y` and `pred` are class codes 0..k; `proba` is row-major n × k (None when the model has no
/// probabilities, then roc_auc and log_loss are left out).
pub fn classification(y: &[u32], pred: &[u32], proba: Option<&[f32]>, k: usize) -> Metrics {
    let n = y.len();
    let mut tp = vec![0usize; k];
    let mut fp = vec![0usize; k];
    let mut fn_ = vec![0usize; k];
    let mut correct = 0;
    for (&t, &p) in y.iter().zip(pred) {
        if t == p {
            correct += 1;
            tp[t as usize] += 1;
        } else {
            fp[p as usize] += 1;
            fn_[t as usize] += 1;
        }
    }
    // Macro averages over classes; a class never predicted has precision 0 (scikit-learn's
    // zero_division default, without its warning).
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision: Vec<f64> = (0..k).map(|c| ratio(tp[c], tp[c] + fp[c])).collect();
    let recall: Vec<f64> = (0..k).map(|c| ratio(tp[c], tp[c] + fn_[c])).collect();
    let f1: Vec<f64> = (0..k)
        .map(|c| {
            let (p, r) = (precision[c], recall[c]);
            if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            }
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / k.max(1) as f64;
    let mut m = Metrics::from([
        ("accuracy".to_string(), ratio(correct, n)),
        ("precision".to_string(), mean(&precision)),
        ("recall".to_string(), mean(&recall)),
        ("f1".to_string(), mean(&f1)),
    ]);
    if let Some(proba) = proba {
        let mut log_loss = 0.0;
        for (i, &t) in y.iter().enumerate() {
            let p = f64::from(proba[i * k + t as usize]).clamp(1e-15, 1.0 - 1e-15);
            log_loss -= p.ln();
        }
        m.insert("log_loss".into(), log_loss / n.max(1) as f64);
        // Binary: AUC of the positive class; multi-class: macro one-vs-rest (scikit-learn's "ovr").
        let auc = if k == 2 {
            roc_auc(y, |i| proba[i * k + 1], 1)
        } else {
            let aucs: Vec<f64> = (0..k)
                .filter_map(|c| roc_auc(y, |i| proba[i * k + c], c as u32))
                .collect();
            (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64)
        };
        if let Some(auc) = auc {
            m.insert("roc_auc".into(), auc);
        }
    }
    m
}

/// Area under the ROC curve of `score` for class `positive`, by the rank statistic (ties get
/// average ranks). None when the test set lacks either side.
fn roc_auc(y: &[u32], score: impl Fn(usize) -> f32, positive: u32) -> Option<f64> {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| score(a).total_cmp(&score(b)));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score(idx[j + 1]) == score(idx[i]) {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &r in &idx[i..=j] {
            if y[r] == positive {
                rank_sum_pos += avg_rank;
            }
        }
        i = j + 1;
    }
    let n_pos = y.iter().filter(|&&c| c == positive).count() as f64;
    let n_neg = y.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    Some((rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn regression_metrics_match_hand_computed_values() {
        let m = regression(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]);
        // scikit-learn's documented example: r2_score = 0.948..., mse = 0.375, mae = 0.5.
        assert!(close(m["r2"], 0.9486081370449679), "{m:?}");
        assert!(close(m["mean_squared_error"], 0.375));
        assert!(close(m["mean_absolute_error"], 0.5));
    }

    #[test]
    fn classification_metrics_match_hand_computed_values() {
        let y = [0, 0, 1, 1, 1, 2];
        let pred = [0, 1, 1, 1, 0, 2];
        let m = classification(&y, &pred, None, 3);
        assert!(close(m["accuracy"], 4.0 / 6.0));
        // precision: c0 1/2, c1 2/3, c2 1 ; recall: c0 1/2, c1 2/3, c2 1
        assert!(close(m["precision"], (0.5 + 2.0 / 3.0 + 1.0) / 3.0));
        assert!(close(m["recall"], (0.5 + 2.0 / 3.0 + 1.0) / 3.0));
        assert!(close(m["f1"], (0.5 + 2.0 / 3.0 + 1.0) / 3.0));
        assert!(!m.contains_key("roc_auc"));
    }

    #[test]
    fn auc_and_log_loss_from_probabilities() {
        // scikit-learn's roc_auc_score example: y = [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8] -> 0.75.
        let y = [0, 0, 1, 1];
        let proba = [0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8];
        let m = classification(&y, &[0, 0, 0, 1], Some(&proba), 2);
        assert!(close(m["roc_auc"], 0.75), "{m:?}");
        let p = |v: f32| f64::from(v).ln();
        let expected = -(p(0.9) + p(0.6) + p(0.35) + p(0.8)) / 4.0;
        assert!(
            (m["log_loss"] - expected).abs() < 1e-6,
            "{} vs {expected}",
            m["log_loss"]
        );
    }
}
