//! The batched tape's forward formulas, one per operation, and the replay of a recorded
//! program on new event data.
//!
//! Recording ([`super::BVar`]'s operations) and replay ([`replay_nodes`]) compute every node's
//! values with the same two functions, [`unary`] and [`binary`], so a replayed block gives bit
//! for bit the values that recording it would give. A program recorded with the batched tape
//! has no data-dependent control flow (there is no `bool` comparison of a `BVar`; lane-wise
//! choices are recorded `Select` nodes), so one recording is a complete program for every block
//! of the same number of lanes: replay skips the per-node bookkeeping of recording (thread-local
//! tape lookup, node allocation) and runs each node as one tight loop over the block.

use super::arena::{BatchData, Op};
use super::kernel::{at, fill, reduce_sum, reduce_sum_by, with_lanes1, with_lanes2, Bc, Col, Lane};
use crate::scalar::signum_f64;

/// The value of the unary operation `op` (constant `k`) at `a`.
#[inline(always)]
pub(super) fn unary(op: Op, k: f64, a: f64) -> f64 {
    match op {
        Op::AddK => a + k,
        Op::MulK => a * k,
        Op::KSub => k - a,
        Op::KDiv => k / a,
        Op::Neg => -a,
        Op::Recip => 1.0 / a,
        Op::Sqrt => a.sqrt(),
        Op::Exp => a.exp(),
        Op::Ln => a.ln(),
        Op::Ln1p => a.ln_1p(),
        Op::ExpM1 => a.exp_m1(),
        Op::Powi => a.powi(k as i32),
        Op::Powf => a.powf(k),
        Op::Sin => a.sin(),
        Op::Cos => a.cos(),
        Op::Tan => a.tan(),
        Op::Asin => a.asin(),
        Op::Acos => a.acos(),
        Op::Atan => a.atan(),
        Op::Sinh => a.sinh(),
        Op::Cosh => a.cosh(),
        Op::Tanh => a.tanh(),
        Op::Abs => a.abs(),
        Op::Signum => signum_f64(a),
        _ => unreachable!("{op:?} is not a unary operation"),
    }
}

/// The value of the binary operation `op` at `(a, b)`.
#[inline(always)]
pub(super) fn binary(op: Op, a: f64, b: f64) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
        Op::Atan2 => a.atan2(b),
        Op::Hypot => a.hypot(b),
        Op::Lt => f64::from(u8::from(a < b)),
        Op::Le => f64::from(u8::from(a <= b)),
        _ => unreachable!("{op:?} is not a binary operation"),
    }
}

/// Call `$body` with `const`-like `$op` bound to each listed operation, so the formula is
/// resolved at compile time and each operation gets its own vectorisable loop.
macro_rules! per_op {
    ($x:expr, |$op:ident| $body:expr, $($name:ident)*) => {
        match $x {
            $(Op::$name => {
                let $op = Op::$name;
                $body
            })*
            other => unreachable!("{other:?} handled elsewhere"),
        }
    };
}

/// The values of the nodes below the one being replayed.
struct Below<'a> {
    lo: &'a [f64],
    d: &'a BatchData,
}

impl<'a> Below<'a> {
    #[inline(always)]
    fn slice(&self, idx: u32) -> &'a [f64] {
        let p = &self.d.nodes[idx as usize];
        &self.lo[p.off as usize..p.off as usize + self.d.width(p.col)]
    }
}

/// Recompute the nodes that depend on event data ([`super::arena::ReplayPlan`]) from the (new)
/// values of the data columns, in recording order.
/// Inlined into each SIMD dispatch path by the caller.
#[inline(always)]
pub(super) fn replay_nodes(d: &mut BatchData) {
    let lanes = d.lanes;
    let mut vals = std::mem::take(&mut d.vals);
    let plan = std::mem::take(&mut d.plan);
    for &yi in &plan.recompute {
        let y = d.nodes[yi as usize];
        let n = d.width(y.col);
        let off = y.off as usize;
        let (lo, hi) = vals.split_at_mut(off);
        let out = &mut hi[..n];
        let v = Below { lo, d: &*d };
        match y.op {
            // Leaves: data columns were overwritten by the caller; parameters and constants
            // keep their values.
            Op::Input | Op::Const => {}
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Atan2 | Op::Hypot | Op::Lt | Op::Le => {
                per_op!(y.op, |op| with_lanes2!(v, n, y.a, y.b, |a, b| fill(
                    out,
                    #[inline(always)]
                    |i| binary(op, a.at(i), b.at(i))
                )), Add Sub Mul Div Atan2 Hypot Lt Le)
            }
            Op::Select => {
                let m = v.slice(y.m);
                with_lanes2!(v, n, y.a, y.b, |a, b| fill(
                    out,
                    #[inline(always)]
                    |i| {
                        let mi = if m.len() == 1 { m[0] } else { at(m, i) };
                        if mi != 0.0 {
                            a.at(i)
                        } else {
                            b.at(i)
                        }
                    }
                ))
            }
            Op::Sum => out[0] = reduce_sum(v.slice(y.a)),
            Op::Dot => {
                let (a, w) = (v.slice(y.a), v.slice(y.m));
                out[0] = if a.len() == lanes {
                    reduce_sum_by(lanes, |i| a[i] * w[i])
                } else {
                    a[0] * reduce_sum(w)
                };
            }
            _ => {
                let k = y.k;
                per_op!(y.op, |op| with_lanes1!(v, n, y.a, |a| fill(
                    out,
                    #[inline(always)]
                    |i| unary(op, k, a.at(i))
                )),
                    AddK MulK KSub KDiv Neg Recip Sqrt Exp Ln Ln1p ExpM1 Powi Powf Sin Cos Tan Asin
                    Acos Atan Sinh Cosh Tanh Abs Signum)
            }
        }
    }
    d.vals = vals;
    d.plan = plan;
}
