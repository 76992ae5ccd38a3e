//! Tests against closed forms: weighted linear least squares and the square root.

use super::*;
use crate::error::DimensionMismatch;
use crate::gradcheck::ridders;
use crate::tape::Tape;
use num_dual::{Dual2_64, Dual64, HyperDual64};

/// Design matrix of a 4-point, 2-parameter weighted least-squares problem.
const A: [[f64; 2]; 4] = [[1.0, 0.5], [1.0, -1.0], [0.3, 2.0], [-1.2, 0.7]];
/// θ = (b₀..b₃, w₀..w₃).
const THETA: [f64; 8] = [0.4, -1.1, 2.3, 0.8, 1.0, 2.5, 0.7, 1.6];

/// L(x; b, w) = ½ Σ w_k (a_kᵀx − b_k)².
struct Wls;
impl Objective for Wls {
    fn objective<S: RealScalar>(&self, x: &[S], t: &[S]) -> S {
        let mut l = S::zero();
        for (k, a) in A.iter().enumerate() {
            let r = x[0].clone() * a[0] + x[1].clone() * a[1] - t[k].clone();
            l += t[4 + k].clone() * r.clone() * r * 0.5;
        }
        l
    }
}

/// The normal equations F = Aᵀ W (A x − b) as a root problem.
struct WlsNormal;
impl ImplicitSystem for WlsNormal {
    fn residual<S: RealScalar>(&self, x: &[S], t: &[S]) -> Vec<S> {
        let mut f = vec![S::zero(), S::zero()];
        for (k, a) in A.iter().enumerate() {
            let r = x[0].clone() * a[0] + x[1].clone() * a[1] - t[k].clone();
            let wr = t[4 + k].clone() * r;
            f[0] += wr.clone() * a[0];
            f[1] += wr * a[1];
        }
        f
    }
}

/// Closed form x* = (AᵀWA)⁻¹AᵀWb with dx/db_k = M⁻¹ a_k w_k and dx/dw_k = M⁻¹ a_k (b_k − a_kᵀx*)
/// (differentiate the normal equations; e.g. Björck, *Numerical Methods for Least Squares
/// Problems*, SIAM 1996, §1.1).
fn closed_form(t: &[f64]) -> (DVector<f64>, DMatrix<f64>) {
    let a = DMatrix::from_fn(4, 2, |i, j| A[i][j]);
    let w = DMatrix::from_diagonal(&DVector::from_column_slice(&t[4..]));
    let b = DVector::from_column_slice(&t[..4]);
    let m_inv = (a.transpose() * &w * &a).try_inverse().unwrap();
    let x = &m_inv * a.transpose() * &w * &b;
    let mut jac = DMatrix::zeros(2, 8);
    for k in 0..4 {
        let ak = DVector::from_row_slice(&A[k]);
        let col_b = &m_inv * &ak * t[4 + k];
        let col_w = &m_inv * &ak * (t[k] - ak.dot(&x));
        jac.set_column(k, &col_b);
        jac.set_column(4 + k, &col_w);
    }
    (x, jac)
}

fn solution() -> Vec<f64> {
    closed_form(&THETA).0.iter().copied().collect()
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: {a} vs {b} (tol {tol})"
    );
}

#[test]
fn closed_form_derivatives_match_ridders() {
    let (_, jac) = closed_form(&THETA);
    for j in 0..8 {
        for i in 0..2 {
            let (fd, err) = ridders(
                |h| {
                    let mut t = THETA;
                    t[j] = h;
                    closed_form(&t).0[i]
                },
                THETA[j],
                1e-2,
            );
            assert!(err < 1e-9, "Ridders error estimate {err}");
            assert_close(jac[(i, j)], fd, 1e-8, "closed form vs Ridders");
        }
    }
}

#[test]
fn argmin_least_squares_matches_closed_form() {
    let x = solution();
    let lin = Linearization::of_argmin(&Wls, &x, &THETA, &ImplicitOptions::default()).unwrap();
    assert_eq!(lin.factor().kind(), SolveKind::Cholesky);
    assert!(lin.factor().condition() >= 1.0);
    let (_, exact) = closed_form(&THETA);
    let jac = lin.jacobian();
    for i in 0..2 {
        for j in 0..8 {
            assert_close(jac[(i, j)], exact[(i, j)], 1e-12, "argmin dx/dθ");
        }
    }
}

#[test]
fn root_least_squares_matches_closed_form_jvp_and_vjp() {
    let x = solution();
    let lin = Linearization::of_root(&WlsNormal, &x, &THETA, &ImplicitOptions::default()).unwrap();
    assert_eq!(lin.factor().kind(), SolveKind::Lu);
    let (_, exact) = closed_form(&THETA);
    let dtheta = [0.3, -0.2, 0.5, 1.0, -0.7, 0.1, 0.4, -0.9];
    let jvp = lin.jvp(&dtheta).unwrap();
    for (i, v) in jvp.iter().enumerate() {
        let e: f64 = (0..8).map(|j| exact[(i, j)] * dtheta[j]).sum();
        assert_close(*v, e, 1e-12, "jvp");
    }
    let xbar = [1.5, -0.25];
    let vjp = lin.vjp(&xbar).unwrap();
    for (j, v) in vjp.iter().enumerate() {
        let e = exact[(0, j)] * xbar[0] + exact[(1, j)] * xbar[1];
        assert_close(*v, e, 1e-12, "vjp");
    }
}

#[test]
fn tape_custom_nodes_give_closed_form_gradient() {
    let x = solution();
    let lin = Linearization::of_argmin(&Wls, &x, &THETA, &ImplicitOptions::default()).unwrap();
    let (_, exact) = closed_form(&THETA);
    let mut tape = Tape::new();
    let t = tape.activate();
    let th = t.vars(&THETA);
    let xs = lin.record(&t, &th).unwrap();
    // loss = x0² + 3 x1, so dloss/dθ = 2 x0 dx0/dθ + 3 dx1/dθ.
    let loss = xs[0] * xs[0] + xs[1] * 3.0;
    let adj = t.gradient(loss).unwrap();
    for (j, v) in th.iter().enumerate() {
        let e = 2.0 * x[0] * exact[(0, j)] + 3.0 * exact[(1, j)];
        assert_close(adj.get(*v), e, 1e-12, "tape gradient");
    }
}

#[test]
fn lift_on_tape_matches_closed_form() {
    let x = solution();
    let lin = Linearization::of_root(&WlsNormal, &x, &THETA, &ImplicitOptions::default()).unwrap();
    let (_, exact) = closed_form(&THETA);
    let mut tape = Tape::new();
    let t = tape.activate();
    let th = t.vars(&THETA);
    let xs = lift(&WlsNormal, &lin, &th, 1).unwrap();
    let adj = t.gradient(xs[1]).unwrap();
    for (j, v) in th.iter().enumerate() {
        assert_close(adj.get(*v), exact[(1, j)], 1e-12, "lift on tape");
    }
}

/// x² − y = 0 with x* = √y.
struct Sqrt;
impl ImplicitSystem for Sqrt {
    fn residual<S: RealScalar>(&self, x: &[S], t: &[S]) -> Vec<S> {
        vec![x[0].clone() * x[0].clone() - t[0].clone()]
    }
}

#[test]
fn square_root_first_and_second_derivatives() {
    let y = 2.7f64;
    let lin =
        Linearization::of_root(&Sqrt, &[y.sqrt()], &[y], &ImplicitOptions::default()).unwrap();
    // d√y/dy = 1/(2√y), d²√y/dy² = −1/(4 y^{3/2}).
    let d1 = 0.5 / y.sqrt();
    let d2 = -0.25 / y.powf(1.5);
    assert_close(lin.jacobian()[(0, 0)], d1, 1e-15, "jacobian");
    let x = lift(&Sqrt, &lin, &[Dual64::from(y).derivative()], 1).unwrap();
    assert_close(x[0].re, y.sqrt(), 1e-15, "value");
    assert_close(x[0].eps, d1, 1e-15, "Dual64");
    let x2 = lift(&Sqrt, &lin, &[Dual2_64::from(y).derivative()], 2).unwrap();
    assert_close(x2[0].v1, d1, 1e-14, "Dual2 first");
    assert_close(x2[0].v2, d2, 1e-14, "Dual2 second");
    let xh = lift(
        &Sqrt,
        &lin,
        &[HyperDual64::from(y).derivative1().derivative2()],
        2,
    )
    .unwrap();
    assert_close(xh[0].eps1eps2, d2, 1e-14, "HyperDual second");
}

#[test]
fn one_step_is_not_enough_for_second_order() {
    // The chord-Newton argument: k steps are exact to order k. With one step the second
    // derivative is wrong — checks that the step count matters.
    let y = 2.7f64;
    let lin =
        Linearization::of_root(&Sqrt, &[y.sqrt()], &[y], &ImplicitOptions::default()).unwrap();
    let x = lift(&Sqrt, &lin, &[Dual2_64::from(y).derivative()], 1).unwrap();
    let d2 = -0.25 / y.powf(1.5);
    assert!((x[0].v2 - d2).abs() > 1e-3 * d2.abs());
}

/// Two copies of the same equation: ∂F/∂x is exactly singular.
struct Degenerate {
    eps: f64,
}
impl ImplicitSystem for Degenerate {
    fn residual<S: RealScalar>(&self, x: &[S], t: &[S]) -> Vec<S> {
        vec![
            x[0].clone() + x[1].clone() - t[0].clone(),
            x[0].clone() + x[1].clone() * (1.0 + self.eps) - t[0].clone(),
        ]
    }
}

#[test]
fn singular_system_is_an_error() {
    let e = Linearization::of_root(
        &Degenerate { eps: 0.0 },
        &[0.5, 0.5],
        &[1.0],
        &ImplicitOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, ImplicitError::Singular { .. }), "{e}");
    assert!(e.to_string().contains("singular"));
}

#[test]
fn ill_conditioned_system_reports_the_estimate() {
    // [[1, 1], [1, 1 + ε]] has 1-norm condition (2 + ε)²/ε ≈ 4/ε.
    let eps = 1e-13;
    let opts = ImplicitOptions::default();
    let e = Linearization::of_root(&Degenerate { eps }, &[1.0, 0.0], &[1.0], &opts).unwrap_err();
    match e {
        ImplicitError::IllConditioned {
            condition,
            max_condition,
        } => {
            assert_eq!(max_condition, 1e12);
            assert!((condition * eps / 4.0 - 1.0).abs() < 1e-2, "{condition}");
        }
        other => panic!("expected IllConditioned, got {other}"),
    }
    // A looser, configurable threshold accepts it, with the exact derivative dx/dθ = (1, 0).
    let loose = ImplicitOptions {
        max_condition: 1e15,
        ..opts
    };
    let lin = Linearization::of_root(&Degenerate { eps }, &[1.0, 0.0], &[1.0], &loose).unwrap();
    let j = lin.jacobian();
    assert!((j[(0, 0)] - 1.0).abs() < 1e-2 && j[(1, 0)].abs() < 1e-2);
}

/// L = x₀² − x₁² + θ x₀: a saddle, not a minimum.
struct Saddle;
impl Objective for Saddle {
    fn objective<S: RealScalar>(&self, x: &[S], t: &[S]) -> S {
        x[0].clone() * x[0].clone() - x[1].clone() * x[1].clone() + t[0].clone() * x[0].clone()
    }
}

#[test]
fn saddle_point_is_not_a_minimum() {
    let e = Linearization::of_argmin(&Saddle, &[-0.5, 0.0], &[1.0], &ImplicitOptions::default())
        .unwrap_err();
    assert_eq!(e, ImplicitError::NotPositiveDefinite { min_diagonal: -2.0 });
}

#[test]
fn unconverged_point_is_rejected() {
    let e = Linearization::of_root(&Sqrt, &[1.6], &[2.7], &ImplicitOptions::default()).unwrap_err();
    match e {
        ImplicitError::NotASolution { residual_norm, .. } => {
            assert!((residual_norm - (2.7f64 - 2.56).abs()).abs() < 1e-12)
        }
        other => panic!("expected NotASolution, got {other}"),
    }
}

#[test]
fn bad_inputs_are_errors() {
    let opts = ImplicitOptions::default();
    let e = Linearization::of_root(&Sqrt, &[f64::NAN], &[2.0], &opts).unwrap_err();
    assert!(matches!(
        e,
        ImplicitError::NonFinite {
            what: "x",
            index: 0,
            ..
        }
    ));
    let lin = Linearization::of_root(&Sqrt, &[2f64.sqrt()], &[2.0], &opts).unwrap();
    assert!(matches!(
        lin.jvp(&[1.0, 2.0]),
        Err(ImplicitError::Dimensions(DimensionMismatch {
            expected: 1,
            got: 2,
            ..
        }))
    ));
    assert!(matches!(
        lin.vjp(&[]),
        Err(ImplicitError::Dimensions(DimensionMismatch {
            expected: 1,
            got: 0,
            ..
        }))
    ));
    let e = lift(&Sqrt, &lin, &[Dual64::from(3.0)], 1).unwrap_err();
    assert!(matches!(e, ImplicitError::ThetaMismatch { index: 0, .. }));
    // Two unknowns but one equation.
    let e = Linearization::of_root(&Sqrt, &[1.0, 1.0], &[1.0], &opts).unwrap_err();
    assert!(matches!(
        e,
        ImplicitError::Dimensions(DimensionMismatch {
            expected: 2,
            got: 1,
            ..
        })
    ));
}
