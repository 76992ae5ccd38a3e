//! What the design loop optimises: the objective `J(θ) = physics(σ_v, σ_E) + cost(θ)`, with the
//! physics term chosen in the configuration (`objective.kind`):
//!
//! - `resolution` (default): `w_v σ_v/s_v + w_E σ_E/s_E`, the weighted resolutions;
//! - `significance`: `−Z_A`, the median expected discovery significance of a downstream
//!   search (below), with a per-bin background systematic profiled as a nuisance parameter;
//! - `eig`: `−EIG`, the expected information gain (nats) about the named physics parameters of
//!   the same search.
//!
//! # The downstream search
//! A narrow resonance of mass `M` decays to b-jets: each candidate needs a b-tag and its mass is
//! reconstructed by the calorimeter.
//! - **b-tag** (vertex resolution): a displaced vertex is required at `k σ_v`; b-hadron flight
//!   distances are exponential with mean `λ`, so the signal efficiency is `ε_b = exp(−k σ_v/λ)`.
//!   The background is a fraction `f_b` of real b-jets (same efficiency) and light jets that
//!   pass at the Gaussian rate `ε_l = 2Φ(−k)`.
//! - **mass** (energy resolution): the reconstructed mass is Gaussian with `σ_m = r M σ_E`; the
//!   signal in each bin of the window `M ± w` is `S ε_b [Φ((hi−M)/σ_m) − Φ((lo−M)/σ_m)]`, the
//!   background flat, `ρ (hi − lo) (f_b ε_b + (1 − f_b) ε_l)`.
//! - **significance**: Z_A of the binned counts with a relative background uncertainty `δ` in
//!   every bin, each profiled in closed form (G. Cowan et al., Eur. Phys. J. C 71 (2011) 1554;
//!   [`diffhep::analysis::asimov_significance_binned`]).
//! - **information**: for the `mass` parameter with a Gaussian prior of width `σ_M`, the `N`
//!   tagged signal events measured at `σ_m` are a linear-Gaussian experiment with the exact
//!   `EIG = ½ ln(1 + N σ_M²/σ_m²)`; for the `signal_strength` with a Gaussian prior of width
//!   `σ_μ`, the Gaussian (Laplace) approximation `½ ln(1 + σ_μ² I_μ)` with the Asimov Fisher
//!   information `I_μ = Σ s_i²/b_i` at μ = 0. Several parameters add (their information is
//!   taken as independent).
//!
//! Every term is generic over [`RealScalar`], so `∂J/∂σ_v` and `∂J/∂σ_E` come from dual
//! numbers and chain onto the study's `∂σ/∂θ`.

use diffhep::analysis::asimov_significance_binned;
use diffhep::RealScalar;
use serde::{Deserialize, Serialize};

use super::config::ObjectiveConfig;

/// Which physics term the design loop minimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectiveKind {
    /// Weighted vertex and energy resolutions.
    #[default]
    Resolution,
    /// Minus the expected discovery significance of the downstream search.
    Significance,
    /// Minus the expected information gain about the configured physics parameters.
    Eig,
}

impl ObjectiveKind {
    /// All kinds, in report order.
    pub const ALL: [ObjectiveKind; 3] = [
        ObjectiveKind::Resolution,
        ObjectiveKind::Significance,
        ObjectiveKind::Eig,
    ];

    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            ObjectiveKind::Resolution => "resolution",
            ObjectiveKind::Significance => "significance",
            ObjectiveKind::Eig => "eig",
        }
    }

    /// Parse a configuration name (an error lists the choices).
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown objective '{s}': resolution, significance or eig"))
    }
}

/// A physics parameter the `eig` objective learns about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EigParameter {
    /// The resonance mass.
    Mass,
    /// The signal strength.
    SignalStrength,
}

/// The downstream search of the `significance` and `eig` objectives (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisConfig {
    /// Resonance mass `M` (GeV).
    pub mass_gev: f64,
    /// Relative mass resolution per unit of the calorimeter's relative energy error, `r`:
    /// `σ_m = r M σ_E` (a dijet mass combines several measurements).
    pub mass_resolution_factor: f64,
    /// Signal events before the b-tag, `S`.
    pub signal_events: f64,
    /// Background events per GeV before the b-tag, `ρ`.
    pub background_per_gev: f64,
    /// Half-width of the mass window, `w` (GeV).
    pub window_gev: f64,
    /// Number of mass bins in the window.
    pub bins: usize,
    /// Relative background uncertainty per bin, `δ`.
    pub background_uncertainty: f64,
    /// Mean b-hadron flight distance `λ` (μm).
    pub flight_um: f64,
    /// b-tag requirement `k` (in units of σ_v).
    pub tag_sigmas: f64,
    /// Fraction of real b-jets in the background, `f_b`.
    pub background_b_fraction: f64,
    /// Parameters of the `eig` objective.
    pub eig_parameters: Vec<EigParameter>,
    /// Prior width of the mass, `σ_M` (GeV).
    pub mass_prior_gev: f64,
    /// Prior width of the signal strength, `σ_μ`.
    pub signal_strength_prior: f64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            mass_gev: 125.0,
            mass_resolution_factor: 0.25,
            signal_events: 1000.0,
            background_per_gev: 400.0,
            window_gev: 40.0,
            bins: 16,
            background_uncertainty: 0.05,
            flight_um: 2000.0,
            tag_sigmas: 3.0,
            background_b_fraction: 0.1,
            eig_parameters: vec![EigParameter::Mass, EigParameter::SignalStrength],
            mass_prior_gev: 10.0,
            signal_strength_prior: 1.0,
        }
    }
}

impl AnalysisConfig {
    /// The first bad field and why, if any.
    pub fn check(&self) -> Option<(&'static str, f64, &'static str)> {
        let positive = [
            ("mass_gev", self.mass_gev),
            ("mass_resolution_factor", self.mass_resolution_factor),
            ("signal_events", self.signal_events),
            ("background_per_gev", self.background_per_gev),
            ("window_gev", self.window_gev),
            ("background_uncertainty", self.background_uncertainty),
            ("flight_um", self.flight_um),
            ("tag_sigmas", self.tag_sigmas),
            ("mass_prior_gev", self.mass_prior_gev),
            ("signal_strength_prior", self.signal_strength_prior),
        ];
        for (name, v) in positive {
            if !(v > 0.0 && v.is_finite()) {
                return Some((name, v, "must be positive and finite"));
            }
        }
        if self.bins == 0 {
            return Some(("bins", 0.0, "must be at least 1"));
        }
        let f = self.background_b_fraction;
        if !(0.0..=1.0).contains(&f) {
            return Some(("background_b_fraction", f, "must lie in [0, 1]"));
        }
        None
    }
}

/// Φ(x) for any number type, from the Abramowitz–Stegun 7.1.26 form of erf (absolute error below
/// 1.5e-7 in the value; its derivative is the derivative of that smooth approximation).
fn normal_cdf<S: RealScalar>(x: &S) -> S {
    let z = x.clone() * std::f64::consts::FRAC_1_SQRT_2;
    let neg = z.value() < 0.0;
    let a = if neg { -z } else { z };
    let t = (a.clone() * 0.327_591_1 + 1.0).recip();
    let poly = t.clone()
        * (t.clone()
            * (t.clone()
                * (t.clone() * (t.clone() * 1.061_405_429 - 1.453_152_027) + 1.421_413_741)
                - 0.284_496_736)
            + 0.254_829_592);
    let erf = -(poly * (-(a.clone() * a)).exp()) + 1.0;
    if neg {
        (-erf + 1.0) * 0.5
    } else {
        (erf + 1.0) * 0.5
    }
}

/// Signal and background per bin, and the number of tagged signal events.
fn search<S: RealScalar>(a: &AnalysisConfig, vertex_um: &S, energy: &S) -> (Vec<S>, Vec<S>, S) {
    let eps_b = (vertex_um.clone() * (-a.tag_sigmas / a.flight_um)).exp();
    let eps_l = 2.0 * normal_cdf(&-a.tag_sigmas);
    let sigma_m = energy.clone() * (a.mass_gev * a.mass_resolution_factor);
    let width = 2.0 * a.window_gev / a.bins as f64;
    let tagged = eps_b.clone() * a.signal_events;
    let mut s = Vec::with_capacity(a.bins);
    let mut b = Vec::with_capacity(a.bins);
    for i in 0..a.bins {
        let lo = -a.window_gev + i as f64 * width;
        let hi = lo + width;
        let frac = normal_cdf(&(sigma_m.clone().recip() * hi))
            - normal_cdf(&(sigma_m.clone().recip() * lo));
        s.push(tagged.clone() * frac);
        let eff = eps_b.clone() * a.background_b_fraction + (1.0 - a.background_b_fraction) * eps_l;
        b.push(eff * (a.background_per_gev * width));
    }
    (s, b, tagged)
}

/// Z_A of the search at resolutions `σ_v` (μm) and `σ_E` (relative).
pub fn significance<S: RealScalar>(a: &AnalysisConfig, vertex_um: &S, energy: &S) -> S {
    let (s, b, _) = search(a, vertex_um, energy);
    let sigma: Vec<S> = b
        .iter()
        .map(|x| x.clone() * a.background_uncertainty)
        .collect();
    asimov_significance_binned(&s, &b, Some(&sigma))
        .expect("positive yields and uncertainties by construction")
}

/// EIG (nats) about the configured parameters at resolutions `σ_v` (μm) and `σ_E` (relative).
pub fn information_gain<S: RealScalar>(a: &AnalysisConfig, vertex_um: &S, energy: &S) -> S {
    let (s, b, tagged) = search(a, vertex_um, energy);
    let mut eig = S::zero();
    for p in &a.eig_parameters {
        let term = match p {
            EigParameter::Mass => {
                let sigma_m = energy.clone() * (a.mass_gev * a.mass_resolution_factor);
                (tagged.clone() * (a.mass_prior_gev * a.mass_prior_gev)
                    / (sigma_m.clone() * sigma_m))
                    .ln_1p()
            }
            EigParameter::SignalStrength => {
                let info = s.iter().zip(&b).fold(S::zero(), |acc, (si, bi)| {
                    acc + si.clone() * si.clone() / bi.clone()
                });
                (info * (a.signal_strength_prior * a.signal_strength_prior)).ln_1p()
            }
        };
        eig += term * 0.5;
    }
    eig
}

/// The physics term of `J` for `kind` (the cost is added by the study).
pub fn physics_term<S: RealScalar>(o: &ObjectiveConfig, vertex_um: &S, energy: &S) -> S {
    match o.kind {
        ObjectiveKind::Resolution => {
            vertex_um.clone() * (o.vertex_weight / o.vertex_scale_um)
                + energy.clone() * (o.energy_weight / o.energy_scale)
        }
        ObjectiveKind::Significance => -significance(&o.analysis, vertex_um, energy),
        ObjectiveKind::Eig => -information_gain(&o.analysis, vertex_um, energy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::gradcheck::ridders;
    use num_dual::Dual64;

    #[test]
    fn normal_cdf_matches_tabulated_values() {
        // Φ from standard tables (e.g. Abramowitz & Stegun table 26.1), to the form's 1.5e-7.
        for (x, want) in [
            (0.0f64, 0.5),
            (1.0, 0.841_344_746_068_543),
            (-1.96, 0.024_997_895_148_220),
            (3.0, 0.998_650_101_968_370),
            (-2.5, 0.006_209_665_325_776),
        ] {
            let got = normal_cdf(&x);
            assert!((got - want).abs() < 1.5e-7, "Φ({x}) = {got} vs {want}");
        }
    }

    #[test]
    fn mass_information_is_the_linear_gaussian_closed_form() {
        let a = AnalysisConfig {
            eig_parameters: vec![EigParameter::Mass],
            ..AnalysisConfig::default()
        };
        let (v, e) = (40.0, 0.08);
        let n = a.signal_events * (-a.tag_sigmas * v / a.flight_um).exp();
        let sm = e * a.mass_gev * a.mass_resolution_factor;
        let want = 0.5 * (1.0 + n * a.mass_prior_gev.powi(2) / (sm * sm)).ln();
        assert!((information_gain(&a, &v, &e) - want).abs() < 1e-12);
        // The signal in the window is the tagged signal times the window's Gaussian content.
        let (s, _, tagged) = search(&a, &v, &e);
        let content = 2.0 * normal_cdf(&(a.window_gev / sm)) - 1.0;
        let total: f64 = s.iter().sum();
        assert!((total - tagged * content).abs() < 1e-9 * total);
    }

    #[test]
    fn mass_information_equals_the_nested_monte_carlo_estimate() {
        // The mass measurement is a linear-Gaussian experiment: N tagged events at σ_m give the
        // mean x̄ ~ N(M, σ_m²/N), i.e. x = d θ + ε with d = √N/σ_m, θ ~ N(0, σ_M²), ε ~ N(0, 1).
        // The objective's closed form must match the engine's nested Monte Carlo EIG estimator
        // (diffhep::sbi::eig) on that experiment within 4 standard errors (its O(1/M) bias is
        // far below that at M = 2000 and EIG ≈ 0.6 nats).
        use diffhep::sbi::eig::{eig_nested_mc, LinearGaussian, NmcConfig};
        let a = AnalysisConfig {
            eig_parameters: vec![EigParameter::Mass],
            signal_events: 4.0,
            ..AnalysisConfig::default()
        };
        let (v, e) = (40.0, 0.4);
        let closed = information_gain(&a, &v, &e);
        let n = a.signal_events * (-a.tag_sigmas * v / a.flight_um).exp();
        let d = n.sqrt() / (a.mass_resolution_factor * a.mass_gev * e);
        let sim = LinearGaussian::new(a.mass_prior_gev, 1.0, 1).unwrap();
        let cfg = NmcConfig {
            outer: 4000,
            inner: 2000,
            seed: 5,
        };
        let r = eig_nested_mc(&sim, &[d], &cfg).unwrap();
        assert!(closed > 0.4 && closed < 0.9, "{closed}");
        assert!(
            (r.value - closed).abs() < 4.0 * r.std_error,
            "closed form {closed} vs nested MC {} ± {}",
            r.value,
            r.std_error
        );
    }

    #[test]
    fn better_resolutions_raise_significance_and_information() {
        let a = AnalysisConfig::default();
        let z = |v: f64, e: f64| significance(&a, &v, &e);
        let i = |v: f64, e: f64| information_gain(&a, &v, &e);
        assert!(z(20.0, 0.1) > z(40.0, 0.1) && z(20.0, 0.05) > z(20.0, 0.1));
        assert!(i(20.0, 0.1) > i(40.0, 0.1) && i(20.0, 0.05) > i(20.0, 0.1));
    }

    #[test]
    fn physics_term_derivatives_match_ridders_for_every_kind() {
        for kind in ObjectiveKind::ALL {
            let o = ObjectiveConfig {
                kind,
                ..crate::design::detector::StudyConfig::default_study().objective
            };
            let (v, e) = (35.0, 0.09);
            let dv = physics_term(&o, &Dual64::from(v).derivative(), &Dual64::from(e)).eps;
            let de = physics_term(&o, &Dual64::from(v), &Dual64::from(e).derivative()).eps;
            let (fv, ev) = ridders(|x| physics_term(&o, &x, &e), v, 0.1 * v);
            let (fe, ee) = ridders(|x| physics_term(&o, &v, &x), e, 0.1 * e);
            assert!(
                (dv - fv).abs() < 1e-7 * fv.abs().max(1e-6),
                "{kind:?} ∂/∂σ_v {dv} vs {fv} ± {ev}"
            );
            assert!(
                (de - fe).abs() < 1e-7 * fe.abs().max(1e-6),
                "{kind:?} ∂/∂σ_E {de} vs {fe} ± {ee}"
            );
        }
    }

    #[test]
    fn objective_names_parse_and_unknown_ones_are_errors() {
        for k in ObjectiveKind::ALL {
            assert_eq!(ObjectiveKind::parse(k.name()), Ok(k));
        }
        let e = ObjectiveKind::parse("resolutoin").unwrap_err();
        assert!(e.contains("resolution, significance or eig"), "{e}");
    }
}
