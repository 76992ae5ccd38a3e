//! Elementary functions on lane blocks, with their first and second derivatives.
//!
//! Each function here takes a [`Block`] (one `f64` per lane) and returns the value together with
//! what the chain rule needs: `f'` and, lazily, `f''`. The lane dual types call these and apply
//! the chain rule to their tangents, so each formula lives in exactly one place.
//!
//! The transcendental kernels are the `wide` crate's vectorised polynomial/rational
//! approximations (range reduction plus minimax polynomials, Cephes-style); `tan` is `sin/cos`,
//! `hypot` is scaled by the larger magnitude, `powi` is binary exponentiation in the same order as
//! `f64::powi` (compiler-rt's `__powidf2`). Accuracy against Rust's `f64` (libm) is tested in
//! this module's tests; the bound is [`MAX_ULP`] units in the last place on the tested ranges.
//! IEEE special values (NaN, ±∞, ±0, out-of-domain arguments) follow `f64`.

use super::Block;
use crate::derivatives::{self as rules, Elementary};

/// Largest distance, in units in the last place, between a lane function here and the `f64`
/// function of the standard library, as tested in this module over each function's main domain.
pub const MAX_ULP: u64 = 4;

/// Value, first derivative and (lazily) second derivative of a unary function at a block.
pub(crate) struct Unary<F: FnOnce() -> Block> {
    pub f: Block,
    pub d1: Block,
    pub d2: F,
}

/// Value, partials `(∂a, ∂b)` and (lazily) second partials `[∂aa, ∂ab, ∂bb]` of a binary function.
pub(crate) struct Binary<F: FnOnce() -> [Block; 3]> {
    pub f: Block,
    pub da: Block,
    pub db: Block,
    pub d2: F,
}

#[inline(always)]
fn splat(x: f64) -> Block {
    Block::splat(x)
}

/// Lane-wise `-1, 0, +1` (0 for ±0, NaN for NaN), as `Scalar::signum` for `f64`.
#[inline(always)]
pub(crate) fn signum(x: Block) -> Block {
    let zero = Block::ZERO;
    let pos = x.simd_gt(zero).select(splat(1.0), zero);
    let s = x.simd_lt(zero).select(splat(-1.0), pos);
    x.is_nan().select(x, s)
}

/// `x^n` by binary exponentiation, the same sequence of roundings as `f64::powi`.
#[inline(always)]
pub(crate) fn powi_block(x: Block, n: i32) -> Block {
    let mut b = n.unsigned_abs();
    let mut a = x;
    let mut r = splat(1.0);
    loop {
        if b & 1 == 1 {
            r *= a;
        }
        b >>= 1;
        if b == 0 {
            break;
        }
        a *= a;
    }
    if n < 0 {
        splat(1.0) / r
    } else {
        r
    }
}

/// `x^y` lane-wise with the conventions of `f64::powf` for the cases the kernel does not cover
/// (`x^0 = 1`, negative base with an integer exponent).
#[inline(always)]
pub(crate) fn powf_block(x: Block, y: f64) -> Block {
    if y == 0.0 {
        return splat(1.0);
    }
    if y == 1.0 {
        return x;
    }
    if y == y.trunc() && y.abs() < i32::MAX as f64 {
        return powi_block(x, y as i32);
    }
    x.powf_simd(splat(y))
}

/// `sqrt(a² + b²)` without undue overflow or underflow.
#[inline(always)]
pub(crate) fn hypot_block(a: Block, b: Block) -> Block {
    let (x, y) = (a.abs(), b.abs());
    let big = x.max(y);
    let small = x.min(y);
    let r = small / big;
    let h = big * (r * r + splat(1.0)).sqrt();
    let h = big.simd_eq(Block::ZERO).select(Block::ZERO, h);
    let inf = x.is_inf() | y.is_inf();
    let nan = x.is_nan() | y.is_nan();
    // f64::hypot: ∞ if either is infinite (even with a NaN), else NaN if either is NaN.
    let h = nan.select(splat(f64::NAN), h);
    inf.select(splat(f64::INFINITY), h)
}

#[inline(always)]
pub(crate) fn recip(x: Block) -> Unary<impl FnOnce() -> Block> {
    let r = splat(1.0) / x;
    Unary {
        f: r,
        d1: rules::d_recip(x, r),
        d2: move || splat(2.0) * r * r * r,
    }
}

#[inline(always)]
pub(crate) fn sqrt(x: Block) -> Unary<impl FnOnce() -> Block> {
    let s = x.sqrt();
    let d1 = rules::d_sqrt(x, s);
    Unary {
        f: s,
        d1,
        d2: move || -(d1 * splat(0.5)) / x,
    }
}

#[inline(always)]
pub(crate) fn exp(x: Block) -> Unary<impl FnOnce() -> Block> {
    let e = x.exp();
    Unary {
        f: e,
        d1: rules::d_exp(x, e),
        d2: move || e,
    }
}

#[inline(always)]
pub(crate) fn ln(x: Block) -> Unary<impl FnOnce() -> Block> {
    let y = x.ln();
    let r = rules::d_ln(x, y);
    Unary {
        f: y,
        d1: r,
        d2: move || -(r * r),
    }
}

#[inline(always)]
pub(crate) fn ln_1p(x: Block) -> Unary<impl FnOnce() -> Block> {
    let y = x.ln_1p();
    let r = rules::d_ln_1p(x, y);
    Unary {
        f: y,
        d1: r,
        d2: move || -(r * r),
    }
}

#[inline(always)]
pub(crate) fn exp_m1(x: Block) -> Unary<impl FnOnce() -> Block> {
    let e = x.exp_m1();
    let d = rules::d_exp_m1(x, e);
    Unary {
        f: e,
        d1: d,
        d2: move || d,
    }
}

#[inline(always)]
pub(crate) fn powi(x: Block, n: i32) -> Unary<impl FnOnce() -> Block> {
    let nf = splat(n as f64);
    // Derivatives from x^(n-1), x^(n-2) by the same kernel (exact zeros for n = 0, 1).
    Unary {
        f: powi_block(x, n),
        d1: rules::d_powi(x, n),
        d2: move || {
            if n == 0 || n == 1 {
                Block::ZERO
            } else {
                nf * splat((n - 1) as f64) * powi_block(x, n - 2)
            }
        },
    }
}

#[inline(always)]
pub(crate) fn powf(x: Block, n: f64) -> Unary<impl FnOnce() -> Block> {
    Unary {
        f: powf_block(x, n),
        d1: rules::d_powf(x, n),
        d2: move || {
            if n == 0.0 || n == 1.0 {
                Block::ZERO
            } else {
                splat(n * (n - 1.0)) * powf_block(x, n - 2.0)
            }
        },
    }
}

#[inline(always)]
pub(crate) fn sin(x: Block) -> Unary<impl FnOnce() -> Block> {
    let (s, c) = x.sin_cos();
    Unary {
        f: s,
        d1: c,
        d2: move || -s,
    }
}

#[inline(always)]
pub(crate) fn cos(x: Block) -> Unary<impl FnOnce() -> Block> {
    let (s, c) = x.sin_cos();
    Unary {
        f: c,
        d1: -s,
        d2: move || -c,
    }
}

#[inline(always)]
pub(crate) fn tan(x: Block) -> Unary<impl FnOnce() -> Block> {
    let (s, c) = x.sin_cos();
    let t = s / c;
    let d1 = rules::d_tan(x, t);
    Unary {
        f: t,
        d1,
        d2: move || splat(2.0) * t * d1,
    }
}

#[inline(always)]
pub(crate) fn asin(x: Block) -> Unary<impl FnOnce() -> Block> {
    let y = x.asin();
    let q = rules::d_asin(x, y);
    Unary {
        f: y,
        d1: q,
        d2: move || x * q * q * q,
    }
}

#[inline(always)]
pub(crate) fn acos(x: Block) -> Unary<impl FnOnce() -> Block> {
    let y = x.acos();
    let d1 = rules::d_acos(x, y);
    let q = -d1;
    Unary {
        f: y,
        d1,
        d2: move || -(x * q * q * q),
    }
}

#[inline(always)]
pub(crate) fn atan(x: Block) -> Unary<impl FnOnce() -> Block> {
    let y = x.atan();
    let q = rules::d_atan(x, y);
    Unary {
        f: y,
        d1: q,
        d2: move || splat(-2.0) * x * q * q,
    }
}

#[inline(always)]
pub(crate) fn sinh(x: Block) -> Unary<impl FnOnce() -> Block> {
    let s = x.sinh();
    Unary {
        f: s,
        d1: rules::d_sinh(x, s),
        d2: move || s,
    }
}

#[inline(always)]
pub(crate) fn cosh(x: Block) -> Unary<impl FnOnce() -> Block> {
    let c = x.cosh();
    Unary {
        f: c,
        d1: rules::d_cosh(x, c),
        d2: move || c,
    }
}

#[inline(always)]
pub(crate) fn tanh(x: Block) -> Unary<impl FnOnce() -> Block> {
    let t = x.tanh();
    let d1 = rules::d_tanh(x, t);
    Unary {
        f: t,
        d1,
        d2: move || splat(-2.0) * t * d1,
    }
}

/// `|x|` with derivative `signum(x)` (0 at 0).
#[inline(always)]
pub(crate) fn abs(x: Block) -> Unary<impl FnOnce() -> Block> {
    let y = x.abs();
    let d1 = rules::d_abs(x, y);
    Unary {
        f: y,
        d1,
        d2: || Block::ZERO,
    }
}

/// `a · b`.
#[inline(always)]
pub(crate) fn mul(a: Block, b: Block) -> Binary<impl FnOnce() -> [Block; 3]> {
    Binary {
        f: a * b,
        da: b,
        db: a,
        d2: || [Block::ZERO, splat(1.0), Block::ZERO],
    }
}

/// `a / b`.
#[inline(always)]
pub(crate) fn div(a: Block, b: Block) -> Binary<impl FnOnce() -> [Block; 3]> {
    let r = splat(1.0) / b;
    let q = a / b;
    Binary {
        f: q,
        da: r,
        db: -(q * r),
        d2: move || [Block::ZERO, -(r * r), splat(2.0) * q * r * r],
    }
}

/// `atan2(a, b)` (a = y, b = x).
#[inline(always)]
pub(crate) fn atan2(a: Block, b: Block) -> Binary<impl FnOnce() -> [Block; 3]> {
    let r2 = splat(1.0) / (a * a + b * b);
    let (da, db) = rules::d_atan2(a, b);
    Binary {
        f: a.atan2(b),
        da,
        db,
        d2: move || {
            let r4 = r2 * r2;
            let two_ab = splat(2.0) * a * b * r4;
            [-two_ab, (a * a - b * b) * r4, two_ab]
        },
    }
}

/// `hypot(a, b)`; its derivative at the origin is taken as 0.
#[inline(always)]
pub(crate) fn hypot(a: Block, b: Block) -> Binary<impl FnOnce() -> [Block; 3]> {
    let h = hypot_block(a, b);
    let r = h.reciprocal_or_zero();
    let (da, db) = rules::d_hypot(a, b, h);
    Binary {
        f: h,
        da,
        db,
        d2: move || {
            let r3 = r * r * r;
            [b * b * r3, -(a * b * r3), a * a * r3]
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite doubles of the same sign (NaN and
    /// infinities must match exactly).
    fn ulps(a: f64, b: f64) -> u64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() {
                0
            } else {
                u64::MAX
            };
        }
        if a == b {
            return 0;
        }
        if a.is_sign_negative() != b.is_sign_negative() {
            // Across zero: count both sides' distance from ±0.
            return ulps(a.abs(), 0.0) + ulps(b.abs(), 0.0);
        }
        let (ia, ib) = (a.abs().to_bits() as i64, b.abs().to_bits() as i64);
        (ia - ib).unsigned_abs()
    }

    /// Largest ulp distance of a block function from its `f64` reference over `xs`.
    fn worst(xs: &[f64], lane: impl Fn(Block) -> Block, reference: impl Fn(f64) -> f64) -> u64 {
        let mut worst = 0;
        for c in xs.chunks(8) {
            let b = crate::lanes::load_block(c);
            let got = lane(b).to_array();
            for (i, &x) in c.iter().enumerate() {
                let u = ulps(got[i], reference(x));
                assert!(
                    u != u64::MAX,
                    "NaN mismatch at {x}: {} vs {}",
                    got[i],
                    reference(x)
                );
                worst = worst.max(u);
            }
        }
        worst
    }

    fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
        // Irrational-ish spacing so points do not sit on special values.
        (0..n)
            .map(|i| lo + (hi - lo) * ((i as f64 + 0.3137) / n as f64))
            .collect()
    }

    #[test]
    fn elementary_functions_within_ulp_bound_of_libm() {
        let n = 4000;
        let wide_range = grid(-30.0, 30.0, n);
        let positive = grid(1e-6, 1e6, n);
        let unit = grid(-0.999, 0.999, n);
        let small = grid(-1e-3, 1e-3, n);
        let trig = grid(-20.0, 20.0, n);
        let checks: Vec<(&str, u64)> = vec![
            ("exp", worst(&wide_range, |x| exp(x).f, f64::exp)),
            ("ln", worst(&positive, |x| ln(x).f, f64::ln)),
            ("ln small", worst(&grid(0.5, 2.0, n), |x| ln(x).f, f64::ln)),
            ("sqrt", worst(&positive, |x| sqrt(x).f, f64::sqrt)),
            ("exp_m1", worst(&wide_range, |x| exp_m1(x).f, f64::exp_m1)),
            ("exp_m1 small", worst(&small, |x| exp_m1(x).f, f64::exp_m1)),
            ("ln_1p", worst(&unit, |x| ln_1p(x).f, f64::ln_1p)),
            ("ln_1p small", worst(&small, |x| ln_1p(x).f, f64::ln_1p)),
            ("sin", worst(&trig, |x| sin(x).f, f64::sin)),
            ("cos", worst(&trig, |x| cos(x).f, f64::cos)),
            ("tan", worst(&grid(-1.5, 1.5, n), |x| tan(x).f, f64::tan)),
            ("asin", worst(&unit, |x| asin(x).f, f64::asin)),
            ("acos", worst(&unit, |x| acos(x).f, f64::acos)),
            ("atan", worst(&wide_range, |x| atan(x).f, f64::atan)),
            (
                "sinh",
                worst(&grid(-20.0, 20.0, n), |x| sinh(x).f, f64::sinh),
            ),
            (
                "cosh",
                worst(&grid(-20.0, 20.0, n), |x| cosh(x).f, f64::cosh),
            ),
            ("tanh", worst(&grid(-5.0, 5.0, n), |x| tanh(x).f, f64::tanh)),
            ("powi 7", worst(&trig, |x| powi(x, 7).f, |x| x.powi(7))),
            ("powi -3", worst(&trig, |x| powi(x, -3).f, |x| x.powi(-3))),
            (
                "powf 2.5",
                worst(&grid(1e-3, 50.0, n), |x| powf(x, 2.5).f, |x| x.powf(2.5)),
            ),
            (
                "atan2",
                worst(&trig, |y| atan2(y, splat(0.7)).f, |y| y.atan2(0.7)),
            ),
            (
                "atan2 x<0",
                worst(&trig, |y| atan2(y, splat(-1.3)).f, |y| y.atan2(-1.3)),
            ),
            (
                "hypot",
                worst(&trig, |y| hypot(y, splat(-1.3)).f, |y| y.hypot(-1.3)),
            ),
        ];
        let bad: Vec<_> = checks.iter().filter(|(_, u)| *u > MAX_ULP).collect();
        assert!(
            bad.is_empty(),
            "over {MAX_ULP} ulp: {bad:?} (all: {checks:?})"
        );
    }

    #[test]
    fn special_values_follow_f64() {
        let xs = [
            0.0,
            -0.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e308,
            -1e308,
        ];
        let b = crate::lanes::load_block(&xs);
        type Case = (&'static str, fn(Block) -> Block, fn(f64) -> f64);
        let cases: [Case; 8] = [
            ("exp", |x| exp(x).f, f64::exp),
            ("ln", |x| ln(x).f, f64::ln),
            ("sqrt", |x| sqrt(x).f, f64::sqrt),
            ("abs", |x| abs(x).f, f64::abs),
            ("tanh", |x| tanh(x).f, f64::tanh),
            ("atan", |x| atan(x).f, f64::atan),
            ("signum", signum, crate::scalar::signum_f64),
            ("hypot", |x| hypot_block(x, splat(3.0)), |x| x.hypot(3.0)),
        ];
        for (name, lane, reference) in cases {
            let got = lane(b).to_array();
            for (i, &x) in xs.iter().enumerate() {
                let want = reference(x);
                assert!(
                    ulps(got[i], want) <= MAX_ULP,
                    "{name}({x}) = {} but f64 gives {want}",
                    got[i]
                );
            }
        }
    }

    #[test]
    fn derivative_formulas_match_finite_differences() {
        // Central differences of each lane function's value (Ridders), against its d1 and d2.
        use crate::gradcheck::ridders;
        let xs = [0.31, 0.77];
        type Case = (&'static str, fn(Block) -> [Block; 3]);
        fn three<F: FnOnce() -> Block>(u: Unary<F>) -> [Block; 3] {
            [u.f, u.d1, (u.d2)()]
        }
        let cases: [Case; 17] = [
            ("recip", |x| three(recip(x))),
            ("sqrt", |x| three(sqrt(x))),
            ("exp", |x| three(exp(x))),
            ("ln", |x| three(ln(x))),
            ("ln_1p", |x| three(ln_1p(x))),
            ("exp_m1", |x| three(exp_m1(x))),
            ("powi", |x| three(powi(x, -3))),
            ("powf", |x| three(powf(x, 2.5))),
            ("sin", |x| three(sin(x))),
            ("cos", |x| three(cos(x))),
            ("tan", |x| three(tan(x))),
            ("asin", |x| three(asin(x))),
            ("acos", |x| three(acos(x))),
            ("atan", |x| three(atan(x))),
            ("sinh", |x| three(sinh(x))),
            ("cosh", |x| three(cosh(x))),
            ("tanh", |x| three(tanh(x))),
        ];
        for (name, f) in cases {
            for &x in &xs {
                let at = |t: f64, k: usize| f(splat(t))[k].to_array()[0];
                let [_, d1, d2] = f(splat(x)).map(|b| b.to_array()[0]);
                let (fd1, e1) = ridders(|t| at(t, 0), x, 0.05);
                let (fd2, e2) = ridders(|t| at(t, 1), x, 0.05);
                assert!(
                    (d1 - fd1).abs() <= 1e-9 * d1.abs().max(1.0) + 10.0 * e1,
                    "{name}' at {x}"
                );
                assert!(
                    (d2 - fd2).abs() <= 1e-9 * d2.abs().max(1.0) + 10.0 * e2,
                    "{name}'' at {x}"
                );
            }
        }
    }
}
