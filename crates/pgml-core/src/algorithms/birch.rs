//! `birch`: scikit-learn's Birch. Rows enter a CF tree one by one: each goes down to the nearest
//! subcluster of a leaf and joins it if the merged subcluster's radius stays within `threshold`,
//! else starts a new one; a node with more than `branching_factor` subclusters splits around its
//! two farthest ones. The leaves' subclusters are then grouped by Ward's agglomerative
//! clustering into `n_clusters` (null: each subcluster is a cluster). Predict is scikit-learn's:
//! the label of the nearest subcluster centroid. The model keeps the centroids and labels.

use super::clustering::{rows_of, ward, Distance, NearestSampleModel, CHECK_EVERY};
use super::params::{float, int, INF};
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Birch;

/// Ward's global step holds an m×m f64 matrix of the subclusters: 800 MB at this many.
pub const MAX_SUBCLUSTERS: usize = 10_000;

const PARAMS: &[Param] = &[
    float("threshold", 0.0, INF, true, DefaultValue::Float(0.5)),
    int("branching_factor", 2, 1_000_000, DefaultValue::Int(50)),
    int("n_clusters", 1, 100_000, DefaultValue::Int(3)),
    Param {
        name: "compute_labels",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
    Param {
        name: "copy",
        kind: Kind::Bool,
        default: DefaultValue::Bool(true),
    },
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub threshold: f64,
    pub branching_factor: usize,
    /// None: no global step.
    pub n_clusters: Option<usize>,
}

impl Learner for Birch {
    type Options = Options;

    fn name(&self) -> &'static str {
        "birch"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Clustering]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "Birch"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            threshold: h.float("threshold")?,
            branching_factor: h.usize("branching_factor")?,
            n_clusters: h
                .opt_int("n_clusters")?
                .and_then(|v| usize::try_from(v).ok()),
        })
    }

    fn fit(
        &self,
        _task: Task,
        o: &Options,
        x: &Matrix,
        _labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        Ok(Fitted::NearestSample(fit(x, o, check_interrupts)?.1))
    }
}

/// A clustering feature: count, linear sum and squared sum of its rows.
#[derive(Debug, Clone)]
struct Sub {
    n: f64,
    ls: Vec<f64>,
    ss: f64,
    centroid: Vec<f64>,
    sq_norm: f64,
    child: Option<usize>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Sub {
    fn of(x: Vec<f64>) -> Sub {
        let ss = dot(&x, &x);
        Sub {
            n: 1.0,
            centroid: x.clone(),
            ls: x,
            ss,
            sq_norm: ss,
            child: None,
        }
    }

    fn empty(p: usize, child: usize) -> Sub {
        Sub {
            n: 0.0,
            ls: vec![0.0; p],
            ss: 0.0,
            centroid: vec![0.0; p],
            sq_norm: 0.0,
            child: Some(child),
        }
    }

    fn update(&mut self, other: &Sub) {
        self.n += other.n;
        self.ls.iter_mut().zip(&other.ls).for_each(|(a, b)| *a += b);
        self.ss += other.ss;
        self.centroid = self.ls.iter().map(|v| v / self.n).collect();
        self.sq_norm = dot(&self.centroid, &self.centroid);
    }

    /// Absorbs `other` if the merged radius stays within `threshold`.
    fn merge(&mut self, other: &Sub, threshold: f64) -> bool {
        let n = self.n + other.n;
        let ls: Vec<f64> = self.ls.iter().zip(&other.ls).map(|(a, b)| a + b).collect();
        let ss = self.ss + other.ss;
        let centroid: Vec<f64> = ls.iter().map(|v| (1.0 / n) * v).collect();
        let sq_norm = dot(&centroid, &centroid);
        if ss / n - sq_norm <= threshold * threshold {
            (self.n, self.ls, self.ss, self.centroid, self.sq_norm) =
                (n, ls, ss, centroid, sq_norm);
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Clone)]
struct Node {
    subs: Vec<Sub>,
    leaf: bool,
}

struct Tree {
    nodes: Vec<Node>,
    threshold: f64,
    branching_factor: usize,
    p: usize,
}

impl Tree {
    /// Inserts into node `id`; true when the node now overflows and must be split by its parent.
    fn insert(&mut self, id: usize, sub: &Sub) -> bool {
        if self.nodes[id].subs.is_empty() {
            self.nodes[id].subs.push(sub.clone());
            return false;
        }
        let node = &self.nodes[id];
        let mut closest = 0;
        let mut best = f64::INFINITY;
        for (i, s) in node.subs.iter().enumerate() {
            let v = -2.0 * dot(&s.centroid, &sub.centroid) + s.sq_norm;
            if v < best {
                best = v;
                closest = i;
            }
        }
        if let Some(child) = node.subs[closest].child {
            if !self.insert(child, sub) {
                self.nodes[id].subs[closest].update(sub);
                return false;
            }
            let (s1, s2) = self.split(child);
            let subs = &mut self.nodes[id].subs;
            subs[closest] = s1;
            subs.push(s2);
            return subs.len() > self.branching_factor;
        }
        let threshold = self.threshold;
        let node = &mut self.nodes[id];
        if node.subs[closest].merge(sub, threshold) {
            return false;
        }
        node.subs.push(sub.clone());
        node.subs.len() > self.branching_factor
    }

    /// Splits node `id` around its two farthest subclusters into two new nodes; returns the two
    /// subclusters that summarize them.
    fn split(&mut self, id: usize) -> (Sub, Sub) {
        let subs = std::mem::take(&mut self.nodes[id].subs);
        let leaf = self.nodes[id].leaf;
        let m = subs.len();
        let d = |i: usize, j: usize| {
            subs[i]
                .centroid
                .iter()
                .zip(&subs[j].centroid)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
        };
        let (mut far, mut best) = ((0, 0), f64::NEG_INFINITY);
        for i in 0..m {
            for j in 0..m {
                let v = d(i, j);
                if v > best {
                    best = v;
                    far = (i, j);
                }
            }
        }
        // Each subcluster goes with the nearer of the two (the first of them to node 1).
        let to_first: Vec<bool> = (0..m)
            .map(|i| i == far.0 || d(far.0, i) < d(far.1, i))
            .collect();
        let (n1, n2) = (self.nodes.len(), self.nodes.len() + 1);
        let (mut s1, mut s2) = (Sub::empty(self.p, n1), Sub::empty(self.p, n2));
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for (sub, one) in subs.into_iter().zip(to_first) {
            if one {
                s1.update(&sub);
                first.push(sub);
            } else {
                s2.update(&sub);
                second.push(sub);
            }
        }
        self.nodes.push(Node { subs: first, leaf });
        self.nodes.push(Node { subs: second, leaf });
        (s1, s2)
    }
}

/// The training rows' labels (scikit-learn's `labels_`) and the model.
pub fn fit(
    x: &Matrix,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(Vec<i64>, NearestSampleModel)> {
    let (n, p) = (x.rows(), x.cols());
    let flat = rows_of(x);
    let row = |i: usize| -> Vec<f64> {
        flat[i * p..(i + 1) * p]
            .iter()
            .map(|&v| f64::from(v))
            .collect()
    };
    let mut tree = Tree {
        nodes: vec![Node {
            subs: Vec::new(),
            leaf: true,
        }],
        threshold: o.threshold,
        branching_factor: o.branching_factor,
        p,
    };
    let mut root = 0;
    for i in 0..n {
        if i.is_multiple_of(CHECK_EVERY) {
            check_interrupts();
        }
        if tree.insert(root, &Sub::of(row(i))) {
            let (s1, s2) = tree.split(root);
            tree.nodes.push(Node {
                subs: vec![s1, s2],
                leaf: false,
            });
            root = tree.nodes.len() - 1;
        }
    }
    // The leaves' subclusters, left to right.
    let mut centers: Vec<Vec<f64>> = Vec::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        let node = &tree.nodes[id];
        if node.leaf {
            centers.extend(node.subs.iter().map(|s| s.centroid.clone()));
        } else {
            stack.extend(node.subs.iter().rev().filter_map(|s| s.child));
        }
    }
    let m = centers.len();
    let sub_labels: Vec<usize> = match o.n_clusters {
        Some(k) if m >= k => {
            if m > MAX_SUBCLUSTERS {
                return Err(Error::too_large(
                    format!(
                        "birch found {m} subclusters; its global step (Ward's clustering) is limited to {MAX_SUBCLUSTERS} ({} MB)",
                        8 * MAX_SUBCLUSTERS * MAX_SUBCLUSTERS / 1_000_000
                    ),
                    "raise threshold so that fewer subclusters form, or set n_clusters to null to keep each subcluster as a cluster",
                ));
            }
            ward(&centers, k, check_interrupts)
        }
        // Fewer subclusters than n_clusters (scikit-learn warns) or no global step.
        _ => (0..m).collect(),
    };
    let model = NearestSampleModel {
        p,
        samples: centers.iter().flatten().map(|&v| v as f32).collect(),
        labels: sub_labels.iter().map(|&l| l as i32).collect(),
        radius: vec![f64::INFINITY; m],
        metric: Distance::EUCLIDEAN,
    };
    // Training labels as scikit-learn computes them: the nearest subcluster, in f64.
    let labels = (0..n)
        .map(|i| {
            let r = row(i);
            let mut best = (0usize, f64::INFINITY);
            for (c, center) in centers.iter().enumerate() {
                let d: f64 = r.iter().zip(center).map(|(a, b)| (a - b) * (a - b)).sum();
                if d < best.1 {
                    best = (c, d);
                }
            }
            sub_labels.get(best.0).map_or(-1, |&l| l as i64)
        })
        .collect();
    Ok((labels, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_blobs_through_a_deep_tree() {
        let mut rows = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (20.0, 20.0), (0.0, 20.0)] {
            for i in 0..200 {
                rows.push(vec![cx + (i % 20) as f32 * 0.3, cy + (i / 20) as f32 * 0.3]);
            }
        }
        let x = Matrix::from_rows(&rows).unwrap();
        // A small branching factor forces splits of leaves and of inner nodes.
        let o = Options {
            threshold: 0.5,
            branching_factor: 3,
            n_clusters: Some(3),
        };
        let (labels, model) = fit(&x, &o, &|| {}).unwrap();
        for g in 0..3 {
            assert!(labels[g * 200..(g + 1) * 200]
                .iter()
                .all(|&l| l == labels[g * 200]));
        }
        assert_ne!(labels[0], labels[200]);
        assert_ne!(labels[200], labels[400]);
        assert_ne!(labels[0], labels[400]);
        assert!(
            model.labels.len() > 20,
            "{} subclusters",
            model.labels.len()
        );
        assert_eq!(i64::from(model.label(&[21.0, 21.0])), labels[200]);
        let none = Options {
            n_clusters: None,
            ..o
        };
        let (_, model) = fit(&x, &none, &|| {}).unwrap();
        assert_eq!(
            model.labels,
            (0..model.labels.len() as i32).collect::<Vec<_>>()
        );
    }
}
