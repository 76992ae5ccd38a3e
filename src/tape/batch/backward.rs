//! The batched tape's reverse sweep: per node, the partials recomputed from stored values and
//! deposited into the parents' adjoints, one vectorisable loop per operation.

use super::arena::{BatchData, Op};
use super::kernel::{at, deposit, deposit2, two_columns, with_lanes1, with_lanes2, Bc, Col, Lane};
use crate::derivatives as rules;
use crate::tape::arena::NONE;

/// The reverse sweep over nodes `top..=0`, compiled for the tape's SIMD path
/// ([`crate::simd`]; every path computes the same bits).
pub(super) fn reverse(d: &BatchData, adj: &mut [f64], init: &mut [bool], top: u32) {
    crate::simd::on_path(
        d.simd,
        #[inline(always)]
        || reverse_nodes(d, adj, init, top),
    )
}

/// The sweep itself; inlined into each dispatched copy.
#[allow(clippy::neg_multiply)]
#[inline(always)]
fn reverse_nodes(d: &BatchData, adj: &mut [f64], init: &mut [bool], top: u32) {
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
        // The unary rules of `crate::derivatives`, from the operand and the stored value.
        macro_rules! rule {
            ($d:ident) => {
                un!(|a, i| rules::$d(a.at(i), at(yv, i)))
            };
        }
        match y.op {
            Op::Input | Op::Const | Op::Lt | Op::Le | Op::Signum => {}
            Op::AddK => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| at(yb, i)),
            Op::MulK => {
                let k = y.k;
                deposit(&mut lo[a_off..], pa.col, init_a, n, |i| at(yb, i) * k)
            }
            Op::KSub | Op::Neg => deposit(&mut lo[a_off..], pa.col, init_a, n, |i| -at(yb, i)),
            Op::KDiv => un!(|a, i| -at(yv, i) / a.at(i)),
            Op::Recip => rule!(d_recip),
            Op::Sqrt => rule!(d_sqrt),
            Op::Exp => rule!(d_exp),
            Op::Ln => rule!(d_ln),
            Op::Ln1p => rule!(d_ln_1p),
            Op::ExpM1 => rule!(d_exp_m1),
            Op::Powi => {
                let n = y.k as i32;
                un!(|a, i| rules::d_powi(a.at(i), n))
            }
            Op::Powf => {
                let k = y.k;
                un!(|a, i| rules::d_powf(a.at(i), k))
            }
            Op::Sin => rule!(d_sin),
            Op::Cos => rule!(d_cos),
            Op::Tan => rule!(d_tan),
            Op::Asin => rule!(d_asin),
            Op::Acos => rule!(d_acos),
            Op::Atan => rule!(d_atan),
            Op::Sinh => rule!(d_sinh),
            Op::Cosh => rule!(d_cosh),
            Op::Tanh => rule!(d_tanh),
            Op::Abs => rule!(d_abs),
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
                // `$c` gives the contributions `(to a, to b)` of lane `$i` from its adjoint `$g`.
                // Two distinct active column parents are served by one loop; otherwise `a` is
                // served first, then `b` (they may be the same node).
                macro_rules! bin {
                    (|$a:ident, $b:ident, $i:ident, $g:ident| $c:expr) => {{
                        with_lanes2!(d, n, y.a, y.b, |$a, $b| {
                            let c = |$i: usize| {
                                let $g = at(yb, $i);
                                $c
                            };
                            if pa.active && pb.active && pa.col && pb.col && y.a != y.b {
                                let (da, db) = two_columns(lo, a_off, b_off, n);
                                deposit2(da, init_a, db, init_b, c);
                            } else {
                                if pa.active {
                                    deposit(&mut lo[a_off..], pa.col, init_a, n, |i| c(i).0);
                                }
                                if pb.active {
                                    let init_b2 = init_b && !(y.a == y.b);
                                    deposit(&mut lo[b_off..], pb.col, init_b2, n, |i| c(i).1);
                                }
                            }
                        })
                    }};
                }
                match y.op {
                    Op::Add => bin!(|_a, _b, i, g| (g, g)),
                    Op::Sub => bin!(|_a, _b, i, g| (g, -g)),
                    Op::Mul => bin!(|a, b, i, g| (g * b.at(i), g * a.at(i))),
                    // One division: ∂/∂a = 1/b and ∂/∂b = −y/b, so the contributions are
                    // t = g/b and −t·y.
                    Op::Div => bin!(|_a, b, i, g| {
                        let t = g / b.at(i);
                        (t, -t * at(yv, i))
                    }),
                    Op::Atan2 => bin!(|a, b, i, g| {
                        let (pa, pb) = rules::d_atan2(a.at(i), b.at(i));
                        (g * pa, g * pb)
                    }),
                    Op::Hypot => bin!(|a, b, i, g| {
                        let (pa, pb) = rules::d_hypot(a.at(i), b.at(i), at(yv, i));
                        (g * pa, g * pb)
                    }),
                    _ => with_lanes1!(d, n, y.m, |m| bin!(|_a, _b, i, g| {
                        let mi = m.at(i);
                        (g * mi, g * (1.0 - mi))
                    })),
                }
            }
        }
    }
}
