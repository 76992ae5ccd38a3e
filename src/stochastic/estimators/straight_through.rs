//! The straight-through estimator: exact discrete values with a Gumbel-softmax surrogate
//! derivative.

use super::common::{check_temperature, relaxed_terms, GradientEstimator, SampleTerms};
use crate::stochastic::program::StochasticProgram;
use crate::stochastic::sampler::Relaxation;
use crate::stochastic::Result;

/// Straight-through estimator: exact discrete values, Gumbel-softmax derivative (biased).
#[derive(Clone, Copy, Debug)]
pub struct StraightThrough {
    /// Temperature of the surrogate.
    pub temperature: f64,
}

impl Default for StraightThrough {
    fn default() -> Self {
        StraightThrough { temperature: 1.0 }
    }
}

impl GradientEstimator for StraightThrough {
    fn name(&self) -> &'static str {
        "straight-through"
    }
    fn unbiased(&self) -> bool {
        false
    }
    /// One run in vector-dual arithmetic.
    fn runs_per_sample(&self, _params: usize) -> usize {
        1
    }
    fn sample_terms<P: StochasticProgram>(
        &self,
        program: &P,
        theta: &[f64],
        seed: u64,
        sample: u64,
    ) -> Result<SampleTerms> {
        check_temperature(self.temperature)?;
        let r = Relaxation::StraightThrough {
            temperature: self.temperature,
        };
        relaxed_terms(program, theta, seed, sample, r)
    }
}
