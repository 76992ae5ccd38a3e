//! The toy problem of section 5.1 of Louppe, Kagan & Cranmer (2017): two classes of 2-D
//! Gaussian data with equal priors, the second shifted by a nuisance `Z ~ N(0, 1)`:
//!
//! - `Y = 0`: `x ~ N((0, 0), [[1, −0.5], [−0.5, 1]])`,
//! - `Y = 1`: `x ~ N((1, 1 + Z), [[1, 0], [0, 1]])`.
//!
//! `Z` is drawn for every event (it changes only the `Y = 1` events), so the adversary of the
//! paper sees all events and a perfect pivot leaves it with the prior's entropy
//! [`ENTROPY_STD_NORMAL`] `= ½ ln(2πe)`.

use super::classifier::Classifier;
use super::config::PivotConfig;
use super::data::PivotData;
use super::error::{PivotError, Result};
use super::metrics::Independence;
use super::train::{EpochRecord, Evaluation, PivotTrainer};
use crate::sbi::prior::std_normal;
use crate::stochastic::rng::{child_key, counter_uniform};

/// Differential entropy of `N(0, 1)`: `½ ln(2πe) ≈ 1.4189` nats, the adversary's loss against
/// a classifier whose output is independent of `Z ~ N(0, 1)`.
pub const ENTROPY_STD_NORMAL: f64 = 1.418_938_533_204_672_7;

/// Streams of the counter-based generator used by the toy (label, nuisance, two noises).
const LABEL: u64 = 0x7019;
const NUISANCE: u64 = 0x701a;
const NOISE: [u64; 2] = [0x701b, 0x701c];

/// One toy event with a given nuisance value, label and index.
fn event(seed: u64, i: u64, y: bool, z: f64) -> [f64; 2] {
    let u = [std_normal(seed, NOISE[0], i), std_normal(seed, NOISE[1], i)];
    if y {
        [1.0 + u[0], 1.0 + z + u[1]]
    } else {
        // Cholesky factor of [[1, −½], [−½, 1]]: rows (1, 0) and (−½, √¾).
        [u[0], -0.5 * u[0] + 0.75f64.sqrt() * u[1]]
    }
}

fn check_n(n: usize) -> Result<()> {
    if n < 2 {
        return Err(PivotError::BadSetting {
            name: "toy sample size",
            value: n as f64,
            allowed: "at least 2 events",
        });
    }
    Ok(())
}

/// `n` toy events with `Y ~ Bernoulli(½)` and `Z ~ N(0, 1)`, a pure function of `seed`.
pub fn sample(n: usize, seed: u64) -> Result<PivotData> {
    check_n(n)?;
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    let mut z = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let label = counter_uniform(seed, LABEL, i, 0) < 0.5;
        let nuisance = std_normal(seed, NUISANCE, i);
        x.extend(event(seed, i, label, nuisance));
        y.push(if label { 1.0 } else { 0.0 });
        z.push(nuisance);
    }
    PivotData::new(x, 2, y, z)
}

/// `n` toy events with `Y ~ Bernoulli(½)` at the fixed nuisance value `z` (for the conditional
/// distributions `p(f(X) | Z = z)` of the paper's figure 2).
pub fn sample_at(n: usize, z: f64, seed: u64) -> Result<PivotData> {
    check_n(n)?;
    if !z.is_finite() {
        return Err(PivotError::BadSetting {
            name: "toy nuisance value",
            value: z,
            allowed: "finite",
        });
    }
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let label = counter_uniform(seed, LABEL, i, 0) < 0.5;
        x.extend(event(seed, i, label, z));
        y.push(if label { 1.0 } else { 0.0 });
    }
    PivotData::new(x, 2, y, vec![z; n])
}

/// The classifier's scores on `n` toy events at each of `Z = −1, 0, +1` (independent samples,
/// seeds derived from `seed`), compared by [`Independence`].
pub fn independence(classifier: &Classifier, n: usize, seed: u64) -> Result<Independence> {
    let samples = [-1.0, 0.0, 1.0]
        .iter()
        .enumerate()
        .map(|(k, &z)| {
            let d = sample_at(n, z, child_key(seed, k as u64))?;
            Ok((z, classifier.scores(d.x())?))
        })
        .collect::<Result<Vec<_>>>()?;
    Independence::new(&samples)
}

/// Sample sizes and data seed of a toy study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ToyStudy {
    /// Training events.
    pub train: usize,
    /// Evaluation events (losses, AUC), independent of the training set.
    pub eval: usize,
    /// Events at each of `Z = −1, 0, +1` for the independence measure.
    pub per_z: usize,
    /// Seed of every sample (the networks' seed is in the [`PivotConfig`]).
    pub data_seed: u64,
}

/// What a toy study measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyOutcome {
    /// Every epoch's evaluation.
    pub history: Vec<EpochRecord>,
    /// The final evaluation (after the final adversary epochs).
    pub eval: Evaluation,
    /// `−log p_r(z | f(x))` per evaluation event (for paired comparisons between runs, which
    /// share the evaluation sample when they share `data_seed`).
    pub adversary_nll: Vec<f64>,
    /// Dependence of `f(X)` on `Z` after training.
    pub independence: Independence,
}

impl ToyOutcome {
    /// Mean and standard error of this run's adversary loss minus `other`'s, event by event on
    /// the shared evaluation sample (the paired difference has the smaller error).
    pub fn adversary_loss_minus(&self, other: &ToyOutcome) -> (f64, f64) {
        let d: Vec<f64> = self
            .adversary_nll
            .iter()
            .zip(&other.adversary_nll)
            .map(|(a, b)| a - b)
            .collect();
        super::metrics::mean_and_se(&d)
    }
}

/// Train on the toy with `cfg` and measure the result; `on_epoch` sees every epoch's record.
pub fn run(
    cfg: &PivotConfig,
    study: &ToyStudy,
    on_epoch: impl FnMut(&EpochRecord),
) -> Result<ToyOutcome> {
    let train = sample(study.train, child_key(study.data_seed, 10))?;
    let eval = sample(study.eval, child_key(study.data_seed, 11))?;
    let mut trainer = PivotTrainer::new(cfg.clone(), train)?;
    let history = trainer.run(&eval, on_epoch)?;
    Ok(ToyOutcome {
        eval: trainer.evaluate(&eval)?,
        adversary_nll: trainer.adversary_nll(&eval)?,
        independence: independence(
            trainer.classifier(),
            study.per_z,
            child_key(study.data_seed, 12),
        )?,
        history,
    })
}
