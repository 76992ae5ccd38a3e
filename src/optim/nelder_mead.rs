//! Gradient-free minimisation under an evaluation budget: argmin's Nelder–Mead simplex
//! (J. A. Nelder, R. Mead, "A simplex method for function minimization", Comput. J. 7 (1965)
//! 308). Design loops use it as the baseline their gradients are compared against at an equal
//! number of simulator calls.

use std::cell::RefCell;
use std::rc::Rc;

use argmin::core::{CostFunction, Error as ArgminError, Executor};
use argmin::solver::neldermead::NelderMead;

use super::error::OptimError;
use crate::error::DimensionMismatch;

/// The best point seen within the budget.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetResult {
    /// Best parameters evaluated.
    pub params: Vec<f64>,
    /// The objective there.
    pub objective: f64,
    /// Objective evaluations used (≤ the budget).
    pub evaluations: usize,
}

/// Evaluations so far and the best point.
type Seen = (usize, Option<(Vec<f64>, f64)>);

struct Budgeted<F> {
    f: F,
    budget: usize,
    seen: Rc<RefCell<Seen>>,
}

impl<F: Fn(&[f64]) -> f64> CostFunction for Budgeted<F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, ArgminError> {
        let mut seen = self.seen.borrow_mut();
        if seen.0 >= self.budget {
            // Past the budget nothing is evaluated: the point ranks worst and the iteration
            // limit ends the run (argmin's simplex set-up cannot take an error).
            return Ok(f64::MAX);
        }
        seen.0 += 1;
        let v = (self.f)(p);
        // A non-finite value is a point the simplex must leave: it ranks worst.
        let v = if v.is_finite() { v } else { f64::MAX };
        if seen.1.as_ref().is_none_or(|(_, best)| v < *best) {
            seen.1 = Some((p.clone(), v));
        }
        Ok(v)
    }
}

/// Minimise `f` from `x0` with a Nelder–Mead simplex of edge `step` (the vertices `x0` and
/// `x0 + step eᵢ`), spending at most `budget` evaluations; returns the best point evaluated
/// (with a budget below `n + 1` only part of the first simplex is evaluated).
pub fn nelder_mead_budget<F>(
    f: F,
    x0: &[f64],
    step: f64,
    budget: usize,
) -> Result<BudgetResult, OptimError>
where
    F: Fn(&[f64]) -> f64,
{
    if x0.is_empty() || budget == 0 {
        return Err(OptimError::Dimension(DimensionMismatch {
            what: "Nelder–Mead parameters and evaluation budget (at least one each)",
            expected: 1,
            got: 0,
        }));
    }
    if !(step > 0.0 && step.is_finite()) || x0.iter().any(|v| !v.is_finite()) {
        return Err(OptimError::NonFinite {
            step: 0,
            what: "objective",
        });
    }
    let mut simplex = vec![x0.to_vec()];
    for i in 0..x0.len() {
        let mut v = x0.to_vec();
        v[i] += step;
        simplex.push(v);
    }
    let seen = Rc::new(RefCell::new((0, None)));
    let problem = Budgeted {
        f,
        budget,
        seen: Rc::clone(&seen),
    };
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(0.0)
        .map_err(|e| OptimError::Argmin(e.to_string()))?;
    let run = Executor::new(problem, solver)
        .configure(|s| s.max_iters(budget as u64))
        .run();
    run.map_err(|e| OptimError::Argmin(e.to_string()))?;
    let (evaluations, best) = seen.take();
    let (params, objective) = best.expect("at least one evaluation");
    Ok(BudgetResult {
        params,
        objective,
        evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_quadratic_within_the_budget() {
        let f = |x: &[f64]| (x[0] - 1.0).powi(2) + 3.0 * (x[1] + 2.0).powi(2);
        let r = nelder_mead_budget(f, &[0.0, 0.0], 0.5, 400).unwrap();
        assert!(r.evaluations <= 400);
        assert!(
            (r.params[0] - 1.0).abs() < 1e-4 && (r.params[1] + 2.0).abs() < 1e-4,
            "{r:?}"
        );
        assert_eq!(r.objective, f(&r.params));
    }

    #[test]
    fn the_budget_is_respected_and_bad_input_is_an_error() {
        let calls = std::cell::Cell::new(0);
        let f = |x: &[f64]| {
            calls.set(calls.get() + 1);
            x.iter().map(|v| v * v).sum()
        };
        let r = nelder_mead_budget(f, &[1.0, 1.0, 1.0], 0.1, 7).unwrap();
        assert_eq!((r.evaluations, calls.get()), (7, 7));
        // A budget smaller than the first simplex: the best of the points evaluated.
        calls.set(0);
        let r = nelder_mead_budget(f, &[1.0, 1.0, 1.0], 0.1, 2).unwrap();
        assert_eq!((r.evaluations, calls.get()), (2, 2));
        assert_eq!(r.params, vec![1.0, 1.0, 1.0]);
        assert!(nelder_mead_budget(|_: &[f64]| 0.0, &[], 0.1, 5).is_err());
        assert!(nelder_mead_budget(|_: &[f64]| 0.0, &[1.0], 0.0, 5).is_err());
        assert!(nelder_mead_budget(|_: &[f64]| 0.0, &[1.0], 0.1, 0).is_err());
    }
}
