//! Design-optimisation loops over a parameter vector.
//!
//! - [`Bounds`] with two ways to respect them ([`BoundMode`]): projection after each step, or a
//!   smooth reparameterisation (the optimizer works on unconstrained `u`, the objective sees
//!   `θ(u)` inside the box, and the gradient picks up `dθ/du`).
//! - [`DesignLoop`]: Adam or SGD ([`Stepper`]) on stochastic or deterministic gradients from an
//!   [`Objective`], stopping rules ([`StopRule`]), a per-step [`History`] (objective, gradient
//!   norm, parameters), [`Observer`]s (a terminal progress bar, a JSON-lines log), and
//!   checkpoint/resume through serde: a resumed run continues bit-identically because the whole
//!   state (parameters, optimizer moments, step counter, history) is plain data and stochastic
//!   objectives draw their randomness from `(seed, step)`.
//! - [`lbfgs`]: argmin's L-BFGS (More–Thuente line search) on any deterministic objective through
//!   the [`ArgminProblem`] adapter.
//! - Surrogates for black-box simulators: a [`GlobalSurrogate`] MLP, and measured
//!   [`GradientBias`] of surrogate gradients against exact ones; [`lgso`], local generative
//!   surrogate optimisation.

mod bounds;
mod design;
mod error;
mod lbfgs;
pub mod lgso;
mod nelder_mead;
mod observe;
mod surrogate;

pub use bounds::{BoundMode, Bounds};
pub use design::{
    DesignLoop, History, Objective, Outcome, StepRecord, Stepper, StopReason, StopRule,
};
pub use error::OptimError;
pub use lbfgs::{lbfgs, ArgminProblem, LbfgsResult};
pub use nelder_mead::{nelder_mead_budget, BudgetResult};
pub use observe::{JsonLinesObserver, Observer, ProgressObserver};
pub use surrogate::{GlobalSurrogate, GradientBias, SurrogateConfig};

#[cfg(test)]
mod tests;
