//! Training loops in one harness: FAB (α-divergence with AIS, with or without the prioritised
//! replay buffer), reverse KL, and forward KL on exact samples; evaluation by importance sampling
//! from the trained flow; checkpoints.
//!
//! Every gradient step uses Adam ([`crate::nn::Adam`]) on the flow's flat parameter vector after
//! clipping the gradient's Euclidean norm at [`TrainConfig::clip_norm`]; a step whose gradient is
//! not finite is skipped and counted. Each iteration's randomness is keyed by (seed, iteration),
//! so a run is deterministic for its seed, and a run resumed from a [`Checkpoint`] (flow
//! parameters, Adam moments, AIS step sizes, buffer, iteration and evaluation counters) continues
//! exactly as the uninterrupted run would.
//!
//! **Reverse KL** minimises E_q[log q − log p̃] with the pathwise gradient through the flow's
//! sampler (`Flow::sample_grad` with upstream adjoints g_x = −∇log p̃/n, g_logq = 1/n); draws
//! where p̃ vanishes (log p̃ = −∞) are dropped from the batch (their loss would be infinite).
//! **Forward KL** ([`train_forward_kl`]) is maximum likelihood on exact target samples.

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ais::{run_ais, AisConfig, AisState};
use super::buffer::{BufferConfig, PrioritisedBuffer};
use super::metrics::{normalised_weights, WeightMetrics};
use super::{log_prob_batch, FabError, Target};
use crate::flows::{clip_gradient, fit_max_likelihood, FitConfig, FitReport, Flow};
use crate::nn::{Adam, AdamConfig};
use crate::stochastic::rng::child_key;

/// What the trainer optimises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Method {
    /// FAB, α-divergence loss on each fresh AIS batch.
    Fab,
    /// FAB with the prioritised replay buffer.
    FabBuffer(BufferConfig),
    /// Reverse KL, pathwise gradients.
    ReverseKl,
}

impl Method {
    /// The names accepted by [`FromStr`], in the order listed by its error.
    pub const NAMES: [&'static str; 3] = ["fab_buffer", "fab", "reverse_kl"];

    /// Short name for reports (as accepted by [`FromStr`]).
    pub fn name(&self) -> &'static str {
        match self {
            Method::Fab => "fab",
            Method::FabBuffer(_) => "fab_buffer",
            Method::ReverseKl => "reverse_kl",
        }
    }
}

impl FromStr for Method {
    type Err = FabError;

    /// Parse a method name; `fab_buffer` gets the default [`BufferConfig`]. An unknown name is
    /// a [`FabError::Unknown`] listing [`Method::NAMES`].
    fn from_str(s: &str) -> Result<Self, FabError> {
        match s {
            "fab" => Ok(Method::Fab),
            "fab_buffer" => Ok(Method::FabBuffer(BufferConfig::default())),
            "reverse_kl" => Ok(Method::ReverseKl),
            _ => Err(FabError::Unknown(format!(
                "method '{s}' (known: {})",
                Method::NAMES.join(", ")
            ))),
        }
    }
}

/// Settings of a [`Trainer`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The objective.
    pub method: Method,
    /// Points per AIS run (FAB) or per flow batch (reverse KL).
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Gradient-norm clip.
    pub clip_norm: f64,
    /// The AIS chain (FAB only).
    pub ais: AisConfig,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            method: Method::Fab,
            batch: 256,
            lr: 1e-3,
            clip_norm: 10.0,
            ais: AisConfig::default(),
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Check every setting.
    pub fn validate(&self) -> Result<(), FabError> {
        if self.batch < 2 {
            return Err(FabError::Config(format!(
                "batch = {} (need ≥ 2)",
                self.batch
            )));
        }
        if !(self.clip_norm.is_finite() && self.clip_norm > 0.0) {
            return Err(FabError::Config(format!(
                "clip_norm = {} (need > 0)",
                self.clip_norm
            )));
        }
        if let Method::FabBuffer(b) = &self.method {
            b.validate()?;
        }
        self.ais.validate()?;
        AdamConfig::with_lr(self.lr).validate()?;
        Ok(())
    }
}

/// One iteration's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterLog {
    /// Iteration index (0-based).
    pub iteration: usize,
    /// Mean loss of the iteration's gradient steps (NaN if no step was taken).
    pub loss: f64,
    /// Sampling efficiency of the iteration's AIS weights (FAB) or flow weights (reverse KL).
    pub sampling_efficiency: f64,
    /// Mean HMC acceptance over the chain (FAB; NaN otherwise).
    pub acceptance: f64,
    /// Cumulative target evaluations.
    pub target_evals: u64,
    /// Gradient steps taken in this iteration.
    pub steps: usize,
}

/// The format version of [`Checkpoint`] files written by this build.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Everything needed to resume training.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version ([`CHECKPOINT_VERSION`]; files without one are version 1).
    #[serde(default = "crate::files::first_version")]
    pub version: u32,
    /// The settings.
    pub config: TrainConfig,
    /// The flow as JSON (`Flow::to_json`).
    pub flow: String,
    /// Optimizer state.
    pub adam: Adam,
    /// AIS step sizes.
    pub ais_state: AisState,
    /// Replay buffer (FAB with buffer).
    pub buffer: Option<PrioritisedBuffer>,
    /// Iterations done.
    pub iteration: usize,
    /// Target evaluations so far.
    pub target_evals: u64,
    /// Gradient steps skipped for a non-finite gradient.
    pub skipped_steps: usize,
}

/// A flow being trained against a target.
#[derive(Clone, Debug)]
pub struct Trainer {
    cfg: TrainConfig,
    flow: Flow,
    adam: Adam,
    ais_state: AisState,
    buffer: Option<PrioritisedBuffer>,
    iteration: usize,
    target_evals: u64,
    skipped_steps: usize,
}

impl Trainer {
    /// Start training `flow` with `cfg`.
    pub fn new(flow: Flow, cfg: TrainConfig) -> Result<Self, FabError> {
        cfg.validate()?;
        let adam = Adam::new(flow.num_params(), AdamConfig::with_lr(cfg.lr))?;
        let buffer = match &cfg.method {
            Method::FabBuffer(b) => Some(PrioritisedBuffer::new(flow.dim(), b.max_len)),
            _ => None,
        };
        Ok(Trainer {
            ais_state: AisState::new(&cfg.ais),
            cfg,
            flow,
            adam,
            buffer,
            iteration: 0,
            target_evals: 0,
            skipped_steps: 0,
        })
    }

    /// The flow.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.cfg
    }

    /// Iterations done.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// Target evaluations used so far.
    pub fn target_evals(&self) -> u64 {
        self.target_evals
    }

    /// Gradient steps skipped because the gradient was not finite.
    pub fn skipped_steps(&self) -> usize {
        self.skipped_steps
    }

    /// The current AIS step sizes.
    pub fn ais_state(&self) -> &AisState {
        &self.ais_state
    }

    /// Clip and apply a gradient of the loss; false if it was skipped.
    fn apply(&mut self, mut grad: Vec<f64>) -> Result<bool, FabError> {
        let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        if !norm.is_finite() {
            self.skipped_steps += 1;
            return Ok(false);
        }
        clip_gradient(&mut grad, Some(self.cfg.clip_norm));
        let mut p = self.flow.params();
        self.adam.step(&mut p, &grad)?;
        self.flow.set_params(&p)?;
        Ok(true)
    }

    /// One gradient step on the loss −Σᵢ wᵢ log q(xᵢ) (weights held fixed); returns the loss, or
    /// `None` if no weight is positive or the step was skipped.
    fn weighted_nll_step(&mut self, x: &[f64], w: &[f64]) -> Result<Option<f64>, FabError> {
        if !w.iter().any(|&v| v > 0.0) {
            return Ok(None);
        }
        let g = self.flow.log_prob_grad(x, &[], w)?;
        let loss: f64 = -w
            .iter()
            .zip(&g.log_q)
            .filter(|(w, _)| **w > 0.0)
            .map(|(w, lq)| w * lq)
            .sum::<f64>();
        Ok(self
            .apply(g.params.iter().map(|v| -v).collect())?
            .then_some(loss))
    }

    /// One iteration: an AIS batch and its gradient step(s) (FAB) or one reverse-KL step.
    pub fn step<T: Target + ?Sized>(&mut self, target: &T) -> Result<IterLog, FabError> {
        if target.dim() != self.flow.dim() {
            return Err(FabError::Mismatch(format!(
                "flow dimension {} vs target dimension {}",
                self.flow.dim(),
                target.dim()
            )));
        }
        let seed = child_key(self.cfg.seed, self.iteration as u64);
        let n = self.cfg.batch;
        let (mut loss_sum, mut steps) = (0.0, 0usize);
        let (ess, acceptance);
        match self.cfg.method.clone() {
            method @ (Method::Fab | Method::FabBuffer(_)) => {
                let out = run_ais(
                    &self.flow,
                    target,
                    &self.cfg.ais,
                    &mut self.ais_state,
                    n,
                    seed,
                )?;
                self.target_evals += out.target_evals;
                acceptance = mean(&out.acceptance);
                ess = efficiency(&out.log_w);
                if let Method::FabBuffer(bc) = method {
                    let mut buffer = self
                        .buffer
                        .take()
                        .unwrap_or_else(|| PrioritisedBuffer::new(self.flow.dim(), bc.max_len));
                    buffer.add(&out.x, &out.log_w, &out.log_q);
                    if buffer.len() >= bc.min_len.max(1) {
                        for u in 0..bc.updates_per_iter {
                            let idx = buffer.sample_indices(n, child_key(seed, u as u64 + 1))?;
                            let (x, lq_old) = buffer.gather(&idx);
                            let lq = self.flow.log_prob(&x, &[])?;
                            let alpha = self.cfg.ais.alpha;
                            let adj: Vec<f64> = lq
                                .iter()
                                .zip(&lq_old)
                                .map(|(a, b)| (1.0 - alpha) * (a - b))
                                .collect();
                            let c: Vec<f64> = adj
                                .iter()
                                .map(|a| {
                                    let c = a.exp().min(bc.w_adjust_clip) / n as f64;
                                    if c.is_finite() {
                                        c
                                    } else {
                                        0.0
                                    }
                                })
                                .collect();
                            if let Some(loss) = self.weighted_nll_step(&x, &c)? {
                                loss_sum += loss;
                                steps += 1;
                            }
                            buffer.adjust(&idx, &adj, &lq);
                        }
                    }
                    self.buffer = Some(buffer);
                } else {
                    let wbar = normalised_weights(&out.log_w);
                    if let Some(loss) = self.weighted_nll_step(&out.x, &wbar)? {
                        loss_sum += loss;
                        steps += 1;
                    }
                }
            }
            Method::ReverseKl => {
                acceptance = f64::NAN;
                let d = self.flow.dim();
                let z = self.flow.sample_base(n, seed);
                let (x, lq) = self.flow.forward(&z, &[])?;
                let (lp, gp) = log_prob_batch(target, &x);
                self.target_evals += n as u64;
                let log_w: Vec<f64> = lp.iter().zip(&lq).map(|(p, q)| p - q).collect();
                ess = efficiency(&log_w);
                let valid: Vec<bool> = lp
                    .iter()
                    .zip(&lq)
                    .map(|(p, q)| p.is_finite() && q.is_finite())
                    .collect();
                let nv = valid.iter().filter(|v| **v).count();
                if nv > 0 {
                    let inv = 1.0 / nv as f64;
                    let mut g_x = vec![0.0; n * d];
                    let mut g_lq = vec![0.0; n];
                    let mut loss = 0.0;
                    for i in 0..n {
                        if valid[i] {
                            for k in 0..d {
                                g_x[i * d + k] = -gp[i * d + k] * inv;
                            }
                            g_lq[i] = inv;
                            loss += (lq[i] - lp[i]) * inv;
                        }
                    }
                    let (grad, _) = self.flow.sample_grad(&z, &[], &g_x, &g_lq)?;
                    if self.apply(grad)? {
                        loss_sum += loss;
                        steps += 1;
                    }
                }
            }
        }
        let log = IterLog {
            iteration: self.iteration,
            loss: if steps > 0 {
                loss_sum / steps as f64
            } else {
                f64::NAN
            },
            sampling_efficiency: ess,
            acceptance,
            target_evals: self.target_evals,
            steps,
        };
        self.iteration += 1;
        Ok(log)
    }

    /// The trainer's state.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            config: self.cfg.clone(),
            flow: self.flow.to_json(),
            adam: self.adam.clone(),
            ais_state: self.ais_state.clone(),
            buffer: self.buffer.clone(),
            iteration: self.iteration,
            target_evals: self.target_evals,
            skipped_steps: self.skipped_steps,
        }
    }

    /// Resume from a checkpoint.
    pub fn from_checkpoint(c: Checkpoint) -> Result<Self, FabError> {
        crate::files::check_version("the FAB checkpoint", c.version, CHECKPOINT_VERSION)?;
        c.config.validate()?;
        let flow = Flow::from_json(&c.flow)?;
        if c.adam.num_params() != flow.num_params() {
            return Err(FabError::Io(format!(
                "optimizer holds {} parameters, the flow {}",
                c.adam.num_params(),
                flow.num_params()
            )));
        }
        if c.ais_state.step_sizes.len() != c.config.ais.n_intermediate {
            return Err(FabError::Io(format!(
                "{} AIS step sizes for {} intermediate distributions",
                c.ais_state.step_sizes.len(),
                c.config.ais.n_intermediate
            )));
        }
        Ok(Trainer {
            cfg: c.config,
            flow,
            adam: c.adam,
            ais_state: c.ais_state,
            buffer: c.buffer,
            iteration: c.iteration,
            target_evals: c.target_evals,
            skipped_steps: c.skipped_steps,
        })
    }

    /// Write a checkpoint as JSON.
    pub fn save(&self, path: &Path) -> Result<(), FabError> {
        let s = serde_json::to_string(&self.checkpoint())
            .map_err(|e| FabError::Io(format!("serialising: {e}")))?;
        crate::files::write_atomic(path, s).map_err(|e| FabError::Io(e.to_string()))
    }

    /// Read a checkpoint written by [`Trainer::save`].
    pub fn load(path: &Path) -> Result<Self, FabError> {
        let s = std::fs::read_to_string(path)
            .map_err(|e| FabError::Io(format!("{}: {e}", path.display())))?;
        Self::from_json(&s).map_err(|e| FabError::Io(format!("{}: {e}", path.display())))
    }

    /// Restore a trainer from the JSON text of a checkpoint written by [`Trainer::save`].
    pub fn from_json(text: &str) -> Result<Self, FabError> {
        let c: Checkpoint =
            serde_json::from_str(text).map_err(|e| FabError::Io(format!("checkpoint: {e}")))?;
        Self::from_checkpoint(c)
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn efficiency(log_w: &[f64]) -> f64 {
    WeightMetrics::from_log_weights(log_w)
        .map(|m| m.sampling_efficiency)
        .unwrap_or(0.0)
}

/// An importance sample of `n` flow draws: points, log-weights log p̃ − log q, and their
/// metrics. Uses `n` target evaluations (value only).
pub fn importance_sample<T: Target + ?Sized>(
    flow: &Flow,
    target: &T,
    n: usize,
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>, WeightMetrics), FabError> {
    if flow.dim() != target.dim() {
        return Err(FabError::Mismatch(format!(
            "flow dimension {} vs target dimension {}",
            flow.dim(),
            target.dim()
        )));
    }
    let (x, lq) = flow.sample(n, &[], seed)?;
    let (lp, _) = log_prob_batch(target, &x);
    let log_w: Vec<f64> = lp
        .iter()
        .zip(&lq)
        .map(|(p, q)| {
            if *p == f64::NEG_INFINITY || !q.is_finite() {
                f64::NEG_INFINITY
            } else {
                p - q
            }
        })
        .collect();
    let m = WeightMetrics::from_log_weights(&log_w)?;
    Ok((x, log_w, m))
}

/// Maximum-likelihood training of `flow` on `n` exact samples of `target` (forward KL).
pub fn train_forward_kl<T: Target + ?Sized>(
    flow: &mut Flow,
    target: &T,
    n: usize,
    cfg: &FitConfig,
) -> Result<FitReport, FabError> {
    let x = target.exact_samples(n, cfg.seed).ok_or_else(|| {
        FabError::Config(format!(
            "target {} has no exact samples for forward KL",
            target.name()
        ))
    })?;
    Ok(fit_max_likelihood(flow, &x, &[], cfg)?)
}
