use super::kmeans::{self, KMeansShard, LocalShard};
use super::*;
use crate::algorithms::clustering::rows_of;
use crate::algorithms::kmeans::{lloyd as single_lloyd, Rows};
use crate::algorithms::least_squares::fit_least_squares as single_least_squares;
use crate::algorithms::pca::{fit_components, Components, Options as PcaOptions};
use crate::split::SplitMix64;
use crate::Matrix;

/// Rows far from the origin (offset 1000) with correlated features and a noisy linear label:
/// uncentered sums would lose digits here, centered merges must not.
fn data(n: usize, p: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<f32>) {
    let mut rng = SplitMix64(seed);
    let mut rows = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let cluster = (i % 3) as f64 * 4.0;
        let base = rng.unit();
        let row: Vec<f32> = (0..p)
            .map(|j| (1000.0 + cluster + base * j as f64 + rng.unit() * 2.0) as f32)
            .collect();
        let label = row
            .iter()
            .enumerate()
            .map(|(j, &v)| f64::from(v) * (j as f64 - 1.5))
            .sum::<f64>()
            + rng.unit();
        rows.push(row);
        y.push(label as f32);
    }
    (rows, y)
}

/// The union and three uneven shards of it (one of them small).
fn shards(n: usize, p: usize) -> (Matrix, Vec<f32>, Vec<(Matrix, Vec<f32>)>) {
    let (rows, y) = data(n, p, 7);
    let cuts = [0, n / 2, n / 2 + 17, n];
    let parts = cuts
        .windows(2)
        .map(|w| {
            (
                Matrix::from_rows(&rows[w[0]..w[1]]).unwrap(),
                y[w[0]..w[1]].to_vec(),
            )
        })
        .collect();
    (Matrix::from_rows(&rows).unwrap(), y, parts)
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())),
            "{x} vs {y} (tolerance {tol})\n{a:?}\n{b:?}"
        );
    }
}

fn merged(parts: &[(Matrix, Vec<f32>)], with_label: bool) -> Moments {
    let p = parts[0].0.cols() + usize::from(with_label);
    let each: Vec<Moments> = parts
        .iter()
        .map(|(x, y)| Moments::of(x, with_label.then_some(y.as_slice())).unwrap())
        .collect();
    Moments::merge_all(p, &each).unwrap()
}

#[test]
fn merged_moments_equal_the_union_moments() {
    let (x, y, parts) = shards(3000, 4);
    let whole = Moments::of(&x, Some(&y)).unwrap();
    let m = merged(&parts, true);
    assert_eq!(m.n, 3000);
    close(&m.mean, &whole.mean, 1e-12);
    close(&m.comoment, &whole.comoment, 1e-9);
    // An empty shard changes nothing.
    let mut with_empty = m.clone();
    with_empty.merge(&Moments::empty(5)).unwrap();
    assert_eq!(with_empty, m);
    assert!(m.clone().merge(&Moments::empty(3)).is_err());
}

#[test]
fn linear_and_ridge_equal_single_server() {
    let (x, y, parts) = shards(3000, 4);
    let m = merged(&parts, true);
    for (alpha, intercept) in [(0.0, true), (0.0, false), (1.0, true), (25.0, false)] {
        let single = single_least_squares(&x, &y, alpha, intercept, &|| {});
        let dist = fit_least_squares(&m, alpha, intercept).unwrap();
        close(&dist.coef, &single.coef, 1e-7);
        close(&dist.intercept, &single.intercept, 1e-7);
        // The fit is not trivial: the coefficients are the ones the label was made from.
        if alpha == 0.0 && intercept {
            close(&dist.coef, &[-1.5, -0.5, 0.5, 1.5], 1e-2);
        }
    }
}

#[test]
fn pca_equals_single_server() {
    let (x, _, parts) = shards(2000, 5);
    let m = merged(&parts, false);
    for n_components in [
        Components::All,
        Components::Count(2),
        Components::Variance(0.9),
    ] {
        let o = PcaOptions {
            n_components,
            whiten: false,
            arpack: false,
        };
        let (single, single_var) = fit_components(&x, &o, &|| {}).unwrap();
        let (dist, dist_var) = fit_pca(&m, &o).unwrap();
        assert_eq!(dist.n_components(), single.n_components());
        close(&dist.mean, &single.mean, 1e-12);
        close(
            &dist.explained_variance_ratio,
            &single.explained_variance_ratio,
            1e-8,
        );
        close(&dist_var, &single_var, 1e-8);
        // Components are compared where their variance is distinct (well-defined directions).
        let p = single.p;
        close(&dist.components[..p], &single.components[..p], 1e-6);
    }
}

fn single_kmeans(x: &Matrix, init: Vec<f32>, k: usize, tol: f64) -> (Vec<f32>, f64) {
    let data = rows_of(x);
    let rows = Rows {
        data: &data,
        n: x.rows(),
        p: x.cols(),
    };
    single_lloyd(rows, init, k, 300, tol, 1, &|| {})
}

fn dist_kmeans(
    parts: &[(Matrix, Vec<f32>)],
    init: Vec<f32>,
    k: usize,
    tol: f64,
) -> (Vec<f32>, f64) {
    let mut local: Vec<LocalShard> = parts.iter().map(|(x, _)| LocalShard::new(x, 1)).collect();
    let mut refs: Vec<&mut dyn KMeansShard> = local
        .iter_mut()
        .map(|s| s as &mut dyn KMeansShard)
        .collect();
    let (model, inertia) = kmeans::lloyd(&mut refs, init, k, 300, tol, &|| {}).unwrap();
    (model.centroids, inertia)
}

#[test]
fn kmeans_equals_single_server_from_the_same_start() {
    let (x, _, parts) = shards(3000, 3);
    let m = merged(&parts, false);
    let tol = 1e-4 * m.mean_variance();
    let k = 3;
    // Start from three rows near one another, so Lloyd has to travel.
    let init: Vec<f32> = (0..k).flat_map(|i| x.row(i * 3)).collect();
    let (single, single_inertia) = single_kmeans(&x, init.clone(), k, tol);
    let (dist, dist_inertia) = dist_kmeans(&parts, init.clone(), k, tol);
    let as64 = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<_>>();
    close(&as64(&dist), &as64(&single), 1e-6);
    close(&[dist_inertia], &[single_inertia], 1e-6);
    assert_ne!(dist, init, "the centers moved");
}

#[test]
fn kmeans_moves_an_empty_center_onto_the_farthest_row_like_single_server() {
    let (x, _, parts) = shards(600, 2);
    let m = merged(&parts, false);
    let tol = 1e-4 * m.mean_variance();
    // The third center is far from every row: it gets none on the first pass.
    let mut init: Vec<f32> = (0..2).flat_map(|i| x.row(i)).collect();
    init.extend([-1.0e6, -1.0e6]);
    let (single, _) = single_kmeans(&x, init.clone(), 3, tol);
    let (dist, _) = dist_kmeans(&parts, init, 3, tol);
    let as64 = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<_>>();
    close(&as64(&dist), &as64(&single), 1e-6);
    assert!(dist.iter().all(|&v| v > 0.0), "the empty center was moved");
}

#[test]
fn bad_partials_are_refused() {
    let (x, _, _) = shards(100, 2);
    let mut s = LocalShard::new(&x, 1);
    assert!(s.step(&[0.0; 3], 2, false).is_err());
    let ok = s.step(&[0.0; 4], 2, false).unwrap();
    assert!(kmeans::merge(3, 2, vec![ok]).is_err());
    assert!(fit_least_squares(&Moments::empty(0), 0.0, true).is_err());
}
