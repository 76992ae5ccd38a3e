//! The classifier `f(x; θ_f) = σ(g(x))`, `g` an MLP with one output (the logit), and the value
//! function `E_λ(θ_f, θ_r) = L_f(θ_f) − λ L_r(θ_f, θ_r)` with its gradient w.r.t. `θ_f`.
//!
//! `L_f` is the mean binary cross-entropy. `L_r` depends on `θ_f` only through the scores
//! `sᵢ = f(xᵢ)`, so `∇θf L_r = Σᵢ (∂L_r/∂sᵢ) ∇θf sᵢ`: the adversary supplies `∂L_r/∂sᵢ`
//! ([`Adversary::terms`]), and the classifier's dfdx graph differentiates the surrogate
//! `L_f − λ Σᵢ sᵢ·(∂L_r/∂sᵢ)` (the `∂L_r/∂sᵢ` held constant), whose gradient is exactly
//! `∇θf E_λ` — a vector–Jacobian product through `f`.

use dfdx::prelude::*;

use super::adversary::Adversary;
use super::error::{PivotError, Result};
use crate::nn::{Activation, Mlp, MlpSpec};

/// A binary classifier `f(x) = σ(logit(x))` on an MLP.
#[derive(Clone, Debug)]
pub struct Classifier {
    net: Mlp,
}

/// The value function and its two losses on a batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueTerms {
    /// `L_f`: mean binary cross-entropy of the classifier.
    pub classifier_loss: f64,
    /// `L_r`: the adversary's mean negative log-likelihood of `z` given `f(x)` over the events
    /// it sees (0 if it sees none of the batch).
    pub adversary_loss: f64,
    /// `E_λ = L_f − λ L_r`.
    pub value: f64,
}

impl Classifier {
    /// A classifier of `dim` features with the given hidden layers, initialised from `seed`.
    pub fn new(dim: usize, hidden: &[usize], activation: Activation, seed: u64) -> Result<Self> {
        if let Some(layer) = hidden.iter().position(|&w| w == 0) {
            return Err(PivotError::ZeroWidth {
                which: "classifier",
                layer,
            });
        }
        let mut widths = vec![dim];
        widths.extend(hidden);
        widths.push(1);
        Ok(Classifier {
            net: Mlp::new(MlpSpec::new(&widths, activation), seed)?,
        })
    }

    /// The network (its output is the logit).
    pub fn net(&self) -> &Mlp {
        &self.net
    }

    /// Parameters, flat.
    pub fn params(&self) -> Vec<f64> {
        self.net.params_f64()
    }

    /// Replace the parameters.
    pub fn set_params(&mut self, p: &[f64]) -> Result<()> {
        Ok(self.net.set_params_f64(p)?)
    }

    /// Logits of a flat batch (`x.len()` a multiple of the input width).
    pub fn logits(&self, x: &[f64]) -> Result<Vec<f64>> {
        Ok(self.net.forward(x)?)
    }

    /// Scores `f(x) = σ(logit(x)) ∈ (0, 1)` of a flat batch.
    pub fn scores(&self, x: &[f64]) -> Result<Vec<f64>> {
        Ok(self
            .logits(x)?
            .into_iter()
            .map(|l| 1.0 / (1.0 + (-l).exp()))
            .collect())
    }

    /// `E_λ` on a batch and its gradient w.r.t. the classifier's parameters (the adversary
    /// fixed). `x` holds the batch's features (flat), `y` the labels, `z` the nuisance values;
    /// `adversary_sees[i]` says whether event `i` enters `L_r`. With `lambda = 0` the adversary
    /// is not evaluated and `adversary_loss` is reported as 0.
    pub fn value_and_grad(
        &self,
        adversary: &Adversary,
        x: &[f64],
        y: &[f64],
        z: &[f64],
        adversary_sees: &[bool],
        lambda: f64,
    ) -> Result<(ValueTerms, Vec<f64>)> {
        let m = y.len();
        crate::error::check_len(
            "classifier batch: features",
            m * self.net.spec().inputs(),
            x.len(),
        )?;
        crate::error::check_len("classifier batch: nuisance values", m, z.len())?;
        crate::error::check_len("classifier batch: adversary mask", m, adversary_sees.len())?;
        // ∂L_r/∂sᵢ from the adversary, zero for the events it does not see.
        let mut ds = vec![0.0; m];
        let mut adversary_loss = 0.0;
        let seen: Vec<usize> = (0..m).filter(|&i| adversary_sees[i]).collect();
        if lambda != 0.0 && !seen.is_empty() {
            let s = self.scores(x)?;
            let sv: Vec<f64> = seen.iter().map(|&i| s[i]).collect();
            let zv: Vec<f64> = seen.iter().map(|&i| z[i]).collect();
            let t = adversary.terms(&sv, &zv)?;
            adversary_loss = t.loss;
            for (k, &i) in seen.iter().enumerate() {
                ds[i] = t.score_grad[k];
            }
        }
        let dev = self.net.device().clone();
        let xt: Tensor<(usize, usize), f64, Cpu> =
            dev.tensor_from_vec(x.to_vec(), (m, self.net.spec().inputs()));
        let target: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(y.to_vec(), (m, 1));
        let g: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(ds, (m, 1));
        let logits = self.net.forward_tensor(xt.leaky_trace())?;
        let for_adversary = logits.with_empty_tape();
        let bce = dfdx::losses::binary_cross_entropy_with_logits_loss(logits, target);
        let classifier_loss = bce.array();
        // The surrogate's value is not E_λ, its gradient is.
        let coupling = (for_adversary.sigmoid() * g).sum() * lambda;
        let grads = (bce - coupling).backward();
        let grad = self.net.param_gradients(&grads);
        let terms = ValueTerms {
            classifier_loss,
            adversary_loss,
            value: classifier_loss - lambda * adversary_loss,
        };
        if !terms.value.is_finite() || grad.iter().any(|v| !v.is_finite()) {
            return Err(PivotError::NonFinite("the classifier's value function"));
        }
        Ok((terms, grad))
    }
}
