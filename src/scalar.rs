//! The number interface simulators are written against.
//!
//! A simulator is written **once**, generic over `S: Scalar`, and then runs as plain `f64`, as
//! num-dual forward-mode numbers, as the reverse-mode tape variable [`crate::tape::Var`], as the
//! batched tape variable [`crate::tape::BVar`] (one node = a column of events), or any other type
//! implementing the trait.
//!
//! Two levels:
//! - [`Scalar`]: arithmetic and elementary functions, plus *lane-wise* comparisons returning a
//!   [`Scalar::Mask`] and [`Scalar::select`]. Batch types implement it, so code written against it
//!   must be branch-free (matrix elements, likelihoods).
//! - [`RealScalar`]: per-event types that have one primal value ([`RealScalar::value`]) and can
//!   answer `a < b` with a `bool`. Simulators that branch per event (showers, iterative fits) use it.
//!
//! # Arithmetic with `f64`
//! `x + 2.0`, `x * 2.0`, `x - 2.0`, `x / 2.0` work in generic code through the trait's supertraits.
//! Rust does not propagate bounds of the form `f64: Add<S>` from a trait to generic users, so in
//! generic code write constants on the left as `x.rsub(1.0)` (= `1.0 - x`), `x.rdiv(1.0)`
//! (= `1.0 / x`) or `S::from_f64(2.0) * x`. On concrete types (`f64`, `Var`, duals) `2.0 * x`
//! works as usual.
//!
//! # Out-of-domain input
//! Values follow IEEE-754 exactly as `f64` does: `sqrt(-1)`, `ln(-1)`, `asin(2)` give NaN,
//! `ln(0)` gives −∞. Derivatives at such points are whatever the derivative formula gives (NaN or
//! ±∞; e.g. the derivative of `sqrt` at 0 is +∞). Nothing is clamped or replaced silently.
//! Non-differentiable points use the conventions: `abs'(0) = 0` for the tape (num-dual follows its
//! own `Signed` impl, also 0), `signum' = 0`, `min/max` pass the derivative of the selected
//! argument (the first one on ties).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use num_dual::{DualNum, DualStruct};

/// Arithmetic and elementary functions shared by every number type in diffhep.
///
/// See the [module documentation](self) for the two trait levels and the rules for constants.
pub trait Scalar:
    Clone
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + AddAssign<f64>
    + SubAssign<f64>
    + MulAssign<f64>
    + DivAssign<f64>
{
    /// Result of a lane-wise comparison: `bool` for per-event types, a lane mask for batch types.
    type Mask: Clone;

    /// A constant (zero derivative).
    fn from_f64(x: f64) -> Self;
    /// The constant 0.
    fn zero() -> Self {
        Self::from_f64(0.0)
    }
    /// The constant 1.
    fn one() -> Self {
        Self::from_f64(1.0)
    }
    /// `lhs - self`, for constants on the left in generic code.
    fn rsub(&self, lhs: f64) -> Self {
        -self.clone() + lhs
    }
    /// `lhs / self`, for constants on the left in generic code.
    fn rdiv(&self, lhs: f64) -> Self {
        self.recip() * lhs
    }

    /// `1 / x`.
    fn recip(&self) -> Self;
    /// Square root.
    fn sqrt(&self) -> Self;
    /// Exponential.
    fn exp(&self) -> Self;
    /// Natural logarithm.
    fn ln(&self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn ln_1p(&self) -> Self;
    /// `exp(x) - 1`, accurate near 0.
    fn exp_m1(&self) -> Self;
    /// Integer power.
    fn powi(&self, n: i32) -> Self;
    /// Real power with a constant exponent.
    fn powf(&self, n: f64) -> Self;
    /// Sine.
    fn sin(&self) -> Self;
    /// Cosine.
    fn cos(&self) -> Self;
    /// Tangent.
    fn tan(&self) -> Self;
    /// Arcsine.
    fn asin(&self) -> Self;
    /// Arccosine.
    fn acos(&self) -> Self;
    /// Arctangent.
    fn atan(&self) -> Self;
    /// Four-quadrant arctangent of `self / x` (`self` is y), as `f64::atan2`.
    fn atan2(&self, x: &Self) -> Self;
    /// Hyperbolic sine.
    fn sinh(&self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(&self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(&self) -> Self;
    /// Absolute value (derivative 0 at 0).
    fn abs(&self) -> Self;
    /// `sqrt(self² + other²)` without undue overflow.
    fn hypot(&self, other: &Self) -> Self;
    /// Sign: −1, 0 (for ±0) or +1, NaN for NaN; derivative 0.
    fn signum(&self) -> Self;

    /// Lane-wise `self < other`.
    fn lt_mask(&self, other: &Self) -> Self::Mask;
    /// Lane-wise `self <= other`.
    fn le_mask(&self, other: &Self) -> Self::Mask;
    /// Lane-wise `self > other`.
    fn gt_mask(&self, other: &Self) -> Self::Mask {
        other.lt_mask(self)
    }
    /// Lane-wise `self >= other`.
    fn ge_mask(&self, other: &Self) -> Self::Mask {
        other.le_mask(self)
    }
    /// Lane-wise choice: `if mask { if_true } else { if_false }`; derivatives follow the choice.
    fn select(mask: &Self::Mask, if_true: Self, if_false: Self) -> Self;
    /// Lane-wise minimum (the first argument on ties).
    fn min(&self, other: &Self) -> Self {
        Self::select(&self.le_mask(other), self.clone(), other.clone())
    }
    /// Lane-wise maximum (the first argument on ties).
    fn max(&self, other: &Self) -> Self {
        Self::select(&self.ge_mask(other), self.clone(), other.clone())
    }
}

/// Per-event number types: one primal value, comparisons with a `bool` answer.
///
/// Implemented by `f64`, num-dual's types, the tape variable [`crate::tape::Var`] and (later) the
/// stochastic triple. Batch types deliberately do not implement it.
pub trait RealScalar: Scalar<Mask = bool> + PartialOrd {
    /// The primal (real) value.
    fn value(&self) -> f64;
}

/// One blanket impl covers `f64` and num-dual's number types (`Dual64`, `DualSVec64<N>`,
/// `DualDVec64`, `HyperDual64`, `Dual2_64`, `Dual2Vec64`, ...).
impl<D> Scalar for D
where
    D: DualNum<Primitive = f64> + DualStruct<Real = f64>,
{
    type Mask = bool;

    #[inline]
    fn from_f64(x: f64) -> Self {
        D::from(x)
    }
    #[inline]
    fn rsub(&self, lhs: f64) -> Self {
        -self.clone() + lhs
    }
    #[inline]
    fn recip(&self) -> Self {
        DualNum::recip(self)
    }
    #[inline]
    fn sqrt(&self) -> Self {
        DualNum::sqrt(self)
    }
    #[inline]
    fn exp(&self) -> Self {
        DualNum::exp(self)
    }
    #[inline]
    fn ln(&self) -> Self {
        DualNum::ln(self)
    }
    #[inline]
    fn ln_1p(&self) -> Self {
        DualNum::ln_1p(self)
    }
    #[inline]
    fn exp_m1(&self) -> Self {
        DualNum::exp_m1(self)
    }
    #[inline]
    fn powi(&self, n: i32) -> Self {
        DualNum::powi(self, n)
    }
    #[inline]
    fn powf(&self, n: f64) -> Self {
        DualNum::powf(self, n)
    }
    #[inline]
    fn sin(&self) -> Self {
        DualNum::sin(self)
    }
    #[inline]
    fn cos(&self) -> Self {
        DualNum::cos(self)
    }
    #[inline]
    fn tan(&self) -> Self {
        DualNum::tan(self)
    }
    #[inline]
    fn asin(&self) -> Self {
        DualNum::asin(self)
    }
    #[inline]
    fn acos(&self) -> Self {
        DualNum::acos(self)
    }
    #[inline]
    fn atan(&self) -> Self {
        DualNum::atan(self)
    }
    #[inline]
    fn atan2(&self, x: &Self) -> Self {
        DualNum::atan2(self, x.clone())
    }
    #[inline]
    fn sinh(&self) -> Self {
        DualNum::sinh(self)
    }
    #[inline]
    fn cosh(&self) -> Self {
        DualNum::cosh(self)
    }
    #[inline]
    fn tanh(&self) -> Self {
        DualNum::tanh(self)
    }
    #[inline]
    fn abs(&self) -> Self {
        if DualStruct::re(self) < 0.0 {
            -self.clone()
        } else if DualStruct::re(self) > 0.0 {
            self.clone()
        } else {
            // |x| at 0 (or NaN): value |re|, derivative 0 by convention.
            D::from(DualStruct::re(self).abs())
        }
    }
    #[inline]
    fn hypot(&self, other: &Self) -> Self {
        let (a, b) = (DualStruct::re(self).abs(), DualStruct::re(other).abs());
        let m = if a > b { a } else { b };
        if m == 0.0 || !m.is_finite() {
            // Value as f64::hypot; the derivative is undefined at the origin (taken as 0).
            return D::from(a.hypot(b));
        }
        let (x, y) = (self.clone() / m, other.clone() / m);
        DualNum::sqrt(&(x.clone() * x + y.clone() * y)) * m
    }
    #[inline]
    fn signum(&self) -> Self {
        D::from(DualStruct::re(self).signum_ieee())
    }
    #[inline]
    fn lt_mask(&self, other: &Self) -> bool {
        DualStruct::re(self) < DualStruct::re(other)
    }
    #[inline]
    fn le_mask(&self, other: &Self) -> bool {
        DualStruct::re(self) <= DualStruct::re(other)
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

impl<D> RealScalar for D
where
    D: DualNum<Primitive = f64> + DualStruct<Real = f64>,
{
    #[inline]
    fn value(&self) -> f64 {
        DualStruct::re(self)
    }
}

/// `signum` with IEEE semantics for zero (0 for ±0) and NaN, which `f64::signum` lacks.
trait SignumIeee {
    fn signum_ieee(self) -> f64;
}

impl SignumIeee for f64 {
    #[inline]
    fn signum_ieee(self) -> f64 {
        if self > 0.0 {
            1.0
        } else if self < 0.0 {
            -1.0
        } else {
            self * 0.0 // ±0 → 0, NaN → NaN
        }
    }
}

/// `signum` with value 0 at ±0 and NaN for NaN (shared by every Scalar impl).
#[inline]
pub(crate) fn signum_f64(x: f64) -> f64 {
    x.signum_ieee()
}

/// The logistic function `σ(x) = 1/(1 + e^{−x})` on `f64`: probabilities from network outputs,
/// maps onto bounded intervals. This form keeps full relative precision as `x → −∞` (σ ≈ eˣ, no
/// cancellation, unlike `(1 + tanh(x/2))/2`) and saturates to exactly 0 and 1 without NaN.
/// Its derivative is `σ(x)(1 − σ(x))`.
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_dual::{Dual64, HyperDual64};

    #[test]
    fn sigmoid_values_precision_and_saturation() {
        assert_eq!(sigmoid(0.0), 0.5);
        // σ(x) + σ(−x) = 1 (exact identity; 1e-16 for rounding).
        for x in [0.3, 1.7, 12.0] {
            assert!((sigmoid(x) + sigmoid(-x) - 1.0).abs() < 1e-16, "{x}");
        }
        // Far left tail: σ(x) = eˣ/(1 + eˣ) to relative precision (no cancellation).
        let x = -40.0f64;
        let exact = x.exp() / (1.0 + x.exp());
        assert!((sigmoid(x) / exact - 1.0).abs() < 4.0 * f64::EPSILON);
        assert_eq!(sigmoid(-1e4), 0.0);
        assert_eq!(sigmoid(1e4), 1.0);
        assert!(sigmoid(f64::NAN).is_nan());
    }

    fn poly<S: Scalar>(x: S) -> S {
        // 1 - 3x + x^2 / 2, written with constants on both sides.
        x.rsub(1.0) - x.clone() * 2.0 + x.powi(2) / 2.0
    }

    #[test]
    fn f64_and_dual_agree_on_value_and_derivative() {
        let x = 1.7;
        assert_eq!(poly(x), 1.0 - 3.0 * x + x * x / 2.0);
        let d = poly(Dual64::from(x).derivative());
        assert!((d.eps - (x - 3.0)).abs() < 1e-14);
        let h = poly(HyperDual64::from(x).derivative1().derivative2());
        assert!((h.eps1eps2 - 1.0).abs() < 1e-14);
    }

    #[test]
    fn signum_and_abs_follow_conventions() {
        assert_eq!(Scalar::signum(&0.0f64), 0.0);
        assert_eq!(Scalar::signum(&-2.0f64), -1.0);
        assert!(Scalar::signum(&f64::NAN).is_nan());
        let z = Scalar::abs(&Dual64::from(0.0).derivative());
        assert_eq!(z.eps, 0.0);
        let n = Scalar::abs(&Dual64::from(-2.0).derivative());
        assert_eq!((n.re, n.eps), (2.0, -1.0));
    }

    #[test]
    fn min_max_select_first_on_ties() {
        assert_eq!(Scalar::min(&1.0f64, &2.0), 1.0);
        assert_eq!(Scalar::max(&1.0f64, &2.0), 2.0);
        let a = Dual64::from(1.0).derivative();
        let b = Dual64::from(1.0);
        assert_eq!(Scalar::min(&a, &b).eps, 1.0);
        assert_eq!(Scalar::max(&a, &b).eps, 1.0);
    }

    #[test]
    fn hypot_is_safe_at_extremes() {
        assert_eq!(Scalar::hypot(&3e300f64, &4e300), 5e300);
        assert_eq!(Scalar::hypot(&0.0f64, &0.0), 0.0);
        let d = Scalar::hypot(&Dual64::from(3.0).derivative(), &Dual64::from(4.0));
        assert!((d.re - 5.0).abs() < 1e-15 && (d.eps - 0.6).abs() < 1e-15);
    }
}
