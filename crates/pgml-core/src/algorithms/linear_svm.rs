//! `linear_svm`: scikit-learn's LinearSVC and LinearSVR, liblinear's formulations:
//!
//! - classification, one-vs-rest (one model for two classes): minimize
//!   R(w) + Σ_i C_i·loss(y_i·(w·x̃_i)) with y_i = ±1, loss `squared_hinge` max(0, 1 − z)² or
//!   `hinge` max(0, 1 − z), R = ½‖w‖² (`l2`) or ‖w‖₁ (`l1`);
//! - regression: ½‖w‖² + Σ_i C·loss(w·x̃_i − y_i), loss `epsilon_insensitive` max(0, |r| − ε)
//!   or `squared_epsilon_insensitive` max(0, |r| − ε)².
//!
//! x̃ is the row with one more feature equal to `intercept_scaling` when `fit_intercept`: the
//! intercept is a penalized weight, as liblinear's (so it differs from an unpenalized one). C_i
//! is C times the class weight of the positive class, and plain C for the rest of a multi-class
//! problem's rows, as liblinear weights them.
//!
//! Solvers: the squared losses with the l2 penalty are smooth and strictly convex, so pgml runs
//! Newton's method on the primal (the generalized Hessian I + 2·Σ_active C_i x̃ x̃ᵀ, (p+1)×(p+1))
//! and reaches the one optimum liblinear's primal (trust-region Newton) and dual (coordinate
//! descent) solvers both approach: `dual` does not change the model. `hinge` and
//! `epsilon_insensitive` are not differentiable: their dual is solved by coordinate descent as
//! liblinear does (Hsieh et al. 2008; Ho and Lin 2012), with liblinear's stopping rules on
//! `tol` and `max_iter` passes, rows visited in a random order drawn from `random_state`.
//! `l1` uses liblinear's coordinate descent with one-variable Newton steps and a line search
//! (Yuan et al. 2010). scikit-learn's invalid combinations (hinge with l1, hinge with dual false,
//! l1 with dual true, epsilon_insensitive with dual false) are refused as it refuses them.

use super::params::{float, int, INF};
use super::sgd::params::{boolean, choice};
use super::sgd::{OvrLinearModel, Proba};
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{ClassWeight, DefaultValue, Hyperparams, Kind, Param};
use crate::linalg::{cholesky_solve, Sym};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct LinearSvm;

const DUAL: Param = Param {
    name: "dual",
    kind: Kind::BoolOrName(&["auto"]),
    default: DefaultValue::Str("auto"),
};
const TOL: Param = float("tol", 0.0, INF, true, DefaultValue::Float(1e-4));
const C: Param = float("C", 0.0, INF, true, DefaultValue::Float(1.0));
const FIT_INTERCEPT: Param = boolean("fit_intercept", true);
const INTERCEPT_SCALING: Param = float(
    "intercept_scaling",
    0.0,
    INF,
    true,
    DefaultValue::Float(1.0),
);
/// Accepted, no effect: pgml prints no training progress.
const VERBOSE: Param = int("verbose", 0, i64::MAX, DefaultValue::Int(0));
/// null (scikit-learn's fresh seed) is 0 here, so a retrain gives the same model.
const RANDOM_STATE: Param = int("random_state", 0, i64::MAX, DefaultValue::Null);
const MAX_ITER: Param = int("max_iter", 1, 1_000_000, DefaultValue::Int(1000));

const CLASSIFICATION: &[Param] = &[
    choice("penalty", &["l2", "l1"], "l2"),
    choice("loss", &["squared_hinge", "hinge"], "squared_hinge"),
    DUAL,
    TOL,
    C,
    choice("multi_class", &["ovr", "crammer_singer"], "ovr"),
    FIT_INTERCEPT,
    INTERCEPT_SCALING,
    Param {
        name: "class_weight",
        kind: Kind::ClassWeight(&["none", "balanced"]),
        default: DefaultValue::Str("none"),
    },
    VERBOSE,
    RANDOM_STATE,
    MAX_ITER,
];

const REGRESSION: &[Param] = &[
    float("epsilon", 0.0, INF, false, DefaultValue::Float(0.0)),
    TOL,
    C,
    choice(
        "loss",
        &["epsilon_insensitive", "squared_epsilon_insensitive"],
        "epsilon_insensitive",
    ),
    FIT_INTERCEPT,
    INTERCEPT_SCALING,
    DUAL,
    VERBOSE,
    RANDOM_STATE,
    MAX_ITER,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    SquaredHinge,
    Hinge,
    EpsilonInsensitive,
    SquaredEpsilonInsensitive,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub loss: Loss,
    /// The l1 penalty (classification only); l2 otherwise.
    pub l1: bool,
    pub c: f64,
    pub epsilon: f64,
    pub tol: f64,
    pub max_iter: usize,
    pub fit_intercept: bool,
    pub intercept_scaling: f64,
    /// liblinear's weighted C: 'balanced' or given per class.
    pub class_weight: Option<ClassWeight>,
    pub seed: u64,
}

impl Learner for LinearSvm {
    type Options = Options;

    fn name(&self) -> &'static str {
        "linear_svm"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "LinearSVC",
            _ => "LinearSVR",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, h: &Hyperparams) -> Result<Options> {
        let dual = h.bool_or_name("dual")?.ok();
        let unsupported = |what: String| {
            Err(Error::invalid_with_hint(
                format!("{what} is not a formulation liblinear (and so scikit-learn) solves"),
                match task {
                    Task::Classification => "supported: penalty 'l2' with loss 'squared_hinge' (dual any) or 'hinge' (dual true or 'auto'); penalty 'l1' with loss 'squared_hinge' (dual false or 'auto')",
                    _ => "supported: loss 'squared_epsilon_insensitive' (dual any) or 'epsilon_insensitive' (dual true or 'auto')",
                },
            ))
        };
        let (loss, l1, epsilon, class_weight) = match task {
            Task::Classification => {
                if h.str("multi_class")? == "crammer_singer" {
                    return Err(Error::not_supported(
                        "multi_class crammer_singer is not supported by pgml yet",
                        "use multi_class 'ovr' (one-vs-rest, scikit-learn's default)",
                    ));
                }
                let l1 = h.str("penalty")? == "l1";
                let loss = match h.str("loss")? {
                    "hinge" => Loss::Hinge,
                    _ => Loss::SquaredHinge,
                };
                match (l1, loss, dual) {
                    (true, Loss::Hinge, _) => {
                        return unsupported("penalty l1 with loss hinge".into())
                    }
                    (false, Loss::Hinge, Some(false)) => {
                        return unsupported("loss hinge with dual false".into())
                    }
                    (true, _, Some(true)) => {
                        return unsupported("penalty l1 with dual true".into())
                    }
                    _ => {}
                }
                (loss, l1, 0.0, h.class_weight("class_weight")?)
            }
            _ => {
                let loss = match h.str("loss")? {
                    "squared_epsilon_insensitive" => Loss::SquaredEpsilonInsensitive,
                    _ => Loss::EpsilonInsensitive,
                };
                if loss == Loss::EpsilonInsensitive && dual == Some(false) {
                    return unsupported("loss epsilon_insensitive with dual false".into());
                }
                (loss, false, h.float("epsilon")?, None)
            }
        };
        Ok(Options {
            loss,
            l1,
            c: h.float("C")?,
            epsilon,
            tol: h.float("tol")?,
            max_iter: h.usize("max_iter")?,
            fit_intercept: h.bool("fit_intercept")?,
            intercept_scaling: h.float("intercept_scaling")?,
            class_weight,
            seed: h.opt_int("random_state")?.unwrap_or(0).unsigned_abs(),
        })
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        match labels {
            Labels::Values(y) => Ok(Fitted::Linear(fit_regressor(x, y, o, check_interrupts))),
            Labels::Classes { codes, num_classes } => Ok(Fitted::OvrLinear(fit_classifier(
                x,
                codes,
                num_classes,
                o,
                check_interrupts,
            )?)),
            Labels::None => Err(wrong_labels(self.name(), task)),
        }
    }
}

/// The training columns in f64, with the intercept's column (all `intercept_scaling`) last.
struct Design {
    n: usize,
    /// Columns, the bias column included.
    cols: Vec<Vec<f64>>,
}

impl Design {
    fn new(x: &Matrix, o: &Options) -> Design {
        let n = x.rows();
        let mut cols: Vec<Vec<f64>> = (0..x.cols())
            .map(|j| x.col(j).iter().map(|&v| f64::from(v)).collect())
            .collect();
        if o.fit_intercept {
            cols.push(vec![o.intercept_scaling; n]);
        }
        Design { n, cols }
    }

    fn d(&self) -> usize {
        self.cols.len()
    }

    fn scores(&self, w: &[f64]) -> Vec<f64> {
        let mut s = vec![0.0; self.n];
        for (c, &wj) in self.cols.iter().zip(w) {
            if wj != 0.0 {
                for (si, &v) in s.iter_mut().zip(c) {
                    *si += wj * v;
                }
            }
        }
        s
    }

    /// Row-major copy for the dual solvers, which visit one row at a time.
    fn rows(&self) -> Vec<f64> {
        let d = self.d();
        let mut r = vec![0.0; self.n * d];
        for (j, c) in self.cols.iter().enumerate() {
            for (i, &v) in c.iter().enumerate() {
                r[i * d + j] = v;
            }
        }
        r
    }
}

/// One binary or regression problem: targets (±1 or values) and each row's C.
struct Problem<'a> {
    t: &'a [f64],
    c: &'a [f64],
}

/// (loss, d loss / d s, d² loss / d s²) of one row's score s, for the squared losses.
fn squared_loss(loss: Loss, epsilon: f64, s: f64, t: f64, c: f64) -> (f64, f64, f64) {
    match loss {
        Loss::SquaredEpsilonInsensitive => {
            let r = s - t;
            let e = r.abs() - epsilon;
            if e > 0.0 {
                (c * e * e, 2.0 * c * e * r.signum(), 2.0 * c)
            } else {
                (0.0, 0.0, 0.0)
            }
        }
        _ => {
            let m = 1.0 - t * s;
            if m > 0.0 {
                (c * m * m, -2.0 * c * t * m, 2.0 * c)
            } else {
                (0.0, 0.0, 0.0)
            }
        }
    }
}

/// Newton's method on ½‖w‖² + Σ C_i·loss_i for the squared (once-differentiable, piecewise
/// quadratic) losses; a backtracking line search keeps every step a descent.
fn newton(
    design: &Design,
    prob: &Problem<'_>,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let d = design.d();
    let objective = |w: &[f64], s: &[f64]| -> f64 {
        let reg = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
        reg + (0..design.n)
            .map(|i| squared_loss(o.loss, o.epsilon, s[i], prob.t[i], prob.c[i]).0)
            .sum::<f64>()
    };
    let mut w = vec![0.0; d];
    let mut s = vec![0.0; design.n];
    let mut f = objective(&w, &s);
    let mut g0 = None;
    for _ in 0..o.max_iter {
        check_interrupts();
        let mut d1 = vec![0.0; design.n];
        let mut d2 = vec![0.0; design.n];
        for i in 0..design.n {
            let (_, a, b) = squared_loss(o.loss, o.epsilon, s[i], prob.t[i], prob.c[i]);
            d1[i] = a;
            d2[i] = b;
        }
        let g: Vec<f64> = (0..d)
            .map(|j| {
                w[j] + design.cols[j]
                    .iter()
                    .zip(&d1)
                    .map(|(x, a)| x * a)
                    .sum::<f64>()
            })
            .collect();
        let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        let g0 = *g0.get_or_insert(gnorm);
        // Far below liblinear's own stopping point (tol·‖g₀‖): the model is the optimum, to
        // rounding, whatever tol says.
        if gnorm <= 1e-10 * g0.max(1.0) {
            break;
        }
        let active: Vec<usize> = (0..design.n).filter(|&i| d2[i] != 0.0).collect();
        let mut h = Sym::zeros(d);
        for j in 0..d {
            for k in 0..=j {
                let (cj, ck) = (&design.cols[j], &design.cols[k]);
                let v: f64 = active.iter().map(|&i| d2[i] * cj[i] * ck[i]).sum();
                h.a[j * d + k] = v;
                h.a[k * d + j] = v;
            }
            h.a[j * d + j] += 1.0;
        }
        let neg: Vec<f64> = g.iter().map(|v| -v).collect();
        let Some(step) = cholesky_solve(&h, &neg) else {
            break;
        };
        let slope: f64 = g.iter().zip(&step).map(|(a, b)| a * b).sum();
        if slope >= 0.0 {
            break;
        }
        let ds = design.scores(&step);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..50 {
            let wn: Vec<f64> = w.iter().zip(&step).map(|(a, b)| a + t * b).collect();
            let sn: Vec<f64> = s.iter().zip(&ds).map(|(a, b)| a + t * b).collect();
            let fn_ = objective(&wn, &sn);
            if fn_ <= f + 1e-4 * t * slope {
                accepted = Some((wn, sn, fn_));
                break;
            }
            t *= 0.5;
        }
        let Some((wn, sn, fn_)) = accepted else { break };
        let stalled = f - fn_ <= 1e-15 * f.abs();
        w = wn;
        s = sn;
        f = fn_;
        if stalled {
            break;
        }
    }
    w
}

/// liblinear's dual coordinate descent for the hinge loss (l2 penalty): 0 ≤ α_i ≤ C_i,
/// w = Σ α_i y_i x̃_i; stops when the projected gradients' spread is at most tol.
fn dual_hinge(
    rows: &[f64],
    d: usize,
    prob: &Problem<'_>,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let n = prob.t.len();
    let qd: Vec<f64> = (0..n)
        .map(|i| rows[i * d..(i + 1) * d].iter().map(|v| v * v).sum())
        .collect();
    let mut alpha = vec![0.0; n];
    let mut w = vec![0.0; d];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64(o.seed);
    for _ in 0..o.max_iter {
        check_interrupts();
        rng.shuffle(&mut order);
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        for &i in &order {
            if qd[i] <= 0.0 {
                continue;
            }
            let xi = &rows[i * d..(i + 1) * d];
            let y = prob.t[i];
            let g = y * dot(&w, xi) - 1.0;
            let u = prob.c[i];
            let pg = if alpha[i] == 0.0 {
                g.min(0.0)
            } else if alpha[i] >= u {
                g.max(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).clamp(0.0, u);
                let step = (alpha[i] - old) * y;
                w.iter_mut().zip(xi).for_each(|(wj, &v)| *wj += step * v);
            }
        }
        if pg_max - pg_min <= o.tol {
            break;
        }
    }
    w
}

/// liblinear's dual coordinate descent for the ε-insensitive loss (l2 penalty):
/// −C ≤ β_i ≤ C, w = Σ β_i x̃_i; stops when the summed violation falls to tol times the first
/// pass's.
fn dual_epsilon_insensitive(
    rows: &[f64],
    d: usize,
    prob: &Problem<'_>,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let n = prob.t.len();
    let qd: Vec<f64> = (0..n)
        .map(|i| rows[i * d..(i + 1) * d].iter().map(|v| v * v).sum())
        .collect();
    let mut beta = vec![0.0; n];
    let mut w = vec![0.0; d];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64(o.seed);
    let mut first = None;
    for _ in 0..o.max_iter {
        check_interrupts();
        rng.shuffle(&mut order);
        let mut violation = 0.0;
        for &i in &order {
            if qd[i] <= 0.0 {
                continue;
            }
            let xi = &rows[i * d..(i + 1) * d];
            let u = prob.c[i];
            let g = dot(&w, xi) - prob.t[i];
            let (gp, gn) = (g + o.epsilon, g - o.epsilon);
            let b = beta[i];
            violation += if b == 0.0 {
                if gp < 0.0 {
                    -gp
                } else if gn > 0.0 {
                    gn
                } else {
                    0.0
                }
            } else if b >= u {
                gp.max(0.0)
            } else if b <= -u {
                (-gn).max(0.0)
            } else if b > 0.0 {
                gp.abs()
            } else {
                gn.abs()
            };
            let h = qd[i];
            let step = if gp < h * b {
                -gp / h
            } else if gn > h * b {
                -gn / h
            } else {
                -b
            };
            let new = (b + step).clamp(-u, u);
            if new != b {
                beta[i] = new;
                let delta = new - b;
                w.iter_mut().zip(xi).for_each(|(wj, &v)| *wj += delta * v);
            }
        }
        let first = *first.get_or_insert(violation);
        if violation <= o.tol * first {
            break;
        }
    }
    w
}

/// liblinear's coordinate descent for ‖w‖₁ + Σ C_i·max(0, 1 − y_i w·x̃_i)² (solve_l1r_l2_svc):
/// a one-variable Newton step with the l1 term's subgradient, then a backtracking line search.
fn l1_squared_hinge(
    design: &Design,
    prob: &Problem<'_>,
    o: &Options,
    tol: f64,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    let (n, d) = (design.n, design.d());
    let mut w = vec![0.0; d];
    // b_i = 1 − y_i w·x̃_i.
    let mut b = vec![1.0; n];
    let mut order: Vec<usize> = (0..d).collect();
    let mut rng = SplitMix64(o.seed);
    let mut first = None;
    for _ in 0..o.max_iter {
        check_interrupts();
        rng.shuffle(&mut order);
        let mut violation = 0.0;
        for &j in &order {
            let col = &design.cols[j];
            let (mut g, mut h) = (0.0, 0.0);
            for i in 0..n {
                if b[i] > 0.0 {
                    let v = prob.t[i] * col[i];
                    g -= 2.0 * prob.c[i] * v * b[i];
                    h += 2.0 * prob.c[i] * col[i] * col[i];
                }
            }
            let h = h.max(1e-12);
            let (gp, gn) = (g + 1.0, g - 1.0);
            let wj = w[j];
            violation += if wj == 0.0 {
                if gp < 0.0 {
                    -gp
                } else if gn > 0.0 {
                    gn
                } else {
                    0.0
                }
            } else if wj > 0.0 {
                gp.abs()
            } else {
                gn.abs()
            };
            let dir = if gp < h * wj {
                -gp / h
            } else if gn > h * wj {
                -gn / h
            } else {
                -wj
            };
            if dir.abs() < 1e-12 {
                continue;
            }
            let loss_at = |step: f64| -> f64 {
                (0..n)
                    .map(|i| {
                        let bi = b[i] - step * prob.t[i] * col[i];
                        if bi > 0.0 {
                            prob.c[i] * bi * bi
                        } else {
                            0.0
                        }
                    })
                    .sum()
            };
            let base = loss_at(0.0) + wj.abs();
            let delta = g * dir + (wj + dir).abs() - wj.abs();
            let mut step = 1.0;
            let mut moved = false;
            for _ in 0..30 {
                let f = loss_at(step * dir) + (wj + step * dir).abs();
                if f - base <= 0.01 * step * delta {
                    moved = true;
                    break;
                }
                step *= 0.5;
            }
            if moved {
                let delta_w = step * dir;
                w[j] = wj + delta_w;
                for i in 0..n {
                    b[i] -= delta_w * prob.t[i] * col[i];
                }
            }
        }
        let first = *first.get_or_insert(violation);
        if violation <= tol * first {
            break;
        }
    }
    w
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The weights of one problem by the solver its loss and penalty call for.
fn solve(
    design: &Design,
    rows: &mut Option<Vec<f64>>,
    prob: &Problem<'_>,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Vec<f64> {
    match (o.loss, o.l1) {
        (Loss::SquaredHinge, true) => {
            // liblinear's primal stopping tolerance: tol scaled by the smaller class's share.
            let pos = prob.t.iter().filter(|&&t| t > 0.0).count();
            let neg = prob.t.len() - pos;
            let tol = o.tol * pos.min(neg).max(1) as f64 / prob.t.len().max(1) as f64;
            l1_squared_hinge(design, prob, o, tol, check_interrupts)
        }
        (Loss::Hinge, _) => {
            let r = rows.get_or_insert_with(|| design.rows());
            dual_hinge(r, design.d(), prob, o, check_interrupts)
        }
        (Loss::EpsilonInsensitive, _) => {
            let r = rows.get_or_insert_with(|| design.rows());
            dual_epsilon_insensitive(r, design.d(), prob, o, check_interrupts)
        }
        _ => newton(design, prob, o, check_interrupts),
    }
}

/// Splits a solution into the features' weights and the intercept.
fn split_bias(mut w: Vec<f64>, o: &Options, p: usize) -> (Vec<f64>, f64) {
    let b = if o.fit_intercept {
        w[p] * o.intercept_scaling
    } else {
        0.0
    };
    w.truncate(p);
    (w, b)
}

pub fn fit_regressor(
    x: &Matrix,
    y: &[f32],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> LinearModel {
    let design = Design::new(x, o);
    let t: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let c = vec![o.c; t.len()];
    let w = solve(
        &design,
        &mut None,
        &Problem { t: &t, c: &c },
        o,
        check_interrupts,
    );
    let (coef, b) = split_bias(w, o, x.cols());
    LinearModel {
        p: x.cols(),
        coef,
        intercept: vec![b],
        output: LinearOutput::Value,
    }
}

pub fn fit_classifier(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<OvrLinearModel> {
    if num_classes < 2 {
        return Err(Error::bad_data(
            "classification needs at least two classes in the training data",
            "check the label column, or use a larger training set",
        ));
    }
    let n = codes.len();
    let mut counts = vec![0usize; num_classes];
    for &k in codes {
        counts[k as usize] += 1;
    }
    // class_weight 'balanced': n / (k · count of the class), as scikit-learn computes it; or
    // as given per class.
    let given = match &o.class_weight {
        Some(cw) => cw.per_class(num_classes)?,
        None => None,
    };
    let balanced = o.class_weight == Some(ClassWeight::Balanced);
    let weight = |k: usize| match given {
        Some(w) => w[k],
        None if balanced && counts[k] > 0 => n as f64 / (num_classes as f64 * counts[k] as f64),
        None => 1.0,
    };
    let design = Design::new(x, o);
    let mut rows = None;
    let models = if num_classes == 2 { 1 } else { num_classes };
    let (mut coef, mut intercept) = (Vec::new(), Vec::new());
    for m in 0..models {
        let positive = if num_classes == 2 { 1 } else { m };
        let t: Vec<f64> = codes
            .iter()
            .map(|&k| if k as usize == positive { 1.0 } else { -1.0 })
            .collect();
        // liblinear: two classes weight both sides; one-vs-rest weights the positive class
        // and gives the rest plain C.
        let c: Vec<f64> = codes
            .iter()
            .map(|&k| {
                let k = k as usize;
                if k == positive || num_classes == 2 {
                    o.c * weight(k)
                } else {
                    o.c
                }
            })
            .collect();
        let w = solve(
            &design,
            &mut rows,
            &Problem { t: &t, c: &c },
            o,
            check_interrupts,
        );
        let (w, b) = split_bias(w, o, x.cols());
        coef.extend(w);
        intercept.push(b);
    }
    Ok(OvrLinearModel {
        p: x.cols(),
        num_classes,
        coef,
        intercept,
        proba: Proba::None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::algorithms::{Algorithm, Predictor};

    fn options(loss: Loss, l1: bool) -> Options {
        Options {
            loss,
            l1,
            c: 1.0,
            epsilon: 0.0,
            tol: 1e-6,
            max_iter: 100_000,
            fit_intercept: true,
            intercept_scaling: 1.0,
            class_weight: None,
            seed: 0,
        }
    }

    fn two_blobs() -> (Matrix, Vec<u32>) {
        let rows: Vec<Vec<f32>> = (0..80)
            .map(|i| {
                let s = if i % 2 == 0 { 1.0 } else { -1.0 };
                vec![s * 2.0 + (i % 7) as f32 * 0.3, s + (i % 5) as f32 * 0.2]
            })
            .collect();
        let codes = (0..80).map(|i| u32::from(i % 2 == 0)).collect();
        (Matrix::from_rows(&rows).unwrap(), codes)
    }

    /// The primal objective ½‖w‖² + C·Σ loss with the bias penalized.
    fn objective(m: &OvrLinearModel, x: &Matrix, codes: &[u32], loss: Loss) -> f64 {
        let w = [m.coef.clone(), m.intercept.clone()].concat();
        let mut f = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
        for (i, &k) in codes.iter().enumerate() {
            let y = if k == 1 { 1.0 } else { -1.0 };
            let s = m.intercept[0]
                + (0..x.cols())
                    .map(|j| m.coef[j] * f64::from(x.get(i, j)))
                    .sum::<f64>();
            let h = (1.0 - y * s).max(0.0);
            f += if loss == Loss::Hinge { h } else { h * h };
        }
        f
    }

    /// The dual solver and Newton's method reach the same optimum of their own objectives, and no
    /// small move of the weights improves either.
    #[test]
    fn solvers_reach_the_optimum() {
        let (x, codes) = two_blobs();
        for loss in [Loss::SquaredHinge, Loss::Hinge] {
            let m = fit_classifier(&x, &codes, 2, &options(loss, false), &|| {}).unwrap();
            let best = objective(&m, &x, &codes, loss);
            for j in 0..3 {
                for delta in [-1e-3, 1e-3] {
                    let mut moved = m.clone();
                    if j < 2 {
                        moved.coef[j] += delta;
                    } else {
                        moved.intercept[0] += delta;
                    }
                    assert!(
                        objective(&moved, &x, &codes, loss) >= best - 1e-9,
                        "{loss:?}: moving weight {j} by {delta} improves the objective"
                    );
                }
            }
            let correct = (0..x.rows())
                .filter(|&i| m.predict(&x.row(i)) == Some(codes[i] as f32))
                .count();
            assert!(correct >= 78, "{loss:?}: {correct} of 80");
        }
    }

    #[test]
    fn l1_zeroes_a_useless_feature_and_regressors_fit_a_line() {
        let rows: Vec<Vec<f32>> = (0..60)
            .map(|i| vec![(i % 10) as f32, ((i * 7) % 3) as f32 * 0.001])
            .collect();
        let codes: Vec<u32> = rows.iter().map(|r| u32::from(r[0] >= 5.0)).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let m = fit_classifier(&x, &codes, 2, &options(Loss::SquaredHinge, true), &|| {}).unwrap();
        assert_eq!(m.coef[1], 0.0, "{m:?}");
        assert!(m.coef[0] > 0.0);
        let y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] + 1.0).collect();
        for loss in [Loss::EpsilonInsensitive, Loss::SquaredEpsilonInsensitive] {
            let o = Options {
                c: 100.0,
                ..options(loss, false)
            };
            let m = fit_regressor(&x, &y, &o, &|| {});
            let p = m.predict(&[4.0, 0.0]);
            assert!((p - 9.0).abs() < 0.05, "{loss:?}: {p}");
        }
    }

    #[test]
    fn scikit_learns_unsupported_combinations_are_refused() {
        let a = Algorithm::parse("linear_svm").unwrap();
        let c = Task::Classification;
        for hp in [
            json!({"penalty": "l1", "loss": "hinge"}),
            json!({"loss": "hinge", "dual": false}),
            json!({"penalty": "l1", "dual": true}),
        ] {
            let e = a.resolve(c, &hp).unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { .. }), "{hp}: {e}");
            assert!(e.hint().unwrap().contains("supported:"), "{e:?}");
        }
        let e = a
            .resolve(Task::Regression, &json!({"dual": false}))
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("epsilon_insensitive with dual false"));
        let e = a
            .resolve(c, &json!({"multi_class": "crammer_singer"}))
            .unwrap_err();
        assert!(matches!(e, Error::NotSupported { .. }), "{e}");
        let e = a.resolve(c, &json!({"dual": "yes"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "hyperparameter dual of linear_svm must be true, false or auto, got \"yes\""
        );
        assert!(a
            .resolve(c, &json!({"penalty": "l1", "dual": false}))
            .is_ok());
        assert!(a
            .resolve(c, &json!({"loss": "hinge", "dual": true}))
            .is_ok());
    }
}
