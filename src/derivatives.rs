//! The derivative rules of the elementary functions, each written once.
//!
//! Every engine that differentiates — the scalar tape ([`crate::tape::Var`]), the batched tape
//! ([`crate::tape::BVar`]), stochastic triples ([`crate::stochastic::Triple`]) and the lane duals
//! ([`crate::lanes::LaneDual`]) — needs `f'(x)` for each elementary function `f`. The rules here
//! give it from the argument `x` and, where that is cheaper, from the value `y = f(x)` the engine
//! has already computed (`exp' = y`, `tan' = 1 + y²`, …). They are generic over [`Elementary`],
//! the handful of operations the rules use, which `f64`, [`num_dual::Dual64`] (the value type of
//! forward-over-reverse tapes) and the SIMD block [`crate::lanes::Block`] implement; all rules are
//! `#[inline(always)]`, so each engine gets the same machine code as a hand-written formula (the
//! lane and batched kernels stay vectorised).
//!
//! Only first derivatives live here; the lane duals' second derivatives (for exact Hessians) are
//! in [`crate::lanes::math`]. The engines keep their own value kernels (`wide`'s polynomials for
//! lanes, `f64`'s libm otherwise).
//!
//! To add an elementary function: write its rule here, then call it from each engine's
//! recording/chain code.

use std::ops::{Add, Mul, Neg, Sub};

use num_dual::Dual64;

use crate::lanes::Block;
use crate::scalar::{signum_f64, RealScalar, Scalar};

/// The operations the derivative rules are written in. The method names are distinct from
/// [`Scalar`]'s so that code bounded by both traits stays unambiguous.
pub trait Elementary:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Mul<f64, Output = Self>
{
    /// `k` as a constant of this type.
    fn splat_f64(k: f64) -> Self;
    /// `1 / self`.
    fn reciprocal(self) -> Self;
    /// `√self`.
    fn square_root(self) -> Self;
    /// `sin self`.
    fn sine(self) -> Self;
    /// `cos self`.
    fn cosine(self) -> Self;
    /// `sinh self`.
    fn hyperbolic_sine(self) -> Self;
    /// `cosh self`.
    fn hyperbolic_cosine(self) -> Self;
    /// `self^n`, integer power.
    fn int_power(self, n: i32) -> Self;
    /// `self^n`, real power.
    fn real_power(self, n: f64) -> Self;
    /// `k − self`.
    fn subtracted_from(self, k: f64) -> Self;
    /// The slope of `|x|`: `+1` for positive, `−1` for negative and `0` at zero (each type keeps
    /// its own convention for NaN).
    fn abs_slope(self) -> Self;
    /// `1 / self`, or 0 where `self` is 0 (for derivatives taken as 0 at a singular point).
    fn reciprocal_or_zero(self) -> Self;
}

impl Elementary for f64 {
    #[inline(always)]
    fn splat_f64(k: f64) -> Self {
        k
    }
    #[inline(always)]
    fn reciprocal(self) -> Self {
        self.recip()
    }
    #[inline(always)]
    fn square_root(self) -> Self {
        self.sqrt()
    }
    #[inline(always)]
    fn sine(self) -> Self {
        self.sin()
    }
    #[inline(always)]
    fn cosine(self) -> Self {
        self.cos()
    }
    #[inline(always)]
    fn hyperbolic_sine(self) -> Self {
        self.sinh()
    }
    #[inline(always)]
    fn hyperbolic_cosine(self) -> Self {
        self.cosh()
    }
    #[inline(always)]
    fn int_power(self, n: i32) -> Self {
        self.powi(n)
    }
    #[inline(always)]
    fn real_power(self, n: f64) -> Self {
        self.powf(n)
    }
    #[inline(always)]
    fn subtracted_from(self, k: f64) -> Self {
        k - self
    }
    #[inline(always)]
    fn abs_slope(self) -> Self {
        signum_f64(self)
    }
    #[inline(always)]
    fn reciprocal_or_zero(self) -> Self {
        if self == 0.0 {
            0.0
        } else {
            self.recip()
        }
    }
}

impl Elementary for Dual64 {
    #[inline(always)]
    fn splat_f64(k: f64) -> Self {
        Dual64::from(k)
    }
    #[inline(always)]
    fn reciprocal(self) -> Self {
        Scalar::recip(&self)
    }
    #[inline(always)]
    fn square_root(self) -> Self {
        Scalar::sqrt(&self)
    }
    #[inline(always)]
    fn sine(self) -> Self {
        Scalar::sin(&self)
    }
    #[inline(always)]
    fn cosine(self) -> Self {
        Scalar::cos(&self)
    }
    #[inline(always)]
    fn hyperbolic_sine(self) -> Self {
        Scalar::sinh(&self)
    }
    #[inline(always)]
    fn hyperbolic_cosine(self) -> Self {
        Scalar::cosh(&self)
    }
    #[inline(always)]
    fn int_power(self, n: i32) -> Self {
        Scalar::powi(&self, n)
    }
    #[inline(always)]
    fn real_power(self, n: f64) -> Self {
        Scalar::powf(&self, n)
    }
    #[inline(always)]
    fn subtracted_from(self, k: f64) -> Self {
        Scalar::rsub(&self, k)
    }
    #[inline(always)]
    fn abs_slope(self) -> Self {
        Dual64::from(signum_f64(self.value()))
    }
    #[inline(always)]
    fn reciprocal_or_zero(self) -> Self {
        if self.value() == 0.0 {
            Dual64::from(0.0)
        } else {
            Scalar::recip(&self)
        }
    }
}

impl Elementary for Block {
    #[inline(always)]
    fn splat_f64(k: f64) -> Self {
        Block::splat(k)
    }
    #[inline(always)]
    fn reciprocal(self) -> Self {
        Block::splat(1.0) / self
    }
    #[inline(always)]
    fn square_root(self) -> Self {
        self.sqrt()
    }
    #[inline(always)]
    fn sine(self) -> Self {
        self.sin()
    }
    #[inline(always)]
    fn cosine(self) -> Self {
        self.cos()
    }
    #[inline(always)]
    fn hyperbolic_sine(self) -> Self {
        self.sinh()
    }
    #[inline(always)]
    fn hyperbolic_cosine(self) -> Self {
        self.cosh()
    }
    #[inline(always)]
    fn int_power(self, n: i32) -> Self {
        crate::lanes::math::powi_block(self, n)
    }
    #[inline(always)]
    fn real_power(self, n: f64) -> Self {
        crate::lanes::math::powf_block(self, n)
    }
    #[inline(always)]
    fn subtracted_from(self, k: f64) -> Self {
        Block::splat(k) - self
    }
    #[inline(always)]
    fn abs_slope(self) -> Self {
        let one = Block::splat(1.0);
        self.simd_gt(Block::ZERO)
            .select(one, self.simd_lt(Block::ZERO).select(-one, Block::ZERO))
    }
    #[inline(always)]
    fn reciprocal_or_zero(self) -> Self {
        self.simd_eq(Block::ZERO)
            .select(Block::ZERO, Block::splat(1.0) / self)
    }
}

/// `d/dx (1/x) = −y²` with `y = 1/x`.
#[inline(always)]
pub fn d_recip<T: Elementary>(_x: T, y: T) -> T {
    -(y * y)
}

/// `d/dx √x = 1 / (2y)` with `y = √x`.
#[inline(always)]
pub fn d_sqrt<T: Elementary>(_x: T, y: T) -> T {
    y.reciprocal() * 0.5
}

/// `d/dx eˣ = y`.
#[inline(always)]
pub fn d_exp<T: Elementary>(_x: T, y: T) -> T {
    y
}

/// `d/dx ln x = 1/x`.
#[inline(always)]
pub fn d_ln<T: Elementary>(x: T, _y: T) -> T {
    x.reciprocal()
}

/// `d/dx ln(1 + x) = 1/(x + 1)`.
#[inline(always)]
pub fn d_ln_1p<T: Elementary>(x: T, _y: T) -> T {
    (x + 1.0).reciprocal()
}

/// `d/dx (eˣ − 1) = y + 1`.
#[inline(always)]
pub fn d_exp_m1<T: Elementary>(_x: T, y: T) -> T {
    y + 1.0
}

/// `d/dx xⁿ = n xⁿ⁻¹` (exactly 0 for `n = 0`, also at `x = 0`).
#[inline(always)]
pub fn d_powi<T: Elementary>(x: T, n: i32) -> T {
    if n == 0 {
        T::splat_f64(0.0)
    } else {
        x.int_power(n - 1) * n as f64
    }
}

/// `d/dx xⁿ = n xⁿ⁻¹` for real `n` (exactly 0 for `n = 0`, also at `x = 0`).
#[inline(always)]
pub fn d_powf<T: Elementary>(x: T, n: f64) -> T {
    if n == 0.0 {
        T::splat_f64(0.0)
    } else {
        x.real_power(n - 1.0) * n
    }
}

/// `d/dx sin x = cos x`.
#[inline(always)]
pub fn d_sin<T: Elementary>(x: T, _y: T) -> T {
    x.cosine()
}

/// `d/dx cos x = −sin x`.
#[inline(always)]
pub fn d_cos<T: Elementary>(x: T, _y: T) -> T {
    -x.sine()
}

/// `d/dx tan x = 1 + y²` with `y = tan x`.
#[inline(always)]
pub fn d_tan<T: Elementary>(_x: T, y: T) -> T {
    y * y + 1.0
}

/// `d/dx asin x = 1/√(1 − x²)`.
#[inline(always)]
pub fn d_asin<T: Elementary>(x: T, _y: T) -> T {
    (x * x).subtracted_from(1.0).square_root().reciprocal()
}

/// `d/dx acos x = −1/√(1 − x²)`.
#[inline(always)]
pub fn d_acos<T: Elementary>(x: T, y: T) -> T {
    -d_asin(x, y)
}

/// `d/dx atan x = 1/(x² + 1)`.
#[inline(always)]
pub fn d_atan<T: Elementary>(x: T, _y: T) -> T {
    (x * x + 1.0).reciprocal()
}

/// `d/dx sinh x = cosh x`.
#[inline(always)]
pub fn d_sinh<T: Elementary>(x: T, _y: T) -> T {
    x.hyperbolic_cosine()
}

/// `d/dx cosh x = sinh x`.
#[inline(always)]
pub fn d_cosh<T: Elementary>(x: T, _y: T) -> T {
    x.hyperbolic_sine()
}

/// `d/dx tanh x = 1 − y²` with `y = tanh x`.
#[inline(always)]
pub fn d_tanh<T: Elementary>(_x: T, y: T) -> T {
    (y * y).subtracted_from(1.0)
}

/// `d/dx |x| = sign x` (0 at 0).
#[inline(always)]
pub fn d_abs<T: Elementary>(x: T, _y: T) -> T {
    x.abs_slope()
}

/// Partials `(∂/∂a, ∂/∂b)` of `atan2(a, b)` (`a` = y, `b` = x): `(b, −a) / (a² + b²)`.
#[inline(always)]
pub fn d_atan2<T: Elementary>(a: T, b: T) -> (T, T) {
    let r2 = (b * b + a * a).reciprocal();
    (b * r2, -(a * r2))
}

/// Partials `(∂/∂a, ∂/∂b)` of `h = hypot(a, b)`: `(a, b) / h`, taken as 0 at the origin.
#[inline(always)]
pub fn d_hypot<T: Elementary>(a: T, b: T, h: T) -> (T, T) {
    let inv = h.reciprocal_or_zero();
    (a * inv, b * inv)
}
