//! Event generation for a [`Process`]: weighted events from flat sampling of the unit hypercube,
//! optionally unweighted by hit-or-miss, as Les Houches events ([`crate::events::lhe`]).
//!
//! Weighted files use IDWTUP = 4 (the mean event weight, in pb, estimates σ); unweighted files use
//! IDWTUP = 3 with every event carrying the estimated σ as weight.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::collider::process::{Process, ProcessError};
use crate::collider::sm::{ParamCard, ParamError};
use crate::events::lhe::{hit_or_miss, LheError, LheEvent, LheInit, LheParticle};

/// Errors of event generation.
#[derive(Debug)]
pub enum EventGenError {
    /// Bad parameters.
    Param(ParamError),
    /// Bad process or kinematics.
    Process(ProcessError),
    /// LHE construction failed.
    Lhe(LheError),
    /// No event had a positive weight.
    NoEvents,
}

impl std::fmt::Display for EventGenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventGenError::Param(e) => write!(f, "{e}"),
            EventGenError::Process(e) => write!(f, "{e}"),
            EventGenError::Lhe(e) => write!(f, "{e}"),
            EventGenError::NoEvents => write!(f, "no event with positive weight was generated"),
        }
    }
}

impl std::error::Error for EventGenError {}

/// A generated sample: the `<init>` block and the events.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The `<init>` block (σ and its error from the weighted sample).
    pub init: LheInit,
    /// The events.
    pub events: Vec<LheEvent>,
}

/// Generate `n` flat points at `sqrt_s` (seeded), as weighted events or, with `unweighted`,
/// the subset kept by hit-or-miss.
pub fn generate(
    process: Process,
    card: &ParamCard,
    sqrt_s: f64,
    n: usize,
    seed: u64,
    unweighted: bool,
) -> Result<Sample, EventGenError> {
    card.validate().map_err(EventGenError::Param)?;
    let p = card.to_params::<f64>();
    let threshold = process.threshold(&p);
    if sqrt_s.is_nan() || sqrt_s <= threshold {
        return Err(EventGenError::Process(ProcessError::BelowThreshold {
            process: process.name(),
            sqrt_s,
            threshold,
        }));
    }
    let masses = process.final_masses(&p);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut events = Vec::with_capacity(n);
    let (mut sw, mut sw2) = (0.0, 0.0);
    let mut x = vec![0.0; process.dim()];
    for _ in 0..n {
        x.iter_mut().for_each(|v| *v = rng.random());
        let pt = match process.point(&p, &sqrt_s, &x) {
            Ok(pt) => pt,
            Err(ProcessError::PhaseSpace(_)) => continue,
            Err(e) => return Err(EventGenError::Process(e)),
        };
        sw += pt.weight;
        sw2 += pt.weight * pt.weight;
        let mut particles = vec![
            LheParticle::new(11, -1, [0, 0], &pt.momenta[0], 0.0),
            LheParticle::new(-11, -1, [0, 0], &pt.momenta[1], 0.0),
        ];
        for (k, (&id, m)) in process.pdg_final().iter().zip(&masses).enumerate() {
            let mut q = LheParticle::new(id, 1, [1, 2], &pt.momenta[2 + k], *m);
            // The quark and antiquark of the final state are colour-connected (one colour line).
            q.colors = match id {
                5 | 6 => [501, 0],
                -5 | -6 => [0, 501],
                _ => [0, 0],
            };
            particles.push(q);
        }
        events.push(LheEvent {
            process_id: 1,
            weight: pt.weight,
            scale: sqrt_s,
            alpha_qed: 1.0 / card.aEWM1,
            alpha_qcd: 0.0,
            particles,
        });
    }
    let nf = n as f64;
    let sigma = sw / nf;
    if sigma <= 0.0 {
        return Err(EventGenError::NoEvents);
    }
    let err = ((sw2 / nf - sigma * sigma).max(0.0) / (nf - 1.0).max(1.0)).sqrt();
    let max_w = events.iter().map(|e| e.weight).fold(0.0, f64::max);
    if unweighted {
        let weights: Vec<f64> = events.iter().map(|e| e.weight).collect();
        let kept = hit_or_miss(&weights, None, seed ^ 0x5eed).map_err(EventGenError::Lhe)?;
        events = kept
            .into_iter()
            .map(|i| {
                let mut e = events[i].clone();
                e.weight = sigma;
                e
            })
            .collect();
    }
    let init = LheInit::electron_positron(sqrt_s, sigma, err, unweighted, max_w);
    Ok(Sample { init, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collider::ee_ffbar::{sigma, Exchange, MUON};
    use crate::events::lhe::{read_lhe, write_lhe, LheFile};

    #[test]
    fn weighted_and_unweighted_samples_round_trip_and_estimate_sigma() {
        let card = ParamCard::default();
        let s = generate(Process::EeMuMu, &card, 91.188, 4000, 3, false).unwrap();
        let p = card.to_params::<f64>();
        let exact = sigma(&MUON, &0.0, &p, Exchange::FULL, &(91.188f64 * 91.188));
        let pr = &s.init.processes[0];
        assert!(
            (pr.xsec - exact).abs() < 3.0 * pr.xsec_err,
            "{} ± {} vs {exact}",
            pr.xsec,
            pr.xsec_err
        );
        let file = LheFile {
            init: s.init.clone(),
            events: s.events.clone(),
        };
        let text = write_lhe(Vec::new(), &file).unwrap();
        let back = read_lhe(&text[..]).unwrap();
        assert_eq!(back.events.len(), 4000);
        assert_eq!(back.events[17], s.events[17]);
        // Momentum conservation in every event.
        for e in &back.events {
            let sum: f64 = e
                .particles
                .iter()
                .map(|q| {
                    if q.status == -1 {
                        -q.momentum[3]
                    } else {
                        q.momentum[3]
                    }
                })
                .sum();
            assert!(sum.abs() < 1e-9);
        }
        let u = generate(Process::EeTTbarWbWb, &card, 500.0, 500, 3, true).unwrap();
        assert!(!u.events.is_empty() && u.events.len() < 500);
        assert!(u
            .events
            .iter()
            .all(|e| e.weight == u.init.processes[0].xsec && e.particles.len() == 6));
        assert_eq!(u.init.weight_strategy, 3);
    }

    #[test]
    fn below_threshold_is_an_error() {
        let e = generate(Process::EeTTbar, &ParamCard::default(), 200.0, 10, 1, false).unwrap_err();
        assert!(e.to_string().contains("threshold"));
    }
}
