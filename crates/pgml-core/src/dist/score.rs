//! Test-split metrics over shards: each shard scores its own test part and sends additive
//! statistics; the merge gives the metrics `metrics::regression` / `metrics::classification`
//! compute on the union of the test parts (except `roc_auc`, a rank statistic, which is left out).

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
        ScorePartial::Classification {
            n: y.len() as u64,
            correct,
            tp,
            fp,
            fn_,
            log_loss,
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
                },
                Classification {
                    n: n2,
                    correct: c2,
                    tp: tp2,
                    fp: fp2,
                    fn_: fn2,
                    log_loss: l2,
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
                m
            }
            ScorePartial::None => Metrics::new(),
        }
    }
}
