//! Errors of the expected-information-gain module.

use thiserror::Error;

use crate::error::DimensionMismatch;
use crate::nn::NnError;
use crate::optim::OptimError;
use crate::sbi::SbiError;

/// What can go wrong when estimating or optimising the expected information gain.
#[derive(Debug, Error)]
pub enum EigError {
    /// A vector had the wrong length (design, observation, noise, bounds …).
    #[error("{0}")]
    Dimension(#[from] DimensionMismatch),
    /// A design component is NaN or infinite.
    #[error("design component {index} = {value} is not finite")]
    NonFiniteDesign {
        /// Index of the offending component.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A sample count that must be positive is zero (outer, inner or contrastive samples,
    /// simulations, starts, steps).
    #[error("{0} must be positive")]
    ZeroSamples(&'static str),
    /// A setting out of range.
    #[error("bad configuration: {0}")]
    Config(String),
    /// The estimator needs `log p(x|θ, d)` but the simulator does not provide it.
    #[error("the simulator has no tractable likelihood (needed by {0})")]
    NoLikelihood(&'static str),
    /// A per-sample term, an estimate or a gradient came out NaN or infinite.
    #[error("non-finite {0}")]
    NonFinite(&'static str),
    /// An error of a trained SBI estimator (NPE, NLE, NRE) or of its training.
    #[error("estimator: {0}")]
    Estimator(#[from] SbiError),
    /// An error of the flow under an NPE or NLE estimator.
    #[error("flow: {0}")]
    Flow(#[from] crate::flows::FlowError),
    /// An error of the design optimiser (Adam settings, bounds).
    #[error("optimiser: {0}")]
    Optim(#[from] OptimError),
    /// An error of the network layer (Adam's hyper-parameters).
    #[error("network: {0}")]
    Nn(#[from] NnError),
}

/// Result with [`EigError`].
pub type Result<T> = std::result::Result<T, EigError>;
