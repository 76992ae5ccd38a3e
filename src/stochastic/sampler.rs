//! The interface programs draw randomness from, the plain sampler and the relaxed samplers.

use statrs::distribution::{ContinuousCDF, Normal};

use super::discrete::{
    bernoulli_inverse, binomial_inverse, categorical_inverse, check_categorical, check_count,
    check_non_negative, check_probability, geometric_inverse, poisson_inverse,
};
use super::rng::Stream;
use super::{continuous, Result};
use crate::scalar::RealScalar;

/// A source of random draws for a program evaluated with number type `S`.
///
/// Programs written against `Sampler<S>` (generic over `S: RealScalar`) run unchanged as plain
/// `f64` simulations ([`PlainSampler`]), with stochastic triples ([`super::TripleSampler`]), with
/// the score function ([`super::ScoreSampler`]) and with relaxations ([`RelaxedSampler`]).
///
/// Every draw, discrete or continuous, takes exactly one index of the underlying [`Stream`], so
/// two runs that make the same sequence of draws see the same uniforms. Discrete draws return
/// integer-valued numbers of type `S` (for triples: carrying the finite perturbation).
pub trait Sampler<S: RealScalar> {
    /// Switch to the sub-stream `key` of this sample's stream (its draw counter starts at 0).
    ///
    /// Keying the randomness by *what* is drawn (e.g. a particle's identity and the layer)
    /// instead of by the order of draws keeps the primal and alternative paths coupled after
    /// a branch: particles unaffected by a perturbation see the same uniforms on both paths even
    /// if the perturbed branch made more or fewer draws. Use each key at most once per run.
    fn focus(&mut self, key: u64);
    /// The next draw's uniform number in (0, 1).
    fn next_uniform(&mut self) -> f64;
    /// Bernoulli(p): 1 with probability `p`.
    fn bernoulli(&mut self, p: &S) -> Result<S>;
    /// Binomial(n, p); `n` must be a non-negative integer (it may itself be a random draw).
    fn binomial(&mut self, n: &S, p: &S) -> Result<S>;
    /// Geometric(p): number of failures before the first success.
    fn geometric(&mut self, p: &S) -> Result<S>;
    /// Poisson(λ).
    fn poisson(&mut self, rate: &S) -> Result<S>;
    /// Categorical over `0..probs.len()` with probabilities proportional to `probs`.
    fn categorical(&mut self, probs: &[S]) -> Result<S>;

    /// Normal(mean, sd) by reparameterisation `mean + sd·Φ⁻¹(u)`.
    fn normal(&mut self, mean: &S, sd: &S) -> Result<S> {
        let u = self.next_uniform();
        continuous::normal(mean, sd, u)
    }
    /// Exponential(rate) by reparameterisation `−ln(1 − u)/rate`.
    fn exponential(&mut self, rate: &S) -> Result<S> {
        let u = self.next_uniform();
        continuous::exponential(rate, u)
    }
    /// Uniform(low, high) by reparameterisation `low + (high − low)·u`.
    fn uniform(&mut self, low: &S, high: &S) -> Result<S> {
        let u = self.next_uniform();
        continuous::uniform(low, high, u)
    }
    /// Gamma(shape, scale) by inversion with the implicit reparameterisation gradient.
    fn gamma(&mut self, shape: &S, scale: &S) -> Result<S> {
        let u = self.next_uniform();
        continuous::gamma(shape, scale, u)
    }
}

/// Plain sampling: discrete draws carry no derivative (`S::from_f64`), continuous draws are
/// reparameterised. Optionally one draw (by index) is forced to a given value: this is how the
/// alternative path of a stochastic-AD perturbation is re-run on the coupled stream.
#[derive(Clone, Debug)]
pub struct PlainSampler {
    base: Stream,
    stream: Stream,
    forced: Option<(u64, u64, f64)>,
}

impl PlainSampler {
    /// Sample from `stream`.
    pub fn new(stream: Stream) -> Self {
        PlainSampler {
            base: stream.clone(),
            stream,
            forced: None,
        }
    }

    /// Sample from `stream`, but make discrete draw `index` of (sub-)stream `stream_id` return
    /// `value`.
    pub fn with_forced(stream: Stream, stream_id: u64, index: u64, value: f64) -> Self {
        PlainSampler {
            base: stream.clone(),
            stream,
            forced: Some((stream_id, index, value)),
        }
    }

    /// Draw: the forced value at the forced index, else `invert(u)`.
    #[inline]
    fn draw(&mut self, invert: impl FnOnce(f64) -> f64) -> f64 {
        let i = self.stream.next_index();
        match self.forced {
            Some((id, j, v)) if j == i && id == self.stream.id() => v,
            _ => invert(self.stream.uniform_at(i, 0)),
        }
    }
}

impl<S: RealScalar> Sampler<S> for PlainSampler {
    fn focus(&mut self, key: u64) {
        self.stream = self.base.split(key);
    }
    fn next_uniform(&mut self) -> f64 {
        self.stream.next_uniform()
    }
    fn bernoulli(&mut self, p: &S) -> Result<S> {
        let p = check_probability("bernoulli: p", p.value())?;
        Ok(S::from_f64(self.draw(|u| bernoulli_inverse(p, u))))
    }
    fn binomial(&mut self, n: &S, p: &S) -> Result<S> {
        let n = check_count("binomial: n", n.value())?;
        let p = check_probability("binomial: p", p.value())?;
        Ok(S::from_f64(self.draw(|u| binomial_inverse(n, p, u))))
    }
    fn geometric(&mut self, p: &S) -> Result<S> {
        let p = check_probability("geometric: p", p.value())?;
        if p == 0.0 {
            return Err(super::StochasticError::Probability {
                what: "geometric: p (must be positive)",
                value: p,
            });
        }
        Ok(S::from_f64(self.draw(|u| geometric_inverse(p, u))))
    }
    fn poisson(&mut self, rate: &S) -> Result<S> {
        let l = check_non_negative("poisson: rate", rate.value())?;
        Ok(S::from_f64(self.draw(|u| poisson_inverse(l, u))))
    }
    fn categorical(&mut self, probs: &[S]) -> Result<S> {
        let p: Vec<f64> = probs.iter().map(|q| q.value()).collect();
        let total = check_categorical(&p)?;
        Ok(S::from_f64(
            self.draw(|u| categorical_inverse(&p, total, u)),
        ))
    }
}

/// Which relaxation a [`RelaxedSampler`] applies to discrete draws. Both are biased.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Relaxation {
    /// Straight-through: the value is the exact discrete draw, the derivative is that of the
    /// relaxed (Gumbel-softmax) draw at `temperature`.
    StraightThrough {
        /// Softmax temperature τ of the surrogate whose derivative is used.
        temperature: f64,
    },
    /// Gumbel-softmax / Concrete (Jang et al. 2017; Maddison et al. 2017): the value itself is
    /// the relaxed draw at `temperature` (a number between the discrete values).
    GumbelSoftmax {
        /// Softmax temperature τ (→ 0: exact but high-variance derivative).
        temperature: f64,
    },
}

/// Sampler of the relaxation estimators.
///
/// - Bernoulli(p): logistic noise `g = ln u − ln(1−u)`, relaxed draw
///   `σ((logit p + g)/τ)`; its hard version `1{logit p + g > 0}` equals the inversion draw.
/// - Binomial(n, p): the sum of `n` relaxed Bernoulli draws (sub-uniforms of one draw index).
/// - Categorical: Gumbel-max with `g_j = −ln(−ln u_j)`, relaxed index `Σ_j j·softmax((ln p + g)/τ)_j`.
/// - Geometric and Poisson have no Gumbel-softmax form; their surrogate is continuous:
///   `ln(1−u)/ln(1−p)` (the exponential whose floor is the geometric draw) and the normal
///   approximation `λ + √λ·Φ⁻¹(u)`; the temperature does not enter.
///
/// With [`Relaxation::StraightThrough`] every discrete draw has the exact discrete value and the
/// surrogate's derivative (`hard + (soft − value(soft))`); with [`Relaxation::GumbelSoftmax`] the
/// value is the surrogate itself.
#[derive(Clone, Debug)]
pub struct RelaxedSampler {
    base: Stream,
    stream: Stream,
    relaxation: Relaxation,
}

impl RelaxedSampler {
    /// Relaxed sampling from `stream`.
    pub fn new(stream: Stream, relaxation: Relaxation) -> Self {
        RelaxedSampler {
            base: stream.clone(),
            stream,
            relaxation,
        }
    }

    fn temperature(&self) -> f64 {
        match self.relaxation {
            Relaxation::StraightThrough { temperature } => temperature,
            Relaxation::GumbelSoftmax { temperature } => temperature,
        }
    }

    /// Combine the exact draw `hard` and the surrogate `soft` according to the relaxation.
    fn combine<S: RealScalar>(&self, hard: f64, soft: S) -> S {
        match self.relaxation {
            Relaxation::StraightThrough { .. } => {
                let v = soft.value();
                soft - v + hard
            }
            Relaxation::GumbelSoftmax { .. } => soft,
        }
    }

    /// Relaxed Bernoulli from uniform `u`: `(hard, soft)`.
    fn relaxed_bernoulli<S: RealScalar>(&self, p: &S, u: f64) -> (f64, S) {
        let hard = bernoulli_inverse(p.value(), u);
        let g = u.ln() - (-u).ln_1p();
        let logit = p.clone().ln() - p.rsub(1.0).ln();
        let z = (logit + g) / self.temperature();
        // σ(z) = 1 / (1 + e^{−z})
        let soft = ((-z).exp() + 1.0).recip();
        (hard, soft)
    }
}

impl<S: RealScalar> Sampler<S> for RelaxedSampler {
    fn focus(&mut self, key: u64) {
        self.stream = self.base.split(key);
    }
    fn next_uniform(&mut self) -> f64 {
        self.stream.next_uniform()
    }
    fn bernoulli(&mut self, p: &S) -> Result<S> {
        check_probability("bernoulli: p", p.value())?;
        let u = self.stream.next_uniform();
        let (hard, soft) = self.relaxed_bernoulli(p, u);
        Ok(self.combine(hard, soft))
    }
    fn binomial(&mut self, n: &S, p: &S) -> Result<S> {
        let n = check_count("binomial: n", n.value())?;
        check_probability("binomial: p", p.value())?;
        let i = self.stream.next_index();
        let mut hard = 0.0;
        let mut soft = S::zero();
        for j in 0..n {
            let (h, s) = self.relaxed_bernoulli(p, self.stream.uniform_at(i, j));
            hard += h;
            soft += s;
        }
        Ok(self.combine(hard, soft))
    }
    fn geometric(&mut self, p: &S) -> Result<S> {
        let pv = check_probability("geometric: p", p.value())?;
        if pv == 0.0 || pv == 1.0 {
            return Err(super::StochasticError::Probability {
                what: "geometric (relaxed): p (must be in (0, 1))",
                value: pv,
            });
        }
        let u = self.stream.next_uniform();
        let hard = geometric_inverse(pv, u);
        let soft = p.rsub(1.0).ln().rdiv((-u).ln_1p());
        Ok(self.combine(hard, soft))
    }
    fn poisson(&mut self, rate: &S) -> Result<S> {
        let l = check_non_negative("poisson: rate", rate.value())?;
        let u = self.stream.next_uniform();
        let hard = poisson_inverse(l, u);
        let z = Normal::standard().inverse_cdf(u);
        let soft = rate.clone() + rate.clone().sqrt() * z;
        Ok(self.combine(hard, soft))
    }
    fn categorical(&mut self, probs: &[S]) -> Result<S> {
        let p: Vec<f64> = probs.iter().map(|q| q.value()).collect();
        check_categorical(&p)?;
        let i = self.stream.next_index();
        let tau = self.temperature();
        let scores: Vec<S> = probs
            .iter()
            .enumerate()
            .map(|(j, q)| {
                let u = self.stream.uniform_at(i, j as u64);
                (q.clone().ln() - (-u.ln()).ln()) / tau
            })
            .collect();
        // Gumbel-max: the hard draw is the arg-max (zero-probability categories never win).
        let (hard, top) = scores
            .iter()
            .enumerate()
            .filter(|(j, _)| p[*j] > 0.0)
            .map(|(j, s)| (j as f64, s.value()))
            .fold(
                (0.0, f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            );
        let weights: Vec<S> = scores
            .iter()
            .enumerate()
            .map(|(j, s)| {
                if p[j] > 0.0 {
                    (s.clone() - top).exp()
                } else {
                    S::zero()
                }
            })
            .collect();
        let norm = weights.iter().fold(S::zero(), |a, w| a + w.clone());
        let index = weights
            .iter()
            .enumerate()
            .fold(S::zero(), |a, (j, w)| a + w.clone() * j as f64);
        Ok(self.combine(hard, index / norm))
    }
}
