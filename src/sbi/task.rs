//! The [`Task`] trait: a prior, a simulator, reference observations and reference posteriors.

use rayon::prelude::*;

use super::error::{check_len, Result, SbiError};
use super::prior::Prior;
use super::sampler::{smc_sample, SmcConfig};

/// One reference observation of a task.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The parameter that generated it, where known (sbibm's observation 1 is given as `x` only).
    pub theta: Option<Vec<f64>>,
    /// The observed data.
    pub x: Vec<f64>,
}

/// A simulation-based-inference task.
///
/// Randomness of [`Task::simulate`] is a pure function of `(seed, index)`, so data sets are
/// reproducible and can be built in parallel.
pub trait Task: Sync + Send {
    /// Short name (`two_moons`, …).
    fn name(&self) -> &'static str;
    /// The prior over θ.
    fn prior(&self) -> &Prior;
    /// Dimension of θ.
    fn theta_dim(&self) -> usize {
        self.prior().dim()
    }
    /// Dimension of x.
    fn x_dim(&self) -> usize;
    /// One simulation `x ~ p(x|θ)`, its randomness keyed by `(seed, index)`.
    fn simulate(&self, theta: &[f64], seed: u64, index: u64) -> Vec<f64>;
    /// Exact `log p(x|θ)` and its gradient w.r.t. θ where the likelihood is tractable.
    fn log_likelihood_grad(&self, _theta: &[f64], _x: &[f64]) -> Option<(f64, Vec<f64>)> {
        None
    }
    /// A simulation together with the joint score `t(x, z|θ) = ∇θ log p(x, z|θ)` of its latent
    /// path `z`, for simulators whose path probability is differentiable (`None` otherwise).
    fn simulate_with_joint_score(
        &self,
        _theta: &[f64],
        _seed: u64,
        _index: u64,
    ) -> Option<(Vec<f64>, Vec<f64>)> {
        None
    }
    /// Number of reference observations (10 as in sbibm).
    fn num_observations(&self) -> usize {
        10
    }
    /// Reference observation `k` (1-based).
    fn observation(&self, k: usize) -> Result<Observation>;
    /// `n` samples of the reference posterior `p(θ|x)` (flat), deterministic in `seed`. The
    /// default runs [`smc_sample`] on the exact likelihood.
    fn reference_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("observation dimension", self.x_dim(), x.len())?;
        if self
            .log_likelihood_grad(self.prior().sample(1, 0).as_slice(), x)
            .is_none()
        {
            return Err(SbiError::Config(format!(
                "task {} has no tractable likelihood for a reference posterior",
                self.name()
            )));
        }
        let d = self.theta_dim();
        let ll = |theta: &[f64]| exact_log_lik_batch(self, theta, x, d);
        let cfg = SmcConfig {
            particles: n,
            seed,
            ..SmcConfig::default()
        };
        Ok(smc_sample(self.prior(), &ll, &cfg)?.samples)
    }
}

/// The exact log-likelihood and its θ-gradient over a batch of θ (rows), in parallel.
pub fn exact_log_lik_batch<T: Task + ?Sized>(
    task: &T,
    theta: &[f64],
    x: &[f64],
    d: usize,
) -> (Vec<f64>, Vec<f64>) {
    let rows: Vec<(f64, Vec<f64>)> = theta
        .par_chunks(d)
        .map(|t| {
            task.log_likelihood_grad(t, x)
                .unwrap_or((f64::NEG_INFINITY, vec![0.0; d]))
        })
        .collect();
    let mut v = Vec::with_capacity(rows.len());
    let mut g = Vec::with_capacity(rows.len() * d);
    for (a, b) in rows {
        v.push(a);
        g.extend(b);
    }
    (v, g)
}

/// A training set of `n` pairs `(θ_i, x_i)`, θ from the prior; flat row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSet {
    /// Parameters, `n · theta_dim`.
    pub theta: Vec<f64>,
    /// Simulations, `n · x_dim`.
    pub x: Vec<f64>,
    /// Joint scores `∇θ log p(x, z|θ)` (`n · theta_dim`) when requested and available.
    pub joint_score: Option<Vec<f64>>,
}

impl SimulationSet {
    /// Number of pairs.
    pub fn len(&self, theta_dim: usize) -> usize {
        self.theta.len() / theta_dim
    }
}

/// Simulate `n` pairs from the prior predictive (in parallel, deterministic in `seed`); with
/// `with_score` the task's joint scores are recorded too (error if it has none).
pub fn simulate_set<T: Task + ?Sized>(
    task: &T,
    n: usize,
    seed: u64,
    with_score: bool,
) -> Result<SimulationSet> {
    if n == 0 {
        return Err(SbiError::Config(
            "number of simulations must be positive".into(),
        ));
    }
    let d = task.theta_dim();
    let theta = task.prior().sample(n, seed);
    let sim_seed = seed ^ 0x5151_5eed;
    let rows: Vec<Option<(Vec<f64>, Vec<f64>)>> = theta
        .par_chunks(d)
        .enumerate()
        .map(|(i, t)| {
            if with_score {
                task.simulate_with_joint_score(t, sim_seed, i as u64)
            } else {
                Some((task.simulate(t, sim_seed, i as u64), Vec::new()))
            }
        })
        .collect();
    let mut x = Vec::with_capacity(n * task.x_dim());
    let mut score = Vec::with_capacity(if with_score { n * d } else { 0 });
    for r in rows {
        let (xi, si) =
            r.ok_or_else(|| SbiError::Config(format!("task {} has no joint score", task.name())))?;
        x.extend(xi);
        score.extend(si);
    }
    Ok(SimulationSet {
        theta,
        x,
        joint_score: with_score.then_some(score),
    })
}

/// Seed used to draw the true parameters of observations 2…10 (documented in `docs/sbi.md`).
pub const OBSERVATION_SEED: u64 = 20_210_101;

/// Observation `k ≥ 2` of a task without published values: θ drawn from the prior with
/// [`OBSERVATION_SEED`] (draw `k`), x simulated with seed `OBSERVATION_SEED + k`.
pub fn generated_observation<T: Task + ?Sized>(task: &T, k: usize) -> Result<Observation> {
    if k == 0 || k > task.num_observations() {
        return Err(SbiError::Unknown(format!(
            "observation {k} of task {} (1…{})",
            task.name(),
            task.num_observations()
        )));
    }
    let d = task.theta_dim();
    let all = task.prior().sample(k, OBSERVATION_SEED);
    let theta = all[(k - 1) * d..k * d].to_vec();
    let x = task.simulate(&theta, OBSERVATION_SEED + k as u64, 0);
    Ok(Observation {
        theta: Some(theta),
        x,
    })
}
