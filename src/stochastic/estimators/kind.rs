//! [`EstimatorKind`]: the estimators by name, with their default settings, name parsing and
//! dispatch.

use std::str::FromStr;

use super::common::{GradientEstimate, GradientEstimator};
use super::{FiniteDifferences, GumbelSoftmax, ScoreFunction, StochasticTriples, StraightThrough};
use crate::stochastic::program::StochasticProgram;
use crate::stochastic::{Result, StochasticError};

/// The estimators by name, with their default settings (for command lines and loops).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EstimatorKind {
    /// [`StochasticTriples`].
    Triple,
    /// [`ScoreFunction`] with baseline.
    Score,
    /// [`StraightThrough`] (τ = 1).
    StraightThrough,
    /// [`GumbelSoftmax`] (τ = 0.5).
    Gumbel,
    /// [`FiniteDifferences`] (h = 0.05).
    FiniteDifference,
}

impl EstimatorKind {
    /// Every estimator, in table order.
    pub const ALL: [EstimatorKind; 5] = [
        EstimatorKind::Triple,
        EstimatorKind::Score,
        EstimatorKind::StraightThrough,
        EstimatorKind::Gumbel,
        EstimatorKind::FiniteDifference,
    ];

    /// The short name (as accepted by [`FromStr`]).
    pub fn name(&self) -> &'static str {
        match self {
            EstimatorKind::Triple => "triple",
            EstimatorKind::Score => "score",
            EstimatorKind::StraightThrough => "straight-through",
            EstimatorKind::Gumbel => "gumbel",
            EstimatorKind::FiniteDifference => "fd",
        }
    }

    /// Estimate with this estimator's default settings (see [`GradientEstimator::estimate`]).
    pub fn estimate<P: StochasticProgram>(
        &self,
        program: &P,
        theta: &[f64],
        samples: usize,
        seed: u64,
    ) -> Result<GradientEstimate> {
        match self {
            EstimatorKind::Triple => StochasticTriples.estimate(program, theta, samples, seed),
            EstimatorKind::Score => {
                ScoreFunction::default().estimate(program, theta, samples, seed)
            }
            EstimatorKind::StraightThrough => {
                StraightThrough::default().estimate(program, theta, samples, seed)
            }
            EstimatorKind::Gumbel => {
                GumbelSoftmax::default().estimate(program, theta, samples, seed)
            }
            EstimatorKind::FiniteDifference => {
                FiniteDifferences::default().estimate(program, theta, samples, seed)
            }
        }
    }
}

impl FromStr for EstimatorKind {
    type Err = StochasticError;
    fn from_str(s: &str) -> Result<Self> {
        EstimatorKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s || (s == "st" && *k == EstimatorKind::StraightThrough))
            .ok_or(StochasticError::Unknown {
                what: "estimator (expected triple, score, straight-through, gumbel or fd)",
                name: s.to_string(),
            })
    }
}
