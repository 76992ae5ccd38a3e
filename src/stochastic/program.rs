//! Programs with discrete randomness, and the single-sample stochastic-AD derivative estimate.
//!
//! # Branching
//! Stochastic triples propagate a finite perturbation `Δ` through arithmetic, which is enough
//! for programs whose control flow does not depend on the random values. A program that
//! branches on a discrete value (`if hit { … }`, a loop whose length is a random count, a shower
//! whose particle list grows) follows the primal path only; along the alternative path it would
//! have taken the other branch. [`derivative_estimate`] therefore re-runs the program in `f64`
//! on the **same stream** with the surviving perturbation's draw forced to its alternative value
//! (every other draw sees its own uniform from the counter-based stream), and uses
//! `δ_Y + w·(Y_alt − Y)`.
//!
//! Why this is unbiased: the alternative path agrees with the primal path up to the perturbed
//! draw `k`; after it, it consumes uniforms `u_{k+1}, u_{k+2}, …`, which are independent of
//! everything up to draw `k`, so given the upstream history and the jumped value the alternative
//! path is an exact sample of the program conditioned on that value (any coupling of the
//! downstream randomness gives the same expectation; common uniforms only reduce variance). With
//! pruning, `E[w·(Y_alt − Y)] = Σ_i w_i·E[Y_alt,i − Y]`, the derivative of `E[Y]` by
//! Arya et al. (NeurIPS 2022, arXiv:2210.08572), Theorem 1. Kagan & Heinrich ("Branches of a
//! Tree", 2023) discuss the same need for showers.
//!
//! For branch-free programs the re-run gives exactly the propagated `Δ_Y` (tested), so the
//! propagated value [`DirectionalEstimate::propagated`] is returned as well.
//!
//! Limitation (as for every pathwise method): a branch on a *continuous* quantity that depends on
//! the parameters (`if energy(θ) < cut`) is differentiated along the primal path only; the jump
//! of the expectation across the cut is not captured.

use super::pruning::{Perturbation, TripleSampler};
use super::rng::Stream;
use super::sampler::{PlainSampler, Sampler};
use super::{Result, StochasticError, Triple};
use crate::scalar::RealScalar;

/// A program with random draws, written once for every number type and sampler.
///
/// Rust closures cannot be generic, so a program is a (small) type implementing this trait.
pub trait StochasticProgram: Sync {
    /// Number of parameters θ.
    fn num_params(&self) -> usize;
    /// Number of outputs.
    fn num_outputs(&self) -> usize;
    /// Run once at `theta`, drawing all randomness from `rng`.
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>>;
}

/// The streams of sample `sample` of seed `seed`: draws and (independent) pruning decisions.
pub fn sample_streams(seed: u64, sample: u64) -> (Stream, Stream) {
    (
        Stream::new(seed, sample.wrapping_mul(2)),
        Stream::new(seed, sample.wrapping_mul(2).wrapping_add(1)),
    )
}

/// Check that θ has the program's length and finite entries.
pub(crate) fn check_theta<P: StochasticProgram>(program: &P, theta: &[f64]) -> Result<()> {
    if theta.len() != program.num_params() {
        return Err(StochasticError::Setting {
            what: "number of parameters",
            value: theta.len() as f64,
        });
    }
    if let Some(&bad) = theta.iter().find(|t| !t.is_finite()) {
        return Err(StochasticError::Setting {
            what: "parameter value",
            value: bad,
        });
    }
    Ok(())
}

/// One stochastic-AD sample of the derivative of every output along a direction in θ.
#[derive(Clone, Debug)]
pub struct DirectionalEstimate {
    /// The outputs `Y` along the primal path.
    pub value: Vec<f64>,
    /// Unbiased single-sample estimate of `d E[Y]/dθ · direction`: `δ_Y + w·(Y_alt − Y)`.
    pub derivative: Vec<f64>,
    /// `δ_Y + w·Δ_Y` with `Δ_Y` propagated through arithmetic only (equal to `derivative` for
    /// programs that do not branch on perturbed values).
    pub propagated: Vec<f64>,
    /// The surviving perturbation, if any.
    pub perturbation: Option<Perturbation>,
    /// Program runs used: 1, or 2 when the alternative path was re-run.
    pub runs: usize,
}

/// Single-sample stochastic-AD estimate of `∂E[Y]/∂θ · direction` for sample `sample` of `seed`.
///
/// Runs the program once with stochastic triples (θ's dual parts set to `direction`) and, if a
/// perturbation survived, once more in `f64` along its alternative path on the coupled stream.
pub fn derivative_estimate<P: StochasticProgram>(
    program: &P,
    theta: &[f64],
    direction: &[f64],
    seed: u64,
    sample: u64,
) -> Result<DirectionalEstimate> {
    check_theta(program, theta)?;
    if direction.len() != theta.len() {
        return Err(StochasticError::Setting {
            what: "length of the direction",
            value: direction.len() as f64,
        });
    }
    let (draws, prune) = sample_streams(seed, sample);
    let params: Vec<Triple> = theta
        .iter()
        .zip(direction)
        .map(|(&t, &d)| Triple::param(t, d))
        .collect();
    let mut sampler = TripleSampler::new(draws.clone(), prune);
    let y = program.run(&params, &mut sampler)?;
    let perturbation = sampler.perturbation();
    let value: Vec<f64> = y.iter().map(|t| t.value).collect();
    let Some(pert) = perturbation else {
        let d: Vec<f64> = y.iter().map(|t| t.dual).collect();
        return Ok(DirectionalEstimate {
            value,
            derivative: d.clone(),
            propagated: d,
            perturbation,
            runs: 1,
        });
    };
    let propagated = y
        .iter()
        .map(|t| t.dual + pert.weight * t.delta_for(pert.tag))
        .collect();
    let mut alt_sampler =
        PlainSampler::with_forced(draws, pert.stream_id, pert.draw_index, pert.alternative);
    let y_alt: Vec<f64> = program.run(theta, &mut alt_sampler)?;
    let derivative = y
        .iter()
        .zip(&y_alt)
        .map(|(t, &a)| t.dual + pert.weight * (a - t.value))
        .collect();
    Ok(DirectionalEstimate {
        value,
        derivative,
        propagated,
        perturbation,
        runs: 2,
    })
}
