//! Contrastive lower bounds from an NRE classifier `s(θ, x)` (for the trained NRE of
//! [`crate::sbi::ratio`], `s ≈ log p(x|θ, d)/p(x|d)` at the optimum of its cross-entropy), as in
//! Kleinegesse & Gutmann, "Bayesian experimental design for implicit models by mutual
//! information neural estimation" (ICML 2020) and "Gradient-based Bayesian experimental design
//! for implicit models using mutual information lower bounds" (2021):
//!
//! - **InfoNCE** (van den Oord, Li & Vinyals 2018; Poole et al., "On variational bounds of mutual
//!   information", ICML 2019), with `L` contrastive θ per observation:
//!   `EIG ≥ E[ s(θ₀, x) − log 1/(L+1) Σₗ₌₀ᴸ exp s(θₗ, x) ]`, `x ~ p(x|θ₀, d)`, `θ₁…θ_L ~ p(θ)`.
//!   Each term is at most `ln(L + 1)` (the first summand is one of the L + 1), so the bound can
//!   never exceed `ln(L + 1)` ([`EigKind::ceiling`]): choose `L` with `ln(L + 1)` well above the
//!   EIG. It is a valid lower bound for every critic.
//! - **NWJ** (Nguyen, Wainwright & Jordan 2010; the MINE-f bound), with `T = s + 1`:
//!   `EIG ≥ E_{p(θ,x)}[s(θ, x)] + 1 − E_{p(θ)p(x)}[exp s(θ, x)]`, tight at
//!   `s = log p(x|θ)/p(x)`, no ceiling, larger variance; the marginal expectation uses the same
//!   `L` prior draws per observation.

use super::error::{EigError, Result};
use super::estimate::{log_sum_exp, EigEstimate, EigGradient, EigKind};
use super::pathwise::{pathwise, EvalConfig};
use super::simulator::{DesignSimulator, Draws};
use crate::error::check_len;
use crate::sbi::posterior::Posterior;
use crate::sbi::ratio::RatioEstimator;

/// Seed offset of the contrastive θ draws.
const CONTRAST_SEED: u64 = 0xc0_27_a5;

/// Which contrastive bound to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContrastiveBound {
    /// InfoNCE, at most `ln(L + 1)`.
    InfoNce,
    /// NWJ (MINE-f), no ceiling.
    Nwj,
}

/// Settings of [`eig_contrastive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContrastiveConfig {
    /// Outer samples and seed.
    pub eval: EvalConfig,
    /// Contrastive prior draws `L` per observation (≥ 1).
    pub contrastive: usize,
    /// The bound.
    pub bound: ContrastiveBound,
}

impl Default for ContrastiveConfig {
    /// InfoNCE with `L = 255` (ceiling `ln 256 ≈ 5.5` nats) on [`EvalConfig::default`].
    fn default() -> Self {
        ContrastiveConfig {
            eval: EvalConfig::default(),
            contrastive: 255,
            bound: ContrastiveBound::InfoNce,
        }
    }
}

fn contrastive<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    nre: &RatioEstimator,
    cfg: &ContrastiveConfig,
    with_grad: bool,
) -> Result<EigGradient> {
    let l = cfg.contrastive;
    if l == 0 {
        return Err(EigError::ZeroSamples("number of contrastive samples L"));
    }
    check_len("NRE: θ dimension", sim.theta_dim(), nre.theta_dim())?;
    check_len("NRE: x dimension", sim.x_dim(), nre.x_dim())?;
    let draws = Draws::new(sim, cfg.eval.samples, cfg.eval.seed)?;
    let negatives = sim
        .prior()
        .sample(cfg.eval.samples * l, cfg.eval.seed ^ CONTRAST_SEED);
    let (dt, dx) = (sim.theta_dim(), sim.x_dim());
    let kind = match cfg.bound {
        ContrastiveBound::InfoNce => EigKind::InfoNce { contrastive: l },
        ContrastiveBound::Nwj => EigKind::Nwj { contrastive: l },
    };
    let theta = draws.theta.clone();
    let bound = cfg.bound;
    let critic = move |x: &[f64], grad: bool| -> Result<(Vec<f64>, Option<Vec<f64>>)> {
        let n = x.len() / dx;
        // Rows (θₙ, xₙ), then (θₙₗ, xₙ) for l = 1 … L, for every n.
        let mut ts = Vec::with_capacity(n * (l + 1) * dt);
        let mut xs = Vec::with_capacity(n * (l + 1) * dx);
        for i in 0..n {
            ts.extend_from_slice(&theta[i * dt..(i + 1) * dt]);
            ts.extend_from_slice(&negatives[i * l * dt..(i + 1) * l * dt]);
            for _ in 0..=l {
                xs.extend_from_slice(&x[i * dx..(i + 1) * dx]);
            }
        }
        let (s, _, g) = nre.log_ratio_pairs_grad(&ts, &xs)?;
        let mut terms = Vec::with_capacity(n);
        let mut gx = vec![0.0; n * dx];
        for i in 0..n {
            let si = &s[i * (l + 1)..(i + 1) * (l + 1)];
            // Weights of the rows in the term's x-gradient: +1 on the joint row, minus the
            // derivative of the normalising term on every row it contains.
            let (term, w): (f64, Vec<f64>) = match bound {
                ContrastiveBound::InfoNce => {
                    let (lse, w) = log_sum_exp(si);
                    (si[0] - lse + ((l + 1) as f64).ln(), w)
                }
                ContrastiveBound::Nwj => {
                    let e: Vec<f64> = si[1..].iter().map(|v| v.exp() / l as f64).collect();
                    let mut w = vec![0.0];
                    w.extend(&e);
                    (si[0] + 1.0 - e.iter().sum::<f64>(), w)
                }
            };
            terms.push(term);
            for r in 0..dx {
                let row = |k: usize| g[(i * (l + 1) + k) * dx + r];
                gx[i * dx + r] = row(0) - (0..=l).map(|k| w[k] * row(k)).sum::<f64>();
            }
        }
        Ok((terms, grad.then_some(gx)))
    };
    pathwise(sim, design, &draws, kind, with_grad, Box::new(critic))
}

/// A contrastive lower bound (InfoNCE or NWJ, [`ContrastiveConfig::bound`]) of `EIG(d)` with a
/// trained NRE critic (trained on simulations at this design). InfoNCE never exceeds
/// `ln(L + 1)`.
pub fn eig_contrastive<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    nre: &RatioEstimator,
    cfg: &ContrastiveConfig,
) -> Result<EigEstimate> {
    Ok(contrastive(sim, design, nre, cfg, false)?.estimate)
}

/// [`eig_contrastive`] and its pathwise design gradient with the critic held fixed
/// (`∇ₓ s` from the network's input gradient, chained with `∂xₙ/∂d`).
pub fn eig_contrastive_grad<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    nre: &RatioEstimator,
    cfg: &ContrastiveConfig,
) -> Result<EigGradient> {
    contrastive(sim, design, nre, cfg, true)
}
