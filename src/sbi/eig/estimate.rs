//! An EIG estimate with its Monte Carlo standard error, what kind of estimate it is, and its
//! design gradient.

use std::fmt;

use super::error::{EigError, Result};

/// Which estimator produced an [`EigEstimate`], and hence how it relates to the true EIG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EigKind {
    /// Nested Monte Carlo with the exact likelihood and `inner` inner samples: consistent, biased
    /// **upwards** by `O(1/inner)` (the log of an unbiased marginal estimate is biased down).
    NestedMc {
        /// Inner samples per outer sample.
        inner: usize,
    },
    /// Barber–Agakov posterior bound `E[log q(θ|x)] + H[p(θ)]` from NPE: a lower bound for any q.
    Posterior,
    /// Nested Monte Carlo with an NLE likelihood `q(x|θ)` in place of `p(x|θ, d)`: neither bound
    /// (biased by the misfit of q, and upwards by `O(1/inner)`).
    Likelihood {
        /// Inner samples per outer sample.
        inner: usize,
    },
    /// InfoNCE bound from an NRE critic with `contrastive` negative θ per x: a lower bound, and at
    /// most `ln(contrastive + 1)` whatever the critic.
    InfoNce {
        /// Contrastive (negative) samples per outer sample.
        contrastive: usize,
    },
    /// NWJ bound (`f`-divergence / MINE-f form) from an NRE critic: a lower bound without a
    /// ceiling, with a larger variance.
    Nwj {
        /// Marginal samples per outer sample.
        contrastive: usize,
    },
}

impl EigKind {
    /// Whether the estimate is a lower bound on the EIG (in expectation).
    pub fn is_lower_bound(&self) -> bool {
        matches!(
            self,
            EigKind::Posterior | EigKind::InfoNce { .. } | EigKind::Nwj { .. }
        )
    }

    /// The largest value the estimator can return: `ln(L + 1)` for InfoNCE with `L`
    /// contrastive samples, `None` otherwise.
    pub fn ceiling(&self) -> Option<f64> {
        match self {
            EigKind::InfoNce { contrastive } => Some((*contrastive as f64 + 1.0).ln()),
            _ => None,
        }
    }
}

/// An EIG estimate (nats): the mean of `samples` i.i.d. per-sample terms and its standard error
/// `sd/√samples`. The standard error is the Monte Carlo error only; the biases of
/// [`EigKind`] are not in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EigEstimate {
    /// The estimate (nats).
    pub value: f64,
    /// Its Monte Carlo standard error.
    pub std_error: f64,
    /// Number of outer samples.
    pub samples: usize,
    /// What was estimated.
    pub kind: EigKind,
}

impl EigEstimate {
    /// Mean and standard error of per-sample terms (error if empty or any term is not finite).
    pub fn from_terms(terms: &[f64], kind: EigKind) -> Result<Self> {
        let n = terms.len();
        if n == 0 {
            return Err(EigError::ZeroSamples("number of outer samples"));
        }
        if terms.iter().any(|t| !t.is_finite()) {
            return Err(EigError::NonFinite("per-sample EIG term"));
        }
        let mean = terms.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            terms.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Ok(EigEstimate {
            value: mean,
            std_error: (var / n as f64).sqrt(),
            samples: n,
            kind,
        })
    }
}

impl fmt::Display for EigEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.4} ± {:.4}", self.value, self.std_error)
    }
}

/// An estimate and its gradient w.r.t. the design (the gradient of the same Monte Carlo
/// estimator at fixed random numbers, i.e. an unbiased estimate of the gradient of its mean).
#[derive(Clone, Debug, PartialEq)]
pub struct EigGradient {
    /// The estimate at the design.
    pub estimate: EigEstimate,
    /// `∂ estimate / ∂d`, one entry per design component.
    pub gradient: Vec<f64>,
    /// Monte Carlo standard error of each gradient component (from the spread of the per-sample
    /// gradients).
    pub gradient_std_error: Vec<f64>,
}

/// `ln Σᵢ exp(vᵢ)` without overflow (−∞ for an empty slice or all −∞), and the softmax weights.
pub(crate) fn log_sum_exp(v: &[f64]) -> (f64, Vec<f64>) {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || !m.is_finite() {
        return (m, vec![0.0; v.len()]);
    }
    let e: Vec<f64> = v.iter().map(|x| (x - m).exp()).collect();
    let s: f64 = e.iter().sum();
    (m + s.ln(), e.iter().map(|x| x / s).collect())
}

/// Mean and standard error over rows of per-row gradients (`n` rows of `k`).
pub(crate) fn mean_and_se_rows(g: &[f64], n: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; k];
    for row in g.chunks(k) {
        for j in 0..k {
            mean[j] += row[j] / n as f64;
        }
    }
    let mut var = vec![0.0; k];
    if n > 1 {
        for row in g.chunks(k) {
            for j in 0..k {
                var[j] += (row[j] - mean[j]).powi(2) / (n - 1) as f64;
            }
        }
    }
    let se = var.iter().map(|v| (v / n as f64).sqrt()).collect();
    (mean, se)
}
