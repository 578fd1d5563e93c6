//! The small dense linear algebra the linear models and PCA need, in f64: Gram matrices,
//! symmetric eigen-decomposition (cyclic Jacobi) and least-squares solves through it.
//!
//! Feature counts in a database table are small (tens to a few hundred), so p×p work is cheap and
//! the n×p passes dominate; Jacobi is exact to rounding and gives the minimum-norm solution for
//! rank-deficient problems (constant or duplicated columns), as scikit-learn's lstsq does.

/// Symmetric p×p matrix in row-major order.
#[derive(Debug, Clone)]
pub struct Sym {
    pub p: usize,
    pub a: Vec<f64>,
}

impl Sym {
    pub fn zeros(p: usize) -> Sym {
        Sym {
            p,
            a: vec![0.0; p * p],
        }
    }
}

/// Eigenvalues (descending) and eigenvectors (column k of `vectors`, row-major p×p).
#[derive(Debug, Clone)]
pub struct Eigen {
    pub values: Vec<f64>,
    pub vectors: Vec<f64>,
}

pub fn symmetric_eigen(m: &Sym) -> Eigen {
    let p = m.p;
    let mut a = m.a.clone();
    let mut v = vec![0.0; p * p];
    for i in 0..p {
        v[i * p + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..p)
            .flat_map(|i| (0..p).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * p + j] * a[i * p + j])
            .sum();
        let scale: f64 = (0..p)
            .map(|i| a[i * p + i] * a[i * p + i])
            .sum::<f64>()
            .max(f64::MIN_POSITIVE);
        if off <= 1e-30 * scale {
            break;
        }
        for i in 0..p {
            for j in i + 1..p {
                let aij = a[i * p + j];
                if aij.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[j * p + j] - a[i * p + i]) / (2.0 * aij);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..p {
                    let (aki, akj) = (a[k * p + i], a[k * p + j]);
                    a[k * p + i] = c * aki - s * akj;
                    a[k * p + j] = s * aki + c * akj;
                }
                for k in 0..p {
                    let (aik, ajk) = (a[i * p + k], a[j * p + k]);
                    a[i * p + k] = c * aik - s * ajk;
                    a[j * p + k] = s * aik + c * ajk;
                }
                for k in 0..p {
                    let (vki, vkj) = (v[k * p + i], v[k * p + j]);
                    v[k * p + i] = c * vki - s * vkj;
                    v[k * p + j] = s * vki + c * vkj;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&x, &y| a[y * p + y].total_cmp(&a[x * p + x]));
    let values = order.iter().map(|&k| a[k * p + k]).collect();
    let mut vectors = vec![0.0; p * p];
    for (new, &old) in order.iter().enumerate() {
        for r in 0..p {
            vectors[r * p + new] = v[r * p + old];
        }
    }
    Eigen { values, vectors }
}

/// Solves `m x = b` for symmetric positive semi-definite `m` by its eigen-decomposition, dropping
/// directions whose eigenvalue is negligible: the minimum-norm least-squares solution.
pub fn solve_psd(m: &Sym, b: &[f64]) -> Vec<f64> {
    let p = m.p;
    let e = symmetric_eigen(m);
    let max = e.values.first().copied().unwrap_or(0.0).abs();
    let cutoff = max * p as f64 * f64::EPSILON * 16.0;
    let mut x = vec![0.0; p];
    for k in 0..p {
        let lambda = e.values[k];
        if lambda <= cutoff {
            continue;
        }
        let proj: f64 = (0..p).map(|r| e.vectors[r * p + k] * b[r]).sum();
        let coef = proj / lambda;
        for (r, xr) in x.iter_mut().enumerate() {
            *xr += coef * e.vectors[r * p + k];
        }
    }
    x
}

/// Solves `m x = b` for symmetric positive definite `m` by Cholesky (O(p³/3), where `solve_psd`'s
/// Jacobi sweeps cost far more): the Newton steps of the linear solvers, whose Hessians are
/// identity plus a Gram matrix. None when `m` is not positive definite to rounding.
pub fn cholesky_solve(m: &Sym, b: &[f64]) -> Option<Vec<f64>> {
    let p = m.p;
    let mut l = m.a.clone();
    for j in 0..p {
        let d = l[j * p + j] - (0..j).map(|k| l[j * p + k] * l[j * p + k]).sum::<f64>();
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        l[j * p + j] = d;
        for i in j + 1..p {
            let s: f64 = (0..j).map(|k| l[i * p + k] * l[j * p + k]).sum();
            l[i * p + j] = (l[i * p + j] - s) / d;
        }
    }
    let mut z = b.to_vec();
    for i in 0..p {
        let s: f64 = (0..i).map(|k| l[i * p + k] * z[k]).sum();
        z[i] = (z[i] - s) / l[i * p + i];
    }
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|k| l[k * p + i] * z[k]).sum();
        z[i] = (z[i] - s) / l[i * p + i];
    }
    Some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1.
        let e = symmetric_eigen(&Sym {
            p: 2,
            a: vec![2.0, 1.0, 1.0, 2.0],
        });
        assert!((e.values[0] - 3.0).abs() < 1e-12 && (e.values[1] - 1.0).abs() < 1e-12);
        let v0 = (e.vectors[0], e.vectors[2]);
        assert!((v0.0.abs() - v0.1.abs()).abs() < 1e-12);
    }

    #[test]
    fn cholesky_solves_and_refuses_an_indefinite_matrix() {
        let m = Sym {
            p: 2,
            a: vec![4.0, 1.0, 1.0, 3.0],
        };
        let x = cholesky_solve(&m, &[1.0, 2.0]).unwrap();
        assert!((x[0] - 1.0 / 11.0).abs() < 1e-12 && (x[1] - 7.0 / 11.0).abs() < 1e-12);
        let indefinite = Sym {
            p: 2,
            a: vec![1.0, 2.0, 2.0, 1.0],
        };
        assert!(cholesky_solve(&indefinite, &[1.0, 1.0]).is_none());
    }

    #[test]
    fn solve_matches_a_direct_solution_and_handles_rank_deficiency() {
        let m = Sym {
            p: 2,
            a: vec![4.0, 1.0, 1.0, 3.0],
        };
        let x = solve_psd(&m, &[1.0, 2.0]);
        // Exact: x = [1/11, 7/11].
        assert!((x[0] - 1.0 / 11.0).abs() < 1e-12 && (x[1] - 7.0 / 11.0).abs() < 1e-12);
        // Singular [[1,1],[1,1]] x = [2,2]: minimum-norm solution [1,1].
        let s = solve_psd(
            &Sym {
                p: 2,
                a: vec![1.0; 4],
            },
            &[2.0, 2.0],
        );
        assert!(
            (s[0] - 1.0).abs() < 1e-12 && (s[1] - 1.0).abs() < 1e-12,
            "{s:?}"
        );
    }
}
