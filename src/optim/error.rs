//! Errors of the optimisation layer.

use std::fmt;

use crate::nn::NnError;

/// Bad input to, or failure of, an optimisation run.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimError {
    /// Lower bound above upper bound (or NaN) for parameter `index`.
    Bounds {
        /// Parameter index.
        index: usize,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// A starting value outside its bounds.
    OutOfBounds {
        /// Parameter index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A length that does not match the number of parameters.
    Dimension {
        /// What was measured.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The objective or its gradient was NaN or infinite.
    NonFinite {
        /// Step at which it happened.
        step: usize,
        /// `"objective"` or `"gradient"`.
        what: &'static str,
    },
    /// An optimizer hyper-parameter was rejected.
    Optimizer(NnError),
    /// A checkpoint or log could not be written or read.
    Io(String),
    /// argmin reported an error.
    Argmin(String),
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimError::Bounds { index, lo, hi } => {
                write!(
                    f,
                    "bounds of parameter {index}: lo = {lo} is not <= hi = {hi}"
                )
            }
            OptimError::OutOfBounds { index, value } => {
                write!(f, "parameter {index} = {value} lies outside its bounds")
            }
            OptimError::Dimension {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected}, got {got}"),
            OptimError::NonFinite { step, what } => {
                write!(f, "non-finite {what} at step {step}")
            }
            OptimError::Optimizer(e) => write!(f, "optimizer: {e}"),
            OptimError::Io(m) => write!(f, "i/o: {m}"),
            OptimError::Argmin(m) => write!(f, "argmin: {m}"),
        }
    }
}

impl std::error::Error for OptimError {}

impl From<NnError> for OptimError {
    fn from(e: NnError) -> Self {
        OptimError::Optimizer(e)
    }
}

/// `Ok(())` if `got == expected`, else [`OptimError::Dimension`].
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), OptimError> {
    if expected == got {
        Ok(())
    } else {
        Err(OptimError::Dimension {
            what,
            expected,
            got,
        })
    }
}
