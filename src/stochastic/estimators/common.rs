//! What every estimator shares: the [`GradientEstimate`] result, the per-sample
//! [`SampleTerms`], the [`GradientEstimator`] trait with its default reduction, and helpers for
//! vector-dual parameters and relaxed samplers.

use nalgebra::DVector;
use num_dual::{Derivative, DualDVec64};
use rayon::prelude::*;

use crate::stochastic::program::{check_theta, sample_streams, StochasticProgram};
use crate::stochastic::sampler::{Relaxation, RelaxedSampler};
use crate::stochastic::{Result, StochasticError};

/// Estimated expectations and gradients with standard errors.
#[derive(Clone, Debug)]
pub struct GradientEstimate {
    /// Name of the estimator.
    pub estimator: &'static str,
    /// Mean of each output `E[Y_k]`.
    pub value: Vec<f64>,
    /// Standard error of each mean.
    pub value_se: Vec<f64>,
    /// `gradient[k][j]` ≈ `∂E[Y_k]/∂θ_j`.
    pub gradient: Vec<Vec<f64>>,
    /// Standard error of each gradient entry.
    pub gradient_se: Vec<Vec<f64>>,
    /// Number of samples.
    pub samples: usize,
    /// Total number of program runs.
    pub runs: usize,
}

/// Per-sample terms computed by an estimator before the reduction.
#[derive(Clone, Debug)]
pub struct SampleTerms {
    /// Outputs of this sample.
    pub values: Vec<f64>,
    /// Gradient terms, row-major `[k * L + j]`.
    pub gradient: Vec<f64>,
    /// Score `∂ log p/∂θ_j` (score-function estimator only; empty otherwise).
    pub score: Vec<f64>,
    /// Program runs used.
    pub runs: usize,
}

/// Mean and standard error of a column of per-sample terms.
pub(super) fn mean_se(xs: impl Iterator<Item = f64> + Clone, n: usize) -> (f64, f64) {
    let nf = n as f64;
    let mean = xs.clone().sum::<f64>() / nf;
    let var = xs.map(|x| (x - mean) * (x - mean)).sum::<f64>() / (nf - 1.0);
    (mean, (var / nf).sqrt())
}

/// One interface for every gradient estimator.
pub trait GradientEstimator: Sync {
    /// Short name ("triple", "score", …).
    fn name(&self) -> &'static str;
    /// Whether the estimator is unbiased for `∂E[Y]/∂θ`.
    fn unbiased(&self) -> bool;
    /// Program runs one sample costs for `params` parameters, as in the module table: an upper
    /// bound where the count depends on the sample (stochastic triples), the exact count
    /// otherwise. Use it to turn a budget of program runs into a number of samples.
    fn runs_per_sample(&self, params: usize) -> usize;
    /// The terms of sample `sample` (stream `sample` of `seed`).
    fn sample_terms<P: StochasticProgram>(
        &self,
        program: &P,
        theta: &[f64],
        seed: u64,
        sample: u64,
    ) -> Result<SampleTerms>;

    /// Reduce the per-sample terms (in sample order) to estimates and standard errors.
    fn reduce(&self, terms: &[SampleTerms], outputs: usize, params: usize) -> GradientEstimate {
        let n = terms.len();
        let mut value = Vec::with_capacity(outputs);
        let mut value_se = Vec::with_capacity(outputs);
        let mut gradient = vec![vec![0.0; params]; outputs];
        let mut gradient_se = vec![vec![0.0; params]; outputs];
        for k in 0..outputs {
            let (m, s) = mean_se(terms.iter().map(|t| t.values[k]), n);
            value.push(m);
            value_se.push(s);
            for j in 0..params {
                let (m, s) = mean_se(terms.iter().map(|t| t.gradient[k * params + j]), n);
                gradient[k][j] = m;
                gradient_se[k][j] = s;
            }
        }
        GradientEstimate {
            estimator: self.name(),
            value,
            value_se,
            gradient,
            gradient_se,
            samples: n,
            runs: terms.iter().map(|t| t.runs).sum(),
        }
    }

    /// Estimate `E[Y]` and `∂E[Y]/∂θ` from `samples` samples (at least 2) of seed `seed`.
    fn estimate<P: StochasticProgram>(
        &self,
        program: &P,
        theta: &[f64],
        samples: usize,
        seed: u64,
    ) -> Result<GradientEstimate> {
        if samples < 2 {
            return Err(StochasticError::Setting {
                what: "number of samples (at least 2 for a standard error)",
                value: samples as f64,
            });
        }
        check_theta(program, theta)?;
        let terms: Vec<SampleTerms> = (0..samples as u64)
            .into_par_iter()
            .map(|i| self.sample_terms(program, theta, seed, i))
            .collect::<Result<_>>()?;
        Ok(self.reduce(&terms, program.num_outputs(), program.num_params()))
    }
}

/// Parameters as vector duals (unit tangents), for the estimators that need all L partials at once.
pub(super) fn vector_dual_params(theta: &[f64]) -> Vec<DualDVec64> {
    let l = theta.len();
    theta
        .iter()
        .enumerate()
        .map(|(j, &t)| {
            let mut e = DVector::zeros(l);
            e[j] = 1.0;
            DualDVec64::new(t, Derivative::some(e))
        })
        .collect()
}

/// The tangent (partials) of a vector dual; zeros when it has none.
pub(super) fn tangent(x: &DualDVec64, l: usize) -> Vec<f64> {
    match &x.eps.0 {
        Some(v) => v.iter().copied().collect(),
        None => vec![0.0; l],
    }
}

/// The default reduction, for estimators that override [`GradientEstimator::reduce`].
pub(super) fn reduce_plain(
    name: &'static str,
    terms: &[SampleTerms],
    outputs: usize,
    params: usize,
) -> GradientEstimate {
    struct Named(&'static str);
    impl GradientEstimator for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn unbiased(&self) -> bool {
            true
        }
        fn runs_per_sample(&self, _: usize) -> usize {
            unreachable!("used for reduction only")
        }
        fn sample_terms<P: StochasticProgram>(
            &self,
            _: &P,
            _: &[f64],
            _: u64,
            _: u64,
        ) -> Result<SampleTerms> {
            unreachable!("used for reduction only")
        }
    }
    Named(name).reduce(terms, outputs, params)
}

/// Relaxed-sampler terms shared by straight-through and Gumbel-softmax.
pub(super) fn relaxed_terms<P: StochasticProgram>(
    program: &P,
    theta: &[f64],
    seed: u64,
    sample: u64,
    relaxation: Relaxation,
) -> Result<SampleTerms> {
    let l = theta.len();
    let (draws, _) = sample_streams(seed, sample);
    let mut sampler = RelaxedSampler::new(draws, relaxation);
    let y: Vec<DualDVec64> = program.run(&vector_dual_params(theta), &mut sampler)?;
    Ok(SampleTerms {
        values: y.iter().map(|v| v.re).collect(),
        gradient: y.iter().flat_map(|v| tangent(v, l)).collect(),
        score: Vec::new(),
        runs: 1,
    })
}

/// Check a relaxation temperature.
pub(super) fn check_temperature(t: f64) -> Result<()> {
    if t > 0.0 && t.is_finite() {
        Ok(())
    } else {
        Err(StochasticError::Setting {
            what: "relaxation temperature",
            value: t,
        })
    }
}
