//! The one builder of an LHE event from a process point: the incoming beams, the final-state
//! particles of the process with their PDG codes and masses, and their colour lines. Event
//! generation ([`super::generate`]) and the FAB targets (`crate::targets::fab`) both build their
//! events here.
//!
//! For the hand-written processes the one colour line joins the final-state quark and
//! antiquark. For a process string, the subprocess and the colour flow of each event are drawn
//! ([`crate::collider::amplitude::collision::StringProcess::event_colours`]) with two uniform numbers derived from the event's momenta
//! (a hash of their bits): the same event always gets the same colours, at any thread count.

use crate::collider::process::Process;
use crate::collider::sm::{ParamCard, SmParams};
use crate::events::lhe::{LheEvent, LheParticle};
use crate::lorentz::FourVector;

/// Colour tag of the one colour line joining a final-state quark and antiquark.
const COLOUR_LINE: i32 = 501;

/// Builds [`LheEvent`]s of one process at one collider energy and parameter card.
#[derive(Clone, Debug)]
pub struct EventBuilder {
    process: Process,
    params: SmParams<f64>,
    pdg_final: Vec<i32>,
    masses: Vec<f64>,
    sqrt_s: f64,
    alpha_qed: f64,
    alpha_qcd: f64,
}

/// Three uniform numbers in [0, 1) from the bits of the momenta (SplitMix64 over their words).
fn uniforms(momenta: &[FourVector<f64>]) -> [f64; 3] {
    let mut h: u64 = 0x9E3779B97F4A7C15;
    let mut mix = |x: u64| {
        h ^= x;
        h = h.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        h = z ^ (z >> 31);
        h
    };
    for p in momenta {
        for c in [p.e, p.px, p.py, p.pz] {
            mix(c.to_bits());
        }
    }
    let scale = 1.0 / (1u64 << 53) as f64;
    [1, 2, 3].map(|k| (mix(k) >> 11) as f64 * scale)
}

impl EventBuilder {
    /// The builder for `process` at `sqrt_s` GeV (the event scale) with the masses and α of
    /// `card`.
    pub fn new(process: Process, card: &ParamCard, sqrt_s: f64) -> Self {
        let p = card.to_params::<f64>();
        EventBuilder {
            pdg_final: process.pdg_final(),
            masses: process.final_masses(&p),
            process,
            params: p,
            sqrt_s,
            alpha_qed: 1.0 / card.aEWM1,
            alpha_qcd: card.aS,
        }
    }

    /// The event with momenta `momenta` (the beams, then the final state in the process's order)
    /// and weight `weight`.
    pub fn event(&self, momenta: &[FourVector<f64>], weight: f64) -> LheEvent {
        if let Process::String(sp) = &self.process {
            let labels = sp.event_colours(&self.params, momenta, uniforms(momenta));
            let sub = labels.subprocess;
            let ids: Vec<i32> = sp
                .pdg_initial(sub)
                .into_iter()
                .chain(sp.pdg_final(sub))
                .collect();
            let particles = ids
                .iter()
                .zip(momenta)
                .zip(&labels.colours)
                .enumerate()
                .map(|(k, ((&id, p), &col))| {
                    let (status, mothers, m) = if k < 2 {
                        (-1, [0, 0], 0.0)
                    } else {
                        (1, [1, 2], self.masses[k - 2])
                    };
                    let mut q = LheParticle::new(id, status, mothers, p, m);
                    q.colors = col;
                    if let Some(h) = &labels.helicities {
                        q.spin = h[k] as f64;
                    }
                    q
                })
                .collect();
            return LheEvent {
                process_id: 1,
                weight,
                scale: self.sqrt_s,
                alpha_qed: self.alpha_qed,
                alpha_qcd: self.alpha_qcd,
                particles,
            };
        }
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
