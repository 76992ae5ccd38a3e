//! two_moons (sbibm): a crescent-shaped likelihood whose posterior has two arcs.

use std::f64::consts::{FRAC_1_SQRT_2, PI, SQRT_2};

use crate::forward::gradient_fixed;
use crate::sbi::error::{check_len, Result};
use crate::sbi::prior::{std_normal, Prior};
use crate::sbi::task::{generated_observation, Observation, Task};
use crate::stochastic::rng::counter_uniform;
use crate::{RealScalar, ScalarFn};

const R_MEAN: f64 = 0.1;
const R_SD: f64 = 0.01;

/// θ ∈ U([−1, 1]²); `a ~ U(−π/2, π/2)`, `r ~ N(0.1, 0.01²)`, `p = (r cos a + 0.25, r sin a)`,
/// `x = p + (−|θ₁ + θ₂|/√2, (−θ₁ + θ₂)/√2)`.
///
/// The likelihood is tractable: `p ↦ (a, r)` is polar coordinates around `(0.25, 0)`, so
/// `p(x|θ) = N(r; 0.1, 0.01²) / (π r)` for `u = x − shift(θ) − (0.25, 0)` with `u₁ > 0`.
/// The reference posterior is sampled *exactly*: `θ ↦ shift(θ)` is two-to-one and piecewise
/// linear with unit Jacobian, so drawing `p` from the simulator, solving `shift(θ) = x_o − p`
/// for one of its two preimages at random and keeping draws inside the prior box gives
/// independent posterior samples.
#[derive(Clone, Debug)]
pub struct TwoMoons {
    prior: Prior,
}

impl Default for TwoMoons {
    fn default() -> Self {
        Self::new()
    }
}

impl TwoMoons {
    /// The sbibm task.
    pub fn new() -> Self {
        TwoMoons {
            prior: Prior::Uniform {
                low: vec![-1.0; 2],
                high: vec![1.0; 2],
            },
        }
    }
}

/// `log p(x|θ)` generic over the number type (θ as the variable, x fixed).
struct LogLik<'a>(&'a [f64]);

impl ScalarFn for LogLik<'_> {
    fn eval<S: RealScalar>(&self, t: &[S]) -> S {
        let x = self.0;
        let s1 = (t[0].clone() + t[1].clone()).abs() * (-FRAC_1_SQRT_2);
        let s2 = (t[1].clone() - t[0].clone()) * FRAC_1_SQRT_2;
        let u1 = s1.rsub(x[0] - 0.25);
        let u2 = s2.rsub(x[1]);
        if u1.value() <= 0.0 {
            return S::from_f64(f64::NEG_INFINITY);
        }
        let r = (u1.clone() * u1 + u2.clone() * u2).sqrt();
        let z = (r.clone() - R_MEAN) * (1.0 / R_SD);
        z.clone() * z * (-0.5) - r.ln() - (R_SD * (2.0 * PI).sqrt() * PI).ln()
    }
}

impl Task for TwoMoons {
    fn name(&self) -> &'static str {
        "two_moons"
    }
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn x_dim(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], seed: u64, index: u64) -> Vec<f64> {
        let a = PI * (counter_uniform(seed, 0x2a00, index, 0) - 0.5);
        let r = R_MEAN + R_SD * std_normal(seed, 0x2a01, index);
        let p = [r * a.cos() + 0.25, r * a.sin()];
        vec![
            p[0] - (theta[0] + theta[1]).abs() * FRAC_1_SQRT_2,
            p[1] + (theta[1] - theta[0]) * FRAC_1_SQRT_2,
        ]
    }
    fn log_likelihood_grad(&self, theta: &[f64], x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let (v, g) = gradient_fixed(&LogLik(x), &[theta[0], theta[1]]);
        if v.is_finite() {
            Some((v, g.to_vec()))
        } else {
            Some((f64::NEG_INFINITY, vec![0.0; 2]))
        }
    }
    fn observation(&self, k: usize) -> Result<Observation> {
        if k == 1 {
            return Ok(Observation {
                theta: None,
                x: vec![-0.639_670_6, 0.162_346_57],
            });
        }
        generated_observation(self, k)
    }
    fn reference_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("two_moons observation dimension", 2, x.len())?;
        let mut out = Vec::with_capacity(2 * n);
        let mut i = 0u64;
        while out.len() < 2 * n {
            let p = self.simulate(&[0.0, 0.0], seed, i);
            let branch = counter_uniform(seed, 0x2a02, i, 0) < 0.5;
            i += 1;
            // shift(θ) = x_o − p; shift₁ = −|θ₁+θ₂|/√2 ≤ 0, shift₂ = (θ₂−θ₁)/√2.
            let s1 = x[0] - p[0];
            let s2 = x[1] - p[1];
            if s1 > 0.0 {
                continue;
            }
            let c = if branch { -s1 * SQRT_2 } else { s1 * SQRT_2 };
            let e = s2 * SQRT_2;
            let t = [(c - e) / 2.0, (c + e) / 2.0];
            if self.prior.contains(&t) {
                out.extend_from_slice(&t);
            }
            if i > 1000 * n as u64 + 10_000 {
                return Err(crate::sbi::error::SbiError::Config(
                    "two_moons: observation outside the prior predictive support".into(),
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::assert_gradient;

    #[test]
    fn likelihood_gradient_matches_finite_differences() {
        let t = TwoMoons::new();
        let x = t.observation(1).unwrap().x;
        // Points on the posterior's arcs (exact samples), where the likelihood is positive.
        let pts = t.reference_posterior(&x, 3, 7).unwrap();
        for th in pts.chunks(2) {
            assert!(t.log_likelihood_grad(th, &x).unwrap().0.is_finite());
            assert_gradient(&LogLik(&x), th);
        }
    }

    #[test]
    fn exact_posterior_samples_have_positive_likelihood_and_both_arcs() {
        let t = TwoMoons::new();
        let x = t.observation(1).unwrap().x;
        let s = t.reference_posterior(&x, 2000, 1).unwrap();
        let mut pos = 0;
        for c in s.chunks(2) {
            assert!(t.log_likelihood_grad(c, &x).unwrap().0 > -20.0);
            if c[0] + c[1] > 0.0 {
                pos += 1;
            }
        }
        // The two preimages are drawn with probability 1/2 each (both arcs lie inside the box).
        let n = 2000.0;
        assert!(
            ((pos as f64) / n - 0.5).abs() < 5.0 * (0.25 / n).sqrt(),
            "{pos}"
        );
    }
}
