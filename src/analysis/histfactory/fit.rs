//! Maximum-likelihood fits of a HistFactory [`Model`].
//!
//! The fit minimises −2 ln L over the parameters that are not fixed, within their bounds, by a
//! projected Newton method: the exact gradient and Hessian come from second-order dual numbers
//! (`forward::hessian`) at each step; parameters at a bound whose gradient or Newton step points
//! outward are held for the step; a Levenberg shift keeps the step a descent direction where the Hessian is
//! not positive definite; a backtracking line search keeps −2 ln L decreasing until the predicted
//! decrease reaches its rounding level, where the full Newton step is taken. It stops when the
//! largest Newton step is below `1e-10` of the parameter scale.

use nalgebra::{DMatrix, DVector};

use super::model::Model;
use super::HistFactoryError as E;
use crate::forward::hessian;
use crate::{RealScalar, ScalarFn};

/// The result of a fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The best-fit parameters (flat, in model order).
    pub pars: Vec<f64>,
    /// −2 ln L at the best fit.
    pub twice_nll: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

struct TwiceNll<'a> {
    model: &'a Model,
    data: &'a [f64],
    aux: &'a [f64],
}

impl ScalarFn for TwiceNll<'_> {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        self.model.logpdf_with_aux(x, self.data, self.aux) * (-2.0)
    }
}

/// Maximum-likelihood fit of `model` to main data `data` with auxiliary data `aux`, starting
/// at the model's inits; `fix` pins extra parameters (flat index, value), e.g. the POI for a
/// conditional fit.
pub fn fit(model: &Model, data: &[f64], aux: &[f64], fix: &[(usize, f64)]) -> Result<Fit, E> {
    fit_within(model, data, aux, fix, &model.bounds())
}

/// [`fit`] within the flat `bounds` instead of the model's.
pub(super) fn fit_within(
    model: &Model,
    data: &[f64],
    aux: &[f64],
    fix: &[(usize, f64)],
    bounds: &[(f64, f64)],
) -> Result<Fit, E> {
    let n = model.n_parameters();
    let mut x = model.inits();
    let mut free: Vec<bool> = model.fixed().iter().map(|f| !f).collect();
    let (lo, hi): (Vec<f64>, Vec<f64>) = bounds.iter().copied().unzip();
    for &(i, v) in fix {
        x[i] = v;
        free[i] = false;
    }
    let f = TwiceNll { model, data, aux };
    let value = |x: &[f64]| f.eval(x);
    let mut fx = value(&x);
    if !fx.is_finite() {
        return Err(E::Fit(format!("−2 ln L is {fx} at the initial parameters")));
    }
    for iteration in 1..=200 {
        let (_, g, h) = hessian(&f, &x);
        // Hold parameters at a bound whose gradient points outward, then also those at a bound
        // whose Newton step points outward (re-solving without them), so that a held
        // parameter never bends the others' step (projected Newton, Bertsekas 1982).
        let mut active: Vec<usize> = (0..n)
            .filter(|&i| {
                free[i] && !((x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0))
            })
            .collect();
        let step = loop {
            if active.is_empty() {
                return Ok(Fit {
                    pars: x,
                    twice_nll: fx,
                    iterations: iteration,
                });
            }
            let step = newton_step(&h, &g, &active)?;
            let outward: Vec<usize> = active
                .iter()
                .zip(step.iter())
                .filter(|&(&i, &d)| (x[i] <= lo[i] && d < 0.0) || (x[i] >= hi[i] && d > 0.0))
                .map(|(&i, _)| i)
                .collect();
            if outward.is_empty() {
                break step;
            }
            active.retain(|i| !outward.contains(i));
        };
        // Converged when the full Newton step is below 1e-10 of the parameter scale.
        let newton = active
            .iter()
            .zip(step.iter())
            .map(|(&i, d)| d.abs() / x[i].abs().max(1.0))
            .fold(0.0, f64::max);
        // Backtracking line search within the bounds. Once the decrease the Newton model
        // predicts, gᵀH⁻¹g, is at the rounding level of −2 ln L, the line search can no longer
        // tell better from worse and the full step is taken (Newton converges quadratically
        // there).
        let predicted: f64 = -active
            .iter()
            .zip(step.iter())
            .map(|(&i, d)| g[i] * d)
            .sum::<f64>();
        let trust_model = predicted < 1e-12 * fx.abs().max(1.0);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let mut y = x.clone();
            for (a, &i) in active.iter().enumerate() {
                y[i] = (x[i] + t * step[a]).clamp(lo[i], hi[i]);
            }
            let fy = value(&y);
            if fy.is_finite() && (fy <= fx || trust_model) {
                accepted = Some((y, fy));
                break;
            }
            t *= 0.5;
        }
        let Some((y, fy)) = accepted else {
            return Ok(Fit {
                pars: x,
                twice_nll: fx,
                iterations: iteration,
            });
        };
        x = y;
        fx = fy;
        if newton < 1e-10 {
            return Ok(Fit {
                pars: x,
                twice_nll: fx,
                iterations: iteration,
            });
        }
    }
    Err(E::Fit("no convergence in 200 Newton iterations".into()))
}

/// The Newton step `−H⁻¹g` on the parameters `active`, with a Levenberg shift where the Hessian
/// is not positive definite.
fn newton_step(h: &DMatrix<f64>, g: &[f64], active: &[usize]) -> Result<DVector<f64>, E> {
    let m = active.len();
    let ha = DMatrix::from_fn(m, m, |a, b| h[(active[a], active[b])]);
    let ga = DVector::from_fn(m, |a, _| g[active[a]]);
    let mut shift = 0.0;
    loop {
        let mut hs = ha.clone();
        for a in 0..m {
            hs[(a, a)] += shift;
        }
        if let Some(ch) = hs.cholesky() {
            return Ok(-ch.solve(&ga));
        }
        shift = if shift == 0.0 {
            1e-6 * ha.diagonal().amax().max(1.0)
        } else {
            shift * 10.0
        };
        if !shift.is_finite() {
            return Err(E::Fit("the Hessian of −2 ln L is not usable".into()));
        }
    }
}

/// The model's bounds with the POI's lower bound at 0 (q̃_μ's convention).
pub(super) fn tilde_bounds(model: &Model) -> Vec<(f64, f64)> {
    let mut bounds = model.bounds();
    bounds[model.poi].0 = 0.0;
    bounds
}
