//! gaussian_linear (sbibm): a 10-D Gaussian with a conjugate prior and an analytic posterior.

use crate::sbi::error::{check_len, Result};
use crate::sbi::prior::{std_normal, Prior};
use crate::sbi::task::{generated_observation, Observation, Task};

const DIM: usize = 10;
const VAR: f64 = 0.1;

/// Prior θ ~ N(0, 0.1·I), simulator x ~ N(θ, 0.1·I) (0.1 is a variance); posterior
/// N(x/2, 0.05·I) exactly, sampled directly.
#[derive(Clone, Debug)]
pub struct GaussianLinear {
    prior: Prior,
}

impl Default for GaussianLinear {
    fn default() -> Self {
        Self::new()
    }
}

impl GaussianLinear {
    /// The sbibm task (dimension 10).
    pub fn new() -> Self {
        GaussianLinear {
            prior: Prior::Gaussian {
                mean: vec![0.0; DIM],
                sd: vec![VAR.sqrt(); DIM],
            },
        }
    }
}

impl Task for GaussianLinear {
    fn name(&self) -> &'static str {
        "gaussian_linear"
    }
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn x_dim(&self) -> usize {
        DIM
    }
    fn simulate(&self, theta: &[f64], seed: u64, index: u64) -> Vec<f64> {
        (0..DIM)
            .map(|j| theta[j] + VAR.sqrt() * std_normal(seed, 0x61_00 + j as u64, index))
            .collect()
    }
    fn log_likelihood_grad(&self, theta: &[f64], x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let mut v = -0.5 * DIM as f64 * (std::f64::consts::TAU * VAR).ln();
        let mut g = vec![0.0; DIM];
        for j in 0..DIM {
            let r = x[j] - theta[j];
            v -= 0.5 * r * r / VAR;
            g[j] = r / VAR;
        }
        Some((v, g))
    }
    fn observation(&self, k: usize) -> Result<Observation> {
        if k == 1 {
            return Ok(Observation {
                theta: None,
                x: vec![
                    1.047_134_6,
                    0.556_671_2,
                    -0.236_184_54,
                    0.027_879_834,
                    -1.005_144_6,
                    -0.007_930_746,
                    0.061_170_77,
                    -0.292_868_85,
                    -0.385_399_64,
                    0.244_961_4,
                ],
            });
        }
        generated_observation(self, k)
    }
    fn reference_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("gaussian_linear observation dimension", DIM, x.len())?;
        let sd = (VAR / 2.0).sqrt();
        Ok((0..n)
            .flat_map(|i| (0..DIM).map(move |j| (i, j)))
            .map(|(i, j)| x[j] / 2.0 + sd * std_normal(seed, 0x61_80 + j as u64, i as u64))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbi::sampler::{smc_sample, SmcConfig};
    use crate::sbi::task::exact_log_lik_batch;

    #[test]
    fn smc_on_the_exact_likelihood_agrees_with_the_analytic_posterior() {
        // Analytic posterior N(x/2, 0.05 I); SMC mean within 6 standard errors (ESS ≥ n/4).
        let t = GaussianLinear::new();
        let x = t.observation(1).unwrap().x;
        let ll = |th: &[f64]| exact_log_lik_batch(&t, th, &x, DIM);
        let n = 2000;
        let cfg = SmcConfig {
            particles: n,
            seed: 2,
            ..SmcConfig::default()
        };
        let s = smc_sample(t.prior(), &ll, &cfg).unwrap().samples;
        for j in 0..DIM {
            let m = (0..n).map(|i| s[i * DIM + j]).sum::<f64>() / n as f64;
            assert!((m - x[j] / 2.0).abs() < 6.0 * (0.05 / (n as f64 / 4.0)).sqrt());
        }
    }
}
