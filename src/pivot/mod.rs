//! Adversarial decorrelation: "Learning to Pivot with Adversarial Networks" (G. Louppe,
//! M. Kagan, K. Cranmer, NeurIPS 2017, arXiv:1611.01046).
//!
//! A classifier `f(x; θ_f)` is trained to predict `Y` while an adversary `r(f(x); θ_r)` tries
//! to recover the nuisance parameter `Z` from `f`'s output. The value function
//!
//! `E_λ(θ_f, θ_r) = L_f(θ_f) − λ L_r(θ_f, θ_r)`,
//!
//! with `L_f` the classifier's cross-entropy and `L_r` the adversary's negative log-likelihood
//! `−log p_θr(z | f(x))`, is minimised over `θ_f` and maximised over `θ_r` (= `L_r`
//! minimised) by alternating `K` adversary steps with one classifier step (the paper's
//! Algorithm 1). At the minimax point the adversary can do no better than the prior,
//! `L_r = H(Z)`, which happens exactly when `f(X)` and `Z` are independent: `f` is a *pivot*.
//! `λ` trades classification power for independence when both cannot be had.
//!
//! - [`Classifier`], [`Adversary`]: the two networks ([`crate::nn::Mlp`]); the adversary is a
//!   mixture density network (its mixture density is the SBI one, [`crate::sbi::mdn`]).
//!   [`Classifier::value_and_grad`] gives `E_λ` and `∇θf E_λ`, the adversary's part by a
//!   vector–Jacobian product of `∂L_r/∂f(xᵢ)` through `f`.
//! - [`PivotTrainer`]: pretraining of `f` and `r`, the alternating loop, evaluation; settings
//!   in [`PivotConfig`], checked up front ([`PivotError`]).
//! - [`toy`]: the paper's 2-D toy (section 5.1) and a study runner; [`metrics`]: AUC, KS
//!   distance, [`Independence`].
//!
//! Everything is a pure function of the seeds. See `docs/pivot.md` for measured numbers.
#![allow(clippy::needless_range_loop)]

mod adversary;
mod classifier;
mod config;
mod data;
mod error;
pub mod metrics;
pub mod toy;
mod train;

#[cfg(test)]
mod tests;

pub use adversary::{Adversary, AdversaryTerms};
pub use classifier::{Classifier, ValueTerms};
pub use config::{AdversaryEvents, NetConfig, PivotConfig};
pub use data::PivotData;
pub use error::{PivotError, Result};
pub use metrics::Independence;
pub use train::{EpochRecord, Evaluation, Phase, PivotTrainer};
