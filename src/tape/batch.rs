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

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::arena::{fresh_tag, NONE};
use super::TapeError;
use crate::scalar::{signum_f64, Scalar};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Op {
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
}

#[derive(Clone, Copy, Debug)]
struct BNode {
    op: Op,
    col: bool,
    /// Depends on a differentiable input (activity analysis): inactive nodes get no adjoint.
    active: bool,
    a: u32,
    b: u32,
    /// Mask (for `Select`) or weight column (for `Dot`).
    m: u32,
    off: u32,
    k: f64,
}

impl BNode {
    fn new(op: Op, col: bool, a: u32, b: u32, m: u32, k: f64) -> Self {
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
struct BatchData {
    lanes: usize,
    nodes: Vec<BNode>,
    /// Value arena; `used` entries are live, the rest is capacity kept across resets.
    vals: Vec<f64>,
    used: usize,
    tag: u32,
}

impl BatchData {
    fn width(&self, col: bool) -> usize {
        if col {
            self.lanes
        } else {
            1
        }
    }

    fn slice(&self, idx: u32) -> &[f64] {
        let n = &self.nodes[idx as usize];
        &self.vals[n.off as usize..n.off as usize + self.width(n.col)]
    }

    /// Append a node and room for its values; returns (index, offset).
    fn alloc(&mut self, mut node: BNode) -> (u32, usize) {
        node.active = match node.op {
            Op::Input => true,
            Op::Const => false,
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
    fn record(&mut self, node: BNode, compute: impl FnOnce(&ViewLo, &mut [f64])) -> BVar {
        let (idx, off) = self.alloc(node);
        let n = self.width(node.col);
        let mut out = std::mem::take(&mut self.vals);
        {
            let (lo, hi) = out.split_at_mut(off);
            compute(&ViewLo { lo, d: self }, &mut hi[..n]);
        }
        self.vals = out;
        BVar {
            idx,
            tag: self.tag,
            k: 0.0,
        }
    }

    fn reset(&mut self) {
        self.nodes.clear();
        self.used = 0;
        self.tag = fresh_tag();
    }
}

thread_local! {
    static ACTIVE_BATCH: Cell<*mut BatchData> = const { Cell::new(std::ptr::null_mut()) };
}

#[inline(always)]
fn with_active<R>(f: impl FnOnce(&mut BatchData) -> R) -> R {
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
fn foreign(var_tag: u32, tape_tag: u32) -> ! {
    panic!(
        "diffhep batched tape: a BVar from another batched tape or from before a reset was used \
         (variable tag {var_tag}, tape tag {tape_tag}); a BVar is valid only on the tape and \
         generation that created it (also check that batches of different lane counts are not mixed)"
    )
}

/// Values of one lane, either a column or a scalar broadcast to all lanes.
trait Lane: Copy {
    fn at(self, i: usize) -> f64;
}

#[derive(Clone, Copy)]
struct Col<'a>(&'a [f64]);
#[derive(Clone, Copy)]
struct Bc(f64);

impl Lane for Col<'_> {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        at(self.0, i)
    }
}

/// Unchecked lane read for the kernels' inner loops (bounds checks there block vectorisation).
/// Every slice read this way is cut to exactly the loop length `n` where it is made
/// (`&s[..n]`, which panics if too short) and every loop runs over `0..n`.
#[inline(always)]
fn at(s: &[f64], i: usize) -> f64 {
    debug_assert!(i < s.len());
    // SAFETY: see the function documentation: callers index with i < n = s.len().
    unsafe { *s.get_unchecked(i) }
}
impl Lane for Bc {
    #[inline(always)]
    fn at(self, _: usize) -> f64 {
        self.0
    }
}

/// Call `$body` with `$a`/`$b` bound to `Col` or `Bc` views of nodes `$ia`/`$ib` (operands of an
/// output of width `$n`), so each combination is compiled to its own tight loop.
macro_rules! with_lanes2 {
    ($d:expr, $n:expr, $ia:expr, $ib:expr, |$a:ident, $b:ident| $body:expr) => {{
        let sa = $d.slice($ia);
        let sb = $d.slice($ib);
        assert!(sa.len() == 1 || sa.len() >= $n);
        assert!(sb.len() == 1 || sb.len() >= $n);
        match (sa.len() == $n, sb.len() == $n) {
            (true, true) => {
                let ($a, $b) = (Col(&sa[..$n]), Col(&sb[..$n]));
                $body
            }
            (true, false) => {
                let ($a, $b) = (Col(&sa[..$n]), Bc(sb[0]));
                $body
            }
            (false, true) => {
                let ($a, $b) = (Bc(sa[0]), Col(&sb[..$n]));
                $body
            }
            (false, false) => {
                let ($a, $b) = (Bc(sa[0]), Bc(sb[0]));
                $body
            }
        }
    }};
}

macro_rules! with_lanes1 {
    ($d:expr, $n:expr, $ia:expr, |$a:ident| $body:expr) => {{
        let sa = $d.slice($ia);
        if sa.len() == $n {
            let $a = Col(&sa[..$n]);
            $body
        } else {
            let $a = Bc(sa[0]);
            $body
        }
    }};
}

#[inline(always)]
fn fill(out: &mut [f64], f: impl Fn(usize) -> f64) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
}

/// Write (`init`) or add the contributions `v(i)` into a parent adjoint: lane-wise for a column
/// parent, summed over lanes (8 fixed partial sums, fixed order) for a scalar parent.
#[inline(always)]
fn deposit(dst: &mut [f64], parent_col: bool, init: bool, n: usize, v: impl Fn(usize) -> f64) {
    if parent_col {
        let dst = &mut dst[..n];
        if init {
            for (i, d) in dst.iter_mut().enumerate() {
                *d = v(i);
            }
        } else {
            for (i, d) in dst.iter_mut().enumerate() {
                *d += v(i);
            }
        }
    } else {
        let mut acc = [0.0f64; 8];
        let full = n / 8 * 8;
        let mut i = 0;
        while i < full {
            for (j, a) in acc.iter_mut().enumerate() {
                *a += v(i + j);
            }
            i += 8;
        }
        let mut s =
            ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        for k in full..n {
            s += v(k);
        }
        if init {
            dst[0] = s;
        } else {
            dst[0] += s;
        }
    }
}

/// A variable on the batched tape: a column of events or a broadcast scalar (a parameter), or a
/// constant that is on no tape. `Copy`, 16 bytes.
///
/// It implements [`Scalar`] (not `RealScalar`: a batch has no single value and cannot answer
/// `a < b` with one `bool`; use the lane-wise `lt`/`select`).
#[derive(Clone, Copy)]
pub struct BVar {
    idx: u32,
    tag: u32,
    k: f64,
}

/// Lane-wise comparison result on the batched tape (a column of 0/1, or a constant).
#[derive(Clone, Copy, Debug)]
pub struct BMask(BVar);

impl fmt::Debug for BVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.idx == NONE {
            write!(f, "BVar(const {})", self.k)
        } else {
            write!(f, "BVar(#{})", self.idx)
        }
    }
}

impl BVar {
    fn constant(k: f64) -> Self {
        BVar {
            idx: NONE,
            tag: 0,
            k,
        }
    }

    /// True if this is a constant (on no tape).
    pub fn is_constant(&self) -> bool {
        self.idx == NONE
    }

    fn check(self, d: &BatchData) {
        if self.idx != NONE && self.tag != d.tag {
            foreign(self.tag, d.tag);
        }
    }

    fn record_unary(self, op: Op, k: f64, f: impl Fn(f64) -> f64) -> BVar {
        if self.idx == NONE {
            return BVar::constant(f(self.k));
        }
        with_active(|d| {
            self.check(d);
            let col = d.nodes[self.idx as usize].col;
            let ia = self.idx;
            d.record(BNode::new(op, col, ia, NONE, NONE, k), |view, out| {
                let a = &view.slice(ia)[..out.len()];
                fill(out, |i| f(at(a, i)));
            })
        })
    }

    fn record_binary(self, other: BVar, op: Op, f: impl Fn(f64, f64) -> f64) -> BVar {
        with_active(|d| {
            self.check(d);
            other.check(d);
            let col = d.nodes[self.idx as usize].col || d.nodes[other.idx as usize].col;
            let (ia, ib) = (self.idx, other.idx);
            d.record(BNode::new(op, col, ia, ib, NONE, 0.0), |view, out| {
                let n = out.len();
                with_lanes2!(view, n, ia, ib, |a, b| fill(out, |i| f(a.at(i), b.at(i))));
            })
        })
    }

    /// Sum over lanes: a scalar whose gradient flows back to every event (a scalar stays itself).
    pub fn sum(self) -> BVar {
        if self.idx == NONE {
            return self;
        }
        with_active(|d| {
            self.check(d);
            if !d.nodes[self.idx as usize].col {
                return self;
            }
            let s = reduce_sum(d.slice(self.idx));
            let (idx, off) = d.alloc(BNode::new(Op::Sum, false, self.idx, NONE, NONE, 0.0));
            d.vals[off] = s;
            BVar {
                idx,
                tag: d.tag,
                k: 0.0,
            }
        })
    }

    /// Mean over lanes.
    pub fn mean(self) -> BVar {
        let lanes = with_active(|d| d.lanes);
        self.sum() * (1.0 / lanes as f64)
    }

    /// `Σᵢ wᵢ · selfᵢ` with constant weights (one per lane).
    pub fn dot(self, weights: &[f64]) -> Result<BVar, TapeError> {
        let w = with_active(|d| -> Result<u32, TapeError> {
            if weights.len() != d.lanes {
                return Err(TapeError::BatchLength {
                    expected: d.lanes,
                    got: weights.len(),
                });
            }
            Ok(push_column(d, Op::Const, weights))
        })?;
        let a = materialize(self);
        Ok(with_active(|d| {
            self.check(d);
            let a_col = d.nodes[a as usize].col;
            let wv = d.slice(w);
            let av = d.slice(a);
            let s = if a_col {
                reduce_sum_by(d.lanes, |i| av[i] * wv[i])
            } else {
                av[0] * reduce_sum(wv)
            };
            let (idx, off) = d.alloc(BNode::new(Op::Dot, false, a, NONE, w, 0.0));
            d.vals[off] = s;
            BVar {
                idx,
                tag: d.tag,
                k: 0.0,
            }
        }))
    }
}

/// Read access to the part of the arena below the node being written.
struct ViewLo<'a> {
    lo: &'a [f64],
    d: &'a BatchData,
}

impl ViewLo<'_> {
    fn slice(&self, idx: u32) -> &[f64] {
        let n = &self.d.nodes[idx as usize];
        &self.lo[n.off as usize..n.off as usize + self.d.width(n.col)]
    }
}

fn reduce_sum(v: &[f64]) -> f64 {
    reduce_sum_by(v.len(), |i| v[i])
}

fn reduce_sum_by(n: usize, f: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0f64];
    deposit(&mut acc, false, true, n, f);
    acc[0]
}

fn push_column(d: &mut BatchData, op: Op, values: &[f64]) -> u32 {
    let (idx, off) = d.alloc(BNode::new(op, true, NONE, NONE, NONE, 0.0));
    d.vals[off..off + values.len()].copy_from_slice(values);
    idx
}

/// Node index of `v`, recording a one-lane constant node if `v` is a constant.
fn materialize(v: BVar) -> u32 {
    if v.idx != NONE {
        return v.idx;
    }
    with_active(|d| {
        let (idx, off) = d.alloc(BNode::new(Op::Const, false, NONE, NONE, NONE, v.k));
        d.vals[off] = v.k;
        idx
    })
}

macro_rules! bin_op {
    ($tr:ident $m:ident, $op:ident, $cc:expr, |$x:ident, $k:ident| $with_k:expr, |$k2:ident, $y:ident| $k_with:expr) => {
        impl $tr for BVar {
            type Output = BVar;
            #[inline]
            fn $m(self, rhs: BVar) -> BVar {
                match (self.idx == NONE, rhs.idx == NONE) {
                    (true, true) => BVar::constant($cc(self.k, rhs.k)),
                    (false, true) => {
                        let ($x, $k) = (self, rhs.k);
                        $with_k
                    }
                    (true, false) => {
                        let ($k2, $y) = (self.k, rhs);
                        $k_with
                    }
                    (false, false) => self.record_binary(rhs, Op::$op, $cc),
                }
            }
        }
        impl $tr<f64> for BVar {
            type Output = BVar;
            #[inline]
            fn $m(self, rhs: f64) -> BVar {
                self.$m(BVar::constant(rhs))
            }
        }
    };
}

bin_op!(Add add, Add, |a: f64, b: f64| a + b,
    |x, k| x.record_unary(Op::AddK, k, move |a| a + k),
    |k, y| y.record_unary(Op::AddK, k, move |a| a + k));
bin_op!(Sub sub, Sub, |a: f64, b: f64| a - b,
    |x, k| x.record_unary(Op::AddK, -k, move |a| a - k),
    |k, y| y.record_unary(Op::KSub, k, move |a| k - a));
bin_op!(Mul mul, Mul, |a: f64, b: f64| a * b,
    |x, k| x.record_unary(Op::MulK, k, move |a| a * k),
    |k, y| y.record_unary(Op::MulK, k, move |a| a * k));
bin_op!(Div div, Div, |a: f64, b: f64| a / b,
    |x, k| { let r = 1.0 / k; x.record_unary(Op::MulK, r, move |a| a * r) },
    |k, y| y.record_unary(Op::KDiv, k, move |a| k / a));

impl Neg for BVar {
    type Output = BVar;
    fn neg(self) -> BVar {
        self.record_unary(Op::Neg, 0.0, |a| -a)
    }
}

macro_rules! assign_ops {
    ($($tr:ident $m:ident $op:tt),*) => {$(
        impl $tr for BVar {
            fn $m(&mut self, rhs: BVar) { *self = *self $op rhs; }
        }
        impl $tr<f64> for BVar {
            fn $m(&mut self, rhs: f64) { *self = *self $op rhs; }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl Add<BVar> for f64 {
    type Output = BVar;
    fn add(self, rhs: BVar) -> BVar {
        rhs + self
    }
}
impl Sub<BVar> for f64 {
    type Output = BVar;
    fn sub(self, rhs: BVar) -> BVar {
        BVar::constant(self) - rhs
    }
}
impl Mul<BVar> for f64 {
    type Output = BVar;
    fn mul(self, rhs: BVar) -> BVar {
        rhs * self
    }
}
impl Div<BVar> for f64 {
    type Output = BVar;
    fn div(self, rhs: BVar) -> BVar {
        BVar::constant(self) / rhs
    }
}

fn compare(a: BVar, b: BVar, f: fn(f64, f64) -> bool) -> BMask {
    if a.idx == NONE && b.idx == NONE {
        return BMask(BVar::constant(if f(a.k, b.k) { 1.0 } else { 0.0 }));
    }
    let (ia, ib) = (materialize(a), materialize(b));
    let m = BVar {
        idx: ia,
        tag: with_active(|d| d.tag),
        k: 0.0,
    };
    let other = BVar { idx: ib, ..m };
    let r = m.record_binary(
        other,
        Op::Const,
        move |x, y| if f(x, y) { 1.0 } else { 0.0 },
    );
    // A mask carries no gradient: detach it from its operands.
    with_active(|d| {
        let n = &mut d.nodes[r.idx as usize];
        n.a = NONE;
        n.b = NONE;
    });
    BMask(r)
}

impl Scalar for BVar {
    type Mask = BMask;

    fn from_f64(x: f64) -> Self {
        BVar::constant(x)
    }
    fn rsub(&self, lhs: f64) -> Self {
        lhs - *self
    }
    fn rdiv(&self, lhs: f64) -> Self {
        lhs / *self
    }
    fn recip(&self) -> Self {
        self.record_unary(Op::Recip, 0.0, |a| 1.0 / a)
    }
    fn sqrt(&self) -> Self {
        self.record_unary(Op::Sqrt, 0.0, f64::sqrt)
    }
    fn exp(&self) -> Self {
        self.record_unary(Op::Exp, 0.0, f64::exp)
    }
    fn ln(&self) -> Self {
        self.record_unary(Op::Ln, 0.0, f64::ln)
    }
    fn ln_1p(&self) -> Self {
        self.record_unary(Op::Ln1p, 0.0, f64::ln_1p)
    }
    fn exp_m1(&self) -> Self {
        self.record_unary(Op::ExpM1, 0.0, f64::exp_m1)
    }
    fn powi(&self, n: i32) -> Self {
        match n {
            1 => *self,
            2 => *self * *self,
            _ => self.record_unary(Op::Powi, n as f64, move |a| a.powi(n)),
        }
    }
    fn powf(&self, n: f64) -> Self {
        self.record_unary(Op::Powf, n, move |a| a.powf(n))
    }
    fn sin(&self) -> Self {
        self.record_unary(Op::Sin, 0.0, f64::sin)
    }
    fn cos(&self) -> Self {
        self.record_unary(Op::Cos, 0.0, f64::cos)
    }
    fn tan(&self) -> Self {
        self.record_unary(Op::Tan, 0.0, f64::tan)
    }
    fn asin(&self) -> Self {
        self.record_unary(Op::Asin, 0.0, f64::asin)
    }
    fn acos(&self) -> Self {
        self.record_unary(Op::Acos, 0.0, f64::acos)
    }
    fn atan(&self) -> Self {
        self.record_unary(Op::Atan, 0.0, f64::atan)
    }
    fn atan2(&self, x: &Self) -> Self {
        if self.idx == NONE && x.idx == NONE {
            return BVar::constant(self.k.atan2(x.k));
        }
        let (a, b) = (materialize(*self), materialize(*x));
        let tag = with_active(|d| d.tag);
        BVar {
            idx: a,
            tag,
            k: 0.0,
        }
        .record_binary(
            BVar {
                idx: b,
                tag,
                k: 0.0,
            },
            Op::Atan2,
            f64::atan2,
        )
    }
    fn sinh(&self) -> Self {
        self.record_unary(Op::Sinh, 0.0, f64::sinh)
    }
    fn cosh(&self) -> Self {
        self.record_unary(Op::Cosh, 0.0, f64::cosh)
    }
    fn tanh(&self) -> Self {
        self.record_unary(Op::Tanh, 0.0, f64::tanh)
    }
    fn abs(&self) -> Self {
        self.record_unary(Op::Abs, 0.0, f64::abs)
    }
    fn hypot(&self, other: &Self) -> Self {
        if self.idx == NONE && other.idx == NONE {
            return BVar::constant(self.k.hypot(other.k));
        }
        let (a, b) = (materialize(*self), materialize(*other));
        let tag = with_active(|d| d.tag);
        BVar {
            idx: a,
            tag,
            k: 0.0,
        }
        .record_binary(
            BVar {
                idx: b,
                tag,
                k: 0.0,
            },
            Op::Hypot,
            f64::hypot,
        )
    }
    fn signum(&self) -> Self {
        // Derivative 0: record the values as a gradient-free node.
        let r = self.record_unary(Op::Const, 0.0, signum_f64);
        if r.idx != NONE {
            with_active(|d| d.nodes[r.idx as usize].a = NONE);
        }
        r
    }
    fn lt_mask(&self, other: &Self) -> BMask {
        compare(*self, *other, |a, b| a < b)
    }
    fn le_mask(&self, other: &Self) -> BMask {
        compare(*self, *other, |a, b| a <= b)
    }
    fn select(mask: &BMask, if_true: Self, if_false: Self) -> Self {
        let m = mask.0;
        if m.idx == NONE {
            return if m.k != 0.0 { if_true } else { if_false };
        }
        let (a, b) = (materialize(if_true), materialize(if_false));
        with_active(|d| {
            m.check(d);
            let col =
                d.nodes[a as usize].col || d.nodes[b as usize].col || d.nodes[m.idx as usize].col;
            d.record(
                BNode::new(Op::Select, col, a, b, m.idx, 0.0),
                |view, out| {
                    let n = out.len();
                    let mv = view.slice(m.idx);
                    let mv: Vec<f64> = (0..n)
                        .map(|i| if mv.len() == 1 { mv[0] } else { mv[i] })
                        .collect();
                    with_lanes2!(view, n, a, b, |x, y| fill(out, |i| {
                        if mv[i] != 0.0 {
                            x.at(i)
                        } else {
                            y.at(i)
                        }
                    }));
                },
            )
        })
    }
}

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
            }),
        })
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
        let idx = push_column(d, op, values);
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
        let w = self.width_of(y);
        self.vjp(y, &vec![1.0; w])
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
            return Err(TapeError::LengthMismatch {
                what: "seed of the batched vjp (lanes of the output)",
                expected: width,
                got: seed.len(),
            });
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

/// The reverse sweep over nodes `top..=0`.
#[allow(clippy::neg_multiply)]
fn reverse(d: &BatchData, adj: &mut [f64], init: &mut [bool], top: u32) {
    for yi in (0..=top as usize).rev() {
        if !init[yi] {
            continue;
        }
        let y = d.nodes[yi];
        if y.a == NONE {
            continue;
        }
        let n = d.width(y.col);
        let yoff = y.off as usize;
        let (lo, hi) = adj.split_at_mut(yoff);
        let yb = &hi[..n];
        let yv = &d.vals[yoff..yoff + n];
        let pa = d.nodes[y.a as usize];
        let two = y.b != NONE;
        let b_active = two && d.nodes[y.b as usize].active;
        if !pa.active && !b_active {
            continue;
        }
        let a_off = pa.off as usize;
        let init_a = !init[y.a as usize];
        if pa.active {
            init[y.a as usize] = true;
        }
        macro_rules! un {
            (|$a:ident, $i:ident| $dy:expr) => {{
                with_lanes1!(d, n, y.a, |$a| deposit(
                    &mut lo[a_off..],
                    pa.col,
                    init_a,
                    n,
                    |$i| at(yb, $i) * $dy
                ))
            }};
        }
        match y.op {
            Op::Input | Op::Const => {}
            Op::AddK => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| at(yb, i)),
            Op::MulK => {
                let k = y.k;
                deposit(&mut lo[a_off..], pa.col, init_a, n, |i| at(yb, i) * k)
            }
            Op::KSub | Op::Neg => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| -at(yb, i)),
            Op::KDiv => un!(|a, i| -at(yv, i) / a.at(i)),
            Op::Recip => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| {
                -at(yb, i) * at(yv, i) * at(yv, i)
            }),
            Op::Sqrt => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| {
                at(yb, i) * 0.5 / at(yv, i)
            }),
            Op::Exp => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| {
                at(yb, i) * at(yv, i)
            }),
            Op::Ln => un!(|a, i| 1.0 / a.at(i)),
            Op::Ln1p => un!(|a, i| 1.0 / (1.0 + a.at(i))),
            Op::ExpM1 => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| {
                at(yb, i) * (at(yv, i) + 1.0)
            }),
            Op::Powi => {
                let k = y.k;
                un!(|a, i| k * a.at(i).powi(k as i32 - 1))
            }
            Op::Powf => {
                let k = y.k;
                un!(|a, i| if k == 0.0 {
                    0.0
                } else {
                    k * a.at(i).powf(k - 1.0)
                })
            }
            Op::Sin => un!(|a, i| a.at(i).cos()),
            Op::Cos => un!(|a, i| -a.at(i).sin()),
            Op::Tan => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| {
                at(yb, i) * (1.0 + at(yv, i) * at(yv, i))
            }),
            Op::Asin => un!(|a, i| 1.0 / (1.0 - a.at(i) * a.at(i)).sqrt()),
            Op::Acos => un!(|a, i| -1.0 / (1.0 - a.at(i) * a.at(i)).sqrt()),
            Op::Atan => un!(|a, i| 1.0 / (1.0 + a.at(i) * a.at(i))),
            Op::Sinh => un!(|a, i| a.at(i).cosh()),
            Op::Cosh => un!(|a, i| a.at(i).sinh()),
            Op::Tanh => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| {
                at(yb, i) * (1.0 - at(yv, i) * at(yv, i))
            }),
            Op::Abs => un!(|a, i| signum_f64(a.at(i))),
            Op::Sum => {
                let s = yb[0];
                deposit(&mut lo[a_off..], pa.col, init_a, d.lanes, |_| s)
            }
            Op::Dot => {
                let s = yb[0];
                let w = &d.slice(y.m)[..d.lanes];
                // A scalar operand receives Σᵢ s·wᵢ (deposit sums over lanes for it).
                deposit(&mut lo[a_off..], pa.col, init_a, d.lanes, |i| s * at(w, i))
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Atan2 | Op::Hypot | Op::Select => {
                let pb = d.nodes[y.b as usize];
                let b_off = pb.off as usize;
                let init_b = !init[y.b as usize];
                if pb.active {
                    init[y.b as usize] = true;
                }
                // Contributions to `a` first, then to `b` (they may be the same node).
                macro_rules! bin {
                    (|$a:ident, $b:ident, $i:ident| $da:expr, $db:expr) => {{
                        with_lanes2!(d, n, y.a, y.b, |$a, $b| {
                            if pa.active {
                                deposit(&mut lo[a_off..], pa.col, init_a, n, |$i| at(yb, $i) * $da);
                            }
                            if pb.active {
                                let init_b2 = init_b && !(y.a == y.b);
                                deposit(&mut lo[b_off..], pb.col, init_b2, n, |$i| {
                                    at(yb, $i) * $db
                                });
                            }
                        })
                    }};
                }
                match y.op {
                    Op::Add => bin!(|_a, _b, i| 1.0, 1.0),
                    Op::Sub => bin!(|_a, _b, i| 1.0, -1.0),
                    Op::Mul => bin!(|a, b, i| b.at(i), a.at(i)),
                    Op::Div => bin!(|_a, b, i| 1.0 / b.at(i), -at(yv, i) / b.at(i)),
                    Op::Atan2 => bin!(
                        |a, b, i| b.at(i) / (a.at(i) * a.at(i) + b.at(i) * b.at(i)),
                        -a.at(i) / (a.at(i) * a.at(i) + b.at(i) * b.at(i))
                    ),
                    Op::Hypot => bin!(
                        |a, b, i| if at(yv, i) == 0.0 {
                            0.0
                        } else {
                            a.at(i) / at(yv, i)
                        },
                        if at(yv, i) == 0.0 {
                            0.0
                        } else {
                            b.at(i) / at(yv, i)
                        }
                    ),
                    _ => {
                        let mv = d.slice(y.m);
                        let mask = |i: usize| if mv.len() == 1 { mv[0] } else { mv[i] };
                        bin!(|_a, _b, i| mask(i), 1.0 - mask(i))
                    }
                }
            }
        }
    }
}
