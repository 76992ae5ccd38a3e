//! Expected information gain (EIG) for Bayesian optimal experimental design (BOED).
//!
//! A design `d` (where, when or how to measure) is good when the observation `x ~ p(x|θ, d)` is
//! expected to tell much about θ:
//!
//! `EIG(d) = E_{p(θ) p(x|θ,d)}[ log p(x|θ, d) − log p(x|d) ]`,
//!
//! the mutual information between θ and x under design d (Lindley, "On a measure of the
//! information provided by an experiment", Ann. Math. Stat. 1956; review: Rainforth, Foster,
//! Ivanova & Bickford Smith, "Modern Bayesian experimental design", Stat. Sci. 2024). The
//! marginal `p(x|d)` is intractable, so the EIG is estimated:
//!
//! - [`eig_nested_mc`] (Ryan 2003; Rainforth et al. 2018) needs `log p(x|θ, d)`: consistent,
//!   biased up by `O(1/M)`;
//! - [`eig_posterior_bound`] (Barber & Agakov 2003; Foster et al. 2019) from an NPE `q(θ|x)`:
//!   a lower bound;
//! - [`eig_likelihood_nmc`] from an NLE `q(x|θ)`: plug-in nested Monte Carlo, not a bound;
//! - [`eig_contrastive`] InfoNCE / NWJ (Kleinegesse & Gutmann 2020, 2021) from an NRE critic
//!   `s(θ, x)`: lower bounds, InfoNCE at most `ln(L + 1)`.
//!
//! Each returns an [`EigEstimate`]: the mean of i.i.d. per-sample terms with its standard error
//! (Monte Carlo error only; biases as listed, see [`EigKind`]). The SBI estimators reuse
//! the trained [`NpeEstimator`](crate::sbi::NpeEstimator),
//! [`NleEstimator`](crate::sbi::NleEstimator) and [`RatioEstimator`](crate::sbi::RatioEstimator),
//! trained on [`simulate_design_set`] at the design ([`train_estimators`] trains all three).
//!
//! **Simulators** implement [`DesignSimulator`]: a prior, a reparameterised simulator
//! `x = g(θ, ε, d)` written once against [`RealScalar`](crate::RealScalar) (so dual numbers give
//! `∂x/∂d`), and optionally the log-likelihood. [`GaussianMeanModel`] (a mean `μ(θ, d)` plus
//! Gaussian noise) gives both with the exact likelihood. Tasks: [`LinearGaussian`] (closed-form
//! EIG) and [`SourceLocation`] (multimodal, after Foster et al., "Deep adaptive design", 2021).
//!
//! **Design gradients** (`*_grad`) differentiate the same estimator at fixed random numbers:
//! nested MC exactly (dual numbers through `x(d)` and `log p(x|θ, d)`), the SBI estimators
//! pathwise through `x(θ, ε, d)` with the network held fixed ([`pathwise`] — the network's input
//! gradient times the simulator's design Jacobian). [`multi_start_ascent`] runs Adam from several
//! starts in parallel and keeps the best; [`Scan1d`] locates the optimum of a 1-D design by a
//! dense nested Monte Carlo scan.
//!
//! See `docs/eig.md` for the measured numbers.

pub mod ascent;
pub mod contrastive_bound;
mod error;
pub mod estimate;
pub mod gaussian_noise;
pub mod likelihood_estimate;
pub mod linear_gaussian;
pub mod nested_mc;
pub mod pathwise;
pub mod posterior_bound;
pub mod scan;
pub mod simulator;
pub mod source_location;
pub mod train;

#[cfg(test)]
mod tests;

pub use ascent::{ascend_nested_mc, multi_start_ascent, AscentConfig, AscentResult, Trajectory};
pub use contrastive_bound::{
    eig_contrastive, eig_contrastive_grad, ContrastiveBound, ContrastiveConfig,
};
pub use error::{EigError, Result};
pub use estimate::{EigEstimate, EigGradient, EigKind};
pub use gaussian_noise::GaussianMeanModel;
pub use likelihood_estimate::{eig_likelihood_nmc, eig_likelihood_nmc_grad};
pub use linear_gaussian::LinearGaussian;
pub use nested_mc::{eig_nested_mc, eig_nested_mc_grad, NmcConfig};
pub use pathwise::EvalConfig;
pub use posterior_bound::{eig_posterior_bound, eig_posterior_bound_grad};
pub use scan::Scan1d;
pub use simulator::{
    check_design, design_jacobians, simulate_design_set, simulate_draws, DesignSimulator, Draws,
};
pub use source_location::SourceLocation;
pub use train::{train_estimators, EigTrainConfig, TrainedEstimators};
