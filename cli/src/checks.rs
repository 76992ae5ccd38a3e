//! Checks of the numeric flags, run by clap while parsing (before any work), and of the numbers
//! a subcommand is about to print.
//!
//! The `f64` value parsers reject NaN, ±∞ and out-of-range values with a message clap prefixes
//! with the flag (`invalid value 'nan' for '--sqrt-s <SQRT_S>': must be a finite number > 0`).
//! Counts use `clap::value_parser!(u64).range(..)` at the flag itself. [`representable`] is the
//! last check before printing: a NaN or infinite result is an error naming it, never a number.

use diffhep::error::check_finite;

/// Parse a finite `f64`.
fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("must be a finite number".into())
    }
}

/// Value parser: a finite number (any sign).
pub fn finite_f64(s: &str) -> Result<f64, String> {
    finite(s)
}

/// Value parser: a finite number > 0.
pub fn positive_f64(s: &str) -> Result<f64, String> {
    let v = finite(s).map_err(|e| format!("{e} > 0"))?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err("must be a finite number > 0".into())
    }
}

/// Value parser: a finite number ≥ 0.
pub fn non_negative_f64(s: &str) -> Result<f64, String> {
    let v = finite(s).map_err(|e| format!("{e} ≥ 0"))?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err("must be a finite number ≥ 0".into())
    }
}

/// Every value of `values` is finite, else an error naming `quantity` and the first bad index
/// (`quantity[3]`; no index for a single value).
pub fn representable(quantity: &str, values: &[f64]) -> anyhow::Result<()> {
    for (i, &v) in values.iter().enumerate() {
        if values.len() == 1 {
            check_finite(quantity, v)?;
        } else {
            check_finite(format_args!("{quantity}[{i}]"), v)?;
        }
    }
    Ok(())
}

/// `x` for a human: plain (`91.188`) between 10⁻³ and 10⁶, scientific (`1e300`) outside, so
/// an extreme flag value is not echoed as hundreds of digits.
pub fn number(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_reject_non_finite_and_out_of_range_values() {
        assert_eq!(positive_f64("91.188"), Ok(91.188));
        for bad in ["0", "-1", "nan", "inf", "-inf", "abc", ""] {
            assert!(positive_f64(bad).is_err(), "{bad}");
        }
        assert_eq!(non_negative_f64("0"), Ok(0.0));
        assert!(non_negative_f64("-0.5").is_err());
        assert_eq!(finite_f64("-3"), Ok(-3.0));
        assert!(finite_f64("NaN").is_err());
        assert!(representable("x", &[1.0, 2.0]).is_ok());
        let e = representable("deposit", &[1.0, f64::NAN]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "deposit[1] is NaN (not representable in double precision)"
        );
        assert_eq!(number(91.188), "91.188");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(2.5e-7), "2.5e-7");
        let e = representable("g", &[f64::INFINITY]).unwrap_err();
        assert!(e.to_string().starts_with("g overflows"), "{e}");
    }
}
