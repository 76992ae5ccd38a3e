//! Maximum-likelihood fits of a HistFactory [`Model`] and the profile-likelihood test
//! statistic q̃_μ (Cowan, Cranmer, Gross, Vitells, Eur. Phys. J. C 71 (2011) 1554, eq. 16), as
//! pyhf defines it.
//!
//! The fit minimises −2 ln L over the parameters that are not fixed, within their bounds, by a
//! projected Newton method: the exact gradient and Hessian come from second-order dual numbers
//! (`forward::hessian`) at each step; parameters at a bound whose gradient points outward are
//! held for the step; a Levenberg shift keeps the step a descent direction where the Hessian is
//! not positive definite; a backtracking line search keeps −2 ln L decreasing. It stops when the
//! largest step is below `1e-10` of the parameter scale.

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
        // Hold parameters at a bound whose gradient points outward.
        let active: Vec<usize> = (0..n)
            .filter(|&i| {
                free[i] && !((x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0))
            })
            .collect();
        if active.is_empty() {
            return Ok(Fit {
                pars: x,
                twice_nll: fx,
                iterations: iteration,
            });
        }
        let m = active.len();
        let ha = DMatrix::from_fn(m, m, |a, b| h[(active[a], active[b])]);
        let ga = DVector::from_fn(m, |a, _| g[active[a]]);
        let mut shift = 0.0;
        let step = loop {
            let mut hs = ha.clone();
            for a in 0..m {
                hs[(a, a)] += shift;
            }
            if let Some(ch) = hs.cholesky() {
                break -ch.solve(&ga);
            }
            shift = if shift == 0.0 {
                1e-6 * ha.diagonal().amax().max(1.0)
            } else {
                shift * 10.0
            };
            if !shift.is_finite() {
                return Err(E::Fit("the Hessian of −2 ln L is not usable".into()));
            }
        };
        // Backtracking line search within the bounds.
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let mut y = x.clone();
            for (a, &i) in active.iter().enumerate() {
                y[i] = (x[i] + t * step[a]).clamp(lo[i], hi[i]);
            }
            let fy = value(&y);
            if fy.is_finite() && fy <= fx {
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
        let moved = active
            .iter()
            .map(|&i| (y[i] - x[i]).abs() / x[i].abs().max(1.0))
            .fold(0.0, f64::max);
        x = y;
        fx = fy;
        if moved < 1e-10 {
            return Ok(Fit {
                pars: x,
                twice_nll: fx,
                iterations: iteration,
            });
        }
    }
    Err(E::Fit("no convergence in 200 Newton iterations".into()))
}

/// The test statistic q̃_μ for the POI value `mu` on main data `data` and auxiliary data `aux`
/// (the POI's lower bound taken as 0, as pyhf requires): 2 (NLL(μ, θ̂̂) − NLL(μ̂, θ̂)), and 0
/// when μ̂ > μ.
pub fn qmu_tilde(model: &Model, data: &[f64], aux: &[f64], mu: f64) -> Result<f64, E> {
    let poi = model.poi;
    let bounds = tilde_bounds(model);
    let free = fit_within(model, data, aux, &[], &bounds)?;
    if free.pars[poi] > mu {
        return Ok(0.0);
    }
    let cond = fit_within(model, data, aux, &[(poi, mu)], &bounds)?;
    Ok((cond.twice_nll - free.twice_nll).max(0.0))
}

/// The model's bounds with the POI's lower bound at 0 (q̃_μ's convention).
pub(super) fn tilde_bounds(model: &Model) -> Vec<(f64, f64)> {
    let mut bounds = model.bounds();
    bounds[model.poi].0 = 0.0;
    bounds
}
