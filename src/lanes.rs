//! Lane duals: forward mode vectorised across events.
//!
//! # Method
//! A [`LaneDual<N>`] holds one SIMD [`Block`] of [`LANES`] values — one lane per event — and `N`
//! tangent blocks, one per seeded direction (a parameter or an event variable). Every operation
//! applies the chain rule lane-wise: `f(x)` gives `f(x.re)` and `f'(x.re) · x.eps[k]` for each
//! tangent `k`, all as whole-block SIMD instructions. So one pass over a block of 8 events yields
//! 8 values and 8·N directional derivatives, with every intermediate in registers: no tape, no
//! memory traffic per operation. This is the best engine for *few* derivatives over *many*
//! events (fit gradients, phase-space Jacobians); for many parameters use the batched tape
//! ([`crate::tape::BatchTape`]). [`crate::batch`] picks between them.
//!
//! Blocks are explicit `wide::f64x8` vectors rather than loops over lanes that the compiler may
//! or may not vectorise (`docs/design.md`, "Performance notes for the tape"); tangents are a
//! const-generic array, so loops over them are unrolled. [`Lanes`] (= `LaneDual<0>`) is the plain
//! f64 block without tangents, for fused primal passes. [`LaneDual2<N>`] adds the second-order
//! part (the N×N Hessian block) for exact Hessians of event sums.
//!
//! `LaneDual` implements [`Scalar`](crate::Scalar) with `Mask` = [`LaneMask`] (lane-wise comparisons, `select`,
//! `min`, `max`), so simulator code written against `Scalar` runs on it unchanged; it does not
//! implement [`crate::RealScalar`] (no single primal value). The elementary functions are the
//! vectorised kernels of [`math`] (accuracy: within [`math::MAX_ULP`] ulp of `f64`, tested).
//!
//! ```
//! use diffhep::lanes::{LaneDual, LANES};
//! use diffhep::Scalar;
//! // d/da Σ (a·xᵢ)² over 8 events at once, a = 2.
//! let x = LaneDual::<1>::from_lanes([1., 2., 3., 4., 5., 6., 7., 8.]);
//! let a = LaneDual::<1>::variable(2.0, 0);
//! let y = (a * x).powi(2);
//! let dy: f64 = y.tangent(0).iter().sum();
//! assert_eq!(dy, 2.0 * 2.0 * (1..=LANES).map(|i| (i * i) as f64).sum::<f64>());
//! ```
//!
//! # Fast without build flags
//! A [`Block`] is 8 `f64` lanes whose operations are plain per-lane loops
//! (`#[inline(always)]`); how wide the machine instructions are depends on the function they are
//! inlined into. The batch API ([`crate::batch`]) runs its kernels through [`crate::simd`], which
//! picks at run time the widest path the CPU has (AVX-512, AVX2+FMA, or the portable SSE2
//! baseline), so a default `cargo build --release` gets the fast path. Code that drives lane duals
//! itself wraps its loop: `diffhep::simd::dispatch(#[inline(always)] || my_loop(..))`, and keeps
//! the functions it calls inlinable (`#[inline(always)]` on generic helpers in the hot path;
//! a function that is not inlined still runs, as portable code). Every path computes the same
//! bits (no fused multiply–add). `DIFFHEP_SIMD=portable|avx2|avx512` forces a path.
//! See `docs/lanes.md` for measured numbers.

mod block;
pub mod math;
mod second;

use std::array;
use std::fmt;

pub use second::LaneDual2;

pub use block::Block;

/// Lanes (events) per block.
pub const LANES: usize = 8;

/// A block of plain `f64` values without tangents (the fused primal).
pub type Lanes = LaneDual<0>;

/// Load up to [`LANES`] values into a block. Lanes past the end of `src` repeat its last value
/// (so a padded lane computes on a real event, never on garbage); an empty slice gives zeros.
/// Extra values beyond [`LANES`] are ignored.
#[inline(always)]
pub fn load_block(src: &[f64]) -> Block {
    if src.len() >= LANES {
        let a: [f64; LANES] = src[..LANES].try_into().expect("length checked");
        return Block::from(a);
    }
    let pad = src.last().copied().unwrap_or(0.0);
    let mut a = [pad; LANES];
    a[..src.len()].copy_from_slice(src);
    Block::from(a)
}

/// `[f(0), …, f(N−1)]`, built by a plain loop over a `zero`-initialised array. Unlike
/// `std::array::from_fn` (whose generic internals LLVM may leave as out-of-line calls), this
/// always inlines, so the chain rule over tangents is compiled into each SIMD path's kernel
/// ([`crate::simd`]).
#[inline(always)]
pub(crate) fn fill<T: Copy, const N: usize>(zero: T, f: impl Fn(usize) -> T) -> [T; N] {
    let mut a = [zero; N];
    for (k, slot) in a.iter_mut().enumerate() {
        *slot = f(k);
    }
    a
}

/// `x`, unchanged, with its value hidden from the optimizer (`std::hint::black_box`).
///
/// Lane duals are built with constant tangents: zeros for event data, a one in the seeded
/// direction for variables. Left visible, those constants invite LLVM to fold them lane by lane
/// into the chain rule, and its SLP vectorizer then rebuilds the half-constant blocks from
/// scalar pieces with shuffles and blends: measured on e+e-→μ+μ-, the fit-gradient kernel
/// ran at 5.0 ns/event (AVX-512) instead of 3.0 with the tangents hidden. The data constructors
/// ([`LaneDual::load`], [`LaneDual::from_lanes`], [`LaneDual::variable_block`] and their
/// [`LaneDual2`] counterparts) and the batch kernels pass their tangent blocks through this, so
/// every operation stays a whole-block vector instruction. Costs a store and a load per block;
/// the numbers are unchanged.
#[inline(always)]
pub fn opaque<T>(x: T) -> T {
    std::hint::black_box(x)
}

/// A lane mask: the result of a lane-wise comparison of lane duals (all bits set = true).
#[derive(Clone, Copy)]
pub struct LaneMask(pub Block);

impl LaneMask {
    /// The mask as one `bool` per lane.
    pub fn to_array(&self) -> [bool; LANES] {
        let bits = self.0.to_bitmask();
        array::from_fn(|i| bits >> i & 1 == 1)
    }

    /// A mask whose first `n` lanes are true (the valid lanes of a tail block).
    pub fn first(n: usize) -> Self {
        let a: [f64; LANES] = fill(0.0, |i| if i < n { f64::from_bits(!0) } else { 0.0 });
        LaneMask(Block::from(a))
    }
}

impl fmt::Debug for LaneMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LaneMask({:?})", self.to_array())
    }
}

/// Forward-mode dual number over a block of [`LANES`] events: a value block and `N` tangent
/// blocks. See the [module documentation](self).
#[derive(Clone, Copy, Debug)]
pub struct LaneDual<const N: usize> {
    /// Values, one lane per event.
    pub re: Block,
    /// Tangents: `eps[k]` holds the derivative along seeded direction `k` in every lane.
    pub eps: [Block; N],
}

impl<const N: usize> LaneDual<N> {
    /// A value block with zero tangents (event data, constants).
    #[inline(always)]
    pub fn from_block(re: Block) -> Self {
        LaneDual {
            re,
            eps: [Block::ZERO; N],
        }
    }

    /// Per-lane values with zero tangents.
    #[inline(always)]
    pub fn from_lanes(values: [f64; LANES]) -> Self {
        Self::data(Block::from(values))
    }

    /// Event data: zero tangents, hidden from the optimizer ([`opaque`]).
    #[inline(always)]
    fn data(re: Block) -> Self {
        LaneDual {
            re,
            eps: opaque([Block::ZERO; N]),
        }
    }

    /// Up to [`LANES`] values with zero tangents, padded as [`load_block`].
    #[inline(always)]
    pub fn load(src: &[f64]) -> Self {
        Self::data(load_block(src))
    }

    /// A shared parameter broadcast to all lanes, seeded as direction `k` (tangent 1 there).
    ///
    /// # Panics
    /// If `k >= N` (like an out-of-range index).
    #[inline(always)]
    pub fn variable(value: f64, k: usize) -> Self {
        Self::variable_block(Block::splat(value), k)
    }

    /// Per-event variables (one per lane), seeded as direction `k`.
    ///
    /// # Panics
    /// If `k >= N`.
    #[inline(always)]
    pub fn variable_block(re: Block, k: usize) -> Self {
        assert!(k < N, "lane dual has {N} tangents, direction {k} requested");
        let mut eps = [Block::ZERO; N];
        eps[k] = Block::splat(1.0);
        LaneDual {
            re,
            eps: opaque(eps),
        }
    }

    /// Values per lane.
    pub fn value(&self) -> [f64; LANES] {
        self.re.to_array()
    }

    /// Tangent `k` per lane.
    ///
    /// # Panics
    /// If `k >= N`.
    pub fn tangent(&self, k: usize) -> [f64; LANES] {
        self.eps[k].to_array()
    }
}

/// The chain-rule interface shared by the lane dual types; one generic implementation of every
/// operation (see `impl_lane_scalar!`) runs on each of them.
pub(crate) trait LaneJet: Copy {
    /// The value block.
    fn re(&self) -> Block;
    /// Replace the value block, keeping the derivative parts (reuse of seeded inputs).
    fn set_re(&mut self, re: Block);
    /// A constant (zero derivative parts).
    fn constant_block(re: Block) -> Self;
    /// Apply a linear map to the value and every derivative part.
    fn map_parts(&self, f: impl Fn(Block) -> Block) -> Self;
    /// Combine value and derivative parts of two numbers by a linear map.
    fn zip_parts(&self, other: &Self, f: impl Fn(Block, Block) -> Block) -> Self;
    /// Add a constant to the value only.
    fn shift(&self, k: Block) -> Self;
    /// Chain rule for a unary function.
    fn chain<F: FnOnce() -> Block>(&self, u: math::Unary<F>) -> Self;
    /// Chain rule for a binary function.
    fn chain2<F: FnOnce() -> [Block; 3]>(&self, other: &Self, b: math::Binary<F>) -> Self;
    /// Lane-wise choice of the value and all derivative parts.
    fn pick(mask: Block, if_true: &Self, if_false: &Self) -> Self;
    /// Number of parts: value, first derivatives (and second derivatives, row-major).
    const PARTS: usize;
    /// A number with value block `re` seeded (derivative 1) along every direction `k` with
    /// `dirs[k]` true.
    fn seeded(re: Block, dirs: &[bool]) -> Self;
    /// Add the sum over lanes of each part to `out[part]` (`out.len() == PARTS`), in a fixed
    /// order for a given build.
    fn add_lane_sums(&self, out: &mut [f64]);
}

impl<const N: usize> LaneJet for LaneDual<N> {
    #[inline(always)]
    fn re(&self) -> Block {
        self.re
    }
    #[inline(always)]
    fn set_re(&mut self, re: Block) {
        self.re = re;
    }
    #[inline(always)]
    fn constant_block(re: Block) -> Self {
        Self::from_block(re)
    }
    #[inline(always)]
    fn map_parts(&self, f: impl Fn(Block) -> Block) -> Self {
        LaneDual {
            re: f(self.re),
            eps: fill(Block::ZERO, |k| f(self.eps[k])),
        }
    }
    #[inline(always)]
    fn zip_parts(&self, other: &Self, f: impl Fn(Block, Block) -> Block) -> Self {
        LaneDual {
            re: f(self.re, other.re),
            eps: fill(Block::ZERO, |k| f(self.eps[k], other.eps[k])),
        }
    }
    #[inline(always)]
    fn shift(&self, k: Block) -> Self {
        LaneDual {
            re: self.re + k,
            eps: self.eps,
        }
    }
    #[inline(always)]
    fn chain<F: FnOnce() -> Block>(&self, u: math::Unary<F>) -> Self {
        LaneDual {
            re: u.f,
            eps: fill(Block::ZERO, |k| self.eps[k] * u.d1),
        }
    }
    #[inline(always)]
    fn chain2<F: FnOnce() -> [Block; 3]>(&self, other: &Self, b: math::Binary<F>) -> Self {
        LaneDual {
            re: b.f,
            eps: fill(Block::ZERO, |k| {
                self.eps[k].mul_add(b.da, other.eps[k] * b.db)
            }),
        }
    }
    #[inline(always)]
    fn pick(mask: Block, if_true: &Self, if_false: &Self) -> Self {
        LaneDual {
            re: mask.select(if_true.re, if_false.re),
            eps: fill(Block::ZERO, |k| {
                mask.select(if_true.eps[k], if_false.eps[k])
            }),
        }
    }
    const PARTS: usize = 1 + N;
    #[inline(always)]
    fn seeded(re: Block, dirs: &[bool]) -> Self {
        LaneDual {
            re,
            eps: fill(Block::ZERO, |k| {
                if dirs[k] {
                    Block::splat(1.0)
                } else {
                    Block::ZERO
                }
            }),
        }
    }
    fn add_lane_sums(&self, out: &mut [f64]) {
        out[0] += self.re.reduce_add();
        for k in 0..N {
            out[1 + k] += self.eps[k].reduce_add();
        }
    }
}

/// Operators and the [`Scalar`] impl for a lane dual type `$t<const N>` implementing `LaneJet`.
macro_rules! impl_lane_scalar {
    ($t:ident) => {
        impl<const N: usize> std::ops::Add for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.zip_parts(&o, |a, b| a + b)
            }
        }
        impl<const N: usize> std::ops::Sub for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.zip_parts(&o, |a, b| a - b)
            }
        }
        impl<const N: usize> std::ops::Mul for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.chain2(&o, $crate::lanes::math::mul(self.re(), o.re()))
            }
        }
        impl<const N: usize> std::ops::Div for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self.chain2(&o, $crate::lanes::math::div(self.re(), o.re()))
            }
        }
        impl<const N: usize> std::ops::Neg for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                self.map_parts(|a| -a)
            }
        }
        impl<const N: usize> std::ops::Add<f64> for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn add(self, k: f64) -> Self {
                self.shift(Block::splat(k))
            }
        }
        impl<const N: usize> std::ops::Sub<f64> for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn sub(self, k: f64) -> Self {
                self.shift(Block::splat(-k))
            }
        }
        impl<const N: usize> std::ops::Mul<f64> for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn mul(self, k: f64) -> Self {
                let k = Block::splat(k);
                self.map_parts(|a| a * k)
            }
        }
        impl<const N: usize> std::ops::Div<f64> for $t<N> {
            type Output = Self;
            #[inline(always)]
            fn div(self, k: f64) -> Self {
                let k = Block::splat(k);
                self.map_parts(|a| a / k)
            }
        }
        impl<const N: usize> std::ops::Add<$t<N>> for f64 {
            type Output = $t<N>;
            #[inline(always)]
            fn add(self, x: $t<N>) -> $t<N> {
                x + self
            }
        }
        impl<const N: usize> std::ops::Sub<$t<N>> for f64 {
            type Output = $t<N>;
            #[inline(always)]
            fn sub(self, x: $t<N>) -> $t<N> {
                $crate::Scalar::rsub(&x, self)
            }
        }
        impl<const N: usize> std::ops::Mul<$t<N>> for f64 {
            type Output = $t<N>;
            #[inline(always)]
            fn mul(self, x: $t<N>) -> $t<N> {
                x * self
            }
        }
        impl<const N: usize> std::ops::Div<$t<N>> for f64 {
            type Output = $t<N>;
            #[inline(always)]
            fn div(self, x: $t<N>) -> $t<N> {
                $crate::Scalar::rdiv(&x, self)
            }
        }
        impl_lane_scalar!(@assign $t, AddAssign add_assign +, SubAssign sub_assign -,
            MulAssign mul_assign *, DivAssign div_assign /);

        impl<const N: usize> $crate::Scalar for $t<N> {
            type Mask = $crate::lanes::LaneMask;

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                Self::constant_block(Block::splat(x))
            }
            #[inline(always)]
            fn rsub(&self, lhs: f64) -> Self {
                self.map_parts(|a| -a).shift(Block::splat(lhs))
            }
            #[inline(always)]
            fn rdiv(&self, lhs: f64) -> Self {
                let k = Block::splat(lhs);
                self.chain($crate::lanes::math::recip(self.re())).map_parts(|a| a * k)
            }
            #[inline(always)]
            fn recip(&self) -> Self {
                self.chain($crate::lanes::math::recip(self.re()))
            }
            #[inline(always)]
            fn sqrt(&self) -> Self {
                self.chain($crate::lanes::math::sqrt(self.re()))
            }
            #[inline(always)]
            fn exp(&self) -> Self {
                self.chain($crate::lanes::math::exp(self.re()))
            }
            #[inline(always)]
            fn ln(&self) -> Self {
                self.chain($crate::lanes::math::ln(self.re()))
            }
            #[inline(always)]
            fn ln_1p(&self) -> Self {
                self.chain($crate::lanes::math::ln_1p(self.re()))
            }
            #[inline(always)]
            fn exp_m1(&self) -> Self {
                self.chain($crate::lanes::math::exp_m1(self.re()))
            }
            #[inline(always)]
            fn powi(&self, n: i32) -> Self {
                self.chain($crate::lanes::math::powi(self.re(), n))
            }
            #[inline(always)]
            fn powf(&self, n: f64) -> Self {
                self.chain($crate::lanes::math::powf(self.re(), n))
            }
            #[inline(always)]
            fn sin(&self) -> Self {
                self.chain($crate::lanes::math::sin(self.re()))
            }
            #[inline(always)]
            fn cos(&self) -> Self {
                self.chain($crate::lanes::math::cos(self.re()))
            }
            #[inline(always)]
            fn tan(&self) -> Self {
                self.chain($crate::lanes::math::tan(self.re()))
            }
            #[inline(always)]
            fn asin(&self) -> Self {
                self.chain($crate::lanes::math::asin(self.re()))
            }
            #[inline(always)]
            fn acos(&self) -> Self {
                self.chain($crate::lanes::math::acos(self.re()))
            }
            #[inline(always)]
            fn atan(&self) -> Self {
                self.chain($crate::lanes::math::atan(self.re()))
            }
            #[inline(always)]
            fn atan2(&self, x: &Self) -> Self {
                self.chain2(x, $crate::lanes::math::atan2(self.re(), x.re()))
            }
            #[inline(always)]
            fn sinh(&self) -> Self {
                self.chain($crate::lanes::math::sinh(self.re()))
            }
            #[inline(always)]
            fn cosh(&self) -> Self {
                self.chain($crate::lanes::math::cosh(self.re()))
            }
            #[inline(always)]
            fn tanh(&self) -> Self {
                self.chain($crate::lanes::math::tanh(self.re()))
            }
            #[inline(always)]
            fn abs(&self) -> Self {
                self.chain($crate::lanes::math::abs(self.re()))
            }
            #[inline(always)]
            fn hypot(&self, other: &Self) -> Self {
                self.chain2(other, $crate::lanes::math::hypot(self.re(), other.re()))
            }
            #[inline(always)]
            fn signum(&self) -> Self {
                Self::constant_block($crate::lanes::math::signum(self.re()))
            }
            #[inline(always)]
            fn lt_mask(&self, other: &Self) -> $crate::lanes::LaneMask {
                $crate::lanes::LaneMask(self.re().simd_lt(other.re()))
            }
            #[inline(always)]
            fn le_mask(&self, other: &Self) -> $crate::lanes::LaneMask {
                $crate::lanes::LaneMask(self.re().simd_le(other.re()))
            }
            #[inline(always)]
            fn select(mask: &$crate::lanes::LaneMask, if_true: Self, if_false: Self) -> Self {
                Self::pick(mask.0, &if_true, &if_false)
            }
        }
    };
    (@assign $t:ident, $($tr:ident $m:ident $op:tt),*) => {
        $(
            impl<const N: usize> std::ops::$tr for $t<N> {
                #[inline(always)]
                fn $m(&mut self, o: Self) {
                    *self = *self $op o;
                }
            }
            impl<const N: usize> std::ops::$tr<f64> for $t<N> {
                #[inline(always)]
                fn $m(&mut self, o: f64) {
                    *self = *self $op o;
                }
            }
        )*
    };
}
pub(crate) use impl_lane_scalar;

impl_lane_scalar!(LaneDual);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scalar;

    #[test]
    fn tail_load_repeats_last_value_and_mask_marks_valid_lanes() {
        let b = load_block(&[1.0, 2.0, 3.0]).to_array();
        assert_eq!(b, [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]);
        assert_eq!(load_block(&[]).to_array(), [0.0; LANES]);
        let m = LaneMask::first(3).to_array();
        assert_eq!(m, [true, true, true, false, false, false, false, false]);
    }

    #[test]
    fn product_rule_and_select_per_lane() {
        // d/dx (x·y) = y, d/dy = x, lane by lane (closed form).
        let x = LaneDual::<2>::variable_block(Block::from([1., 2., 3., 4., 5., 6., 7., 8.]), 0);
        let y = LaneDual::<2>::variable(3.0, 1);
        let p = x * y;
        assert_eq!(p.tangent(0), [3.0; LANES]);
        assert_eq!(p.tangent(1), x.value());
        let m = x.lt_mask(&LaneDual::from_f64(4.5));
        let s = LaneDual::select(&m, x, y);
        assert_eq!(s.value(), [1., 2., 3., 4., 3., 3., 3., 3.]);
        assert_eq!(s.tangent(0), [1., 1., 1., 1., 0., 0., 0., 0.]);
        let mn = Scalar::min(&x, &y);
        assert_eq!(mn.value(), [1., 2., 3., 3., 3., 3., 3., 3.]);
        // Tie at lane 2 (x = y = 3): the first argument's derivative is passed.
        assert_eq!(mn.tangent(0), [1., 1., 1., 0., 0., 0., 0., 0.]);
    }

    #[test]
    fn scalar_ops_with_constants_on_both_sides() {
        let x = LaneDual::<1>::variable(2.0, 0);
        let y = 1.0 - x * 3.0 + 4.0 / x + (x - 0.5) / 2.0;
        // y = 1 − 3x + 4/x + (x − 0.5)/2; y(2) = −2.25, y'(2) = −3 − 1 + 0.5 = −3.5.
        assert_eq!(y.value()[0], -2.25);
        assert_eq!(y.tangent(0)[0], -3.5);
    }
}
