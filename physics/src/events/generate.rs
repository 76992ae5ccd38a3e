//! Event generation for a [`Process`]: weighted events from flat sampling of the unit hypercube,
//! optionally unweighted by hit-or-miss, as Les Houches events ([`crate::events::lhe`]).
//!
//! Weighted files use IDWTUP = 4 (the mean event weight, in pb, estimates σ); unweighted files use
//! IDWTUP = 3 with every event carrying the estimated σ as weight.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use diffhep::error::{check_finite, check_normal, NotRepresentable};

use crate::collider::process::{Process, ProcessError};
use crate::collider::sm::{ParamCard, ParamError};
use crate::events::build::EventBuilder;
use crate::events::lhe::{LheError, LheFile, LheInit};
use crate::events::unweight::unweighted_file;

/// Errors of event generation.
#[derive(Debug, thiserror::Error)]
pub enum EventGenError {
    /// Bad parameters.
    #[error(transparent)]
    Param(ParamError),
    /// Bad process or kinematics.
    #[error(transparent)]
    Process(ProcessError),
    /// LHE construction failed.
    #[error(transparent)]
    Lhe(LheError),
    /// No event had a positive weight.
    #[error("no event with positive weight was generated")]
    NoEvents,
    /// A setting is out of range (the message names it).
    #[error("invalid setting: {0}")]
    Config(String),
    /// An event weight or the σ estimate is NaN, overflowed or underflowed to 0; printed as the
    /// [`NotRepresentable`] itself.
    #[error(transparent)]
    NotRepresentable(#[from] NotRepresentable),
}

/// Generate `n` flat points at `sqrt_s` (seeded), as weighted events or, with `unweighted`,
/// the subset kept by hit-or-miss ([`unweighted_file`]).
///
/// The settings are checked first (`n` ≥ 2, √s finite and above threshold); every event weight
/// must be finite and σ a normal positive number, otherwise the result is
/// [`EventGenError::NotRepresentable`] naming the quantity.
pub fn generate(
    process: Process,
    card: &ParamCard,
    sqrt_s: f64,
    n: usize,
    seed: u64,
    unweighted: bool,
) -> Result<LheFile, EventGenError> {
    card.validate().map_err(EventGenError::Param)?;
    if n < 2 {
        return Err(EventGenError::Config(format!(
            "events = {n} (need ≥ 2 for an error on σ)"
        )));
    }
    if !(sqrt_s.is_finite() && sqrt_s > 0.0) {
        return Err(EventGenError::Config(format!(
            "sqrt_s = {sqrt_s} must be a positive number"
        )));
    }
    let p = card.to_params::<f64>();
    let threshold = process.threshold(&p);
    if sqrt_s <= threshold {
        return Err(EventGenError::Process(ProcessError::BelowThreshold {
            process: process.name().to_string(),
            sqrt_s,
            threshold,
        }));
    }
    let builder = EventBuilder::new(process.clone(), card, sqrt_s);
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
        check_finite("an event weight", pt.weight)?;
        sw += pt.weight;
        sw2 += pt.weight * pt.weight;
        events.push(builder.event(&pt.momenta, pt.weight));
    }
    let nf = n as f64;
    let sigma = sw / nf;
    // Points the phase-space map rejects (as at √s = 1e300 GeV, where s overflows) count as
    // zero weight, as in `integrate::xsec`: σ is then 0, an underflow.
    check_normal("σ", sigma)?;
    if events.is_empty() {
        return Err(EventGenError::NoEvents);
    }
    let err = ((sw2 / nf - sigma * sigma).max(0.0) / (nf - 1.0).max(1.0)).sqrt();
    check_finite("the error of σ", err)?;
    let beams = process.pdg_initial();
    let mut file = if unweighted {
        let weights: Vec<f64> = events.iter().map(|e| e.weight).collect();
        unweighted_file(&weights, seed, sqrt_s, (sigma, err), |i| {
            Some(events[i].clone())
        })
        .map_err(EventGenError::Lhe)?
    } else {
        let max_w = events.iter().map(|e| e.weight).fold(0.0, f64::max);
        let init = LheInit::electron_positron(sqrt_s, sigma, err, false, max_w);
        LheFile { init, events }
    };
    // The beams of the process (e⁻e⁺ for the hand-written ones, as written for a string).
    file.init.beam_ids = [beams[0], beams[1]];
    Ok(file)
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
    fn bad_settings_and_unrepresentable_sigma_are_errors() {
        let card = ParamCard::default();
        for (sqrt_s, n, text) in [
            (f64::INFINITY, 10, "sqrt_s = inf"),
            (f64::NAN, 10, "sqrt_s = NaN"),
            (-1.0, 10, "sqrt_s = -1"),
            (91.0, 1, "events = 1"),
            (1e300, 10, "σ underflows to 0"),
        ] {
            let e = generate(Process::EeMuMu, &card, sqrt_s, n, 1, false).unwrap_err();
            assert!(e.to_string().contains(text), "{sqrt_s}, {n}: {e}");
        }
    }

    #[test]
    fn below_threshold_is_an_error() {
        let e = generate(Process::EeTTbar, &ParamCard::default(), 200.0, 10, 1, false).unwrap_err();
        assert!(e.to_string().contains("threshold"));
    }
}
