//! The node arena (Wengert list) behind [`super::Tape`]: parent indices and local partials, no
//! closures and no `Rc` graph. One reverse sweep walks it backwards once.

use std::sync::atomic::{AtomicU32, Ordering};

use super::TapeValue;

/// Parent slot that holds nothing (leaf or unary node), and the index of a constant `Var`.
pub(crate) const NONE: u32 = u32::MAX;
/// First-parent marker of a custom node whose edges live in [`TapeData::edges`].
pub(crate) const MULTI: u32 = u32::MAX - 1;
/// Largest node count a tape may hold (indices above are markers).
pub(crate) const MAX_NODES: usize = (u32::MAX - 2) as usize;

static NEXT_TAG: AtomicU32 = AtomicU32::new(1);

/// A fresh tag; tags identify a (tape, generation) pair so stale variables are caught.
pub(crate) fn fresh_tag() -> u32 {
    NEXT_TAG.fetch_add(1, Ordering::Relaxed)
}

/// One recorded operation: up to two parents with the local partial of the output w.r.t. each.
/// For `f64` this is 24 bytes.
#[derive(Clone, Copy, Debug)]
pub struct Node<T> {
    pub parents: [u32; 2],
    pub partials: [T; 2],
}

/// The storage of one tape.
#[derive(Debug)]
pub struct TapeData<T> {
    pub nodes: Vec<Node<T>>,
    /// Edges `(parent, partial)` of custom nodes with more than two inputs.
    pub edges: Vec<(u32, T)>,
    /// `(start, end)` ranges into `edges`, one per custom node.
    pub ranges: Vec<(u32, u32)>,
    pub tag: u32,
}

impl<T: TapeValue> TapeData<T> {
    pub fn with_capacity(n: usize) -> Self {
        TapeData {
            nodes: Vec::with_capacity(n),
            edges: Vec::new(),
            ranges: Vec::new(),
            tag: fresh_tag(),
        }
    }

    pub fn clear(&mut self) {
        self.nodes.clear();
        self.edges.clear();
        self.ranges.clear();
        self.tag = fresh_tag();
    }

    #[inline(always)]
    pub fn push(&mut self, parents: [u32; 2], partials: [T; 2]) -> u32 {
        let idx = self.nodes.len();
        if idx >= MAX_NODES {
            panic!("diffhep tape: more than {MAX_NODES} nodes recorded; split the work into smaller tapes");
        }
        self.nodes.push(Node { parents, partials });
        idx as u32
    }

    /// Record a node with any number of inputs (custom operations).
    pub fn push_multi(&mut self, inputs: &[(u32, T)]) -> u32 {
        let start = self.edges.len() as u32;
        self.edges.extend_from_slice(inputs);
        let r = self.ranges.len() as u32;
        self.ranges.push((start, self.edges.len() as u32));
        self.push([MULTI, r], [T::zero_value(), T::zero_value()])
    }

    /// Reverse sweep: `adj` holds the seeds on entry (one entry per node) and the adjoints on exit.
    pub fn reverse(&self, adj: &mut [T]) {
        debug_assert_eq!(adj.len(), self.nodes.len());
        for i in (0..self.nodes.len()).rev() {
            let g = adj[i];
            if g.is_zero_value() {
                continue;
            }
            let node = &self.nodes[i];
            match node.parents[0] {
                NONE => {}
                MULTI => {
                    let (s, e) = self.ranges[node.parents[1] as usize];
                    for &(p, d) in &self.edges[s as usize..e as usize] {
                        adj[p as usize] += g * d;
                    }
                }
                a => {
                    adj[a as usize] += g * node.partials[0];
                    let b = node.parents[1];
                    if b != NONE {
                        adj[b as usize] += g * node.partials[1];
                    }
                }
            }
        }
    }

    /// Bytes held by the recorded nodes and edges.
    pub fn bytes(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<Node<T>>()
            + self.edges.len() * std::mem::size_of::<(u32, T)>()
            + self.ranges.len() * std::mem::size_of::<(u32, u32)>()
    }
}
