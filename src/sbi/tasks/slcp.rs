//! SLCP (sbibm): "simple likelihood, complex posterior" — a 5-parameter bivariate normal
//! observed through four draws; the posterior has four sign modes.

use std::f64::consts::TAU;

use crate::forward::gradient_fixed;
use crate::sbi::error::{check_len, Result};
use crate::sbi::prior::{std_normal, Prior};
use crate::sbi::sampler::{smc_sample, SmcConfig};
use crate::sbi::task::{exact_log_lik_batch, generated_observation, Observation, Task};
use crate::stochastic::rng::counter_uniform;
use crate::{RealScalar, ScalarFn};

/// θ ∈ U([−3, 3]⁵); `m = (θ₁, θ₂)`, `s₁ = θ₃²`, `s₂ = θ₄²`, `ρ = tanh θ₅`,
/// `Σ = [[s₁², ρ s₁ s₂], [ρ s₁ s₂, s₂²]]`; x = four draws from N(m, Σ) (ℝ⁸).
///
/// The likelihood depends on θ₃ and θ₄ only through their squares, so the posterior is
/// symmetric under their sign flips. The reference posterior runs [`smc_sample`] on the
/// exact likelihood with the prior folded to θ₃, θ₄ ≥ 0 (one mode) and then gives each sample
/// independent random signs of θ₃ and θ₄, which weights the four modes exactly equally.
#[derive(Clone, Debug)]
pub struct Slcp {
    prior: Prior,
}

impl Default for Slcp {
    fn default() -> Self {
        Self::new()
    }
}

impl Slcp {
    /// The sbibm task.
    pub fn new() -> Self {
        Slcp {
            prior: Prior::Uniform {
                low: vec![-3.0; 5],
                high: vec![3.0; 5],
            },
        }
    }
}

struct LogLik<'a>(&'a [f64]);

impl ScalarFn for LogLik<'_> {
    fn eval<S: RealScalar>(&self, t: &[S]) -> S {
        let s1 = t[2].clone() * t[2].clone();
        let s2 = t[3].clone() * t[3].clone();
        let rho = t[4].tanh();
        let one_m_r2 = rho.clone().rsub(1.0) * (rho.clone() + 1.0);
        // log det Σ = 2 ln s1 + 2 ln s2 + ln(1 − ρ²)
        let logdet = (s1.ln() + s2.ln()) * 2.0 + one_m_r2.ln();
        let mut quad = S::zero();
        for k in 0..4 {
            let a = (t[0].rsub(self.0[2 * k])) / s1.clone();
            let b = (t[1].rsub(self.0[2 * k + 1])) / s2.clone();
            quad += (a.clone() * a.clone() + b.clone() * b.clone() - a * b * rho.clone() * 2.0)
                / one_m_r2.clone();
        }
        (logdet * 4.0 + quad) * (-0.5) - 4.0 * TAU.ln()
    }
}

impl Task for Slcp {
    fn name(&self) -> &'static str {
        "slcp"
    }
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn x_dim(&self) -> usize {
        8
    }
    fn simulate(&self, theta: &[f64], seed: u64, index: u64) -> Vec<f64> {
        let s1 = theta[2] * theta[2];
        let s2 = theta[3] * theta[3];
        let rho = theta[4].tanh();
        let mut x = Vec::with_capacity(8);
        for k in 0..4u64 {
            let z1 = std_normal(seed, 0x5c00 + 2 * k, index);
            let z2 = std_normal(seed, 0x5c01 + 2 * k, index);
            x.push(theta[0] + s1 * z1);
            x.push(theta[1] + s2 * (rho * z1 + (1.0 - rho * rho).sqrt() * z2));
        }
        x
    }
    fn log_likelihood_grad(&self, theta: &[f64], x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let t: [f64; 5] = theta.try_into().ok()?;
        let (v, g) = gradient_fixed(&LogLik(x), &t);
        if v.is_finite() && g.iter().all(|a| a.is_finite()) {
            Some((v, g.to_vec()))
        } else {
            Some((f64::NEG_INFINITY, vec![0.0; 5]))
        }
    }
    fn observation(&self, k: usize) -> Result<Observation> {
        if k == 1 {
            return Ok(Observation {
                theta: None,
                x: vec![
                    2.371_878_4,
                    0.499_474_17,
                    9.931_435,
                    1.713_691_2,
                    -10.436_423,
                    -1.906_779_3,
                    -1.234_377_7,
                    -0.097_35,
                ],
            });
        }
        generated_observation(self, k)
    }
    fn reference_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("slcp observation dimension", 8, x.len())?;
        let folded = Prior::Uniform {
            low: vec![-3.0, -3.0, 0.0, 0.0, -3.0],
            high: vec![3.0; 5],
        };
        let ll = |th: &[f64]| exact_log_lik_batch(self, th, x, 5);
        let cfg = SmcConfig {
            particles: n,
            seed,
            moves: 10,
            ..SmcConfig::default()
        };
        let mut s = smc_sample(&folded, &ll, &cfg)?.samples;
        for (i, row) in s.chunks_mut(5).enumerate() {
            for j in [2, 3] {
                if counter_uniform(seed, 0x5c51, i as u64, j as u64) < 0.5 {
                    row[j] = -row[j];
                }
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::assert_gradient;

    #[test]
    fn likelihood_gradient_matches_finite_differences() {
        let x = Slcp::new().observation(1).unwrap().x;
        assert_gradient(&LogLik(&x), &[0.7, -2.9, -1.0, -0.9, 0.6]);
        assert_gradient(&LogLik(&x), &[0.1, 0.2, 1.7, 1.2, -0.3]);
    }

    #[test]
    fn likelihood_is_the_density_of_the_simulator() {
        // Mean of x over draws equals m exactly in expectation; check the density normalises by
        // comparing the log-likelihood of simulated data with its expectation −4·(ln 2π + ½ln det Σ + 1).
        let t = Slcp::new();
        let th = [0.5, -1.0, 1.2, 0.8, 0.4];
        let n = 4000;
        let ll: Vec<f64> = (0..n)
            .map(|i| {
                t.log_likelihood_grad(&th, &t.simulate(&th, 9, i))
                    .unwrap()
                    .0
            })
            .collect();
        let m = ll.iter().sum::<f64>() / n as f64;
        let sd = (ll.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        let rho: f64 = 0.4f64.tanh();
        let logdet = 2.0 * (1.44f64.ln() + 0.64f64.ln()) + (1.0 - rho * rho).ln();
        let expect = -4.0 * (TAU.ln() + 0.5 * logdet + 1.0);
        assert!(
            (m - expect).abs() < 5.0 * sd / (n as f64).sqrt(),
            "{m} vs {expect}"
        );
    }
}
