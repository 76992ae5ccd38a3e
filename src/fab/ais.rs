//! Annealed importance sampling (Neal 2001) with Hamiltonian Monte Carlo transitions, from a
//! differentiable proposal q (the flow) to π = p̃^α q^(1−α).
//!
//! Intermediate densities are the geometric path log f_β = log q + αβ (log p̃ − log q) at
//! β₀ = 0 < β₁ < … < β_M = 1 (linear spacing). A point starts at x ~ q with log w = 0; at each
//! j = 1 … M its log-weight gains log f_{βⱼ}(x) − log f_{βⱼ₋₁}(x) = α(βⱼ − βⱼ₋₁)(log p̃ − log q),
//! then one HMC step (`leapfrog_steps` leapfrog steps of size εⱼ, momentum ~ N(0, I), Metropolis
//! accept/reject) leaves f_{βⱼ} invariant. The final (x, log w) is an importance sample of π with
//! E[w] = ∫π. With α = 1 the chain targets p̃ itself and mean(w) estimates Z.
//!
//! **Step sizes**: each βⱼ has its own εⱼ, kept in [`AisState`] between calls; after every HMC
//! step εⱼ ← εⱼ·exp(γ(ā − a*)) with ā the batch's mean acceptance probability and a* the target
//! acceptance (a simple multiplicative Robbins–Monro rule). Adaptation uses only past batches,
//! so the weights of the current batch stay valid.
//!
//! **Unit hypercube**: leapfrog position updates reflect at the walls (see [`crate::fab`]).
//!
//! **Randomness**: momenta and accept/reject uniforms are counter-based
//! ([`crate::stochastic::rng::counter_uniform`]) keyed by (seed, β index, point, coordinate), so
//! a call is deterministic in its seed at any thread count.

use serde::{Deserialize, Serialize};

use super::{log_prob_batch, FabError, Target};
use crate::flows::{Domain, Flow};
use crate::stochastic::rng::counter_uniform;

/// A standard normal number from two counter-based uniforms (Box–Muller, cosine branch).
pub fn std_normal(seed: u64, stream: u64, index: u64, sub: u64) -> f64 {
    let u1 = counter_uniform(seed, stream, index, 2 * sub);
    let u2 = counter_uniform(seed, stream, index, 2 * sub + 1);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The proposal an AIS chain starts from: a density that can be sampled and differentiated in x.
pub trait Proposal {
    /// Dimension.
    fn dim(&self) -> usize;
    /// `n` draws (flat) and their log q, deterministic in `seed`.
    fn sample(&self, n: usize, seed: u64) -> Result<(Vec<f64>, Vec<f64>), FabError>;
    /// log q per row of the flat batch `x` and ∇ₓ log q (flat, same layout as `x`).
    fn log_prob_grad_x(&self, x: &[f64]) -> Result<(Vec<f64>, Vec<f64>), FabError>;
}

impl Proposal for Flow {
    fn dim(&self) -> usize {
        Flow::dim(self)
    }
    fn sample(&self, n: usize, seed: u64) -> Result<(Vec<f64>, Vec<f64>), FabError> {
        Ok(Flow::sample(self, n, &[], seed)?)
    }
    fn log_prob_grad_x(&self, x: &[f64]) -> Result<(Vec<f64>, Vec<f64>), FabError> {
        let n = x.len() / Flow::dim(self).max(1);
        let g = self.log_prob_grad(x, &[], &vec![1.0; n])?;
        Ok((g.log_q, g.x))
    }
}

/// Settings of the AIS chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisConfig {
    /// α of the target π = p̃^α q^(1−α) (2 for FAB training, 1 to estimate Z).
    pub alpha: f64,
    /// Number M of intermediate distributions (≥ 1; the last is π).
    pub n_intermediate: usize,
    /// Leapfrog steps per HMC step (≥ 1).
    pub leapfrog_steps: usize,
    /// Initial step size of every β.
    pub init_step_size: f64,
    /// Target Metropolis acceptance probability in (0, 1).
    pub target_accept: f64,
    /// Adaptation rate γ of the step sizes (0 freezes them).
    pub adapt_rate: f64,
}

impl Default for AisConfig {
    fn default() -> Self {
        AisConfig {
            alpha: 2.0,
            n_intermediate: 4,
            leapfrog_steps: 5,
            init_step_size: 0.1,
            target_accept: 0.65,
            adapt_rate: 1.0,
        }
    }
}

impl AisConfig {
    /// Check every setting.
    pub fn validate(&self) -> Result<(), FabError> {
        let bad = |name: &str, v: f64| Err(FabError::Config(format!("AIS {name} = {v}")));
        if !(self.alpha.is_finite() && self.alpha >= 1.0) {
            return bad("alpha (need ≥ 1)", self.alpha);
        }
        if self.n_intermediate == 0 {
            return bad("n_intermediate (need ≥ 1)", 0.0);
        }
        if self.leapfrog_steps == 0 {
            return bad("leapfrog_steps (need ≥ 1)", 0.0);
        }
        if !(self.init_step_size.is_finite() && self.init_step_size > 0.0) {
            return bad("init_step_size (need > 0)", self.init_step_size);
        }
        if !(self.target_accept > 0.0 && self.target_accept < 1.0) {
            return bad("target_accept (need in (0, 1))", self.target_accept);
        }
        if !(self.adapt_rate.is_finite() && self.adapt_rate >= 0.0) {
            return bad("adapt_rate (need ≥ 0)", self.adapt_rate);
        }
        Ok(())
    }
}

/// Adapted step sizes, one per intermediate distribution; carried between AIS calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AisState {
    /// εⱼ for j = 1 … M.
    pub step_sizes: Vec<f64>,
}

impl AisState {
    /// Every step size at `cfg.init_step_size`.
    pub fn new(cfg: &AisConfig) -> Self {
        AisState {
            step_sizes: vec![cfg.init_step_size; cfg.n_intermediate],
        }
    }
}

/// Result of one AIS run.
#[derive(Clone, Debug)]
pub struct AisOutput {
    /// Final points (flat, row-major).
    pub x: Vec<f64>,
    /// Their AIS log-weights (for π; −∞ for points where p̃ vanished).
    pub log_w: Vec<f64>,
    /// log q at the final points.
    pub log_q: Vec<f64>,
    /// log p̃ at the final points.
    pub log_p: Vec<f64>,
    /// Mean acceptance probability of each HMC step.
    pub acceptance: Vec<f64>,
    /// Target evaluations used (value + gradient at one point = one).
    pub target_evals: u64,
}

/// Current positions with everything the leapfrog needs.
struct Points {
    x: Vec<f64>,
    log_q: Vec<f64>,
    grad_q: Vec<f64>,
    log_p: Vec<f64>,
    grad_p: Vec<f64>,
}

impl Points {
    fn eval<P: Proposal + ?Sized, T: Target + ?Sized>(
        proposal: &P,
        target: &T,
        x: Vec<f64>,
    ) -> Result<Self, FabError> {
        let (mut log_q, mut grad_q) = proposal.log_prob_grad_x(&x)?;
        let d = target.dim();
        for (lq, g) in log_q.iter_mut().zip(grad_q.chunks_mut(d)) {
            if !lq.is_finite() || g.iter().any(|v| !v.is_finite()) {
                *lq = f64::NEG_INFINITY;
                g.iter_mut().for_each(|v| *v = 0.0);
            }
        }
        let (log_p, grad_p) = log_prob_batch(target, &x);
        Ok(Points {
            x,
            log_q,
            grad_q,
            log_p,
            grad_p,
        })
    }

    /// log f_β at point i (−∞ when either density vanishes, never NaN).
    fn log_f(&self, i: usize, ab: f64) -> f64 {
        let (lq, lp) = (self.log_q[i], self.log_p[i]);
        if lq == f64::NEG_INFINITY || (lp == f64::NEG_INFINITY && ab > 0.0) {
            return f64::NEG_INFINITY;
        }
        if ab == 0.0 {
            lq
        } else {
            lq + ab * (lp - lq)
        }
    }

    /// ∇ log f_β at point i, coordinate k.
    fn grad_f(&self, i: usize, k: usize, d: usize, ab: f64) -> f64 {
        let j = i * d + k;
        self.grad_q[j] + ab * (self.grad_p[j] - self.grad_q[j])
    }
}

/// Reflect a coordinate into [0, 1], flipping the momentum's sign at every wall hit.
fn reflect(x: &mut f64, v: &mut f64) {
    for _ in 0..64 {
        if *x < 0.0 {
            *x = -*x;
            *v = -*v;
        } else if *x > 1.0 {
            *x = 2.0 - *x;
            *v = -*v;
        } else {
            return;
        }
    }
    // A step larger than 64 walls: fold directly (only reachable with absurd step sizes).
    *x = x.rem_euclid(2.0);
    if *x > 1.0 {
        *x = 2.0 - *x;
    }
}

/// Run AIS with `n` points from `proposal` to π = p̃^α q^(1−α); `state` holds the step sizes and
/// is adapted in place.
pub fn run_ais<P: Proposal + ?Sized, T: Target + ?Sized>(
    proposal: &P,
    target: &T,
    cfg: &AisConfig,
    state: &mut AisState,
    n: usize,
    seed: u64,
) -> Result<AisOutput, FabError> {
    cfg.validate()?;
    let d = target.dim();
    if proposal.dim() != d {
        return Err(FabError::Mismatch(format!(
            "proposal dimension {} vs target dimension {d}",
            proposal.dim()
        )));
    }
    if n == 0 {
        return Err(FabError::Config("AIS with 0 points".into()));
    }
    if state.step_sizes.len() != cfg.n_intermediate {
        return Err(FabError::Config(format!(
            "AIS state has {} step sizes for {} intermediate distributions",
            state.step_sizes.len(),
            cfg.n_intermediate
        )));
    }
    let cube = matches!(target.domain(), Domain::UnitCube);
    let (x0, _) = proposal.sample(n, seed)?;
    let mut pts = Points::eval(proposal, target, x0)?;
    let mut evals = n as u64;
    let mut log_w = vec![0.0; n];
    let m = cfg.n_intermediate;
    let mut acceptance = Vec::with_capacity(m);
    for j in 1..=m {
        let (b0, b1) = ((j - 1) as f64 / m as f64, j as f64 / m as f64);
        let ab = cfg.alpha * b1;
        for (i, lw) in log_w.iter_mut().enumerate() {
            let inc = pts.log_f(i, ab) - pts.log_f(i, cfg.alpha * b0);
            *lw = if pts.log_f(i, ab) == f64::NEG_INFINITY || inc.is_nan() {
                f64::NEG_INFINITY
            } else {
                *lw + inc
            };
        }
        let eps = state.step_sizes[j - 1];
        let stream = j as u64;
        // Momenta and the Hamiltonian at the start.
        let mut v: Vec<f64> = (0..n * d)
            .map(|k| std_normal(seed, stream, (k / d) as u64, (k % d) as u64))
            .collect();
        let h0: Vec<f64> = (0..n)
            .map(|i| {
                -pts.log_f(i, ab) + 0.5 * v[i * d..(i + 1) * d].iter().map(|a| a * a).sum::<f64>()
            })
            .collect();
        let mut prop = Points {
            x: pts.x.clone(),
            log_q: pts.log_q.clone(),
            grad_q: pts.grad_q.clone(),
            log_p: pts.log_p.clone(),
            grad_p: pts.grad_p.clone(),
        };
        for l in 0..cfg.leapfrog_steps {
            let half = if l == 0 { 0.5 } else { 1.0 };
            for i in 0..n {
                for k in 0..d {
                    v[i * d + k] += half * eps * prop.grad_f(i, k, d, ab);
                }
            }
            let mut x = std::mem::take(&mut prop.x);
            for (xi, vi) in x.iter_mut().zip(v.iter_mut()) {
                *xi += eps * *vi;
                if cube {
                    reflect(xi, vi);
                }
            }
            prop = Points::eval(proposal, target, x)?;
            evals += n as u64;
        }
        for i in 0..n {
            for k in 0..d {
                v[i * d + k] += 0.5 * eps * prop.grad_f(i, k, d, ab);
            }
        }
        // Metropolis test per point.
        let mut acc_sum = 0.0;
        for i in 0..n {
            let h1 =
                -prop.log_f(i, ab) + 0.5 * v[i * d..(i + 1) * d].iter().map(|a| a * a).sum::<f64>();
            let log_a = h0[i] - h1;
            let a = if h1.is_finite() && h0[i].is_finite() {
                log_a.min(0.0).exp()
            } else if h1.is_finite() {
                1.0 // the current point has zero density (its weight is already 0)
            } else {
                0.0
            };
            let a = if a.is_nan() { 0.0 } else { a };
            acc_sum += a;
            if counter_uniform(seed, stream, i as u64, 1 << 32) < a {
                pts.x[i * d..(i + 1) * d].copy_from_slice(&prop.x[i * d..(i + 1) * d]);
                pts.grad_q[i * d..(i + 1) * d].copy_from_slice(&prop.grad_q[i * d..(i + 1) * d]);
                pts.grad_p[i * d..(i + 1) * d].copy_from_slice(&prop.grad_p[i * d..(i + 1) * d]);
                pts.log_q[i] = prop.log_q[i];
                pts.log_p[i] = prop.log_p[i];
            }
        }
        let mean_acc = acc_sum / n as f64;
        acceptance.push(mean_acc);
        let factor = (cfg.adapt_rate * (mean_acc - cfg.target_accept)).exp();
        let mut new_eps = eps * factor;
        if cube {
            new_eps = new_eps.min(1.0);
        }
        state.step_sizes[j - 1] = new_eps.max(1e-8);
    }
    Ok(AisOutput {
        x: pts.x,
        log_w,
        log_q: pts.log_q,
        log_p: pts.log_p,
        acceptance,
        target_evals: evals,
    })
}
