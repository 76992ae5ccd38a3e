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
//! Both use the coupling flows of [`crate::flows`] on z-scored data: rational-quadratic splines
//! (Durkan et al., "Neural Spline Flows", NeurIPS 2019) or affine couplings (Dinh, Sohl-Dickstein
//! & Bengio, "Density estimation using Real NVP", ICLR 2017). Both implement [`Estimator`] (one
//! architecture) and [`FlowEstimator`], whose `fit_selected` trains several
//! candidate architectures and keeps the one with the lowest loss on held-out simulations —
//! ordinary model selection, which never looks at a reference posterior. By default the
//! candidates are the spline flow and a regularised affine flow
//! ([`FlowEstimatorConfig::default_candidates`]): the spline wins on two_moons and SLCP's
//! posterior, the affine flow on gaussian_linear's posterior and SLCP's likelihood.

use super::error::{check_len, Result, SbiError};
use super::estimator::Estimator;
use super::posterior::Posterior;
use super::prior::Prior;
use super::sampler::{smc_posterior, unnormalised_log_posterior, SmcConfig};
use super::task::SimulationSet;
use crate::flows::{fit_max_likelihood, Domain, FitConfig, FitReport, Flow, FlowSpec, Transform};
use crate::nn::Activation;

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
    /// Activation of the conditioner networks (ReLU by default; a smooth one such as SiLU makes
    /// `log q` smooth in θ and x, which the design gradients of [`crate::sbi::eig`] want).
    pub activation: Activation,
    /// Damped flow parametrisation ([`FlowSpec::damped`]); it halves the overfitting of the
    /// 10-D tasks (see `docs/flows.md`).
    pub damped: bool,
    /// Initialisation seed.
    pub seed: u64,
}

impl Default for FlowEstimatorConfig {
    /// [`FlowEstimatorConfig::spline`].
    fn default() -> Self {
        FlowEstimatorConfig::spline()
    }
}

impl FlowEstimatorConfig {
    /// Rational-quadratic spline couplings (8 bins, tail bound 5): 5 layers, conditioners with
    /// two hidden layers of 50, Adam at 10⁻³ on minibatches of 100, no weight decay, damped.
    pub fn spline() -> Self {
        FlowEstimatorConfig {
            layers: 5,
            hidden: vec![50, 50],
            transform: Transform::Spline { bins: 8 },
            tail_bound: 5.0,
            fit: FitConfig {
                epochs: 1000,
                batch_size: 100,
                lr: 1e-3,
                ..FitConfig::default()
            },
            activation: Activation::Relu,
            damped: true,
            seed: 0,
        }
    }

    /// A regularised affine (RealNVP) flow: 8 affine coupling layers, minibatches of 50 and
    /// decoupled weight decay 0.3. It suits near-Gaussian conditionals with widely varying
    /// scales (SLCP's likelihood, gaussian_linear's posterior), where the spline flow overfits.
    pub fn regularised_affine() -> Self {
        let mut c = FlowEstimatorConfig::spline();
        c.transform = Transform::Affine;
        c.layers = 8;
        c.fit.batch_size = 50;
        c.fit.weight_decay = 0.3;
        c
    }

    /// The candidates [`FlowEstimator::fit_selected`] chooses
    /// from by default: [`spline`](Self::spline), then
    /// [`regularised_affine`](Self::regularised_affine).
    pub fn default_candidates() -> Vec<Self> {
        vec![Self::spline(), Self::regularised_affine()]
    }

    /// A short description, e.g. `"spline(8 bins) × 5, hidden [50, 50], batch 100, decay 0"`.
    pub fn describe(&self) -> String {
        let t = match self.transform {
            Transform::Affine => "affine".to_string(),
            Transform::Spline { bins } => format!("spline({bins} bins)"),
        };
        format!(
            "{t} × {}, hidden {:?}, batch {}, decay {}",
            self.layers, self.hidden, self.fit.batch_size, self.fit.weight_decay
        )
    }
}

/// Which candidate a selecting fit kept, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSelection {
    /// Index of the kept candidate.
    pub chosen: usize,
    /// Best validation negative log-likelihood of each candidate (the same held-out rows).
    pub validation_nll: Vec<f64>,
    /// The kept candidate's training report.
    pub report: FitReport,
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
        .with_damping(cfg.damped)
        .with_activation(cfg.activation);
    let mut flow = Flow::new(spec, cfg.seed)?;
    flow.standardize_from(variable, context)?;
    let report = fit_max_likelihood(&mut flow, variable, context, &cfg.fit)?;
    Ok((flow, report))
}

/// Fit every candidate and keep the one with the lowest validation negative log-likelihood
/// (model selection on held-out simulations; ties keep the earlier candidate). All candidates
/// must hold out the same rows: equal `fit.seed` and a positive, equal `fit.validation_fraction`.
fn fit_selected_flow(
    variable: &[f64],
    context: &[f64],
    dim: usize,
    context_dim: usize,
    candidates: &[FlowEstimatorConfig],
) -> Result<(Flow, FlowSelection)> {
    let first = candidates
        .first()
        .ok_or_else(|| SbiError::Config("flow selection needs at least one candidate".into()))?;
    if candidates.len() > 1 {
        let split = |c: &FlowEstimatorConfig| (c.fit.seed, c.fit.validation_fraction);
        if first.fit.validation_fraction <= 0.0
            || candidates.iter().any(|c| split(c) != split(first))
        {
            return Err(SbiError::Config(
                "flow selection: candidates need the same fit.seed and the same positive \
                 fit.validation_fraction, so that they are compared on the same held-out rows"
                    .into(),
            ));
        }
    }
    let mut best: Option<(Flow, FitReport, usize)> = None;
    let mut validation_nll = Vec::with_capacity(candidates.len());
    for (i, cfg) in candidates.iter().enumerate() {
        let (flow, report) = fit_conditional_flow(variable, context, dim, context_dim, cfg)?;
        validation_nll.push(report.best_validation_nll);
        let better = match &best {
            None => true,
            Some((_, r, _)) => report.best_validation_nll < r.best_validation_nll,
        };
        if better {
            best = Some((flow, report, i));
        }
    }
    let (flow, report, chosen) = best.expect("at least one candidate was fitted");
    if !report.best_validation_nll.is_finite() {
        return Err(SbiError::NonFinite("flow selection: validation loss"));
    }
    Ok((
        flow,
        FlowSelection {
            chosen,
            validation_nll,
            report,
        },
    ))
}

/// What a flow estimator's flow models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowTarget {
    /// `q(θ|x)`: the posterior (NPE).
    Posterior,
    /// `q(x|θ)`: the likelihood (NLE).
    Likelihood,
}

/// A conditional-flow estimator ([`NpeEstimator`], [`NleEstimator`]): an [`Estimator`] whose
/// configuration is one flow architecture, with model selection among several.
pub trait FlowEstimator: Estimator<Config = FlowEstimatorConfig, Report = FitReport> {
    /// What the flow models.
    const TARGET: FlowTarget;

    /// The estimator around a trained flow for `prior` (its dimension must be the flow's
    /// variable dimension for [`FlowTarget::Posterior`], its context dimension for
    /// [`FlowTarget::Likelihood`]).
    fn from_flow(flow: Flow, prior: &Prior) -> Result<Self>;

    /// The trained flow.
    fn flow(&self) -> &Flow;

    /// Train every candidate architecture and keep the one with the lowest validation loss
    /// (see [`FlowEstimatorConfig::default_candidates`]).
    fn fit_selected(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        candidates: &[FlowEstimatorConfig],
    ) -> Result<(Self, FlowSelection)> {
        let d = prior.dim();
        let (flow, sel) = match Self::TARGET {
            FlowTarget::Posterior => fit_selected_flow(&set.theta, &set.x, d, x_dim, candidates)?,
            FlowTarget::Likelihood => fit_selected_flow(&set.x, &set.theta, x_dim, d, candidates)?,
        };
        Ok((Self::from_flow(flow, prior)?, sel))
    }
}

/// [`Estimator::fit`] of a flow estimator: [`FlowEstimator::fit_selected`] with one candidate.
fn fit_one<E: FlowEstimator>(
    set: &SimulationSet,
    prior: &Prior,
    x_dim: usize,
    cfg: &FlowEstimatorConfig,
) -> Result<(E, FitReport)> {
    let (e, sel) = E::fit_selected(set, prior, x_dim, std::slice::from_ref(cfg))?;
    Ok((e, sel.report))
}

/// Flow NPE: `q(θ|x)`.
#[derive(Clone, Debug)]
pub struct NpeEstimator {
    flow: Flow,
    prior: Prior,
}

impl Estimator for NpeEstimator {
    type Config = FlowEstimatorConfig;
    type Report = FitReport;

    /// Train one architecture on a simulation set.
    fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &FlowEstimatorConfig,
    ) -> Result<(Self, FitReport)> {
        fit_one(set, prior, x_dim, cfg)
    }

    fn epochs(report: &FitReport) -> usize {
        report.epochs_run
    }
}

impl FlowEstimator for NpeEstimator {
    const TARGET: FlowTarget = FlowTarget::Posterior;

    fn from_flow(flow: Flow, prior: &Prior) -> Result<Self> {
        check_len("NPE: flow dimension (θ)", prior.dim(), flow.dim())?;
        let prior = prior.clone();
        Ok(NpeEstimator { flow, prior })
    }

    fn flow(&self) -> &Flow {
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

impl Estimator for NleEstimator {
    type Config = FlowEstimatorConfig;
    type Report = FitReport;

    /// Train one architecture on a simulation set.
    fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &FlowEstimatorConfig,
    ) -> Result<(Self, FitReport)> {
        fit_one(set, prior, x_dim, cfg)
    }

    fn epochs(report: &FitReport) -> usize {
        report.epochs_run
    }
}

impl FlowEstimator for NleEstimator {
    const TARGET: FlowTarget = FlowTarget::Likelihood;

    fn from_flow(flow: Flow, prior: &Prior) -> Result<Self> {
        check_len(
            "NLE: flow context dimension (θ)",
            prior.dim(),
            flow.context_dim(),
        )?;
        let prior = prior.clone();
        let smc = SmcConfig::default();
        Ok(NleEstimator { flow, prior, smc })
    }

    fn flow(&self) -> &Flow {
        &self.flow
    }
}

impl NleEstimator {
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
