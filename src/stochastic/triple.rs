//! The stochastic triple: primal value, infinitesimal (dual) part, one finite perturbation.
//!
//! Arya, Schauer, Schäfer & Rackauckas, "Automatic Differentiation of Programs with Discrete
//! Randomness", NeurIPS 2022 (arXiv:2210.08572) represent a random quantity near a parameter
//! value θ as `X(θ + ε) = x + δ·ε + Δ·Bernoulli(w·ε)`: the value `x`, the ordinary derivative
//! `δ` along the sample path, and a finite jump `Δ` that happens with infinitesimal probability
//! `w·ε`. Here the triple stores `x`, `δ`, `Δ` and a *tag* naming the perturbation `Δ` belongs
//! to; the weight `w` of that perturbation lives in the run's perturbation ledger
//! ([`super::TripleSampler`]), so that when pruning rescales a weight every triple carrying the
//! perturbation sees it at once (the same idea as StochasticAD.jl's pruned backend).
//!
//! # Propagation rules
//! - `δ` follows the chain rule, exactly as a forward-mode dual number.
//! - `Δ` follows the primal function: `f(x + Δ) − f(x)` (finite difference, not linearised).
//! - A binary operation on two triples carrying different tags keeps the newer (larger) tag.
//!   Only one perturbation is alive at a time and a newer surviving tag always replaced the older
//!   ones, so the older `Δ` is dead and counts as 0. Whether the kept tag is the alive one is
//!   decided when the output is read ([`super::TripleSampler::alive_tag`]).
//!
//! Comparisons and [`RealScalar::value`] use the primal value, so programs branch along the
//! primal path; [`super::derivative_estimate`] re-runs the alternative path for branches.

use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::derivatives as rules;
use crate::scalar::{signum_f64, RealScalar, Scalar};

/// A stochastic triple `(value, dual, Δ)` with the tag of the perturbation `Δ` belongs to.
///
/// Tag 0 means "no perturbation" (then `delta` is 0).
#[derive(Clone, Copy, Debug, Default)]
pub struct Triple {
    /// Primal value.
    pub value: f64,
    /// Infinitesimal (pathwise derivative) part.
    pub dual: f64,
    /// Finite change of the value along the alternative path of perturbation `tag`.
    pub delta: f64,
    /// Which perturbation `delta` belongs to (0: none).
    pub tag: u32,
}

impl Triple {
    /// A constant (no derivative, no perturbation).
    #[inline]
    pub fn constant(value: f64) -> Self {
        Triple {
            value,
            dual: 0.0,
            delta: 0.0,
            tag: 0,
        }
    }

    /// A parameter with derivative direction `dual` (1 for "differentiate with respect to me").
    #[inline]
    pub fn param(value: f64, dual: f64) -> Self {
        Triple {
            value,
            dual,
            delta: 0.0,
            tag: 0,
        }
    }

    /// A value with a finite perturbation `delta` belonging to perturbation `tag`.
    #[inline]
    pub fn with_perturbation(value: f64, dual: f64, delta: f64, tag: u32) -> Self {
        if delta == 0.0 || tag == 0 {
            Triple::param(value, dual)
        } else {
            Triple {
                value,
                dual,
                delta,
                tag,
            }
        }
    }

    /// Value along the alternative path of this triple's own perturbation.
    #[inline]
    pub fn alternative(&self) -> f64 {
        self.value + self.delta
    }

    /// `Δ` if this triple's tag is `alive`, else 0.
    #[inline]
    pub fn delta_for(&self, alive: u32) -> f64 {
        if self.tag == alive && alive != 0 {
            self.delta
        } else {
            0.0
        }
    }

    /// Apply a unary function `f` with derivative `df(x, f(x))` (a rule of [`rules`]).
    #[inline]
    fn unary(self, f: impl Fn(f64) -> f64, df: impl Fn(f64, f64) -> f64) -> Self {
        let value = f(self.value);
        let dual = if self.dual == 0.0 {
            0.0
        } else {
            df(self.value, value) * self.dual
        };
        let delta = if self.tag == 0 {
            0.0
        } else {
            f(self.value + self.delta) - value
        };
        Triple::with_perturbation(value, dual, delta, self.tag)
    }

    /// Apply a binary function `f` with value `value` and partials `(da, db)`.
    #[inline]
    fn binary(
        self,
        other: Self,
        value: f64,
        da: f64,
        db: f64,
        f: impl Fn(f64, f64) -> f64,
    ) -> Self {
        let dual = da * self.dual + db * other.dual;
        let (delta, tag) = match self.tag.cmp(&other.tag) {
            Ordering::Equal if self.tag == 0 => (0.0, 0),
            Ordering::Equal => (
                f(self.value + self.delta, other.value + other.delta) - value,
                self.tag,
            ),
            Ordering::Greater => (f(self.value + self.delta, other.value) - value, self.tag),
            Ordering::Less => (f(self.value, other.value + other.delta) - value, other.tag),
        };
        Triple::with_perturbation(value, dual, delta, tag)
    }
}

impl PartialEq for Triple {
    /// Compares primal values (as every per-event number type in diffhep does).
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl PartialOrd for Triple {
    /// Orders by primal value.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl From<f64> for Triple {
    fn from(x: f64) -> Self {
        Triple::constant(x)
    }
}

impl Add for Triple {
    type Output = Triple;
    #[inline]
    fn add(self, rhs: Triple) -> Triple {
        let v = self.value + rhs.value;
        self.binary(rhs, v, 1.0, 1.0, |a, b| a + b)
    }
}

impl Sub for Triple {
    type Output = Triple;
    #[inline]
    fn sub(self, rhs: Triple) -> Triple {
        let v = self.value - rhs.value;
        self.binary(rhs, v, 1.0, -1.0, |a, b| a - b)
    }
}

impl Mul for Triple {
    type Output = Triple;
    #[inline]
    fn mul(self, rhs: Triple) -> Triple {
        let v = self.value * rhs.value;
        self.binary(rhs, v, rhs.value, self.value, |a, b| a * b)
    }
}

impl Div for Triple {
    type Output = Triple;
    #[inline]
    fn div(self, rhs: Triple) -> Triple {
        let v = self.value / rhs.value;
        let inv = 1.0 / rhs.value;
        self.binary(rhs, v, inv, -v * inv, |a, b| a / b)
    }
}

impl Neg for Triple {
    type Output = Triple;
    #[inline]
    fn neg(self) -> Triple {
        Triple {
            value: -self.value,
            dual: -self.dual,
            delta: -self.delta,
            tag: self.tag,
        }
    }
}

impl Add<f64> for Triple {
    type Output = Triple;
    #[inline]
    fn add(self, rhs: f64) -> Triple {
        Triple {
            value: self.value + rhs,
            ..self
        }
    }
}

impl Sub<f64> for Triple {
    type Output = Triple;
    #[inline]
    fn sub(self, rhs: f64) -> Triple {
        Triple {
            value: self.value - rhs,
            ..self
        }
    }
}

impl Mul<f64> for Triple {
    type Output = Triple;
    #[inline]
    fn mul(self, rhs: f64) -> Triple {
        Triple::with_perturbation(
            self.value * rhs,
            self.dual * rhs,
            self.delta * rhs,
            self.tag,
        )
    }
}

impl Div<f64> for Triple {
    type Output = Triple;
    #[inline]
    fn div(self, rhs: f64) -> Triple {
        Triple::with_perturbation(
            self.value / rhs,
            self.dual / rhs,
            self.delta / rhs,
            self.tag,
        )
    }
}

macro_rules! assign_ops {
    ($($tr:ident $m:ident $op:ident),*) => {$(
        impl $tr for Triple {
            #[inline]
            fn $m(&mut self, rhs: Triple) {
                *self = self.$op(rhs);
            }
        }
        impl $tr<f64> for Triple {
            #[inline]
            fn $m(&mut self, rhs: f64) {
                *self = self.$op(rhs);
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign add, SubAssign sub_assign sub, MulAssign mul_assign mul, DivAssign div_assign div);

impl Scalar for Triple {
    type Mask = bool;

    #[inline]
    fn from_f64(x: f64) -> Self {
        Triple::constant(x)
    }
    #[inline]
    fn rsub(&self, lhs: f64) -> Self {
        -*self + lhs
    }
    #[inline]
    fn rdiv(&self, lhs: f64) -> Self {
        self.recip() * lhs
    }
    fn recip(&self) -> Self {
        self.unary(|x| 1.0 / x, rules::d_recip)
    }
    fn sqrt(&self) -> Self {
        self.unary(f64::sqrt, rules::d_sqrt)
    }
    fn exp(&self) -> Self {
        self.unary(f64::exp, rules::d_exp)
    }
    fn ln(&self) -> Self {
        self.unary(f64::ln, rules::d_ln)
    }
    fn ln_1p(&self) -> Self {
        self.unary(f64::ln_1p, rules::d_ln_1p)
    }
    fn exp_m1(&self) -> Self {
        self.unary(f64::exp_m1, rules::d_exp_m1)
    }
    fn powi(&self, n: i32) -> Self {
        self.unary(|x| x.powi(n), |x, _| rules::d_powi(x, n))
    }
    fn powf(&self, n: f64) -> Self {
        self.unary(|x| x.powf(n), |x, _| rules::d_powf(x, n))
    }
    fn sin(&self) -> Self {
        self.unary(f64::sin, rules::d_sin)
    }
    fn cos(&self) -> Self {
        self.unary(f64::cos, rules::d_cos)
    }
    fn tan(&self) -> Self {
        self.unary(f64::tan, rules::d_tan)
    }
    fn asin(&self) -> Self {
        self.unary(f64::asin, rules::d_asin)
    }
    fn acos(&self) -> Self {
        self.unary(f64::acos, rules::d_acos)
    }
    fn atan(&self) -> Self {
        self.unary(f64::atan, rules::d_atan)
    }
    fn atan2(&self, x: &Self) -> Self {
        let (a, b) = (self.value, x.value);
        let (da, db) = rules::d_atan2(a, b);
        self.binary(*x, a.atan2(b), da, db, f64::atan2)
    }
    fn sinh(&self) -> Self {
        self.unary(f64::sinh, rules::d_sinh)
    }
    fn cosh(&self) -> Self {
        self.unary(f64::cosh, rules::d_cosh)
    }
    fn tanh(&self) -> Self {
        self.unary(f64::tanh, rules::d_tanh)
    }
    fn abs(&self) -> Self {
        self.unary(f64::abs, rules::d_abs)
    }
    fn hypot(&self, other: &Self) -> Self {
        let h = self.value.hypot(other.value);
        let (da, db) = if h.is_finite() {
            rules::d_hypot(self.value, other.value, h)
        } else {
            (0.0, 0.0)
        };
        self.binary(*other, h, da, db, f64::hypot)
    }
    fn signum(&self) -> Self {
        self.unary(signum_f64, |_, _| 0.0)
    }
    #[inline]
    fn lt_mask(&self, other: &Self) -> bool {
        self.value < other.value
    }
    #[inline]
    fn le_mask(&self, other: &Self) -> bool {
        self.value <= other.value
    }
    #[inline]
    fn select(mask: &bool, if_true: Self, if_false: Self) -> Self {
        if *mask {
            if_true
        } else {
            if_false
        }
    }
}

impl RealScalar for Triple {
    #[inline]
    fn value(&self) -> f64 {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::ridders;

    /// A function exercising every operation, written once against `RealScalar`.
    fn mixed<S: RealScalar>(x: S) -> S {
        let a = x.clone().sin() * x.clone().exp() + x.clone().sqrt() / (x.clone() + 2.0);
        let b = x.clone().ln() - x.clone().powi(3) * 0.1 + x.clone().powf(1.5) + x.clone().tanh();
        let c = x.clone().atan2(&(x.clone() + 1.0)) + x.clone().hypot(&S::from_f64(0.5));
        let d = x.rsub(4.0).abs() * x.rdiv(1.0) + x.clone().cosh() - x.clone().ln_1p();
        a * b + c - d + x.clone().atan() + x.clone().exp_m1() + x.clone().tan()
    }

    #[test]
    fn dual_part_matches_finite_differences() {
        for &x in &[0.3, 0.9, 1.4] {
            let t = mixed(Triple::param(x, 1.0));
            assert_eq!(t.value, mixed(x));
            let (fd, err) = ridders(mixed::<f64>, x, 1e-2);
            assert!(
                (t.dual - fd).abs() <= 1e-8 * fd.abs().max(1.0) + 10.0 * err,
                "x={x}: dual {} fd {fd} (err {err})",
                t.dual
            );
        }
    }

    #[test]
    fn delta_is_the_exact_finite_change() {
        // A perturbation Δ on x gives Δ_f = f(x + Δ) − f(x) exactly, through any composition.
        let (x, d) = (0.7, 0.45);
        let t = mixed(Triple::with_perturbation(x, 0.0, d, 3));
        assert_eq!(t.tag, 3);
        let exact = mixed(x + d) - mixed(x);
        assert!((t.delta - exact).abs() < 1e-12 * exact.abs().max(1.0));
    }

    #[test]
    fn newer_tag_wins_and_constants_keep_tags() {
        let a = Triple::with_perturbation(1.0, 0.0, 1.0, 2);
        let b = Triple::with_perturbation(2.0, 0.0, -1.0, 5);
        let s = a + b;
        assert_eq!((s.value, s.delta, s.tag), (3.0, -1.0, 5));
        let p = a * b;
        assert_eq!((p.value, p.delta, p.tag), (2.0, -1.0, 5));
        let same = a * a;
        assert_eq!((same.delta, same.tag), (3.0, 2));
        let c = a * 3.0 + 1.0;
        assert_eq!((c.value, c.delta, c.tag), (4.0, 3.0, 2));
        assert_eq!(c.delta_for(2), 3.0);
        assert_eq!(c.delta_for(5), 0.0);
    }
}
