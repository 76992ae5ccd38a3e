//! Stochastic automatic differentiation for programs with discrete randomness.
//!
//! Programs whose randomness is discrete (a particle interacts or not, a shower branches, a hit
//! count is Poisson) have piecewise-constant sample paths: the pathwise derivative is zero almost
//! everywhere although the expectation moves smoothly with the parameters. This module implements
//! the method of Arya, Schauer, Schäfer & Rackauckas, *Automatic Differentiation of Programs with
//! Discrete Randomness*, NeurIPS 2022 (arXiv:2210.08572), the method behind StochasticAD.jl, and
//! extends it to programs that **branch on discrete values** by re-running the alternative path
//! on the same (coupled) random stream, as needed for showers (Kagan & Heinrich, "Branches of a
//! Tree: Taking Derivatives of Programs with Discrete and Branching Randomness in High Energy
//! Physics", 2023).
//!
//! # Pieces
//! - [`rng`]: counter-based splittable streams; every uniform is a function of
//!   `(seed, stream, draw index)`, which gives the coupling between primal and alternative paths
//!   and thread-count-independent results.
//! - [`Triple`]: the stochastic triple number type (implements [`crate::Scalar`] and
//!   [`crate::RealScalar`]).
//! - [`Sampler`]: the interface a program draws its randomness from; one implementation per way
//!   of differentiating ([`PlainSampler`] for `f64` and alternative paths, [`TripleSampler`] for
//!   stochastic AD, [`ScoreSampler`] and [`RelaxedSampler`] for the baselines).
//! - [`discrete`]: inversion samplers, log-pmfs and derivative couplings of Bernoulli, Binomial,
//!   Geometric, Poisson and Categorical; [`continuous`]: Normal, Exponential, Uniform and Gamma by
//!   reparameterisation.
//! - [`StochasticProgram`] and [`derivative_estimate`]: one unbiased single-sample derivative
//!   estimate `δ_Y + w·(Y_alt − Y)` of a program that may branch.
//! - [`estimators`]: stochastic triples, score function with baseline, straight-through,
//!   Gumbel-softmax and finite differences with common random numbers behind one interface,
//!   each returning the estimate and its standard error.
//!
//! See `docs/stochastic.md` for the guide.

use thiserror::Error;

pub mod continuous;
pub mod discrete;
pub mod estimators;
mod program;
mod pruning;
pub mod rng;
mod sampler;
mod triple;

pub use estimators::{
    plain_run, EstimatorKind, FiniteDifferences, GradientEstimate, GradientEstimator,
    GumbelSoftmax, ScoreFunction, ScoreSampler, StochasticTriples, StraightThrough,
};
pub use program::{derivative_estimate, sample_streams, DirectionalEstimate, StochasticProgram};
pub use pruning::{Perturbation, TripleSampler};
pub use rng::Stream;
pub use sampler::{PlainSampler, Relaxation, RelaxedSampler, Sampler};
pub use triple::Triple;

/// Errors of the stochastic module; each names the offending value.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum StochasticError {
    /// A probability outside [0, 1] (or NaN).
    #[error("{what}: probability {value} is outside [0, 1]")]
    Probability {
        /// Which distribution or argument.
        what: &'static str,
        /// The bad value.
        value: f64,
    },
    /// A parameter outside its domain (negative rate, non-positive scale, non-integer count, …).
    #[error("{what}: value {value} is outside the allowed domain")]
    Parameter {
        /// Which parameter.
        what: &'static str,
        /// The bad value.
        value: f64,
    },
    /// An estimator asked for zero samples (or another bad setting).
    #[error("{what}: bad setting {value}")]
    Setting {
        /// Which setting.
        what: &'static str,
        /// The bad value.
        value: f64,
    },
    /// A name that matches nothing known (e.g. an estimator name).
    #[error("unknown {what} '{name}'")]
    Unknown {
        /// What was being looked up.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A program reported an error of its own.
    #[error("program error: {0}")]
    Program(String),
}

/// Result type of the stochastic module.
pub type Result<T> = std::result::Result<T, StochasticError>;
