//! The one builder of an LHE event from a process point: the incoming e⁻e⁺ beams, the final-state
//! particles of the process with their PDG codes and masses, and the colour line that joins a
//! final-state quark and antiquark. Event generation ([`super::generate`]) and the FAB targets
//! (`crate::targets::fab`) both build their events here.

use crate::collider::process::Process;
use crate::collider::sm::ParamCard;
use crate::events::lhe::{LheEvent, LheParticle};
use crate::lorentz::FourVector;

/// Colour tag of the one colour line joining a final-state quark and antiquark.
const COLOUR_LINE: i32 = 501;

/// Builds [`LheEvent`]s of one process at one collider energy and parameter card.
#[derive(Clone, Debug)]
pub struct EventBuilder {
    pdg_final: Vec<i32>,
    masses: Vec<f64>,
    sqrt_s: f64,
    alpha_qed: f64,
}

impl EventBuilder {
    /// The builder for `process` at `sqrt_s` GeV (the event scale) with the masses and α of
    /// `card`.
    pub fn new(process: Process, card: &ParamCard, sqrt_s: f64) -> Self {
        let p = card.to_params::<f64>();
        EventBuilder {
            pdg_final: process.pdg_final().to_vec(),
            masses: process.final_masses(&p),
            sqrt_s,
            alpha_qed: 1.0 / card.aEWM1,
        }
    }

    /// The event with momenta `momenta` (e⁻, e⁺, then the final state in the process's order) and
    /// weight `weight`.
    pub fn event(&self, momenta: &[FourVector<f64>], weight: f64) -> LheEvent {
        let mut particles = vec![
            LheParticle::new(11, -1, [0, 0], &momenta[0], 0.0),
            LheParticle::new(-11, -1, [0, 0], &momenta[1], 0.0),
        ];
        for (k, (&id, &m)) in self.pdg_final.iter().zip(&self.masses).enumerate() {
            let mut q = LheParticle::new(id, 1, [1, 2], &momenta[2 + k], m);
            // The b or t quark and its antiquark share one colour line.
            q.colors = match id {
                5 | 6 => [COLOUR_LINE, 0],
                -5 | -6 => [0, COLOUR_LINE],
                _ => [0, 0],
            };
            particles.push(q);
        }
        LheEvent {
            process_id: 1,
            weight,
            scale: self.sqrt_s,
            alpha_qed: self.alpha_qed,
            alpha_qcd: 0.0,
            particles,
        }
    }
}
