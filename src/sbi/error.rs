//! Errors of the SBI module.

use thiserror::Error;

pub(crate) use crate::error::check_len;
use crate::error::DimensionMismatch;
use crate::flows::FlowError;
use crate::nn::NnError;

/// What can go wrong in simulation-based inference.
#[derive(Debug, Error)]
pub enum SbiError {
    /// A vector had the wrong length.
    #[error("{0}")]
    Dimension(#[from] DimensionMismatch),
    /// A configuration value is out of range.
    #[error("bad configuration: {0}")]
    Config(String),
    /// A task, method or observation name/number that does not exist.
    #[error("unknown {0}")]
    Unknown(String),
    /// A non-finite value where a finite one is needed.
    #[error("non-finite value: {0}")]
    NonFinite(&'static str),
    /// An error of the neural-network layer.
    #[error("network: {0}")]
    Nn(#[from] NnError),
    /// An error of the normalizing-flow layer.
    #[error("flow: {0}")]
    Flow(#[from] FlowError),
    /// A checkpoint could not be written.
    #[error("writing the checkpoint: {0}")]
    Write(#[from] crate::files::WriteError),
}

/// Result with [`SbiError`].
pub type Result<T> = std::result::Result<T, SbiError>;
