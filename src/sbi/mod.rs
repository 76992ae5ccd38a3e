//! Simulation-based inference (SBI): neural posterior, likelihood and ratio estimation, and the
//! gradient-augmented estimators that only a differentiable simulator makes possible.
//!
//! - [`Estimator`]: the trait of the trained estimators (NPE and NLE in [`flow_estimators`],
//!   MDN-NPE/SCANDAL in [`mdn`], NRE/RASCAL in [`ratio`]): one `fit(set, prior, x_dim, cfg)`
//!   and the posterior queries of [`Posterior`].
//! - [`Task`]: prior, simulator, reference observations and reference posteriors;
//!   [`tasks`] has sbibm's two_moons, gaussian_linear and SLCP and the Galton board of
//!   "Mining gold" (the physics task e+e-→μ+μ- lives in `diffhep-physics`); [`TaskRegistry`]
//!   finds tasks by name and takes other crates' tasks.
//! - [`sampler`]: SMC with MALA moves on a batched log-likelihood with gradients (reference
//!   posteriors on exact likelihoods; NLE and NRE posteriors on network likelihoods).
//! - [`run`](mod@run), [`checkpoint`]: one benchmark run, resumable at its phase boundaries.
//! - [`eig`]: expected information gain for Bayesian optimal experimental design (nested Monte
//!   Carlo, and bounds from the NPE, NLE and NRE estimators), design gradients, multi-start ascent.
//! - [`mod@c2st`], [`calibration`]: the diagnostics (classifier two-sample test as in sbibm, SBC
//!   ranks, expected coverage).
//!
//! See `docs/sbi.md` for the methods, the choices made and measured numbers.
#![allow(clippy::needless_range_loop)]

pub mod c2st;
pub mod calibration;
pub mod checkpoint;
pub mod eig;
mod error;
pub mod estimator;
pub mod flow_estimators;
pub mod mdn;
pub mod network;
pub mod posterior;
pub mod prior;
pub mod ratio;
pub mod registry;
pub mod run;
pub mod sampler;
pub mod task;
pub mod tasks;
pub mod train;

#[cfg(test)]
mod tests;

pub use c2st::{c2st, C2stConfig, C2stResult};
pub use checkpoint::RunCheckpoint;
pub use error::{Result, SbiError};
pub use estimator::Estimator;
pub use flow_estimators::{
    FlowEstimator, FlowEstimatorConfig, FlowSelection, FlowTarget, NleEstimator, NpeEstimator,
};
pub use mdn::{MdnConfig, MdnEstimator};
pub use posterior::Posterior;
pub use prior::Prior;
pub use ratio::{RatioConfig, RatioEstimator};
pub use registry::{TaskFactory, TaskRegistry};
pub use run::{run, run_resumable, Method, RunConfig, RunReport};
pub use task::{simulate_set, Observation, SimulationSet, Task};
