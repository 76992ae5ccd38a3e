//! Errors of the optimisation layer.

use thiserror::Error;

pub(crate) use crate::error::check_len;
use crate::error::DimensionMismatch;
use crate::nn::NnError;

/// Bad input to, or failure of, an optimisation run.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum OptimError {
    /// Lower bound above upper bound (or NaN) for parameter `index`.
    #[error("bounds of parameter {index}: lo = {lo} is not <= hi = {hi}")]
    Bounds {
        /// Parameter index.
        index: usize,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// A starting value outside its bounds.
    #[error("parameter {index} = {value} lies outside its bounds")]
    OutOfBounds {
        /// Parameter index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A length that does not match the number of parameters.
    #[error(transparent)]
    Dimension(DimensionMismatch),
    /// The objective or its gradient was NaN or infinite.
    #[error("non-finite {what} at step {step}")]
    NonFinite {
        /// Step at which it happened.
        step: usize,
        /// `"objective"` or `"gradient"`.
        what: &'static str,
    },
    /// An optimizer hyper-parameter was rejected.
    #[error("optimizer: {0}")]
    Optimizer(#[from] NnError),
    /// A checkpoint or log could not be written or read.
    #[error("i/o: {0}")]
    Io(String),
    /// argmin reported an error.
    #[error("argmin: {0}")]
    Argmin(String),
}

impl From<DimensionMismatch> for OptimError {
    fn from(e: DimensionMismatch) -> Self {
        OptimError::Dimension(e)
    }
}
