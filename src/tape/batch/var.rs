//! [`BVar`], the batched tape's variable, with its arithmetic, comparisons and [`Scalar`]
//! implementation (each operation records one node and computes its column of values).

use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::arena::{
    foreign, materialize, push_column, with_active, BNode, BatchData, Op, KEEP_ON_REPLAY,
};
use super::forward::{binary, unary};
use super::kernel::{at, fill, reduce_sum, reduce_sum_by, with_lanes2, Bc, Col, Lane};
use crate::scalar::Scalar;
use crate::tape::arena::NONE;
use crate::tape::TapeError;

/// A variable on the batched tape: a column of events or a broadcast scalar (a parameter), or a
/// constant that is on no tape. `Copy`, 16 bytes.
///
/// It implements [`Scalar`] (not `RealScalar`: a batch has no single value and cannot answer
/// `a < b` with one `bool`; use the lane-wise `lt`/`select`).
#[derive(Clone, Copy)]
pub struct BVar {
    pub(super) idx: u32,
    pub(super) tag: u32,
    pub(super) k: f64,
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

/// `x.record_unary(Op::$op, k, ..)` with the formula [`unary`] for that operation spelled out,
/// so the operation is a compile-time constant in the recorded loop.
macro_rules! un {
    ($x:expr, $op:ident, $k:expr) => {{
        let k: f64 = $k;
        $x.record_unary(Op::$op, k, move |a| unary(Op::$op, k, a))
    }};
}

/// `x.record_binary(y, Op::$op, ..)` with the formula [`binary`] spelled out (see `un!`).
macro_rules! bin {
    ($x:expr, $y:expr, $op:ident) => {
        $x.record_binary($y, Op::$op, |a, b| binary(Op::$op, a, b))
    };
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

    /// Record the unary operation `op` (constant `k`) of this variable. `f` must be
    /// `|a| unary(op, k, a)` (the formula the replay uses), written out at each call site by
    /// `un!` so that `op` is a compile-time constant inside the dispatched loop.
    #[inline(always)]
    fn record_unary(self, op: Op, k: f64, f: impl Fn(f64) -> f64) -> BVar {
        if self.idx == NONE {
            return BVar::constant(f(self.k));
        }
        with_active(|d| {
            self.check(d);
            let col = d.nodes[self.idx as usize].col;
            let ia = self.idx;
            d.record(
                BNode::new(op, col, ia, NONE, NONE, k),
                #[inline(always)]
                |view, out| {
                    let a = &view.slice(ia)[..out.len()];
                    fill(out, |i| f(at(a, i)));
                },
            )
        })
    }

    /// Record the binary operation `op` of two tape variables; `f` must be
    /// `|a, b| binary(op, a, b)` (see `bin!`).
    #[inline(always)]
    fn record_binary(self, other: BVar, op: Op, f: impl Fn(f64, f64) -> f64) -> BVar {
        with_active(|d| {
            self.check(d);
            other.check(d);
            let col = d.nodes[self.idx as usize].col || d.nodes[other.idx as usize].col;
            let (ia, ib) = (self.idx, other.idx);
            d.record(
                BNode::new(op, col, ia, ib, NONE, 0.0),
                #[inline(always)]
                |view, out| {
                    let n = out.len();
                    with_lanes2!(view, n, ia, ib, |a, b| fill(out, |i| f(a.at(i), b.at(i))));
                },
            )
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
            Ok(push_column(d, Op::Const, weights, KEEP_ON_REPLAY))
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

macro_rules! bin_op {
    ($tr:ident $m:ident, $op:ident, |$x:ident, $k:ident| $with_k:expr, |$k2:ident, $y:ident| $k_with:expr) => {
        impl $tr for BVar {
            type Output = BVar;
            #[inline]
            fn $m(self, rhs: BVar) -> BVar {
                match (self.idx == NONE, rhs.idx == NONE) {
                    (true, true) => BVar::constant(binary(Op::$op, self.k, rhs.k)),
                    (false, true) => {
                        let ($x, $k) = (self, rhs.k);
                        $with_k
                    }
                    (true, false) => {
                        let ($k2, $y) = (self.k, rhs);
                        $k_with
                    }
                    (false, false) => bin!(self, rhs, $op),
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

bin_op!(Add add, Add,
    |x, k| un!(x, AddK, k),
    |k, y| un!(y, AddK, k));
bin_op!(Sub sub, Sub,
    |x, k| un!(x, AddK, -k),
    |k, y| un!(y, KSub, k));
bin_op!(Mul mul, Mul,
    |x, k| un!(x, MulK, k),
    |k, y| un!(y, MulK, k));
bin_op!(Div div, Div,
    |x, k| un!(x, MulK, 1.0 / k),
    |k, y| un!(y, KDiv, k));

impl Neg for BVar {
    type Output = BVar;
    fn neg(self) -> BVar {
        un!(self, Neg, 0.0)
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

/// A lane-wise comparison (`op` = [`Op::Lt`] or [`Op::Le`]) as a 1/0 mask node; masks carry
/// no gradient (their nodes are never active), but keep their operands so a replay recomputes
/// them.
fn compare(a: BVar, b: BVar, op: Op) -> BMask {
    if a.idx == NONE && b.idx == NONE {
        return BMask(BVar::constant(binary(op, a.k, b.k)));
    }
    let (ia, ib) = (materialize(a), materialize(b));
    let m = BVar {
        idx: ia,
        tag: with_active(|d| d.tag),
        k: 0.0,
    };
    BMask(match op {
        Op::Lt => bin!(m, BVar { idx: ib, ..m }, Lt),
        _ => bin!(m, BVar { idx: ib, ..m }, Le),
    })
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
        un!(self, Recip, 0.0)
    }
    fn sqrt(&self) -> Self {
        un!(self, Sqrt, 0.0)
    }
    fn exp(&self) -> Self {
        un!(self, Exp, 0.0)
    }
    fn ln(&self) -> Self {
        un!(self, Ln, 0.0)
    }
    fn ln_1p(&self) -> Self {
        un!(self, Ln1p, 0.0)
    }
    fn exp_m1(&self) -> Self {
        un!(self, ExpM1, 0.0)
    }
    fn powi(&self, n: i32) -> Self {
        match n {
            1 => *self,
            2 => *self * *self,
            _ => un!(self, Powi, n as f64),
        }
    }
    fn powf(&self, n: f64) -> Self {
        un!(self, Powf, n)
    }
    fn sin(&self) -> Self {
        un!(self, Sin, 0.0)
    }
    fn cos(&self) -> Self {
        un!(self, Cos, 0.0)
    }
    fn tan(&self) -> Self {
        un!(self, Tan, 0.0)
    }
    fn asin(&self) -> Self {
        un!(self, Asin, 0.0)
    }
    fn acos(&self) -> Self {
        un!(self, Acos, 0.0)
    }
    fn atan(&self) -> Self {
        un!(self, Atan, 0.0)
    }
    fn atan2(&self, x: &Self) -> Self {
        if self.idx == NONE && x.idx == NONE {
            return BVar::constant(self.k.atan2(x.k));
        }
        let (a, b) = (materialize(*self), materialize(*x));
        let tag = with_active(|d| d.tag);
        let (a, b) = (
            BVar {
                idx: a,
                tag,
                k: 0.0,
            },
            BVar {
                idx: b,
                tag,
                k: 0.0,
            },
        );
        bin!(a, b, Atan2)
    }
    fn sinh(&self) -> Self {
        un!(self, Sinh, 0.0)
    }
    fn cosh(&self) -> Self {
        un!(self, Cosh, 0.0)
    }
    fn tanh(&self) -> Self {
        un!(self, Tanh, 0.0)
    }
    fn abs(&self) -> Self {
        un!(self, Abs, 0.0)
    }
    fn hypot(&self, other: &Self) -> Self {
        if self.idx == NONE && other.idx == NONE {
            return BVar::constant(self.k.hypot(other.k));
        }
        let (a, b) = (materialize(*self), materialize(*other));
        let tag = with_active(|d| d.tag);
        let (a, b) = (
            BVar {
                idx: a,
                tag,
                k: 0.0,
            },
            BVar {
                idx: b,
                tag,
                k: 0.0,
            },
        );
        bin!(a, b, Hypot)
    }
    fn signum(&self) -> Self {
        // Derivative 0: a gradient-free node (never active).
        un!(self, Signum, 0.0)
    }
    fn lt_mask(&self, other: &Self) -> BMask {
        compare(*self, *other, Op::Lt)
    }
    fn le_mask(&self, other: &Self) -> BMask {
        compare(*self, *other, Op::Le)
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
