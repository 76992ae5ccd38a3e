//! The expected (Fisher) information of a HistFactory [`Model`] and the variance of the signal
//! strength it implies (the Cramér–Rao bound reached asymptotically; G. Cowan, K. Cranmer,
//! E. Gross, O. Vitells, Eur. Phys. J. C 71 (2011) 1554, section 3.2, where the Asimov data set
//! gives the same matrix).
//!
//! I(θ) = E[−∂² ln L/∂θ∂θᵀ]. For Poisson main terms and Gaussian or Poisson constraints the
//! Hessian of −ln L on the data expected at θ (the Asimov data) equals the expectation exactly,
//! so I is computed as that Hessian by second-order dual numbers, generic in nothing but exact.

use nalgebra::DMatrix;

use super::model::Model;
use super::HistFactoryError as E;
use crate::forward::hessian;
use crate::{RealScalar, ScalarFn};

/// −ln L (without data-only terms) on the data expected at the fixed point `at`.
struct AsimovNll<'a> {
    model: &'a Model,
    data: Vec<f64>,
    aux: Vec<f64>,
}

impl ScalarFn for AsimovNll<'_> {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let nu = self.model.expected(x);
        let n: Vec<S> = self.data.iter().map(|&v| S::from_f64(v)).collect();
        let a: Vec<S> = self.aux.iter().map(|&v| S::from_f64(v)).collect();
        -self.model.log_likelihood_kernel(x, &nu, &n, &a)
    }
}

fn check_pars(model: &Model, pars: &[f64]) -> Result<(), E> {
    if pars.len() != model.n_parameters() {
        return Err(E::Invalid(format!(
            "{} parameter values for a model with {}",
            pars.len(),
            model.n_parameters()
        )));
    }
    if let Some(v) = pars.iter().find(|v| !v.is_finite()) {
        return Err(E::Invalid(format!("parameter value {v}")));
    }
    Ok(())
}

/// The Fisher information matrix at `pars` over all parameters (flat model order).
pub fn fisher_information(model: &Model, pars: &[f64]) -> Result<DMatrix<f64>, E> {
    check_pars(model, pars)?;
    let f = AsimovNll {
        model,
        data: model.expected(pars),
        aux: model.expected_aux(pars),
    };
    Ok(hessian(&f, pars).2)
}

/// The asymptotic variance of the POI at `pars` with every free nuisance parameter profiled:
/// `[I⁻¹]_μμ` over the parameters that are not fixed. Its inverse is the Fisher information of
/// the signal strength; on background-only Asimov data q_μ,A → μ²/σ² for small μ.
pub fn signal_strength_variance(model: &Model, pars: &[f64]) -> Result<f64, E> {
    let info = fisher_information(model, pars)?;
    let fixed = model.fixed();
    let free: Vec<usize> = (0..pars.len()).filter(|&i| !fixed[i]).collect();
    let k = free
        .iter()
        .position(|&i| i == model.poi)
        .ok_or_else(|| E::Invalid("the parameter of interest is fixed".into()))?;
    let sub = DMatrix::from_fn(free.len(), free.len(), |a, b| info[(free[a], free[b])]);
    let inv = sub.cholesky().ok_or_else(|| {
        E::Fit(
            "the Fisher information is not positive definite: a parameter is not constrained"
                .into(),
        )
    })?;
    Ok(inv.inverse()[(k, k)])
}
