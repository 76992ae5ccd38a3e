//! Errors of the network layer.

use thiserror::Error;

pub(crate) use crate::error::check_len;
use crate::error::{DimensionMismatch, NotRepresentable};

/// Bad input to a network, an optimizer or a weight file.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum NnError {
    /// A layer of width zero (`layer` counts from 0 = inputs).
    #[error("layer {layer} has width 0")]
    EmptyLayer {
        /// Index of the layer in the spec (0 = inputs, last = outputs).
        layer: usize,
    },
    /// A length or shape that does not match what the network expects.
    #[error(transparent)]
    Dimension(DimensionMismatch),
    /// A hyper-parameter outside its range (name, value).
    #[error("bad hyper-parameter {name} = {value}")]
    BadHyperParameter {
        /// Name of the hyper-parameter.
        name: &'static str,
        /// Value given.
        value: f64,
    },
    /// A weight file that cannot be read or written, or whose content is malformed.
    #[error("weight file: {0}")]
    File(String),
    /// A tape query failed (foreign variable, seed count).
    #[error("tape: {0}")]
    Tape(#[from] crate::tape::TapeError),
    /// A result (a loss, a correlation) is NaN or overflowed; printed as the
    /// [`NotRepresentable`] itself.
    #[error(transparent)]
    NotRepresentable(#[from] NotRepresentable),
}

impl From<DimensionMismatch> for NnError {
    fn from(e: DimensionMismatch) -> Self {
        NnError::Dimension(e)
    }
}
