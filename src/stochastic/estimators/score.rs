//! The score-function (REINFORCE) estimator with its leave-one-out baseline, and the
//! [`ScoreSampler`] that accumulates `log p` of the discrete draws.

use num_dual::DualDVec64;

use super::common::{
    reduce_plain, tangent, vector_dual_params, GradientEstimate, GradientEstimator, SampleTerms,
};
use crate::scalar::RealScalar;
use crate::stochastic::discrete::{
    bernoulli_inverse, binomial_inverse, categorical_inverse, check_categorical, check_count,
    check_non_negative, check_probability, geometric_inverse, poisson_inverse,
};
use crate::stochastic::program::{sample_streams, StochasticProgram};
use crate::stochastic::rng::Stream;
use crate::stochastic::sampler::Sampler;
use crate::stochastic::{Result, StochasticError};

/// Sampler of the score-function estimator: plain draws, accumulating `log p(draws; θ)`.
///
/// Discrete draws carry no pathwise derivative; continuous draws are reparameterised as usual.
#[derive(Clone, Debug)]
pub struct ScoreSampler<S> {
    base: Stream,
    stream: Stream,
    log_prob: S,
}

impl<S: RealScalar> ScoreSampler<S> {
    /// Score sampling from `stream`.
    pub fn new(stream: Stream) -> Self {
        ScoreSampler {
            base: stream.clone(),
            stream,
            log_prob: S::zero(),
        }
    }
    /// `log p` of the discrete draws so far (its derivative is the score).
    pub fn log_prob(&self) -> &S {
        &self.log_prob
    }
    /// Add `c·ln(q)` (skipped when `c = 0`, so that `0·ln 0` never appears).
    fn add_log(&mut self, c: f64, q: S) {
        if c != 0.0 {
            self.log_prob += q.ln() * c;
        }
    }
}

impl<S: RealScalar> Sampler<S> for ScoreSampler<S> {
    fn focus(&mut self, key: u64) {
        self.stream = self.base.split(key);
    }
    fn next_uniform(&mut self) -> f64 {
        self.stream.next_uniform()
    }
    fn bernoulli(&mut self, p: &S) -> Result<S> {
        let pv = check_probability("bernoulli: p", p.value())?;
        let x = bernoulli_inverse(pv, self.stream.next_uniform());
        self.add_log(x, p.clone());
        self.add_log(1.0 - x, p.rsub(1.0));
        Ok(S::from_f64(x))
    }
    fn binomial(&mut self, n: &S, p: &S) -> Result<S> {
        let nv = check_count("binomial: n", n.value())?;
        let pv = check_probability("binomial: p", p.value())?;
        let x = binomial_inverse(nv, pv, self.stream.next_uniform());
        self.add_log(x, p.clone());
        self.add_log(nv as f64 - x, p.rsub(1.0));
        Ok(S::from_f64(x))
    }
    fn geometric(&mut self, p: &S) -> Result<S> {
        let pv = check_probability("geometric: p", p.value())?;
        if pv == 0.0 {
            return Err(StochasticError::Probability {
                what: "geometric: p (must be positive)",
                value: pv,
            });
        }
        let x = geometric_inverse(pv, self.stream.next_uniform());
        self.add_log(1.0, p.clone());
        self.add_log(x, p.rsub(1.0));
        Ok(S::from_f64(x))
    }
    fn poisson(&mut self, rate: &S) -> Result<S> {
        let l = check_non_negative("poisson: rate", rate.value())?;
        let x = poisson_inverse(l, self.stream.next_uniform());
        self.add_log(x, rate.clone());
        self.log_prob -= rate.clone();
        Ok(S::from_f64(x))
    }
    fn categorical(&mut self, probs: &[S]) -> Result<S> {
        let p: Vec<f64> = probs.iter().map(|q| q.value()).collect();
        let total = check_categorical(&p)?;
        let x = categorical_inverse(&p, total, self.stream.next_uniform());
        let sum = probs.iter().fold(S::zero(), |a, q| a + q.clone());
        self.add_log(1.0, probs[x as usize].clone());
        self.add_log(-1.0, sum);
        Ok(S::from_f64(x))
    }
}

/// Score function (REINFORCE) with a leave-one-out baseline (unbiased).
#[derive(Clone, Copy, Debug)]
pub struct ScoreFunction {
    /// Subtract the leave-one-out mean of `Y` as a control variate.
    pub baseline: bool,
}

impl Default for ScoreFunction {
    fn default() -> Self {
        ScoreFunction { baseline: true }
    }
}

impl GradientEstimator for ScoreFunction {
    fn name(&self) -> &'static str {
        "score"
    }
    fn unbiased(&self) -> bool {
        true
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
        let l = theta.len();
        let (draws, _) = sample_streams(seed, sample);
        let mut sampler = ScoreSampler::<DualDVec64>::new(draws);
        let y = program.run(&vector_dual_params(theta), &mut sampler)?;
        Ok(SampleTerms {
            values: y.iter().map(|v| v.re).collect(),
            gradient: y.iter().flat_map(|v| tangent(v, l)).collect(),
            score: tangent(sampler.log_prob(), l),
            runs: 1,
        })
    }
    fn reduce(&self, terms: &[SampleTerms], outputs: usize, params: usize) -> GradientEstimate {
        let n = terms.len() as f64;
        let totals: Vec<f64> = (0..outputs)
            .map(|k| terms.iter().map(|t| t.values[k]).sum())
            .collect();
        let combined: Vec<SampleTerms> = terms
            .iter()
            .map(|t| {
                let mut g = t.gradient.clone();
                for k in 0..outputs {
                    let b = if self.baseline {
                        (totals[k] - t.values[k]) / (n - 1.0)
                    } else {
                        0.0
                    };
                    for j in 0..params {
                        g[k * params + j] += (t.values[k] - b) * t.score[j];
                    }
                }
                SampleTerms {
                    gradient: g,
                    score: Vec::new(),
                    ..t.clone()
                }
            })
            .collect();
        reduce_plain(self.name(), &combined, outputs, params)
    }
}
