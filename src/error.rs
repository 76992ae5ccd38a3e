//! Errors shared by the engine's modules: the length mismatch that every input check reports,
//! and the result that double precision cannot represent.
//!
//! Each module's error enum wraps [`DimensionMismatch`] (through `From`), so the one
//! [`check_len`] serves all of them with `?`. Likewise [`NotRepresentable`], from
//! [`check_finite`] and [`check_normal`], is the one error for an estimate or a gradient that is
//! NaN, overflowed to ±∞ or underflowed to 0: such a number is never printed as a result.

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

/// A result that double precision cannot represent: NaN, ±∞ (overflow), or 0 / subnormal for a
/// quantity that cannot vanish (underflow). Prints e.g. `"σ underflows to 0 (not representable
/// in double precision)"`.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("{quantity} {} (not representable in double precision)", describe(*.value))]
pub struct NotRepresentable {
    /// The quantity, named as the user sees it (`σ`, `∂σ/∂MZ`, `A_FB`, …).
    pub quantity: String,
    /// Its value as computed.
    pub value: f64,
}

fn describe(value: f64) -> String {
    if value.is_nan() {
        "is NaN".to_string()
    } else if value.is_infinite() {
        format!("overflows to {value}")
    } else if value == 0.0 {
        "underflows to 0".to_string()
    } else {
        format!("underflows to {value:e}")
    }
}

/// `Ok(value)` if `value` is finite, else a [`NotRepresentable`] naming `quantity`.
pub fn check_finite(quantity: impl std::fmt::Display, value: f64) -> Result<f64, NotRepresentable> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(NotRepresentable {
            quantity: quantity.to_string(),
            value,
        })
    }
}

/// `Ok(value)` if `value` is finite and a normal (non-zero, non-subnormal) number, else a
/// [`NotRepresentable`] naming `quantity`. For quantities that cannot vanish, where 0 or a
/// subnormal value means the computation underflowed.
pub fn check_normal(quantity: impl std::fmt::Display, value: f64) -> Result<f64, NotRepresentable> {
    if value.is_normal() {
        Ok(value)
    } else {
        Err(NotRepresentable {
            quantity: quantity.to_string(),
            value,
        })
    }
}

#[cfg(test)]
mod representable_tests {
    use super::*;

    #[test]
    fn unrepresentable_values_are_named_and_described() {
        assert_eq!(check_finite("σ", 1.5), Ok(1.5));
        assert_eq!(check_finite("σ", 0.0), Ok(0.0));
        assert_eq!(
            check_finite("σ", f64::NAN).unwrap_err().to_string(),
            "σ is NaN (not representable in double precision)"
        );
        assert_eq!(
            check_finite(format_args!("∂σ/∂{}", "MZ"), f64::NEG_INFINITY)
                .unwrap_err()
                .to_string(),
            "∂σ/∂MZ overflows to -inf (not representable in double precision)"
        );
        assert_eq!(check_normal("σ", -2.0), Ok(-2.0));
        assert_eq!(
            check_normal("σ", 0.0).unwrap_err().to_string(),
            "σ underflows to 0 (not representable in double precision)"
        );
        assert_eq!(
            check_normal("σ", 1e-310).unwrap_err().to_string(),
            "σ underflows to 1e-310 (not representable in double precision)"
        );
        assert!(check_normal("σ", f64::INFINITY).is_err());
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
