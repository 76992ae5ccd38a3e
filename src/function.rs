//! Functions written once and evaluated with any per-event number type.
//!
//! Rust closures cannot be generic over the number type, so a function that should run as `f64`,
//! dual numbers and tape variables is a small type implementing [`ScalarFn`] (scalar output) or
//! [`VectorFn`] (vector output). The [`scalar_fn!`](crate::scalar_fn) macro writes that type for
//! you:
//!
//! ```
//! use diffhep::{scalar_fn, Scalar};
//! // Invariant mass of (E, pz): sqrt(E² − pz²).
//! scalar_fn!(Mass, |p: &[S]| (p[0].clone() * p[0].clone() - p[1].clone() * p[1].clone()).sqrt());
//! use diffhep::ScalarFn;
//! assert_eq!(Mass.eval(&[5.0, 3.0]), 4.0);
//! ```

use crate::scalar::RealScalar;

/// A scalar function of a vector, generic over the number type.
pub trait ScalarFn {
    /// Evaluate at `x`.
    fn eval<S: RealScalar>(&self, x: &[S]) -> S;
}

/// A vector function of a vector, generic over the number type.
pub trait VectorFn {
    /// Evaluate at `x`.
    fn eval<S: RealScalar>(&self, x: &[S]) -> Vec<S>;
}

impl<F: ScalarFn> ScalarFn for &F {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        (**self).eval(x)
    }
}

impl<F: VectorFn> VectorFn for &F {
    fn eval<S: RealScalar>(&self, x: &[S]) -> Vec<S> {
        (**self).eval(x)
    }
}

/// Define a unit struct implementing [`ScalarFn`] from a closure-like expression whose argument
/// type names the generic number type: `scalar_fn!(Name, |x: &[S]| body)`.
#[macro_export]
macro_rules! scalar_fn {
    ($vis:vis $name:ident, |$x:ident : &[$s:ident]| $body:expr) => {
        #[doc = concat!("Generic scalar function `", stringify!($name), "` (made by `scalar_fn!`).")]
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;
        impl $crate::ScalarFn for $name {
            fn eval<$s: $crate::RealScalar>(&self, $x: &[$s]) -> $s {
                $body
            }
        }
    };
}

/// Define a unit struct implementing [`VectorFn`]: `vector_fn!(Name, |x: &[S]| vec![...])`.
#[macro_export]
macro_rules! vector_fn {
    ($vis:vis $name:ident, |$x:ident : &[$s:ident]| $body:expr) => {
        #[doc = concat!("Generic vector function `", stringify!($name), "` (made by `vector_fn!`).")]
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;
        impl $crate::VectorFn for $name {
            fn eval<$s: $crate::RealScalar>(&self, $x: &[$s]) -> Vec<$s> {
                $body
            }
        }
    };
}
