//! A local linear surrogate for a part of the detector declared black-box.
//!
//! When `calorimeter.black_box = true` the shower is only run forward, in plain `f64`: around the
//! current absorbers `t`, `K` designs `t ⊙ exp(δ_k)` with `δ_k ~ N(0, s²)` (relative
//! perturbations) are simulated with common random numbers, and a least-squares fit
//! `y_k ≈ c + gᵀδ_k` of `y = E[(r − 1)²]` gives `∂y/∂ln t ≈ g` — the gradient of the surrogate, a
//! biased but derivative-free estimate (the bias is the curvature over the spread `s`).

use diffhep::stochastic::rng::child_key;
use nalgebra::{DMatrix, DVector};
use rand::rngs::ChaCha12Rng;
use rand::SeedableRng;
use rand_distr::StandardNormal;

use super::{CheckpointError, DesignError};

/// Least-squares `y_k ≈ c + gᵀδ_k`: returns `(c, g)`. Needs more points than unknowns and
/// perturbations that span every direction.
pub fn local_linear_fit(deltas: &[Vec<f64>], ys: &[f64]) -> Result<(f64, Vec<f64>), DesignError> {
    let k = ys.len();
    let l = deltas.first().map_or(0, Vec::len);
    if deltas.len() != k || k < l + 2 || deltas.iter().any(|d| d.len() != l) {
        return Err(DesignError::Config {
            field: "calorimeter.surrogate_points".into(),
            message: format!("{k} points cannot fit {} unknowns", l + 1),
        });
    }
    let x = DMatrix::from_fn(k, l + 1, |i, j| if j == 0 { 1.0 } else { deltas[i][j - 1] });
    let y = DVector::from_column_slice(ys);
    let svd = x.svd(true, true);
    let smax = svd.singular_values.max();
    let smin = svd.singular_values.min();
    if smin.is_nan() || smin <= 1e-10 * smax {
        return Err(DesignError::Config {
            field: "calorimeter.surrogate_spread".into(),
            message: format!(
                "perturbations do not span the design space (σ_min/σ_max = {:e})",
                smin / smax
            ),
        });
    }
    let beta = svd
        .solve(&y, 0.0)
        .map_err(|e| DesignError::Checkpoint(CheckpointError::Invalid(e.to_string())))?;
    Ok((beta[0], beta.iter().skip(1).copied().collect()))
}

/// The relative perturbations `δ_k` (`points × layers`) of the surrogate for `seed`.
pub fn perturbations(points: usize, layers: usize, spread: f64, seed: u64) -> Vec<Vec<f64>> {
    (0..points)
        .map(|k| {
            let mut rng = ChaCha12Rng::seed_from_u64(child_key(seed, k as u64));
            (0..layers)
                .map(|_| spread * rand::RngExt::sample::<f64, _>(&mut rng, StandardNormal))
                .collect()
        })
        .collect()
}
