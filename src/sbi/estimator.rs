//! The [`Estimator`] trait: what NPE, NLE, MDN-NPE/SCANDAL and NRE/RASCAL have in common.
//!
//! Every estimator is trained by one associated function, `fit(set, prior, x_dim, cfg)`, on a
//! [`SimulationSet`] drawn from `prior` (θ of dimension `prior.dim()`, x of dimension `x_dim`),
//! and once trained answers the queries of [`Posterior`] (samples and log density of the
//! estimated posterior for an observation). Code that trains "some estimator" — the benchmark
//! run of [`super::run()`] — is written once, generic over this trait.

use super::error::Result;
use super::posterior::Posterior;
use super::prior::Prior;
use super::task::SimulationSet;

/// A trainable amortised estimator of the posterior (directly, or through a likelihood or a
/// likelihood ratio).
pub trait Estimator: Posterior + Sized {
    /// Architecture and training settings.
    type Config;
    /// What training reports (epochs run, losses).
    type Report;

    /// Train on a simulation set of `prior` with observations of dimension `x_dim`.
    fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &Self::Config,
    ) -> Result<(Self, Self::Report)>;

    /// Epochs run, from a training report of [`Estimator::fit`].
    fn epochs(report: &Self::Report) -> usize;
}
