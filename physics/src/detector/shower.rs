//! An electromagnetic shower in a sampling calorimeter, with discrete branching.
//!
//! A toy in the spirit of Heitler's model (W. Heitler, *The Quantum Theory of Radiation*, 1954;
//! see also Kagan & Heinrich, "Branches of a Tree", 2023, for its use as a differentiable
//! benchmark). The calorimeter has `L` layers; layer `j` is an absorber of thickness `t_j`
//! radiation lengths (the design parameters) followed by a thin active layer whose deposit is
//! the output `D_j`.
//!
//! In the absorber of layer `j` every particle gets one chance to interact:
//! - an electron or positron radiates a photon with probability `1 − e^{−t_j}`, the photon taking
//!   a fraction `y ~ Uniform(y_min, y_max)` of its energy;
//! - a photon converts to an e⁺e⁻ pair with probability `1 − e^{−7t_j/9}` (the pair-production
//!   mean free path is 9/7 X₀), the electron taking `x ~ Uniform(0, 1)` of its energy.
//!
//! Then, in the active layer: a particle below the critical energy `E_c` stops and deposits the
//! sampling fraction `f_s` of its energy; every charged particle still above `E_c` crosses it and
//! deposits a minimum-ionising amount `mip`. Particles left after the last layer leak out.
//!
//! The thicknesses enter only through the interaction probabilities, so every sample path is
//! piecewise constant in θ: pathwise derivatives vanish and the derivative of `E[D_j]` comes
//! entirely from the discrete branching — the case stochastic triples with re-run alternative
//! paths handle ([`diffhep::stochastic::derivative_estimate`]). The simulation is written once
//! against `RealScalar` and a [`Sampler`], so it runs as `f64`, with triples, with the score
//! function and with relaxations.

use diffhep::stochastic::rng::child_key;
use diffhep::stochastic::{Result, Sampler, StochasticError, StochasticProgram};
use diffhep::RealScalar;

/// The highest beam energy the toy shower supports (GeV): its particle count grows like
/// E/E_c, so the front ends (CLI, Python) refuse more.
pub const MAX_ENERGY_GEV: f64 = 1e4;

/// Settings of the toy calorimeter (energies in GeV).
#[derive(Clone, Debug, PartialEq)]
pub struct ShowerConfig {
    /// Number of layers L.
    pub layers: usize,
    /// Energy of the incoming electron.
    pub beam_energy: f64,
    /// Critical energy E_c below which particles stop and deposit locally.
    pub critical_energy: f64,
    /// Fraction of a stopping particle's energy seen by the active layer.
    pub sampling_fraction: f64,
    /// Active-layer deposit of a charged particle crossing it.
    pub mip: f64,
    /// Range of the photon's energy fraction in bremsstrahlung.
    pub brem_fraction: (f64, f64),
    /// Sub-steps per absorber: a particle may interact once per sub-step of `t_j / substeps`.
    pub substeps: usize,
}

impl ShowerConfig {
    /// Defaults for `layers` layers and a beam of `beam_energy` GeV: E_c = 0.1 GeV,
    /// f_s = 0.1, mip = 0 (the signal is the sampled energy of stopping particles),
    /// y ∈ (0.1, 0.9), four sub-steps per layer.
    pub fn new(layers: usize, beam_energy: f64) -> Self {
        ShowerConfig {
            layers,
            beam_energy,
            critical_energy: 0.1,
            sampling_fraction: 0.1,
            mip: 0.0,
            brem_fraction: (0.1, 0.9),
            substeps: 4,
        }
    }
}

/// Particle species of the toy shower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Charged,
    Photon,
}

/// One particle: species and energy.
#[derive(Clone, Debug)]
struct Particle<S> {
    kind: Kind,
    energy: S,
    /// Identity naming the particle's random sub-streams.
    id: u64,
}

/// The shower program: θ = absorber thicknesses (X₀) of the L layers; outputs the L deposits.
#[derive(Clone, Debug)]
pub struct Shower {
    config: ShowerConfig,
}

impl Shower {
    /// Check the settings and build the program.
    pub fn new(config: ShowerConfig) -> Result<Self> {
        let bad = |what, value| Err(StochasticError::Parameter { what, value });
        let c = &config;
        if c.substeps == 0 {
            return bad("shower: sub-steps per layer", 0.0);
        }
        if c.layers == 0 {
            return bad("shower: number of layers", 0.0);
        }
        if !(c.beam_energy > 0.0 && c.beam_energy.is_finite()) {
            return bad("shower: beam energy", c.beam_energy);
        }
        if !(c.critical_energy > 0.0 && c.critical_energy.is_finite()) {
            return bad("shower: critical energy", c.critical_energy);
        }
        if !(0.0..=1.0).contains(&c.sampling_fraction) {
            return bad("shower: sampling fraction", c.sampling_fraction);
        }
        if !(c.mip >= 0.0 && c.mip.is_finite()) {
            return bad("shower: mip deposit", c.mip);
        }
        let (lo, hi) = c.brem_fraction;
        if !(0.0 < lo && lo <= hi && hi < 1.0) {
            return bad("shower: bremsstrahlung fraction upper bound", hi);
        }
        Ok(Shower { config })
    }

    /// The settings.
    pub fn config(&self) -> &ShowerConfig {
        &self.config
    }

    /// Check a design: one finite, non-negative thickness per layer.
    pub fn check_design(&self, thickness: &[f64]) -> Result<()> {
        if thickness.len() != self.config.layers {
            return Err(StochasticError::Parameter {
                what: "shower: number of thicknesses (must equal the number of layers)",
                value: thickness.len() as f64,
            });
        }
        match thickness.iter().find(|t| !(**t >= 0.0 && t.is_finite())) {
            Some(&t) => Err(StochasticError::Parameter {
                what: "shower: absorber thickness",
                value: t,
            }),
            None => Ok(()),
        }
    }
}

impl StochasticProgram for Shower {
    fn num_params(&self) -> usize {
        self.config.layers
    }
    fn num_outputs(&self) -> usize {
        self.config.layers
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let c = &self.config;
        let values: Vec<f64> = theta.iter().map(|t| t.value()).collect();
        self.check_design(&values)?;
        let (y_lo, y_hi) = (
            S::from_f64(c.brem_fraction.0),
            S::from_f64(c.brem_fraction.1),
        );
        let (zero, one) = (S::zero(), S::one());
        let mut deposits = vec![S::zero(); c.layers];
        let mut particles = vec![Particle {
            kind: Kind::Charged,
            energy: S::from_f64(c.beam_energy),
            id: 1,
        }];
        let mut next = Vec::with_capacity(64);
        for (j, t) in theta.iter().enumerate() {
            let step = t.clone() / c.substeps as f64;
            let p_brem = (-step.clone()).exp().rsub(1.0);
            let p_conv = (-step * (7.0 / 9.0)).exp().rsub(1.0);
            for sub in 0..c.substeps {
                let layer = ((j * c.substeps + sub) as u64) << 2;
                next.clear();
                for p in particles.drain(..) {
                    // This particle's draws in this layer come from its own sub-stream.
                    rng.focus(child_key(p.id, layer));
                    match p.kind {
                        Kind::Charged => {
                            let hit = rng.bernoulli(&p_brem)?;
                            let y = rng.uniform(&y_lo, &y_hi)?;
                            if hit.value() > 0.5 {
                                // Photon energy E·y·hit: arithmetic in the draw, so relaxations and
                                // triples see the energy move with it.
                                let share = y * hit;
                                next.push(Particle {
                                    kind: Kind::Photon,
                                    energy: p.energy.clone() * share.clone(),
                                    id: child_key(p.id, layer | 1),
                                });
                                next.push(Particle {
                                    energy: p.energy * share.rsub(1.0),
                                    ..p
                                });
                            } else {
                                next.push(p);
                            }
                        }
                        Kind::Photon => {
                            let conv = rng.bernoulli(&p_conv)?;
                            let x = rng.uniform(&zero, &one)?;
                            if conv.value() > 0.5 {
                                let e = p.energy.clone() * conv;
                                next.push(Particle {
                                    kind: Kind::Charged,
                                    energy: e.clone() * x.clone(),
                                    id: child_key(p.id, layer | 2),
                                });
                                next.push(Particle {
                                    kind: Kind::Charged,
                                    energy: e * x.rsub(1.0),
                                    id: child_key(p.id, layer | 3),
                                });
                            } else {
                                next.push(p);
                            }
                        }
                    }
                }
                std::mem::swap(&mut particles, &mut next);
            }
            // Active layer j: stopping particles deposit locally, charged ones ionise.
            for p in particles.drain(..) {
                if p.energy.value() < c.critical_energy {
                    deposits[j] += p.energy * c.sampling_fraction;
                } else {
                    if p.kind == Kind::Charged {
                        deposits[j] += c.mip;
                    }
                    next.push(p);
                }
            }
            std::mem::swap(&mut particles, &mut next);
        }
        Ok(deposits)
    }
}
