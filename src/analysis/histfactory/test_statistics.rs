//! Profile-likelihood test statistics of a HistFactory [`Model`] (G. Cowan, K. Cranmer,
//! E. Gross, O. Vitells, "Asymptotic formulae for likelihood-based tests of new physics",
//! Eur. Phys. J. C 71 (2011) 1554), as pyhf defines them (`pyhf.infer.test_statistics`), with
//! λ(μ) = L(μ, θ̂̂) / L(μ̂, θ̂):
//!
//! - q₀ = −2 ln λ(0) if μ̂ ≥ 0, else 0 (discovery, eq. 12);
//! - q_μ = −2 ln λ(μ) if μ̂ ≤ μ, else 0 (upper limits, eq. 14), fits within the model's bounds;
//! - q̃_μ: as q_μ with the POI bounded below by 0 in both fits (eq. 16).

use super::fit::{fit_within, tilde_bounds, Fit};
use super::model::Model;
use super::HistFactoryError as E;

/// The free and the conditional (POI at `mu`) fits within `bounds`, or `None` when the free fit's
/// POI lies on the side where the statistic is defined as 0 (`above`: μ̂ > μ; else μ̂ < μ).
pub(super) fn profile_fits(
    model: &Model,
    data: &[f64],
    aux: &[f64],
    mu: f64,
    bounds: &[(f64, f64)],
    zero_above: bool,
) -> Result<Option<(Fit, Fit)>, E> {
    let poi = model.poi;
    let free = fit_within(model, data, aux, &[], bounds)?;
    let muhat = free.pars[poi];
    if (zero_above && muhat > mu) || (!zero_above && muhat < mu) {
        return Ok(None);
    }
    let cond = fit_within(model, data, aux, &[(poi, mu)], bounds)?;
    Ok(Some((free, cond)))
}

fn statistic(fits: Option<(Fit, Fit)>) -> f64 {
    fits.map_or(0.0, |(free, cond)| {
        (cond.twice_nll - free.twice_nll).max(0.0)
    })
}

fn check_poi(mu: f64) -> Result<(), E> {
    if mu.is_finite() {
        Ok(())
    } else {
        Err(E::Fit(format!("POI value {mu}: must be finite")))
    }
}

/// q̃_μ for the POI value `mu` on main data `data` and auxiliary data `aux` (the POI's lower
/// bound taken as 0, as pyhf requires): 2 (NLL(μ, θ̂̂) − NLL(μ̂, θ̂)), and 0 when μ̂ > μ.
pub fn qmu_tilde(model: &Model, data: &[f64], aux: &[f64], mu: f64) -> Result<f64, E> {
    check_poi(mu)?;
    let bounds = tilde_bounds(model);
    Ok(statistic(profile_fits(
        model, data, aux, mu, &bounds, true,
    )?))
}

/// q_μ for the POI value `mu`: as [`qmu_tilde`] but with the model's own POI bounds (give the POI
/// a negative lower bound in the measurement for μ̂ < 0 to be reachable).
pub fn qmu(model: &Model, data: &[f64], aux: &[f64], mu: f64) -> Result<f64, E> {
    check_poi(mu)?;
    Ok(statistic(profile_fits(
        model,
        data,
        aux,
        mu,
        &model.bounds(),
        true,
    )?))
}

/// q₀, the discovery test statistic: 2 (NLL(0, θ̂̂) − NLL(μ̂, θ̂)) if μ̂ ≥ 0, else 0; fits within
/// the model's bounds.
pub fn q0(model: &Model, data: &[f64], aux: &[f64]) -> Result<f64, E> {
    Ok(statistic(profile_fits(
        model,
        data,
        aux,
        0.0,
        &model.bounds(),
        false,
    )?))
}
