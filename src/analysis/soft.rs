//! Soft cuts and soft (kernel-density) histograms.
//!
//! With the logistic function `σ(z) = 1/(1 + e^{−z}) = (1 + tanh(z/2))/2`:
//! - soft cut: `w(x) = σ((x − c)/h)` in place of `Θ(x − c)`;
//! - soft histogram: an event at `x` contributes to bin `[e_k, e_{k+1})` the probability that
//!   `x + h·ε`, `ε` logistic, falls in the bin, `σ((e_{k+1} − x)/h) − σ((e_k − x)/h)`. The
//!   contributions of one event over all bins telescope to `σ((e_last − x)/h) − σ((e_0 − x)/h)`:
//!   1 with infinite outer edges, otherwise the rest is returned as underflow and overflow.
//!
//! The logistic kernel plays the role of the Gaussian kernel of neos' "bKDE" (its CDF needs only
//! `tanh`, which every number type has); the bandwidth trades bias (the distance to the hard
//! histogram, O(h) at the bin edges) for smoothness of the gradient.

use crate::error::check_len;
use crate::Scalar;

use super::AnalysisError;

/// `σ(z) = (1 + tanh(z/2))/2`.
fn logistic<S: Scalar>(z: S) -> S {
    ((z * 0.5).tanh() + 1.0) * 0.5
}

fn check_bandwidth(h: f64) -> Result<(), AnalysisError> {
    if h > 0.0 && h.is_finite() {
        Ok(())
    } else {
        Err(AnalysisError::Bandwidth(h))
    }
}

/// The soft step `σ((x − c)/h)` (→ `Θ(x − c)` as `h → 0`); `h` must be positive and finite.
pub fn soft_cut<S: Scalar>(x: &S, cut: f64, h: f64) -> Result<S, AnalysisError> {
    check_bandwidth(h)?;
    Ok(logistic((x.clone() - cut) * h.recip()))
}

/// Bin contents of a soft histogram, with what the kernel puts below the first and above the
/// last edge.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftHistogram<S> {
    /// One content per bin.
    pub bins: Vec<S>,
    /// Weight below the first edge (0 if it is −∞).
    pub underflow: S,
    /// Weight above the last edge (0 if it is +∞).
    pub overflow: S,
}

/// The soft histogram of `values` with optional per-event `weights` (1 otherwise), bin `edges`
/// (strictly increasing; the first may be −∞ and the last +∞) and bandwidth `h`.
pub fn soft_histogram<S: Scalar>(
    values: &[S],
    weights: Option<&[S]>,
    edges: &[f64],
    h: f64,
) -> Result<SoftHistogram<S>, AnalysisError> {
    check_bandwidth(h)?;
    if let Some(w) = weights {
        check_len("weights per value", values.len(), w.len())?;
    }
    if edges.len() < 2 {
        return Err(AnalysisError::Edges(format!(
            "{} given, need at least 2",
            edges.len()
        )));
    }
    for (k, pair) in edges.windows(2).enumerate() {
        if pair.iter().any(|e| e.is_nan()) || pair[0] >= pair[1] {
            return Err(AnalysisError::Edges(format!(
                "edges {k} and {} are {} and {}: they must increase strictly",
                k + 1,
                pair[0],
                pair[1]
            )));
        }
    }
    let inner = &edges[1..edges.len() - 1];
    if let Some(e) = inner.iter().find(|e| !e.is_finite()) {
        return Err(AnalysisError::Edges(format!(
            "inner edge {e} is not finite"
        )));
    }
    let inv_h = h.recip();
    // σ((e − x)/h) for every edge, with σ = 0 at −∞ and 1 at +∞.
    let cdf = |x: &S, e: f64| -> S {
        if e == f64::NEG_INFINITY {
            S::zero()
        } else if e == f64::INFINITY {
            S::one()
        } else {
            logistic((x.clone() - e) * (-inv_h))
        }
    };
    let nb = edges.len() - 1;
    let mut out = SoftHistogram {
        bins: vec![S::zero(); nb],
        underflow: S::zero(),
        overflow: S::zero(),
    };
    for (i, x) in values.iter().enumerate() {
        let w = weights.map_or_else(S::one, |w| w[i].clone());
        let c: Vec<S> = edges.iter().map(|&e| cdf(x, e)).collect();
        for k in 0..nb {
            out.bins[k] += (c[k + 1].clone() - c[k].clone()) * w.clone();
        }
        out.underflow += c[0].clone() * w.clone();
        out.overflow += (c[nb].rsub(1.0)) * w;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, GradCheckConfig};
    use crate::{RealScalar, ScalarFn};

    #[test]
    fn soft_cut_becomes_the_step_and_is_one_half_at_the_cut() {
        assert_eq!(soft_cut(&2.0, 2.0, 0.1).unwrap(), 0.5);
        assert!(soft_cut(&2.1, 2.0, 1e-4).unwrap() > 1.0 - 1e-12);
        assert!(soft_cut(&1.9, 2.0, 1e-4).unwrap() < 1e-12);
        // Exact value: σ(1) = 1/(1 + e^{−1}).
        let v = soft_cut(&3.0, 2.0, 1.0).unwrap();
        assert!((v - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15);
        assert_eq!(soft_cut(&1.0, 0.0, 0.0), Err(AnalysisError::Bandwidth(0.0)));
        assert_eq!(
            soft_cut(&1.0, 0.0, f64::NAN).unwrap_err().to_string(),
            "bandwidth NaN: must be positive and finite"
        );
    }

    #[test]
    fn soft_histogram_conserves_weight_and_tends_to_the_hard_histogram() {
        let xs = [0.1, 0.35, 0.36, 0.52, 0.9, 1.7, -0.4];
        let w = [1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.25];
        let edges = [0.0, 0.25, 0.5, 0.75, 1.0];
        let total: f64 = w.iter().sum();
        for h in [0.5, 0.05, 1e-3] {
            let s = soft_histogram(&xs, Some(&w), &edges, h).unwrap();
            let sum: f64 = s.bins.iter().sum::<f64>() + s.underflow + s.overflow;
            assert!((sum - total).abs() < 1e-12, "h = {h}: {sum}");
        }
        // Hard histogram (no event within 10 h of an edge).
        let s = soft_histogram(&xs, Some(&w), &edges, 1e-4).unwrap();
        let hard = [1.0, 2.5, 1.5, 1.0];
        for (a, b) in s.bins.iter().zip(hard) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!((s.underflow - 0.25).abs() < 1e-12 && (s.overflow - 3.0).abs() < 1e-12);
        // Infinite outer edges keep everything.
        let inf = [f64::NEG_INFINITY, 0.5, f64::INFINITY];
        let s = soft_histogram(&xs, None, &inf, 0.2).unwrap();
        assert_eq!((s.underflow, s.overflow), (0.0, 0.0));
        assert!((s.bins[0] + s.bins[1] - 7.0).abs() < 1e-12);
    }

    struct Hist;
    impl ScalarFn for Hist {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            // Values x[0..3], weights x[3..6]: a smooth function of every bin content.
            let h = soft_histogram(&x[..3], Some(&x[3..]), &[0.0, 0.4, 0.7, 1.0], 0.08).unwrap();
            h.bins[0].clone() * 2.0 + h.bins[1].clone() * h.bins[2].clone() + h.overflow
        }
    }

    #[test]
    fn soft_histogram_gradients_match_finite_differences() {
        let x = [0.38, 0.55, 0.93, 1.2, 0.7, 2.0];
        check_gradient(&Hist, &x, &GradCheckConfig::default()).assert_ok();
    }

    #[test]
    fn bad_input_is_an_error() {
        let e = |edges: &[f64], h: f64| soft_histogram(&[0.5], None, edges, h).unwrap_err();
        assert!(matches!(e(&[0.0], 0.1), AnalysisError::Edges(_)));
        assert!(e(&[0.0, 1.0, 1.0], 0.1)
            .to_string()
            .contains("increase strictly"));
        assert!(e(&[0.0, f64::NAN, 1.0], 0.1)
            .to_string()
            .contains("increase strictly"));
        assert!(e(&[0.0, f64::INFINITY, f64::INFINITY], 0.1)
            .to_string()
            .contains("edges"));
        assert_eq!(e(&[0.0, 1.0], -1.0), AnalysisError::Bandwidth(-1.0));
        let e = soft_histogram(&[0.5, 0.6], Some(&[1.0]), &[0.0, 1.0], 0.1).unwrap_err();
        assert!(matches!(e, AnalysisError::Length(_)), "{e}");
    }
}
