//! Discrete distributions: inversion samplers, log-pmfs and derivative couplings.
//!
//! Every draw is made by inverting the CDF at one coupled uniform `u`: `x = min{k : u < F(k)}`,
//! so the draw is a non-decreasing function of `u` and the primal path, the alternative path of
//! a perturbation and the two sides of a finite difference all see the same `u` (common random
//! numbers).
//!
//! # Couplings (Arya et al., NeurIPS 2022, arXiv:2210.08572, and `stochastic-ad.md`)
//! When the parameter moves by `δ·ε`, the CDF value `F(k)` moves by `ε·δ·∂F(k)/∂θ`; a draw `x`
//! whose `u` lies within that distance of a boundary of its cell `[F(x−1), F(x))` jumps to the
//! neighbouring value. Given `X = x`, this happens with probability `w·ε`:
//!
//! | distribution | δ > 0 | δ < 0 |
//! | --- | --- | --- |
//! | Bernoulli(p) | x = 0: Δ = +1, w = δ/(1−p) | x = 1: Δ = −1, w = −δ/p |
//! | Binomial(n, p) | x < n: Δ = +1, w = δ(n−x)/(1−p) | x > 0: Δ = −1, w = −δx/p |
//! | Geometric(p), failures | x > 0: Δ = −1, w = δx/(p(1−p)) | Δ = +1, w = −δ(x+1)/p |
//! | Poisson(λ) | Δ = +1, w = δ | x > 0: Δ = −1, w = −δx/λ |
//!
//! **Categorical**(p₀ … p_{K−1}) is derived here from the same inversion argument: with
//! `C_j = Σ_{i≤j} p_i` and `δC_j = Σ_{i≤j} δp_i`, a draw `x` sits in `[C_{x−1}, C_x)`;
//! - if `δC_x < 0` the upper boundary moves down and `u` near it falls into `x + 1`:
//!   `Δ = +1`, `w = −δC_x / p_x`;
//! - if `δC_{x−1} > 0` the lower boundary moves up and `u` near it falls into `x − 1`:
//!   `Δ = −1`, `w = δC_{x−1} / p_x`.
//!
//! Both can happen for one draw; they are disjoint events and enter the pruning as two
//! candidates. For two categories this reduces to the Bernoulli row. Probabilities that do not
//! sum to one are normalised (and their derivatives with them).
//!
//! Weights are non-negative by construction (a flux divided by a probability).

use super::{Result, StochasticError};

/// A candidate finite perturbation of a draw: jump `delta` with weight `weight` (per unit ε).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// The jump Δ of the drawn value.
    pub delta: f64,
    /// Its weight w (probability w·ε given the draw).
    pub weight: f64,
}

/// Check a probability (also rejects NaN).
pub fn check_probability(what: &'static str, p: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(StochasticError::Probability { what, value: p })
    }
}

/// Check a non-negative finite parameter (rates, counts).
pub fn check_non_negative(what: &'static str, x: f64) -> Result<f64> {
    if x >= 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(StochasticError::Parameter { what, value: x })
    }
}

/// Check a trial count: a non-negative integer.
pub fn check_count(what: &'static str, n: f64) -> Result<u64> {
    if n >= 0.0 && n.is_finite() && n.fract() == 0.0 && n < 1e9 {
        Ok(n as u64)
    } else {
        Err(StochasticError::Parameter { what, value: n })
    }
}

/// Bernoulli(p) by inversion: 1 when `u > 1 − p`.
#[inline]
pub fn bernoulli_inverse(p: f64, u: f64) -> f64 {
    if u > 1.0 - p {
        1.0
    } else {
        0.0
    }
}

/// Binomial(n, p) by sequential search of the CDF.
pub fn binomial_inverse(n: u64, p: f64, u: f64) -> f64 {
    if p <= 0.0 || n == 0 {
        return 0.0;
    }
    if p >= 1.0 {
        return n as f64;
    }
    let ratio = p / (1.0 - p);
    let mut pmf = (n as f64 * (-p).ln_1p()).exp();
    let mut cdf = pmf;
    let mut k = 0u64;
    while u >= cdf && k < n {
        pmf *= (n - k) as f64 / (k + 1) as f64 * ratio;
        k += 1;
        cdf += pmf;
    }
    k as f64
}

/// Geometric(p) (number of failures before the first success) by inversion:
/// `x = ⌊ln(1−u) / ln(1−p)⌋`.
#[inline]
pub fn geometric_inverse(p: f64, u: f64) -> f64 {
    if p >= 1.0 {
        return 0.0;
    }
    ((-u).ln_1p() / (-p).ln_1p()).floor()
}

/// Poisson(λ) by sequential search of the CDF (fine for the moderate λ of detector counts).
pub fn poisson_inverse(lambda: f64, u: f64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    let mut pmf = (-lambda).exp();
    let mut cdf = pmf;
    let mut k = 0u64;
    // The tail beyond λ + 40√λ + 40 is far below the resolution of u.
    let cap = (lambda + 40.0 * lambda.sqrt() + 40.0) as u64;
    while u >= cdf && k < cap {
        k += 1;
        pmf *= lambda / k as f64;
        cdf += pmf;
    }
    k as f64
}

/// Check category probabilities (each ≥ 0 and finite, positive sum) and return their sum.
pub fn check_categorical(probs: &[f64]) -> Result<f64> {
    if probs.is_empty() {
        return Err(StochasticError::Parameter {
            what: "categorical: number of categories",
            value: 0.0,
        });
    }
    for &p in probs {
        check_non_negative("categorical: probability", p)?;
    }
    let total: f64 = probs.iter().sum();
    if total > 0.0 {
        Ok(total)
    } else {
        Err(StochasticError::Parameter {
            what: "categorical: sum of probabilities",
            value: total,
        })
    }
}

/// Categorical by inversion of the CDF of the normalised probabilities.
pub fn categorical_inverse(probs: &[f64], total: f64, u: f64) -> f64 {
    let target = u * total;
    let mut cdf = 0.0;
    for (j, &p) in probs.iter().enumerate() {
        cdf += p;
        if target < cdf {
            return j as f64;
        }
    }
    // Rounding left u·Σ at the very top: the last category with positive probability.
    probs.iter().rposition(|&p| p > 0.0).unwrap_or(0) as f64
}

/// Bernoulli coupling for a draw `x` at probability `p` moving with derivative `dp`.
pub fn bernoulli_coupling(x: f64, p: f64, dp: f64) -> Option<Candidate> {
    if dp > 0.0 && x == 0.0 {
        Some(Candidate {
            delta: 1.0,
            weight: dp / (1.0 - p),
        })
    } else if dp < 0.0 && x == 1.0 {
        Some(Candidate {
            delta: -1.0,
            weight: -dp / p,
        })
    } else {
        None
    }
}

/// Binomial(n, p) coupling for a draw `x`.
pub fn binomial_coupling(x: f64, n: u64, p: f64, dp: f64) -> Option<Candidate> {
    let n = n as f64;
    if dp > 0.0 && x < n {
        Some(Candidate {
            delta: 1.0,
            weight: dp * (n - x) / (1.0 - p),
        })
    } else if dp < 0.0 && x > 0.0 {
        Some(Candidate {
            delta: -1.0,
            weight: -dp * x / p,
        })
    } else {
        None
    }
}

/// Geometric(p) coupling (failures before the first success) for a draw `x`.
pub fn geometric_coupling(x: f64, p: f64, dp: f64) -> Option<Candidate> {
    if dp > 0.0 && x > 0.0 {
        Some(Candidate {
            delta: -1.0,
            weight: dp * x / (p * (1.0 - p)),
        })
    } else if dp < 0.0 {
        Some(Candidate {
            delta: 1.0,
            weight: -dp * (x + 1.0) / p,
        })
    } else {
        None
    }
}

/// Poisson(λ) coupling for a draw `x`.
pub fn poisson_coupling(x: f64, lambda: f64, dlambda: f64) -> Option<Candidate> {
    if dlambda > 0.0 {
        Some(Candidate {
            delta: 1.0,
            weight: dlambda,
        })
    } else if dlambda < 0.0 && x > 0.0 {
        Some(Candidate {
            delta: -1.0,
            weight: -dlambda * x / lambda,
        })
    } else {
        None
    }
}

/// Categorical coupling for a draw `x`: up to two candidates (to `x + 1` and to `x − 1`).
///
/// `probs` and `dprobs` are the (possibly unnormalised) probabilities and their derivatives.
pub fn categorical_coupling(x: f64, probs: &[f64], dprobs: &[f64]) -> [Option<Candidate>; 2] {
    let k = x as usize;
    let total: f64 = probs.iter().sum();
    let dtotal: f64 = dprobs.iter().sum();
    // Normalised probability of category i and its derivative.
    let q = |i: usize| probs[i] / total;
    let dq = |i: usize| (dprobs[i] - probs[i] / total * dtotal) / total;
    let px = q(k);
    // δC_j = Σ_{i≤j} δq_i.
    let dc = |j: usize| (0..=j).map(dq).sum::<f64>();
    let up = if k + 1 < probs.len() {
        let d = dc(k);
        (d < 0.0).then(|| Candidate {
            delta: 1.0,
            weight: -d / px,
        })
    } else {
        None
    };
    let down = if k > 0 {
        let d = dc(k - 1);
        (d > 0.0).then(|| Candidate {
            delta: -1.0,
            weight: d / px,
        })
    } else {
        None
    };
    [up, down]
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Binomial, Discrete, Poisson};

    /// Frequencies of the inversion samplers match the pmfs of statrs within 4 standard errors.
    #[test]
    fn inversion_samplers_follow_their_pmfs() {
        let n = 40_000;
        let mut s = crate::stochastic::Stream::new(11, 0);
        let u: Vec<f64> = (0..n).map(|_| s.next_uniform()).collect();
        let check = |name: &str, draws: Vec<f64>, pmf: &dyn Fn(u64) -> f64| {
            for k in 0..6u64 {
                let freq = draws.iter().filter(|&&x| x == k as f64).count() as f64 / n as f64;
                let p = pmf(k);
                let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-12);
                assert!((freq - p).abs() < 4.0 * se, "{name} k={k}: {freq} vs {p}");
            }
        };
        let bin = Binomial::new(0.35, 7).unwrap();
        check(
            "binomial",
            u.iter().map(|&u| binomial_inverse(7, 0.35, u)).collect(),
            &|k| bin.pmf(k),
        );
        let poi = Poisson::new(2.3).unwrap();
        check(
            "poisson",
            u.iter().map(|&u| poisson_inverse(2.3, u)).collect(),
            &|k| poi.pmf(k),
        );
        check(
            "geometric",
            u.iter().map(|&u| geometric_inverse(0.4, u)).collect(),
            &|k| 0.6f64.powi(k as i32) * 0.4,
        );
        let probs = [0.2, 0.5, 0.3];
        check(
            "categorical",
            u.iter()
                .map(|&u| categorical_inverse(&probs, 1.0, u))
                .collect(),
            &|k| probs.get(k as usize).copied().unwrap_or(0.0),
        );
    }

    #[test]
    fn two_category_coupling_is_the_bernoulli_row() {
        let p = 0.3;
        for &dp in &[0.7, -0.4] {
            for &x in &[0.0, 1.0] {
                let cat = categorical_coupling(x, &[1.0 - p, p], &[-dp, dp]);
                let cat = cat[0].or(cat[1]);
                let ber = bernoulli_coupling(x, p, dp);
                match (cat, ber) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        assert_eq!(a.delta, b.delta);
                        assert!((a.weight - b.weight).abs() < 1e-14);
                    }
                    other => panic!("x={x} dp={dp}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = check_probability("bernoulli", 1.5).unwrap_err();
        assert!(e.to_string().contains("1.5"));
        assert!(check_probability("bernoulli", f64::NAN).is_err());
        assert!(check_non_negative("poisson: rate", -2.0).is_err());
        assert!(check_count("binomial: n", 2.5).is_err());
        assert!(check_categorical(&[0.5, -0.1]).is_err());
        assert!(check_categorical(&[]).is_err());
    }
}
