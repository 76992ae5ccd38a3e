//! Settings of pivot training, checked before anything runs.

use super::error::{PivotError, Result};
use crate::nn::Activation;

/// Which events enter the adversary's loss `L_r`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdversaryEvents {
    /// Every event: `f(X)` independent of `Z` (the paper's toy, section 5.1).
    All,
    /// Only `Y = 0` events: a pivot conditional on the background class (the paper's physics
    /// example, section 5.2).
    Background,
    /// Only `Y = 1` events: a pivot conditional on the signal class.
    Signal,
}

impl AdversaryEvents {
    /// Whether an event of label `y` enters `L_r`.
    pub fn sees(self, y: f64) -> bool {
        match self {
            AdversaryEvents::All => true,
            AdversaryEvents::Background => y == 0.0,
            AdversaryEvents::Signal => y == 1.0,
        }
    }
}

/// Hidden layers of one network.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    /// Hidden widths (none zero; may be empty for a linear network).
    pub hidden: Vec<usize>,
    /// Activation of the hidden layers.
    pub activation: Activation,
}

/// Settings of [`PivotTrainer`](super::PivotTrainer).
///
/// The schedule is the paper's: pretrain `f` alone (`λ = 0`), pretrain `r` against the fixed
/// `f`, then `epochs` adversarial epochs (each epoch `⌊n/M⌋` classifier steps, each preceded by
/// `K` adversary steps), then `final_adversary_epochs` of a fresh adversary alone against the
/// final `f`, so that the reported `L_r` is that of a converged adversary which did not take
/// part in the game.
#[derive(Clone, Debug, PartialEq)]
pub struct PivotConfig {
    /// Trade-off `λ ≥ 0` in `E_λ = L_f − λ L_r` (0: a plain classifier).
    pub lambda: f64,
    /// Adversary steps `K ≥ 1` per classifier step.
    pub adversary_steps: usize,
    /// Minibatch size `M ≥ 1` (both networks).
    pub batch_size: usize,
    /// Adversarial epochs (≥ 1).
    pub epochs: usize,
    /// Epochs of classifier pretraining (`λ = 0`).
    pub pretrain_classifier_epochs: usize,
    /// Epochs of adversary pretraining against the pretrained classifier.
    pub pretrain_adversary_epochs: usize,
    /// Epochs of a fresh adversary trained against the final classifier (0: report the game's
    /// adversary).
    pub final_adversary_epochs: usize,
    /// Classifier `f`: hidden layers (input width from the data, one output).
    pub classifier: NetConfig,
    /// Adversary `r`: hidden layers (one input, `3·components` outputs).
    pub adversary: NetConfig,
    /// Gaussian components of the adversary's mixture (≥ 1).
    pub components: usize,
    /// Adam learning rate of the classifier (> 0).
    pub classifier_lr: f64,
    /// Adam learning rate of the adversary (> 0).
    pub adversary_lr: f64,
    /// Events entering `L_r`.
    pub adversary_events: AdversaryEvents,
    /// Seed of the initialisations and of the minibatch order.
    pub seed: u64,
}

impl Default for PivotConfig {
    /// The paper's toy settings (section 5.1: `f` with hidden layers 20, 20; `r` a
    /// five-component mixture density network with hidden layers 20, 20; `λ = 50`,
    /// `M = 128`), except: tanh in `r`'s hidden layers (the paper's ReLU adversary can die —
    /// every unit inactive on the range of `f` — and stop constraining `f`, which we observed
    /// at `λ = 50`; see `docs/pivot.md`) and `K = 10` instead of 500, for a schedule of
    /// seconds.
    fn default() -> Self {
        PivotConfig {
            lambda: 50.0,
            adversary_steps: 10,
            batch_size: 128,
            epochs: 20,
            pretrain_classifier_epochs: 10,
            pretrain_adversary_epochs: 10,
            final_adversary_epochs: 10,
            classifier: NetConfig {
                hidden: vec![20, 20],
                activation: Activation::Tanh,
            },
            adversary: NetConfig {
                hidden: vec![20, 20],
                activation: Activation::Tanh,
            },
            components: 5,
            classifier_lr: 1e-3,
            adversary_lr: 1e-2,
            adversary_events: AdversaryEvents::All,
            seed: 0,
        }
    }
}

fn bad(name: &'static str, value: f64, allowed: &'static str) -> Result<()> {
    Err(PivotError::BadSetting {
        name,
        value,
        allowed,
    })
}

impl PivotConfig {
    /// Check every setting.
    pub fn validate(&self) -> Result<()> {
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return bad("lambda", self.lambda, "finite and ≥ 0");
        }
        if self.adversary_steps == 0 {
            return bad("adversary_steps (K)", 0.0, "at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", 0.0, "at least 1");
        }
        if self.epochs == 0 {
            return bad("epochs", 0.0, "at least 1");
        }
        if self.components == 0 {
            return bad("components", 0.0, "at least 1");
        }
        for (name, lr) in [
            ("classifier_lr", self.classifier_lr),
            ("adversary_lr", self.adversary_lr),
        ] {
            if !(lr.is_finite() && lr > 0.0) {
                return bad(name, lr, "finite and > 0");
            }
        }
        for (which, net) in [
            ("classifier", &self.classifier),
            ("adversary", &self.adversary),
        ] {
            if let Some(layer) = net.hidden.iter().position(|&w| w == 0) {
                return Err(PivotError::ZeroWidth { which, layer });
            }
            if let Activation::LeakyRelu(s) = net.activation {
                if !s.is_finite() {
                    return bad("leaky ReLU slope", s, "finite");
                }
            }
        }
        Ok(())
    }
}
