//! argmin's L-BFGS on deterministic objectives.

use crate::error::DimensionMismatch;
use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use super::error::OptimError;

/// Adapter from a deterministic `θ ↦ (f(θ), ∇f(θ))` to argmin's `CostFunction` + `Gradient`
/// (parameters are `Vec<f64>`).
pub struct ArgminProblem<F> {
    f: F,
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> ArgminProblem<F> {
    /// Wrap `f`.
    pub fn new(f: F) -> Self {
        ArgminProblem { f }
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> CostFunction for ArgminProblem<F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok((self.f)(p).0)
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Gradient for ArgminProblem<F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        Ok((self.f)(p).1)
    }
}

/// Result of [`lbfgs`].
#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsResult {
    /// Best parameters found.
    pub params: Vec<f64>,
    /// Objective there.
    pub objective: f64,
    /// Iterations run.
    pub iterations: u64,
    /// argmin's termination status, as text.
    pub status: String,
}

/// Minimise a deterministic objective with L-BFGS (memory `m`) and a More–Thuente line search,
/// for at most `max_iters` iterations, stopping when the gradient norm falls below `grad_tol`.
pub fn lbfgs<F>(
    f: F,
    x0: &[f64],
    m: usize,
    max_iters: u64,
    grad_tol: f64,
) -> Result<LbfgsResult, OptimError>
where
    F: Fn(&[f64]) -> (f64, Vec<f64>),
{
    if x0.is_empty() {
        return Err(OptimError::Dimension(DimensionMismatch {
            what: "number of L-BFGS parameters (at least one)",
            expected: 1,
            got: 0,
        }));
    }
    if m == 0 {
        return Err(OptimError::Dimension(DimensionMismatch {
            what: "L-BFGS memory (at least one)",
            expected: 1,
            got: 0,
        }));
    }
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), m)
        .with_tolerance_grad(grad_tol)
        .and_then(|s| s.with_tolerance_cost(0.0))
        .map_err(|e| OptimError::Argmin(e.to_string()))?;
    let res = Executor::new(ArgminProblem::new(f), solver)
        .configure(|s| s.param(x0.to_vec()).max_iters(max_iters))
        .run()
        .map_err(|e| OptimError::Argmin(e.to_string()))?;
    let st = res.state();
    let params = st
        .get_best_param()
        .cloned()
        .ok_or_else(|| OptimError::Argmin("no best parameter".into()))?;
    Ok(LbfgsResult {
        params,
        objective: st.get_best_cost(),
        iterations: st.get_iter(),
        status: format!("{}", st.get_termination_status()),
    })
}
