//! Standard-Model parameters: a param card (TOML or JSON) and the derived electroweak quantities.
//!
//! # Scheme
//! MadGraph's `sm` model scheme: the inputs are MZ, 1/α_EW(MZ) (`aEWM1`) and G_F (`Gf`); the W
//! mass and the weak mixing angle are derived at tree level,
//!
//! m_W² = M_Z²/2 + √(M_Z⁴/4 − π α M_Z² / (√2 G_F)),   sin²θ_W = 1 − m_W²/M_Z²,
//!
//! and α = 1/aEWM1 (not α(0)) is used in every coupling: e = √(4πα), g_Z = e/(sin θ_W cos θ_W),
//! g_W = e/sin θ_W. With the defaults (MZ = 91.188, aEWM1 = 132.507, Gf = 1.16639e-5) this gives
//! mW = 80.419002 and sin²θW = 0.22224649 (the numbers in the project's physics reference).
//!
//! Every parameter can be made a differentiable input: [`ParamCard::to_params`] gives an
//! [`SmParams<S>`] of constants, and [`SmParams::set`] replaces one by a dual number or tape
//! variable by name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diffhep::Scalar;
use serde::{Deserialize, Serialize};

/// Names of the parameters, as in MadGraph's param card.
pub const PARAM_NAMES: [&str; 8] = ["MZ", "WZ", "aEWM1", "Gf", "MT", "WT", "MH", "WW"];

/// Errors in model parameters.
///
/// Not `PartialEq`: [`ParamError::Parse`] and [`ParamError::Io`] hold the parser's and the
/// file system's errors, which have no equality.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ParamError {
    /// The card could not be parsed (includes unknown keys); the parser's error is the source.
    #[error("invalid param card: {0}")]
    Parse(#[source] CardSyntaxError),
    /// The card file could not be read; the [`std::io::Error`] is the source.
    #[error("cannot read param card: {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A mass or width is negative (or a mass zero where it must be positive).
    #[error("parameter {name} = {value} must be positive")]
    NonPositive {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A value is NaN or infinite.
    #[error("parameter {name} is not finite")]
    NotFinite {
        /// Parameter name.
        name: &'static str,
    },
    /// The inputs give sin²θW outside (0, 1) (no real solution for mW).
    #[error("the inputs MZ, aEWM1, Gf give sin²θW = {sw2}, outside (0, 1): no real W mass")]
    MixingAngle {
        /// The value of sin²θW the inputs imply (NaN if mW has no real solution).
        sw2: f64,
    },
    /// A parameter name that does not exist.
    #[error("unknown parameter '{0}' (known: {known})", known = PARAM_NAMES.join(", "))]
    UnknownParameter(String),
    /// The card file holds nothing but white space (a truncated or not yet written file; to
    /// use the defaults, give no card).
    #[error("param card {} is empty (give no --param-card for the defaults)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// The parser's error behind [`ParamError::Parse`], printed as the parser prints it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CardSyntaxError {
    /// A TOML card.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A JSON card (shared, so that [`ParamError`] stays `Clone`).
    #[error(transparent)]
    Json(Arc<serde_json::Error>),
}

impl From<serde_json::Error> for CardSyntaxError {
    fn from(e: serde_json::Error) -> Self {
        CardSyntaxError::Json(Arc::new(e))
    }
}

/// Model inputs as read from a param card. Missing keys take MadGraph's `sm` defaults; unknown
/// keys are an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(non_snake_case)]
pub struct ParamCard {
    /// Z mass [GeV].
    pub MZ: f64,
    /// Z width [GeV].
    pub WZ: f64,
    /// 1/α_EW at MZ.
    pub aEWM1: f64,
    /// Fermi constant [GeV⁻²].
    pub Gf: f64,
    /// Top mass [GeV].
    pub MT: f64,
    /// Top width [GeV].
    pub WT: f64,
    /// Higgs mass [GeV].
    pub MH: f64,
    /// W width [GeV].
    pub WW: f64,
}

impl Default for ParamCard {
    fn default() -> Self {
        ParamCard {
            MZ: 91.188,
            WZ: 2.441404,
            aEWM1: 132.507,
            Gf: 1.16639e-5,
            MT: 173.0,
            WT: 1.4915,
            MH: 125.0,
            WW: 2.0476,
        }
    }
}

impl ParamCard {
    /// Parse a TOML card (`MZ = 91.188` lines) and validate it.
    pub fn from_toml_str(s: &str) -> Result<Self, ParamError> {
        let card: ParamCard = toml::from_str(s).map_err(|e| ParamError::Parse(e.into()))?;
        card.validate()?;
        Ok(card)
    }

    /// Parse a JSON card (`{"MZ": 91.188}`) and validate it.
    pub fn from_json_str(s: &str) -> Result<Self, ParamError> {
        let card: ParamCard = serde_json::from_str(s).map_err(|e| ParamError::Parse(e.into()))?;
        card.validate()?;
        Ok(card)
    }

    /// Read a card from a file: JSON if the name ends in `.json`, TOML otherwise. A file of
    /// only white space is [`ParamError::Empty`] (an empty TOML text would silently mean "all
    /// defaults").
    pub fn from_path(path: &Path) -> Result<Self, ParamError> {
        let text = std::fs::read_to_string(path).map_err(|e| ParamError::Io {
            path: path.to_path_buf(),
            source: Arc::new(e),
        })?;
        if text.trim().is_empty() {
            return Err(ParamError::Empty {
                path: path.to_path_buf(),
            });
        }
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        }
    }

    /// The value of a parameter by name.
    pub fn get(&self, name: &str) -> Result<f64, ParamError> {
        Ok(match name {
            "MZ" => self.MZ,
            "WZ" => self.WZ,
            "aEWM1" => self.aEWM1,
            "Gf" => self.Gf,
            "MT" => self.MT,
            "WT" => self.WT,
            "MH" => self.MH,
            "WW" => self.WW,
            _ => return Err(ParamError::UnknownParameter(name.to_string())),
        })
    }

    /// Check signs, finiteness and that the electroweak inputs have a real W mass.
    pub fn validate(&self) -> Result<(), ParamError> {
        for name in PARAM_NAMES {
            let v = self.get(name)?;
            if !v.is_finite() {
                return Err(ParamError::NotFinite { name });
            }
            let is_width = name.starts_with('W');
            if v < 0.0 || (!is_width && v == 0.0) {
                return Err(ParamError::NonPositive { name, value: v });
            }
        }
        let sw2 = self.to_params::<f64>().derived().sw2;
        if !(sw2 > 0.0 && sw2 < 1.0) {
            return Err(ParamError::MixingAngle { sw2 });
        }
        Ok(())
    }

    /// All parameters as constants of type `S`.
    pub fn to_params<S: Scalar>(&self) -> SmParams<S> {
        SmParams {
            mz: S::from_f64(self.MZ),
            wz: S::from_f64(self.WZ),
            aewm1: S::from_f64(self.aEWM1),
            gf: S::from_f64(self.Gf),
            mt: S::from_f64(self.MT),
            wt: S::from_f64(self.WT),
            mh: S::from_f64(self.MH),
            ww: S::from_f64(self.WW),
        }
    }
}

/// Model inputs in any number type (so each can carry derivatives).
#[derive(Clone, Debug)]
pub struct SmParams<S> {
    /// Z mass.
    pub mz: S,
    /// Z width.
    pub wz: S,
    /// 1/α_EW.
    pub aewm1: S,
    /// Fermi constant.
    pub gf: S,
    /// Top mass.
    pub mt: S,
    /// Top width.
    pub wt: S,
    /// Higgs mass.
    pub mh: S,
    /// W width.
    pub ww: S,
}

/// Quantities derived from [`SmParams`] in the `sm` scheme.
#[derive(Clone, Debug)]
pub struct Derived<S> {
    /// α_EW = 1/aEWM1.
    pub alpha: S,
    /// e = √(4πα).
    pub e: S,
    /// W mass.
    pub mw: S,
    /// sin²θW = 1 − mW²/MZ².
    pub sw2: S,
    /// cos²θW.
    pub cw2: S,
}

impl<S: Scalar> SmParams<S> {
    /// Replace the parameter `name` by `value` (e.g. a dual number seeded for differentiation).
    pub fn set(&mut self, name: &str, value: S) -> Result<(), ParamError> {
        let slot = match name {
            "MZ" => &mut self.mz,
            "WZ" => &mut self.wz,
            "aEWM1" => &mut self.aewm1,
            "Gf" => &mut self.gf,
            "MT" => &mut self.mt,
            "WT" => &mut self.wt,
            "MH" => &mut self.mh,
            "WW" => &mut self.ww,
            _ => return Err(ParamError::UnknownParameter(name.to_string())),
        };
        *slot = value;
        Ok(())
    }

    /// mW, sin²θW, α and e in the `sm` scheme (see the module documentation).
    pub fn derived(&self) -> Derived<S> {
        let alpha = self.aewm1.recip();
        let mz2 = self.mz.clone() * self.mz.clone();
        let disc = mz2.clone() * mz2.clone() * 0.25
            - alpha.clone() * mz2.clone() * std::f64::consts::PI
                / (self.gf.clone() * std::f64::consts::SQRT_2);
        let mw2 = mz2.clone() * 0.5 + disc.sqrt();
        let cw2 = mw2.clone() / mz2;
        Derived {
            e: (alpha.clone() * (4.0 * std::f64::consts::PI)).sqrt(),
            alpha,
            mw: mw2.sqrt(),
            sw2: cw2.rsub(1.0),
            cw2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::gradcheck::assert_gradient;
    use diffhep::{RealScalar, ScalarFn};

    #[test]
    fn defaults_reproduce_madgraph_derived_values() {
        // Reference: MadGraph `sm` defaults, derived mW = 80.419002, sin²θW = 0.22224649
        // (shared/reference/physics-numbers.md).
        let d = ParamCard::default().to_params::<f64>().derived();
        assert!((d.mw - 80.419002).abs() < 5e-6, "{}", d.mw);
        assert!((d.sw2 - 0.22224649).abs() < 5e-8, "{}", d.sw2);
        assert!((d.e - (4.0 * std::f64::consts::PI / 132.507).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn cards_parse_from_toml_and_json() {
        let t = ParamCard::from_toml_str("MZ = 91.0\nMT = 172.5\n").unwrap();
        assert_eq!((t.MZ, t.MT, t.WZ), (91.0, 172.5, 2.441404));
        let j = ParamCard::from_json_str(r#"{"WT": 1.4, "Gf": 1.166e-5}"#).unwrap();
        assert_eq!((j.WT, j.Gf, j.MZ), (1.4, 1.166e-5, 91.188));
    }

    #[test]
    fn bad_cards_give_named_errors() {
        let e = ParamCard::from_toml_str("MZZ = 91.0").unwrap_err();
        assert!(e.to_string().contains("MZZ"), "{e}");
        let e = ParamCard::from_toml_str("MT = -1.0").unwrap_err();
        assert!(
            matches!(
                e,
                ParamError::NonPositive {
                    name: "MT",
                    value: -1.0
                }
            ),
            "{e}"
        );
        let e = ParamCard::from_toml_str("WZ = -0.1").unwrap_err();
        assert!(e.to_string().contains("WZ"));
        assert!(ParamCard::from_toml_str("WZ = 0.0").is_ok());
        // G_F far too small: no real W mass.
        let e = ParamCard::from_toml_str("Gf = 1e-7").unwrap_err();
        assert!(matches!(e, ParamError::MixingAngle { .. }), "{e}");
        let e = ParamCard::from_json_str(r#"{"MZ": "heavy"}"#).unwrap_err();
        assert!(matches!(e, ParamError::Parse(_)));
        let e = ParamCard::from_path(Path::new("/nonexistent/card.toml")).unwrap_err();
        assert!(matches!(e, ParamError::Io { .. }));
        let empty =
            std::env::temp_dir().join(format!("diffhep-empty-card-{}.toml", std::process::id()));
        std::fs::write(&empty, " \n\t\n").unwrap();
        let e = ParamCard::from_path(&empty).unwrap_err();
        std::fs::remove_file(&empty).unwrap();
        assert!(matches!(e, ParamError::Empty { .. }), "{e}");
        assert!(e.to_string().contains("is empty"), "{e}");
        let mut p = ParamCard::default().to_params::<f64>();
        assert!(p.set("MQ", 1.0).is_err());
        assert!(ParamCard::default().get("MQ").is_err());
    }

    struct Sw2;
    impl ScalarFn for Sw2 {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            let mut p = ParamCard::default().to_params::<S>();
            p.set("MZ", x[0].clone()).unwrap();
            p.set("aEWM1", x[1].clone()).unwrap();
            p.set("Gf", x[2].clone()).unwrap();
            let d = p.derived();
            d.sw2 + d.mw * 1e-3
        }
    }

    #[test]
    fn derived_quantities_are_differentiable() {
        // Gf is tiny: check in units where it is O(1) by the relative step of the check.
        let cfg = diffhep::gradcheck::GradCheckConfig::default();
        let r = diffhep::gradcheck::check_gradient(&Sw2, &[91.188, 132.507, 1.16639e-5], &cfg);
        // The FD step for Gf is 1e-2·max(1, |Gf|) = 1e-2 ≫ Gf: use a step relative to Gf instead.
        assert!(
            r.components[0].disagree.is_empty() && r.components[1].disagree.is_empty(),
            "{r}"
        );
        let (_, g) = diffhep::tape::gradient(|v| Sw2.eval(v), &[91.188, 132.507, 1.16639e-5]);
        let mut x = [91.188, 132.507, 1.16639e-5];
        let (fd, err) = diffhep::gradcheck::ridders(
            |t| {
                x[2] = t;
                Sw2.eval(&x)
            },
            1.16639e-5,
            1e-8,
        );
        assert!(
            (g[2] - fd).abs() < 1e-6 * fd.abs() + 10.0 * err,
            "{} vs {fd}",
            g[2]
        );
        assert_gradient(&Sw2, &[91.188, 132.507, 1.0]);
    }

    #[test]
    fn error_messages_are_unchanged_and_keep_their_sources() {
        use std::error::Error as _;
        // Parse errors print the parser's message after the same prefix, and hold it.
        let text = "MZ = \"heavy\"";
        let toml_err = toml::from_str::<ParamCard>(text).unwrap_err();
        let e = ParamCard::from_toml_str(text).unwrap_err();
        assert_eq!(e.to_string(), format!("invalid param card: {toml_err}"));
        match e.source().unwrap().downcast_ref::<CardSyntaxError>() {
            Some(CardSyntaxError::Toml(inner)) => assert_eq!(inner, &toml_err),
            other => panic!("expected the TOML error as source, got {other:?}"),
        }
        let text = r#"{"MZ": "heavy"}"#;
        let json_err = serde_json::from_str::<ParamCard>(text).unwrap_err();
        let e = ParamCard::from_json_str(text).unwrap_err();
        assert_eq!(e.to_string(), format!("invalid param card: {json_err}"));
        match e.source().unwrap().downcast_ref::<CardSyntaxError>() {
            Some(CardSyntaxError::Json(inner)) => {
                assert_eq!(inner.to_string(), json_err.to_string())
            }
            other => panic!("expected the JSON error as source, got {other:?}"),
        }
        // I/O errors: "cannot read param card: {path}: {io error}", the io::Error as source.
        let path = Path::new("/nonexistent/card.toml");
        let io_err = std::fs::read_to_string(path).unwrap_err();
        let e = ParamCard::from_path(path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("cannot read param card: /nonexistent/card.toml: {io_err}")
        );
        let source = e.source().unwrap();
        let inner = source.downcast_ref::<Arc<std::io::Error>>().unwrap();
        assert_eq!(inner.kind(), io_err.kind());
        // The others have no source.
        let cases = [
            (
                ParamError::NonPositive {
                    name: "MT",
                    value: -1.0,
                },
                "parameter MT = -1 must be positive",
            ),
            (
                ParamError::NotFinite { name: "WZ" },
                "parameter WZ is not finite",
            ),
            (
                ParamError::MixingAngle { sw2: f64::NAN },
                "the inputs MZ, aEWM1, Gf give sin²θW = NaN, outside (0, 1): no real W mass",
            ),
            (
                ParamError::UnknownParameter("MQ".into()),
                "unknown parameter 'MQ' (known: MZ, WZ, aEWM1, Gf, MT, WT, MH, WW)",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
            assert!(e.source().is_none());
        }
    }
}
