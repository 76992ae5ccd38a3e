//! Reverse-mode automatic differentiation on a tape (a Wengert list).
//!
//! # How it works
//! Every arithmetic operation on a [`Var`] evaluates its value *and* its local partial derivatives
//! right away, and appends one node — parent indices plus partials — to a flat arena. A gradient is
//! one reverse sweep over that arena: seed the output's adjoint with 1 and, walking the nodes
//! backwards, add `adjoint(node) · partial` to each parent (Griewank & Walther, *Evaluating
//! Derivatives*, 2nd ed., SIAM 2008, ch. 3). A binary node costs 24 bytes for `f64`; nothing is
//! boxed per node and the sweep is one loop.
//!
//! # Tapes, threads and safety
//! Recording goes to the thread's *active* tape, set by [`Tape::activate`] and restored when the
//! returned [`ActiveTape`] guard drops, so tapes nest and every thread (rayon worker) records on
//! its own. A `Var` remembers the tag of the tape *generation* that made it: using it on another
//! tape, or after [`Tape::clear`], panics with a message saying so instead of giving wrong numbers
//! (release builds included — the check is one compare). Reading results
//! ([`Adjoints::wrt`], [`ActiveTape::gradient`]) with a foreign variable returns
//! [`TapeError::ForeignVariable`].
//!
//! # Higher order
//! The tape is generic over its value type: `Tape<Dual64>` records dual numbers, and its reverse
//! sweep (carried out in dual arithmetic) yields the gradient and a Hessian–vector product at once
//! (forward-over-reverse; see [`hvp`] and [`hessian`]). Use num-dual's `Dual2`/`HyperDual` types
//! (via [`crate::forward`]) for exact Hessians of functions with few inputs.
//!
//! # Custom nodes
//! [`ActiveTape::custom`] records a node whose value and partials the caller supplies — how
//! implicit functions (a fitted vertex) and external gradients (a network) enter the tape.
//!
//! # Batches
//! For work over many events use the batched tape ([`BatchTape`], [`BVar`]): one node holds a
//! column of events, so the tape is the size of the program, not of the data set.

mod arena;
mod batch;
mod var;

pub use batch::{BMask, BVar, BatchAdjoints, BatchTape, BatchValue, BatchedActive};
pub use var::{TapeValue, Var};

use thiserror::Error;

use crate::error::DimensionMismatch;
use std::marker::PhantomData;

use nalgebra::DMatrix;
use num_dual::Dual64;

use arena::{TapeData, NONE};

/// Misuse of a tape that is reported as an error rather than a panic.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum TapeError {
    /// A variable from another tape, or from before a `clear`, was passed to a tape query.
    #[error("variable belongs to another tape or to a cleared generation (variable tag {var_tag}, tape tag {tape_tag})")]
    ForeignVariable {
        /// Tag of the variable.
        var_tag: u32,
        /// Tag of the tape it was used with.
        tape_tag: u32,
    },
    /// A column's length differs from the batched tape's number of lanes.
    #[error("column has {got} events but the batched tape has {expected} lanes")]
    BatchLength {
        /// Lanes of the batched tape.
        expected: usize,
        /// Length supplied.
        got: usize,
    },
    /// Numbers of outputs and seeds (or of inputs and directions) differ.
    #[error("{}: expected length {}, got {}", .0.what, .0.expected, .0.got)]
    LengthMismatch(DimensionMismatch),
    /// A batched tape needs at least one lane.
    #[error("a batched tape needs at least one lane")]
    ZeroLanes,
}

impl From<DimensionMismatch> for TapeError {
    fn from(e: DimensionMismatch) -> Self {
        TapeError::LengthMismatch(e)
    }
}

/// A reverse-mode tape. Record on it through [`Tape::activate`], or use the one-call helpers
/// [`gradient`], [`jacobian`], [`vjp`], [`hvp`].
///
/// ```
/// use diffhep::tape::Tape;
/// use diffhep::Scalar;
/// let mut tape = Tape::new();
/// let t = tape.activate();
/// let x = t.var(2.0);
/// let y = t.var(3.0);
/// let f = x * y + x.sin();
/// let adj = t.gradient(f).unwrap();
/// assert_eq!(adj.wrt(y).unwrap(), 2.0);
/// assert!((adj.wrt(x).unwrap() - (3.0 + 2f64.cos())).abs() < 1e-15);
/// ```
#[derive(Debug)]
pub struct Tape<T: TapeValue = f64> {
    data: Box<TapeData<T>>,
}

impl<T: TapeValue> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: TapeValue> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty tape with room for `nodes` recorded operations.
    pub fn with_capacity(nodes: usize) -> Self {
        Tape {
            data: Box::new(TapeData::with_capacity(nodes)),
        }
    }

    /// Forget all nodes (keeping the memory) and start a new generation: variables recorded
    /// before are invalid from now on, and using them is detected.
    pub fn clear(&mut self) {
        self.data.clear();
    }

    /// Number of recorded nodes (inputs included).
    pub fn len(&self) -> usize {
        self.data.nodes.len()
    }

    /// True if nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.data.nodes.is_empty()
    }

    /// Bytes of node storage currently recorded.
    pub fn recorded_bytes(&self) -> usize {
        self.data.bytes()
    }

    /// Make this tape the thread's active tape until the guard drops (then the previously active
    /// tape, if any, is active again).
    pub fn activate(&mut self) -> ActiveTape<'_, T> {
        let ptr: *mut TapeData<T> = &mut *self.data;
        let prev = T::active_slot().with(|c| c.replace(ptr));
        ActiveTape {
            ptr,
            prev,
            _borrow: PhantomData,
        }
    }

    /// Clear, record `f` on fresh inputs `x`, and return the value and gradient.
    pub fn gradient<F>(&mut self, x: &[T], f: F) -> (T, Vec<T>)
    where
        F: FnOnce(&[Var<T>]) -> Var<T>,
    {
        self.clear();
        let t = self.activate();
        let xs = t.vars(x);
        let y = f(&xs);
        let adj = t.gradient(y).expect("output recorded on this tape");
        let g = xs.iter().map(|&v| adj.get(v)).collect();
        (y.value, g)
    }
}

/// Guard returned by [`Tape::activate`]; while it lives, `Var` arithmetic on this thread records
/// on its tape. Not `Send`: a tape records on the thread that activated it.
pub struct ActiveTape<'a, T: TapeValue = f64> {
    ptr: *mut TapeData<T>,
    prev: *mut TapeData<T>,
    _borrow: PhantomData<&'a mut Tape<T>>,
}

impl<T: TapeValue> Drop for ActiveTape<'_, T> {
    fn drop(&mut self) {
        T::active_slot().with(|c| c.set(self.prev));
    }
}

impl<T: TapeValue> ActiveTape<'_, T> {
    fn data(&self) -> &TapeData<T> {
        // SAFETY: see `var::with_active`; the guard owns the unique borrow of the storage and
        // no recording is in progress while a method of the guard runs.
        unsafe { &*self.ptr }
    }

    // The storage is reached through the guard's raw pointer, not through `&self`; recording (which
    // also goes through that pointer) never overlaps a call to this method.
    #[allow(clippy::mut_from_ref)]
    fn data_mut(&self) -> &mut TapeData<T> {
        // SAFETY: as in `data`; the returned reference never outlives the calling method.
        unsafe { &mut *self.ptr }
    }

    /// A new input variable.
    pub fn var(&self, value: T) -> Var<T> {
        let d = self.data_mut();
        let idx = d.push([NONE, NONE], [T::zero_value(), T::zero_value()]);
        Var {
            value,
            idx,
            tag: d.tag,
        }
    }

    /// New input variables, one per value.
    pub fn vars(&self, values: &[T]) -> Vec<Var<T>> {
        values.iter().map(|&v| self.var(v)).collect()
    }

    /// Record a custom node: an output of value `value` whose partial derivative with respect to
    /// each input is supplied by the caller (`inputs` = `(input, ∂value/∂input)`). Constants among
    /// the inputs are skipped.
    pub fn custom(&self, value: T, inputs: &[(Var<T>, T)]) -> Var<T> {
        let d = self.data_mut();
        let mut edges = Vec::with_capacity(inputs.len());
        for (v, p) in inputs {
            if v.idx == NONE {
                continue;
            }
            if v.tag != d.tag {
                var::foreign_var(v.tag, d.tag);
            }
            edges.push((v.idx, *p));
        }
        let idx = d.push_multi(&edges);
        Var {
            value,
            idx,
            tag: d.tag,
        }
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.data().nodes.len()
    }

    /// True if nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self, v: Var<T>) -> Result<(), TapeError> {
        let tag = self.data().tag;
        if v.idx != NONE && v.tag != tag {
            return Err(TapeError::ForeignVariable {
                var_tag: v.tag,
                tape_tag: tag,
            });
        }
        Ok(())
    }

    /// Adjoints of every node for the scalar output `y` (seed 1).
    pub fn gradient(&self, y: Var<T>) -> Result<Adjoints<T>, TapeError> {
        self.vjp(&[y], &[T::one()])
    }

    /// Vector–Jacobian product: adjoints for outputs `ys` seeded with `seeds`.
    pub fn vjp(&self, ys: &[Var<T>], seeds: &[T]) -> Result<Adjoints<T>, TapeError> {
        if ys.len() != seeds.len() {
            return Err(TapeError::LengthMismatch(DimensionMismatch {
                what: "vjp seeds per output",
                expected: ys.len(),
                got: seeds.len(),
            }));
        }
        let data = self.data();
        let mut adj = vec![T::zero_value(); data.nodes.len()];
        for (y, s) in ys.iter().zip(seeds) {
            self.check(*y)?;
            if y.idx != NONE {
                adj[y.idx as usize] += *s;
            }
        }
        data.reverse(&mut adj);
        Ok(Adjoints { adj, tag: data.tag })
    }
}

/// Result of a reverse sweep: the adjoint of every node.
#[derive(Clone, Debug)]
pub struct Adjoints<T: TapeValue = f64> {
    adj: Vec<T>,
    tag: u32,
}

impl<T: TapeValue> Adjoints<T> {
    /// The derivative of the seeded output(s) with respect to `v` (0 for constants).
    pub fn wrt(&self, v: Var<T>) -> Result<T, TapeError> {
        if v.idx == NONE {
            return Ok(T::zero_value());
        }
        if v.tag != self.tag {
            return Err(TapeError::ForeignVariable {
                var_tag: v.tag,
                tape_tag: self.tag,
            });
        }
        Ok(self.adj[v.idx as usize])
    }

    /// As [`Adjoints::wrt`], panicking with the error message on a foreign variable.
    pub fn get(&self, v: Var<T>) -> T {
        self.wrt(v).unwrap_or_else(|e| panic!("diffhep tape: {e}"))
    }

    /// Derivatives with respect to several variables.
    pub fn wrt_all(&self, vs: &[Var<T>]) -> Result<Vec<T>, TapeError> {
        vs.iter().map(|&v| self.wrt(v)).collect()
    }
}

/// Value and gradient of `f` at `x` by one reverse sweep.
///
/// ```
/// use diffhep::Scalar;
/// let (v, g) = diffhep::tape::gradient(|x| x[0] * x[1].exp(), &[2.0, 0.0]);
/// assert_eq!((v, g[0], g[1]), (2.0, 1.0, 2.0));
/// ```
pub fn gradient<F>(f: F, x: &[f64]) -> (f64, Vec<f64>)
where
    F: FnOnce(&[Var]) -> Var,
{
    Tape::with_capacity(64).gradient(x, f)
}

/// Values and Jacobian (rows = outputs) of a vector function, one reverse sweep per output on a
/// single recording.
pub fn jacobian<F>(f: F, x: &[f64]) -> (Vec<f64>, DMatrix<f64>)
where
    F: FnOnce(&[Var]) -> Vec<Var>,
{
    let mut tape = Tape::<f64>::with_capacity(64);
    let t = tape.activate();
    let xs = t.vars(x);
    let ys = f(&xs);
    let mut jac = DMatrix::zeros(ys.len(), x.len());
    for (i, y) in ys.iter().enumerate() {
        let adj = t.gradient(*y).expect("output recorded on this tape");
        for (j, xv) in xs.iter().enumerate() {
            jac[(i, j)] = adj.get(*xv);
        }
    }
    (ys.iter().map(|y| y.value).collect(), jac)
}

/// Values of a vector function and the vector–Jacobian product `seedᵀ J`.
pub fn vjp<F>(f: F, x: &[f64], seed: &[f64]) -> Result<(Vec<f64>, Vec<f64>), TapeError>
where
    F: FnOnce(&[Var]) -> Vec<Var>,
{
    let mut tape = Tape::<f64>::with_capacity(64);
    let t = tape.activate();
    let xs = t.vars(x);
    let ys = f(&xs);
    let adj = t.vjp(&ys, seed)?;
    Ok((ys.iter().map(|y| y.value).collect(), adj.wrt_all(&xs)?))
}

/// Hessian–vector product by forward-over-reverse: record `f` on a `Tape<Dual64>` whose inputs
/// carry the direction `v` as tangent; the reverse sweep in dual arithmetic returns the gradient
/// (real parts) and `H·v` (tangent parts). Returns `(value, gradient, H·v)`.
pub fn hvp<F>(f: F, x: &[f64], v: &[f64]) -> Result<(f64, Vec<f64>, Vec<f64>), TapeError>
where
    F: FnOnce(&[Var<Dual64>]) -> Var<Dual64>,
{
    if x.len() != v.len() {
        return Err(TapeError::LengthMismatch(DimensionMismatch {
            what: "hvp direction",
            expected: x.len(),
            got: v.len(),
        }));
    }
    let mut tape = Tape::<Dual64>::with_capacity(64);
    let t = tape.activate();
    let xs: Vec<Var<Dual64>> = x
        .iter()
        .zip(v)
        .map(|(&xi, &vi)| t.var(Dual64::new(xi, vi)))
        .collect();
    let y = f(&xs);
    let adj = t.gradient(y)?;
    let d = adj.wrt_all(&xs)?;
    Ok((
        y.value.re,
        d.iter().map(|g| g.re).collect(),
        d.iter().map(|g| g.eps).collect(),
    ))
}

/// Full Hessian by `n` Hessian–vector products (one per unit direction).
pub fn hessian<F>(f: F, x: &[f64]) -> DMatrix<f64>
where
    F: Fn(&[Var<Dual64>]) -> Var<Dual64>,
{
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    let mut e = vec![0.0; n];
    for j in 0..n {
        e[j] = 1.0;
        let (_, _, col) = hvp(&f, x, &e).expect("direction has the length of x");
        for i in 0..n {
            h[(i, j)] = col[i];
        }
        e[j] = 0.0;
    }
    h
}

#[cfg(test)]
mod tests;
