//! A particle random walk through layers of material (branch-free).
//!
//! A particle of energy `E₀` crosses `K` slabs of thickness `t` interaction lengths (the design
//! parameter). In each slab it interacts with probability `1 − e^{−t}`; an interaction absorbs it
//! with probability `a` (the absorption fraction) and otherwise scatters it, keeping the fraction
//! `r` of its energy. Per slab the outcome is one Categorical draw over
//! `[passes, scattered, absorbed] = [e^{−t}, (1−a)(1−e^{−t}), a(1−e^{−t})]`.
//!
//! The program is written branch-free: all `K` draws are made whatever happens, and the state is
//! updated with indicator polynomials of the outcome `c ∈ {0, 1, 2}`
//! (`1{c=1} = c(2−c)`, `1{c=2} = c(c−1)/2`), so a stochastic triple's finite perturbation
//! propagates through it without re-running (the propagated and re-run estimates agree).
//!
//! Outputs: `[transmitted, energy]` where `transmitted ∈ {0, 1}` and `energy` is the energy
//! leaving the last slab (0 if absorbed). Exact expectations (independent slabs):
//! `E[transmitted] = (1 − a(1−e^{−t}))^K`, `E[energy] = E₀ (e^{−t} + r(1−a)(1−e^{−t}))^K`.

use diffhep::stochastic::{Result, Sampler, StochasticError, StochasticProgram};
use diffhep::RealScalar;

/// The random walk through `slabs` slabs; parameter θ = `[t]` (thickness per slab).
#[derive(Clone, Debug)]
pub struct RandomWalk {
    slabs: usize,
    absorb_fraction: f64,
    energy_kept: f64,
    energy: f64,
}

impl RandomWalk {
    /// A walk through `slabs` slabs with absorption fraction `absorb_fraction ∈ [0, 1]`, energy
    /// fraction kept per scattering `energy_kept ∈ [0, 1]` and initial energy `energy > 0`.
    pub fn new(slabs: usize, absorb_fraction: f64, energy_kept: f64, energy: f64) -> Result<Self> {
        if slabs == 0 {
            return Err(StochasticError::Parameter {
                what: "random walk: number of slabs",
                value: 0.0,
            });
        }
        for (what, v) in [
            ("random walk: absorption fraction", absorb_fraction),
            ("random walk: energy fraction kept", energy_kept),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(StochasticError::Probability { what, value: v });
            }
        }
        if !(energy > 0.0 && energy.is_finite()) {
            return Err(StochasticError::Parameter {
                what: "random walk: energy",
                value: energy,
            });
        }
        Ok(RandomWalk {
            slabs,
            absorb_fraction,
            energy_kept,
            energy,
        })
    }

    /// Exact `[E[transmitted], E[energy]]` at thickness `t` (for tests and reference curves).
    pub fn exact_mean(&self, t: f64) -> [f64; 2] {
        let q = 1.0 - (-t).exp();
        let a = self.absorb_fraction;
        let k = self.slabs as i32;
        [
            (1.0 - a * q).powi(k),
            self.energy * ((-t).exp() + self.energy_kept * (1.0 - a) * q).powi(k),
        ]
    }
}

impl StochasticProgram for RandomWalk {
    fn num_params(&self) -> usize {
        1
    }
    fn num_outputs(&self) -> usize {
        2
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let t = theta[0].clone();
        if t.value() < 0.0 {
            return Err(StochasticError::Parameter {
                what: "random walk: slab thickness",
                value: t.value(),
            });
        }
        let pass = (-t).exp();
        let interact = pass.rsub(1.0);
        let probs = [
            pass,
            interact.clone() * (1.0 - self.absorb_fraction),
            interact * self.absorb_fraction,
        ];
        let mut alive = S::one();
        let mut energy = S::from_f64(self.energy);
        for _ in 0..self.slabs {
            let c = rng.categorical(&probs)?;
            let scattered = c.clone() * c.rsub(2.0);
            let absorbed = c.clone() * (c - 1.0) * 0.5;
            alive *= absorbed.rsub(1.0);
            // Energy times r when scattered, unchanged otherwise.
            energy *= scattered * (self.energy_kept - 1.0) + 1.0;
        }
        let out_energy = alive.clone() * energy;
        Ok(vec![alive, out_energy])
    }
}
