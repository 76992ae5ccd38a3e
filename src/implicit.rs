//! Implicit differentiation: derivatives of solutions of `F(x, θ) = 0` or `argmin_x L(x, θ)`.
//!
//! # Method
//! Let `x*(θ)` solve `F(x*, θ) = 0` (for a minimiser, `F = ∇ₓL`). If `F` is continuously
//! differentiable and `A = ∂F/∂x` is non-singular at the solution, the implicit function theorem
//! gives
//!
//! ```text
//! dx*/dθ = −A⁻¹ B,        A = ∂F/∂x (n×n),  B = ∂F/∂θ (n×p)
//! ```
//!
//! so the derivatives of the solution need only the solution itself and two Jacobians of `F` —
//! never the solver's iterations. Any solver can produce `x*` (Newton, Gauss–Newton, L-BFGS, a
//! closed form); this module supplies the derivatives (Blondel et al., *Efficient and Modular
//! Implicit Differentiation*, NeurIPS 2022, arXiv:2105.15183; Griewank & Walther, *Evaluating
//! Derivatives*, 2nd ed., SIAM 2008, ch. 15).
//!
//! - **Jacobians of `F`** come from forward mode (num-dual, through [`crate::forward`]): the user
//!   writes `F` (trait [`ImplicitSystem`]) or `L` (trait [`Objective`]) once, generic over
//!   [`RealScalar`]. For a minimiser, `A` and `B` are blocks of the Hessian of `L` in `(x, θ)`.
//! - **Linear solves** use nalgebra: Cholesky when `A` is a Hessian (argmin; a failure means the
//!   point is not a strict local minimum and is reported), LU otherwise. The 1-norm condition
//!   number `‖A‖₁ ‖A⁻¹‖₁` is computed and a singular or ill-conditioned `A` is an error that
//!   quotes it — never a pseudo-inverse or NaNs replaced by numbers.
//! - **Reverse mode (VJP)**: `θ̄ = −Bᵀ λ` with `Aᵀ λ = x̄` — one adjoint solve whatever the
//!   number of parameters ([`Linearization::vjp`]). On the tape, [`Linearization::record`]
//!   enters each `x*ᵢ` as a custom node ([`crate::tape::ActiveTape::custom`]) whose partials are
//!   the rows of `dx*/dθ`.
//! - **Forward mode (JVP)** with dual numbers of *any order*: [`lift`] starts from the converged
//!   `f64` solution and takes chord-Newton steps `x ← x − A⁻¹ F(x, θ)` in the dual arithmetic of
//!   `θ`, with the constant real matrix `A⁻¹`. Each step makes one more order of the Taylor
//!   expansion exact (the error `e` of the derivative parts obeys `e ← (I − A⁻¹A(x))e + O(e²)` and
//!   `A(x) − A = O(ε)`), so `k` steps give exact derivatives up to order `k` — first-order duals
//!   need one step, `Dual2`/`HyperDual` (Hessians through a solver) two.
//!
//! # When it is valid
//! The point handed in must be a solution: `‖F(x*, θ)‖∞` is checked against
//! [`ImplicitOptions::residual_tol`]. The derivative is as accurate as the solution (an error `δ`
//! in `x*` gives an error `O(δ)` in `dx*/dθ`), so converge tightly. `A` must be non-singular:
//! at a bifurcation, a degenerate minimum or a flat direction the solution is not a
//! differentiable function of `θ` and an error says so.
//!
//! ```
//! use diffhep::implicit::{ImplicitOptions, ImplicitSystem, Linearization, lift};
//! use diffhep::RealScalar;
//! use num_dual::Dual64;
//!
//! /// x² − y = 0, solved by any method: here x* = √y.
//! struct SquareRoot;
//! impl ImplicitSystem for SquareRoot {
//!     fn residual<S: RealScalar>(&self, x: &[S], theta: &[S]) -> Vec<S> {
//!         vec![x[0].clone() * x[0].clone() - theta[0].clone()]
//!     }
//! }
//! let y = 2.0f64;
//! let lin = Linearization::of_root(&SquareRoot, &[y.sqrt()], &[y], &ImplicitOptions::default()).unwrap();
//! assert!((lin.jacobian()[(0, 0)] - 0.5 / y.sqrt()).abs() < 1e-15);
//! let x = lift(&SquareRoot, &lin, &[Dual64::from(y).derivative()], 1).unwrap();
//! assert!((x[0].eps - 0.5 / y.sqrt()).abs() < 1e-15);
//! ```

use thiserror::Error;

use crate::error::DimensionMismatch;

use nalgebra::{DMatrix, DVector};

use crate::forward;
use crate::function::{ScalarFn, VectorFn};
use crate::scalar::RealScalar;
use crate::tape::{ActiveTape, Var};

/// A system of equations `F(x, θ) = 0` with as many equations as unknowns `x`, written once for
/// every number type.
pub trait ImplicitSystem {
    /// `F(x, θ)`; must return `x.len()` values.
    fn residual<S: RealScalar>(&self, x: &[S], theta: &[S]) -> Vec<S>;
}

/// An objective `L(x, θ)` whose minimiser over `x` is differentiated (`F = ∇ₓL`).
pub trait Objective {
    /// `L(x, θ)`.
    fn objective<S: RealScalar>(&self, x: &[S], theta: &[S]) -> S;
}

/// How the linear systems with `A = ∂F/∂x` are solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SolveKind {
    /// Cholesky factorisation, for symmetric positive definite `A` (Hessians at minima).
    Cholesky,
    /// LU factorisation with partial pivoting, for general `A`.
    Lu,
}

/// Checks applied before derivatives are trusted.
#[derive(Clone, Debug)]
pub struct ImplicitOptions {
    /// Largest accepted 1-norm condition number of `∂F/∂x` (default `1e12`).
    pub max_condition: f64,
    /// Largest accepted `‖F(x*, θ)‖∞` at the supplied solution (default `1e-6`).
    pub residual_tol: f64,
}

impl Default for ImplicitOptions {
    fn default() -> Self {
        ImplicitOptions {
            max_condition: 1e12,
            residual_tol: 1e-6,
        }
    }
}

/// Why implicit derivatives could not be formed.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ImplicitError {
    /// Lengths or shapes do not match.
    #[error("{}: expected length {}, got {}", .0.what, .0.expected, .0.got)]
    Dimensions(DimensionMismatch),
    /// A NaN or infinity in an input or a Jacobian.
    #[error("{what}: entry {index} is {value}")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
        /// Flat index (row-major for matrices) of the first bad entry.
        index: usize,
        /// The bad value.
        value: f64,
    },
    /// `∂F/∂x` is exactly singular (zero pivot) or its condition estimate is infinite.
    #[error("∂F/∂x is singular (condition estimate {condition:e}): the solution is not a differentiable function of θ here")]
    Singular {
        /// 1-norm condition estimate (∞ for a zero pivot).
        condition: f64,
    },
    /// `∂F/∂x` is too ill-conditioned for trustworthy derivatives.
    #[error("∂F/∂x is ill-conditioned: condition estimate {condition:.3e} exceeds the limit {max_condition:.3e}")]
    IllConditioned {
        /// 1-norm condition estimate.
        condition: f64,
        /// The threshold it exceeded.
        max_condition: f64,
    },
    /// Cholesky failed: the Hessian is not positive definite, so the point is not a strict local
    /// minimum.
    #[error("Hessian is not positive definite (smallest diagonal {min_diagonal:e}): not a strict local minimum")]
    NotPositiveDefinite {
        /// Smallest diagonal entry of the Hessian (a hint at the bad direction).
        min_diagonal: f64,
    },
    /// The supplied point does not solve `F(x, θ) = 0` to the required tolerance.
    #[error("point is not a solution: ‖F(x, θ)‖∞ = {residual_norm:e} exceeds {tol:e} (converge the solver further)")]
    NotASolution {
        /// `‖F(x, θ)‖∞`.
        residual_norm: f64,
        /// Tolerance.
        tol: f64,
    },
    /// Tape variables handed to [`Linearization::record`] do not carry the linearisation's θ.
    #[error("θ[{index}] on the tape is {got} but the linearisation was made at {expected}")]
    ThetaMismatch {
        /// Index of the parameter.
        index: usize,
        /// Value on the tape.
        got: f64,
        /// Value at linearisation.
        expected: f64,
    },
}

impl From<DimensionMismatch> for ImplicitError {
    fn from(e: DimensionMismatch) -> Self {
        ImplicitError::Dimensions(e)
    }
}

fn check_finite(what: &'static str, vals: &[f64]) -> Result<(), ImplicitError> {
    match vals.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(ImplicitError::NonFinite {
            what,
            index,
            value: vals[index],
        }),
        None => Ok(()),
    }
}

fn one_norm(a: &DMatrix<f64>) -> f64 {
    a.column_iter()
        .map(|c| c.iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// A factorised square matrix `A` with its inverse and 1-norm condition number, for repeated
/// solves with `A` and `Aᵀ`.
#[derive(Clone, Debug)]
pub struct Factorized {
    inverse: DMatrix<f64>,
    condition: f64,
    kind: SolveKind,
}

impl Factorized {
    /// Factorise `a` (Cholesky or LU) and check its condition against `max_condition`.
    ///
    /// The condition number is computed exactly as `‖A‖₁ ‖A⁻¹‖₁` from the inverse, which costs
    /// `O(n³)` like the factorisation itself (the systems here are small).
    pub fn new(
        a: DMatrix<f64>,
        kind: SolveKind,
        max_condition: f64,
    ) -> Result<Self, ImplicitError> {
        if a.nrows() != a.ncols() {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "∂F/∂x must be square: columns",
                expected: a.nrows(),
                got: a.ncols(),
            }));
        }
        check_finite("∂F/∂x", a.transpose().as_slice())?;
        let norm = one_norm(&a);
        let inverse = match kind {
            SolveKind::Cholesky => match a.clone().cholesky() {
                Some(c) => c.inverse(),
                None => {
                    return Err(ImplicitError::NotPositiveDefinite {
                        min_diagonal: a.diagonal().min(),
                    })
                }
            },
            SolveKind::Lu => match a.lu().try_inverse() {
                Some(inv) => inv,
                None => {
                    return Err(ImplicitError::Singular {
                        condition: f64::INFINITY,
                    })
                }
            },
        };
        let condition = norm * one_norm(&inverse);
        if !condition.is_finite() {
            return Err(ImplicitError::Singular { condition });
        }
        if condition > max_condition {
            return Err(ImplicitError::IllConditioned {
                condition,
                max_condition,
            });
        }
        Ok(Factorized {
            inverse,
            condition,
            kind,
        })
    }

    /// 1-norm condition number `‖A‖₁ ‖A⁻¹‖₁`.
    pub fn condition(&self) -> f64 {
        self.condition
    }

    /// The factorisation used.
    pub fn kind(&self) -> SolveKind {
        self.kind
    }

    /// `A⁻¹`.
    pub fn inverse(&self) -> &DMatrix<f64> {
        &self.inverse
    }

    /// Solve `A y = b`.
    pub fn solve(&self, b: &DVector<f64>) -> DVector<f64> {
        &self.inverse * b
    }

    /// Solve `Aᵀ y = b`.
    pub fn solve_transpose(&self, b: &DVector<f64>) -> DVector<f64> {
        self.inverse.tr_mul(b)
    }
}

/// `F` evaluated on the joined vector `z = (x, θ)`, so that the engine's forward helpers give
/// `[∂F/∂x | ∂F/∂θ]` in one pass.
struct Joined<'a, F> {
    sys: &'a F,
    n: usize,
}

impl<F: ImplicitSystem> VectorFn for Joined<'_, F> {
    fn eval<S: RealScalar>(&self, z: &[S]) -> Vec<S> {
        self.sys.residual(&z[..self.n], &z[self.n..])
    }
}

impl<L: Objective> ScalarFn for Joined<'_, L> {
    fn eval<S: RealScalar>(&self, z: &[S]) -> S {
        self.sys.objective(&z[..self.n], &z[self.n..])
    }
}

/// Everything implicit differentiation needs at one solution: `x*`, `θ`, `A = ∂F/∂x`,
/// `B = ∂F/∂θ` and the factorised `A`.
#[derive(Clone, Debug)]
pub struct Linearization {
    x: Vec<f64>,
    theta: Vec<f64>,
    dfdtheta: DMatrix<f64>,
    factor: Factorized,
}

impl Linearization {
    /// Linearise the root problem `F(x, θ) = 0` at the solution `x` (LU solves).
    pub fn of_root<F: ImplicitSystem>(
        sys: &F,
        x: &[f64],
        theta: &[f64],
        opts: &ImplicitOptions,
    ) -> Result<Self, ImplicitError> {
        check_finite("x", x)?;
        check_finite("θ", theta)?;
        let n = x.len();
        let z: Vec<f64> = x.iter().chain(theta).copied().collect();
        let (f, jac) = forward::jacobian(&Joined { sys, n }, &z);
        if f.len() != n {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "residual F(x, θ) (one equation per unknown)",
                expected: n,
                got: f.len(),
            }));
        }
        check_residual(&f, opts)?;
        let a = jac.columns(0, n).into_owned();
        let b = jac.columns(n, theta.len()).into_owned();
        Self::from_jacobians(x, theta, a, b, SolveKind::Lu, opts)
    }

    /// Linearise `argmin_x L(x, θ)` at the minimiser `x` (`F = ∇ₓL`; `A` is the Hessian in `x`,
    /// solved by Cholesky; `B` the mixed second derivatives). Both come from one exact
    /// second-order forward evaluation of `L`.
    pub fn of_argmin<L: Objective>(
        obj: &L,
        x: &[f64],
        theta: &[f64],
        opts: &ImplicitOptions,
    ) -> Result<Self, ImplicitError> {
        check_finite("x", x)?;
        check_finite("θ", theta)?;
        let n = x.len();
        let z: Vec<f64> = x.iter().chain(theta).copied().collect();
        let (_, grad, hess) = forward::hessian(&Joined { sys: obj, n }, &z);
        check_residual(&grad[..n], opts)?;
        let a = hess.view((0, 0), (n, n)).into_owned();
        let b = hess.view((0, n), (n, theta.len())).into_owned();
        Self::from_jacobians(x, theta, a, b, SolveKind::Cholesky, opts)
    }

    /// Linearisation from Jacobians computed elsewhere (e.g. by a specialised fitter).
    /// `dfdx` is `n×n`, `dfdtheta` is `n×p`.
    pub fn from_jacobians(
        x: &[f64],
        theta: &[f64],
        dfdx: DMatrix<f64>,
        dfdtheta: DMatrix<f64>,
        kind: SolveKind,
        opts: &ImplicitOptions,
    ) -> Result<Self, ImplicitError> {
        let n = x.len();
        if dfdx.nrows() != n {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "rows of ∂F/∂x",
                expected: n,
                got: dfdx.nrows(),
            }));
        }
        if dfdtheta.nrows() != n || dfdtheta.ncols() != theta.len() {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "shape of ∂F/∂θ (rows × columns flattened)",
                expected: n * theta.len(),
                got: dfdtheta.nrows() * dfdtheta.ncols(),
            }));
        }
        check_finite("∂F/∂θ", dfdtheta.transpose().as_slice())?;
        let factor = Factorized::new(dfdx, kind, opts.max_condition)?;
        Ok(Linearization {
            x: x.to_vec(),
            theta: theta.to_vec(),
            dfdtheta,
            factor,
        })
    }

    /// The solution `x*`.
    pub fn solution(&self) -> &[f64] {
        &self.x
    }

    /// The parameters `θ` of the linearisation.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// The factorised `∂F/∂x` (its condition number, its inverse).
    pub fn factor(&self) -> &Factorized {
        &self.factor
    }

    /// `∂F/∂θ`.
    pub fn dfdtheta(&self) -> &DMatrix<f64> {
        &self.dfdtheta
    }

    /// The full implicit Jacobian `dx*/dθ = −(∂F/∂x)⁻¹ ∂F/∂θ` (`n×p`).
    pub fn jacobian(&self) -> DMatrix<f64> {
        -(self.factor.inverse() * &self.dfdtheta)
    }

    /// Jacobian–vector product `dx* = −A⁻¹ (B dθ)`.
    pub fn jvp(&self, dtheta: &[f64]) -> Result<Vec<f64>, ImplicitError> {
        if dtheta.len() != self.theta.len() {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "tangent dθ",
                expected: self.theta.len(),
                got: dtheta.len(),
            }));
        }
        let bd = &self.dfdtheta * DVector::from_column_slice(dtheta);
        Ok((-self.factor.solve(&bd)).iter().copied().collect())
    }

    /// Vector–Jacobian product `θ̄ = −Bᵀ λ` with `Aᵀ λ = x̄`: one adjoint solve for any number of
    /// parameters.
    pub fn vjp(&self, xbar: &[f64]) -> Result<Vec<f64>, ImplicitError> {
        if xbar.len() != self.x.len() {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "cotangent x̄",
                expected: self.x.len(),
                got: xbar.len(),
            }));
        }
        let lambda = self
            .factor
            .solve_transpose(&DVector::from_column_slice(xbar));
        Ok((-self.dfdtheta.tr_mul(&lambda)).iter().copied().collect())
    }

    /// Enter `x*(θ)` on the active tape: one custom node per component, with partials
    /// `dx*ᵢ/dθⱼ`. `theta` must carry the linearisation's θ values.
    pub fn record(
        &self,
        tape: &ActiveTape<'_, f64>,
        theta: &[Var],
    ) -> Result<Vec<Var>, ImplicitError> {
        check_theta(
            "θ variables",
            &self.theta,
            theta.iter().map(|v| v.val()),
            theta.len(),
        )?;
        let jac = self.jacobian();
        let mut edges = Vec::with_capacity(theta.len());
        Ok((0..self.x.len())
            .map(|i| {
                edges.clear();
                edges.extend(theta.iter().enumerate().map(|(j, &v)| (v, jac[(i, j)])));
                tape.custom(self.x[i], &edges)
            })
            .collect())
    }
}

/// The θ values passed in must be those the linearisation was made at (same count, same values).
fn check_theta(
    what: &'static str,
    expected: &[f64],
    got: impl Iterator<Item = f64>,
    n: usize,
) -> Result<(), ImplicitError> {
    if n != expected.len() {
        return Err(ImplicitError::Dimensions(DimensionMismatch {
            what,
            expected: expected.len(),
            got: n,
        }));
    }
    for (index, (got, &expected)) in got.zip(expected).enumerate() {
        if got != expected {
            return Err(ImplicitError::ThetaMismatch {
                index,
                got,
                expected,
            });
        }
    }
    Ok(())
}

fn check_residual(f: &[f64], opts: &ImplicitOptions) -> Result<(), ImplicitError> {
    check_finite("F(x, θ)", f)?;
    let residual_norm = f.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if residual_norm > opts.residual_tol {
        return Err(ImplicitError::NotASolution {
            residual_norm,
            tol: opts.residual_tol,
        });
    }
    Ok(())
}

/// Forward mode of any order: `x*(θ)` as numbers of `θ`'s type `D` (dual numbers of first or
/// higher order, or tape variables), by `order` chord-Newton steps from the `f64` solution with the
/// constant matrix `(∂F/∂x)⁻¹` (see the [module documentation](self)).
///
/// `order` = 1 for first derivatives (`Dual64`, `DualSVec64<N>`, `Var`), 2 for second
/// (`Dual2_64`, `HyperDual64`, `Dual2Vec64`), and so on. The real parts of `theta` must equal the
/// linearisation's θ.
pub fn lift<F: ImplicitSystem, D: RealScalar>(
    sys: &F,
    lin: &Linearization,
    theta: &[D],
    order: usize,
) -> Result<Vec<D>, ImplicitError> {
    check_theta(
        "θ",
        &lin.theta,
        theta.iter().map(|v| v.value()),
        theta.len(),
    )?;
    let n = lin.x.len();
    chord_lift(&lin.x, &lin.factor, order, |x: &[D]| {
        let f = sys.residual(x, theta);
        if f.len() != n {
            return Err(ImplicitError::Dimensions(DimensionMismatch {
                what: "residual F(x, θ)",
                expected: n,
                got: f.len(),
            }));
        }
        Ok(f)
    })
}

/// The engine of [`lift`] for callers with their own residual and factorised `∂F/∂x` (e.g. a
/// fitter that exploits structure): `order` steps `x ← x − A⁻¹ F(x)` in `D` arithmetic from the
/// `f64` solution `x_star`. `residual` evaluates `F(x, θ)` with `θ` of type `D` captured, and must
/// return `x_star.len()` values.
pub fn chord_lift<D: RealScalar, E>(
    x_star: &[f64],
    factor: &Factorized,
    order: usize,
    mut residual: impl FnMut(&[D]) -> Result<Vec<D>, E>,
) -> Result<Vec<D>, E> {
    let inv = factor.inverse();
    assert_eq!(
        inv.nrows(),
        x_star.len(),
        "factorised matrix matches the solution's size"
    );
    let mut x: Vec<D> = x_star.iter().map(|&v| D::from_f64(v)).collect();
    for _ in 0..order {
        let f = residual(&x)?;
        assert_eq!(f.len(), x.len(), "residual has one entry per unknown");
        for (i, xi) in x.iter_mut().enumerate() {
            for (j, fj) in f.iter().enumerate() {
                let c = inv[(i, j)];
                if c != 0.0 {
                    *xi -= fj.clone() * c;
                }
            }
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests;
