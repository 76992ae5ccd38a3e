//! Errors shared by the engine's modules: the length mismatch that every input check reports.
//!
//! Each module's error enum wraps [`DimensionMismatch`] (through `From`), so the one
//! [`check_len`] serves all of them with `?`.

use thiserror::Error;

/// A length or count that differs from the one expected; prints `"{what}: expected {expected},
/// got {got}"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("{what}: expected {expected}, got {got}")]
pub struct DimensionMismatch {
    /// What was measured.
    pub what: &'static str,
    /// Expected length.
    pub expected: usize,
    /// Length given.
    pub got: usize,
}

/// `Ok(())` if `got == expected`, else a [`DimensionMismatch`] (convert it with `?`).
pub fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), DimensionMismatch> {
    if expected == got {
        Ok(())
    } else {
        Err(DimensionMismatch {
            what,
            expected,
            got,
        })
    }
}

#[cfg(all(test, feature = "learn"))]
mod tests {
    use super::*;
    use crate::flows::FlowError;
    use crate::implicit::ImplicitError;
    use crate::nn::NnError;
    use crate::optim::OptimError;
    use crate::sbi::SbiError;
    use crate::tape::TapeError;

    #[test]
    fn every_module_prints_a_mismatch_as_before() {
        let e = check_len("weights", 3, 2).unwrap_err();
        assert_eq!(e.to_string(), "weights: expected 3, got 2");
        assert_eq!(
            OptimError::from(e).to_string(),
            "weights: expected 3, got 2"
        );
        assert_eq!(SbiError::from(e).to_string(), "weights: expected 3, got 2");
        assert_eq!(FlowError::from(e).to_string(), "weights: expected 3, got 2");
        assert_eq!(NnError::from(e).to_string(), "weights: expected 3, got 2");
        assert_eq!(
            ImplicitError::from(e).to_string(),
            "weights: expected length 3, got 2"
        );
        assert_eq!(
            TapeError::from(e).to_string(),
            "weights: expected length 3, got 2"
        );
        assert!(check_len("weights", 2, 2).is_ok());
    }

    #[test]
    fn inner_errors_are_sources() {
        use std::error::Error as _;
        let flow = FlowError::from(check_len("x", 1, 0).unwrap_err());
        let sbi = SbiError::from(flow.clone());
        assert_eq!(sbi.to_string(), "flow: x: expected 1, got 0");
        assert_eq!(sbi.source().unwrap().to_string(), flow.to_string());
    }
}
