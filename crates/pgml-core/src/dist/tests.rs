use super::kmeans::{self, KMeansShard, LocalShard};
use super::score;
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
type Shards = Vec<(Matrix, Vec<f32>)>;

fn shards(n: usize, p: usize) -> (Matrix, Vec<f32>, Shards) {
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
        close(
            &[explained_variance(&dist, &Moments::of(&x, None).unwrap())],
            &[crate::algorithms::pca::cumulative_explained_variance(
                &single, &x,
            )],
            1e-6,
        );
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

/// Blobs: `k` centers in [0, 10)^p, rows around them (noise ±`spread`); with `sorted` the rows
/// come cluster by cluster, so that contiguous shards hold different clusters.
fn blobs(n: usize, p: usize, k: usize, spread: f64, sorted: bool, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64(seed);
    let centers: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..p).map(|_| rng.unit() * 10.0).collect())
        .collect();
    (0..n)
        .map(|i| {
            let c = if sorted { i * k / n } else { rng.below(k) };
            centers[c]
                .iter()
                .map(|&v| (v + (rng.unit() - 0.5) * 2.0 * spread) as f32)
                .collect()
        })
        .collect()
}

fn inertia_of(x: &Matrix, centers: &[f32], k: usize) -> f64 {
    let data = rows_of(x);
    let rows = Rows {
        data: &data,
        n: x.rows(),
        p: x.cols(),
    };
    crate::algorithms::kmeans::assign(rows, centers, k, 1).inertia
}

/// The distributed start (each shard's group means, seeded by weighted k-means++, then Lloyd over
/// the shards) against single-server k-means++ and Lloyd: what not sending a row costs in
/// inertia, over several seeds and layouts (shards holding mixed or different clusters). The
/// figures are in docs/distributed-training.md.
#[test]
fn kmeans_start_without_rows_costs_little_inertia() {
    let (n, p) = (6000, 4);
    let mut worst: f64 = 0.0;
    for (k, spread, sorted) in [
        (4, 1.5, false),
        (8, 1.0, false),
        (8, 1.0, true),
        (3, 4.0, false),
    ] {
        let mut ratios = Vec::new();
        for seed in 0..5u64 {
            let rows = blobs(n, p, k, spread, sorted, 100 + seed);
            let x = Matrix::from_rows(&rows).unwrap();
            let cuts = [0, n / 3, n / 3 + 900, n];
            let parts: Vec<Matrix> = cuts
                .windows(2)
                .map(|w| Matrix::from_rows(&rows[w[0]..w[1]]).unwrap())
                .collect();
            let mut opts = crate::algorithms::kmeans::Options::new(k);
            opts.seed = seed;
            let single = crate::algorithms::kmeans::fit(&x, &opts, &|| {}).unwrap();
            let single_inertia = inertia_of(&x, &single.centroids, k);
            let tol = crate::algorithms::kmeans::scaled_tol(&x, opts.tol);
            let local: Vec<kmeans::LocalCenters> = parts
                .iter()
                .enumerate()
                .map(|(r, m)| kmeans::local_centers(m, k, seed + 7 * r as u64, 300, tol, 1, &|| {}))
                .collect();
            for l in &local {
                assert!(
                    l.counts.iter().all(|&c| c >= kmeans::MIN_GROUP),
                    "a group mean of one row"
                );
            }
            let mut rng = SplitMix64(seed);
            let init = kmeans::seed_from_centers(&local, p, k, true, &mut rng, &|| {}).unwrap();
            let mut shards: Vec<LocalShard> = parts.iter().map(|m| LocalShard::new(m, 1)).collect();
            let mut refs: Vec<&mut dyn KMeansShard> = shards
                .iter_mut()
                .map(|s| s as &mut dyn KMeansShard)
                .collect();
            let (model, dist_inertia) =
                kmeans::lloyd(&mut refs, init, k, 300, tol, &|| {}).unwrap();
            let check = inertia_of(&x, &model.centroids, k);
            close(&[dist_inertia], &[check], 1e-6);
            ratios.push(dist_inertia / single_inertia);
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let max = ratios.iter().copied().fold(0.0, f64::max);
        println!(
            "k-means start without rows: k={k} spread={spread} shards hold {}: inertia / single-server k-means++'s: mean {mean:.4}, max {max:.4}, each {ratios:.4?}",
            if sorted { "different clusters" } else { "mixed clusters" }
        );
        worst = worst.max(mean);
    }
    assert!(
        worst < 1.05,
        "the distributed start costs {worst} × single-server inertia"
    );
    // Too few groups for k: a clear error, not a row.
    let tiny = Matrix::from_rows(&[vec![1.0, 2.0], vec![1.5, 2.5], vec![3.0, 1.0]]).unwrap();
    let l = kmeans::local_centers(&tiny, 3, 0, 300, 0.0, 1, &|| {});
    assert_eq!(l.counts, vec![3]);
    assert!(kmeans::seed_from_centers(&[l], 2, 3, true, &mut SplitMix64(0), &|| {}).is_err());
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

mod over_the_collective {
    use super::*;
    use crate::algorithms::{self, Algorithm};
    use crate::dist::worker;
    use crate::split::Sampling;
    use crate::training::Target;
    use crate::Task;
    use pgml_collective::{Tracker, TrackerConfig};
    use pgml_xgboost::{Communicator, CommunicatorConfig};
    use std::time::Duration;

    /// Runs `algorithm` on the three shards, one worker thread each (XGBoost's collective is
    /// per thread), and returns every worker's outcome in rank order.
    fn run(task: Task, name: &str, hyperparams: serde_json::Value) -> Vec<worker::Outcome> {
        let (_, _, parts) = shards(1500, 3);
        let algorithm = Algorithm::for_task(name, task).unwrap();
        let params = algorithm.resolve(task, &hyperparams).unwrap();
        let mut config = TrackerConfig::new("127.0.0.1:0".parse().unwrap(), parts.len());
        config.timeout = Duration::from_secs(20);
        let tracker = Tracker::start(config).unwrap();
        let handles: Vec<_> = parts
            .into_iter()
            .enumerate()
            .map(|(i, (x, y))| {
                let env = tracker.worker(i);
                let params = params.clone();
                std::thread::spawn(move || {
                    let mut c =
                        CommunicatorConfig::new(&env.tracker_host, env.tracker_port, &env.task_id);
                    c.timeout = Duration::from_secs(20);
                    let comm = Communicator::join(&c).unwrap();
                    let target = if task == Task::Regression {
                        Target::Values(&y)
                    } else {
                        Target::None
                    };
                    worker::run(
                        &comm,
                        task,
                        algorithm,
                        &params,
                        &x,
                        target,
                        0.25,
                        Sampling::Random,
                        42,
                        &|| {},
                    )
                    .unwrap()
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        tracker.wait().unwrap();
        outcomes
    }

    fn same_model(outcomes: &[worker::Outcome]) -> &worker::Outcome {
        let first = format!("{:?}", outcomes[0].estimator.fitted());
        for o in outcomes {
            assert_eq!(
                format!("{:?}", o.estimator.fitted()),
                first,
                "every worker has the same model"
            );
        }
        &outcomes[0]
    }

    #[test]
    fn linear_workers_agree_and_fit_the_label() {
        let outcomes = run(Task::Regression, "linear", serde_json::json!({}));
        let o = same_model(&outcomes);
        assert_eq!(
            outcomes
                .iter()
                .map(|o| o.train_rows + o.test_rows)
                .sum::<usize>(),
            1500
        );
        let algorithms::Fitted::Linear(m) = o.estimator.fitted() else {
            panic!("a linear model")
        };
        close(&m.coef, &[-1.5, -0.5, 0.5], 0.1);
        let score = outcomes
            .iter()
            .map(|o| o.score.clone())
            .try_fold(score::ScorePartial::None, |a, b| a.merge(b))
            .unwrap();
        assert!(score.metrics()["r2"] > 0.9, "{:?}", score.metrics());
    }

    #[test]
    fn xgboost_workers_grow_identical_trees() {
        let outcomes = run(
            Task::Regression,
            "xgboost",
            serde_json::json!({"n_estimators": 60, "max_depth": 3, "nthread": 1}),
        );
        same_model(&outcomes);
        let score = outcomes
            .iter()
            .map(|o| o.score.clone())
            .try_fold(score::ScorePartial::None, |a, b| a.merge(b))
            .unwrap();
        assert!(score.metrics()["r2"] > 0.5, "{:?}", score.metrics());
    }

    #[test]
    fn kmeans_and_pca_workers_agree() {
        let o = run(
            Task::Clustering,
            "kmeans",
            serde_json::json!({"n_clusters": 3, "nthread": 1}),
        );
        let algorithms::Fitted::KMeans(m) = same_model(&o).estimator.fitted() else {
            panic!()
        };
        assert_eq!(m.centroids.len(), 9);
        let o = run(
            Task::Decomposition,
            "pca",
            serde_json::json!({"n_components": 2}),
        );
        same_model(&o);
        assert!(o[0].test_moments.as_ref().is_some_and(|m| m.n > 0));
    }
}

#[test]
fn merged_test_statistics_give_the_union_metrics() {
    use crate::metrics;
    let (_, y, _) = shards(900, 2);
    let pred: Vec<f32> = y
        .iter()
        .enumerate()
        .map(|(i, v)| v + (i % 7) as f32 - 3.0)
        .collect();
    let cuts = [0, 300, 310, 900];
    let merged = cuts
        .windows(2)
        .map(|w| score::ScorePartial::regression(&y[w[0]..w[1]], &pred[w[0]..w[1]]))
        .try_fold(score::ScorePartial::None, |a, b| a.merge(b))
        .unwrap()
        .metrics();
    let single = metrics::regression(&y, &pred);
    for (k, v) in &single {
        close(&[merged[k]], &[*v], 1e-9);
    }
    let codes: Vec<u32> = (0..900).map(|i| (i % 3) as u32).collect();
    let guess: Vec<u32> = (0..900).map(|i| ((i / 2) % 3) as u32).collect();
    let proba: Vec<f32> = guess
        .iter()
        .flat_map(|&g| (0..3).map(move |c| if c == g { 0.8 } else { 0.1 }))
        .collect();
    let merged = cuts
        .windows(2)
        .map(|w| {
            score::ScorePartial::classification(
                &codes[w[0]..w[1]],
                &guess[w[0]..w[1]],
                Some(&proba[w[0] * 3..w[1] * 3]),
                3,
            )
        })
        .try_fold(score::ScorePartial::None, |a, b| a.merge(b))
        .unwrap()
        .metrics();
    let single = metrics::classification(&codes, &guess, Some(&proba), 3);
    for (k, v) in single.iter().filter(|(k, _)| k.as_str() != "roc_auc") {
        close(&[merged[k]], &[*v], 1e-9);
    }
    assert!(!merged.contains_key("roc_auc"));
}
