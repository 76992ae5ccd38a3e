//! The likelihood-based EIG estimate from an NLE estimator: nested Monte Carlo with the learned
//! likelihood `q(x|θ)` in place of `p(x|θ, d)`,
//!
//! `EIG(d) ≈ 1/N Σₙ [ log q(xₙ|θₙ) − log 1/M Σₘ q(xₙ|θₙₘ) ]`, `xₙ = g(θₙ, εₙ, d)`.
//!
//! This is the plug-in nested estimator, not the `μ_m+ℓ` bound of Foster et al. ("Variational
//! Bayesian optimal experimental design", NeurIPS 2019), which needs a second, marginal density
//! `q(x)`: with one NLE network the marginal is estimated by the inner average instead. It is
//! neither a lower nor an upper bound: it carries the misfit of q and the `O(1/M)` upward bias of
//! nested Monte Carlo ([`super::nested_mc`]). Its advantage over the posterior bound is that q
//! only has to model `x|θ`, which is often simpler (here: Gaussian).

use super::error::Result;
use super::estimate::{log_sum_exp, EigEstimate, EigGradient, EigKind};
use super::nested_mc::{NestedDraws, NmcConfig};
use super::pathwise::pathwise;
use super::simulator::DesignSimulator;
use crate::error::check_len;
use crate::sbi::flow_estimators::{FlowEstimator, NleEstimator};
use crate::sbi::posterior::Posterior;

fn likelihood_nmc<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    nle: &NleEstimator,
    cfg: &NmcConfig,
    with_grad: bool,
) -> Result<EigGradient> {
    check_len("NLE: θ dimension", sim.theta_dim(), nle.theta_dim())?;
    check_len("NLE: x dimension", sim.x_dim(), nle.flow().dim())?;
    let draws = NestedDraws::new(sim, cfg.outer, cfg.inner, cfg.seed)?;
    let (dt, dx, m) = (sim.theta_dim(), sim.x_dim(), cfg.inner);
    let kind = EigKind::Likelihood { inner: m };
    let outer = draws.outer.clone();
    let critic = move |x: &[f64], grad: bool| -> Result<(Vec<f64>, Option<Vec<f64>>)> {
        let n = x.len() / dx;
        // Rows (xₙ, θₙ), then (xₙ, θₙₘ) for m = 1 … M, for every n.
        let mut xs = Vec::with_capacity(n * (m + 1) * dx);
        let mut ts = Vec::with_capacity(n * (m + 1) * dt);
        for i in 0..n {
            for _ in 0..=m {
                xs.extend_from_slice(&x[i * dx..(i + 1) * dx]);
            }
            ts.extend_from_slice(&draws.outer.theta[i * dt..(i + 1) * dt]);
            ts.extend_from_slice(draws.inner_rows(i, dt));
        }
        let flow = nle.flow();
        let (log_q, g) = if grad {
            let g = flow.log_prob_grad(&xs, &ts, &vec![1.0; n * (m + 1)])?;
            (g.log_q, Some(g.x))
        } else {
            (flow.log_prob(&xs, &ts)?, None)
        };
        let mut terms = Vec::with_capacity(n);
        let mut gx = g.as_ref().map(|_| vec![0.0; n * dx]);
        for i in 0..n {
            let rows = &log_q[i * (m + 1)..(i + 1) * (m + 1)];
            let (lse, w) = log_sum_exp(&rows[1..]);
            terms.push(rows[0] - lse + (m as f64).ln());
            if let (Some(g), Some(out)) = (&g, gx.as_mut()) {
                for r in 0..dx {
                    let row = |k: usize| g[(i * (m + 1) + k) * dx + r];
                    out[i * dx + r] = row(0) - (1..=m).map(|k| w[k - 1] * row(k)).sum::<f64>();
                }
            }
        }
        Ok((terms, gx))
    };
    pathwise(sim, design, &outer, kind, with_grad, Box::new(critic))
}

/// The nested Monte Carlo EIG estimate with a trained NLE likelihood `q(x|θ)` (trained on
/// simulations at this design) in place of the true likelihood. Not a bound; see the
/// [module documentation](self).
pub fn eig_likelihood_nmc<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    nle: &NleEstimator,
    cfg: &NmcConfig,
) -> Result<EigEstimate> {
    Ok(likelihood_nmc(sim, design, nle, cfg, false)?.estimate)
}

/// [`eig_likelihood_nmc`] and its pathwise design gradient with q held fixed (the flow's exact
/// gradient w.r.t. x, chained with `∂xₙ/∂d`).
pub fn eig_likelihood_nmc_grad<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    nle: &NleEstimator,
    cfg: &NmcConfig,
) -> Result<EigGradient> {
    likelihood_nmc(sim, design, nle, cfg, true)
}
