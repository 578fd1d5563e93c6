//! libsvm's SMO solver for the SVM duals (`Solver` and `Solver_NU` in libsvm's svm.cpp), with its
//! shrinking heuristic: min ½αᵀQα + pᵀα, yᵀα fixed, 0 ≤ α ≤ C, over `l` variables.
//!
//! Shrinking (scikit-learn's default `shrinking=True`) sets aside, every min(l, 1000) steps,
//! the variables at a bound whose gradient says they will stay there, so that a step computes
//! kernel entries and updates gradients over the active variables only; before stopping, the
//! whole gradient is rebuilt (from `g_bar`, the part due to variables at their upper bound) and
//! the stopping rule is checked on all variables, so the optimum reached is the one without
//! shrinking, to the same `tol`. Like libsvm, the active variables are kept first by swapping
//! positions, and the Q-row cache follows the swaps (rows hold only the prefix computed so far).

use super::svm_solver::{Kernel, KernelKind, Rows};

const TAU: f64 = 1e-12;
/// SMO iterations between interrupt checks: each costs at most two kernel rows, O(n·p).
const CHECK_EVERY: u64 = 100;
/// No row to keep while evicting.
const NONE: usize = usize::MAX;
const LOWER: u8 = 0;
const UPPER: u8 = 1;
const FREE: u8 = 2;

fn status_of(alpha: f64, upper: f64) -> u8 {
    if alpha >= upper {
        UPPER
    } else if alpha <= 0.0 {
        LOWER
    } else {
        FREE
    }
}

/// Q rows by variable position, as the solver's swaps order them.
pub(super) trait QMatrix {
    /// Makes the first `len` entries of row `i` available to `row`; never evicts row `keep`.
    fn fill(&mut self, i: usize, len: usize, keep: usize);
    /// Row `i` as last filled (at least the `len` asked for).
    fn row(&self, i: usize) -> &[f64];
    fn qd(&self, i: usize) -> f64 {
        self.qd_all()[i]
    }
    /// Q's diagonal by position.
    fn qd_all(&self) -> &[f64];
    fn swap(&mut self, i: usize, j: usize);
}

/// Rows of f64 by index, each the prefix computed so far, kept least-recently-used first out
/// within a budget of entries (libsvm's `Cache`).
struct Cache {
    heads: Vec<Vec<f64>>,
    stamp: Vec<u64>,
    /// Indices with a row, and each index's place in that list (NONE without a row).
    cached: Vec<usize>,
    slot: Vec<usize>,
    clock: u64,
    used: usize,
    capacity: usize,
}

impl Cache {
    /// `cache_mb` as libsvm's: at least two full rows, so a pair always fits.
    fn new(n: usize, cache_mb: f64) -> Cache {
        let capacity = ((cache_mb * 1024.0 * 1024.0 / 8.0) as usize).max(2 * n);
        Cache {
            heads: vec![Vec::new(); n],
            stamp: vec![0; n],
            cached: Vec::new(),
            slot: vec![NONE; n],
            clock: 0,
            used: 0,
            capacity,
        }
    }

    fn evict(&mut self, h: usize) {
        let s = self.slot[h];
        self.cached.swap_remove(s);
        if let Some(&moved) = self.cached.get(s) {
            self.slot[moved] = s;
        }
        self.slot[h] = NONE;
        self.used -= self.heads[h].len();
        self.heads[h] = Vec::new();
    }

    /// Row `i` with at least `len` entries; `extend(start, row)` appends entries start..len.
    fn get(
        &mut self,
        i: usize,
        len: usize,
        keep: usize,
        extend: impl FnOnce(usize, &mut Vec<f64>),
    ) -> &[f64] {
        self.clock += 1;
        self.stamp[i] = self.clock;
        let start = self.heads[i].len();
        if start < len {
            while self.used + (len - start) > self.capacity {
                let victim = self
                    .cached
                    .iter()
                    .copied()
                    .filter(|&h| h != i && h != keep)
                    .min_by_key(|&h| self.stamp[h]);
                match victim {
                    Some(h) => self.evict(h),
                    None => break,
                }
            }
            if self.slot[i] == NONE {
                self.slot[i] = self.cached.len();
                self.cached.push(i);
            }
            let row = &mut self.heads[i];
            row.reserve_exact(len - start);
            extend(start, row);
            debug_assert_eq!(row.len(), len);
            self.used += len - start;
        }
        &self.heads[i]
    }

    /// Swaps indices i and j, within every cached row too; a row holding one of the two
    /// entries but not the other is dropped (libsvm's `Cache::swap_index`).
    fn swap(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        self.heads.swap(i, j);
        self.stamp.swap(i, j);
        self.slot.swap(i, j);
        for h in [i, j] {
            if self.slot[h] != NONE {
                self.cached[self.slot[h]] = h;
            }
        }
        let (a, b) = (i.min(j), i.max(j));
        let mut s = 0;
        while s < self.cached.len() {
            let h = self.cached[s];
            let len = self.heads[h].len();
            if len > b {
                self.heads[h].swap(a, b);
            } else if len > a {
                // evict moves another index into place s: look at it next.
                self.evict(h);
                continue;
            }
            s += 1;
        }
    }
}

/// C-SVC and ν-SVC: one variable per row, Q_st = y_s y_t K(x_s, x_t) cached as is. The rows
/// are copied and moved with the solver's swaps, so a Q row reads them in order.
pub(super) struct SvcQ {
    kernel: Kernel,
    p: usize,
    /// Row-major, by position.
    x: Vec<f64>,
    sq: Vec<f64>,
    y: Vec<f64>,
    qd: Vec<f64>,
    cache: Cache,
}

impl SvcQ {
    pub(super) fn new(rows: &Rows, kernel: Kernel, y: &[f64], cache_mb: f64) -> SvcQ {
        let n = rows.len();
        SvcQ {
            kernel,
            p: rows.p(),
            x: (0..n).flat_map(|i| rows.row(i).iter().copied()).collect(),
            sq: rows.sq.clone(),
            y: y.to_vec(),
            qd: (0..n).map(|i| rows.self_kernel(kernel, i)).collect(),
            cache: Cache::new(n, cache_mb),
        }
    }
}

impl QMatrix for SvcQ {
    fn fill(&mut self, i: usize, len: usize, keep: usize) {
        let (kernel, p, x, sq, y) = (self.kernel, self.p, &self.x, &self.sq, &self.y);
        let (xi, si, yi) = (&x[i * p..(i + 1) * p], sq[i], y[i]);
        self.cache.get(i, len, keep, |start, row| {
            kernel_row(kernel, xi, si, &x[start * p..len * p], &sq[start..len], row);
            for (q, &yt) in row[start..].iter_mut().zip(&y[start..len]) {
                *q *= yi * yt;
            }
        });
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.cache.heads[i]
    }

    fn qd_all(&self) -> &[f64] {
        &self.qd
    }

    fn swap(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        self.cache.swap(i, j);
        let p = self.p;
        let (a, b) = (i.min(j), i.max(j));
        let (head, tail) = self.x.split_at_mut(b * p);
        head[a * p..(a + 1) * p].swap_with_slice(&mut tail[..p]);
        self.sq.swap(i, j);
        self.y.swap(i, j);
        self.qd.swap(i, j);
    }
}

/// K(x, x_t) for the rows x_t of `data` (row-major, `sq` their squared norms; `sx` is x's),
/// appended to `out`: the dot products first, then the kernel over them, in loops the compiler
/// vectorizes (a kernel row is most of the training time).
fn kernel_row(kernel: Kernel, x: &[f64], sx: f64, data: &[f64], sq: &[f64], out: &mut Vec<f64>) {
    let start = out.len();
    if x.is_empty() {
        out.resize(start + sq.len(), 0.0);
    } else {
        out.extend(data.chunks_exact(x.len()).map(|r| dot4(x, r)));
    }
    let row = &mut out[start..];
    match kernel.kind {
        KernelKind::Rbf => {
            let g = kernel.gamma;
            for (v, &st) in row.iter_mut().zip(sq) {
                *v = exp_nonpositive(-g * ((sx + st) - 2.0 * *v));
            }
        }
        _ => {
            for (v, &st) in row.iter_mut().zip(sq) {
                *v = kernel.eval(*v, sx + st);
            }
        }
    }
}

/// x·z with four running sums (vectorized; the order of the sums differs from `dot` by
/// rounding only).
#[inline]
fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (u, v) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += u[k] * v[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(u, v)| u * v).sum();
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// e^x for the rbf kernel's x ≤ 0 (a rounding-sized positive x is fine), to a few ulps, in
/// plain arithmetic the compiler vectorizes (libm's exp is a call per value): x = k·ln2 + r with
/// |r| ≤ ln2/2, e^r by its Taylor series to r¹², and 2^k put into the exponent bits. Below
/// −700 the value (< 1e−304) is taken as 0.
fn exp_nonpositive(x: f64) -> f64 {
    let tiny = x < -700.0;
    // 1.5·2⁵²: adding it rounds to an integer, which lands in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    // ln 2 split so that k·LN2_HI is exact (fdlibm's constants).
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-700.0, 700.0);
    let kf = x * std::f64::consts::LOG2_E + SHIFT;
    let k = kf - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = INV_FACT[12];
    for &c in INV_FACT[..12].iter().rev() {
        p = p * r + c;
    }
    let scale = f64::from_bits(
        kf.to_bits()
            .wrapping_sub(SHIFT.to_bits())
            .wrapping_add(1023)
            << 52,
    );
    if tiny {
        0.0
    } else {
        p * scale
    }
}

/// 1/n! for n = 0..=12.
const INV_FACT: [f64; 13] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
];

/// ε-SVR and ν-SVR: two variables per row (α with sign +1, α* with −1); kernel rows are cached
/// whole by data row and each Q row is written into one of two buffers (libsvm's `SVR_Q`).
pub(super) struct SvrQ<'a> {
    rows: &'a Rows,
    kernel: Kernel,
    /// Position → data row, and its sign.
    index: Vec<usize>,
    sign: Vec<f64>,
    qd: Vec<f64>,
    cache: Cache,
    buf: [Vec<f64>; 2],
    tag: [usize; 2],
}

impl<'a> SvrQ<'a> {
    pub(super) fn new(rows: &'a Rows, kernel: Kernel, cache_mb: f64) -> SvrQ<'a> {
        let n = rows.len();
        let index: Vec<usize> = (0..n).chain(0..n).collect();
        SvrQ {
            rows,
            kernel,
            sign: (0..2 * n).map(|t| if t < n { 1.0 } else { -1.0 }).collect(),
            qd: index.iter().map(|&d| rows.self_kernel(kernel, d)).collect(),
            index,
            cache: Cache::new(n, cache_mb),
            buf: [vec![0.0; 2 * n], vec![0.0; 2 * n]],
            tag: [NONE; 2],
        }
    }
}

impl QMatrix for SvrQ<'_> {
    fn fill(&mut self, i: usize, len: usize, keep: usize) {
        let (rows, kernel) = (self.rows, self.kernel);
        let d = self.index[i];
        let (xd, sd) = (rows.row(d), rows.sq[d]);
        let k = self.cache.get(d, rows.len(), NONE, |start, row| {
            let p = rows.p();
            let data = &rows.data()[start * p..];
            kernel_row(kernel, xd, sd, data, &rows.sq[start..], row);
        });
        let b = usize::from(self.tag[0] == keep);
        let si = self.sign[i];
        for ((out, &s), &t) in self.buf[b][..len]
            .iter_mut()
            .zip(&self.sign[..len])
            .zip(&self.index[..len])
        {
            *out = si * s * k[t];
        }
        self.tag[b] = i;
        if self.tag[1 - b] == i {
            self.tag[1 - b] = NONE;
        }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.buf[usize::from(self.tag[0] != i)]
    }

    fn qd_all(&self) -> &[f64] {
        &self.qd
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.index.swap(i, j);
        self.sign.swap(i, j);
        self.qd.swap(i, j);
        // The buffers are indexed by position: a swapped pair of entries would be stale.
        self.tag = [NONE; 2];
    }
}

/// The problem's data: signs, the linear term p and the upper bounds, in the caller's order.
pub(super) struct Dual {
    pub y: Vec<f64>,
    pub linear: Vec<f64>,
    pub upper: Vec<f64>,
    /// The starting point (feasible).
    pub alpha: Vec<f64>,
    /// libsvm's `Solver_NU`: the pair comes from one class.
    pub nu: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Settings {
    pub tol: f64,
    /// None: libsvm's own cap (scikit-learn's max_iter = -1).
    pub max_iter: Option<u64>,
    pub shrinking: bool,
}

pub(super) struct Solution {
    /// In the caller's order.
    pub alpha: Vec<f64>,
    pub rho: f64,
    /// ν-formulations: the scale r of the solution.
    pub r: f64,
    /// The fewest variables shrinking left active (l without shrinking).
    #[allow(dead_code)] // read by the tests: the proof that shrinking ran
    pub fewest_active: usize,
}

struct Solver<'q, Q: QMatrix> {
    q: &'q mut Q,
    y: Vec<f64>,
    g: Vec<f64>,
    /// Σ over variables at their upper bound of C_s·Q_s·: rebuilds the gradient of shrunk
    /// variables without their Q rows.
    g_bar: Vec<f64>,
    alpha: Vec<f64>,
    /// Each α at its lower bound, upper bound or free (libsvm's `alpha_status`: one byte per
    /// variable keeps the selection loops' reads small).
    status: Vec<u8>,
    linear: Vec<f64>,
    upper: Vec<f64>,
    /// Position → the caller's index.
    active_set: Vec<usize>,
    active: usize,
    fewest_active: usize,
    unshrink: bool,
    shrinking: bool,
    tol: f64,
}

/// Solves the dual; the answer does not depend on `shrinking` beyond the stopping tolerance.
pub(super) fn solve<Q: QMatrix>(
    q: &mut Q,
    dual: Dual,
    s: Settings,
    check_interrupts: &dyn Fn(),
) -> Solution {
    let l = dual.y.len();
    let mut solver = Solver {
        q,
        g: dual.linear.clone(),
        g_bar: vec![0.0; l],
        y: dual.y,
        status: dual
            .alpha
            .iter()
            .zip(&dual.upper)
            .map(|(&a, &c)| status_of(a, c))
            .collect(),
        alpha: dual.alpha,
        linear: dual.linear,
        upper: dual.upper,
        active_set: (0..l).collect(),
        active: l,
        fewest_active: l,
        unshrink: false,
        shrinking: s.shrinking,
        tol: s.tol,
    };
    solver.init_gradient();
    solver.run(dual.nu, s, check_interrupts);
    let (rho, r) = if dual.nu {
        solver.rho_nu()
    } else {
        (solver.rho(), 1.0)
    };
    let mut alpha = vec![0.0; l];
    for (t, &orig) in solver.active_set.iter().enumerate() {
        alpha[orig] = solver.alpha[t];
    }
    Solution {
        alpha,
        rho,
        r,
        fewest_active: solver.fewest_active,
    }
}

impl<Q: QMatrix> Solver<'_, Q> {
    fn is_upper(&self, t: usize) -> bool {
        self.status[t] == UPPER
    }

    fn is_lower(&self, t: usize) -> bool {
        self.status[t] == LOWER
    }

    fn is_free(&self, t: usize) -> bool {
        self.status[t] == FREE
    }

    fn update_status(&mut self, t: usize) {
        self.status[t] = status_of(self.alpha[t], self.upper[t]);
    }

    fn init_gradient(&mut self) {
        let l = self.y.len();
        for i in 0..l {
            if self.is_lower(i) {
                continue;
            }
            self.q.fill(i, l, NONE);
            let qi = self.q.row(i);
            let a = self.alpha[i];
            for (gt, qt) in self.g.iter_mut().zip(&qi[..l]) {
                *gt += a * qt;
            }
            // Without shrinking the gradient is never rebuilt: g_bar is not needed.
            if self.shrinking && self.alpha[i] >= self.upper[i] {
                let c = self.upper[i];
                for (gt, qt) in self.g_bar.iter_mut().zip(&qi[..l]) {
                    *gt += c * qt;
                }
            }
        }
    }

    fn run(&mut self, nu: bool, s: Settings, check_interrupts: &dyn Fn()) {
        let l = self.y.len();
        // libsvm's own cap when scikit-learn passes max_iter = -1.
        let cap = s
            .max_iter
            .unwrap_or_else(|| (100 * l as u64).max(10_000_000));
        let mut counter = l.min(1000) + 1;
        let mut iter = 0u64;
        while iter < cap {
            if iter.is_multiple_of(CHECK_EVERY) {
                check_interrupts();
            }
            counter -= 1;
            if counter == 0 {
                counter = l.min(1000);
                if self.shrinking {
                    if nu {
                        self.shrink_nu();
                    } else {
                        self.shrink();
                    }
                    self.fewest_active = self.fewest_active.min(self.active);
                }
            }
            let mut pair = self.select(nu);
            if pair.is_none() {
                if self.active == l {
                    break;
                }
                // Converged on the active set: check on all variables.
                self.reconstruct_gradient();
                self.active = l;
                pair = self.select(nu);
                if pair.is_none() {
                    break;
                }
                counter = 1;
            }
            let Some((i, j)) = pair else { break };
            iter += 1;
            self.step(i, j);
        }
        if self.active < l {
            self.reconstruct_gradient();
            self.active = l;
        }
    }

    fn select(&mut self, nu: bool) -> Option<(usize, usize)> {
        if nu {
            self.select_nu()
        } else {
            self.select_c()
        }
    }

    /// One SMO step on the pair: the two-variable subproblem solved in closed form and clipped
    /// to the box, then the gradient (and g_bar when a bound status changes) updated.
    fn step(&mut self, i: usize, j: usize) {
        let len = self.active;
        self.q.fill(i, len, NONE);
        self.q.fill(j, len, i);
        let (ci, cj) = (self.upper[i], self.upper[j]);
        let (old_i, old_j) = (self.alpha[i], self.alpha[j]);
        let (mut ai, mut aj) = (old_i, old_j);
        let qij = self.q.row(i)[j];
        let g = &self.g;
        if self.y[i] != self.y[j] {
            let mut quad = self.q.qd(i) + self.q.qd(j) + 2.0 * qij;
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (-g[i] - g[j]) / quad;
            let diff = ai - aj;
            ai += delta;
            aj += delta;
            if diff > 0.0 {
                if aj < 0.0 {
                    aj = 0.0;
                    ai = diff;
                }
            } else if ai < 0.0 {
                ai = 0.0;
                aj = -diff;
            }
            if diff > ci - cj {
                if ai > ci {
                    ai = ci;
                    aj = ci - diff;
                }
            } else if aj > cj {
                aj = cj;
                ai = cj + diff;
            }
        } else {
            let mut quad = self.q.qd(i) + self.q.qd(j) - 2.0 * qij;
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (g[i] - g[j]) / quad;
            let sum = ai + aj;
            ai -= delta;
            aj += delta;
            if sum > ci {
                if ai > ci {
                    ai = ci;
                    aj = sum - ci;
                }
            } else if aj < 0.0 {
                aj = 0.0;
                ai = sum;
            }
            if sum > cj {
                if aj > cj {
                    aj = cj;
                    ai = sum - cj;
                }
            } else if ai < 0.0 {
                ai = 0.0;
                aj = sum;
            }
        }
        let (ui, uj) = (self.is_upper(i), self.is_upper(j));
        self.alpha[i] = ai;
        self.alpha[j] = aj;
        self.update_status(i);
        self.update_status(j);
        let (di, dj) = (ai - old_i, aj - old_j);
        let (qi, qj) = (&self.q.row(i)[..len], &self.q.row(j)[..len]);
        for ((gt, a), b) in self.g[..len].iter_mut().zip(qi).zip(qj) {
            *gt += a * di + b * dj;
        }
        let l = self.y.len();
        for (t, was_upper) in [(i, ui), (j, uj)] {
            // g_bar serves only to rebuild the gradient of shrunk variables.
            if self.shrinking && was_upper != self.is_upper(t) {
                self.q.fill(t, l, NONE);
                let c = if was_upper {
                    -self.upper[t]
                } else {
                    self.upper[t]
                };
                for (gb, qt) in self.g_bar.iter_mut().zip(&self.q.row(t)[..l]) {
                    *gb += c * qt;
                }
            }
        }
    }

    /// libsvm's WSS3: i maximizes −y∇f over I_up, j minimizes the second-order gain.
    fn select_c(&mut self) -> Option<(usize, usize)> {
        let len = self.active;
        let mut gmax = f64::NEG_INFINITY;
        let mut gmax_idx = None;
        let vars = self.y[..len]
            .iter()
            .zip(&self.g[..len])
            .zip(&self.status[..len]);
        for (t, ((&yt, &gt), &st)) in vars.enumerate() {
            if yt > 0.0 {
                if st != UPPER && -gt >= gmax {
                    gmax = -gt;
                    gmax_idx = Some(t);
                }
            } else if st != LOWER && gt >= gmax {
                gmax = gt;
                gmax_idx = Some(t);
            }
        }
        let i = gmax_idx?;
        self.q.fill(i, len, NONE);
        let qi = &self.q.row(i)[..len];
        let qd = &self.q.qd_all()[..len];
        let qdi = qd[i];
        let yi = self.y[i];
        let mut gmax2 = f64::NEG_INFINITY;
        let mut best = None;
        let mut obj_min = f64::INFINITY;
        let vars = self.y[..len]
            .iter()
            .zip(&self.g[..len])
            .zip(&self.status[..len])
            .zip(qd.iter().zip(qi));
        for (j, (((&yj, &gj), &st), (&qdj, &qij))) in vars.enumerate() {
            let (grad_diff, quad) = if yj > 0.0 {
                if st == LOWER {
                    continue;
                }
                gmax2 = gmax2.max(gj);
                (gmax + gj, qdi + qdj - 2.0 * yi * qij)
            } else {
                if st == UPPER {
                    continue;
                }
                gmax2 = gmax2.max(-gj);
                (gmax - gj, qdi + qdj + 2.0 * yi * qij)
            };
            if grad_diff > 0.0 {
                let obj = -(grad_diff * grad_diff) / if quad > 0.0 { quad } else { TAU };
                if obj <= obj_min {
                    obj_min = obj;
                    best = Some(j);
                }
            }
        }
        if gmax + gmax2 < self.tol {
            return None;
        }
        best.map(|j| (i, j))
    }

    /// The ν-variant: the pair comes from one class (y equal), chosen per class.
    fn select_nu(&mut self) -> Option<(usize, usize)> {
        let len = self.active;
        let (mut gmaxp, mut gmaxn) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        let (mut ip, mut in_) = (None, None);
        for t in 0..len {
            if self.y[t] > 0.0 {
                if !self.is_upper(t) && -self.g[t] >= gmaxp {
                    gmaxp = -self.g[t];
                    ip = Some(t);
                }
            } else if !self.is_lower(t) && self.g[t] >= gmaxn {
                gmaxn = self.g[t];
                in_ = Some(t);
            }
        }
        if let Some(i) = ip {
            self.q.fill(i, len, NONE);
        }
        if let Some(i) = in_ {
            self.q.fill(i, len, ip.unwrap_or(NONE));
        }
        let qip = ip.map(|i| self.q.row(i));
        let qin = in_.map(|i| self.q.row(i));
        let (mut gmaxp2, mut gmaxn2) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        let mut best = None;
        let mut obj_min = f64::INFINITY;
        for j in 0..len {
            let gj = self.g[j];
            let (grad_diff, quad) = if self.y[j] > 0.0 {
                if self.is_lower(j) {
                    continue;
                }
                gmaxp2 = gmaxp2.max(gj);
                match (ip, qip) {
                    (Some(i), Some(q)) => (gmaxp + gj, self.q.qd(i) + self.q.qd(j) - 2.0 * q[j]),
                    _ => continue,
                }
            } else {
                if self.is_upper(j) {
                    continue;
                }
                gmaxn2 = gmaxn2.max(-gj);
                match (in_, qin) {
                    (Some(i), Some(q)) => (gmaxn - gj, self.q.qd(i) + self.q.qd(j) - 2.0 * q[j]),
                    _ => continue,
                }
            };
            if grad_diff > 0.0 {
                let obj = -(grad_diff * grad_diff) / if quad > 0.0 { quad } else { TAU };
                if obj <= obj_min {
                    obj_min = obj;
                    best = Some(j);
                }
            }
        }
        if (gmaxp + gmaxp2).max(gmaxn + gmaxn2) < self.tol {
            return None;
        }
        let j = best?;
        let i = if self.y[j] > 0.0 { ip? } else { in_? };
        Some((i, j))
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.q.swap(i, j);
        self.y.swap(i, j);
        self.g.swap(i, j);
        self.alpha.swap(i, j);
        self.status.swap(i, j);
        self.linear.swap(i, j);
        self.upper.swap(i, j);
        self.active_set.swap(i, j);
        self.g_bar.swap(i, j);
    }

    /// Moves the variables `shrunk` says to drop behind the active ones (libsvm's loop).
    fn drop_shrunk(&mut self, shrunk: impl Fn(&Self, usize) -> bool) {
        let mut i = 0;
        while i < self.active {
            if shrunk(self, i) {
                self.active -= 1;
                while self.active > i {
                    if !shrunk(self, self.active) {
                        self.swap(i, self.active);
                        break;
                    }
                    self.active -= 1;
                }
            }
            i += 1;
        }
    }

    /// libsvm's `do_shrinking`: near the end (violation ≤ 10·tol) the gradient is rebuilt once
    /// and every variable reconsidered, then variables at a bound that cannot join a violating
    /// pair are set aside.
    fn shrink(&mut self) {
        let (mut gmax1, mut gmax2) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for t in 0..self.active {
            let gt = self.g[t];
            if self.y[t] > 0.0 {
                if !self.is_upper(t) {
                    gmax1 = gmax1.max(-gt);
                }
                if !self.is_lower(t) {
                    gmax2 = gmax2.max(gt);
                }
            } else {
                if !self.is_upper(t) {
                    gmax2 = gmax2.max(-gt);
                }
                if !self.is_lower(t) {
                    gmax1 = gmax1.max(gt);
                }
            }
        }
        if !self.unshrink && gmax1 + gmax2 <= self.tol * 10.0 {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active = self.y.len();
        }
        self.drop_shrunk(|s, t| {
            let (gt, pos) = (s.g[t], s.y[t] > 0.0);
            if s.is_upper(t) {
                -gt > if pos { gmax1 } else { gmax2 }
            } else if s.is_lower(t) {
                gt > if pos { gmax2 } else { gmax1 }
            } else {
                false
            }
        });
    }

    /// `Solver_NU::do_shrinking`: the same per class.
    fn shrink_nu(&mut self) {
        // Largest −y∇f over I_up and y∇f over I_low, for y = +1 (1, 2) and y = −1 (3 is I_low's
        // ∇f, 4 is I_up's −∇f), as libsvm numbers them.
        let mut m = [f64::NEG_INFINITY; 4];
        for t in 0..self.active {
            let gt = self.g[t];
            let pos = self.y[t] > 0.0;
            if !self.is_upper(t) {
                let k = if pos { 0 } else { 3 };
                if -gt > m[k] {
                    m[k] = -gt;
                }
            }
            if !self.is_lower(t) {
                let k = if pos { 1 } else { 2 };
                if gt > m[k] {
                    m[k] = gt;
                }
            }
        }
        if !self.unshrink && (m[0] + m[1]).max(m[2] + m[3]) <= self.tol * 10.0 {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active = self.y.len();
        }
        self.drop_shrunk(|s, t| {
            let (gt, pos) = (s.g[t], s.y[t] > 0.0);
            if s.is_upper(t) {
                -gt > if pos { m[0] } else { m[3] }
            } else if s.is_lower(t) {
                gt > if pos { m[1] } else { m[2] }
            } else {
                false
            }
        });
    }

    /// The gradient of the shrunk variables from g_bar and the free active variables' Q rows
    /// (libsvm's `reconstruct_gradient`, with its choice of which rows to compute).
    fn reconstruct_gradient(&mut self) {
        let l = self.y.len();
        let active = self.active;
        if active == l {
            return;
        }
        for t in active..l {
            self.g[t] = self.g_bar[t] + self.linear[t];
        }
        let free = (0..active).filter(|&t| self.is_free(t)).count();
        if free * l > 2 * active * (l - active) {
            for i in active..l {
                self.q.fill(i, active, NONE);
                let qi = self.q.row(i);
                let mut sum = 0.0;
                for (t, &qt) in qi[..active].iter().enumerate() {
                    if self.is_free(t) {
                        sum += self.alpha[t] * qt;
                    }
                }
                self.g[i] += sum;
            }
        } else {
            for i in 0..active {
                if !self.is_free(i) {
                    continue;
                }
                self.q.fill(i, l, NONE);
                let a = self.alpha[i];
                let qi = self.q.row(i);
                for (gt, qt) in self.g[active..l].iter_mut().zip(&qi[active..l]) {
                    *gt += a * qt;
                }
            }
        }
    }

    fn rho(&self) -> f64 {
        let (mut ub, mut lb) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut free, mut sum) = (0usize, 0.0);
        for t in 0..self.active {
            let yg = self.y[t] * self.g[t];
            if self.is_upper(t) {
                if self.y[t] < 0.0 {
                    ub = ub.min(yg);
                } else {
                    lb = lb.max(yg);
                }
            } else if self.is_lower(t) {
                if self.y[t] > 0.0 {
                    ub = ub.min(yg);
                } else {
                    lb = lb.max(yg);
                }
            } else {
                free += 1;
                sum += yg;
            }
        }
        if free > 0 {
            sum / free as f64
        } else {
            (ub + lb) / 2.0
        }
    }

    /// (rho, r) of the ν-formulation.
    fn rho_nu(&self) -> (f64, f64) {
        let mut side = [(f64::INFINITY, f64::NEG_INFINITY, 0usize, 0.0f64); 2];
        for t in 0..self.active {
            let g = self.g[t];
            let s = &mut side[usize::from(self.y[t] < 0.0)];
            if self.is_upper(t) {
                s.1 = s.1.max(g);
            } else if self.is_lower(t) {
                s.0 = s.0.min(g);
            } else {
                s.2 += 1;
                s.3 += g;
            }
        }
        let r = |s: (f64, f64, usize, f64)| {
            if s.2 > 0 {
                s.3 / s.2 as f64
            } else {
                (s.0 + s.1) / 2.0
            }
        };
        let (r1, r2) = (r(side[0]), r(side[1]));
        ((r1 - r2) / 2.0, (r1 + r2) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::svm_solver::dot;
    use super::*;
    use crate::Matrix;

    fn rbf() -> Kernel {
        Kernel {
            kind: KernelKind::Rbf,
            gamma: 2.0,
            coef0: 0.0,
            degree: 3,
        }
    }

    /// Overlapping classes: many variables end at C, so shrinking has something to set aside.
    fn noisy(n: usize) -> (Matrix, Vec<f64>) {
        let mut rng = crate::split::SplitMix64(7);
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|_| vec![rng.unit() as f32 * 4.0, rng.unit() as f32 * 4.0])
            .collect();
        let y = rows
            .iter()
            .map(|r| {
                // One label in five flipped.
                let flip = rng.unit() < 0.2;
                if (r[0].sin() + r[1] / 2.0 > 1.0) != flip {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        (Matrix::from_rows(&rows).unwrap(), y)
    }

    /// The largest KKT violation of α, from a gradient computed afresh (no cache, no shrinking).
    fn violation(rows: &Rows, k: Kernel, y: &[f64], alpha: &[f64], c: f64) -> f64 {
        let l = y.len();
        let (mut up, mut low) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for t in 0..l {
            let g = -1.0
                + (0..l)
                    .map(|s| {
                        let kst = k.eval(dot(rows.row(s), rows.row(t)), rows.sq[s] + rows.sq[t]);
                        alpha[s] * y[s] * y[t] * kst
                    })
                    .sum::<f64>();
            let yg = -y[t] * g;
            let in_up = (y[t] > 0.0 && alpha[t] < c) || (y[t] < 0.0 && alpha[t] > 0.0);
            let in_low = (y[t] > 0.0 && alpha[t] > 0.0) || (y[t] < 0.0 && alpha[t] < c);
            if in_up {
                up = up.max(yg);
            }
            if in_low {
                low = low.max(-yg);
            }
        }
        up + low
    }

    fn c_svc(rows: &Rows, y: &[f64], cache_mb: f64, shrinking: bool) -> Solution {
        let mut q = SvcQ::new(rows, rbf(), y, cache_mb);
        let dual = Dual {
            y: y.to_vec(),
            linear: vec![-1.0; y.len()],
            upper: vec![1.0; y.len()],
            alpha: vec![0.0; y.len()],
            nu: false,
        };
        let s = Settings {
            tol: 1e-3,
            max_iter: None,
            shrinking,
        };
        solve(&mut q, dual, s, &|| {})
    }

    /// With and without shrinking (and with a cache of two rows, so rows are evicted and
    /// dropped by swaps) the solver stops at the same tolerance on the full problem, and the
    /// two solutions are the same up to it.
    #[test]
    fn shrinking_reaches_the_same_optimum() {
        let (x, y) = noisy(1500);
        let idx: Vec<usize> = (0..y.len()).collect();
        let rows = Rows::new(&x, &idx);
        let plain = c_svc(&rows, &y, 200.0, false);
        let shrunk = c_svc(&rows, &y, 200.0, true);
        let tiny = c_svc(&rows, &y, 0.0, true);
        assert_eq!(plain.fewest_active, y.len());
        assert!(
            shrunk.fewest_active < y.len() / 2,
            "{}",
            shrunk.fewest_active
        );
        for s in [&plain, &shrunk, &tiny] {
            let v = violation(&rows, rbf(), &y, &s.alpha, 1.0);
            assert!(v < 1.1e-3, "violation {v}");
        }
        let bounded = shrunk.alpha.iter().filter(|&&a| a >= 1.0).count();
        assert!(bounded > 200, "{bounded} variables at C: too few to shrink");
        // The dual optimum is unique in its objective and decision values, not always in α.
        let coef =
            |s: &Solution| -> Vec<f64> { s.alpha.iter().zip(&y).map(|(a, y)| a * y).collect() };
        let objective = |s: &Solution| {
            let f = decisions(&rows, &coef(s), s.rho);
            s.alpha
                .iter()
                .zip(&f)
                .zip(&y)
                .map(|((a, f), y)| a * (0.5 * y * (f + s.rho) - 1.0))
                .sum::<f64>()
        };
        let (f0, o0) = (
            decisions(&rows, &coef(&plain), plain.rho),
            objective(&plain),
        );
        for s in [&shrunk, &tiny] {
            let f = decisions(&rows, &coef(s), s.rho);
            let diff = f
                .iter()
                .zip(&f0)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let rel = (objective(s) - o0).abs() / o0.abs();
            assert!(diff < 0.01, "decision values differ by {diff}");
            assert!(rel < 1e-5, "objectives differ by {rel} of {o0}");
        }
    }

    /// The vectorized kernel row agrees with `Kernel::eval` (libm's exp, one sum) to rounding.
    #[test]
    fn the_fast_kernel_row_is_the_kernel() {
        let mut rng = crate::split::SplitMix64(3);
        for p in [0usize, 1, 3, 4, 7, 20] {
            let data: Vec<f64> = (0..50 * p).map(|_| rng.unit() * 6.0 - 3.0).collect();
            let sq: Vec<f64> = if p == 0 {
                vec![0.0; 50]
            } else {
                data.chunks(p)
                    .map(|r| r.iter().map(|v| v * v).sum())
                    .collect()
            };
            for (kind, gamma) in [
                (KernelKind::Rbf, 0.5),
                (KernelKind::Rbf, 40.0),
                (KernelKind::Poly, 0.3),
                (KernelKind::Sigmoid, 0.1),
                (KernelKind::Linear, 1.0),
            ] {
                let k = Kernel {
                    kind,
                    gamma,
                    coef0: 0.5,
                    degree: 3,
                };
                let x = if p == 0 { &[][..] } else { &data[..p] };
                let mut row = vec![9.0];
                kernel_row(k, x, sq[0], &data, &sq, &mut row);
                assert_eq!(row.len(), 51);
                for t in 0..50 {
                    let z = if p == 0 {
                        &[][..]
                    } else {
                        &data[t * p..(t + 1) * p]
                    };
                    let want = k.eval(dot(x, z), sq[0] + sq[t]);
                    let err = (row[t + 1] - want).abs();
                    let ok = err <= 1e-12 * want.abs() + 1e-300;
                    assert!(ok, "{kind:?} p {p}: {} vs {want}", row[t + 1]);
                }
            }
        }
        for x in [0.0, -1e-17, 1e-15, -0.3, -1.0, -7.5, -100.0, -699.0] {
            let (got, want) = (exp_nonpositive(x), f64::exp(x));
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want,
                "exp({x}): {got} vs {want}"
            );
        }
        assert!(exp_nonpositive(-1e9) < 1e-300);
    }

    /// ν-SVC and ε-SVR (whose Q rows come from whole kernel rows through two buffers) shrink
    /// too, and reach the unshrunk solution's decision values.
    #[test]
    fn shrinking_serves_nu_and_regression() {
        let (x, y) = noisy(1500);
        let n = y.len();
        let idx: Vec<usize> = (0..n).collect();
        let rows = Rows::new(&x, &idx);
        let settings = |shrinking| Settings {
            tol: 1e-3,
            max_iter: None,
            shrinking,
        };
        let nu = 0.4;
        let mut side = [nu * n as f64 / 2.0; 2];
        let alpha0: Vec<f64> = y
            .iter()
            .map(|&v| {
                let s = &mut side[usize::from(v < 0.0)];
                let a = s.min(1.0);
                *s -= a;
                a
            })
            .collect();
        let nu_svc = |shrinking| {
            let mut q = SvcQ::new(&rows, rbf(), &y, 200.0);
            let dual = Dual {
                y: y.clone(),
                linear: vec![0.0; n],
                upper: vec![1.0; n],
                alpha: alpha0.clone(),
                nu: true,
            };
            let s = solve(&mut q, dual, settings(shrinking), &|| {});
            // Unscaled by r: here r is about tol, so dividing by it would magnify the
            // tolerance the two runs may differ by.
            let coef: Vec<f64> = s.alpha.iter().zip(&y).map(|(a, y)| a * y).collect();
            (decisions(&rows, &coef, s.rho), s.fewest_active)
        };
        let z: Vec<f64> = (0..n).map(|t| y[t] + rows.row(t)[0] / 4.0).collect();
        let svr = |shrinking| {
            let mut q = SvrQ::new(&rows, rbf(), 200.0);
            let dual = Dual {
                y: (0..2 * n).map(|t| if t < n { 1.0 } else { -1.0 }).collect(),
                linear: (0..2 * n)
                    .map(|t| if t < n { 0.1 - z[t] } else { 0.1 + z[t - n] })
                    .collect(),
                upper: vec![1.0; 2 * n],
                alpha: vec![0.0; 2 * n],
                nu: false,
            };
            let s = solve(&mut q, dual, settings(shrinking), &|| {});
            let coef: Vec<f64> = (0..n).map(|t| s.alpha[t] - s.alpha[t + n]).collect();
            (decisions(&rows, &coef, s.rho), s.fewest_active)
        };
        // ν-SVC keeps more variables free: fewer can be set aside.
        for (what, (plain, all), (shrunk, fewest), l, most) in [
            ("nu-svc", nu_svc(false), nu_svc(true), n, n * 9 / 10),
            ("svr", svr(false), svr(true), 2 * n, n),
        ] {
            assert_eq!(all, l, "{what}");
            assert!(fewest < most, "{what}: {fewest} of {l} active at least");
            let diff = shrunk
                .iter()
                .zip(&plain)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(diff < 0.01, "{what}: decision values differ by {diff}");
        }
    }

    /// Σ coef_s K(s, t) − rho at every training row t.
    fn decisions(rows: &Rows, coef: &[f64], rho: f64) -> Vec<f64> {
        let k = rbf();
        (0..coef.len())
            .map(|t| {
                (0..coef.len())
                    .filter(|&u| coef[u] != 0.0)
                    .map(|u| {
                        let kut = k.eval(dot(rows.row(u), rows.row(t)), rows.sq[u] + rows.sq[t]);
                        coef[u] * kut
                    })
                    .sum::<f64>()
                    - rho
            })
            .collect()
    }
}
