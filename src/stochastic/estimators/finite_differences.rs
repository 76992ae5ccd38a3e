//! Central finite differences with common random numbers.

use super::common::{GradientEstimator, SampleTerms};
use crate::stochastic::program::{sample_streams, StochasticProgram};
use crate::stochastic::sampler::PlainSampler;
use crate::stochastic::{Result, StochasticError};

/// Central finite differences with common random numbers (bias O(h²)).
#[derive(Clone, Copy, Debug)]
pub struct FiniteDifferences {
    /// Absolute step h.
    pub step: f64,
}

impl Default for FiniteDifferences {
    fn default() -> Self {
        FiniteDifferences { step: 0.05 }
    }
}

impl GradientEstimator for FiniteDifferences {
    fn name(&self) -> &'static str {
        "fd"
    }
    fn unbiased(&self) -> bool {
        false
    }
    /// `2L + 1`: the centre and two shifted runs per parameter.
    fn runs_per_sample(&self, params: usize) -> usize {
        2 * params + 1
    }
    fn sample_terms<P: StochasticProgram>(
        &self,
        program: &P,
        theta: &[f64],
        seed: u64,
        sample: u64,
    ) -> Result<SampleTerms> {
        let h = self.step;
        if !(h > 0.0 && h.is_finite()) {
            return Err(StochasticError::Setting {
                what: "finite-difference step",
                value: h,
            });
        }
        let (draws, _) = sample_streams(seed, sample);
        let run = |t: &[f64]| program.run(t, &mut PlainSampler::new(draws.clone()));
        let values = run(theta)?;
        let l = theta.len();
        let mut gradient = vec![0.0; values.len() * l];
        let mut t = theta.to_vec();
        for j in 0..l {
            t[j] = theta[j] + h;
            let plus = run(&t)?;
            t[j] = theta[j] - h;
            let minus = run(&t)?;
            t[j] = theta[j];
            for k in 0..values.len() {
                gradient[k * l + j] = (plus[k] - minus[k]) / (2.0 * h);
            }
        }
        Ok(SampleTerms {
            values,
            gradient,
            score: Vec::new(),
            runs: 1 + 2 * l,
        })
    }
}
