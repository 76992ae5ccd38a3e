//! The SIMD block: eight `f64` lanes, written as plain per-lane loops.
//!
//! # Why loops and not a SIMD crate's vector type
//! A vector type from a SIMD crate (`wide`, `safe_arch`) fixes its machine instructions when the
//! crate is *compiled*: in a default build (x86-64 baseline, SSE2) an 8-lane operation is four
//! 2-lane instructions for ever, even on a CPU with AVX-512. [`Block`] instead states each
//! operation as a loop over its 8 lanes with no cross-lane dependence, marked
//! `#[inline(always)]`. LLVM turns such loops into whatever vector instructions the *enclosing
//! function* is compiled for: four SSE2 instructions in portable code, two AVX2 instructions
//! inside a function compiled with `#[target_feature(enable = "avx2")]`, one AVX-512 instruction
//! inside an AVX-512 function. [`crate::simd`] provides those functions and picks one at run
//! time, so one binary runs the fast path the CPU has.
//!
//! # Results do not depend on the path
//! Every operation here is a correctly rounded IEEE operation per lane (`+ − × ÷ √`, compares,
//! bit masks), and a multiply–add is an unfused multiply then add (no `fma` contraction), so a
//! block computes bit for bit the same numbers on every path. The transcendental kernels
//! (`exp`, `ln`, `sin_cos`, …) are the `wide` crate's vectorised polynomial approximations,
//! entered through a conversion ([`Block::via_wide`]): the same code, and so the same bits, on
//! every path (they run as 2-lane vector code on all paths; the arithmetic around them is what
//! the dispatch widens).

use std::ops::{
    Add, AddAssign, BitAnd, BitAndAssign, BitOr, Div, DivAssign, Mul, MulAssign, Neg, Not, Sub,
    SubAssign,
};

use super::LANES;

/// One SIMD block: an `f64` per lane. Masks (results of comparisons) are blocks whose lanes are
/// all-ones (true) or all-zeros (false) bit patterns.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Block(Repr);

/// The storage: an LLVM vector of 8 doubles where the platform names one (so values stay in
/// vector registers and each lane loop below is re-vectorised operation by operation), else an
/// array.
#[cfg(target_arch = "x86_64")]
type Repr = std::arch::x86_64::__m512d;
#[cfg(not(target_arch = "x86_64"))]
type Repr = [f64; LANES];

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Block({:?})", self.as_array())
    }
}

impl PartialEq for Block {
    fn eq(&self, o: &Self) -> bool {
        self.as_array() == o.as_array()
    }
}

/// All bits set: a true mask lane.
const TRUE_BITS: u64 = !0;

/// Methods that apply one of the `wide` crate's unary kernels lane-wise (see the module
/// documentation: the same code, so the same bits, on every dispatch path).
macro_rules! wide_unary {
    ($($name:ident: $doc:literal,)*) => {
        $(
            #[doc = $doc]
            #[inline(always)]
            pub fn $name(self) -> Self {
                self.via_wide(|x| x.$name())
            }
        )*
    };
}

impl Block {
    /// All lanes zero.
    // SAFETY: `Repr` is 8 `f64`s (64 bytes) for which every bit pattern is valid.
    pub const ZERO: Block =
        Block(unsafe { std::mem::transmute::<[f64; LANES], Repr>([0.0; LANES]) });

    /// A block from its lanes.
    #[inline(always)]
    const fn new(a: [f64; LANES]) -> Self {
        // SAFETY: as for `ZERO`.
        Block(unsafe { std::mem::transmute::<[f64; LANES], Repr>(a) })
    }

    /// The same value in every lane.
    #[inline(always)]
    pub fn splat(x: f64) -> Self {
        Block::new([x; LANES])
    }

    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f64; LANES] {
        // SAFETY: as for `ZERO`.
        unsafe { std::mem::transmute::<Repr, [f64; LANES]>(self.0) }
    }

    /// The lanes as an array reference.
    #[inline(always)]
    pub fn as_array(&self) -> &[f64; LANES] {
        // SAFETY: `Block` is `repr(transparent)` over 64 bytes of `f64` lanes, aligned at least
        // as strictly as `[f64; 8]`.
        unsafe { &*(self as *const Block as *const [f64; LANES]) }
    }

    /// Apply `f` to every lane.
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        let a = self.to_array();
        let mut r = [0.0; LANES];
        for i in 0..LANES {
            r[i] = f(a[i]);
        }
        Block::new(r)
    }

    /// Combine two blocks lane by lane.
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let (a, b) = (self.to_array(), o.to_array());
        let mut r = [0.0; LANES];
        for i in 0..LANES {
            r[i] = f(a[i], b[i]);
        }
        Block::new(r)
    }

    /// Combine the bit patterns of two blocks lane by lane.
    #[inline(always)]
    fn zip_bits(self, o: Self, f: impl Fn(u64, u64) -> u64) -> Self {
        self.zip(o, |a, b| f64::from_bits(f(a.to_bits(), b.to_bits())))
    }

    /// A mask from a lane-wise predicate.
    #[inline(always)]
    fn mask_of(self, o: Self, p: impl Fn(f64, f64) -> bool) -> Self {
        self.zip(o, |a, b| {
            f64::from_bits(if p(a, b) { TRUE_BITS } else { 0 })
        })
    }

    /// Lane-wise `self == o` as a mask.
    #[inline(always)]
    pub fn simd_eq(self, o: Self) -> Self {
        self.mask_of(o, |a, b| a == b)
    }

    /// Lane-wise `self < o` as a mask.
    #[inline(always)]
    pub fn simd_lt(self, o: Self) -> Self {
        self.mask_of(o, |a, b| a < b)
    }

    /// Lane-wise `self <= o` as a mask.
    #[inline(always)]
    pub fn simd_le(self, o: Self) -> Self {
        self.mask_of(o, |a, b| a <= b)
    }

    /// Lane-wise `self > o` as a mask.
    #[inline(always)]
    pub fn simd_gt(self, o: Self) -> Self {
        self.mask_of(o, |a, b| a > b)
    }

    /// Lane-wise `self >= o` as a mask.
    #[inline(always)]
    pub fn simd_ge(self, o: Self) -> Self {
        self.mask_of(o, |a, b| a >= b)
    }

    /// Mask of NaN lanes.
    #[inline(always)]
    pub fn is_nan(self) -> Self {
        self.mask_of(self, |a, b| a != b)
    }

    /// Mask of ±∞ lanes.
    #[inline(always)]
    pub fn is_inf(self) -> Self {
        self.abs().simd_eq(Block::splat(f64::INFINITY))
    }

    /// Mask of finite lanes (neither NaN nor ±∞).
    #[inline(always)]
    pub fn is_finite(self) -> Self {
        self.abs().simd_lt(Block::splat(f64::INFINITY))
    }

    /// For a mask: lane-wise `if self { t } else { f }` (a bit blend).
    #[inline(always)]
    pub fn select(self, t: Self, f: Self) -> Self {
        let (m, t, f) = (self.to_array(), t.to_array(), f.to_array());
        let mut r = [0.0; LANES];
        for i in 0..LANES {
            let m = m[i].to_bits();
            r[i] = f64::from_bits((t[i].to_bits() & m) | (f[i].to_bits() & !m));
        }
        Block::new(r)
    }

    /// For a mask: one bit per lane (lane i → bit i), from the lanes' sign bits.
    #[inline(always)]
    pub fn to_bitmask(self) -> u32 {
        let mut bits = 0;
        for (i, x) in self.to_array().into_iter().enumerate() {
            bits |= ((x.to_bits() >> 63) as u32) << i;
        }
        bits
    }

    /// For a mask: true if every lane is true.
    #[inline(always)]
    pub fn all(self) -> bool {
        self.to_bitmask() == (1 << LANES) - 1
    }

    /// For a mask: true if any lane is true.
    #[inline(always)]
    pub fn any(self) -> bool {
        self.to_bitmask() != 0
    }

    /// Lane-wise square root (correctly rounded).
    #[inline(always)]
    pub fn sqrt(self) -> Self {
        self.map(f64::sqrt)
    }

    /// Lane-wise absolute value (clears the sign bit).
    #[inline(always)]
    pub fn abs(self) -> Self {
        self.map(f64::abs)
    }

    /// Lane-wise maximum as `f64::max` (a NaN lane yields the other operand).
    #[inline(always)]
    pub fn max(self, o: Self) -> Self {
        self.zip(o, f64::max)
    }

    /// Lane-wise minimum as `f64::min` (a NaN lane yields the other operand).
    #[inline(always)]
    pub fn min(self, o: Self) -> Self {
        self.zip(o, f64::min)
    }

    /// `self · m + a`, rounded twice (multiply, then add) on every path, never fused.
    #[inline(always)]
    pub fn mul_add(self, m: Self, a: Self) -> Self {
        self * m + a
    }

    /// Sum of the lanes in a fixed pairwise order: `((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))`.
    #[inline(always)]
    pub fn reduce_add(self) -> f64 {
        let l = self.to_array();
        let s = [l[0] + l[4], l[1] + l[5], l[2] + l[6], l[3] + l[7]];
        let t = [s[0] + s[2], s[1] + s[3]];
        t[0] + t[1]
    }

    /// Apply one of the `wide` crate's vectorised kernels (see the module documentation).
    #[inline(always)]
    fn via_wide(self, f: impl Fn(wide::f64x8) -> wide::f64x8) -> Self {
        Block::new(f(wide::f64x8::from(self.to_array())).to_array())
    }

    wide_unary! {
        exp: "Lane-wise `eˣ`.",
        ln: "Lane-wise natural logarithm.",
        ln_1p: "Lane-wise `ln(1 + x)`.",
        exp_m1: "Lane-wise `eˣ − 1`.",
        sin: "Lane-wise sine.",
        cos: "Lane-wise cosine.",
        asin: "Lane-wise arcsine.",
        acos: "Lane-wise arccosine.",
        atan: "Lane-wise arctangent.",
        sinh: "Lane-wise hyperbolic sine.",
        cosh: "Lane-wise hyperbolic cosine.",
        tanh: "Lane-wise hyperbolic tangent.",
    }

    /// Lane-wise `(sin x, cos x)`.
    #[inline(always)]
    pub fn sin_cos(self) -> (Self, Self) {
        let (s, c) = wide::f64x8::from(self.to_array()).sin_cos();
        (Block::new(s.to_array()), Block::new(c.to_array()))
    }

    /// Lane-wise `atan2(self, x)` (self = y).
    #[inline(always)]
    pub fn atan2(self, x: Self) -> Self {
        let x = wide::f64x8::from(x.to_array());
        self.via_wide(|y| y.atan2(x))
    }

    /// Lane-wise `self^y` for a general exponent (the kernel behind `powf`).
    #[inline(always)]
    pub fn powf_simd(self, y: Self) -> Self {
        let y = wide::f64x8::from(y.to_array());
        self.via_wide(|x| x.powf_simd(y))
    }
}

impl From<[f64; LANES]> for Block {
    #[inline(always)]
    fn from(a: [f64; LANES]) -> Self {
        Block::new(a)
    }
}

macro_rules! lane_op {
    ($tr:ident $m:ident $atr:ident $am:ident $op:tt) => {
        impl $tr for Block {
            type Output = Block;
            #[inline(always)]
            fn $m(self, o: Block) -> Block {
                self.zip(o, |a, b| a $op b)
            }
        }
        impl $tr<f64> for Block {
            type Output = Block;
            #[inline(always)]
            fn $m(self, k: f64) -> Block {
                self.map(|a| a $op k)
            }
        }
        impl $atr for Block {
            #[inline(always)]
            fn $am(&mut self, o: Block) {
                *self = *self $op o;
            }
        }
    };
}

lane_op!(Add add AddAssign add_assign +);
lane_op!(Sub sub SubAssign sub_assign -);
lane_op!(Mul mul MulAssign mul_assign *);
lane_op!(Div div DivAssign div_assign /);

impl Neg for Block {
    type Output = Block;
    #[inline(always)]
    fn neg(self) -> Block {
        self.map(|a| -a)
    }
}

impl BitAnd for Block {
    type Output = Block;
    #[inline(always)]
    fn bitand(self, o: Block) -> Block {
        self.zip_bits(o, |a, b| a & b)
    }
}

impl BitAndAssign for Block {
    #[inline(always)]
    fn bitand_assign(&mut self, o: Block) {
        *self = *self & o;
    }
}

impl BitOr for Block {
    type Output = Block;
    #[inline(always)]
    fn bitor(self, o: Block) -> Block {
        self.zip_bits(o, |a, b| a | b)
    }
}

impl Not for Block {
    type Output = Block;
    #[inline(always)]
    fn not(self) -> Block {
        self.map(|a| f64::from_bits(!a.to_bits()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_select_and_reduce() {
        let a = Block::from([1., -2., f64::NAN, 4., f64::INFINITY, -0.0, 7., 8.]);
        let b = Block::splat(3.0);
        assert_eq!(a.simd_lt(b).to_bitmask(), 0b0010_0011);
        assert_eq!(a.is_nan().to_bitmask(), 0b0000_0100);
        assert_eq!(a.is_inf().to_bitmask(), 0b0001_0000);
        assert_eq!(a.is_finite().to_bitmask(), 0b1110_1011);
        assert!(!a.is_finite().all() && a.is_nan().any());
        let s = a.simd_gt(b).select(a, b).to_array();
        assert_eq!(s, [3., 3., 3., 4., f64::INFINITY, 3., 7., 8.]);
        // f64::max semantics: a NaN lane gives the other operand.
        assert_eq!(a.max(b).to_array()[2], 3.0);
        let r = Block::from([1., 2., 3., 4., 5., 6., 7., 8.]).reduce_add();
        assert_eq!(r, 36.0);
        assert_eq!((!Block::ZERO).to_bitmask(), 0xff);
    }
}
