//! Median discovery significance from the Asimov data set.
//!
//! For a counting experiment with expected signal `s` and background `b`, the Asimov data set
//! `n = s + b` gives the median of the discovery test statistic `q₀` under the signal
//! hypothesis, and the median significance `Z = √q₀` (Cowan, Cranmer, Gross, Vitells, Eur.
//! Phys. J. C 71 (2011) 1554, eq. 97):
//!
//! ```text
//! Z_A = √(2 ((s + b) ln(1 + s/b) − s))                                   (→ s/√b for s ≪ b)
//! ```
//!
//! With a background known to ±σ_b from a control measurement (the on/off problem: `m ~
//! Poisson(τ b)`, `τ = b/σ_b²`), profiling the background gives (G. Cowan, "Discovery
//! sensitivity for a counting experiment with background uncertainty", 2012)
//!
//! ```text
//! Z = √(2 [(s + b) ln((s + b)(b + σ²)/(b² + (s + b) σ²)) − (b²/σ²) ln(1 + σ² s/(b (b + σ²)))])
//! ```
//!
//! which is what pyhf computes for one bin with a `shapesys` background modifier (tested against
//! stored pyhf numbers). Independent bins with a common signal strength add in quadrature
//! (`q₀` is a sum over bins on Asimov data, the fit giving μ̂ = 1 and each bin's nuisance its
//! nominal value), which [`asimov_significance_binned`] uses.
//!
//! Every function is generic over [`RealScalar`], so the significance is differentiable w.r.t.
//! the yields and the uncertainty (at `s > 0`; the square root has no derivative at `Z = 0`).

use crate::error::check_len;
use crate::RealScalar;

use super::AnalysisError;

fn check(what: &str, v: f64, ok: bool, rule: &'static str) -> Result<(), AnalysisError> {
    if ok && v.is_finite() {
        Ok(())
    } else {
        Err(AnalysisError::Yield {
            what: what.to_string(),
            value: v,
            rule,
        })
    }
}

fn check_yields<S: RealScalar>(s: &S, b: &S) -> Result<(), AnalysisError> {
    check("s", s.value(), s.value() >= 0.0, "must be finite and ≥ 0")?;
    check("b", b.value(), b.value() > 0.0, "must be finite and > 0")
}

fn q0<S: RealScalar>(s: &S, b: &S) -> S {
    ((s.clone() + b.clone()) * (s.clone() / b.clone()).ln_1p() - s.clone()) * 2.0
}

fn q0_uncertain<S: RealScalar>(s: &S, b: &S, sigma: &S) -> S {
    let v = sigma.clone() * sigma.clone();
    let n = s.clone() + b.clone();
    let first = n.clone()
        * ((n.clone() * (b.clone() + v.clone())) / (b.clone() * b.clone() + n * v.clone())).ln();
    let second = (b.clone() * b.clone() / v.clone())
        * (v.clone() * s.clone() / (b.clone() * (b.clone() + v))).ln_1p();
    (first - second) * 2.0
}

/// `Z_A(s, b)`; `s ≥ 0`, `b > 0`.
pub fn asimov_significance<S: RealScalar>(s: &S, b: &S) -> Result<S, AnalysisError> {
    check_yields(s, b)?;
    Ok(q0(s, b).max(&S::zero()).sqrt())
}

/// `Z` with a background uncertainty `sigma_b > 0` (absolute, in events).
pub fn asimov_significance_with_uncertainty<S: RealScalar>(
    s: &S,
    b: &S,
    sigma_b: &S,
) -> Result<S, AnalysisError> {
    check_yields(s, b)?;
    check_sigma(sigma_b)?;
    Ok(q0_uncertain(s, b, sigma_b).max(&S::zero()).sqrt())
}

fn check_sigma<S: RealScalar>(sigma_b: &S) -> Result<(), AnalysisError> {
    check(
        "sigma_b",
        sigma_b.value(),
        sigma_b.value() > 0.0,
        "must be finite and > 0 (without an uncertainty use asimov_significance)",
    )
}

/// `Z` of independent bins with a common signal strength: `√(Σ_i q₀,i)`, each bin with its
/// own background uncertainty if `sigma_b` is given (uncorrelated between bins).
pub fn asimov_significance_binned<S: RealScalar>(
    s: &[S],
    b: &[S],
    sigma_b: Option<&[S]>,
) -> Result<S, AnalysisError> {
    check_len("background bins per signal bin", s.len(), b.len())?;
    if let Some(sig) = sigma_b {
        check_len("background uncertainties per bin", s.len(), sig.len())?;
    }
    let mut total = S::zero();
    for i in 0..s.len() {
        check_yields(&s[i], &b[i]).map_err(|e| match e {
            AnalysisError::Yield { what, value, rule } => AnalysisError::Yield {
                what: format!("{what}[{i}]"),
                value,
                rule,
            },
            e => e,
        })?;
        // q₀ of each bin is added directly (not as Z²): a bin without signal has q₀ = 0 with
        // slope 0, while √q₀ has no derivative there.
        total += match sigma_b {
            Some(sig) => {
                check_sigma(&sig[i])?;
                q0_uncertain(&s[i], &b[i], &sig[i]).max(&S::zero())
            }
            None => q0(&s[i], &b[i]).max(&S::zero()),
        };
    }
    Ok(total.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, GradCheckConfig};
    use crate::ScalarFn;

    /// ln Poisson(n | λ) without the n-dependent constant (it cancels in ratios).
    fn ln_pois(n: f64, lam: f64) -> f64 {
        n * lam.ln() - lam
    }

    #[test]
    fn closed_forms_equal_the_profiled_likelihood_ratio_on_asimov_data() {
        // q₀ = −2 ln L(μ = 0, b̂̂)/L(μ̂, b̂) evaluated directly: n = s + b, m = τ b, μ̂ = 1,
        // b̂ = b, and at μ = 0 the profiled background b̂̂ = (n + m)/(1 + τ).
        for (s, b, sigma) in [
            (5.0, 20.0, 4.0),
            (30.0, 100.0, 10.0),
            (1.0, 0.5, 0.2),
            (50.0, 1e4, 300.0),
        ] {
            let (n, tau) = (s + b, b / (sigma * sigma));
            let m = tau * b;
            let bb = (n + m) / (1.0 + tau);
            let q = -2.0
                * (ln_pois(n, bb) + ln_pois(m, tau * bb) - ln_pois(n, s + b) - ln_pois(m, tau * b));
            let z: f64 = asimov_significance_with_uncertainty(&s, &b, &sigma).unwrap();
            assert!(
                (z - q.sqrt()).abs() < 1e-9 * z,
                "{s} {b} {sigma}: {z} vs {}",
                q.sqrt()
            );
            // Without the uncertainty: −2 ln L(0)/L(1) with n = s + b.
            let q = -2.0 * (ln_pois(n, b) - ln_pois(n, n));
            let z: f64 = asimov_significance(&s, &b).unwrap();
            assert!((z - q.sqrt()).abs() < 1e-10 * z);
        }
        // s ≪ b: s/√b; a small σ_b changes little, a large one reduces Z.
        let z: f64 = asimov_significance(&1.0, &1e6).unwrap();
        assert!((z - 1e-3).abs() < 1e-8);
        let z0: f64 = asimov_significance(&10.0, &100.0).unwrap();
        let z1: f64 = asimov_significance_with_uncertainty(&10.0, &100.0, &1e-3).unwrap();
        let z2: f64 = asimov_significance_with_uncertainty(&10.0, &100.0, &20.0).unwrap();
        assert!((z1 - z0).abs() < 1e-6 && z2 < 0.6 * z0, "{z0} {z1} {z2}");
    }

    #[test]
    fn bins_add_in_quadrature() {
        let s: [f64; 3] = [3.0, 5.0, 1.0];
        let b: [f64; 3] = [10.0, 4.0, 30.0];
        let sig: [f64; 3] = [2.0, 1.0, 6.0];
        let want: f64 = (0..3)
            .map(|i| {
                asimov_significance_with_uncertainty(&s[i], &b[i], &sig[i])
                    .unwrap()
                    .powi(2)
            })
            .sum::<f64>()
            .sqrt();
        assert!((asimov_significance_binned(&s, &b, Some(&sig)).unwrap() - want).abs() < 1e-14);
        let want: f64 = (0..3)
            .map(|i| asimov_significance(&s[i], &b[i]).unwrap().powi(2))
            .sum::<f64>()
            .sqrt();
        assert!((asimov_significance_binned(&s, &b, None).unwrap() - want).abs() < 1e-14);
    }

    struct Z;
    impl ScalarFn for Z {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            asimov_significance_binned(&x[..2], &x[2..4], Some(&x[4..])).unwrap()
                + asimov_significance(&x[0], &x[2]).unwrap()
        }
    }

    #[test]
    fn a_bin_without_signal_keeps_the_gradient_finite() {
        // Z over two bins, the second without signal: its q₀ is 0 with zero slope.
        struct Two;
        impl ScalarFn for Two {
            fn eval<S: RealScalar>(&self, x: &[S]) -> S {
                let s = [x[0].clone(), x[1].clone()];
                let b = [S::from_f64(20.0), S::from_f64(30.0)];
                let sig = [S::from_f64(2.0), S::from_f64(3.0)];
                asimov_significance_binned(&s, &b, Some(&sig)).unwrap()
            }
        }
        let (z, g) = crate::forward::gradient(&Two, &[5.0, 0.0]);
        assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
        // q₀ is quadratic in s near 0: zero slope (a one-sided difference is O(h)).
        let h = 1e-6;
        let up = (Two.eval(&[5.0, h]) - z) / h;
        assert!(g[1].abs() < 1e-12 && up.abs() < 1e-5, "{} {up}", g[1]);
        let fd = (Two.eval(&[5.0 + h, 0.0]) - Two.eval(&[5.0 - h, 0.0])) / (2.0 * h);
        assert!((g[0] - fd).abs() < 1e-7 * g[0].abs(), "{} vs {fd}", g[0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_gradient(
            &Z,
            &[4.0, 7.0, 20.0, 9.0, 3.0, 1.5],
            &GradCheckConfig::default(),
        )
        .assert_ok();
    }

    #[test]
    fn bad_yields_are_errors_naming_them() {
        let e = asimov_significance(&-1.0f64, &10.0).unwrap_err();
        assert_eq!(e.to_string(), "s = -1: must be finite and ≥ 0");
        let e = asimov_significance(&1.0f64, &0.0).unwrap_err();
        assert!(e.to_string().starts_with("b = 0"), "{e}");
        assert!(asimov_significance(&f64::NAN, &1.0f64).is_err());
        let e = asimov_significance_with_uncertainty(&1.0f64, &10.0, &0.0).unwrap_err();
        assert!(e.to_string().contains("sigma_b = 0"), "{e}");
        let e = asimov_significance_binned(&[1.0f64, 2.0], &[3.0, -1.0], None).unwrap_err();
        assert!(e.to_string().starts_with("b[1] = -1"), "{e}");
        let e = asimov_significance_binned(&[1.0f64], &[3.0, 1.0], None).unwrap_err();
        assert!(matches!(e, AnalysisError::Length(_)), "{e}");
        assert_eq!(asimov_significance(&0.0f64, &5.0).unwrap(), 0.0);
    }
}
