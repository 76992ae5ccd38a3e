//! A small complex number type over any [`Scalar`], for amplitudes.
//!
//! `num-complex` needs `num_traits::Num` of its component type, which tape and batch variables do
//! not implement, so diffhep has its own: just the operations helicity amplitudes use. The
//! derivative of a real function of complex intermediates (such as |M|²) flows through the real
//! and imaginary parts as through any other `Scalar` arithmetic.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use crate::scalar::Scalar;

/// `re + i·im` with components of type `S`.
#[derive(Clone, Debug, PartialEq)]
pub struct Complex<S> {
    /// Real part.
    pub re: S,
    /// Imaginary part.
    pub im: S,
}

impl<S: Scalar> Complex<S> {
    /// From real and imaginary parts.
    #[inline]
    pub fn new(re: S, im: S) -> Self {
        Complex { re, im }
    }
    /// A real number.
    #[inline]
    pub fn real(re: S) -> Self {
        Complex { re, im: S::zero() }
    }
    /// 0.
    #[inline]
    pub fn zero() -> Self {
        Complex::real(S::zero())
    }
    /// 1.
    #[inline]
    pub fn one() -> Self {
        Complex::real(S::one())
    }
    /// The imaginary unit.
    #[inline]
    pub fn i() -> Self {
        Complex {
            re: S::zero(),
            im: S::one(),
        }
    }
    /// `cos φ + i sin φ`.
    #[inline]
    pub fn from_phase(phi: &S) -> Self {
        Complex {
            re: phi.cos(),
            im: phi.sin(),
        }
    }
    /// Complex conjugate.
    #[inline]
    pub fn conj(&self) -> Self {
        Complex {
            re: self.re.clone(),
            im: -self.im.clone(),
        }
    }
    /// |z|².
    #[inline]
    pub fn norm_sqr(&self) -> S {
        self.re.clone() * self.re.clone() + self.im.clone() * self.im.clone()
    }
    /// |z|.
    #[inline]
    pub fn abs(&self) -> S {
        self.re.hypot(&self.im)
    }
    /// Multiply by a real scalar.
    #[inline]
    pub fn scale(&self, k: &S) -> Self {
        Complex {
            re: self.re.clone() * k.clone(),
            im: self.im.clone() * k.clone(),
        }
    }
    /// Multiply by a real constant.
    #[inline]
    pub fn scale_f64(&self, k: f64) -> Self {
        Complex {
            re: self.re.clone() * k,
            im: self.im.clone() * k,
        }
    }
    /// Multiply by i.
    #[inline]
    pub fn mul_i(&self) -> Self {
        Complex {
            re: -self.im.clone(),
            im: self.re.clone(),
        }
    }
    /// 1 / z.
    #[inline]
    pub fn recip(&self) -> Self {
        let d = self.norm_sqr().recip();
        Complex {
            re: self.re.clone() * d.clone(),
            im: -self.im.clone() * d,
        }
    }
}

impl<S: Scalar> Add for Complex<S> {
    type Output = Self;
    #[inline]
    fn add(self, o: Self) -> Self {
        Complex {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
}
impl<S: Scalar> AddAssign for Complex<S> {
    #[inline]
    fn add_assign(&mut self, o: Self) {
        *self = self.clone() + o;
    }
}
impl<S: Scalar> Sub for Complex<S> {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        Complex {
            re: self.re - o.re,
            im: self.im - o.im,
        }
    }
}
impl<S: Scalar> Neg for Complex<S> {
    type Output = Self;
    #[inline]
    fn neg(self) -> Self {
        Complex {
            re: -self.re,
            im: -self.im,
        }
    }
}
impl<S: Scalar> Mul for Complex<S> {
    type Output = Self;
    #[inline]
    fn mul(self, o: Self) -> Self {
        Complex {
            re: self.re.clone() * o.re.clone() - self.im.clone() * o.im.clone(),
            im: self.re * o.im + self.im * o.re,
        }
    }
}
impl<S: Scalar> Div for Complex<S> {
    type Output = Self;
    #[allow(clippy::suspicious_arithmetic_impl)]
    #[inline]
    fn div(self, o: Self) -> Self {
        self * o.recip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scalar_fn, ScalarFn};

    #[test]
    fn field_identities() {
        let a = Complex::new(1.5, -2.0);
        let b = Complex::new(-0.5, 0.25);
        let p = a.clone() * b.clone();
        assert_eq!(
            (p.re, p.im),
            (1.5 * -0.5 + 2.0 * 0.25, 1.5 * 0.25 + 2.0 * 0.5)
        );
        let q = p / b.clone();
        assert!((q.re - a.re).abs() < 1e-15 && (q.im - a.im).abs() < 1e-15);
        assert_eq!(a.norm_sqr(), 6.25);
        assert_eq!(a.abs(), 2.5);
        assert_eq!(Complex::<f64>::i().mul_i(), Complex::new(-1.0, 0.0));
        assert_eq!((a.clone() * a.conj()).im, 0.0);
    }

    // |1/(s − m² + i m Γ)|², the Breit–Wigner, through complex arithmetic.
    scalar_fn!(Bw, |x: &[S]| {
        let z = Complex::new(
            x[0].clone() - x[1].clone() * x[1].clone(),
            x[1].clone() * x[2].clone(),
        );
        z.recip().norm_sqr()
    });

    #[test]
    fn breit_wigner_derivatives() {
        diffhep_gradcheck(&[8000.0, 91.2, 2.5]);
        let (s, m, w): (f64, f64, f64) = (8000.0, 91.2, 2.5);
        let v: f64 = Bw.eval(&[s, m, w]);
        assert!((v - 1.0 / ((s - m * m).powi(2) + m * m * w * w)).abs() < 1e-22);
    }

    fn diffhep_gradcheck(x: &[f64]) {
        crate::gradcheck::assert_gradient(&Bw, x);
    }
}
