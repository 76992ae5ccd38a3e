//! The Gumbel-softmax (Concrete) estimator: relaxed values and their derivative.

use super::common::{check_temperature, relaxed_terms, GradientEstimator, SampleTerms};
use crate::stochastic::program::StochasticProgram;
use crate::stochastic::sampler::Relaxation;
use crate::stochastic::Result;

/// Gumbel-softmax (Concrete) relaxation: relaxed values and their derivative (biased).
#[derive(Clone, Copy, Debug)]
pub struct GumbelSoftmax {
    /// Temperature τ.
    pub temperature: f64,
}

impl Default for GumbelSoftmax {
    fn default() -> Self {
        GumbelSoftmax { temperature: 0.5 }
    }
}

impl GradientEstimator for GumbelSoftmax {
    fn name(&self) -> &'static str {
        "gumbel"
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
        let r = Relaxation::GumbelSoftmax {
            temperature: self.temperature,
        };
        relaxed_terms(program, theta, seed, sample, r)
    }
}
