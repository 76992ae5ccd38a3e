//! The common interface of trained estimators: amortised posterior sampling and log density.

use super::error::Result;

/// An amortised posterior estimate `q(θ|x)`.
pub trait Posterior: Sync {
    /// Dimension of θ.
    fn theta_dim(&self) -> usize;
    /// `n` samples of `q(θ|x)` for one observation `x` (flat), deterministic in `seed`.
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>>;
    /// `log q(θ|x)` for rows θ and one observation `x`. For NLE and NRE this is the unnormalised
    /// `log p̂(x|θ) + log π(θ)` (or `log r̂(x, θ) + log π(θ)`), which is enough for MCMC, HPD
    /// coverage and ranking.
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<Vec<f64>>;
}
