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

    /// Program runs one sample of this estimator costs for `params` parameters
    /// ([`GradientEstimator::runs_per_sample`] of its default settings): `2L` for triples (an
    /// upper bound: L triple runs + at most L `f64` re-runs), `2L + 1` for finite differences, 1
    /// for the vector-dual estimators.
    pub fn runs_per_sample(&self, params: usize) -> usize {
        match self {
            EstimatorKind::Triple => StochasticTriples.runs_per_sample(params),
            EstimatorKind::Score => ScoreFunction::default().runs_per_sample(params),
            EstimatorKind::StraightThrough => StraightThrough::default().runs_per_sample(params),
            EstimatorKind::Gumbel => GumbelSoftmax::default().runs_per_sample(params),
            EstimatorKind::FiniteDifference => FiniteDifferences::default().runs_per_sample(params),
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

#[cfg(test)]
mod tests {
    use super::EstimatorKind;

    #[test]
    fn runs_per_sample_follow_the_module_table() {
        for l in [0, 1, 3, 10] {
            assert_eq!(EstimatorKind::Triple.runs_per_sample(l), 2 * l);
            assert_eq!(
                EstimatorKind::FiniteDifference.runs_per_sample(l),
                2 * l + 1
            );
            for kind in [
                EstimatorKind::Score,
                EstimatorKind::StraightThrough,
                EstimatorKind::Gumbel,
            ] {
                assert_eq!(kind.runs_per_sample(l), 1);
            }
        }
    }
}
