//! Errors of the network layer.

use std::fmt;

/// Bad input to a network, an optimizer or a weight file.
#[derive(Clone, Debug, PartialEq)]
pub enum NnError {
    /// A layer of width zero (`layer` counts from 0 = inputs).
    EmptyLayer {
        /// Index of the layer in the spec (0 = inputs, last = outputs).
        layer: usize,
    },
    /// A length or shape that does not match what the network expects.
    Dimension {
        /// What was measured.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A hyper-parameter outside its range (name, value).
    BadHyperParameter {
        /// Name of the hyper-parameter.
        name: &'static str,
        /// Value given.
        value: f64,
    },
    /// A weight file that cannot be read or written, or whose content is malformed.
    File(String),
    /// A tape query failed (foreign variable, seed count).
    Tape(crate::tape::TapeError),
}

impl From<crate::tape::TapeError> for NnError {
    fn from(e: crate::tape::TapeError) -> Self {
        NnError::Tape(e)
    }
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::EmptyLayer { layer } => write!(f, "layer {layer} has width 0"),
            NnError::Dimension {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected}, got {got}"),
            NnError::BadHyperParameter { name, value } => {
                write!(f, "bad hyper-parameter {name} = {value}")
            }
            NnError::File(msg) => write!(f, "weight file: {msg}"),
            NnError::Tape(e) => write!(f, "tape: {e}"),
        }
    }
}

impl std::error::Error for NnError {}

/// `Ok(())` if `got == expected`, else a [`NnError::Dimension`].
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), NnError> {
    if expected == got {
        Ok(())
    } else {
        Err(NnError::Dimension {
            what,
            expected,
            got,
        })
    }
}
