//! The study's configuration: TOML with every field named, checked field by field.

use serde::{Deserialize, Serialize};

use super::objectives::{AnalysisConfig, ObjectiveKind};
use super::DesignError;

/// The default configuration, as shipped in the binary (`diffhep design --print-default-config`).
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// A whole study: detector, sample sizes, objective weights, optimizer and budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Seed of every random number of the study.
    pub seed: u64,
    /// The tracker.
    pub tracker: TrackerConfig,
    /// The sampling calorimeter.
    pub calorimeter: CalorimeterConfig,
    /// Sample sizes.
    pub sample: SampleConfig,
    /// Objective weights and costs.
    pub objective: ObjectiveConfig,
    /// Optimizer and budget.
    pub optimizer: OptimizerConfig,
}

/// Two-layer pixel tracker (see [`super::tracker`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// Initial radius of the innermost layer (mm); a design parameter.
    pub inner_radius_mm: f64,
    /// Smallest allowed inner radius (the beam pipe, mm).
    pub min_inner_radius_mm: f64,
    /// Largest allowed inner radius (mm).
    pub max_inner_radius_mm: f64,
    /// Initial material of each layer in radiation lengths; a design parameter.
    pub material_x0: f64,
    /// Smallest allowed material per layer (X₀).
    pub min_material_x0: f64,
    /// Largest allowed material per layer (X₀).
    pub max_material_x0: f64,
    /// Radial distance between the two layers (mm).
    pub lever_arm_mm: f64,
    /// Single-hit resolution (μm).
    pub hit_resolution_um: f64,
    /// Solenoid field (T); 0 gives straight tracks.
    pub magnetic_field_t: f64,
}

/// The sampling calorimeter of [`crate::detector::shower`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalorimeterConfig {
    /// Number of layers.
    pub layers: usize,
    /// Energy of the test-beam electron (GeV).
    pub beam_energy_gev: f64,
    /// Initial absorber thickness of every layer (X₀); design parameters.
    pub initial_thickness_x0: f64,
    /// Smallest allowed absorber thickness (X₀).
    pub min_thickness_x0: f64,
    /// Largest allowed absorber thickness (X₀).
    pub max_thickness_x0: f64,
    /// Treat the shower as a black box: its gradient from a local linear surrogate
    /// ([`super::surrogate`]) instead of stochastic triples. Default `false`.
    #[serde(default)]
    pub black_box: bool,
    /// Designs simulated per surrogate fit (at least `layers + 2`). Default 24.
    #[serde(default = "default_surrogate_points")]
    pub surrogate_points: usize,
    /// Relative spread of the surrogate's perturbations. Default 0.1.
    #[serde(default = "default_surrogate_spread")]
    pub surrogate_spread: f64,
}

fn default_surrogate_points() -> usize {
    24
}

fn default_surrogate_spread() -> f64 {
    0.1
}

/// Sample sizes per gradient step and for the evaluation after each step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleConfig {
    /// Jets (vertex fits) per gradient estimate.
    pub vertex_events: usize,
    /// Shower samples per gradient estimate (each costs about 2 × layers runs with triples).
    pub shower_samples: usize,
    /// Jets of the fixed evaluation set.
    pub eval_vertex_events: usize,
    /// Plain shower runs of the fixed evaluation set.
    pub eval_shower_samples: usize,
}

/// `J = physics(σ_v, σ_E) + cost` (see [`super::objectives`]): the physics term is chosen by
/// `kind`; the resolution weights serve `kind = "resolution"`, `analysis` the other two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveConfig {
    /// Which physics term (default `resolution`).
    #[serde(default)]
    pub kind: ObjectiveKind,
    /// Weight of the vertex resolution.
    pub vertex_weight: f64,
    /// Scale of the vertex resolution (μm).
    pub vertex_scale_um: f64,
    /// Weight of the relative energy resolution.
    pub energy_weight: f64,
    /// Scale of the relative energy resolution.
    pub energy_scale: f64,
    /// Weight of the inner-radius cost `(r_ref/r0)²`.
    pub radius_cost: f64,
    /// `r_ref` (mm).
    pub radius_reference_mm: f64,
    /// Weight of the thin-layer cost `x_ref/x`.
    pub material_cost: f64,
    /// `x_ref` (X₀).
    pub material_reference_x0: f64,
    /// Absorber cost per radiation length.
    pub absorber_cost_per_x0: f64,
    /// The downstream search of the `significance` and `eig` objectives.
    #[serde(default)]
    pub analysis: AnalysisConfig,
}

/// Adam on the logarithms of the design parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerConfig {
    /// Adam learning rate (a relative step size, since the parameters are logarithms).
    pub learning_rate: f64,
    /// Number of Adam steps.
    pub steps: usize,
}

fn bad(field: &str, value: impl std::fmt::Display, why: &str) -> DesignError {
    DesignError::Config {
        field: field.to_string(),
        message: format!("{value} {why}"),
    }
}

fn positive(field: &str, v: f64) -> Result<(), DesignError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(bad(field, v, "must be positive and finite"))
    }
}

fn non_negative(field: &str, v: f64) -> Result<(), DesignError> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(bad(field, v, "must be non-negative and finite"))
    }
}

fn at_least(field: &str, v: usize, min: usize) -> Result<(), DesignError> {
    if v >= min {
        Ok(())
    } else {
        Err(bad(field, v, &format!("must be at least {min}")))
    }
}

/// `lo ≤ init ≤ hi` with `0 < lo < hi`, naming the field that breaks it.
fn bounded(init: (&str, f64), lo: (&str, f64), hi: (&str, f64)) -> Result<(), DesignError> {
    positive(lo.0, lo.1)?;
    positive(hi.0, hi.1)?;
    if hi.1 <= lo.1 {
        return Err(bad(hi.0, hi.1, &format!("must exceed {} = {}", lo.0, lo.1)));
    }
    if !(init.1 >= lo.1 && init.1 <= hi.1) {
        return Err(bad(
            init.0,
            init.1,
            &format!("must lie in [{}, {}]", lo.1, hi.1),
        ));
    }
    Ok(())
}

impl StudyConfig {
    /// The embedded default ([`DEFAULT_TOML`]).
    pub fn default_study() -> Self {
        Self::from_toml(DEFAULT_TOML).expect("the embedded default configuration is valid")
    }

    /// Parse and check a TOML document. Unknown, missing and mistyped fields are reported by
    /// TOML's parser (which names them); out-of-range values by [`StudyConfig::validate`].
    pub fn from_toml(text: &str) -> Result<Self, DesignError> {
        let cfg: StudyConfig = toml::from_str(text).map_err(DesignError::Parse)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a configuration serialises")
    }

    /// Check every value; the error names the first bad field.
    pub fn validate(&self) -> Result<(), DesignError> {
        let t = &self.tracker;
        bounded(
            ("tracker.inner_radius_mm", t.inner_radius_mm),
            ("tracker.min_inner_radius_mm", t.min_inner_radius_mm),
            ("tracker.max_inner_radius_mm", t.max_inner_radius_mm),
        )?;
        bounded(
            ("tracker.material_x0", t.material_x0),
            ("tracker.min_material_x0", t.min_material_x0),
            ("tracker.max_material_x0", t.max_material_x0),
        )?;
        if t.max_material_x0 > 1.0 {
            // The Highland formula's log term turns the scattering angle around above ~10³ X₀;
            // a tracker layer of more than one radiation length is not a tracker.
            return Err(bad(
                "tracker.max_material_x0",
                t.max_material_x0,
                "must be at most 1",
            ));
        }
        positive("tracker.lever_arm_mm", t.lever_arm_mm)?;
        positive("tracker.hit_resolution_um", t.hit_resolution_um)?;
        non_negative("tracker.magnetic_field_t", t.magnetic_field_t)?;
        let c = &self.calorimeter;
        at_least("calorimeter.layers", c.layers, 1)?;
        positive("calorimeter.beam_energy_gev", c.beam_energy_gev)?;
        bounded(
            ("calorimeter.initial_thickness_x0", c.initial_thickness_x0),
            ("calorimeter.min_thickness_x0", c.min_thickness_x0),
            ("calorimeter.max_thickness_x0", c.max_thickness_x0),
        )?;
        if c.black_box {
            at_least(
                "calorimeter.surrogate_points",
                c.surrogate_points,
                c.layers + 2,
            )?;
        }
        if !(c.surrogate_spread > 0.0 && c.surrogate_spread <= 1.0) {
            return Err(bad(
                "calorimeter.surrogate_spread",
                c.surrogate_spread,
                "must lie in (0, 1]",
            ));
        }
        let s = &self.sample;
        at_least("sample.vertex_events", s.vertex_events, 2)?;
        at_least("sample.shower_samples", s.shower_samples, 2)?;
        at_least("sample.eval_vertex_events", s.eval_vertex_events, 2)?;
        at_least("sample.eval_shower_samples", s.eval_shower_samples, 2)?;
        let o = &self.objective;
        non_negative("objective.vertex_weight", o.vertex_weight)?;
        positive("objective.vertex_scale_um", o.vertex_scale_um)?;
        non_negative("objective.energy_weight", o.energy_weight)?;
        positive("objective.energy_scale", o.energy_scale)?;
        non_negative("objective.radius_cost", o.radius_cost)?;
        positive("objective.radius_reference_mm", o.radius_reference_mm)?;
        non_negative("objective.material_cost", o.material_cost)?;
        positive("objective.material_reference_x0", o.material_reference_x0)?;
        non_negative("objective.absorber_cost_per_x0", o.absorber_cost_per_x0)?;
        if let Some((field, value, rule)) = o.analysis.check() {
            return Err(bad(&format!("objective.analysis.{field}"), value, rule));
        }
        positive("optimizer.learning_rate", self.optimizer.learning_rate)?;
        at_least("optimizer.steps", self.optimizer.steps, 1)?;
        Ok(())
    }

    /// The initial design `[r0 (mm), x (X₀), t_1 … t_L (X₀)]`.
    pub fn initial_design(&self) -> Vec<f64> {
        let mut th = vec![self.tracker.inner_radius_mm, self.tracker.material_x0];
        th.extend(std::iter::repeat_n(
            self.calorimeter.initial_thickness_x0,
            self.calorimeter.layers,
        ));
        th
    }

    /// Lower and upper bounds of each design parameter.
    pub fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let t = &self.tracker;
        let c = &self.calorimeter;
        let mut lo = vec![t.min_inner_radius_mm, t.min_material_x0];
        let mut hi = vec![t.max_inner_radius_mm, t.max_material_x0];
        lo.extend(std::iter::repeat_n(c.min_thickness_x0, c.layers));
        hi.extend(std::iter::repeat_n(c.max_thickness_x0, c.layers));
        (lo, hi)
    }

    /// Names of the design parameters, in order.
    pub fn parameter_names(&self) -> Vec<String> {
        let mut n = vec!["r0 [mm]".to_string(), "x [X0]".to_string()];
        n.extend((1..=self.calorimeter.layers).map(|j| format!("t{j} [X0]")));
        n
    }
}
