//! The tape variable [`Var`]: a `Copy` handle (value, node index, tape tag) whose arithmetic
//! records nodes on the thread's active tape.

use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use std::thread::LocalKey;

use num_dual::Dual64;

use super::arena::{TapeData, NONE};
use crate::derivatives::{self as rules, Elementary};
use crate::scalar::{RealScalar, Scalar};

/// Value types a tape can record: `f64` for gradients, [`Dual64`] for forward-over-reverse
/// Hessian–vector products. Each has its own thread-local active-tape slot.
pub trait TapeValue: RealScalar + Elementary + Copy + 'static {
    /// The thread-local slot holding the active tape for this value type.
    #[doc(hidden)]
    fn active_slot() -> &'static LocalKey<Cell<*mut TapeData<Self>>>;
    /// Exact zero test used to skip nodes in the reverse sweep.
    #[doc(hidden)]
    fn is_zero_value(&self) -> bool;
    /// The zero of the type.
    #[doc(hidden)]
    fn zero_value() -> Self;
}

thread_local! {
    static ACTIVE_F64: Cell<*mut TapeData<f64>> = const { Cell::new(std::ptr::null_mut()) };
    static ACTIVE_DUAL64: Cell<*mut TapeData<Dual64>> = const { Cell::new(std::ptr::null_mut()) };
}

impl TapeValue for f64 {
    fn active_slot() -> &'static LocalKey<Cell<*mut TapeData<Self>>> {
        &ACTIVE_F64
    }
    #[inline(always)]
    fn is_zero_value(&self) -> bool {
        *self == 0.0
    }
    #[inline(always)]
    fn zero_value() -> Self {
        0.0
    }
}

impl TapeValue for Dual64 {
    fn active_slot() -> &'static LocalKey<Cell<*mut TapeData<Self>>> {
        &ACTIVE_DUAL64
    }
    #[inline(always)]
    fn is_zero_value(&self) -> bool {
        self.re == 0.0 && self.eps == 0.0
    }
    #[inline(always)]
    fn zero_value() -> Self {
        Dual64::from(0.0)
    }
}

#[cold]
#[inline(never)]
fn no_active_tape() -> ! {
    panic!(
        "diffhep tape: a Var operation was recorded with no active tape on this thread; \
         call `Tape::activate()` (or use `tape::gradient`) on the thread that does the arithmetic"
    )
}

#[cold]
#[inline(never)]
pub(crate) fn foreign_var(var_tag: u32, tape_tag: u32) -> ! {
    panic!(
        "diffhep tape: a Var from another tape or from before `Tape::clear()` was used \
         (variable tag {var_tag}, active tape tag {tape_tag}); variables are valid only on the \
         tape and generation that created them"
    )
}

/// Run `f` on the active tape of this thread for value type `T`.
#[inline(always)]
pub(crate) fn with_active<T: TapeValue, R>(f: impl FnOnce(&mut TapeData<T>) -> R) -> R {
    let p = T::active_slot().with(|c| c.get());
    if p.is_null() {
        no_active_tape();
    }
    // SAFETY: a non-null slot is set only by `ActiveTape`, which holds the unique borrow of the
    // tape's boxed storage for its whole lifetime and restores the previous pointer on drop. All
    // accesses during that lifetime go through this raw pointer, one at a time (recording does not
    // call user code), so no two mutable references coexist.
    unsafe { f(&mut *p) }
}

/// A variable on a reverse-mode tape: `Copy`, 16 bytes for `f64` (value, node index, tape tag).
///
/// Arithmetic on `Var`s records nodes on the thread's active tape (see [`super::Tape`]).
/// A `Var` made with [`Var::constant`] (or `Scalar::from_f64`) is not on any tape and records
/// nothing.
#[derive(Clone, Copy)]
pub struct Var<T: TapeValue = f64> {
    pub(crate) value: T,
    pub(crate) idx: u32,
    pub(crate) tag: u32,
}

impl<T: TapeValue> Var<T> {
    /// A constant: carries a value, records nothing, has zero derivative.
    #[inline(always)]
    pub fn constant(value: T) -> Self {
        Var {
            value,
            idx: NONE,
            tag: 0,
        }
    }

    /// The value (for `Var<f64>` the primal; for `Var<Dual64>` the value with its tangent).
    #[inline(always)]
    pub fn val(&self) -> T {
        self.value
    }

    /// True if this variable is a constant (not recorded on a tape).
    #[inline(always)]
    pub fn is_constant(&self) -> bool {
        self.idx == NONE
    }

    /// Node index on its tape (`None` for constants).
    pub fn index(&self) -> Option<usize> {
        (self.idx != NONE).then_some(self.idx as usize)
    }

    #[inline(always)]
    fn unary(self, value: T, d: T) -> Self {
        if self.idx == NONE {
            return Var::constant(value);
        }
        with_active::<T, _>(|t| {
            if self.tag != t.tag {
                foreign_var(self.tag, t.tag);
            }
            let idx = t.push([self.idx, NONE], [d, T::zero_value()]);
            Var {
                value,
                idx,
                tag: t.tag,
            }
        })
    }

    #[inline(always)]
    fn binary(self, other: Self, value: T, da: T, db: T) -> Self {
        match (self.idx == NONE, other.idx == NONE) {
            (true, true) => Var::constant(value),
            (false, true) => self.unary(value, da),
            (true, false) => other.unary(value, db),
            (false, false) => with_active::<T, _>(|t| {
                if self.tag != t.tag || other.tag != t.tag {
                    foreign_var(
                        if self.tag != t.tag {
                            self.tag
                        } else {
                            other.tag
                        },
                        t.tag,
                    );
                }
                let idx = t.push([self.idx, other.idx], [da, db]);
                Var {
                    value,
                    idx,
                    tag: t.tag,
                }
            }),
        }
    }
}

impl<T: TapeValue> fmt::Debug for Var<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.idx == NONE {
            write!(f, "Var({:?}, const)", self.value)
        } else {
            write!(f, "Var({:?}, #{})", self.value, self.idx)
        }
    }
}

impl<T: TapeValue> fmt::Display for Var<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.value)
    }
}

impl<T: TapeValue> PartialEq for Var<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value.value() == other.value.value()
    }
}

impl<T: TapeValue> PartialOrd for Var<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.value().partial_cmp(&other.value.value())
    }
}

impl<T: TapeValue> Add for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        let one = T::one();
        self.binary(rhs, self.value + rhs.value, one, one)
    }
}
impl<T: TapeValue> Sub for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Self {
        self.binary(rhs, self.value - rhs.value, T::one(), -T::one())
    }
}
impl<T: TapeValue> Mul for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        self.binary(rhs, self.value * rhs.value, rhs.value, self.value)
    }
}
impl<T: TapeValue> Div for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, rhs: Self) -> Self {
        let inv = rhs.value.recip();
        let y = self.value * inv;
        self.binary(rhs, y, inv, -(y * inv))
    }
}
impl<T: TapeValue> Neg for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.unary(-self.value, -T::one())
    }
}
impl<T: TapeValue> Add<f64> for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, rhs: f64) -> Self {
        self.unary(self.value + rhs, T::one())
    }
}
impl<T: TapeValue> Sub<f64> for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, rhs: f64) -> Self {
        self.unary(self.value - rhs, T::one())
    }
}
impl<T: TapeValue> Mul<f64> for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, rhs: f64) -> Self {
        self.unary(self.value * rhs, T::from_f64(rhs))
    }
}
impl<T: TapeValue> Div<f64> for Var<T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, rhs: f64) -> Self {
        let inv = 1.0 / rhs;
        self.unary(self.value * inv, T::from_f64(inv))
    }
}
impl<T: TapeValue> Add<Var<T>> for f64 {
    type Output = Var<T>;
    #[inline(always)]
    fn add(self, rhs: Var<T>) -> Var<T> {
        rhs + self
    }
}
impl<T: TapeValue> Sub<Var<T>> for f64 {
    type Output = Var<T>;
    #[inline(always)]
    fn sub(self, rhs: Var<T>) -> Var<T> {
        rhs.rsub(self)
    }
}
impl<T: TapeValue> Mul<Var<T>> for f64 {
    type Output = Var<T>;
    #[inline(always)]
    fn mul(self, rhs: Var<T>) -> Var<T> {
        rhs * self
    }
}
impl<T: TapeValue> Div<Var<T>> for f64 {
    type Output = Var<T>;
    #[inline(always)]
    fn div(self, rhs: Var<T>) -> Var<T> {
        rhs.rdiv(self)
    }
}

macro_rules! assign_ops {
    ($($tr:ident $m:ident $op:tt),*) => {$(
        impl<T: TapeValue> $tr for Var<T> {
            #[inline(always)]
            fn $m(&mut self, rhs: Self) { *self = *self $op rhs; }
        }
        impl<T: TapeValue> $tr<f64> for Var<T> {
            #[inline(always)]
            fn $m(&mut self, rhs: f64) { *self = *self $op rhs; }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl<T: TapeValue> Scalar for Var<T> {
    type Mask = bool;

    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        Var::constant(T::from_f64(x))
    }
    #[inline(always)]
    fn rsub(&self, lhs: f64) -> Self {
        self.unary(self.value.rsub(lhs), -T::one())
    }
    #[inline(always)]
    fn rdiv(&self, lhs: f64) -> Self {
        let inv = self.value.recip();
        let y = inv * lhs;
        self.unary(y, -(y * inv))
    }
    #[inline(always)]
    fn recip(&self) -> Self {
        let y = self.value.recip();
        self.unary(y, rules::d_recip(self.value, y))
    }
    #[inline(always)]
    fn sqrt(&self) -> Self {
        let y = self.value.sqrt();
        self.unary(y, rules::d_sqrt(self.value, y))
    }
    #[inline(always)]
    fn exp(&self) -> Self {
        let y = self.value.exp();
        self.unary(y, rules::d_exp(self.value, y))
    }
    #[inline(always)]
    fn ln(&self) -> Self {
        let y = self.value.ln();
        self.unary(y, rules::d_ln(self.value, y))
    }
    #[inline(always)]
    fn ln_1p(&self) -> Self {
        let y = self.value.ln_1p();
        self.unary(y, rules::d_ln_1p(self.value, y))
    }
    #[inline(always)]
    fn exp_m1(&self) -> Self {
        let y = self.value.exp_m1();
        self.unary(y, rules::d_exp_m1(self.value, y))
    }
    #[inline(always)]
    fn powi(&self, n: i32) -> Self {
        self.unary(self.value.powi(n), rules::d_powi(self.value, n))
    }
    #[inline(always)]
    fn powf(&self, n: f64) -> Self {
        self.unary(self.value.powf(n), rules::d_powf(self.value, n))
    }
    #[inline(always)]
    fn sin(&self) -> Self {
        let y = self.value.sin();
        self.unary(y, rules::d_sin(self.value, y))
    }
    #[inline(always)]
    fn cos(&self) -> Self {
        let y = self.value.cos();
        self.unary(y, rules::d_cos(self.value, y))
    }
    #[inline(always)]
    fn tan(&self) -> Self {
        let y = self.value.tan();
        self.unary(y, rules::d_tan(self.value, y))
    }
    #[inline(always)]
    fn asin(&self) -> Self {
        let y = self.value.asin();
        self.unary(y, rules::d_asin(self.value, y))
    }
    #[inline(always)]
    fn acos(&self) -> Self {
        let y = self.value.acos();
        self.unary(y, rules::d_acos(self.value, y))
    }
    #[inline(always)]
    fn atan(&self) -> Self {
        let y = self.value.atan();
        self.unary(y, rules::d_atan(self.value, y))
    }
    #[inline(always)]
    fn atan2(&self, x: &Self) -> Self {
        let (yv, xv) = (self.value, x.value);
        let (da, db) = rules::d_atan2(yv, xv);
        self.binary(*x, yv.atan2(&xv), da, db)
    }
    #[inline(always)]
    fn sinh(&self) -> Self {
        let y = self.value.sinh();
        self.unary(y, rules::d_sinh(self.value, y))
    }
    #[inline(always)]
    fn cosh(&self) -> Self {
        let y = self.value.cosh();
        self.unary(y, rules::d_cosh(self.value, y))
    }
    #[inline(always)]
    fn tanh(&self) -> Self {
        let y = self.value.tanh();
        self.unary(y, rules::d_tanh(self.value, y))
    }
    #[inline(always)]
    fn abs(&self) -> Self {
        let y = self.value.abs();
        self.unary(y, rules::d_abs(self.value, y))
    }
    #[inline(always)]
    fn hypot(&self, other: &Self) -> Self {
        let h = self.value.hypot(&other.value);
        let (da, db) = rules::d_hypot(self.value, other.value, h);
        self.binary(*other, h, da, db)
    }
    #[inline(always)]
    fn signum(&self) -> Self {
        Var::constant(self.value.signum())
    }
    #[inline(always)]
    fn lt_mask(&self, other: &Self) -> bool {
        self.value.value() < other.value.value()
    }
    #[inline(always)]
    fn le_mask(&self, other: &Self) -> bool {
        self.value.value() <= other.value.value()
    }
    #[inline(always)]
    fn select(mask: &bool, if_true: Self, if_false: Self) -> Self {
        if *mask {
            if_true
        } else {
            if_false
        }
    }
}

impl<T: TapeValue> RealScalar for Var<T> {
    #[inline(always)]
    fn value(&self) -> f64 {
        self.value.value()
    }
}
