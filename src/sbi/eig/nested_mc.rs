//! The nested Monte Carlo (NMC) reference estimator of the EIG when the likelihood is known
//! (Ryan, "Estimating expected information gains for experimental designs with application to
//! the random fatigue-limit model", J. Comput. Graph. Stat. 2003; Rainforth, Cornish, Yang,
//! Warrington & Wood, "On nesting Monte Carlo estimators", ICML 2018):
//!
//! `EIG(d) ≈ 1/N Σₙ [ log p(xₙ|θₙ, d) − log 1/M Σₘ p(xₙ|θₙₘ, d) ]`,
//! `θₙ, θₙₘ ~ p(θ)` independent, `xₙ = g(θₙ, εₙ, d)`.
//!
//! The inner average is an unbiased estimate of the marginal `p(xₙ|d)`; its logarithm is biased
//! down (Jensen), so the estimator is biased **up** by `O(1/M)` (Rainforth et al.: the bias is
//! `≈ Var[p(x|θ′)/p(x)]/(2M)` to leading order) with variance `O(1/N)`; the reported standard
//! error is the outer Monte Carlo error only. Choose `M` so that the bias is well below the
//! standard error (`M ∝ √N` balances the two in mean squared error).
//!
//! The gradient w.r.t. the design differentiates the same estimator at fixed `(θₙ, εₙ, θₙₘ)` —
//! pathwise through `xₙ(d)` and directly through `log p(x|θ, d)` — with dual numbers, one pass
//! per design component.

use rayon::prelude::*;

use super::error::{EigError, Result};
use super::estimate::{mean_and_se_rows, EigEstimate, EigGradient, EigKind};
use super::simulator::{check_design, dual_design, DesignSimulator, Draws};
use crate::RealScalar;

/// Seed offset of the inner (marginal) θ draws.
const INNER_SEED: u64 = 0x1e16_1a2e;

/// Settings of the nested Monte Carlo estimator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NmcConfig {
    /// Outer samples `N` (variance `O(1/N)`).
    pub outer: usize,
    /// Inner samples `M` per outer sample (bias `O(1/M)`).
    pub inner: usize,
    /// Seed of all draws; the same seed at two designs gives common random numbers.
    pub seed: u64,
}

impl Default for NmcConfig {
    /// `N = 1000`, `M = 1000`, seed 0.
    fn default() -> Self {
        NmcConfig {
            outer: 1000,
            inner: 1000,
            seed: 0,
        }
    }
}

impl NmcConfig {
    fn check(&self) -> Result<()> {
        if self.outer == 0 {
            return Err(EigError::ZeroSamples("number of outer samples"));
        }
        if self.inner == 0 {
            return Err(EigError::ZeroSamples("number of inner samples"));
        }
        Ok(())
    }
}

/// The draws of one NMC evaluation: outer `(θₙ, εₙ)` and inner `θₙₘ` (rows `n·M + m`).
pub(crate) struct NestedDraws {
    pub outer: Draws,
    pub inner: Vec<f64>,
    pub m: usize,
}

impl NestedDraws {
    pub fn new<D: DesignSimulator + ?Sized>(
        sim: &D,
        outer: usize,
        inner: usize,
        seed: u64,
    ) -> Result<Self> {
        let o = Draws::new(sim, outer, seed)?;
        if inner == 0 {
            return Err(EigError::ZeroSamples("number of inner samples"));
        }
        let theta = sim.prior().sample(outer * inner, seed ^ INNER_SEED);
        Ok(NestedDraws {
            outer: o,
            inner: theta,
            m: inner,
        })
    }

    /// The inner θ rows of outer sample `n`.
    pub fn inner_rows(&self, n: usize, theta_dim: usize) -> &[f64] {
        &self.inner[n * self.m * theta_dim..(n + 1) * self.m * theta_dim]
    }
}

/// `log p(xₙ|θₙ, d) − log 1/M Σₘ p(xₙ|θₙₘ, d)` for one outer sample, in any number type.
fn nmc_term<D: DesignSimulator + ?Sized, S: RealScalar>(
    sim: &D,
    design: &[S],
    draws: &NestedDraws,
    n: usize,
) -> Result<S> {
    let (dt, k) = (sim.theta_dim(), sim.noise_dim());
    let theta = &draws.outer.theta[n * dt..(n + 1) * dt];
    let x = sim.simulate(theta, &draws.outer.noise[n * k..(n + 1) * k], design);
    let ll = |t: &[f64]| {
        sim.log_likelihood(t, &x, design)
            .ok_or(EigError::NoLikelihood("nested Monte Carlo"))
    };
    let own = ll(theta)?;
    let inner: Vec<S> = draws
        .inner_rows(n, dt)
        .chunks(dt)
        .map(ll)
        .collect::<Result<_>>()?;
    let top = inner
        .iter()
        .map(|v| v.value())
        .fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return Err(EigError::NonFinite(
            "inner log-likelihoods (every inner θ has zero likelihood)",
        ));
    }
    let mut sum = S::zero();
    for v in inner {
        sum += (v - top).exp();
    }
    Ok(own - (sum / draws.m as f64).ln() - top)
}

/// The nested Monte Carlo estimate of `EIG(d)` for a simulator with a known likelihood, with its
/// standard error (outer samples only; the `O(1/M)` upward bias is not in it — see the
/// [module documentation](self)). Deterministic in `cfg.seed`, independent of the number of
/// threads.
///
/// ```
/// use diffhep::sbi::eig::{eig_nested_mc, LinearGaussian, NmcConfig};
/// let sim = LinearGaussian::new(1.0, 1.0, 1).unwrap();
/// let cfg = NmcConfig { outer: 400, inner: 400, seed: 1 };
/// let e = eig_nested_mc(&sim, &[1.0], &cfg).unwrap();
/// let exact = sim.eig(&[1.0]).unwrap(); // ½ ln 2
/// assert!((e.value - exact).abs() < 4.0 * e.std_error);
/// ```
pub fn eig_nested_mc<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    cfg: &NmcConfig,
) -> Result<EigEstimate> {
    cfg.check()?;
    check_design(sim, design)?;
    let draws = NestedDraws::new(sim, cfg.outer, cfg.inner, cfg.seed)?;
    let terms: Vec<f64> = (0..cfg.outer)
        .into_par_iter()
        .map(|n| nmc_term(sim, design, &draws, n))
        .collect::<Result<_>>()?;
    EigEstimate::from_terms(&terms, EigKind::NestedMc { inner: cfg.inner })
}

/// [`eig_nested_mc`] and its exact gradient w.r.t. the design at the same random numbers
/// (forward mode, one dual pass per design component).
pub fn eig_nested_mc_grad<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    cfg: &NmcConfig,
) -> Result<EigGradient> {
    cfg.check()?;
    check_design(sim, design)?;
    let dd = design.len();
    let draws = NestedDraws::new(sim, cfg.outer, cfg.inner, cfg.seed)?;
    let rows: Vec<(f64, Vec<f64>)> = (0..cfg.outer)
        .into_par_iter()
        .map(|n| {
            let mut g = vec![0.0; dd];
            let mut value = if dd == 0 {
                nmc_term(sim, design, &draws, n)?
            } else {
                0.0
            };
            for (j, gj) in g.iter_mut().enumerate() {
                let t = nmc_term(sim, &dual_design(design, j), &draws, n)?;
                *gj = t.eps;
                value = t.re;
            }
            Ok((value, g))
        })
        .collect::<Result<_>>()?;
    let terms: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let grads: Vec<f64> = rows.into_iter().flat_map(|r| r.1).collect();
    if grads.iter().any(|v| !v.is_finite()) {
        return Err(EigError::NonFinite("design gradient of the NMC estimate"));
    }
    let (gradient, gradient_std_error) = mean_and_se_rows(&grads, cfg.outer, dd);
    Ok(EigGradient {
        estimate: EigEstimate::from_terms(&terms, EigKind::NestedMc { inner: cfg.inner })?,
        gradient,
        gradient_std_error,
    })
}
