//! The Barber–Agakov posterior lower bound from an NPE estimator (Barber & Agakov, "The IM
//! algorithm: a variational approach to information maximization", NeurIPS 2003; used for
//! design by Foster, Jankowiak, Bingham, Horsfall, Teh, Rainforth & Goodman, "Variational
//! Bayesian optimal experimental design", NeurIPS 2019, as `μ_post`):
//!
//! `EIG(d) = H[p(θ)] − E[H[p(θ|x, d)]] ≥ E_{p(θ)p(x|θ,d)}[log q(θ|x)] + H[p(θ)]`
//!
//! for any normalised `q(θ|x)`, with equality when q is the true posterior; the gap is
//! `E_x KL(p(θ|x, d) ‖ q(θ|x))`. The prior entropy is closed form ([`Prior::entropy`]). The
//! flow's `log q` is normalised on ℝᵈ; on a box prior it is sub-normalised on the support, and the
//! bound still holds.
//!
//! [`Prior::entropy`]: crate::sbi::Prior::entropy

use super::error::Result;
use super::estimate::{EigEstimate, EigGradient, EigKind};
use super::pathwise::{pathwise, EvalConfig};
use super::simulator::{DesignSimulator, Draws};
use crate::error::check_len;
use crate::sbi::flow_estimators::{FlowEstimator, NpeEstimator};
use crate::sbi::posterior::Posterior;

fn posterior_bound<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    npe: &NpeEstimator,
    cfg: &EvalConfig,
    with_grad: bool,
) -> Result<EigGradient> {
    check_len("NPE: θ dimension", sim.theta_dim(), npe.theta_dim())?;
    check_len("NPE: x dimension", sim.x_dim(), npe.flow().context_dim())?;
    let draws = Draws::new(sim, cfg.samples, cfg.seed)?;
    let entropy = sim.prior().entropy();
    let theta = draws.theta.clone();
    let critic = move |x: &[f64], grad: bool| -> Result<(Vec<f64>, Option<Vec<f64>>)> {
        let flow = npe.flow();
        let (log_q, gx) = if grad {
            let g = flow.log_prob_grad(&theta, x, &vec![1.0; theta.len() / flow.dim()])?;
            (g.log_q, Some(g.ctx))
        } else {
            (flow.log_prob(&theta, x)?, None)
        };
        Ok((log_q.iter().map(|l| l + entropy).collect(), gx))
    };
    pathwise(
        sim,
        design,
        &draws,
        EigKind::Posterior,
        with_grad,
        Box::new(critic),
    )
}

/// The Barber–Agakov lower bound `E[log q(θ|x)] + H[p(θ)]` of `EIG(d)` with a trained NPE
/// `q(θ|x)` (trained on simulations at this design, e.g. from
/// [`super::simulate_design_set`]), over `cfg.samples` fresh prior-predictive draws.
pub fn eig_posterior_bound<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    npe: &NpeEstimator,
    cfg: &EvalConfig,
) -> Result<EigEstimate> {
    Ok(posterior_bound(sim, design, npe, cfg, false)?.estimate)
}

/// [`eig_posterior_bound`] and its pathwise design gradient with q held fixed
/// (`∇ₓ log q(θₙ|xₙ) · ∂xₙ/∂d`, the flow's exact context gradient). Since the bound holds for
/// every q, ascending it in d at fixed q and refitting q is a coordinate ascent on the bound.
pub fn eig_posterior_bound_grad<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    npe: &NpeEstimator,
    cfg: &EvalConfig,
) -> Result<EigGradient> {
    posterior_bound(sim, design, npe, cfg, true)
}
