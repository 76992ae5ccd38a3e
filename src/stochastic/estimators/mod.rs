//! Gradient estimators behind one interface, for side-by-side comparison on the same program.
//!
//! | estimator | unbiased | program runs per sample (L parameters) | notes |
//! | --- | --- | --- | --- |
//! | [`StochasticTriples`] | yes | L triple runs + ≤ L `f64` re-runs | Arya et al. 2022 |
//! | [`ScoreFunction`] | yes | 1 (vector dual) | Williams 1992, leave-one-out baseline |
//! | [`StraightThrough`] | no | 1 (vector dual) | exact values, surrogate derivative |
//! | [`GumbelSoftmax`] | no | 1 (vector dual) | relaxed values, τ-dependent bias |
//! | [`FiniteDifferences`] | O(h²) bias | 2L + 1 | common random numbers |
//!
//! The run counts are also available in code: [`GradientEstimator::runs_per_sample`] and
//! [`EstimatorKind::runs_per_sample`] (`2L` for triples, the table's upper bound).
//!
//! Every estimator draws sample `i` from stream `i` of the seed ([`super::rng`]), computes the
//! per-sample terms in parallel (rayon), collects them in sample order and reduces them
//! sequentially, so the result is bit-identical for a seed at any thread count. The standard
//! error of each entry is the sample standard deviation of its per-sample terms over `√N`.
//!
//! **Score function** (REINFORCE; R. J. Williams, "Simple statistical gradient-following
//! algorithms for connectionist reinforcement learning", Machine Learning 8 (1992) 229):
//! `∂E[Y] = E[∂_path Y + (Y − b)·∂ log p(draws; θ)]`, where `∂ log p` sums the score of every
//! discrete draw and `∂_path Y` is the pathwise derivative from reparameterised continuous
//! draws. The baseline `b` for sample `i` is the mean of `Y` over the *other* samples
//! (leave-one-out), which keeps the estimate unbiased; the per-sample terms are then weakly
//! dependent, which the standard error neglects (an O(1/N) effect).
//!
//! **Straight-through / Gumbel-softmax** (Jang, Gu & Poole, "Categorical Reparameterization with
//! Gumbel-Softmax", ICLR 2017; Maddison, Mnih & Teh, "The Concrete Distribution", ICLR 2017) use
//! the derivative of a continuous relaxation of each discrete draw ([`super::RelaxedSampler`]).
//! They are **biased**: the derivative of a relaxed program is not the derivative of the
//! expectation of the discrete one, and branching programs see relaxed values.
//!
//! **Finite differences** with common random numbers: `(Y(θ + h e_j) − Y(θ − h e_j)) / 2h` with
//! the same stream on both sides; O(h²) bias, variance growing like 1/h for discrete programs.

mod common;
mod finite_differences;
mod gumbel;
mod kind;
mod score;
mod straight_through;
mod triples;

pub use common::{GradientEstimate, GradientEstimator, SampleTerms};
pub use finite_differences::FiniteDifferences;
pub use gumbel::GumbelSoftmax;
pub use kind::EstimatorKind;
pub use score::{ScoreFunction, ScoreSampler};
pub use straight_through::StraightThrough;
pub use triples::StochasticTriples;

use super::program::{check_theta, sample_streams, StochasticProgram};
use super::sampler::PlainSampler;
use super::Result;

/// Run a program once in `f64` on sample `sample` of `seed` (no derivatives).
pub fn plain_run<P: StochasticProgram>(
    program: &P,
    theta: &[f64],
    seed: u64,
    sample: u64,
) -> Result<Vec<f64>> {
    check_theta(program, theta)?;
    let (draws, _) = sample_streams(seed, sample);
    program.run(theta, &mut PlainSampler::new(draws))
}
