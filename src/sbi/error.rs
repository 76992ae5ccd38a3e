//! Errors of the SBI module.

use std::fmt;

use crate::nn::NnError;

/// What can go wrong in simulation-based inference.
#[derive(Debug)]
pub enum SbiError {
    /// A vector had the wrong length.
    Dimension {
        /// What was measured.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A configuration value is out of range.
    Config(String),
    /// A task, method or observation name/number that does not exist.
    Unknown(String),
    /// A non-finite value where a finite one is needed.
    NonFinite(&'static str),
    /// An error of the neural-network layer.
    Nn(NnError),
    /// An error of the normalizing-flow layer.
    Flow(String),
}

impl fmt::Display for SbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SbiError::Dimension {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected}, got {got}"),
            SbiError::Config(s) => write!(f, "bad configuration: {s}"),
            SbiError::Unknown(s) => write!(f, "unknown {s}"),
            SbiError::NonFinite(s) => write!(f, "non-finite value: {s}"),
            SbiError::Nn(e) => write!(f, "network: {e}"),
            SbiError::Flow(e) => write!(f, "flow: {e}"),
        }
    }
}

impl std::error::Error for SbiError {}

impl From<NnError> for SbiError {
    fn from(e: NnError) -> Self {
        SbiError::Nn(e)
    }
}

/// Result with [`SbiError`].
pub type Result<T> = std::result::Result<T, SbiError>;

/// Check a length.
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(SbiError::Dimension {
            what,
            expected,
            got,
        })
    }
}
