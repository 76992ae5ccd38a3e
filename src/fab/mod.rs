//! FAB: Flow Annealed importance sampling Bootstrap.
//!
//! L. I. Midgley, V. Stimper, G. N. C. Simm, B. Schölkopf, J. M. Hernández-Lobato, "Flow
//! Annealed Importance Sampling Bootstrap", ICLR 2023 (arXiv:2208.01893); applied to
//! differentiable matrix elements by A. Kofler, V. Stimper, M. Mikhasenko, M. Kagan, L. Heinrich,
//! "Flow Annealed Importance Sampling Bootstrap meets Differentiable Particle Physics" (2024).
//!
//! A normalizing flow q ([`crate::flows::Flow`]) is trained to sample an unnormalised target
//! density p̃ ([`Target`]) without samples from it:
//!
//! 1. **AIS** ([`ais`]): draw x ~ q and move the points through a chain of intermediate densities
//!    f_β = q^(1−β) π^β, β = 0 … 1, towards π = p̃^α q^(1−α) (α = 2 minimises the α-divergence
//!    D₂(p‖q), whose minimiser spreads mass over all modes). Each β gets one Hamiltonian Monte
//!    Carlo step whose forces use ∇log p̃ from our AD and ∇ₓ log q from the flow; step sizes adapt
//!    toward a target acceptance. The AIS log-weights log w (f64, log-space throughout) make the
//!    final points an importance sample of π.
//! 2. **Loss**: L(θ) = −Σᵢ w̄ᵢ log q_θ(xᵢ) with w̄ the self-normalised AIS weights (no gradient
//!    through them); its gradient estimates the gradient of D₂(p‖q_θ) up to a positive factor.
//! 3. **Prioritised replay buffer** ([`buffer`], the paper's Algorithm 2): (x, log w, log q_old)
//!    are stored, minibatches drawn with probability ∝ w, the loss reweighted by
//!    (q_old/q_θ)^(α−1) and the stored weights and log q_old updated after each step, so the
//!    same AIS samples serve several gradient steps.
//!
//! Baselines share the harness ([`train`]): reverse KL (pathwise gradient through the flow's
//! sampler) and forward KL on exact target samples where the target has them. Metrics
//! ([`metrics`]): sampling efficiency (Σw)²/(NΣw²), unweighting efficiency mean(w)/max(w),
//! log Z with its standard error, and the number of target evaluations.
//!
//! **Counting convention**: one evaluation of the target's value *and* gradient at one point
//! counts as one target evaluation (that is what HMC needs); a value-only evaluation counts as one
//! too.
//!
//! **Bounded domains**: on the unit hypercube HMC positions are *reflected* at the walls
//! (x → −x, x → 2 − x with the momentum component's sign flipped). Reflection is volume
//! preserving and reversible, so the Metropolis test stays exact; points never leave the support
//! of the flow. Points where the target vanishes have log p̃ = −∞ (never NaN): their AIS weight
//! is zero and HMC proposals into them are rejected.

pub mod ais;
pub mod buffer;
pub mod metrics;
pub mod targets;
pub mod train;

use thiserror::Error;

use rayon::prelude::*;

use crate::flows::{Domain, FlowError};
use crate::nn::NnError;

pub use ais::{run_ais, AisConfig, AisOutput, AisState, Proposal};
pub use buffer::{BufferConfig, PrioritisedBuffer};
pub use metrics::{logsumexp, WeightMetrics};
pub use targets::{Gmm, ManyWell, Scaled};
pub use train::{Checkpoint, IterLog, Method, TrainConfig, Trainer};

/// An unnormalised target density p̃ on ℝᵈ or on the unit hypercube.
///
/// Implementations must be thread-safe: the samplers evaluate points in parallel.
pub trait Target: Sync {
    /// Short name (used in file names and reports).
    fn name(&self) -> String;
    /// Dimension d.
    fn dim(&self) -> usize;
    /// Where the density lives; on [`Domain::UnitCube`] the sampler reflects at the walls.
    fn domain(&self) -> Domain;
    /// log p̃(x); −∞ outside the support, never NaN.
    fn log_prob(&self, x: &[f64]) -> f64;
    /// log p̃(x), writing ∇ₓ log p̃ into `grad` (zeros where log p̃ = −∞).
    fn log_prob_and_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;
    /// The exact log Z = log ∫ p̃ when it is known.
    fn log_z(&self) -> Option<f64> {
        None
    }
    /// `n` exact samples (flat, row-major), when the target can produce them.
    fn exact_samples(&self, _n: usize, _seed: u64) -> Option<Vec<f64>> {
        None
    }
}

/// log p̃ and ∇ log p̃ for a flat batch of points, in parallel (each point independent, so the
/// result does not depend on the thread count). Non-finite gradients are zeroed together with
/// −∞ values; a NaN value becomes −∞.
pub fn log_prob_batch<T: Target + ?Sized>(target: &T, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let d = target.dim();
    let mut grad = vec![0.0; x.len()];
    let log_p: Vec<f64> = x
        .par_chunks(d)
        .zip(grad.par_chunks_mut(d))
        .map(|(xi, gi)| {
            let lp = target.log_prob_and_grad(xi, gi);
            if lp.is_nan() || lp == f64::INFINITY || gi.iter().any(|g| !g.is_finite()) {
                gi.iter_mut().for_each(|g| *g = 0.0);
                return f64::NEG_INFINITY;
            }
            if lp == f64::NEG_INFINITY {
                gi.iter_mut().for_each(|g| *g = 0.0);
            }
            lp
        })
        .collect();
    (log_p, grad)
}

/// Check a target's gradient at `x` against Ridders-extrapolated central differences of
/// [`Target::log_prob`] (initial step `h0`) and its value against `log_prob`. Returns an error
/// naming the first component that disagrees beyond 1e-6 relative (plus ten times the difference
/// quotient's own error estimate). For tests of new targets.
pub fn check_target_gradient<T: Target + ?Sized>(
    target: &T,
    x: &[f64],
    h0: f64,
) -> Result<(), String> {
    let mut g = vec![0.0; x.len()];
    let lp = target.log_prob_and_grad(x, &mut g);
    let lp0 = target.log_prob(x);
    if (lp - lp0).abs() > 1e-12 * lp.abs().max(1.0) {
        return Err(format!("log_prob_and_grad gives {lp}, log_prob {lp0}"));
    }
    for k in 0..x.len() {
        let mut xs = x.to_vec();
        let (fd, err) = crate::gradcheck::ridders(
            |v| {
                xs[k] = v;
                target.log_prob(&xs)
            },
            x[k],
            h0,
        );
        let ok = (fd - g[k]).abs() < 1e-6 * g[k].abs().max(1.0) + 10.0 * err;
        if !ok {
            return Err(format!(
                "component {k}: gradient {} vs finite difference {fd} ± {err}",
                g[k]
            ));
        }
    }
    Ok(())
}

/// Errors of FAB sampling and training.
#[derive(Debug, Error)]
pub enum FabError {
    /// The flow rejected an input or a configuration.
    #[error("flow: {0}")]
    Flow(#[from] FlowError),
    /// The optimizer rejected a setting.
    #[error("optimizer: {0}")]
    Nn(#[from] NnError),
    /// A setting out of range, named with its value.
    #[error("invalid setting: {0}")]
    Config(String),
    /// Flow and target disagree (dimension or domain).
    #[error("flow and target do not match: {0}")]
    Mismatch(String),
    /// No sample had a positive finite weight.
    #[error("no sample with positive weight: {0}")]
    NoWeight(String),
    /// Reading or writing a checkpoint failed.
    #[error("checkpoint: {0}")]
    Io(String),
    /// A name that does not exist, with the known names (e.g. `method 'x' (known: …)`).
    #[error("unknown {0}")]
    Unknown(String),
    /// A checkpoint written by another version of diffhep.
    #[error(transparent)]
    Version(#[from] crate::files::VersionError),
}

#[cfg(test)]
mod tests;
