//! Importance-weight diagnostics, all computed from log-weights in f64 and log-space.
//!
//! For weights wᵢ = p̃(xᵢ)/q(xᵢ) of N draws xᵢ ~ q:
//! - Ẑ = mean(w), reported as log Ẑ = logsumexp(log w) − log N, with the delta-method standard
//!   error σ(log Ẑ) ≈ sd(w)/(√N mean(w));
//! - sampling efficiency (Kish's effective sample size over N) (Σw)²/(N Σw²) ∈ (0, 1];
//! - unweighting efficiency mean(w)/max(w) ∈ (0, 1]: the acceptance of hit-or-miss unweighting.

use serde::{Deserialize, Serialize};

use super::FabError;

/// log Σ exp(vᵢ), stable; −∞ for an empty slice or when every entry is −∞. NaN entries are
/// treated as −∞.
pub fn logsumexp(v: &[f64]) -> f64 {
    let m = v
        .iter()
        .filter(|x| !x.is_nan())
        .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    if m == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if m == f64::INFINITY {
        return f64::INFINITY;
    }
    let s: f64 = v
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| (x - m).exp())
        .sum();
    m + s.ln()
}

/// Normalised weights w̄ᵢ = wᵢ/Σw from log-weights (zeros where log w = −∞).
pub fn normalised_weights(log_w: &[f64]) -> Vec<f64> {
    let lse = logsumexp(log_w);
    if !lse.is_finite() {
        return vec![0.0; log_w.len()];
    }
    log_w
        .iter()
        .map(|&l| if l.is_nan() { 0.0 } else { (l - lse).exp() })
        .collect()
}

/// Diagnostics of a set of importance weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightMetrics {
    /// Number of weights N.
    pub n: usize,
    /// log Ẑ = log mean(w).
    pub log_z: f64,
    /// Standard error of log Ẑ (delta method).
    pub log_z_err: f64,
    /// (Σw)²/(N Σw²).
    pub sampling_efficiency: f64,
    /// mean(w)/max(w).
    pub unweighting_efficiency: f64,
}

impl WeightMetrics {
    /// Diagnostics of the weights exp(`log_w`). Errors when there are fewer than two weights or
    /// none is positive and finite.
    pub fn from_log_weights(log_w: &[f64]) -> Result<Self, FabError> {
        let n = log_w.len();
        if n < 2 {
            return Err(FabError::Config(format!(
                "need at least two weights for metrics, got {n}"
            )));
        }
        let lse = logsumexp(log_w);
        if !lse.is_finite() {
            return Err(FabError::NoWeight(format!(
                "log-sum-exp of {n} log-weights is {lse}"
            )));
        }
        let nf = n as f64;
        let max = log_w
            .iter()
            .filter(|x| !x.is_nan())
            .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        // Weights relative to the maximum keep every sum in range.
        let (mut s1, mut s2) = (0.0, 0.0);
        for &l in log_w {
            if !l.is_nan() {
                let r = (l - max).exp();
                s1 += r;
                s2 += r * r;
            }
        }
        let mean = s1 / nf;
        let var = (s2 / nf - mean * mean).max(0.0) * nf / (nf - 1.0);
        Ok(WeightMetrics {
            n,
            log_z: lse - nf.ln(),
            log_z_err: (var / nf).sqrt() / mean,
            sampling_efficiency: s1 * s1 / (nf * s2),
            unweighting_efficiency: mean,
        })
    }
}
