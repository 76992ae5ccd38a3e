//! The adversary `r`: a mixture density network (Bishop 1994) modelling `p(z | s)`, `s = f(x)`
//! the classifier's output, as a mixture of Gaussians whose weights (softmax), means (linear)
//! and standard deviations (exponential) are the outputs of an MLP of `s` — the adversary of
//! section 5.1 of the paper.
//!
//! The mixture's log density is the one of the SBI mixture-density estimator
//! ([`crate::sbi::mdn`]), evaluated here on a traced input, so one backward pass gives both the
//! adversary's parameter gradient and `∂L_r/∂s` per event, which is what the classifier's update
//! needs (a vector–Jacobian product back through `f`).

use dfdx::prelude::*;

use super::error::{PivotError, Result};
use crate::nn::{Activation, Mlp, MlpSpec};
use crate::sbi::mdn::mixture_terms;

/// The adversary's loss on a batch and its derivatives.
#[derive(Clone, Debug, PartialEq)]
pub struct AdversaryTerms {
    /// `L_r = −mean log p(zᵢ | sᵢ)`.
    pub loss: f64,
    /// `−log p(zᵢ | sᵢ)` per event.
    pub per_event: Vec<f64>,
    /// `∂L_r/∂θ_r` (flat, in the order of [`Mlp::params`]).
    pub param_grad: Vec<f64>,
    /// `∂L_r/∂sᵢ` per event.
    pub score_grad: Vec<f64>,
}

/// A mixture density network `p_θr(z | s)` with one input (the classifier's output) and one
/// modelled variable (the nuisance).
#[derive(Clone, Debug)]
pub struct Adversary {
    net: Mlp,
    components: usize,
}

impl Adversary {
    /// An adversary with `components` Gaussians and the given hidden layers, initialised from
    /// `seed`.
    pub fn new(
        components: usize,
        hidden: &[usize],
        activation: Activation,
        seed: u64,
    ) -> Result<Self> {
        if components == 0 {
            return Err(PivotError::BadSetting {
                name: "adversary components",
                value: 0.0,
                allowed: "at least 1",
            });
        }
        if let Some(layer) = hidden.iter().position(|&w| w == 0) {
            return Err(PivotError::ZeroWidth {
                which: "adversary",
                layer,
            });
        }
        let mut widths = vec![1];
        widths.extend(hidden);
        widths.push(3 * components);
        let net = Mlp::new(MlpSpec::new(&widths, activation), seed)?;
        Ok(Adversary { net, components })
    }

    /// The network (outputs per row: `K` mixture logits, `K` means, `K` log standard deviations).
    pub fn net(&self) -> &Mlp {
        &self.net
    }

    /// Number of mixture components.
    pub fn components(&self) -> usize {
        self.components
    }

    /// Parameters, flat.
    pub fn params(&self) -> Vec<f64> {
        self.net.params_f64()
    }

    /// Replace the parameters.
    pub fn set_params(&mut self, p: &[f64]) -> Result<()> {
        Ok(self.net.set_params_f64(p)?)
    }

    /// `log p(zᵢ | sᵢ)` per event (no gradients).
    pub fn log_density(&self, s: &[f64], z: &[f64]) -> Result<Vec<f64>> {
        crate::error::check_len(
            "adversary: nuisance values (one per score)",
            s.len(),
            z.len(),
        )?;
        if s.is_empty() {
            return Err(PivotError::Data("adversary: empty batch".into()));
        }
        let st: Tensor<(usize, usize), f64, Cpu> =
            self.net.device().tensor_from_vec(s.to_vec(), (s.len(), 1));
        let out = self.net.forward_tensor(st)?;
        Ok(mixture_terms(out, z, 1, self.components, false).0.as_vec())
    }

    /// The loss `−mean log p(zᵢ | sᵢ)`, per-event values, and its gradients w.r.t. the
    /// parameters and the inputs `sᵢ`.
    pub fn terms(&self, s: &[f64], z: &[f64]) -> Result<AdversaryTerms> {
        crate::error::check_len(
            "adversary: nuisance values (one per score)",
            s.len(),
            z.len(),
        )?;
        let m = s.len();
        if m == 0 {
            return Err(PivotError::Data("adversary: empty batch".into()));
        }
        let dev = self.net.device().clone();
        let st: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(s.to_vec(), (m, 1));
        let out = self.net.forward_tensor(st.leaky_trace())?;
        let (logq, _) = mixture_terms(out, z, 1, self.components, false);
        let per_event: Vec<f64> = logq
            .retaped::<NoneTape>()
            .as_vec()
            .iter()
            .map(|v| -v)
            .collect();
        let loss = logq.mean().negate();
        let value = loss.array();
        let grads = loss.backward();
        let terms = AdversaryTerms {
            loss: value,
            per_event,
            param_grad: self.net.param_gradients(&grads),
            score_grad: grads.get(&st).as_vec(),
        };
        if !terms.loss.is_finite()
            || terms
                .param_grad
                .iter()
                .chain(&terms.score_grad)
                .any(|v| !v.is_finite())
        {
            return Err(PivotError::NonFinite("the adversary's loss"));
        }
        Ok(terms)
    }
}
