//! The stochastic-triple sampler: couplings, the perturbation ledger and pruning.
//!
//! Each discrete draw whose parameter carries a derivative proposes up to two finite
//! perturbations (see [`super::discrete`]). Keeping all of them would make the cost grow with the
//! number of draws, so the sampler keeps **one**: a new candidate with weight `w` replaces the
//! current one with probability `|w| / W`, where `W` is the sum of `|w|` over every candidate
//! seen so far, and the survivor's weight is set to `sign(w)·W` (Arya et al., NeurIPS 2022,
//! arXiv:2210.08572, §"pruning"). After all draws, candidate `i` has survived with probability
//! `|w_i|/W` and carries weight `±W`, so `E[w_survivor·D_survivor] = Σ_i w_i·D_i`: the pruned
//! estimate is unbiased. The pruning decisions use their own stream, independent of the draws.
//!
//! A draw whose parameters carry the (alive) perturbation is re-drawn at the perturbed parameters
//! with the same uniform (inversion coupling), so `Δ` propagates through chains such as
//! Binomial(Binomial(n, p), p).

use super::discrete::{
    bernoulli_coupling, bernoulli_inverse, binomial_coupling, binomial_inverse,
    categorical_coupling, categorical_inverse, check_categorical, check_count, check_non_negative,
    check_probability, geometric_coupling, geometric_inverse, poisson_coupling, poisson_inverse,
    Candidate,
};
use super::rng::Stream;
use super::sampler::Sampler;
use super::{Result, StochasticError, Triple};

/// The surviving perturbation of a run: which draw jumps, to what, and with which weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Perturbation {
    /// Tag carried by every triple this perturbation affects.
    pub tag: u32,
    /// Signed weight (after pruning: `±` the total weight of all candidates).
    pub weight: f64,
    /// Id of the (sub-)stream the jumping draw came from.
    pub stream_id: u64,
    /// Index of the jumping draw within that stream.
    pub draw_index: u64,
    /// Value of that draw along the alternative path.
    pub alternative: f64,
}

/// Sampler producing stochastic triples, with one perturbation kept by pruning.
#[derive(Clone, Debug)]
pub struct TripleSampler {
    base: Stream,
    stream: Stream,
    prune: Stream,
    next_tag: u32,
    total_weight: f64,
    alive: Option<Perturbation>,
}

impl TripleSampler {
    /// Draws from `stream`; pruning decisions from `prune` (an independent stream).
    pub fn new(stream: Stream, prune: Stream) -> Self {
        TripleSampler {
            base: stream.clone(),
            stream,
            prune,
            next_tag: 1,
            total_weight: 0.0,
            alive: None,
        }
    }

    /// The surviving perturbation, if any candidate was proposed.
    pub fn perturbation(&self) -> Option<Perturbation> {
        self.alive
    }

    /// Tag of the surviving perturbation (0: none).
    pub fn alive_tag(&self) -> u32 {
        self.alive.map_or(0, |p| p.tag)
    }

    /// Offer a candidate for draw `index` (drawn value `x`); returns its tag if it now survives.
    fn offer(&mut self, c: Candidate, index: u64, x: f64) -> Option<u32> {
        let a = c.weight.abs();
        if a == 0.0 || !a.is_finite() {
            return None;
        }
        self.total_weight += a;
        let u = self.prune.next_uniform();
        if u * self.total_weight < a {
            let tag = self.next_tag;
            self.next_tag += 1;
            self.alive = Some(Perturbation {
                tag,
                weight: c.weight.signum() * self.total_weight,
                stream_id: self.stream.id(),
                draw_index: index,
                alternative: x + c.delta,
            });
            Some(tag)
        } else {
            if let Some(p) = self.alive.as_mut() {
                p.weight = p.weight.signum() * self.total_weight;
            }
            None
        }
    }

    /// The newest tag among the parameters, and each parameter's value along its alternative.
    fn parameter_alternatives(params: &[Triple]) -> (u32, Vec<f64>) {
        let tag = params.iter().map(|t| t.tag).max().unwrap_or(0);
        let alt = params.iter().map(|t| t.value + t.delta_for(tag)).collect();
        (tag, alt)
    }

    /// Finish a discrete draw: value `x`, the re-draw at perturbed parameters, new candidates.
    fn finish(
        &mut self,
        index: u64,
        x: f64,
        propagated: Option<(u32, f64)>,
        candidates: [Option<Candidate>; 2],
    ) -> Triple {
        let mut out = match propagated {
            Some((tag, x_alt)) => Triple::with_perturbation(x, 0.0, x_alt - x, tag),
            None => Triple::constant(x),
        };
        for c in candidates.into_iter().flatten() {
            if let Some(tag) = self.offer(c, index, x) {
                out = Triple::with_perturbation(x, 0.0, c.delta, tag);
            }
        }
        out
    }
}

impl Sampler<Triple> for TripleSampler {
    fn focus(&mut self, key: u64) {
        self.stream = self.base.split(key);
    }
    fn next_uniform(&mut self) -> f64 {
        self.stream.next_uniform()
    }

    fn bernoulli(&mut self, p: &Triple) -> Result<Triple> {
        let pv = check_probability("bernoulli: p", p.value)?;
        let i = self.stream.next_index();
        let u = self.stream.uniform_at(i, 0);
        let x = bernoulli_inverse(pv, u);
        let prop = (p.tag != 0).then(|| (p.tag, bernoulli_inverse(p.alternative(), u)));
        let c = bernoulli_coupling(x, pv, p.dual);
        Ok(self.finish(i, x, prop, [c, None]))
    }

    fn binomial(&mut self, n: &Triple, p: &Triple) -> Result<Triple> {
        let nv = check_count("binomial: n", n.value)?;
        let pv = check_probability("binomial: p", p.value)?;
        let i = self.stream.next_index();
        let u = self.stream.uniform_at(i, 0);
        let x = binomial_inverse(nv, pv, u);
        let (tag, alt) = Self::parameter_alternatives(&[*n, *p]);
        let prop = (tag != 0).then(|| {
            let n_alt = alt[0].max(0.0).round() as u64;
            (tag, binomial_inverse(n_alt, alt[1].clamp(0.0, 1.0), u))
        });
        let c = binomial_coupling(x, nv, pv, p.dual);
        Ok(self.finish(i, x, prop, [c, None]))
    }

    fn geometric(&mut self, p: &Triple) -> Result<Triple> {
        let pv = check_probability("geometric: p", p.value)?;
        if pv == 0.0 {
            return Err(StochasticError::Probability {
                what: "geometric: p (must be positive)",
                value: pv,
            });
        }
        let i = self.stream.next_index();
        let u = self.stream.uniform_at(i, 0);
        let x = geometric_inverse(pv, u);
        let prop = (p.tag != 0).then(|| {
            let pa = p.alternative().clamp(f64::MIN_POSITIVE, 1.0);
            (p.tag, geometric_inverse(pa, u))
        });
        let c = geometric_coupling(x, pv, p.dual);
        Ok(self.finish(i, x, prop, [c, None]))
    }

    fn poisson(&mut self, rate: &Triple) -> Result<Triple> {
        let l = check_non_negative("poisson: rate", rate.value)?;
        let i = self.stream.next_index();
        let u = self.stream.uniform_at(i, 0);
        let x = poisson_inverse(l, u);
        let prop =
            (rate.tag != 0).then(|| (rate.tag, poisson_inverse(rate.alternative().max(0.0), u)));
        let c = poisson_coupling(x, l, rate.dual);
        Ok(self.finish(i, x, prop, [c, None]))
    }

    fn categorical(&mut self, probs: &[Triple]) -> Result<Triple> {
        let p: Vec<f64> = probs.iter().map(|q| q.value).collect();
        let total = check_categorical(&p)?;
        let i = self.stream.next_index();
        let u = self.stream.uniform_at(i, 0);
        let x = categorical_inverse(&p, total, u);
        let (tag, alt) = Self::parameter_alternatives(probs);
        let prop = (tag != 0).then(|| {
            let alt: Vec<f64> = alt.into_iter().map(|a| a.max(0.0)).collect();
            let t: f64 = alt.iter().sum();
            (tag, categorical_inverse(&alt, t, u))
        });
        let dp: Vec<f64> = probs.iter().map(|q| q.dual).collect();
        let c = if dp.iter().any(|&d| d != 0.0) {
            categorical_coupling(x, &p, &dp)
        } else {
            [None, None]
        };
        Ok(self.finish(i, x, prop, c))
    }
}
