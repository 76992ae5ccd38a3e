//! Simulation-based inference of (M_Z, sin²θ_W) from smeared e+e- → μ+μ- angular distributions:
//! the physics task of [`diffhep::sbi`], with a joint score from dual numbers.
//!
//! # Task
//! - θ = (M_Z in GeV, sin²θ_W), prior uniform on [90, 92.5] × [0.18, 0.28]; Γ_Z = 2.441404 GeV and
//!   α = 1/132.507 fixed (MadGraph `sm` values).
//! - Two runs at √s = 89 and 93 GeV (below and above the pole), [`EVENTS`] events each. At
//!   tree level with massless fermions the normalised angular density is
//!   `p(c|θ) = 3/8 (1 + c² + r c)`, `r = 2(P − Q)/(P + Q)`, where `e⁴P = |M|²(c = 1)` and
//!   `e⁴Q = |M|²(c = −1)` from [`crate::collider::ee_mumu::msq`] (so `A_FB = 3r/8`).
//! - Latent z: the true cos θ of every event, drawn by inverting the cubic CDF. Detector: the
//!   measured value is `c + U(−w, w)` with `w` = [`SMEAR`], independent of θ.
//! - Observable x (6-D): per run, the fractions of events in the bins (−∞, −½), [−½, 0), [0, ½)
//!   (the fourth bin, [½, ∞), is implied).
//!
//! # Exact likelihood and joint score
//! The bin probabilities are linear in r: `p_k = a_k + r b_k` with `a_k = 3/8 ∫(1 + z²) K_k(z) dz`,
//! `b_k = 3/8 ∫ z K_k(z) dz` and `K_k(z)` the probability that box smearing moves z into bin k
//! (piecewise linear in z), integrated exactly by Gauss–Legendre between the kinks. So
//! `p(x|θ)` is an exact multinomial per run and the reference posterior is sampled by SMC–MALA
//! on it. Since the smearing does not depend on θ, the joint score is
//! `t(x, z|θ) = Σ_events ∇θ log p(z_i|θ) = Σ_i z_i ∇θ r / (1 + z_i² + r z_i)`, computed with
//! forward-mode duals (`diffhep::forward::gradient_fixed`) through the generic |M|².

use diffhep::forward::gradient_fixed;
use diffhep::sbi::prior::Prior;
use diffhep::sbi::task::{generated_observation, Observation, Task};
use diffhep::sbi::Result as SbiResult;
use diffhep::stochastic::rng::counter_uniform;
use diffhep::{RealScalar, Scalar, ScalarFn};

use crate::collider::ee_mumu::{msq, EwParams};
use crate::integrate::quadrature::gauss_legendre;

/// Events per run.
pub const EVENTS: usize = 500;
/// Half-width of the box smearing of cos θ.
pub const SMEAR: f64 = 0.1;
/// Centre-of-mass energies of the runs (GeV).
pub const SQRT_S: [f64; 2] = [89.0, 93.0];
/// Inner bin edges of the measured cos θ.
pub const EDGES: [f64; 3] = [-0.5, 0.0, 0.5];
const WZ: f64 = 2.441404;
const ALPHA: f64 = 1.0 / 132.507;

/// The asymmetry coefficient `r(θ, s)` of `p(c) = 3/8 (1 + c² + r c)`, generic.
pub fn asymmetry<S: Scalar>(mz: &S, sw2: &S, sqrt_s: f64) -> S {
    let p = EwParams {
        mz: mz.clone(),
        wz: S::from_f64(WZ),
        sw2: sw2.clone(),
        alpha: S::from_f64(ALPHA),
    };
    let s = S::from_f64(sqrt_s * sqrt_s);
    let fwd = msq(&s, &S::from_f64(1.0), &p);
    let bwd = msq(&s, &S::from_f64(-1.0), &p);
    (fwd.clone() - bwd.clone()) * 2.0 / (fwd + bwd)
}

/// Draw cos θ from `3/8 (1 + c² + r c)` by inverting its (monotone cubic) CDF at `u`, by
/// bisection to machine precision.
pub fn draw_cos(r: f64, u: f64) -> f64 {
    let cdf = |c: f64| 0.375 * (c + c * c * c / 3.0 + 0.5 * r * c * c + 4.0 / 3.0 - 0.5 * r);
    let (mut lo, mut hi) = (-1.0f64, 1.0f64);
    for _ in 0..55 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) > u {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Bin of a measured value (0…3).
fn bin_of(v: f64) -> usize {
    EDGES.iter().filter(|&&e| v >= e).count()
}

/// Coefficients `(a_k, b_k)` of the bin probabilities `p_k = a_k + r b_k` (exact).
pub fn bin_coefficients() -> [(f64, f64); 4] {
    let (nodes, weights) = gauss_legendre(8).expect("8-point rule");
    let mut out = [(0.0, 0.0); 4];
    let lows = [f64::NEG_INFINITY, EDGES[0], EDGES[1], EDGES[2]];
    let highs = [EDGES[0], EDGES[1], EDGES[2], f64::INFINITY];
    for k in 0..4 {
        // K_k(z) = |[lo, hi] ∩ [z − w, z + w]| / 2w, piecewise linear with kinks at lo ± w, hi ± w.
        let kern = |z: f64| {
            let a = (z - SMEAR).max(lows[k]);
            let b = (z + SMEAR).min(highs[k]);
            ((b - a) / (2.0 * SMEAR)).max(0.0)
        };
        let mut cuts = vec![-1.0, 1.0];
        for e in [lows[k], highs[k]] {
            for v in [e - SMEAR, e + SMEAR] {
                if v > -1.0 && v < 1.0 {
                    cuts.push(v);
                }
            }
        }
        cuts.sort_by(|a, b| a.total_cmp(b));
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            for (x, wt) in nodes.iter().zip(&weights) {
                let z = 0.5 * (a + b) + 0.5 * (b - a) * x;
                let f = 0.5 * (b - a) * wt * 0.375 * kern(z);
                out[k].0 += f * (1.0 + z * z);
                out[k].1 += f * z;
            }
        }
    }
    out
}

/// `r(θ)` at one energy as a [`ScalarFn`] of θ = (M_Z, sin²θ_W).
struct Asym(f64);

impl ScalarFn for Asym {
    fn eval<S: RealScalar>(&self, t: &[S]) -> S {
        asymmetry(&t[0], &t[1], self.0)
    }
}

/// The multinomial log-likelihood of the binned fractions `x` as a [`ScalarFn`] of θ.
struct LogLik<'a> {
    coef: &'a [(f64, f64); 4],
    x: &'a [f64],
}

impl ScalarFn for LogLik<'_> {
    fn eval<S: RealScalar>(&self, t: &[S]) -> S {
        let mut ll = S::zero();
        for (run, &rs) in SQRT_S.iter().enumerate() {
            let r = asymmetry(&t[0], &t[1], rs);
            let f = &self.x[3 * run..3 * run + 3];
            let fr = [f[0], f[1], f[2], 1.0 - f[0] - f[1] - f[2]];
            for (&frac, &(a, b)) in fr.iter().zip(self.coef.iter()) {
                let n = (frac * EVENTS as f64).round();
                if n > 0.0 {
                    ll += (r.clone() * b + a).ln() * n;
                }
            }
        }
        ll
    }
}

/// The e+e- → μ+μ- inference task (see the module documentation).
#[derive(Clone, Debug)]
pub struct EeMuMuTask {
    prior: Prior,
    coef: [(f64, f64); 4],
}

impl Default for EeMuMuTask {
    fn default() -> Self {
        Self::new()
    }
}

impl EeMuMuTask {
    /// The task with its default prior.
    pub fn new() -> Self {
        EeMuMuTask {
            prior: Prior::Uniform {
                low: vec![90.0, 0.18],
                high: vec![92.5, 0.28],
            },
            coef: bin_coefficients(),
        }
    }

    /// Exact `log p(x|θ)` (multinomial, up to the θ-independent multinomial coefficient) and
    /// its gradient.
    pub fn exact_log_lik(&self, theta: &[f64], x: &[f64]) -> (f64, [f64; 2]) {
        gradient_fixed(
            &LogLik {
                coef: &self.coef,
                x,
            },
            &[theta[0], theta[1]],
        )
    }

    /// One simulation with its latent-space quantities: the observation x, the joint score
    /// `t(x, z|θ) = ∇θ log p(x, z|θ)` and, when `reference` θ₁ is given, the joint log likelihood
    /// ratio `log r(x, z|θ, θ₁) = log p(x, z|θ) − log p(x, z|θ₁)
    /// = Σ_events log[(1 + zᵢ² + r(θ) zᵢ) / (1 + zᵢ² + r(θ₁) zᵢ)]` (the smearing does not depend
    /// on θ and cancels) — the training targets of the gradient-augmented estimators (Brehmer,
    /// Louppe, Pavez, Cranmer 2020, "Mining gold from implicit models to improve likelihood-free
    /// inference"). Same `seed` and `index` give the same `x` as [`Task::simulate`].
    pub fn simulate_joint(
        &self,
        theta: &[f64],
        reference: Option<&[f64]>,
        seed: u64,
        index: u64,
    ) -> (Vec<f64>, Vec<f64>, Option<f64>) {
        self.simulate_runs(theta, reference, seed, index, true)
    }

    fn simulate_runs(
        &self,
        theta: &[f64],
        reference: Option<&[f64]>,
        seed: u64,
        index: u64,
        score: bool,
    ) -> (Vec<f64>, Vec<f64>, Option<f64>) {
        let mut x = Vec::with_capacity(6);
        let mut t = vec![0.0; 2];
        let mut log_ratio = reference.map(|_| 0.0);
        for (run, &rs) in SQRT_S.iter().enumerate() {
            let (r, dr) = if score {
                gradient_fixed(&Asym(rs), &[theta[0], theta[1]])
            } else {
                (asymmetry(&theta[0], &theta[1], rs), [0.0; 2])
            };
            let r_ref = reference.map(|t1| asymmetry(&t1[0], &t1[1], rs));
            let mut counts = [0usize; 4];
            for i in 0..EVENTS as u64 {
                let stream = 0xee00 + run as u64;
                let z = draw_cos(r, counter_uniform(seed, stream, index, 2 * i));
                let v = z + SMEAR * (2.0 * counter_uniform(seed, stream, index, 2 * i + 1) - 1.0);
                counts[bin_of(v)] += 1;
                if score {
                    let w = z / (1.0 + z * z + r * z);
                    t[0] += w * dr[0];
                    t[1] += w * dr[1];
                }
                if let (Some(lr), Some(r1)) = (log_ratio.as_mut(), r_ref) {
                    *lr += ((1.0 + z * z + r * z) / (1.0 + z * z + r1 * z)).ln();
                }
            }
            x.extend(counts[..3].iter().map(|&c| c as f64 / EVENTS as f64));
        }
        (x, t, log_ratio)
    }
}

impl Task for EeMuMuTask {
    fn name(&self) -> &'static str {
        "ee_mumu"
    }
    fn prior(&self) -> &Prior {
        &self.prior
    }
    fn x_dim(&self) -> usize {
        6
    }
    fn simulate(&self, theta: &[f64], seed: u64, index: u64) -> Vec<f64> {
        self.simulate_runs(theta, None, seed, index, false).0
    }
    fn simulate_with_joint_score(
        &self,
        theta: &[f64],
        seed: u64,
        index: u64,
    ) -> Option<(Vec<f64>, Vec<f64>)> {
        let (x, t, _) = self.simulate_runs(theta, None, seed, index, true);
        Some((x, t))
    }
    fn log_likelihood_grad(&self, theta: &[f64], x: &[f64]) -> Option<(f64, Vec<f64>)> {
        if theta.len() != 2 || x.len() != 6 {
            return None;
        }
        let (v, g) = self.exact_log_lik(theta, x);
        Some((v, g.to_vec()))
    }
    fn observation(&self, k: usize) -> SbiResult<Observation> {
        if k == 1 {
            let theta = vec![91.1876, 0.2312];
            let x = self.simulate(&theta, 0x0b5e_0001, 0);
            return Ok(Observation {
                theta: Some(theta),
                x,
            });
        }
        generated_observation(self, k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::gradcheck::ridders;

    #[test]
    fn bin_probabilities_sum_to_one_and_match_simulation() {
        // Σ a_k = 1 and Σ b_k = 0 (the density integrates to 1 for every r); the simulated bin
        // fractions of 40 000 events match a_k + r b_k within 5 binomial standard errors.
        let c = bin_coefficients();
        assert!((c.iter().map(|v| v.0).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(c.iter().map(|v| v.1).sum::<f64>().abs() < 1e-12);
        let r = 0.7;
        let n = 40_000;
        let mut counts = [0usize; 4];
        for i in 0..n {
            let z = draw_cos(r, counter_uniform(3, 0, i, 0));
            counts[bin_of(z + SMEAR * (2.0 * counter_uniform(3, 0, i, 1) - 1.0))] += 1;
        }
        for k in 0..4 {
            let p = c[k].0 + r * c[k].1;
            let f = counts[k] as f64 / n as f64;
            assert!(
                (f - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(),
                "bin {k}: {f} vs {p}"
            );
        }
    }

    #[test]
    fn joint_log_ratio_is_consistent_with_the_score_and_has_unit_expectation() {
        let task = EeMuMuTask::new();
        let theta = [91.3, 0.225];
        let (x, t, none) = task.simulate_joint(&theta, None, 9, 4);
        assert!(none.is_none());
        assert_eq!(x, task.simulate(&theta, 9, 4));
        // log r(θ, θ) = 0, and ∂/∂θ₁ log r(θ₁, θ) at θ₁ = θ is the joint score, at the same
        // latent z (same seed; θ₁ only in the reference slot, so z stays drawn at θ).
        let (_, _, lr) = task.simulate_joint(&theta, Some(&theta), 9, 4);
        assert_eq!(lr, Some(0.0));
        for j in 0..2 {
            let h = if j == 0 { 1e-4 } else { 1e-6 };
            let mut up = theta;
            up[j] += h;
            let mut dn = theta;
            dn[j] -= h;
            let (_, _, lu) = task.simulate_joint(&theta, Some(&up), 9, 4);
            let (_, _, ld) = task.simulate_joint(&theta, Some(&dn), 9, 4);
            // log r(θ, θ₁) = log p(z|θ) − log p(z|θ₁): its θ₁-derivative is −t.
            let fd = -(lu.unwrap() - ld.unwrap()) / (2.0 * h);
            assert!(
                (fd - t[j]).abs() < 1e-5 * t[j].abs().max(1.0),
                "{j}: {fd} vs {}",
                t[j]
            );
        }
        // E_{z ~ θ₁}[r(x, z|θ, θ₁)] = 1 for θ near θ₁ (finite variance): mean over 2000
        // experiments within 5 standard errors.
        let theta1 = [91.25, 0.226];
        let n = 2000;
        let rs: Vec<f64> = (0..n)
            .map(|i| task.simulate_joint(&theta1, Some(&theta), 12, i).2.unwrap())
            .map(|lr| (-lr).exp())
            .collect();
        let m = rs.iter().sum::<f64>() / n as f64;
        let sd = (rs.iter().map(|r| (r - m).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!(sd > 0.0);
        assert!(
            (m - 1.0).abs() < 5.0 * sd / (n as f64).sqrt(),
            "E[r] = {m} ± {}",
            sd / (n as f64).sqrt()
        );
    }

    #[test]
    fn likelihood_gradient_and_joint_score_are_consistent() {
        let task = EeMuMuTask::new();
        let theta = [91.3, 0.225];
        let x = task.simulate(&theta, 5, 0);
        let (_, g) = task.exact_log_lik(&theta, &x);
        for j in 0..2 {
            let h0 = if j == 0 { 0.05 } else { 0.002 };
            let (fd, err) = ridders(
                |v| {
                    let mut t = theta;
                    t[j] = v;
                    task.exact_log_lik(&t, &x).0
                },
                theta[j],
                h0,
            );
            assert!(
                (g[j] - fd).abs() < 1e-6 * fd.abs().max(1.0) + 10.0 * err,
                "{j}: {} vs {fd}",
                g[j]
            );
        }
        // Score identity: E[t(x, z|θ)] = 0; mean over 400 experiments within 5 standard errors.
        let n = 400;
        let ts: Vec<Vec<f64>> = (0..n)
            .map(|i| task.simulate_with_joint_score(&theta, 6, i).unwrap().1)
            .collect();
        for j in 0..2 {
            let m = ts.iter().map(|t| t[j]).sum::<f64>() / n as f64;
            let sd = (ts.iter().map(|t| (t[j] - m).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!(m.abs() < 5.0 * sd / (n as f64).sqrt(), "{j}: {m} ± {sd}");
        }
    }
}
