//! Flow-based neural posterior estimation (NPE) and neural likelihood estimation (NLE).
//!
//! - **NPE** (Papamakarios & Murray 2016; Greenberg, Nonnenmacher & Macke 2019 for the
//!   amortised, single-round case used here): a conditional flow `q(θ|x)` trained by maximum
//!   likelihood on prior-predictive pairs. Sampling is direct (draws outside the prior are
//!   rejected, as the `sbi` package does) and `log q` is exact.
//! - **NLE** (Papamakarios, Sterratt & Murray, AISTATS 2019): a conditional flow `q(x|θ)`; the
//!   posterior `∝ π(θ) q(x_o|θ)` is sampled by SMC with MALA moves ([`super::sampler`]) using the
//!   flow's exact gradient w.r.t. its context θ ([`Flow::log_prob_grad`]).
//!
//! Both use the rational-quadratic spline coupling flows of [`crate::flows`] (Durkan et al.,
//! "Neural Spline Flows", NeurIPS 2019) on z-scored data.

use super::error::{check_len, Result, SbiError};
use super::posterior::Posterior;
use super::prior::Prior;
use super::sampler::{smc_posterior, unnormalised_log_posterior, SmcConfig};
use super::task::SimulationSet;
use crate::flows::{
    fit_max_likelihood, Domain, FitConfig, FitReport, Flow, FlowError, FlowSpec, Transform,
};

impl From<FlowError> for SbiError {
    fn from(e: FlowError) -> Self {
        SbiError::Flow(e.to_string())
    }
}

/// Architecture and training of a conditional flow estimator.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowEstimatorConfig {
    /// Coupling layers.
    pub layers: usize,
    /// Hidden widths of each conditioner.
    pub hidden: Vec<usize>,
    /// Coupling transform (rational-quadratic spline or affine).
    pub transform: Transform,
    /// Tail bound of the splines (in z-scored units).
    pub tail_bound: f64,
    /// Maximum-likelihood training settings.
    pub fit: FitConfig,
    /// Damped flow parametrisation ([`FlowSpec::damped`]); it halves the overfitting of the
    /// 10-D tasks (see `docs/flows.md`).
    pub damped: bool,
    /// Initialisation seed.
    pub seed: u64,
}

impl Default for FlowEstimatorConfig {
    fn default() -> Self {
        FlowEstimatorConfig {
            layers: 5,
            hidden: vec![50, 50],
            transform: Transform::Spline { bins: 8 },
            tail_bound: 5.0,
            fit: FitConfig {
                epochs: 200,
                batch_size: 200,
                lr: 1e-3,
                ..FitConfig::default()
            },
            damped: true,
            seed: 0,
        }
    }
}

/// A conditional flow of `variable` (rows of `dim`) given `context` (rows of `context_dim`),
/// z-scored and trained by maximum likelihood.
fn fit_conditional_flow(
    variable: &[f64],
    context: &[f64],
    dim: usize,
    context_dim: usize,
    cfg: &FlowEstimatorConfig,
) -> Result<(Flow, FitReport)> {
    check_len(
        "simulation set: rows of the context",
        variable.len() / dim * context_dim,
        context.len(),
    )?;
    let spec = FlowSpec::new(dim, cfg.transform, Domain::Real)
        .with_context(context_dim)
        .with_layers(cfg.layers)
        .with_hidden(cfg.hidden.clone())
        .with_tail_bound(cfg.tail_bound)
        .with_damping(cfg.damped);
    let mut flow = Flow::new(spec, cfg.seed)?;
    flow.standardize_from(variable, context)?;
    let report = fit_max_likelihood(&mut flow, variable, context, &cfg.fit)?;
    Ok((flow, report))
}

/// Flow NPE: `q(θ|x)`.
#[derive(Clone, Debug)]
pub struct NpeEstimator {
    flow: Flow,
    prior: Prior,
}

impl NpeEstimator {
    /// Train on a simulation set.
    pub fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &FlowEstimatorConfig,
    ) -> Result<(Self, FitReport)> {
        let d = prior.dim();
        let (flow, report) = fit_conditional_flow(&set.theta, &set.x, d, x_dim, cfg)?;
        Ok((
            NpeEstimator {
                flow,
                prior: prior.clone(),
            },
            report,
        ))
    }

    /// The trained flow.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }
}

impl Posterior for NpeEstimator {
    fn theta_dim(&self) -> usize {
        self.prior.dim()
    }
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("observation dimension", self.flow.context_dim(), x.len())?;
        let d = self.prior.dim();
        let mut out = Vec::with_capacity(n * d);
        let mut round = 0u64;
        let mut drawn = 0usize;
        while out.len() < n * d {
            let want = n - out.len() / d;
            // Draw a few more than needed; the acceptance rate is usually close to 1.
            let m = (want + want / 4 + 16).min(1 << 20);
            let (s, _) =
                self.flow
                    .sample(m, x, seed.wrapping_add(round.wrapping_mul(0x9E37_79B9)))?;
            drawn += m;
            for row in s.chunks(d) {
                if out.len() < n * d
                    && row.iter().all(|v| v.is_finite())
                    && self.prior.contains(row)
                {
                    out.extend_from_slice(row);
                }
            }
            round += 1;
            if drawn > 1000 * n + 100_000 && out.len() < n * d {
                return Err(SbiError::Config(format!(
                    "NPE: acceptance inside the prior below 0.1% ({} of {drawn})",
                    out.len() / d
                )));
            }
        }
        Ok(out)
    }
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<Vec<f64>> {
        Ok(self.flow.log_prob(theta, x)?)
    }
}

/// Flow NLE: `q(x|θ)`, posterior by SMC–MALA.
#[derive(Clone, Debug)]
pub struct NleEstimator {
    flow: Flow,
    prior: Prior,
    /// SMC settings used by [`Posterior::sample`] (`particles` and `seed` are overridden).
    pub smc: SmcConfig,
}

impl NleEstimator {
    /// Train on a simulation set.
    pub fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &FlowEstimatorConfig,
    ) -> Result<(Self, FitReport)> {
        let d = prior.dim();
        let (flow, report) = fit_conditional_flow(&set.x, &set.theta, x_dim, d, cfg)?;
        Ok((
            NleEstimator {
                flow,
                prior: prior.clone(),
                smc: SmcConfig::default(),
            },
            report,
        ))
    }

    /// `log q(x|θ)` for rows θ and one x, with the gradient w.r.t. θ.
    pub fn log_lik_grad(&self, theta: &[f64], x: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let d = self.prior.dim();
        let n = theta.len() / d;
        check_len("θ rows", n * d, theta.len())?;
        check_len("observation dimension", self.flow.dim(), x.len())?;
        let xs: Vec<f64> = (0..n).flat_map(|_| x.iter().copied()).collect();
        let g = self.flow.log_prob_grad(&xs, theta, &vec![1.0; n])?;
        Ok((g.log_q, g.ctx))
    }
}

impl Posterior for NleEstimator {
    fn theta_dim(&self) -> usize {
        self.prior.dim()
    }
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("observation dimension", self.flow.dim(), x.len())?;
        smc_posterior(&self.prior, &self.smc, n, seed, &|t: &[f64]| {
            self.log_lik_grad(t, x)
        })
    }
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<Vec<f64>> {
        let (v, _) = self.log_lik_grad(theta, x)?;
        Ok(unnormalised_log_posterior(&self.prior, theta, &v))
    }
}
