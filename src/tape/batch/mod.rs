//! The batched tape: reverse mode where one recorded node holds a whole column of events.
//!
//! Parameters shared by all events are one-lane *scalar* nodes; event data are *column* nodes of
//! `lanes` values. An operation whose inputs are all scalar stays scalar (parameter-only
//! subexpressions are computed once per batch); one with a column input gives a column, the scalar
//! operands being broadcast. In the reverse sweep a scalar parent of a column node receives the
//! sum over lanes of the contributions, so parameter gradients accumulate over the batch.
//!
//! Layout and speed (see `DESIGN.md`, "Performance notes for the tape"): all values of a batch live
//! in one contiguous arena that is reused across [`BatchedActive::reset`] (no allocation per node,
//! no re-zeroing), each operation's forward and reverse work is a tight loop over lanes that the
//! compiler vectorises, partials are recomputed from stored values rather than stored, and an
//! adjoint is *written* by the first node that reaches it in the reverse sweep (its last consumer)
//! instead of zero-filled and added to. Process large data sets in blocks of 128–1024 events so a
//! block's columns stay in L1/L2 cache.
//!
//! ```
//! use diffhep::tape::BatchTape;
//! use diffhep::Scalar;
//! let x = [1.0, 2.0, 3.0];
//! let mut tape = BatchTape::new(3).unwrap();
//! let mut t = tape.activate();
//! let a = t.param(2.0);
//! let xs = t.constant_column(&x).unwrap();
//! let loss = (xs * a).powi(2).sum(); // Σ (a xᵢ)², d/da = 2a Σ xᵢ² = 56
//! let adj = t.backward(loss).unwrap();
//! assert_eq!(adj.scalar(a).unwrap(), 56.0);
//! ```

mod arena;
mod backward;
mod forward;
mod kernel;
mod var;

pub use var::{BMask, BVar};

use crate::error::DimensionMismatch;
use std::marker::PhantomData;

use super::arena::{fresh_tag, NONE};
use super::TapeError;
use arena::{push_column, BNode, BatchData, Op, ReplayPlan, ACTIVE_BATCH};
use backward::reverse;

/// A value read back from the batched tape.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchValue {
    /// A one-lane value shared by all events (parameters, reductions).
    Scalar(f64),
    /// One value per event.
    Column(Vec<f64>),
}

impl BatchValue {
    /// The value for lane `i` (a scalar is broadcast).
    pub fn lane(&self, i: usize) -> f64 {
        match self {
            BatchValue::Scalar(s) => *s,
            BatchValue::Column(c) => c[i],
        }
    }
}

/// A batched tape of a fixed number of lanes (events per batch).
#[derive(Debug)]
pub struct BatchTape {
    data: Box<BatchData>,
}

impl BatchTape {
    /// A tape whose column nodes hold `lanes` events each.
    pub fn new(lanes: usize) -> Result<Self, TapeError> {
        if lanes == 0 {
            return Err(TapeError::ZeroLanes);
        }
        Ok(BatchTape {
            data: Box::new(BatchData {
                lanes,
                nodes: Vec::new(),
                vals: Vec::new(),
                used: 0,
                tag: fresh_tag(),
                simd: crate::simd::active(),
                plan: ReplayPlan::default(),
            }),
        })
    }

    /// Run the column loops (recording, replay, reverse sweep) on `path` instead of the
    /// active one ([`crate::simd::active`]); an error if this CPU lacks it. Every path
    /// computes the same bits.
    pub fn set_simd(&mut self, path: crate::simd::SimdPath) -> Result<(), crate::simd::SimdError> {
        self.data.simd = crate::simd::resolve(Some(path))?;
        Ok(())
    }

    /// Events per column.
    pub fn lanes(&self) -> usize {
        self.data.lanes
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.data.nodes.len()
    }

    /// True if nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.data.nodes.is_empty()
    }

    /// Make this the thread's active batched tape until the guard drops.
    pub fn activate(&mut self) -> BatchedActive<'_> {
        let ptr: *mut BatchData = &mut *self.data;
        let prev = ACTIVE_BATCH.with(|c| c.replace(ptr));
        BatchedActive {
            ptr,
            prev,
            adj: Vec::new(),
            init: Vec::new(),
            _borrow: PhantomData,
        }
    }
}

/// Guard returned by [`BatchTape::activate`]: inputs, reverse sweeps and resets.
pub struct BatchedActive<'a> {
    ptr: *mut BatchData,
    prev: *mut BatchData,
    adj: Vec<f64>,
    init: Vec<bool>,
    _borrow: PhantomData<&'a mut BatchTape>,
}

impl Drop for BatchedActive<'_> {
    fn drop(&mut self) {
        ACTIVE_BATCH.with(|c| c.set(self.prev));
    }
}

impl BatchedActive<'_> {
    fn data(&self) -> &BatchData {
        // SAFETY: see `with_active`; no recording runs while a guard method runs.
        unsafe { &*self.ptr }
    }
    fn data_mut(&mut self) -> &mut BatchData {
        // SAFETY: as above.
        unsafe { &mut *self.ptr }
    }

    /// Events per column.
    pub fn lanes(&self) -> usize {
        self.data().lanes
    }

    /// Forget the recorded nodes (keeping all memory) and start a new generation; earlier
    /// `BVar`s become invalid. Use it between blocks of events.
    pub fn reset(&mut self) {
        self.data_mut().reset();
    }

    /// Change the number of lanes (resets the tape) — e.g. for the last, shorter block.
    pub fn set_lanes(&mut self, lanes: usize) -> Result<(), TapeError> {
        if lanes == 0 {
            return Err(TapeError::ZeroLanes);
        }
        let d = self.data_mut();
        d.reset();
        d.lanes = lanes;
        Ok(())
    }

    /// Run the recorded program again on new event data: `columns` replace the values of the
    /// data columns ([`Self::column`], [`Self::constant_column`]) in the order they were
    /// recorded, each of [`Self::lanes`] events; parameters keep their values. Every node that
    /// depends on event data is then recomputed in recording order, as one tight loop per node
    /// without the bookkeeping of recording (parameter-only nodes keep their values; which
    /// nodes to recompute is found on the first replay of a recording), and
    /// [`Self::backward`] works as after a recording. The `BVar`s of the recording stay valid
    /// and now refer to the new values, which are bit for bit those a fresh recording on
    /// `columns` would give (same formulas, `forward.rs`).
    ///
    /// Valid because a batched-tape program has no data-dependent control flow (lane-wise
    /// choices are recorded `select` nodes). For a block with a different number of events,
    /// record again ([`Self::set_lanes`]).
    pub fn replay(&mut self, columns: &[&[f64]]) -> Result<(), TapeError> {
        let d = self.data_mut();
        d.plan.update(&d.nodes, d.tag);
        let data = &d.plan.data;
        if data.len() != columns.len() {
            return Err(TapeError::LengthMismatch(DimensionMismatch {
                what: "data columns given to replay (columns recorded on the batched tape)",
                expected: data.len(),
                got: columns.len(),
            }));
        }
        if let Some(c) = columns.iter().find(|c| c.len() != d.lanes) {
            return Err(TapeError::BatchLength {
                expected: d.lanes,
                got: c.len(),
            });
        }
        for (&i, c) in d.plan.data.iter().zip(columns) {
            let off = d.nodes[i as usize].off as usize;
            d.vals[off..off + c.len()].copy_from_slice(c);
        }
        let path = d.simd;
        crate::simd::on_path(
            path,
            #[inline(always)]
            || forward::replay_nodes(d),
        );
        Ok(())
    }

    /// A shared parameter: one value broadcast to every event; its gradient sums over events.
    pub fn param(&mut self, value: f64) -> BVar {
        let d = self.data_mut();
        let (idx, off) = d.alloc(BNode::new(Op::Input, false, NONE, NONE, NONE, 0.0));
        d.vals[off] = value;
        BVar {
            idx,
            tag: d.tag,
            k: 0.0,
        }
    }

    /// A differentiable per-event input column (its adjoint is a column).
    pub fn column(&mut self, values: &[f64]) -> Result<BVar, TapeError> {
        self.push_col(Op::Input, values)
    }

    /// Per-event data without gradient (event kinematics, weights).
    pub fn constant_column(&mut self, values: &[f64]) -> Result<BVar, TapeError> {
        self.push_col(Op::Const, values)
    }

    fn push_col(&mut self, op: Op, values: &[f64]) -> Result<BVar, TapeError> {
        let d = self.data_mut();
        if values.len() != d.lanes {
            return Err(TapeError::BatchLength {
                expected: d.lanes,
                got: values.len(),
            });
        }
        let idx = push_column(d, op, values, 0.0);
        Ok(BVar {
            idx,
            tag: d.tag,
            k: 0.0,
        })
    }

    /// Read a value back.
    pub fn value(&self, v: BVar) -> Result<BatchValue, TapeError> {
        if v.idx == NONE {
            return Ok(BatchValue::Scalar(v.k));
        }
        let d = self.data();
        if v.tag != d.tag {
            return Err(TapeError::ForeignVariable {
                var_tag: v.tag,
                tape_tag: d.tag,
            });
        }
        let s = d.slice(v.idx);
        Ok(if d.nodes[v.idx as usize].col {
            BatchValue::Column(s.to_vec())
        } else {
            BatchValue::Scalar(s[0])
        })
    }

    /// Reverse sweep from `y`, seeded with 1 (in every lane for a column output, so a column
    /// gives the gradient of the sum over events; a scalar output its plain gradient).
    pub fn backward(&mut self, y: BVar) -> Result<BatchAdjoints<'_>, TapeError> {
        match self.width_of(y) {
            1 => self.vjp(y, &[1.0]),
            w => self.vjp(y, &vec![1.0; w]),
        }
    }

    fn width_of(&self, y: BVar) -> usize {
        let d = self.data();
        if y.idx == NONE || y.tag != d.tag || !d.nodes[y.idx as usize].col {
            1
        } else {
            d.lanes
        }
    }

    /// Reverse sweep from `y` seeded with `seed`: one value per lane for a column output, a single
    /// value for a scalar output.
    pub fn vjp(&mut self, y: BVar, seed: &[f64]) -> Result<BatchAdjoints<'_>, TapeError> {
        let ptr = self.ptr;
        // SAFETY: see `data`.
        let d: &BatchData = unsafe { &*ptr };
        if y.idx != NONE && y.tag != d.tag {
            return Err(TapeError::ForeignVariable {
                var_tag: y.tag,
                tape_tag: d.tag,
            });
        }
        let width = self.width_of(y);
        if seed.len() != width {
            return Err(TapeError::LengthMismatch(DimensionMismatch {
                what: "seed of the batched vjp (lanes of the output)",
                expected: width,
                got: seed.len(),
            }));
        }
        self.init.clear();
        self.init.resize(d.nodes.len(), false);
        if self.adj.len() < d.used {
            self.adj.resize(d.vals.len().max(d.used), 0.0);
        }
        if y.idx != NONE && d.nodes[y.idx as usize].active {
            let node = d.nodes[y.idx as usize];
            let off = node.off as usize;
            self.adj[off..off + seed.len()].copy_from_slice(seed);
            self.init[y.idx as usize] = true;
            reverse(d, &mut self.adj, &mut self.init, y.idx);
        }
        Ok(BatchAdjoints {
            ptr,
            adj: &self.adj,
            init: &self.init,
        })
    }
}

/// Adjoints from one reverse sweep of the batched tape.
pub struct BatchAdjoints<'a> {
    ptr: *const BatchData,
    adj: &'a [f64],
    init: &'a [bool],
}

impl BatchAdjoints<'_> {
    /// The adjoint of `v`: a scalar for parameters and reductions, a column for columns.
    pub fn wrt(&self, v: BVar) -> Result<BatchValue, TapeError> {
        if v.idx == NONE {
            return Ok(BatchValue::Scalar(0.0));
        }
        // SAFETY: see `BatchedActive::data`.
        let d: &BatchData = unsafe { &*self.ptr };
        if v.tag != d.tag {
            return Err(TapeError::ForeignVariable {
                var_tag: v.tag,
                tape_tag: d.tag,
            });
        }
        let node = &d.nodes[v.idx as usize];
        let w = d.width(node.col);
        let off = node.off as usize;
        // Constant columns (data) carry no gradient by definition.
        let reached = self.init[v.idx as usize] && node.op != Op::Const;
        let get = |i: usize| if reached { self.adj[off + i] } else { 0.0 };
        Ok(if node.col {
            BatchValue::Column((0..w).map(get).collect())
        } else {
            BatchValue::Scalar(get(0))
        })
    }

    /// The adjoint of a scalar node (parameter or reduction).
    pub fn scalar(&self, v: BVar) -> Result<f64, TapeError> {
        Ok(self.wrt(v)?.lane(0))
    }
}
