//! Errors of adversarial decorrelation.

use thiserror::Error;

use crate::error::DimensionMismatch;
use crate::nn::NnError;

/// What can go wrong when configuring or running pivot training.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum PivotError {
    /// A hyper-parameter outside its range (name, value, what is allowed).
    #[error("bad pivot setting {name} = {value}: {allowed}")]
    BadSetting {
        /// Name of the setting.
        name: &'static str,
        /// Value given (counts converted to `f64`).
        value: f64,
        /// The allowed range.
        allowed: &'static str,
    },
    /// A network width list with a zero entry (`which` names the network).
    #[error("{which} network: hidden layer {layer} has width 0")]
    ZeroWidth {
        /// `"classifier"` or `"adversary"`.
        which: &'static str,
        /// Index into the hidden widths.
        layer: usize,
    },
    /// A data set with inconsistent lengths.
    #[error(transparent)]
    Dimension(#[from] DimensionMismatch),
    /// A data set that cannot be trained on (non-finite values, labels other than 0 and 1,
    /// a class missing, no events for the adversary).
    #[error("bad data: {0}")]
    Data(String),
    /// A loss or gradient became NaN or infinite during training (named by the phase).
    #[error("non-finite loss or gradient in {0}")]
    NonFinite(&'static str),
    /// An error of the network layer.
    #[error("network: {0}")]
    Nn(#[from] NnError),
}

/// Result with [`PivotError`].
pub type Result<T> = std::result::Result<T, PivotError>;
