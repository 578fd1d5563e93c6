//! Which workers talk to which: the binary tree (for tree allreduce and broadcast) and the ring
//! (for ring allreduce of large buffers) that XGBoost 1.7's Python tracker hands out, computed the
//! same way (`RabitTracker.get_link_map`), so a job behaves as it would under that tracker.

/// The links of every rank: tree neighbours, tree parent (-1 for the root) and ring (prev, next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMap {
    pub tree: Vec<Vec<usize>>,
    pub parent: Vec<Option<usize>>,
    pub ring: Vec<(usize, usize)>,
}

/// Neighbours of `rank` in the heap-shaped binary tree over `n` workers.
fn heap_neighbours(rank: usize, n: usize) -> Vec<usize> {
    let r = rank + 1;
    let mut out = Vec::with_capacity(3);
    if r > 1 {
        out.push(r / 2 - 1);
    }
    if r * 2 - 1 < n {
        out.push(r * 2 - 1);
    }
    if r * 2 < n {
        out.push(r * 2);
    }
    out
}

fn heap_parent(rank: usize) -> Option<usize> {
    rank.div_ceil(2).checked_sub(1)
}

/// A depth-first walk of the subtree under `rank`, the last child's walk reversed: consecutive
/// ranks on the ring are then mostly tree neighbours too, so the ring reuses the tree's links.
/// (Python iterates a set of children; for small ints that is ascending order, as here.)
fn share_ring(tree: &[Vec<usize>], rank: usize) -> Vec<usize> {
    let children: Vec<usize> = tree[rank]
        .iter()
        .copied()
        .filter(|&v| Some(v) != heap_parent(rank))
        .collect();
    let mut out = vec![rank];
    for (i, &child) in children.iter().enumerate() {
        let mut walk = share_ring(tree, child);
        if i + 1 == children.len() {
            walk.reverse();
        }
        out.extend(walk);
    }
    out
}

impl LinkMap {
    /// The link map for `n` ≥ 1 workers, relabelled so that the ring is 0 → 1 → … → n-1 → 0.
    pub fn new(n: usize) -> LinkMap {
        let tree: Vec<Vec<usize>> = (0..n).map(|r| heap_neighbours(r, n)).collect();
        let order = share_ring(&tree, 0);
        debug_assert_eq!(order.len(), n);
        // The heap rank at ring position i becomes rank i.
        let mut relabel = vec![0; n];
        for (position, &heap_rank) in order.iter().enumerate() {
            relabel[heap_rank] = position;
        }
        let mut new_tree = vec![Vec::new(); n];
        let mut new_parent = vec![None; n];
        for heap_rank in 0..n {
            let r = relabel[heap_rank];
            let mut neighbours: Vec<usize> = tree[heap_rank].iter().map(|&v| relabel[v]).collect();
            neighbours.sort_unstable();
            new_tree[r] = neighbours;
            new_parent[r] = heap_parent(heap_rank).map(|p| relabel[p]);
        }
        let ring = (0..n).map(|r| ((r + n - 1) % n, (r + 1) % n)).collect();
        LinkMap {
            tree: new_tree,
            parent: new_parent,
            ring,
        }
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Every rank `rank` keeps a link to: tree neighbours plus ring neighbours (not itself).
    pub fn neighbours(&self, rank: usize) -> Vec<usize> {
        let mut all = self.tree[rank].clone();
        let (prev, next) = self.ring[rank];
        for r in [prev, next] {
            if r != rank && !all.contains(&r) {
                all.push(r);
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printed by XGBoost 1.7.6's own tracker (tracker.py is unchanged since 1.7.4):
    /// `/opt/skl/bin/python -c "from xgboost.tracker import RabitTracker; t = RabitTracker('127.0.0.1', 1);
    ///  [print(n, t.get_link_map(n)) for n in range(1, 11)]"` (trees sorted).
    #[test]
    fn equals_the_python_trackers_link_maps() {
        let golden: [(usize, &str, &str); 6] = [
            (1, "[[]]", "[-1]"),
            (2, "[[1], [0]]", "[-1, 0]"),
            (3, "[[1, 2], [0], [0]]", "[-1, 0, 0]"),
            (
                6,
                "[[1, 5], [0, 2, 3], [1], [1], [5], [0, 4]]",
                "[-1, 0, 1, 1, 5, 0]",
            ),
            (
                8,
                "[[1, 7], [0, 2, 4], [1, 3], [2], [1], [7], [7], [0, 5, 6]]",
                "[-1, 0, 1, 2, 1, 7, 7, 0]",
            ),
            (
                10,
                "[[1, 9], [0, 2, 6], [1, 3, 4], [2], [2], [6], [1, 5], [9], [9], [0, 7, 8]]",
                "[-1, 0, 1, 2, 2, 6, 1, 9, 9, 0]",
            ),
        ];
        for (n, tree, parent) in golden {
            let m = LinkMap::new(n);
            assert_eq!(format!("{:?}", m.tree), tree, "n={n}");
            let parent_text: Vec<i64> = m
                .parent
                .iter()
                .map(|p| p.map_or(-1, |p| p as i64))
                .collect();
            assert_eq!(format!("{parent_text:?}"), parent, "n={n}");
            assert_eq!(m.ring[0], ((n - 1) % n, 1 % n), "n={n}");
        }
    }

    #[test]
    fn every_map_is_a_tree_and_a_ring_with_symmetric_links() {
        for n in 1..=64 {
            let m = LinkMap::new(n);
            let roots = m.parent.iter().filter(|p| p.is_none()).count();
            assert_eq!(roots, 1, "n={n}");
            let edges: usize = m.tree.iter().map(Vec::len).sum();
            assert_eq!(
                edges,
                2 * (n - 1),
                "a tree has n-1 undirected edges (n={n})"
            );
            for r in 0..n {
                for &v in &m.tree[r] {
                    assert!(m.tree[v].contains(&r), "n={n}: {r}-{v} not symmetric");
                }
                if let Some(p) = m.parent[r] {
                    assert!(m.tree[r].contains(&p));
                }
                let (prev, next) = m.ring[r];
                assert_eq!(m.ring[next].0, r);
                assert_eq!(m.ring[prev].1, r);
                assert!(!m.neighbours(r).contains(&r) || n == 1);
            }
        }
    }
}
