//! Priors of the benchmark tasks (boxes and diagonal Gaussians), seeded normal draws and
//! seeded permutations.

use super::error::{check_len, Result};
use crate::stochastic::rng::counter_uniform;

/// A standard normal number for `(seed, stream, index)` by the Box–Muller transform of two
/// counter-based uniforms (sub-indices 0 and 1), so it is a pure function of its key.
pub fn std_normal(seed: u64, stream: u64, index: u64) -> f64 {
    let u1 = counter_uniform(seed, stream, index, 0);
    let u2 = counter_uniform(seed, stream, index, 1);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A uniformly random permutation of `0..n` (Fisher–Yates), a pure function of `seed`.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((counter_uniform(seed, 0x9e12, i as u64, 0) * (i + 1) as f64) as usize).min(i);
        p.swap(i, j);
    }
    p
}

/// A prior over θ ∈ ℝᵈ with independent components.
#[derive(Clone, Debug, PartialEq)]
pub enum Prior {
    /// Uniform on the box `[low_i, high_i]`.
    Uniform {
        /// Lower corner.
        low: Vec<f64>,
        /// Upper corner.
        high: Vec<f64>,
    },
    /// Normal with mean `mean_i` and standard deviation `sd_i`, independent.
    Gaussian {
        /// Means.
        mean: Vec<f64>,
        /// Standard deviations (> 0).
        sd: Vec<f64>,
    },
}

impl Prior {
    /// Dimension of θ.
    pub fn dim(&self) -> usize {
        match self {
            Prior::Uniform { low, .. } => low.len(),
            Prior::Gaussian { mean, .. } => mean.len(),
        }
    }

    /// `n` draws (flat, row-major), a pure function of `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<f64> {
        let d = self.dim();
        let mut out = Vec::with_capacity(n * d);
        for i in 0..n {
            for j in 0..d {
                out.push(match self {
                    Prior::Uniform { low, high } => {
                        low[j]
                            + (high[j] - low[j]) * counter_uniform(seed, 0x9e10, i as u64, j as u64)
                    }
                    Prior::Gaussian { mean, sd } => {
                        mean[j] + sd[j] * std_normal(seed, 0x9e11 + j as u64, i as u64)
                    }
                });
            }
        }
        out
    }

    /// `log π(θ)` of one point (`−∞` outside a box).
    pub fn log_prob(&self, theta: &[f64]) -> Result<f64> {
        check_len("prior: dimension of θ", self.dim(), theta.len())?;
        Ok(self.log_prob_unchecked(theta))
    }

    fn log_prob_unchecked(&self, theta: &[f64]) -> f64 {
        match self {
            Prior::Uniform { low, high } => {
                let mut lp = 0.0;
                for j in 0..theta.len() {
                    if !(theta[j] >= low[j] && theta[j] <= high[j]) {
                        return f64::NEG_INFINITY;
                    }
                    lp -= (high[j] - low[j]).ln();
                }
                lp
            }
            Prior::Gaussian { mean, sd } => theta
                .iter()
                .zip(mean.iter().zip(sd))
                .map(|(&t, (&m, &s))| {
                    let z = (t - m) / s;
                    -0.5 * z * z - s.ln() - 0.5 * (std::f64::consts::TAU).ln()
                })
                .sum(),
        }
    }

    /// `log π(θ)` and its gradient for a batch of points (flat); the gradient of a box prior is
    /// zero inside (and its value `−∞` outside).
    pub fn log_prob_grad_batch(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let d = self.dim();
        let n = theta.len() / d;
        let mut lp = Vec::with_capacity(n);
        let mut g = vec![0.0; n * d];
        for i in 0..n {
            let t = &theta[i * d..(i + 1) * d];
            lp.push(self.log_prob_unchecked(t));
            if let Prior::Gaussian { mean, sd } = self {
                for j in 0..d {
                    g[i * d + j] = -(t[j] - mean[j]) / (sd[j] * sd[j]);
                }
            }
        }
        (lp, g)
    }

    /// Whether θ lies in the prior's support.
    pub fn contains(&self, theta: &[f64]) -> bool {
        self.log_prob_unchecked(theta).is_finite()
    }

    /// The differential entropy `H[π] = −E[log π(θ)]` in nats, closed form: `Σ ln(highᵢ − lowᵢ)`
    /// for a box, `Σ ½ ln(2πe sdᵢ²)` for a Gaussian.
    pub fn entropy(&self) -> f64 {
        match self {
            Prior::Uniform { low, high } => low.iter().zip(high).map(|(a, b)| (b - a).ln()).sum(),
            Prior::Gaussian { sd, .. } => sd
                .iter()
                .map(|s| 0.5 * (std::f64::consts::TAU * std::f64::consts::E * s * s).ln())
                .sum(),
        }
    }

    /// Mean and standard deviation per component (for z-scoring network inputs).
    pub fn moments(&self) -> (Vec<f64>, Vec<f64>) {
        match self {
            Prior::Uniform { low, high } => (
                low.iter().zip(high).map(|(a, b)| 0.5 * (a + b)).collect(),
                low.iter()
                    .zip(high)
                    .map(|(a, b)| (b - a) / 12f64.sqrt())
                    .collect(),
            ),
            Prior::Gaussian { mean, sd } => (mean.clone(), sd.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prior_moments_match_draws() {
        // Sample means within 5 standard errors of the exact moments.
        let n = 20_000;
        for p in [
            Prior::Uniform {
                low: vec![-1.0, 0.0],
                high: vec![1.0, 3.0],
            },
            Prior::Gaussian {
                mean: vec![0.5, -1.0],
                sd: vec![0.3, 2.0],
            },
        ] {
            let s = p.sample(n, 3);
            let (m, sd) = p.moments();
            for j in 0..2 {
                let mean = (0..n).map(|i| s[i * 2 + j]).sum::<f64>() / n as f64;
                assert!((mean - m[j]).abs() < 5.0 * sd[j] / (n as f64).sqrt());
                let var = (0..n).map(|i| (s[i * 2 + j] - m[j]).powi(2)).sum::<f64>() / n as f64;
                assert!((var.sqrt() / sd[j] - 1.0).abs() < 0.03);
            }
            assert!(p.log_prob(&[0.1]).is_err());
        }
    }
}
