//! Derivatives of fits, q̃_μ and CLs w.r.t. the inputs of the test: the model's templates
//! ([`Model::templates`]: nominal and histosys histograms), the main data and the auxiliary
//! data. This is what makes a HistFactory analysis a differentiable layer (the neos idea: N.
//! Simpson, L. Heinrich, J. Phys. Conf. Ser. 2438 (2023) 012105), computed exactly rather than
//! by differentiating through the fitter's iterations:
//!
//! - **Fits** θ̂(w) by implicit differentiation ([`crate::implicit`]): at a minimum of
//!   F = −2 ln L the gradient over the parameters that move vanishes, so
//!   dθ̂/dw = −H_θθ⁻¹ H_θw, with both Hessian blocks from one second-order dual evaluation.
//!   Parameters that are fixed, or held at a bound, have zero derivative (the active set is
//!   locally constant away from degenerate points).
//! - **Profile-likelihood ratios** by the envelope theorem: d/dw min_θ F(θ, w) = ∂F/∂w at θ̂, so
//!   dq̃_μ/dw = ∂F/∂w(θ̂̂) − ∂F/∂w(θ̂) needs only first derivatives at the two fits.
//! - **CLs**: the asymptotic formulae of [`super::cls`] are functions of q̃_μ and of q̃_μ,A on the
//!   background-only Asimov data, and the Asimov data themselves are yields at the μ = 0 fit to
//!   the observed data; the chain rule runs through that fit's implicit derivative.
//!
//! F here omits the data-only terms ln Γ(n + 1) of the Poisson terms; they cancel in every
//! likelihood ratio, so every derivative returned is the derivative of the full statistic.
//! Derivatives are exact up to the fits' convergence (relative step 1e-10); they are undefined
//! where the statistic switches branch (μ̂ = μ, q̃_μ = 0) and the one-sided value is returned.

use nalgebra::DMatrix;

use super::cls::{cls, normal_cdf, ClsResult};
use super::fit::{fit_within, tilde_bounds, Fit};
use super::model::Model;
use super::test_statistics::profile_fits;
use super::HistFactoryError as E;
use crate::forward;
use crate::implicit::{ImplicitOptions, Linearization, Objective};
use crate::{RealScalar, ScalarFn, VectorFn};

/// Derivatives of one quantity w.r.t. the templates (layout of [`Model::templates`]), the main
/// data (model bin order) and the auxiliary data (layout of [`Model::aux_data`]).
#[derive(Clone, Debug, PartialEq)]
pub struct InputGradient {
    /// ∂/∂ templates.
    pub templates: Vec<f64>,
    /// ∂/∂ main data.
    pub data: Vec<f64>,
    /// ∂/∂ auxiliary data.
    pub aux: Vec<f64>,
}

impl InputGradient {
    fn split(model: &Model, flat: &[f64]) -> Self {
        let (nt, nd) = (model.templates().len(), model.n_bins());
        InputGradient {
            templates: flat[..nt].to_vec(),
            data: flat[nt..nt + nd].to_vec(),
            aux: flat[nt + nd..].to_vec(),
        }
    }
}

/// −2 ln L (without ln Γ(n + 1)) as a function of the parameters listed in `active` (the others
/// held at `pars`) and of the inputs w = [templates, main data, aux data].
struct InputNll<'a> {
    model: &'a Model,
    pars: &'a [f64],
    active: &'a [usize],
}

impl Objective for InputNll<'_> {
    fn objective<S: RealScalar>(&self, x: &[S], w: &[S]) -> S {
        let m = self.model;
        let mut p: Vec<S> = self.pars.iter().map(|&v| S::from_f64(v)).collect();
        for (k, &i) in self.active.iter().enumerate() {
            p[i] = x[k].clone();
        }
        let (nt, nd) = (m.templates().len(), m.n_bins());
        let nu = m.expected_with(&p, &w[..nt]);
        m.log_likelihood_kernel(&p, &nu, &w[nt..nt + nd], &w[nt + nd..]) * (-2.0)
    }
}

/// ∂F/∂w with every parameter held.
impl ScalarFn for InputNll<'_> {
    fn eval<S: RealScalar>(&self, w: &[S]) -> S {
        self.objective(&[], w)
    }
}

/// The expected main and auxiliary data as functions of z = [parameters, templates].
struct Yields<'a>(&'a Model);

impl VectorFn for Yields<'_> {
    fn eval<S: RealScalar>(&self, z: &[S]) -> Vec<S> {
        let n = self.0.n_parameters();
        let mut out = self.0.expected_with(&z[..n], &z[n..]);
        out.extend(self.0.expected_aux(&z[..n]));
        out
    }
}

fn inputs(model: &Model, data: &[f64], aux: &[f64]) -> Result<Vec<f64>, E> {
    let (nd, na) = (model.n_bins(), model.aux_data().len());
    if data.len() != nd || aux.len() != na {
        return Err(E::Invalid(format!(
            "{} main and {} auxiliary data values for a model with {nd} bins and {na} constraints",
            data.len(),
            aux.len()
        )));
    }
    Ok(model
        .templates()
        .iter()
        .chain(data)
        .chain(aux)
        .copied()
        .collect())
}

fn partial_inputs(model: &Model, pars: &[f64], w: &[f64]) -> Vec<f64> {
    let f = InputNll {
        model,
        pars,
        active: &[],
    };
    forward::gradient(&f, w).1
}

/// dθ̂/dw (rows: all parameters, columns: w) at the fit `fit` made within `bounds` with the
/// parameters `fix` held.
fn fit_jacobian_within(
    model: &Model,
    w: &[f64],
    fit: &Fit,
    fix: &[(usize, f64)],
    bounds: &[(f64, f64)],
) -> Result<DMatrix<f64>, E> {
    let fixed = model.fixed();
    let active: Vec<usize> = (0..model.n_parameters())
        .filter(|&i| {
            let (lo, hi) = bounds[i];
            !fixed[i] && !fix.iter().any(|&(j, _)| j == i) && fit.pars[i] > lo && fit.pars[i] < hi
        })
        .collect();
    let mut jac = DMatrix::zeros(model.n_parameters(), w.len());
    if active.is_empty() {
        return Ok(jac);
    }
    let obj = InputNll {
        model,
        pars: &fit.pars,
        active: &active,
    };
    let x: Vec<f64> = active.iter().map(|&i| fit.pars[i]).collect();
    let opts = ImplicitOptions {
        // The fit stops on a relative step of 1e-10: its gradient is that step times the
        // Hessian, far below this check of "is this a minimum at all".
        residual_tol: 1e-4,
        ..ImplicitOptions::default()
    };
    let lin = Linearization::of_argmin(&obj, &x, w, &opts).map_err(E::Implicit)?;
    let j = lin.jacobian();
    for (k, &i) in active.iter().enumerate() {
        jac.set_row(i, &j.row(k));
    }
    Ok(jac)
}

/// dθ̂/d[templates, data, aux] of a fit made by [`super::fit()`] (model bounds, parameters `fix`
/// held), by implicit differentiation; rows are the parameters (zero for fixed parameters and
/// parameters at a bound), columns the inputs in the order of [`InputGradient`]'s fields.
pub fn fit_jacobian(
    model: &Model,
    data: &[f64],
    aux: &[f64],
    fix: &[(usize, f64)],
    fit: &Fit,
) -> Result<DMatrix<f64>, E> {
    let w = inputs(model, data, aux)?;
    fit_jacobian_within(model, &w, fit, fix, &model.bounds())
}

/// q̃_μ and its flat gradient w.r.t. w.
fn qmu_tilde_flat(model: &Model, w: &[f64], mu: f64) -> Result<(f64, Vec<f64>), E> {
    let (nt, nd) = (model.templates().len(), model.n_bins());
    let (data, aux) = (&w[nt..nt + nd], &w[nt + nd..]);
    let fits = profile_fits(model, data, aux, mu, &tilde_bounds(model), true)?;
    let Some((free, cond)) = fits else {
        return Ok((0.0, vec![0.0; w.len()]));
    };
    let q = cond.twice_nll - free.twice_nll;
    if q <= 0.0 {
        return Ok((0.0, vec![0.0; w.len()]));
    }
    let gc = partial_inputs(model, &cond.pars, w);
    let gf = partial_inputs(model, &free.pars, w);
    Ok((q, gc.iter().zip(&gf).map(|(c, f)| c - f).collect()))
}

/// q̃_μ (as [`super::qmu_tilde`]) and its gradient w.r.t. the templates, the main data and the
/// auxiliary data.
pub fn qmu_tilde_gradient(
    model: &Model,
    data: &[f64],
    aux: &[f64],
    mu: f64,
) -> Result<(f64, InputGradient), E> {
    let w = inputs(model, data, aux)?;
    let (q, g) = qmu_tilde_flat(model, &w, mu)?;
    Ok((q, InputGradient::split(model, &g)))
}

/// CLs with the derivatives of everything it reports.
#[derive(Clone, Debug, PartialEq)]
pub struct ClsGradient {
    /// The CLs result itself (as [`super::cls()`]).
    pub result: ClsResult,
    /// d CLs (observed).
    pub cls: InputGradient,
    /// d of each expected CLs (same order as [`ClsResult::expected`]).
    pub expected: [InputGradient; 5],
    /// d q̃_μ.
    pub qmu_tilde: InputGradient,
    /// d q̃_μ,A.
    pub qmu_tilde_asimov: InputGradient,
}

/// φ(x), the standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// ∂CLs/∂q̃_μ and ∂CLs/∂q̃_μ,A for the observed CLs, and ∂CLs_n/∂q̃_μ,A for the expected band.
fn cls_partials(q: f64, qa: f64) -> (f64, f64, [f64; 5]) {
    let (sq, sqa) = (q.sqrt(), qa.sqrt());
    // t(√q, √q_A) and its partials (see super::cls for the two branches).
    let (t, dt_dsq, dt_dsqa) = if sq <= sqa {
        (sq - sqa, 1.0, -1.0)
    } else {
        ((q - qa) / (2.0 * sqa), sq / sqa, -q / (2.0 * qa) - 0.5)
    };
    // CLs = Φ(−(t + √q_A)) / Φ(−t).
    let dcls = |t: f64| {
        let (num, den) = (normal_cdf(-(t + sqa)), normal_cdf(-t));
        let d_t = (-normal_pdf(t + sqa) * den + num * normal_pdf(t)) / (den * den);
        let d_sqa = -normal_pdf(t + sqa) / den;
        (d_t, d_sqa)
    };
    let (c_t, c_sqa) = dcls(t);
    // √q has derivative 1/(2√q); at q = 0 the statistic is locally 0 (μ̂ ≥ μ) or at its branch
    // point, and the one-sided derivative from the q = 0 side is 0.
    let dsq_dq = if q > 0.0 { 0.5 / sq } else { 0.0 };
    let dsqa_dqa = 0.5 / sqa;
    let d_q = c_t * dt_dsq * dsq_dq;
    let d_qa = (c_t * dt_dsqa + c_sqa) * dsqa_dqa;
    let expected = [2.0, 1.0, 0.0, -1.0, -2.0].map(|n| dcls(n).1 * dsqa_dqa);
    (d_q, d_qa, expected)
}

/// CLs at `mu` (as [`super::cls()`]) with the derivatives of observed and expected CLs, q̃_μ and
/// q̃_μ,A w.r.t. the templates, the observed main data `data` and the model's auxiliary data.
///
/// Costs the fits of [`super::cls()`] again plus one second-order dual evaluation over
/// (free parameters + inputs) for the background-only fit.
pub fn cls_gradient(model: &Model, data: &[f64], mu: f64) -> Result<ClsGradient, E> {
    let result = cls(model, data, mu)?;
    let aux = model.aux_data();
    let w = inputs(model, data, &aux)?;
    let (nt, nd, np) = (
        model.templates().len(),
        model.n_bins(),
        model.n_parameters(),
    );
    let (_, gq) = qmu_tilde_flat(model, &w, mu)?;
    // The background-only fit and the Asimov data at it, as functions of w.
    let fix = [(model.poi, 0.0)];
    let bounds = model.bounds();
    let bkg = fit_within(model, data, &aux, &fix, &bounds)?;
    let dtheta = fit_jacobian_within(model, &w, &bkg, &fix, &bounds)?;
    let z: Vec<f64> = bkg.pars.iter().chain(model.templates()).copied().collect();
    let (asimov, dy) = forward::jacobian(&Yields(model), &z);
    // d(asimov main, asimov aux)/dw = ∂/∂θ · dθ̂/dw + ∂/∂templates (main data only).
    let mut dasimov = dy.columns(0, np) * &dtheta;
    for r in 0..nd {
        for c in 0..nt {
            dasimov[(r, c)] += dy[(r, np + c)];
        }
    }
    let wa: Vec<f64> = model.templates().iter().chain(&asimov).copied().collect();
    let (_, ga) = qmu_tilde_flat(model, &wa, mu)?;
    // Chain: the direct template part, plus the Asimov data's part.
    let mut gqa = ga[..nt].to_vec();
    gqa.resize(w.len(), 0.0);
    let through = dasimov.tr_mul(&nalgebra::DVector::from_column_slice(&ga[nt..]));
    for (g, t) in gqa.iter_mut().zip(through.iter()) {
        *g += t;
    }
    let (d_q, d_qa, d_exp) = cls_partials(result.qmu_tilde, result.qmu_tilde_asimov);
    let combine = |a: f64, b: f64| -> InputGradient {
        let flat: Vec<f64> = gq.iter().zip(&gqa).map(|(x, y)| a * x + b * y).collect();
        InputGradient::split(model, &flat)
    };
    Ok(ClsGradient {
        cls: combine(d_q, d_qa),
        expected: d_exp.map(|d| combine(0.0, d)),
        qmu_tilde: combine(1.0, 0.0),
        qmu_tilde_asimov: combine(0.0, 1.0),
        result,
    })
}

/// The neos objective: CLs at `mu` when the observed data are the background-only expectation
/// of the model itself (POI 0, every other parameter at its init), and its total derivative
/// w.r.t. the templates — through the model and through the data they generate. On these data
/// the observed CLs equals the median expected CLs.
pub fn asimov_cls_gradient(model: &Model, mu: f64) -> Result<(ClsResult, Vec<f64>), E> {
    let np = model.n_parameters();
    let mut pars = model.inits();
    pars[model.poi] = 0.0;
    let z: Vec<f64> = pars.iter().chain(model.templates()).copied().collect();
    let (yields, jac) = forward::jacobian(&Yields(model), &z);
    let nd = model.n_bins();
    let data = &yields[..nd];
    let g = cls_gradient(model, data, mu)?;
    let ddata = nalgebra::DVector::from_column_slice(&g.cls.data);
    let through = jac
        .view((0, np), (nd, model.templates().len()))
        .tr_mul(&ddata);
    let total = g
        .cls
        .templates
        .iter()
        .zip(through.iter())
        .map(|(a, b)| a + b)
        .collect();
    Ok((g.result, total))
}
