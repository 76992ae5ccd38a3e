//! The stochastic-triple estimator: one directional derivative estimate per parameter.

use super::common::{GradientEstimator, SampleTerms};
use crate::stochastic::program::{derivative_estimate, sample_streams, StochasticProgram};
use crate::stochastic::sampler::PlainSampler;
use crate::stochastic::Result;

/// Stochastic triples with pruning and re-run of the alternative path (unbiased).
#[derive(Clone, Copy, Debug, Default)]
pub struct StochasticTriples;

impl GradientEstimator for StochasticTriples {
    fn name(&self) -> &'static str {
        "triple"
    }
    fn unbiased(&self) -> bool {
        true
    }
    /// `2L`, the bound of the module table: one triple run per parameter plus at most one `f64`
    /// re-run of the alternative path each. (For `L = 0` this is 0, although the estimator then
    /// runs the program once in `f64`.)
    fn runs_per_sample(&self, params: usize) -> usize {
        2 * params
    }
    fn sample_terms<P: StochasticProgram>(
        &self,
        program: &P,
        theta: &[f64],
        seed: u64,
        sample: u64,
    ) -> Result<SampleTerms> {
        let l = theta.len();
        let k = program.num_outputs();
        let mut gradient = vec![0.0; k * l];
        let mut values = Vec::new();
        let mut runs = 0;
        let mut direction = vec![0.0; l];
        for j in 0..l {
            direction[j] = 1.0;
            let d = derivative_estimate(program, theta, &direction, seed, sample)?;
            direction[j] = 0.0;
            for (kk, g) in d.derivative.iter().enumerate() {
                gradient[kk * l + j] = *g;
            }
            values = d.value;
            runs += d.runs;
        }
        if l == 0 {
            let (draws, _) = sample_streams(seed, sample);
            values = program.run(theta, &mut PlainSampler::new(draws))?;
            runs = 1;
        }
        Ok(SampleTerms {
            values,
            gradient,
            score: Vec::new(),
            runs,
        })
    }
}
