//! Forward mode: thin helpers over num-dual for functions written against [`Scalar`].
//!
//! Dual numbers (Clifford 1873; for AD see Griewank & Walther 2008, ch. 3) carry a value and
//! tangents through the computation, so one evaluation gives the derivative along every seeded
//! direction. The number types and their arithmetic are num-dual's; these helpers only seed the
//! inputs and unpack the results for our [`ScalarFn`]/[`VectorFn`] functions.
//!
//! | helper | num-dual type | cost |
//! | --- | --- | --- |
//! | [`derivative`] | `Dual64` | 1 evaluation |
//! | [`gradient`] | `DualDVec64` (runtime n) | 1 evaluation with n tangents |
//! | [`gradient_fixed`] | `DualSVec64<N>` (stack) | 1 evaluation with N tangents |
//! | [`jacobian`] | `DualDVec64` | 1 evaluation |
//! | [`hessian`] | `Dual2DVec64` | 1 evaluation with n + n² parts |
//!
//! [`Scalar`]: crate::Scalar

use nalgebra::{DMatrix, DVector, SVector};
use num_dual::{Dual64, DualDVec64, DualSVec64, DualStruct};

use crate::function::{ScalarFn, VectorFn};

/// Value and derivative of a one-dimensional function (`f` evaluated at `[x]`).
pub fn derivative<F: ScalarFn>(f: &F, x: f64) -> (f64, f64) {
    let y = f.eval(&[Dual64::from(x).derivative()]);
    (y.re, y.eps)
}

/// Value and gradient with runtime-sized dual numbers.
pub fn gradient<F: ScalarFn>(f: &F, x: &[f64]) -> (f64, Vec<f64>) {
    let xv = DVector::from_column_slice(x);
    let (v, g) = num_dual::gradient(|xd: DVector<DualDVec64>| f.eval(xd.as_slice()), &xv);
    (v, g.iter().copied().collect())
}

/// Value and gradient with stack-allocated duals of compile-time size `N` (fastest for few inputs).
pub fn gradient_fixed<F: ScalarFn, const N: usize>(f: &F, x: &[f64; N]) -> (f64, [f64; N]) {
    let xv = SVector::<f64, N>::from(*x);
    let (v, g) = num_dual::gradient(|xd: SVector<DualSVec64<N>, N>| f.eval(xd.as_slice()), &xv);
    (v, g.into())
}

/// Values and Jacobian (rows = outputs).
pub fn jacobian<F: VectorFn>(f: &F, x: &[f64]) -> (Vec<f64>, DMatrix<f64>) {
    let n = x.len();
    let seeded: Vec<DualDVec64> = (0..n)
        .map(|i| {
            let mut e = DVector::zeros(n);
            e[i] = 1.0;
            DualDVec64::new(x[i], num_dual::Derivative::some(e))
        })
        .collect();
    let ys = f.eval(&seeded);
    let mut jac = DMatrix::zeros(ys.len(), n);
    for (i, y) in ys.iter().enumerate() {
        let g = y.eps.clone().unwrap_generic(nalgebra::Dyn(n), nalgebra::U1);
        for j in 0..n {
            jac[(i, j)] = g[j];
        }
    }
    (ys.iter().map(|y| y.re()).collect(), jac)
}

/// Value, gradient and exact Hessian by second-order dual numbers.
pub fn hessian<F: ScalarFn>(f: &F, x: &[f64]) -> (f64, Vec<f64>, DMatrix<f64>) {
    let xv = DVector::from_column_slice(x);
    let (v, g, h) = num_dual::hessian(
        |xd: DVector<num_dual::Dual2DVec64>| f.eval(xd.as_slice()),
        &xv,
    );
    let n = x.len();
    (
        v,
        g.iter().copied().collect(),
        DMatrix::from_fn(n, n, |i, j| h[(i, j)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scalar_fn, vector_fn};

    scalar_fn!(Rosen, |x: &[S]| {
        let a = x[0].rsub(1.0);
        let b = x[1].clone() - x[0].clone() * x[0].clone();
        a.clone() * a + b.clone() * b * 100.0
    });
    vector_fn!(Polar, |x: &[S]| vec![x[0].hypot(&x[1]), x[1].atan2(&x[0])]);

    #[test]
    fn rosenbrock_closed_form() {
        let (x, y) = (0.3, -0.7);
        let (v, g) = gradient(&Rosen, &[x, y]);
        let exact = [
            -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
            200.0 * (y - x * x),
        ];
        assert!((v - ((1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x))).abs() < 1e-12);
        assert!((g[0] - exact[0]).abs() < 1e-12 && (g[1] - exact[1]).abs() < 1e-12);
        let (_, gf) = gradient_fixed(&Rosen, &[x, y]);
        assert_eq!(gf[0], g[0]);
        let (_, _, h) = hessian(&Rosen, &[x, y]);
        assert!((h[(0, 0)] - (2.0 - 400.0 * (y - 3.0 * x * x))).abs() < 1e-10);
        assert!((h[(0, 1)] + 400.0 * x).abs() < 1e-12 && (h[(1, 1)] - 200.0).abs() < 1e-12);
    }

    #[test]
    fn polar_jacobian_closed_form() {
        let (x, y) = (3.0, 4.0);
        let (v, j) = jacobian(&Polar, &[x, y]);
        assert!((v[0] - 5.0).abs() < 1e-15);
        let r2 = 25.0;
        assert!((j[(0, 0)] - 0.6).abs() < 1e-15 && (j[(0, 1)] - 0.8).abs() < 1e-15);
        assert!((j[(1, 0)] + y / r2).abs() < 1e-15 && (j[(1, 1)] - x / r2).abs() < 1e-15);
        scalar_fn!(Cube, |x: &[S]| x[0].powi(3));
        assert_eq!(derivative(&Cube, 2.0), (8.0, 12.0));
    }
}
