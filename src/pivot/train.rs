//! The training loop of Algorithm 1 of the paper: `K` adversary steps (descend `L_r` over
//! `θ_r`, `f` fixed) per classifier step (descend `E_λ = L_f − λ L_r` over `θ_f`, `r` fixed),
//! preceded by pretraining of `f` (with `λ = 0`) and of `r`, with Adam on both networks.

use super::adversary::Adversary;
use super::classifier::{Classifier, ValueTerms};
use super::config::PivotConfig;
use super::data::PivotData;
use super::error::{PivotError, Result};
use super::metrics::{auc, mean_and_se};
use crate::nn::{Adam, AdamConfig};
use crate::sbi::prior::permutation;
use crate::stochastic::rng::child_key;

/// A phase of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `f` alone, `λ = 0`.
    PretrainClassifier,
    /// `r` alone against the pretrained `f`.
    PretrainAdversary,
    /// Alternating updates of `r` (`K` steps) and `f` (one step on `E_λ`).
    Adversarial,
    /// `r` alone against the final `f`.
    FinalAdversary,
}

/// The networks judged on an evaluation sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// `L_f`: mean binary cross-entropy.
    pub classifier_loss: f64,
    /// `L_r`: mean of `−log p_r(z | f(x))` over the events the adversary sees.
    pub adversary_loss: f64,
    /// Standard error of `adversary_loss` (sample standard deviation of the per-event values
    /// over `√n`).
    pub adversary_loss_se: f64,
    /// `E_λ = L_f − λ L_r`.
    pub value: f64,
    /// Area under the ROC curve of `f`.
    pub auc: f64,
}

/// One line of the training history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// Phase of the schedule.
    pub phase: Phase,
    /// Epoch within the phase, from 1.
    pub epoch: usize,
    /// Evaluation after the epoch.
    pub eval: Evaluation,
}

/// Minibatches drawn without replacement from a list of rows, reshuffled (seeded) whenever the
/// list is used up.
#[derive(Clone, Debug)]
struct Batches {
    rows: Vec<usize>,
    seed: u64,
    pass: u64,
    order: Vec<usize>,
    at: usize,
}

impl Batches {
    fn new(rows: Vec<usize>, seed: u64) -> Self {
        Batches {
            rows,
            seed,
            pass: 0,
            order: Vec::new(),
            at: 0,
        }
    }

    /// The next `m` rows (fewer if the list is shorter than `m`).
    fn next(&mut self, m: usize) -> Vec<usize> {
        let m = m.min(self.rows.len());
        let mut out = Vec::with_capacity(m);
        while out.len() < m {
            if self.at == self.order.len() {
                self.order = permutation(self.rows.len(), child_key(self.seed, self.pass));
                self.pass += 1;
                self.at = 0;
            }
            out.push(self.rows[self.order[self.at]]);
            self.at += 1;
        }
        out
    }
}

/// Adversarial training of a classifier against a mixture-density adversary on one training
/// set (see the [module documentation](super)).
#[derive(Clone, Debug)]
pub struct PivotTrainer {
    cfg: PivotConfig,
    train: PivotData,
    classifier: Classifier,
    adversary: Adversary,
    classifier_opt: Adam,
    adversary_opt: Adam,
    classifier_batches: Batches,
    adversary_batches: Batches,
}

impl PivotTrainer {
    /// Check the settings and the data, and initialise both networks from `cfg.seed`.
    pub fn new(cfg: PivotConfig, train: PivotData) -> Result<Self> {
        cfg.validate()?;
        let n = train.len();
        let signal = train.y().iter().filter(|&&y| y == 1.0).count();
        if signal == 0 || signal == n {
            return Err(PivotError::Data(
                "the training set needs events of both classes".into(),
            ));
        }
        let seen: Vec<usize> = (0..n)
            .filter(|&i| cfg.adversary_events.sees(train.y()[i]))
            .collect();
        // Both classes are present, so every choice of adversary events sees some.
        let classifier = Classifier::new(
            train.dim(),
            &cfg.classifier.hidden,
            cfg.classifier.activation,
            child_key(cfg.seed, 1),
        )?;
        let adversary = Adversary::new(
            cfg.components,
            &cfg.adversary.hidden,
            cfg.adversary.activation,
            child_key(cfg.seed, 2),
        )?;
        let classifier_opt = Adam::new(
            classifier.net().num_params(),
            AdamConfig::with_lr(cfg.classifier_lr),
        )?;
        let adversary_opt = Adam::new(
            adversary.net().num_params(),
            AdamConfig::with_lr(cfg.adversary_lr),
        )?;
        Ok(PivotTrainer {
            classifier_batches: Batches::new((0..n).collect(), child_key(cfg.seed, 3)),
            adversary_batches: Batches::new(seen, child_key(cfg.seed, 4)),
            cfg,
            train,
            classifier,
            adversary,
            classifier_opt,
            adversary_opt,
        })
    }

    /// The settings.
    pub fn config(&self) -> &PivotConfig {
        &self.cfg
    }

    /// The classifier `f`.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The adversary `r`.
    pub fn adversary(&self) -> &Adversary {
        &self.adversary
    }

    /// Which events of a batch the adversary sees.
    fn mask(&self, y: &[f64]) -> Vec<bool> {
        y.iter()
            .map(|&v| self.cfg.adversary_events.sees(v))
            .collect()
    }

    /// Minibatch steps in one epoch over `rows` events.
    fn steps_per_epoch(&self, rows: usize) -> usize {
        (rows / self.cfg.batch_size).max(1)
    }

    /// One Adam step of the adversary on the next minibatch of its events (`f` fixed).
    fn adversary_step(&mut self) -> Result<f64> {
        let rows = self.adversary_batches.next(self.cfg.batch_size);
        let s = self.classifier.scores(&self.train.rows_x(&rows))?;
        let t = self.adversary.terms(&s, &self.train.rows_z(&rows))?;
        let mut p = self.adversary.params();
        self.adversary_opt.step(&mut p, &t.param_grad)?;
        self.adversary.set_params(&p)?;
        Ok(t.loss)
    }

    /// One Adam step of the classifier on `E_λ` over the next minibatch (`r` fixed).
    fn classifier_step(&mut self, lambda: f64) -> Result<ValueTerms> {
        let rows = self.classifier_batches.next(self.cfg.batch_size);
        let y = self.train.rows_y(&rows);
        let (terms, g) = self.classifier.value_and_grad(
            &self.adversary,
            &self.train.rows_x(&rows),
            &y,
            &self.train.rows_z(&rows),
            &self.mask(&y),
            lambda,
        )?;
        let mut p = self.classifier.params();
        self.classifier_opt.step(&mut p, &g)?;
        self.classifier.set_params(&p)?;
        Ok(terms)
    }

    /// Replace the adversary by a fresh one (its own initialisation seed, new optimizer
    /// state): the start of the final phase, so that the final `L_r` audits `f` with an
    /// adversary that did not take part in the game (a game adversary can end up insensitive
    /// to its input — e.g. with dead ReLUs — and would then report `H(Z)` for a classifier
    /// that is not a pivot).
    pub fn reset_adversary(&mut self) -> Result<()> {
        self.adversary = Adversary::new(
            self.cfg.components,
            &self.cfg.adversary.hidden,
            self.cfg.adversary.activation,
            child_key(self.cfg.seed, 5),
        )?;
        self.adversary_opt = Adam::new(
            self.adversary.net().num_params(),
            AdamConfig::with_lr(self.cfg.adversary_lr),
        )?;
        Ok(())
    }

    /// One epoch of classifier pretraining (`λ = 0`).
    pub fn pretrain_classifier_epoch(&mut self) -> Result<()> {
        for _ in 0..self.steps_per_epoch(self.train.len()) {
            self.classifier_step(0.0)?;
        }
        Ok(())
    }

    /// One epoch of adversary training against the current, fixed classifier.
    pub fn adversary_epoch(&mut self) -> Result<()> {
        for _ in 0..self.steps_per_epoch(self.adversary_batches.rows.len()) {
            self.adversary_step()?;
        }
        Ok(())
    }

    /// One adversarial epoch: `⌊n/M⌋` classifier steps on `E_λ`, each after `K` adversary
    /// steps.
    pub fn adversarial_epoch(&mut self) -> Result<()> {
        for _ in 0..self.steps_per_epoch(self.train.len()) {
            for _ in 0..self.cfg.adversary_steps {
                self.adversary_step()?;
            }
            self.classifier_step(self.cfg.lambda)?;
        }
        Ok(())
    }

    /// `−log p_r(zᵢ | f(xᵢ))` for the events of `data` the adversary sees, in order.
    pub fn adversary_nll(&self, data: &PivotData) -> Result<Vec<f64>> {
        crate::error::check_len("evaluation features", self.train.dim(), data.dim())?;
        let seen: Vec<usize> = (0..data.len())
            .filter(|&i| self.cfg.adversary_events.sees(data.y()[i]))
            .collect();
        if seen.is_empty() {
            return Err(PivotError::Data(
                "the evaluation set has no events for the adversary".into(),
            ));
        }
        let s = self.classifier.scores(&data.rows_x(&seen))?;
        Ok(self
            .adversary
            .log_density(&s, &data.rows_z(&seen))?
            .into_iter()
            .map(|v| -v)
            .collect())
    }

    /// `L_f`, `L_r` (with its standard error), `E_λ` and the AUC on `data`.
    pub fn evaluate(&self, data: &PivotData) -> Result<Evaluation> {
        crate::error::check_len("evaluation features", self.train.dim(), data.dim())?;
        let logits = self.classifier.logits(data.x())?;
        // −log σ(t) = softplus(−t), computed without overflow.
        let softplus = |t: f64| t.max(0.0) + (-t.abs()).exp().ln_1p();
        let classifier_loss = logits
            .iter()
            .zip(data.y())
            .map(|(&l, &y)| if y == 1.0 { softplus(-l) } else { softplus(l) })
            .sum::<f64>()
            / data.len() as f64;
        let (adversary_loss, adversary_loss_se) = mean_and_se(&self.adversary_nll(data)?);
        let scores: Vec<f64> = logits.iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect();
        Ok(Evaluation {
            classifier_loss,
            adversary_loss,
            adversary_loss_se,
            value: classifier_loss - self.cfg.lambda * adversary_loss,
            auc: auc(&scores, data.y())?,
        })
    }

    /// The whole schedule (see [`PivotConfig`]), evaluating on `eval` after every epoch and
    /// passing each record to `on_epoch` as well as returning them all.
    pub fn run(
        &mut self,
        eval: &PivotData,
        mut on_epoch: impl FnMut(&EpochRecord),
    ) -> Result<Vec<EpochRecord>> {
        let mut history = Vec::new();
        let phases = [
            (
                Phase::PretrainClassifier,
                self.cfg.pretrain_classifier_epochs,
            ),
            (Phase::PretrainAdversary, self.cfg.pretrain_adversary_epochs),
            (Phase::Adversarial, self.cfg.epochs),
            (Phase::FinalAdversary, self.cfg.final_adversary_epochs),
        ];
        for (phase, epochs) in phases {
            if phase == Phase::FinalAdversary && epochs > 0 {
                self.reset_adversary()?;
            }
            for epoch in 1..=epochs {
                match phase {
                    Phase::PretrainClassifier => self.pretrain_classifier_epoch()?,
                    Phase::PretrainAdversary | Phase::FinalAdversary => self.adversary_epoch()?,
                    Phase::Adversarial => self.adversarial_epoch()?,
                }
                let record = EpochRecord {
                    phase,
                    epoch,
                    eval: self.evaluate(eval)?,
                };
                on_epoch(&record);
                history.push(record);
            }
        }
        Ok(history)
    }
}
