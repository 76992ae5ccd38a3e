//! Minibatch Adam training with a validation split and early stopping, shared by every network
//! in this module (classifiers, mixture-density networks, ratio estimators).
//!
//! As in the `sbi` package: a fixed fraction of the data is held out, training stops after
//! `patience` epochs without a better validation loss, and the best parameters are returned.
//! With `validation_fraction = 0` the training loss is monitored instead (scikit-learn's rule:
//! stop when it has not improved by `tol` for `patience` epochs), which is what C2ST uses.

use super::error::{Result, SbiError};
use super::prior::permutation;
use crate::nn::{Adam, AdamConfig};

/// Settings of [`train`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Fraction of the data held out for early stopping, in [0, 1).
    pub validation_fraction: f64,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Minimum improvement that counts (absolute, in loss units).
    pub tol: f64,
    /// Clip the gradient to this Euclidean norm.
    pub clip_norm: Option<f64>,
    /// Seed of the split and the minibatch order.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 200,
            batch_size: 200,
            lr: 1e-3,
            validation_fraction: 0.1,
            patience: 20,
            tol: 0.0,
            clip_norm: Some(5.0),
            seed: 0,
        }
    }
}

/// What [`train`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainReport {
    /// Epochs run.
    pub epochs: usize,
    /// Best monitored loss (validation, or training without a validation split).
    pub best_loss: f64,
    /// Monitored loss per epoch.
    pub history: Vec<f64>,
}

/// Loss and parameter gradient of a minibatch given by row indices.
pub type BatchLoss<'a> = dyn Fn(&[f64], &[usize]) -> Result<(f64, Vec<f64>)> + Sync + 'a;

/// Train `params` on `n` rows with minibatch Adam; `loss_grad(params, rows)` returns the mean
/// loss of those rows and its gradient. Returns the best parameters seen.
pub fn train(
    mut params: Vec<f64>,
    n: usize,
    cfg: &TrainConfig,
    loss_grad: &BatchLoss<'_>,
) -> Result<(Vec<f64>, TrainReport)> {
    if !(0.0..1.0).contains(&cfg.validation_fraction) || cfg.batch_size == 0 || cfg.epochs == 0 {
        return Err(SbiError::Config(format!(
            "training: validation fraction {} must be in [0, 1), batch size {} and epochs {} positive",
            cfg.validation_fraction, cfg.batch_size, cfg.epochs
        )));
    }
    let perm = permutation(n, cfg.seed);
    let n_val = (n as f64 * cfg.validation_fraction).round() as usize;
    if n_val >= n || (cfg.validation_fraction > 0.0 && n_val == 0) {
        return Err(SbiError::Config(format!(
            "training: {n} rows are too few for a validation fraction of {}",
            cfg.validation_fraction
        )));
    }
    let (val, tr) = perm.split_at(n_val);
    let mut train_rows = tr.to_vec();
    let mut adam = Adam::new(params.len(), AdamConfig::with_lr(cfg.lr))?;
    let mut best = (f64::INFINITY, params.clone());
    let mut report = TrainReport::default();
    let mut since = 0;
    for epoch in 0..cfg.epochs {
        let order = permutation(train_rows.len(), cfg.seed ^ (0xe90c + epoch as u64));
        let shuffled: Vec<usize> = order.iter().map(|&i| train_rows[i]).collect();
        train_rows = shuffled;
        let mut total = 0.0;
        for chunk in train_rows.chunks(cfg.batch_size) {
            let (l, mut g) = loss_grad(&params, chunk)?;
            if !l.is_finite() || g.iter().any(|v| !v.is_finite()) {
                return Err(SbiError::NonFinite("training loss or gradient"));
            }
            if let Some(c) = cfg.clip_norm {
                let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > c {
                    g.iter_mut().for_each(|v| *v *= c / norm);
                }
            }
            adam.step(&mut params, &g)?;
            total += l * chunk.len() as f64;
        }
        let monitored = if n_val > 0 {
            val.chunks(4096)
                .map(|c| loss_grad(&params, c).map(|(l, _)| l * c.len() as f64))
                .sum::<Result<f64>>()?
                / n_val as f64
        } else {
            total / train_rows.len() as f64
        };
        report.history.push(monitored);
        report.epochs = epoch + 1;
        if monitored < best.0 - cfg.tol {
            best = (monitored, params.clone());
            since = 0;
        } else {
            since += 1;
            if since >= cfg.patience {
                break;
            }
        }
    }
    report.best_loss = best.0;
    if n_val > 0 {
        Ok((best.1, report))
    } else {
        Ok((params, report))
    }
}
