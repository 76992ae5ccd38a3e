//! Continuous distributions by reparameterisation.
//!
//! A continuous draw is written as a differentiable function of its parameters and one coupled
//! uniform `u`, `x = g(θ, u)`, so its derivative is the ordinary pathwise derivative (the
//! "reparameterisation trick"; for stochastic triples the dual part, and `Δ` for parameters that
//! carry a finite perturbation). All maps are non-decreasing in `u` (inversion), which keeps
//! the coupling with common random numbers monotone.
//!
//! Gamma(k, s) has no closed-form reparameterisation in its shape `k`: the draw is
//! `s·F⁻¹(u; k)` with the *implicit* reparameterisation gradient
//! `∂x/∂k = −(∂F(x; k)/∂k) / f(x; k)` (Figurnov, Mohamed & Mnih, "Implicit Reparameterization
//! Gradients", NeurIPS 2018). statrs provides `F⁻¹`, the density and the regularised incomplete
//! gamma function; `∂F/∂k` is taken by Ridders' extrapolated central differences. The shape
//! enters the result linearly around its primal value (`x₀ + ∂x/∂k·(k − k₀)`), so a finite
//! perturbation of the shape propagates to first order; derivatives are exact to the accuracy of
//! the difference quotient.

use statrs::distribution::{Continuous, ContinuousCDF, Gamma, Normal};
use statrs::function::gamma::gamma_lr;

use super::{Result, StochasticError};
use crate::gradcheck::ridders;
use crate::scalar::RealScalar;

fn check_positive(what: &'static str, x: f64) -> Result<f64> {
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(StochasticError::Parameter { what, value: x })
    }
}

/// Normal(mean, sd): `mean + sd·Φ⁻¹(u)`.
pub fn normal<S: RealScalar>(mean: &S, sd: &S, u: f64) -> Result<S> {
    check_positive("normal: standard deviation", sd.value())?;
    if !mean.value().is_finite() {
        return Err(StochasticError::Parameter {
            what: "normal: mean",
            value: mean.value(),
        });
    }
    let z = Normal::standard().inverse_cdf(u);
    Ok(mean.clone() + sd.clone() * z)
}

/// Exponential(rate): `−ln(1 − u)/rate`.
pub fn exponential<S: RealScalar>(rate: &S, u: f64) -> Result<S> {
    check_positive("exponential: rate", rate.value())?;
    Ok(rate.rdiv(-(-u).ln_1p()))
}

/// Uniform(low, high): `low + (high − low)·u`.
pub fn uniform<S: RealScalar>(low: &S, high: &S, u: f64) -> Result<S> {
    let (a, b) = (low.value(), high.value());
    if !(a.is_finite() && b.is_finite() && a <= b) {
        return Err(StochasticError::Parameter {
            what: "uniform: upper bound (must be finite and ≥ the lower bound)",
            value: b,
        });
    }
    Ok(low.clone() + (high.clone() - low.clone()) * u)
}

/// Gamma(shape, scale) by inversion with the implicit reparameterisation gradient in the shape.
pub fn gamma<S: RealScalar>(shape: &S, scale: &S, u: f64) -> Result<S> {
    let k = check_positive("gamma: shape", shape.value())?;
    check_positive("gamma: scale", scale.value())?;
    let unit = Gamma::new(k, 1.0).map_err(|_| StochasticError::Parameter {
        what: "gamma: shape",
        value: k,
    })?;
    let x0 = unit.inverse_cdf(u);
    // ∂F(x0; k)/∂k by Ridders' method, step small against k.
    let (dfdk, _) = ridders(|kk| gamma_lr(kk, x0), k, 0.1 * k.min(1.0));
    let dens = unit.pdf(x0);
    let dxdk = if dens > 0.0 { -dfdk / dens } else { 0.0 };
    let x = (shape.clone() - k) * dxdk + x0;
    Ok(x * scale.clone())
}
