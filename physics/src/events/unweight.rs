//! Hit-or-miss unweighting of weighted samples, and the one pipeline from weighted points to an
//! unweighted LHE sample used by event generation and by `diffhep fab`.
//!
//! This is sample logic, not file I/O: it works on weights and events in memory.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use super::lhe::{invalid, LheError, LheEvent, LheFile, LheInit};

/// Hit-or-miss unweighting: event i is kept with probability min(1, wᵢ/w_max), drawn from
/// ChaCha8 seeded by `seed`. Kept events get weight max(wᵢ, w_max), so that
/// Σ(kept weights)/N stays an unbiased estimate of Σwᵢ/N (events above `max_weight`, if one is
/// given, keep their own larger weight). `max_weight` defaults to the largest weight.
/// Weights must be finite and ≥ 0.
pub fn unweight(
    events: &[LheEvent],
    max_weight: Option<f64>,
    seed: u64,
) -> Result<Vec<LheEvent>, LheError> {
    let weights: Vec<f64> = events.iter().map(|e| e.weight).collect();
    let kept = hit_or_miss(&weights, max_weight, seed)?;
    let w_max = max_weight.unwrap_or_else(|| weights.iter().cloned().fold(0.0, f64::max));
    Ok(kept
        .into_iter()
        .map(|i| {
            let mut ev = events[i].clone();
            ev.weight = ev.weight.max(w_max);
            ev
        })
        .collect())
}

/// The indices kept by hit-or-miss unweighting of `weights` (see [`unweight`]).
pub fn hit_or_miss(
    weights: &[f64],
    max_weight: Option<f64>,
    seed: u64,
) -> Result<Vec<usize>, LheError> {
    for (i, &w) in weights.iter().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return Err(invalid(format!(
                "weight {i} = {w}: hit-or-miss unweighting needs finite, non-negative weights"
            )));
        }
    }
    let w_max = match max_weight {
        Some(m) => m,
        None => weights.iter().cloned().fold(0.0, f64::max),
    };
    if !(w_max.is_finite() && w_max > 0.0) {
        return Err(invalid(format!(
            "maximum weight {w_max} must be finite and positive"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok(weights
        .iter()
        .enumerate()
        .filter_map(|(i, &w)| {
            let u: f64 = rng.random();
            (u * w_max < w).then_some(i)
        })
        .collect())
}

/// The unweighted e⁻e⁺ sample from weighted points: hit-or-miss on `weights` (stream
/// `seed ^ 0x5eed`), each kept point `i` built by `event(i)` (a point that cannot be built is
/// dropped) with weight `sigma`, under the `<init>` block of unweighted events (IDWTUP = 3) with
/// cross section `sigma ± sigma_err` pb at `sqrt_s` GeV.
pub fn unweighted_file(
    weights: &[f64],
    seed: u64,
    sqrt_s: f64,
    (sigma, sigma_err): (f64, f64),
    mut event: impl FnMut(usize) -> Option<LheEvent>,
) -> Result<LheFile, LheError> {
    let kept = hit_or_miss(weights, None, seed ^ 0x5eed)?;
    let events = kept
        .into_iter()
        .filter_map(|i| {
            event(i).map(|mut e| {
                e.weight = sigma;
                e
            })
        })
        .collect();
    let init = LheInit::electron_positron(sqrt_s, sigma, sigma_err, true, sigma);
    Ok(LheFile { init, events })
}
