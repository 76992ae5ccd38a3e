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

use std::str::FromStr;

use nalgebra::DVector;
use num_dual::{Derivative, DualDVec64};
use rayon::prelude::*;

use super::discrete::{
    bernoulli_inverse, binomial_inverse, categorical_inverse, check_categorical, check_count,
    check_non_negative, check_probability, geometric_inverse, poisson_inverse,
};
use super::program::{check_theta, derivative_estimate, sample_streams, StochasticProgram};
use super::rng::Stream;
use super::sampler::{PlainSampler, Relaxation, RelaxedSampler, Sampler};
use super::{Result, StochasticError};
use crate::scalar::RealScalar;

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
fn mean_se(xs: impl Iterator<Item = f64> + Clone, n: usize) -> (f64, f64) {
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

/// Parameters as vector duals (unit tangents), for the estimators that need all L partials at once.
fn vector_dual_params(theta: &[f64]) -> Vec<DualDVec64> {
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
fn tangent(x: &DualDVec64, l: usize) -> Vec<f64> {
    match &x.eps.0 {
        Some(v) => v.iter().copied().collect(),
        None => vec![0.0; l],
    }
}

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

/// The default reduction, for estimators that override [`GradientEstimator::reduce`].
fn reduce_plain(
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
fn relaxed_terms<P: StochasticProgram>(
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
fn check_temperature(t: f64) -> Result<()> {
    if t > 0.0 && t.is_finite() {
        Ok(())
    } else {
        Err(StochasticError::Setting {
            what: "relaxation temperature",
            value: t,
        })
    }
}

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
