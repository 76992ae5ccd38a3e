//! The pyhf JSON workspace format (HistFactory's interchange format: L. Heinrich, M. Feickert,
//! G. Stark, K. Cranmer, "pyhf: pure-Python implementation of HistFactory statistical models",
//! JOSS 6 (2021) 2823; schema `workspace.json` v1.0.0), read with serde.

use serde::Deserialize;

/// A workspace: channels with their samples, observations and measurements.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Workspace {
    /// The channels (regions).
    pub channels: Vec<Channel>,
    /// Observed counts per channel.
    #[serde(default)]
    pub observations: Vec<Observation>,
    /// Measurements: the parameter of interest and parameter settings.
    #[serde(default)]
    pub measurements: Vec<Measurement>,
    /// Format version.
    #[serde(default)]
    pub version: Option<String>,
}

/// One channel.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Channel {
    /// Its name.
    pub name: String,
    /// Its samples.
    pub samples: Vec<Sample>,
}

/// One sample: nominal yields per bin and modifiers.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Sample {
    /// Its name.
    pub name: String,
    /// Nominal yield per bin.
    pub data: Vec<f64>,
    /// Modifiers.
    #[serde(default)]
    pub modifiers: Vec<Modifier>,
}

/// A modifier of a sample, named by its parameter.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Modifier {
    /// The parameter (set) name.
    pub name: String,
    /// The modifier and its data.
    #[serde(flatten)]
    pub kind: ModifierKind,
}

/// The modifier types of HistFactory.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "type", content = "data", rename_all = "lowercase")]
pub enum ModifierKind {
    /// A free normalisation factor.
    Normfactor(Option<serde_json::Value>),
    /// A free factor per bin.
    Shapefactor(Option<serde_json::Value>),
    /// The luminosity (constraint from the measurement's parameter settings).
    Lumi(Option<serde_json::Value>),
    /// A normalisation uncertainty: factors at α = ±1.
    Normsys {
        /// Factor at α = +1.
        hi: f64,
        /// Factor at α = −1.
        lo: f64,
    },
    /// A shape uncertainty: yields at α = ±1.
    Histosys {
        /// Yields per bin at α = +1.
        hi_data: Vec<f64>,
        /// Yields per bin at α = −1.
        lo_data: Vec<f64>,
    },
    /// Statistical uncertainty of the summed samples (Barlow–Beeston lite): absolute per bin.
    Staterror(Vec<f64>),
    /// An uncorrelated shape uncertainty with a Poisson constraint: absolute per bin.
    Shapesys(Vec<f64>),
}

/// Observed counts of one channel.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Observation {
    /// The channel.
    pub name: String,
    /// Counts per bin.
    pub data: Vec<f64>,
}

/// A measurement.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Measurement {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub config: MeasurementConfig,
}

/// The configuration of a measurement.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct MeasurementConfig {
    /// The parameter of interest.
    pub poi: String,
    /// Settings of named parameters.
    #[serde(default)]
    pub parameters: Vec<ParameterSetting>,
}

/// Settings of one parameter set (each field optional).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ParameterSetting {
    /// The parameter set.
    pub name: String,
    /// Initial values.
    #[serde(default)]
    pub inits: Option<Vec<f64>>,
    /// Bounds.
    #[serde(default)]
    pub bounds: Option<Vec<[f64; 2]>>,
    /// Fixed in fits.
    #[serde(default)]
    pub fixed: Option<bool>,
    /// Auxiliary data of its constraint (lumi).
    #[serde(default)]
    pub auxdata: Option<Vec<f64>>,
    /// Widths of its Gaussian constraint (lumi).
    #[serde(default)]
    pub sigmas: Option<Vec<f64>>,
}
