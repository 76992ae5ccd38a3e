//! CLs of a signal strength from the asymptotic distributions of q̃_μ (Cowan, Cranmer, Gross,
//! Vitells, Eur. Phys. J. C 71 (2011) 1554; A. L. Read, "Presentation of search results: the CLs
//! technique", J. Phys. G 28 (2002) 2693), computed as pyhf's asymptotic calculator does with
//! its default normal base distribution:
//!
//! - q̃_μ on the observed data, and q̃_μ,A on the Asimov data set of the background-only
//!   hypothesis (main and auxiliary data expected at the μ = 0 conditional fit to the observed
//!   data);
//! - the test statistic t = √q̃_μ − √q̃_μ,A if √q̃_μ ≤ √q̃_μ,A, else (q̃_μ − q̃_μ,A)/(2√q̃_μ,A);
//! - CL_{s+b} = Φ(−(t + √q̃_μ,A)), CL_b = Φ(−t), CLs = CL_{s+b}/CL_b;
//! - the expected band: t = n for n = 2, 1, 0, −1, −2 (background-only medians ± 1σ, 2σ).

use statrs::function::erf::erfc;

use super::fit::{fit, fit_within, tilde_bounds, Fit};
use super::model::Model;
use super::test_statistics::qmu_tilde;
use super::HistFactoryError as E;

/// The result of a CLs test of one POI value.
#[derive(Clone, Debug, PartialEq)]
pub struct ClsResult {
    /// The POI value tested.
    pub mu: f64,
    /// Observed CLs.
    pub cls: f64,
    /// Observed CL_{s+b}.
    pub clsb: f64,
    /// Observed CL_b.
    pub clb: f64,
    /// Expected CLs for the background-only data at +2σ, +1σ, median, −1σ, −2σ of t (pyhf's
    /// order: the first is the smallest CLs).
    pub expected: [f64; 5],
    /// q̃_μ on the observed data.
    pub qmu_tilde: f64,
    /// q̃_μ on the background-only Asimov data.
    pub qmu_tilde_asimov: f64,
    /// The unconditional best fit to the observed data.
    pub best_fit: Fit,
    /// The fit with the POI fixed at `mu` (profiled nuisance parameters).
    pub conditional_fit: Fit,
}

/// Φ(x).
pub(super) fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// CLs at POI value `mu` for the model's observed data (`data`: main data in model order).
pub fn cls(model: &Model, data: &[f64], mu: f64) -> Result<ClsResult, E> {
    if !mu.is_finite() || mu < 0.0 {
        return Err(E::Fit(format!(
            "POI value {mu}: must be finite and ≥ 0 for q̃_μ"
        )));
    }
    let aux = model.aux_data();
    let q = qmu_tilde(model, data, &aux, mu)?;
    let bkg = fit(model, data, &aux, &[(model.poi, 0.0)])?;
    let asimov = model.expected(&bkg.pars);
    let asimov_aux = model.expected_aux(&bkg.pars);
    let qa = qmu_tilde(model, &asimov, &asimov_aux, mu)?;
    let (sq, sqa) = (q.sqrt(), qa.sqrt());
    if sqa <= 0.0 {
        return Err(E::Fit(format!(
            "q̃_μ on the Asimov data is 0 at μ = {mu}: the model has no sensitivity there"
        )));
    }
    let t = if sq <= sqa {
        sq - sqa
    } else {
        (q - qa) / (2.0 * sqa)
    };
    let pvalues = |t: f64| {
        let clsb = normal_cdf(-(t + sqa));
        let clb = normal_cdf(-t);
        (clsb, clb, clsb / clb)
    };
    let (clsb, clb, cls) = pvalues(t);
    let expected = [2.0, 1.0, 0.0, -1.0, -2.0].map(|n| pvalues(n).2);
    // The fits q̃_μ uses: the POI bounded below by 0.
    let bounds = tilde_bounds(model);
    let best_fit = fit_within(model, data, &aux, &[], &bounds)?;
    let conditional_fit = fit_within(model, data, &aux, &[(model.poi, mu)], &bounds)?;
    Ok(ClsResult {
        mu,
        cls,
        clsb,
        clb,
        expected,
        qmu_tilde: q,
        qmu_tilde_asimov: qa,
        best_fit,
        conditional_fit,
    })
}
