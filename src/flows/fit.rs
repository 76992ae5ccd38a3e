//! Maximum-likelihood (forward KL) training of a flow on samples.
//!
//! Minibatch Adam on the mean negative log-likelihood, a held-out validation split with early
//! stopping (the best parameters are restored, as the `sbi` package does), and optional
//! gradient-norm clipping. Shuffling and the split come from the counter-based generator, so a
//! fit is a pure function of its inputs and `FitConfig::seed`.

use super::flow::Flow;
use super::spec::FlowError;
use crate::error::DimensionMismatch;
use crate::nn::{Adam, AdamConfig};
use crate::stochastic::rng::counter_uniform;

const SHUFFLE_STREAM: u64 = 0xF17_5EED;

/// Settings of [`fit_max_likelihood`].
#[derive(Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// Maximum number of passes over the training split.
    pub epochs: usize,
    /// Rows per gradient step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Fraction of rows held out for validation (0 disables early stopping).
    pub validation_fraction: f64,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Rescale the gradient to at most this Euclidean norm.
    pub clip_norm: Option<f64>,
    /// Decoupled weight decay (AdamW, Loshchilov & Hutter 2019); 0 for plain Adam.
    pub weight_decay: f64,
    /// Seed of the shuffles and the split.
    pub seed: u64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            epochs: 100,
            batch_size: 128,
            lr: 1e-3,
            validation_fraction: 0.1,
            patience: 20,
            clip_norm: Some(5.0),
            weight_decay: 0.0,
            seed: 0,
        }
    }
}

/// What a fit did.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// Epochs run (≤ `epochs`).
    pub epochs_run: usize,
    /// Best mean validation negative log-likelihood (the training loss if there is no split).
    pub best_validation_nll: f64,
    /// Mean training negative log-likelihood per epoch.
    pub train_nll: Vec<f64>,
    /// Mean validation negative log-likelihood per epoch.
    pub validation_nll: Vec<f64>,
}

/// Rescale `g` to Euclidean norm at most `max` (no-op for `None`).
pub fn clip_gradient(g: &mut [f64], max: Option<f64>) {
    if let Some(max) = max {
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > max {
            g.iter_mut().for_each(|v| *v *= max / norm);
        }
    }
}

/// A seeded permutation of `0..n` (Fisher–Yates on counter-based uniforms).
pub fn seeded_permutation(n: usize, seed: u64, round: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let u = counter_uniform(seed, SHUFFLE_STREAM ^ round, i as u64, 0);
        let j = ((u * (i + 1) as f64) as usize).min(i);
        p.swap(i, j);
    }
    p
}

fn gather(v: &[f64], width: usize, rows: &[usize]) -> Vec<f64> {
    rows.iter()
        .flat_map(|&r| v[r * width..(r + 1) * width].iter().cloned())
        .collect()
}

fn mean_nll(flow: &Flow, x: &[f64], ctx: &[f64]) -> Result<f64, FlowError> {
    let lq = flow.log_prob(x, ctx)?;
    Ok(-lq.iter().sum::<f64>() / lq.len() as f64)
}

/// Train `flow` by maximum likelihood on rows `x` (`n·dim`) with per-row contexts `ctx`
/// (`n·context_dim`, or empty for an unconditional flow).
pub fn fit_max_likelihood(
    flow: &mut Flow,
    x: &[f64],
    ctx: &[f64],
    cfg: &FitConfig,
) -> Result<FitReport, FlowError> {
    let d = flow.dim();
    let c = flow.context_dim();
    let n = x.len() / d.max(1);
    if n == 0 || x.len() != n * d {
        return Err(FlowError::Dimension(DimensionMismatch {
            what: "training rows (a positive multiple of dim)",
            expected: d * n.max(1),
            got: x.len(),
        }));
    }
    if ctx.len() != n * c {
        return Err(FlowError::Dimension(DimensionMismatch {
            what: "training contexts (one per row)",
            expected: n * c,
            got: ctx.len(),
        }));
    }
    if cfg.batch_size == 0 || cfg.epochs == 0 {
        return Err(FlowError::Config(
            "epochs and batch_size must be positive".into(),
        ));
    }
    if !(0.0..1.0).contains(&cfg.validation_fraction) {
        return Err(FlowError::Config(format!(
            "validation_fraction must be in [0, 1), got {}",
            cfg.validation_fraction
        )));
    }
    let perm = seeded_permutation(n, cfg.seed, u64::MAX);
    let n_val = ((n as f64) * cfg.validation_fraction).round() as usize;
    let n_val = if n - n_val == 0 { 0 } else { n_val };
    let (val_rows, train_rows) = perm.split_at(n_val);
    let (xv, cv) = (gather(x, d, val_rows), gather(ctx, c, val_rows));
    let (xt, ct) = (gather(x, d, train_rows), gather(ctx, c, train_rows));
    let nt = train_rows.len();
    let mut params = flow.params();
    let adam_cfg = AdamConfig {
        weight_decay: cfg.weight_decay,
        ..AdamConfig::with_lr(cfg.lr)
    };
    let mut adam = Adam::new(params.len(), adam_cfg)?;
    let mut report = FitReport {
        epochs_run: 0,
        best_validation_nll: f64::INFINITY,
        train_nll: Vec::new(),
        validation_nll: Vec::new(),
    };
    let mut best = params.clone();
    let mut since_best = 0;
    for epoch in 0..cfg.epochs {
        let order = seeded_permutation(nt, cfg.seed, epoch as u64);
        let mut total = 0.0;
        for rows in order.chunks(cfg.batch_size) {
            let xb = gather(&xt, d, rows);
            let cb = gather(&ct, c, rows);
            let w = vec![-1.0 / rows.len() as f64; rows.len()];
            let g = flow.log_prob_grad(&xb, &cb, &w)?;
            total -= g.log_q.iter().sum::<f64>();
            let mut grad = g.params;
            clip_gradient(&mut grad, cfg.clip_norm);
            adam.step(&mut params, &grad)?;
            flow.set_params(&params)?;
        }
        let train = total / nt as f64;
        report.train_nll.push(train);
        let val = if n_val > 0 {
            mean_nll(flow, &xv, &cv)?
        } else {
            train
        };
        report.validation_nll.push(val);
        report.epochs_run = epoch + 1;
        if val < report.best_validation_nll {
            report.best_validation_nll = val;
            best.clone_from(&params);
            since_best = 0;
        } else {
            since_best += 1;
            if n_val > 0 && since_best >= cfg.patience {
                break;
            }
        }
    }
    flow.set_params(&best)?;
    Ok(report)
}
