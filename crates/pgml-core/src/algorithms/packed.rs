//! The trees of an ensemble packed for predict: every node of every tree in one array of 16-byte
//! nodes (a node is a quarter of a cache line, and both children of a node share one), built from
//! the stored trees the first time a loaded model predicts. The stored formats do not change:
//! XGBoost-style trees (`trees::Tree`, five parallel arrays, so a node visit touched five cache
//! lines) and CART trees (`cart::CartTree`, whose leaf outputs sit in a second array) are both
//! translated, and the walk answers exactly the leaf the stored walk answers, so predictions stay
//! bit-identical (callers add the leaves in the same order as before).

use std::sync::OnceLock;

use super::cart::CartTree;
use super::trees::Tree;

/// Set in [`PackedNode::feature`] when a missing value (NaN, or a feature beyond the row) goes
/// left (XGBoost's `default_left`); CART sends it right.
const MISSING_LEFT: u32 = 1 << 31;

/// Trees walked side by side for one row (`examples/predict_speed.rs`: 8 beat 4 and 16 on
/// 100 depth-6 trees).
const LANES: usize = 8;

/// One node. A split sends `x` to `left` or to `left + 1`; a leaf has `left == 0` (no tree's
/// root is anyone's child, and tree 0's root is node 0).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(16))]
pub struct PackedNode {
    /// The split's feature, with [`MISSING_LEFT`].
    feature: u32,
    /// The split's threshold, or the leaf's value (its only output).
    value: f32,
    /// The left child; the right child is the next node.
    left: u32,
    /// A leaf's first output in [`PackedTrees::leaf_values`] (trees with several outputs a leaf).
    leaf: u32,
}

impl PackedNode {
    /// The leaf's value (trees with one output a leaf).
    #[inline]
    pub fn value(&self) -> f32 {
        self.value
    }
}

/// How a split compares: XGBoost's `x < threshold` goes left, CART's `x <= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Less,
    LessEqual,
}

/// The packed trees of one ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedTrees {
    nodes: Vec<PackedNode>,
    /// The root of each tree, in the ensemble's order.
    roots: Vec<u32>,
    /// The leaves' outputs when there are several a leaf (classification forests).
    leaf_values: Vec<f32>,
    outputs: usize,
    rule: Rule,
}

impl PackedTrees {
    /// XGBoost-style trees (`x < value` left, NaN by `default_left`). None when a tree is not a
    /// tree (a stored model that was never checked): such a model keeps the stored walk.
    pub fn from_xgboost(trees: &[Tree]) -> Option<PackedTrees> {
        let mut p = PackedTrees::new(Rule::Less, 1);
        for t in trees {
            let n = t.left.len();
            if [
                t.right.len(),
                t.feature.len(),
                t.value.len(),
                t.default_left.len(),
            ]
            .iter()
            .any(|&l| l != n)
            {
                return None;
            }
            p.push_tree(n, |i| {
                let l = t.left[i];
                if l < 0 {
                    return Some(Source::Leaf {
                        value: t.value[i],
                        row: 0,
                    });
                }
                let missing = if t.default_left[i] { MISSING_LEFT } else { 0 };
                if t.feature[i] & MISSING_LEFT != 0 {
                    return None;
                }
                Some(Source::Split {
                    feature: t.feature[i] | missing,
                    threshold: t.value[i],
                    left: usize::try_from(l).ok()?,
                    right: usize::try_from(t.right[i]).ok()?,
                })
            })?;
        }
        Some(p)
    }

    /// CART trees (`x <= threshold` left, NaN right) with `outputs` values a leaf.
    pub fn from_cart(trees: &[CartTree], outputs: usize) -> Option<PackedTrees> {
        let k = outputs.max(1);
        let mut p = PackedTrees::new(Rule::LessEqual, k);
        for t in trees {
            let base = u32::try_from(p.leaf_values.len()).ok()?;
            p.push_tree(t.nodes.len(), |i| {
                let node = t.nodes[i];
                if node.children == 0 {
                    let start = (node.feature as usize).checked_mul(k)?;
                    let values = t.leaf_values.get(start..start.checked_add(k)?)?;
                    return Some(Source::Leaf {
                        value: values[0],
                        row: base.checked_add(u32::try_from(start).ok()?)?,
                    });
                }
                if node.feature & MISSING_LEFT != 0 {
                    return None;
                }
                let c = node.children as usize;
                Some(Source::Split {
                    feature: node.feature,
                    threshold: node.threshold,
                    left: c,
                    right: c + 1,
                })
            })?;
            if k > 1 {
                p.leaf_values.extend_from_slice(&t.leaf_values);
            }
        }
        Some(p)
    }

    fn new(rule: Rule, outputs: usize) -> PackedTrees {
        PackedTrees {
            nodes: Vec::new(),
            roots: Vec::new(),
            leaf_values: Vec::new(),
            outputs,
            rule,
        }
    }

    /// Appends one tree of `n` stored nodes, breadth-first from its root so that each node's
    /// children land side by side. None on a child out of range or reached twice (a cycle).
    fn push_tree(&mut self, n: usize, node: impl Fn(usize) -> Option<Source>) -> Option<()> {
        if n == 0 {
            return None;
        }
        let root = self.nodes.len();
        self.roots.push(u32::try_from(root).ok()?);
        let mut seen = vec![false; n];
        // Stored index of each packed node of this tree, in packed order.
        let mut order = vec![0usize];
        seen[0] = true;
        self.nodes.push(PackedNode {
            feature: 0,
            value: 0.0,
            left: 0,
            leaf: 0,
        });
        let mut k = 0;
        while k < order.len() {
            let at = root + k;
            match node(order[k])? {
                Source::Leaf { value, row } => {
                    self.nodes[at] = PackedNode {
                        feature: 0,
                        value,
                        left: 0,
                        leaf: row,
                    };
                }
                Source::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    for c in [left, right] {
                        if c >= n || seen[c] {
                            return None;
                        }
                        seen[c] = true;
                        order.push(c);
                    }
                    let left = u32::try_from(self.nodes.len()).ok()?;
                    self.nodes[at] = PackedNode {
                        feature,
                        value: threshold,
                        left,
                        leaf: 0,
                    };
                    let blank = self.nodes[at];
                    self.nodes.extend([blank, blank]);
                }
            }
            k += 1;
        }
        Some(())
    }

    pub fn trees(&self) -> usize {
        self.roots.len()
    }

    /// Calls `f(tree, leaf)` for every tree in order.
    #[inline]
    pub fn for_each_leaf(&self, x: &[f32], f: impl FnMut(usize, &PackedNode)) {
        match self.rule {
            Rule::Less => self.leaves::<false>(x, f),
            Rule::LessEqual => self.leaves::<true>(x, f),
        }
    }

    /// Walks [`LANES`] trees side by side: their node loads are independent, so the processor
    /// overlaps them where one walk waits for each load in turn. The leaves are still handed
    /// to `f` in tree order, so sums come out in the same order, to the bit.
    #[inline(always)]
    fn leaves<const LE: bool>(&self, x: &[f32], mut f: impl FnMut(usize, &PackedNode)) {
        let mut groups = self.roots.chunks_exact(LANES);
        let mut t = 0;
        for group in &mut groups {
            let mut at = [0u32; LANES];
            at.copy_from_slice(group);
            loop {
                let mut moved = false;
                for a in &mut at {
                    let next = self.step::<LE>(*a, x);
                    moved |= next != *a;
                    *a = next;
                }
                if !moved {
                    break;
                }
            }
            for a in at {
                f(t, &self.nodes[a as usize]);
                t += 1;
            }
        }
        for &r in groups.remainder() {
            f(t, self.walk::<LE>(r, x));
            t += 1;
        }
    }

    /// The node after `at` for `x`; a leaf stays where it is.
    #[inline(always)]
    fn step<const LE: bool>(&self, at: u32, x: &[f32]) -> u32 {
        let n = &self.nodes[at as usize];
        let next = n.left + u32::from(self.goes_right::<LE>(n, x));
        if n.left == 0 {
            at
        } else {
            next
        }
    }

    /// `LE`: CART's `x <= threshold` goes left; else XGBoost's `x < threshold`. A NaN
    /// threshold sends every present value right under `<` and left under `<=`, as the stored
    /// walks do.
    #[inline(always)]
    // `!(v < t)` on purpose: it is the stored walk's test word for word, NaN threshold included.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    fn goes_right<const LE: bool>(&self, n: &PackedNode, x: &[f32]) -> bool {
        let v = x
            .get((n.feature & !MISSING_LEFT) as usize)
            .copied()
            .unwrap_or(f32::NAN);
        if v.is_nan() {
            n.feature & MISSING_LEFT == 0
        } else if LE {
            v > n.value
        } else {
            !(v < n.value)
        }
    }

    /// A leaf's outputs (as many as the trees have a leaf).
    #[inline]
    pub fn outputs_of<'a>(&'a self, leaf: &'a PackedNode) -> &'a [f32] {
        if self.outputs == 1 {
            std::slice::from_ref(&leaf.value)
        } else {
            let start = leaf.leaf as usize;
            &self.leaf_values[start..start + self.outputs]
        }
    }

    /// The leaf `x` reaches from `root`.
    #[inline(always)]
    fn walk<const LE: bool>(&self, root: u32, x: &[f32]) -> &PackedNode {
        let mut n = &self.nodes[root as usize];
        while n.left != 0 {
            n = &self.nodes[n.left as usize + usize::from(self.goes_right::<LE>(n, x))];
        }
        n
    }
}

/// A stored node, as the packer reads it.
enum Source {
    Leaf {
        value: f32,
        row: u32,
    },
    Split {
        feature: u32,
        threshold: f32,
        left: usize,
        right: usize,
    },
}

/// The packed trees of a model, built on first use from its stored trees and kept with it (not
/// serialized, not compared: two models are equal by their stored trees).
#[derive(Default)]
pub struct PackedCache(OnceLock<Option<PackedTrees>>);

impl PackedCache {
    /// The packed trees (built by `build` the first time), or None when they could not be built.
    #[inline]
    pub fn get(&self, build: impl FnOnce() -> Option<PackedTrees>) -> Option<&PackedTrees> {
        self.0.get_or_init(build).as_ref()
    }
}

impl Clone for PackedCache {
    fn clone(&self) -> PackedCache {
        PackedCache(self.0.clone())
    }
}

impl PartialEq for PackedCache {
    fn eq(&self, _: &PackedCache) -> bool {
        true
    }
}

impl std::fmt::Debug for PackedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PackedCache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<PackedNode>(), 16);
    }

    #[test]
    fn a_cycle_is_not_packed() {
        let t = Tree {
            feature: vec![0, 0, 0],
            value: vec![0.5, 1.0, 2.0],
            left: vec![1, 0, -1],
            right: vec![2, 2, -1],
            default_left: vec![true, false, false],
        };
        assert!(PackedTrees::from_xgboost(&[t]).is_none());
    }
}
