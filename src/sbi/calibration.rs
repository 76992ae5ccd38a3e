//! Calibration diagnostics of an amortised posterior estimator.
//!
//! - **Simulation-based calibration** (Talts, Betancourt, Simpson, Vehtari & Gelman, 2018): for
//!   pairs (θ*, x*) from the prior predictive, the rank of θ*ⱼ among L posterior samples given
//!   x* is uniform on {0, …, L} for every component j when the posterior is exact.
//! - **Expected coverage** of highest-posterior-density regions (Hermans et al., "A trust crisis
//!   in simulation-based inference?", TMLR 2022): θ* lies in the HPD region of credibility α
//!   iff the fraction of posterior samples with a higher density than θ* is below α; averaged
//!   over test pairs this equals α for an exact posterior, is above α for a conservative one and
//!   below for an over-confident one. Densities may be unnormalised (NLE, NRE): only their order
//!   within one x* matters.

use super::error::{check_len, Result};

/// A posterior sampler `(x, n, seed) → n·dim` samples.
pub type SampleFn<'a> = dyn Fn(&[f64], usize, u64) -> Result<Vec<f64>> + 'a;
/// A (possibly unnormalised) log posterior density `(θ rows, x) → values`.
pub type LogProbFn<'a> = dyn Fn(&[f64], &[f64]) -> Result<Vec<f64>> + 'a;

/// Calibration of an estimator on a set of test pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// SBC ranks, one row of `dim` ranks (in 0…L) per test pair.
    pub ranks: Vec<Vec<usize>>,
    /// Largest distance between the empirical CDF of the normalised ranks and the uniform CDF
    /// (Kolmogorov–Smirnov statistic), over components.
    pub sbc_ks: f64,
    /// Credibility levels at which coverage is evaluated.
    pub levels: Vec<f64>,
    /// Empirical expected coverage at each level.
    pub coverage: Vec<f64>,
    /// Largest `|coverage − level|`.
    pub max_coverage_error: f64,
}

/// SBC ranks and expected coverage over test pairs `(θ*, x*)` (flat rows), using `samples`
/// posterior draws per pair.
pub fn calibrate(
    theta: &[f64],
    x: &[f64],
    theta_dim: usize,
    samples: usize,
    sample: &SampleFn<'_>,
    log_prob: &LogProbFn<'_>,
    seed: u64,
) -> Result<Calibration> {
    let n = theta.len() / theta_dim;
    check_len("calibration: θ rows", n * theta_dim, theta.len())?;
    let x_dim = x.len() / n.max(1);
    check_len("calibration: x rows", n * x_dim, x.len())?;
    let levels: Vec<f64> = (1..20).map(|i| i as f64 / 20.0).collect();
    let mut ranks = Vec::with_capacity(n);
    let mut hpd_frac = Vec::with_capacity(n);
    for i in 0..n {
        let ts = &theta[i * theta_dim..(i + 1) * theta_dim];
        let xs = &x[i * x_dim..(i + 1) * x_dim];
        let post = sample(xs, samples, seed.wrapping_add(i as u64))?;
        check_len(
            "calibration: posterior samples",
            samples * theta_dim,
            post.len(),
        )?;
        ranks.push(
            (0..theta_dim)
                .map(|j| post.chunks(theta_dim).filter(|r| r[j] < ts[j]).count())
                .collect(),
        );
        let lp_true = log_prob(ts, xs)?[0];
        let lp = log_prob(&post, xs)?;
        let above = lp.iter().filter(|&&v| v > lp_true).count();
        hpd_frac.push(above as f64 / samples as f64);
    }
    let coverage: Vec<f64> = levels
        .iter()
        .map(|&a| hpd_frac.iter().filter(|&&f| f < a).count() as f64 / n as f64)
        .collect();
    let max_coverage_error = levels
        .iter()
        .zip(&coverage)
        .map(|(a, c)| (a - c).abs())
        .fold(0.0, f64::max);
    let mut sbc_ks: f64 = 0.0;
    for j in 0..theta_dim {
        let mut u: Vec<f64> = ranks
            .iter()
            .map(|r: &Vec<usize>| (r[j] as f64 + 0.5) / (samples + 1) as f64)
            .collect();
        u.sort_by(|a, b| a.total_cmp(b));
        for (k, v) in u.iter().enumerate() {
            let lo = k as f64 / n as f64;
            let hi = (k + 1) as f64 / n as f64;
            sbc_ks = sbc_ks.max((v - lo).abs()).max((hi - v).abs());
        }
    }
    Ok(Calibration {
        ranks,
        sbc_ks,
        levels,
        coverage,
        max_coverage_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbi::prior::std_normal;
    use crate::sbi::task::{simulate_set, Task};
    use crate::sbi::tasks::GaussianLinear;

    #[test]
    fn exact_posterior_is_calibrated_and_a_narrow_one_is_not() {
        // With the exact gaussian_linear posterior, coverage at each level is a binomial
        // proportion: |coverage − α| ≤ 4·√(α(1−α)/n) ≤ 4·0.5/√n. A posterior with half the width
        // is over-confident and fails that bound at α = 0.5.
        let task = GaussianLinear::new();
        let n = 200;
        let set = simulate_set(&task, n, 11, false).unwrap();
        let make = |scale: f64| {
            move |x: &[f64], m: usize, seed: u64| -> Result<Vec<f64>> {
                Ok((0..m * 10)
                    .map(|k| {
                        x[k % 10] / 2.0 + scale * 0.05f64.sqrt() * std_normal(seed, 1, k as u64)
                    })
                    .collect())
            }
        };
        let lp = |scale: f64| {
            move |t: &[f64], x: &[f64]| -> Result<Vec<f64>> {
                Ok(t.chunks(10)
                    .map(|r| {
                        -(0..10).map(|j| (r[j] - x[j] / 2.0).powi(2)).sum::<f64>()
                            / (0.1 * scale * scale)
                    })
                    .collect())
            }
        };
        let good = calibrate(&set.theta, &set.x, 10, 200, &make(1.0), &lp(1.0), 3).unwrap();
        let tol = 4.0 * 0.5 / (n as f64).sqrt();
        assert!(good.max_coverage_error < tol, "{:?}", good.coverage);
        assert!(good.sbc_ks < 0.15, "{}", good.sbc_ks);
        let bad = calibrate(&set.theta, &set.x, 10, 200, &make(0.5), &lp(0.5), 3).unwrap();
        assert!(bad.coverage[9] < 0.5 - tol, "{:?}", bad.coverage);
        assert_eq!(task.theta_dim(), 10);
    }
}
