//! Test-split metrics over shards: each shard scores its own test part and sends additive
//! statistics; the merge gives the metrics `metrics::regression` / `metrics::classification`
//! compute on the union of the test parts. `roc_auc`, a rank statistic, comes exactly from each
//! shard's map of predicted score → (positive, negative) test rows: predictions and label counts,
//! never a feature.

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ScorePartial {
    Regression {
        n: u64,
        sum_y: f64,
        sum_y2: f64,
        sse: f64,
        sae: f64,
    },
    Classification {
        n: u64,
        correct: u64,
        tp: Vec<u64>,
        fp: Vec<u64>,
        fn_: Vec<u64>,
        /// Σ −ln p(true class), when the model has probabilities.
        log_loss: Option<f64>,
        /// For `roc_auc`, when the model has probabilities: per scored class (class 1 when binary,
        /// every class one-vs-rest otherwise) the distinct scores ascending with how many test rows
        /// of that class and of the others got each.
        #[serde(default)]
        roc: Option<Vec<Vec<(f32, u64, u64)>>>,
    },
    /// Clustering and decomposition: their metrics come from the merged moments.
    None,
}

impl ScorePartial {
    pub fn regression(y: &[f32], pred: &[f32]) -> ScorePartial {
        let (mut sum_y, mut sum_y2, mut sse, mut sae) = (0.0, 0.0, 0.0, 0.0);
        for (&t, &p) in y.iter().zip(pred) {
            let (t, p) = (f64::from(t), f64::from(p));
            sum_y += t;
            sum_y2 += t * t;
            sse += (t - p) * (t - p);
            sae += (t - p).abs();
        }
        ScorePartial::Regression {
            n: y.len() as u64,
            sum_y,
            sum_y2,
            sse,
            sae,
        }
    }

    pub fn classification(
        y: &[u32],
        pred: &[u32],
        proba: Option<&[f32]>,
        k: usize,
    ) -> ScorePartial {
        let (mut tp, mut fp, mut fn_) = (vec![0u64; k], vec![0u64; k], vec![0u64; k]);
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
        let log_loss = proba.map(|proba| {
            y.iter()
                .enumerate()
                .map(|(i, &t)| {
                    -f64::from(proba[i * k + t as usize])
                        .clamp(1e-15, 1.0 - 1e-15)
                        .ln()
                })
                .sum()
        });
        let roc = proba.map(|proba| {
            let classes: Vec<usize> = if k == 2 { vec![1] } else { (0..k).collect() };
            classes
                .into_iter()
                .map(|c| {
                    let mut rows: Vec<(f32, u64, u64)> = y
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| {
                            let hit = u64::from(t as usize == c);
                            (proba[i * k + c], hit, 1 - hit)
                        })
                        .collect();
                    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
                    merge_roc(Vec::new(), rows)
                })
                .collect()
        });
        ScorePartial::Classification {
            n: y.len() as u64,
            correct,
            tp,
            fp,
            fn_,
            log_loss,
            roc,
        }
    }

    /// Adds another shard's statistics.
    pub fn merge(self, other: ScorePartial) -> Result<ScorePartial> {
        use ScorePartial::*;
        Ok(match (self, other) {
            (None, x) | (x, None) => x,
            (
                Regression {
                    n,
                    sum_y,
                    sum_y2,
                    sse,
                    sae,
                },
                Regression {
                    n: n2,
                    sum_y: a,
                    sum_y2: b,
                    sse: c,
                    sae: d,
                },
            ) => Regression {
                n: n + n2,
                sum_y: sum_y + a,
                sum_y2: sum_y2 + b,
                sse: sse + c,
                sae: sae + d,
            },
            (
                Classification {
                    n,
                    correct,
                    mut tp,
                    mut fp,
                    mut fn_,
                    log_loss,
                    roc,
                },
                Classification {
                    n: n2,
                    correct: c2,
                    tp: tp2,
                    fp: fp2,
                    fn_: fn2,
                    log_loss: l2,
                    roc: r2,
                },
            ) if tp.len() == tp2.len() => {
                for (a, b) in tp.iter_mut().zip(tp2) {
                    *a += b;
                }
                for (a, b) in fp.iter_mut().zip(fp2) {
                    *a += b;
                }
                for (a, b) in fn_.iter_mut().zip(fn2) {
                    *a += b;
                }
                Classification {
                    n: n + n2,
                    correct: correct + c2,
                    tp,
                    fp,
                    fn_,
                    log_loss: log_loss.zip(l2).map(|(a, b)| a + b),
                    roc: match (roc, r2) {
                        (Some(a), Some(b)) if a.len() == b.len() => {
                            Some(a.into_iter().zip(b).map(|(x, y)| merge_roc(x, y)).collect())
                        }
                        _ => Option::None,
                    },
                }
            }
            _ => {
                return Err(Error::invalid(
                    "shards sent test statistics of different kinds",
                ))
            }
        })
    }

    /// The metrics of the merged statistics, named as single-server training names them.
    pub fn metrics(&self) -> Metrics {
        match self {
            ScorePartial::Regression {
                n,
                sum_y,
                sum_y2,
                sse,
                sae,
            } => {
                let nf = (*n).max(1) as f64;
                let ss_tot = (sum_y2 - sum_y * sum_y / nf).max(0.0);
                let r2 = if ss_tot == 0.0 {
                    if *sse == 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    1.0 - sse / ss_tot
                };
                Metrics::from([
                    ("r2".to_string(), r2),
                    ("mean_squared_error".to_string(), sse / nf),
                    ("mean_absolute_error".to_string(), sae / nf),
                ])
            }
            ScorePartial::Classification {
                n,
                correct,
                tp,
                fp,
                fn_,
                log_loss,
                roc,
            } => {
                let k = tp.len();
                let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
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
                    ("accuracy".to_string(), ratio(*correct, *n)),
                    ("precision".to_string(), mean(&precision)),
                    ("recall".to_string(), mean(&recall)),
                    ("f1".to_string(), mean(&f1)),
                ]);
                if let Some(l) = log_loss {
                    m.insert("log_loss".into(), l / (*n).max(1) as f64);
                }
                // Binary: the positive class's AUC; multi-class: the mean over the classes that
                // have both sides (scikit-learn's "ovr"), as single-server metrics compute it.
                if let Some(roc) = roc {
                    let aucs: Vec<f64> = roc.iter().filter_map(|r| auc_of(r)).collect();
                    if !aucs.is_empty() {
                        m.insert(
                            "roc_auc".into(),
                            aucs.iter().sum::<f64>() / aucs.len() as f64,
                        );
                    }
                }
                m
            }
            ScorePartial::None => Metrics::new(),
        }
    }
}

/// Two ascending score maps as one, equal scores' counts added.
fn merge_roc(a: Vec<(f32, u64, u64)>, b: Vec<(f32, u64, u64)>) -> Vec<(f32, u64, u64)> {
    let mut out: Vec<(f32, u64, u64)> = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if x.0.total_cmp(&y.0).is_le() {
                    a.next()
                } else {
                    b.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        if let Some((s, p, q)) = next {
            match out.last_mut() {
                Some(last) if last.0.total_cmp(&s).is_eq() => {
                    last.1 += p;
                    last.2 += q;
                }
                _ => out.push((s, p, q)),
            }
        }
    }
    out
}

/// The rank statistic of `metrics::roc_auc` (ties at their average rank) from a score map.
fn auc_of(map: &[(f32, u64, u64)]) -> Option<f64> {
    let (mut before, mut rank_sum_pos) = (0u64, 0.0f64);
    let (mut n_pos, mut n_neg) = (0u64, 0u64);
    for &(_, pos, neg) in map {
        let count = pos + neg;
        let avg_rank = before as f64 + (count as f64 + 1.0) / 2.0;
        rank_sum_pos += pos as f64 * avg_rank;
        before += count;
        n_pos += pos;
        n_neg += neg;
    }
    if n_pos == 0 || n_neg == 0 {
        return Option::None;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * q))
}

#[cfg(test)]
mod roc_tests {
    use super::*;
    use crate::split::SplitMix64;

    /// roc_auc from the shards' score maps equals single-server roc_auc on the union of the test
    /// parts, binary and multi-class, with ties (scores on a coarse grid).
    #[test]
    fn roc_auc_over_shards_equals_the_union() {
        for k in [2usize, 3] {
            let mut rng = SplitMix64(k as u64);
            let n = 900;
            let y: Vec<u32> = (0..n).map(|_| rng.below(k) as u32).collect();
            let mut proba: Vec<f32> = Vec::with_capacity(n * k);
            for &t in &y {
                let raw: Vec<f64> = (0..k)
                    .map(|c| (rng.unit() * 20.0).floor() + if t as usize == c { 6.0 } else { 1.0 })
                    .collect();
                let total: f64 = raw.iter().sum();
                proba.extend(raw.iter().map(|v| (v / total) as f32));
            }
            let pred: Vec<u32> = (0..n)
                .map(|i| {
                    (0..k)
                        .max_by(|&a, &b| proba[i * k + a].total_cmp(&proba[i * k + b]))
                        .unwrap_or(0) as u32
                })
                .collect();
            let whole = crate::metrics::classification(&y, &pred, Some(&proba), k);
            let mut merged = ScorePartial::None;
            for (a, b) in [(0, 300), (300, 317), (317, n)] {
                let part = ScorePartial::classification(
                    &y[a..b],
                    &pred[a..b],
                    Some(&proba[a * k..b * k]),
                    k,
                );
                merged = merged.merge(part).unwrap();
            }
            let m = merged.metrics();
            let (d, s) = (m["roc_auc"], whole["roc_auc"]);
            assert!((d - s).abs() < 1e-12, "k={k}: {d} vs {s}");
            assert!(d > 0.6, "k={k}: the scores carry the label: {d}");
        }
    }
}
