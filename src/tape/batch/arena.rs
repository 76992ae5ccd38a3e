//! The batched tape's storage: the node list, the one contiguous value arena reused across
//! resets, the thread's active-tape slot, and the helpers that append nodes to it.

use std::cell::Cell;

use super::var::BVar;
use crate::tape::arena::{fresh_tag, NONE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Op {
    Input,
    Const,
    Add,
    Sub,
    Mul,
    Div,
    Atan2,
    Hypot,
    AddK,
    MulK,
    KSub,
    KDiv,
    Neg,
    Recip,
    Sqrt,
    Exp,
    Ln,
    Ln1p,
    ExpM1,
    Powi,
    Powf,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Abs,
    Select,
    Sum,
    Dot,
    /// Lane-wise `a < b` as 1/0 (a mask: no gradient).
    Lt,
    /// Lane-wise `a <= b` as 1/0 (a mask: no gradient).
    Le,
    /// `signum(a)` (derivative 0).
    Signum,
}

/// `k` of a column input node whose values stay fixed when the tape is replayed on new data
/// (the weights of [`super::BVar::dot`]); data columns have `k` = 0.
pub(super) const KEEP_ON_REPLAY: f64 = 1.0;

#[derive(Clone, Copy, Debug)]
pub(super) struct BNode {
    pub(super) op: Op,
    pub(super) col: bool,
    /// Depends on a differentiable input (activity analysis): inactive nodes get no adjoint.
    pub(super) active: bool,
    pub(super) a: u32,
    pub(super) b: u32,
    /// Mask (for `Select`) or weight column (for `Dot`).
    pub(super) m: u32,
    pub(super) off: u32,
    pub(super) k: f64,
}

impl BNode {
    pub(super) fn new(op: Op, col: bool, a: u32, b: u32, m: u32, k: f64) -> Self {
        BNode {
            op,
            col,
            active: false,
            a,
            b,
            m,
            off: 0,
            k,
        }
    }
}

#[derive(Debug)]
pub(super) struct BatchData {
    pub(super) lanes: usize,
    pub(super) nodes: Vec<BNode>,
    /// Value arena; `used` entries are live, the rest is capacity kept across resets.
    pub(super) vals: Vec<f64>,
    pub(super) used: usize,
    pub(super) tag: u32,
    /// The SIMD path the column loops run on (supported by this CPU).
    pub(super) simd: crate::simd::SimdPath,
    /// What [`super::BatchedActive::replay`] does with the current recording (built on the
    /// first replay of a recording).
    pub(super) plan: ReplayPlan,
}

/// The work of a replay, found once per recording: which nodes take new data and which must be
/// recomputed (those that depend on event data; parameter-only nodes keep their values).
#[derive(Debug, Default)]
pub(super) struct ReplayPlan {
    /// The recording this plan is for: its tag and number of nodes.
    for_recording: Option<(u32, usize)>,
    /// Data columns in recording order.
    pub(super) data: Vec<u32>,
    /// Nodes to recompute in recording order.
    pub(super) recompute: Vec<u32>,
}

impl ReplayPlan {
    /// Make the plan describe `d`'s current recording (a no-op if it already does).
    pub(super) fn update(&mut self, nodes: &[BNode], tag: u32) {
        if self.for_recording == Some((tag, nodes.len())) {
            return;
        }
        self.data.clear();
        self.recompute.clear();
        let mut varies = vec![false; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            let leaf = matches!(n.op, Op::Input | Op::Const);
            if leaf {
                if n.col && n.k != KEEP_ON_REPLAY {
                    self.data.push(i as u32);
                    varies[i] = true;
                }
                continue;
            }
            varies[i] = [n.a, n.b, n.m]
                .iter()
                .any(|&p| p != NONE && varies[p as usize]);
            if varies[i] {
                self.recompute.push(i as u32);
            }
        }
        self.for_recording = Some((tag, nodes.len()));
    }
}

impl BatchData {
    #[inline(always)]
    pub(super) fn width(&self, col: bool) -> usize {
        if col {
            self.lanes
        } else {
            1
        }
    }

    #[inline(always)]
    pub(super) fn slice(&self, idx: u32) -> &[f64] {
        let n = &self.nodes[idx as usize];
        &self.vals[n.off as usize..n.off as usize + self.width(n.col)]
    }

    /// Append a node and room for its values; returns (index, offset).
    pub(super) fn alloc(&mut self, mut node: BNode) -> (u32, usize) {
        node.active = match node.op {
            Op::Input => true,
            // Constants, masks and signum carry no gradient.
            Op::Const | Op::Lt | Op::Le | Op::Signum => false,
            _ => [node.a, node.b]
                .iter()
                .any(|&p| p != NONE && self.nodes[p as usize].active),
        };
        let w = self.width(node.col);
        let off = self.used;
        if self.vals.len() < off + w {
            let new_len = (off + w).max(2 * self.vals.len()).max(1024);
            self.vals.resize(new_len, 0.0);
        }
        self.used += w;
        node.off = off as u32;
        let idx = self.nodes.len();
        assert!(
            idx < NONE as usize - 1,
            "diffhep batched tape: too many nodes"
        );
        self.nodes.push(node);
        (idx as u32, off)
    }

    /// Record `node` and compute its values: `compute(view of earlier values, output slice)`.
    #[inline(always)]
    pub(super) fn record(
        &mut self,
        node: BNode,
        compute: impl FnOnce(&ViewLo, &mut [f64]),
    ) -> BVar {
        let (idx, off) = self.alloc(node);
        let n = self.width(node.col);
        let mut out = std::mem::take(&mut self.vals);
        {
            let (lo, hi) = out.split_at_mut(off);
            // The column loop compiled for the tape's SIMD path (`crate::simd`): the
            // closures that record nodes are `#[inline(always)]`, so they are part of it.
            let view = ViewLo { lo, d: self };
            let dst = &mut hi[..n];
            crate::simd::on_path(
                self.simd,
                #[inline(always)]
                || compute(&view, dst),
            );
        }
        self.vals = out;
        BVar {
            idx,
            tag: self.tag,
            k: 0.0,
        }
    }

    pub(super) fn reset(&mut self) {
        self.nodes.clear();
        self.used = 0;
        self.tag = fresh_tag();
    }
}

thread_local! {
    pub(super) static ACTIVE_BATCH: Cell<*mut BatchData> = const { Cell::new(std::ptr::null_mut()) };
}

#[inline(always)]
pub(super) fn with_active<R>(f: impl FnOnce(&mut BatchData) -> R) -> R {
    let p = ACTIVE_BATCH.with(|c| c.get());
    if p.is_null() {
        panic!(
            "diffhep batched tape: a BVar operation was recorded with no active batched tape on \
             this thread; call `BatchTape::activate()` first"
        );
    }
    // SAFETY: as for the scalar tape: the guard holds the unique borrow of the boxed storage
    // while the slot is set, and every access goes through this pointer, one at a time.
    unsafe { f(&mut *p) }
}

#[cold]
#[inline(never)]
pub(super) fn foreign(var_tag: u32, tape_tag: u32) -> ! {
    panic!(
        "diffhep batched tape: a BVar from another batched tape or from before a reset was used \
         (variable tag {var_tag}, tape tag {tape_tag}); a BVar is valid only on the tape and \
         generation that created it (also check that batches of different lane counts are not mixed)"
    )
}

/// Read access to the part of the arena below the node being written.
pub(super) struct ViewLo<'a> {
    lo: &'a [f64],
    d: &'a BatchData,
}

impl ViewLo<'_> {
    #[inline(always)]
    pub(super) fn slice(&self, idx: u32) -> &[f64] {
        let n = &self.d.nodes[idx as usize];
        &self.lo[n.off as usize..n.off as usize + self.d.width(n.col)]
    }
}

pub(super) fn push_column(d: &mut BatchData, op: Op, values: &[f64], k: f64) -> u32 {
    let (idx, off) = d.alloc(BNode::new(op, true, NONE, NONE, NONE, k));
    d.vals[off..off + values.len()].copy_from_slice(values);
    idx
}

/// Node index of `v`, recording a one-lane constant node if `v` is a constant.
pub(super) fn materialize(v: BVar) -> u32 {
    if v.idx != NONE {
        return v.idx;
    }
    with_active(|d| {
        let (idx, off) = d.alloc(BNode::new(Op::Const, false, NONE, NONE, NONE, v.k));
        d.vals[off] = v.k;
        idx
    })
}
