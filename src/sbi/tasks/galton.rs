//! The generalised Galton board of Brehmer, Louppe, Pavez & Cranmer ("Mining gold from implicit
//! models", PNAS 2020): a discrete simulator whose latent path has a differentiable probability.

use std::f64::consts::PI;

use num_dual::Dual64;

use crate::sbi::error::{check_len, Result, SbiError};
use crate::sbi::posterior::Posterior;
use crate::sbi::prior::Prior;
use crate::sbi::task::{generated_observation, Observation, Task};
use crate::stochastic::rng::counter_uniform;
use crate::{RealScalar, Scalar};

/// Rows of nails.
pub const ROWS: usize = 20;
/// Nail positions per row (k = 0 … 31 with the edges).
pub const POSITIONS: usize = 32;
const START: usize = 15;

/// Galton board with 20 rows of 31 nails, the ball starting at nail 15. At row ℓ and position
/// k the ball goes left with probability
/// `t(ℓ, k) = (1 − sin(πℓ/19))·½ + sin(πℓ/19)·sigmoid(10θ(2k/30 − 1))`; on odd rows the edge
/// positions k = 0 and 31 have t = 0 and 1. Even rows: left keeps k, right gives k+1; odd rows:
/// left gives k−1, right keeps k. The observable is the final position x = k.
///
/// Prior θ ~ U(−1, 1) (our choice; θ > 0 pulls the ball to the centre, θ < 0 pushes it out).
/// The path's log-probability `log p(z|θ) = Σ_ℓ log t or log(1 − t)` is accumulated generically
/// in a [`Scalar`], so with [`Dual64`] one run gives the joint score `∂θ log p(x, z|θ)`; the
/// exact `p(x|θ)` is a dynamic programme over rows (also generic), which gives the reference
/// likelihood, score and posterior (on a 2001-point θ grid).
#[derive(Clone, Debug)]
pub struct Galton {
    prior: Prior,
}

impl Default for Galton {
    fn default() -> Self {
        Self::new()
    }
}

/// Probability of going left at row `row`, position `k`.
pub fn p_left<S: Scalar>(row: usize, k: usize, theta: &S) -> S {
    if row % 2 == 1 && k == 0 {
        return S::from_f64(0.0);
    }
    if row % 2 == 1 && k == POSITIONS - 1 {
        return S::from_f64(1.0);
    }
    let w = (PI * row as f64 / 19.0).sin();
    let c = theta.clone() * (10.0 * (2.0 * k as f64 / 30.0 - 1.0));
    let sig = ((-c).exp() + 1.0).recip();
    sig * w + 0.5 * (1.0 - w)
}

fn step(row: usize, k: usize, left: bool) -> usize {
    match (row.is_multiple_of(2), left) {
        (true, true) | (false, false) => k,
        (true, false) => k + 1,
        (false, true) => k - 1,
    }
}

/// One ball: final position and `log p(z|θ)` of the path taken, generic in the number type
/// (decisions compare f64 uniforms with the primal probabilities).
pub fn galton_path<S: RealScalar>(theta: &S, seed: u64, index: u64) -> (usize, S) {
    let mut k = START;
    let mut logp = S::zero();
    for row in 0..ROWS {
        let t = p_left(row, k, theta);
        let u = counter_uniform(seed, 0x6a17, index, row as u64);
        let left = u < t.value();
        logp += if left { t.ln() } else { t.rsub(1.0).ln() };
        k = step(row, k, left);
    }
    (k, logp)
}

/// Exact distribution `p(x = k|θ)` of the final position by dynamic programming over rows.
pub fn galton_distribution<S: Scalar>(theta: &S) -> Vec<S> {
    let mut p: Vec<S> = (0..POSITIONS)
        .map(|k| S::from_f64(if k == START { 1.0 } else { 0.0 }))
        .collect();
    for row in 0..ROWS {
        let mut next: Vec<S> = (0..POSITIONS).map(|_| S::zero()).collect();
        for k in 0..POSITIONS {
            let t = p_left(row, k, theta);
            // Moves off the board (only from the unreachable edge cells) carry no mass.
            let (l, r) = if row % 2 == 0 {
                (k, k + 1)
            } else {
                (k.wrapping_sub(1), k)
            };
            if l < POSITIONS {
                next[l] = next[l].clone() + p[k].clone() * t.clone();
            }
            if r < POSITIONS {
                next[r] = next[r].clone() + p[k].clone() * t.rsub(1.0);
            }
        }
        p = next;
    }
    p
}

impl Galton {
    /// The board with prior θ ~ U(−1, 1).
    pub fn new() -> Self {
        Galton {
            prior: Prior::Uniform {
                low: vec![-1.0],
                high: vec![1.0],
            },
        }
    }

    /// Exact `log p(x|θ)` and `∂θ log p(x|θ)`.
    pub fn exact_log_lik(theta: f64, x: usize) -> (f64, f64) {
        let p = galton_distribution(&Dual64::new(theta, 1.0));
        let q = p.get(x).copied().unwrap_or(Dual64::new(0.0, 0.0));
        if q.re > 0.0 {
            (q.re.ln(), q.eps / q.re)
        } else {
            (f64::NEG_INFINITY, 0.0)
        }
    }

    /// The θ grid of the reference posterior (2001 points on [−1, 1]).
    pub fn grid() -> Vec<f64> {
        (0..2001).map(|i| -1.0 + i as f64 / 1000.0).collect()
    }

    /// Exact posterior density `p(θ|x)` on [`Galton::grid`], normalised by the trapezoid rule.
    pub fn exact_posterior_density(x: usize) -> Vec<f64> {
        let g = Self::grid();
        let lik: Vec<f64> = g
            .iter()
            .map(|&t| Self::exact_log_lik(t, x).0.exp())
            .collect();
        normalise_on_grid(&g, lik)
    }
}

/// Expected posterior KL divergence `E_{x~p(x)} KL(p(θ|x) ‖ q(θ|x))` of an estimator on the
/// Galton board, with `p(x) = ∫ p(x|θ) π(θ) dθ` and both densities on [`Galton::grid`],
/// `q` truncated to the prior and normalised there (trapezoid rule). Exact up to the grid.
pub fn galton_expected_kl(post: &dyn Posterior) -> Result<f64> {
    let g = Galton::grid();
    let h = g[1] - g[0];
    let dists: Vec<Vec<f64>> = g.iter().map(galton_distribution).collect();
    let mut total = 0.0;
    for x in 0..POSITIONS {
        let lik: Vec<f64> = dists.iter().map(|p| p[x]).collect();
        // Prior density 1/2 on [−1, 1].
        let px = 0.5 * h * (lik.iter().sum::<f64>() - 0.5 * (lik[0] + lik[lik.len() - 1]));
        if px < 1e-12 {
            continue;
        }
        let p = normalise_on_grid(&g, lik);
        let lq = post.log_prob(&g, &[x as f64])?;
        let m = lq.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if !m.is_finite() {
            return Err(SbiError::NonFinite(
                "estimated posterior density on the grid",
            ));
        }
        let q = normalise_on_grid(&g, lq.iter().map(|v| (v - m).exp()).collect());
        let integrand: Vec<f64> = p
            .iter()
            .zip(&q)
            .map(|(&a, &b)| {
                if a > 0.0 {
                    a * (a / b.max(1e-300)).ln()
                } else {
                    0.0
                }
            })
            .collect();
        let kl = h
            * (integrand.iter().sum::<f64>()
                - 0.5 * (integrand[0] + integrand[integrand.len() - 1]));
        total += px * kl;
    }
    Ok(total)
}

/// Normalise a density on a uniform grid by the trapezoid rule.
pub fn normalise_on_grid(grid: &[f64], mut f: Vec<f64>) -> Vec<f64> {
    let h = grid[1] - grid[0];
    let z: f64 = h * (f.iter().sum::<f64>() - 0.5 * (f[0] + f[f.len() - 1]));
    if z > 0.0 {
        f.iter_mut().for_each(|v| *v /= z);
    }
    f
}

fn position(x: &[f64]) -> Option<usize> {
    let k = x[0].round();
    (k >= 0.0 && k < POSITIONS as f64 && (x[0] - k).abs() < 1e-9).then_some(k as usize)
}

impl Task for Galton {
    fn name(&self) -> &'static str {
        "galton"
    }
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn x_dim(&self) -> usize {
        1
    }
    fn simulate(&self, theta: &[f64], seed: u64, index: u64) -> Vec<f64> {
        vec![galton_path(&theta[0], seed, index).0 as f64]
    }
    fn simulate_with_joint_score(
        &self,
        theta: &[f64],
        seed: u64,
        index: u64,
    ) -> Option<(Vec<f64>, Vec<f64>)> {
        let (k, lp) = galton_path(&Dual64::new(theta[0], 1.0), seed, index);
        Some((vec![k as f64], vec![lp.eps]))
    }
    fn log_likelihood_grad(&self, theta: &[f64], x: &[f64]) -> Option<(f64, Vec<f64>)> {
        let k = position(x)?;
        let (v, g) = Self::exact_log_lik(theta[0], k);
        Some((v, vec![g]))
    }
    fn observation(&self, k: usize) -> Result<Observation> {
        generated_observation(self, k)
    }
    fn reference_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("galton observation dimension", 1, x.len())?;
        let k = position(x)
            .ok_or_else(|| SbiError::Config(format!("galton: x = {} is not a position", x[0])))?;
        let g = Self::grid();
        let dens = Self::exact_posterior_density(k);
        // Inverse CDF of the piecewise-linear density (trapezoid cells, uniform within a cell).
        let h = g[1] - g[0];
        let mut cdf = vec![0.0; g.len()];
        for i in 1..g.len() {
            cdf[i] = cdf[i - 1] + 0.5 * h * (dens[i - 1] + dens[i]);
        }
        let total = cdf[g.len() - 1];
        Ok((0..n)
            .map(|i| {
                let u = counter_uniform(seed, 0x6a18, i as u64, 0) * total;
                let j = cdf.partition_point(|&c| c < u).clamp(1, g.len() - 1);
                let frac = (u - cdf[j - 1]) / (cdf[j] - cdf[j - 1]).max(1e-300);
                g[j - 1] + h * frac
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::ridders;

    #[test]
    fn distribution_sums_to_one_and_matches_simulation() {
        // Pearson chi-square of 20 000 balls against the exact DP distribution: with ≤ 21 occupied
        // cells the statistic has mean ≈ dof; 3·dof is far in the tail (p < 1e-6 for dof ≈ 20).
        for theta in [-0.6, 0.0, 0.7] {
            let p = galton_distribution(&theta);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let n = 20_000;
            let mut counts = vec![0usize; POSITIONS];
            for i in 0..n {
                counts[galton_path(&theta, 4, i).0] += 1;
            }
            let mut chi2 = 0.0;
            let mut dof = 0;
            for k in 0..POSITIONS {
                let e = p[k] * n as f64;
                if e > 5.0 {
                    chi2 += (counts[k] as f64 - e).powi(2) / e;
                    dof += 1;
                } else {
                    assert!(counts[k] as f64 <= 5.0 * e + 10.0);
                }
            }
            assert!(
                chi2 < 3.0 * dof as f64,
                "θ={theta}: χ² = {chi2} for {dof} cells"
            );
        }
    }

    #[test]
    fn exact_score_matches_finite_differences_and_joint_score_mean() {
        // d/dθ log p(x|θ) by Ridders' differences; and E[t(x,z|θ) | x] = ∂θ log p(x|θ), so the
        // mean joint score over all balls is 0 (score identity) within 5 standard errors.
        for (theta, k) in [(0.3, 15usize), (-0.4, 10), (0.8, 18)] {
            let (_, g) = Galton::exact_log_lik(theta, k);
            let (fd, err) = ridders(|t| Galton::exact_log_lik(t, k).0, theta, 0.05);
            assert!((g - fd).abs() < 1e-7 + 10.0 * err, "{g} vs {fd}");
        }
        let task = Galton::new();
        let n = 20_000;
        let s: Vec<f64> = (0..n)
            .map(|i| task.simulate_with_joint_score(&[0.4], 8, i).unwrap().1[0])
            .collect();
        let m = s.iter().sum::<f64>() / n as f64;
        let sd = (s.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!(
            m.abs() < 5.0 * sd / (n as f64).sqrt(),
            "mean joint score {m}"
        );
    }
}
