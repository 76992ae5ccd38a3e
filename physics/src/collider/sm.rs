//! Standard-Model parameters: a param card (TOML, JSON or MadGraph's SLHA `param_card.dat`) and
//! the derived electroweak and strong quantities.
//!
//! # Scheme
//! MadGraph's `sm` model scheme: the electroweak inputs are MZ, 1/α_EW(MZ) (`aEWM1`) and G_F
//! (`Gf`); the W mass and the weak mixing angle are derived at tree level,
//!
//! m_W² = M_Z²/2 + √(M_Z⁴/4 − π α M_Z² / (√2 G_F)),   sin²θ_W = 1 − m_W²/M_Z²,
//!
//! and α = 1/aEWM1 (not α(0)) is used in every coupling: e = √(4πα), g_Z = e/(sin θ_W cos θ_W),
//! g_W = e/sin θ_W. The Higgs vacuum expectation value is v = 2 m_W sin θ_W / e, which at tree
//! level equals (√2 G_F)^(−1/2) whatever MZ and aEWM1 are. The strong coupling is the input
//! α_s(MZ) (`aS`), with g_s = √(4π α_s). With the defaults (MZ = 91.188, aEWM1 = 132.507,
//! Gf = 1.16639e-5, aS = 0.118) this gives mW = 80.419002 and sin²θW = 0.22224649 (the numbers
//! in the project's physics reference), v = 246.21846 and g_s = 1.2177158.
//!
//! The other inputs are the masses MT, MB, MTA, MH, the widths WZ, WW, WT, WH and the Yukawa
//! masses `ymb`, `ymt`, `ymtau` (the masses that set the Higgs couplings y_f = √2 m_f / v; they
//! are separate parameters, as in MadGraph, and may be zero). [`PARAM_NAMES`] lists them all.
//!
//! # Card formats
//! - TOML (`MZ = 91.0` lines) or JSON (`{"MZ": 91.0}`), with the names of [`PARAM_NAMES`]; an
//!   unknown key is an error.
//! - SLHA, the format of MadGraph's `param_card.dat` ([`ParamCard::from_slha_str`]): `BLOCK
//!   SMINPUTS` (1 aEWM1, 2 Gf, 3 aS), `BLOCK MASS` (5 MB, 6 MT, 15 MTA, 23 MZ, 25 MH),
//!   `BLOCK YUKAWA` (5 ymb, 6 ymt, 15 ymtau) and `DECAY <pdg> <width>` lines (6 WT, 23 WZ,
//!   24 WW, 25 WH). Block names and keywords are case-insensitive and `#` starts a comment.
//!   MadGraph also writes the masses and widths that the `sm` model fixes to zero (light quarks,
//!   leptons, neutrinos, photon, gluon): these must be zero. The W mass (MASS 24) is written as a
//!   dependent parameter and, as in MadGraph, ignored: it is always derived. Decay tables below
//!   a DECAY line and every other block (CKMBLOCK, QNUMBERS, …) are skipped.
//!
//! In every format, parameters missing from the card take MadGraph's `sm` defaults
//! ([`ParamCard::default`]).
//!
//! Every parameter can be made a differentiable input: [`ParamCard::to_params`] gives an
//! [`SmParams<S>`] of constants, and [`SmParams::set`] replaces one by a dual number or tape
//! variable by name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diffhep::Scalar;
use serde::{Deserialize, Serialize};

/// Names of the parameters, as in MadGraph's param card.
pub const PARAM_NAMES: [&str; 15] = [
    "MZ", "WZ", "aEWM1", "Gf", "MT", "WT", "MH", "WW", "aS", "MB", "MTA", "WH", "ymb", "ymt",
    "ymtau",
];

/// Errors in model parameters.
///
/// Not `PartialEq`: [`ParamError::Parse`] and [`ParamError::Io`] hold the parser's and the
/// file system's errors, which have no equality.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ParamError {
    /// The card could not be parsed (includes unknown keys); the parser's error is the source.
    #[error("invalid param card: {0}")]
    Parse(#[source] CardSyntaxError),
    /// An SLHA card (`param_card.dat`) has an invalid line; the [`SlhaError`], which names the
    /// line, is the source.
    #[error("invalid SLHA param card: {0}")]
    Slha(#[source] SlhaError),
    /// The card file could not be read; the [`std::io::Error`] is the source.
    #[error("cannot read param card: {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A mass, width or Yukawa mass is negative, or a mass or electroweak input is zero (widths
    /// and Yukawa masses may be zero).
    #[error("parameter {name} = {value} must be positive")]
    NonPositive {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A parameter with a bounded range is outside it (aS must be in (0, 1)).
    #[error("parameter {name} = {value} must be in {range}")]
    OutOfRange {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The allowed range, e.g. `(0, 1)`.
        range: &'static str,
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

/// An invalid line of an SLHA card, behind [`ParamError::Slha`]: printed as
/// ``line 12 (`3 abc # aS`): `abc` is not a number``.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("line {line} (`{text}`): {problem}")]
pub struct SlhaError {
    /// The line number, counting from 1.
    pub line: usize,
    /// The line as written (comment included), without surrounding white space.
    pub text: String,
    /// What is wrong with it.
    pub problem: SlhaProblem,
}

/// What is wrong with a line of an SLHA card ([`SlhaError`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SlhaProblem {
    /// A non-comment line before the first `BLOCK` or `DECAY`.
    #[error("entry outside any BLOCK or DECAY")]
    OutsideBlock,
    /// `BLOCK` with no block name.
    #[error("BLOCK without a name")]
    MissingBlockName,
    /// A line in SMINPUTS, MASS or YUKAWA that is not `<index> <value>`.
    #[error("expected `<index> <value>` in block {block}")]
    BadEntry {
        /// The block (upper case).
        block: &'static str,
    },
    /// A `DECAY` line that is not `DECAY <pdg> <width>`.
    #[error("expected `DECAY <pdg> <width>`")]
    BadDecay,
    /// A line below a `DECAY` line that is not a decay-table entry.
    #[error(
        "expected a decay-table entry `<branching ratio> <number of daughters> <daughter PDG \
         codes>` below a DECAY line"
    )]
    BadDecayEntry,
    /// An index or PDG code that is not an integer.
    #[error("`{token}` is not an integer")]
    NotAnInteger {
        /// The token.
        token: String,
    },
    /// A value that is not a number (e.g. MadGraph's `Auto` width, which MadGraph computes
    /// before a run; give the number).
    #[error("`{token}` is not a number{}", auto_width_hint(token))]
    NotANumber {
        /// The token.
        token: String,
    },
    /// A SMINPUTS index other than 1 (aEWM1), 2 (Gf), 3 (aS).
    #[error("SMINPUTS {index} is not an input of the `sm` model (1 aEWM1, 2 Gf, 3 aS)")]
    UnknownInput {
        /// The index.
        index: i64,
    },
    /// A non-zero mass for a particle that the `sm` model has massless (or does not have).
    #[error(
        "MASS {pdg} = {value}: the `sm` model has this particle massless (its masses are \
         5 MB, 6 MT, 15 MTA, 23 MZ, 25 MH; 24, the W mass, is derived)"
    )]
    Massless {
        /// The PDG code.
        pdg: i64,
        /// The mass in the card.
        value: f64,
    },
    /// A non-zero Yukawa mass for a particle that has none in the `sm` model.
    #[error(
        "YUKAWA {pdg} = {value}: the `sm` model has no Yukawa coupling for this particle (its \
         Yukawa masses are 5 ymb, 6 ymt, 15 ymtau)"
    )]
    NoYukawa {
        /// The PDG code.
        pdg: i64,
        /// The Yukawa mass in the card.
        value: f64,
    },
    /// A non-zero width for a particle that the `sm` model has stable (or does not have).
    #[error(
        "DECAY {pdg} {value}: the `sm` model has this particle stable (its widths are 6 WT, \
         23 WZ, 24 WW, 25 WH)"
    )]
    NoWidth {
        /// The PDG code.
        pdg: i64,
        /// The width in the card.
        value: f64,
    },
    /// A parameter given a second time.
    #[error("{name} is given twice (first on line {first})")]
    Duplicate {
        /// The parameter.
        name: &'static str,
        /// The line of its first value.
        first: usize,
    },
}

/// The hint after [`SlhaProblem::NotANumber`] for MadGraph's `Auto` width.
fn auto_width_hint(token: &str) -> &'static str {
    if token.eq_ignore_ascii_case("auto") {
        " (MadGraph computes `Auto` widths when it runs; write the width)"
    } else {
        ""
    }
}

/// Model inputs as read from a param card. Missing keys take MadGraph's `sm` defaults; unknown
/// keys are an error (see the module documentation for the SLHA format).
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
    /// Strong coupling α_s at MZ, in (0, 1).
    pub aS: f64,
    /// Bottom mass [GeV].
    pub MB: f64,
    /// Tau mass [GeV].
    pub MTA: f64,
    /// Higgs width [GeV].
    pub WH: f64,
    /// Bottom Yukawa mass [GeV] (y_b = √2 ymb / v; may be zero).
    pub ymb: f64,
    /// Top Yukawa mass [GeV] (y_t = √2 ymt / v; may be zero).
    pub ymt: f64,
    /// Tau Yukawa mass [GeV] (y_τ = √2 ymtau / v; may be zero).
    pub ymtau: f64,
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
            aS: 0.118,
            MB: 4.7,
            MTA: 1.777,
            WH: 6.382339e-3,
            ymb: 4.7,
            ymt: 173.0,
            ymtau: 1.777,
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

    /// Parse an SLHA card (MadGraph's `param_card.dat`; the blocks read are listed in the
    /// module documentation) and validate it. An invalid line is [`ParamError::Slha`], which
    /// names the line.
    pub fn from_slha_str(s: &str) -> Result<Self, ParamError> {
        let card = parse_slha(s).map_err(ParamError::Slha)?;
        card.validate()?;
        Ok(card)
    }

    /// Read a card from a file: JSON if the name ends in `.json`, SLHA if it ends in `.dat` or
    /// `.slha`, TOML otherwise. A file of only white space is [`ParamError::Empty`] (an empty
    /// TOML text would silently mean "all defaults").
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
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Self::from_json_str(&text),
            Some("dat" | "slha") => Self::from_slha_str(&text),
            _ => Self::from_toml_str(&text),
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
            "aS" => self.aS,
            "MB" => self.MB,
            "MTA" => self.MTA,
            "WH" => self.WH,
            "ymb" => self.ymb,
            "ymt" => self.ymt,
            "ymtau" => self.ymtau,
            _ => return Err(ParamError::UnknownParameter(name.to_string())),
        })
    }

    /// Set a parameter by name and validate the card (see [`Self::validate`]); on error the
    /// card is unchanged.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        let mut next = self.clone();
        *next
            .field_mut(name)
            .ok_or_else(|| ParamError::UnknownParameter(name.to_string()))? = value;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// The field of a parameter by name (for the SLHA reader).
    fn field_mut(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "MZ" => &mut self.MZ,
            "WZ" => &mut self.WZ,
            "aEWM1" => &mut self.aEWM1,
            "Gf" => &mut self.Gf,
            "MT" => &mut self.MT,
            "WT" => &mut self.WT,
            "MH" => &mut self.MH,
            "WW" => &mut self.WW,
            "aS" => &mut self.aS,
            "MB" => &mut self.MB,
            "MTA" => &mut self.MTA,
            "WH" => &mut self.WH,
            "ymb" => &mut self.ymb,
            "ymt" => &mut self.ymt,
            "ymtau" => &mut self.ymtau,
            _ => return None,
        })
    }

    /// Check finiteness and ranges — masses, aEWM1 and Gf positive, widths and Yukawa masses
    /// non-negative, aS in (0, 1) — and that the electroweak inputs have a real W mass.
    pub fn validate(&self) -> Result<(), ParamError> {
        for name in PARAM_NAMES {
            let v = self.get(name)?;
            if !v.is_finite() {
                return Err(ParamError::NotFinite { name });
            }
            if name == "aS" {
                if !(v > 0.0 && v < 1.0) {
                    return Err(ParamError::OutOfRange {
                        name,
                        value: v,
                        range: "(0, 1)",
                    });
                }
                continue;
            }
            // Widths (WZ, WT, WW, WH) and Yukawa masses (ym…) may be zero.
            let zero_ok = name.starts_with('W') || name.starts_with("ym");
            if v < 0.0 || (!zero_ok && v == 0.0) {
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
            alpha_s: S::from_f64(self.aS),
            mb: S::from_f64(self.MB),
            mta: S::from_f64(self.MTA),
            wh: S::from_f64(self.WH),
            ymb: S::from_f64(self.ymb),
            ymt: S::from_f64(self.ymt),
            ymtau: S::from_f64(self.ymtau),
        }
    }
}

/// The blocks of an SLHA card that the `sm` model reads.
#[derive(Clone, Copy)]
enum SlhaBlock {
    SmInputs,
    Mass,
    Yukawa,
}

/// Where the SLHA reader is.
#[derive(Clone, Copy)]
enum SlhaSection {
    /// Before the first BLOCK or DECAY.
    Start,
    /// Inside a block the model reads.
    Used(SlhaBlock),
    /// Inside a block the model does not use.
    Skipped,
    /// Below a DECAY line (its decay table).
    Decay,
}

/// Read an SLHA card into the defaults (no validation of the values; see
/// [`ParamCard::from_slha_str`]).
fn parse_slha(text: &str) -> Result<ParamCard, SlhaError> {
    let mut card = ParamCard::default();
    // The line of each parameter set so far, to reject a second value.
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    let mut section = SlhaSection::Start;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let fail = |problem| SlhaError {
            line,
            text: raw.trim().to_string(),
            problem,
        };
        let content = raw.split('#').next().unwrap_or_default();
        let tokens: Vec<&str> = content.split_whitespace().collect();
        let Some(&keyword) = tokens.first() else {
            continue;
        };
        let integer = |token: &str| {
            token.parse::<i64>().map_err(|_| {
                fail(SlhaProblem::NotAnInteger {
                    token: token.to_string(),
                })
            })
        };
        let number = |token: &str| {
            token.parse::<f64>().map_err(|_| {
                fail(SlhaProblem::NotANumber {
                    token: token.to_string(),
                })
            })
        };
        // The parameter `name` takes `value`, once.
        let mut assign = |name: &'static str, value: f64| -> Result<(), SlhaError> {
            if let Some(&(_, first)) = seen.iter().find(|(n, _)| *n == name) {
                return Err(fail(SlhaProblem::Duplicate { name, first }));
            }
            seen.push((name, line));
            if let Some(slot) = card.field_mut(name) {
                *slot = value;
            }
            Ok(())
        };
        if keyword.eq_ignore_ascii_case("BLOCK") {
            let name = tokens
                .get(1)
                .ok_or_else(|| fail(SlhaProblem::MissingBlockName))?;
            // Anything after the name (a scale `Q= …`, a PDG code for QNUMBERS) is not used.
            section = match name.to_ascii_uppercase().as_str() {
                "SMINPUTS" => SlhaSection::Used(SlhaBlock::SmInputs),
                "MASS" => SlhaSection::Used(SlhaBlock::Mass),
                "YUKAWA" => SlhaSection::Used(SlhaBlock::Yukawa),
                _ => SlhaSection::Skipped,
            };
            continue;
        }
        if keyword.eq_ignore_ascii_case("DECAY") {
            let [_, pdg, width] = tokens[..] else {
                return Err(fail(SlhaProblem::BadDecay));
            };
            let (pdg, width) = (integer(pdg)?, number(width)?);
            match pdg {
                6 => assign("WT", width)?,
                23 => assign("WZ", width)?,
                24 => assign("WW", width)?,
                25 => assign("WH", width)?,
                _ if width == 0.0 => {}
                _ => return Err(fail(SlhaProblem::NoWidth { pdg, value: width })),
            }
            section = SlhaSection::Decay;
            continue;
        }
        match section {
            SlhaSection::Start => return Err(fail(SlhaProblem::OutsideBlock)),
            SlhaSection::Skipped => {}
            SlhaSection::Decay => {
                // `<branching ratio> <number of daughters> <daughter PDG codes>`: skipped, but
                // it must be one.
                let ok = tokens.len() >= 2
                    && tokens[0].parse::<f64>().is_ok()
                    && tokens[1]
                        .parse::<usize>()
                        .is_ok_and(|n| tokens.len() == 2 + n)
                    && tokens[2..].iter().all(|t| t.parse::<i64>().is_ok());
                if !ok {
                    return Err(fail(SlhaProblem::BadDecayEntry));
                }
            }
            SlhaSection::Used(block) => {
                let [index, value] = tokens[..] else {
                    let block = match block {
                        SlhaBlock::SmInputs => "SMINPUTS",
                        SlhaBlock::Mass => "MASS",
                        SlhaBlock::Yukawa => "YUKAWA",
                    };
                    return Err(fail(SlhaProblem::BadEntry { block }));
                };
                let (index, value) = (integer(index)?, number(value)?);
                match (block, index) {
                    (SlhaBlock::SmInputs, 1) => assign("aEWM1", value)?,
                    (SlhaBlock::SmInputs, 2) => assign("Gf", value)?,
                    (SlhaBlock::SmInputs, 3) => assign("aS", value)?,
                    (SlhaBlock::SmInputs, _) => {
                        return Err(fail(SlhaProblem::UnknownInput { index }))
                    }
                    (SlhaBlock::Mass, 5) => assign("MB", value)?,
                    (SlhaBlock::Mass, 6) => assign("MT", value)?,
                    (SlhaBlock::Mass, 15) => assign("MTA", value)?,
                    (SlhaBlock::Mass, 23) => assign("MZ", value)?,
                    (SlhaBlock::Mass, 25) => assign("MH", value)?,
                    // The W mass: written by MadGraph as a dependent parameter, which MadGraph
                    // ignores too (it is derived from MZ, aEWM1, Gf).
                    (SlhaBlock::Mass, 24) => {}
                    (SlhaBlock::Mass, pdg) if value != 0.0 => {
                        return Err(fail(SlhaProblem::Massless { pdg, value }))
                    }
                    (SlhaBlock::Yukawa, 5) => assign("ymb", value)?,
                    (SlhaBlock::Yukawa, 6) => assign("ymt", value)?,
                    (SlhaBlock::Yukawa, 15) => assign("ymtau", value)?,
                    (SlhaBlock::Yukawa, pdg) if value != 0.0 => {
                        return Err(fail(SlhaProblem::NoYukawa { pdg, value }))
                    }
                    (SlhaBlock::Mass | SlhaBlock::Yukawa, _) => {}
                }
            }
        }
    }
    Ok(card)
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
    /// Strong coupling α_s at MZ (`aS`).
    pub alpha_s: S,
    /// Bottom mass (`MB`).
    pub mb: S,
    /// Tau mass (`MTA`).
    pub mta: S,
    /// Higgs width (`WH`).
    pub wh: S,
    /// Bottom Yukawa mass (`ymb`).
    pub ymb: S,
    /// Top Yukawa mass (`ymt`).
    pub ymt: S,
    /// Tau Yukawa mass (`ymtau`).
    pub ymtau: S,
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
    /// Strong coupling g_s = √(4π α_s).
    pub gs: S,
    /// Higgs vacuum expectation value v = 2 mW sin θW / e (MadGraph's `vev`); at tree level
    /// it equals (√2 G_F)^(−1/2), 246.21846 GeV with the defaults.
    pub v: S,
}

impl<S: Scalar> SmParams<S> {
    /// Replace the parameter `name` (one of [`PARAM_NAMES`]) by `value` (e.g. a dual number
    /// seeded for differentiation).
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
            "aS" => &mut self.alpha_s,
            "MB" => &mut self.mb,
            "MTA" => &mut self.mta,
            "WH" => &mut self.wh,
            "ymb" => &mut self.ymb,
            "ymt" => &mut self.ymt,
            "ymtau" => &mut self.ymtau,
            _ => return Err(ParamError::UnknownParameter(name.to_string())),
        };
        *slot = value;
        Ok(())
    }

    /// mW, sin²θW, α, e, g_s and v in the `sm` scheme (see the module documentation).
    pub fn derived(&self) -> Derived<S> {
        let alpha = self.aewm1.recip();
        let mz2 = self.mz.clone() * self.mz.clone();
        let disc = mz2.clone() * mz2.clone() * 0.25
            - alpha.clone() * mz2.clone() * std::f64::consts::PI
                / (self.gf.clone() * std::f64::consts::SQRT_2);
        let mw2 = mz2.clone() * 0.5 + disc.sqrt();
        let cw2 = mw2.clone() / mz2;
        let sw2 = cw2.rsub(1.0);
        let e = (alpha.clone() * (4.0 * std::f64::consts::PI)).sqrt();
        let mw = mw2.sqrt();
        let v = mw.clone() * sw2.sqrt() * 2.0 / e.clone();
        Derived {
            gs: (self.alpha_s.clone() * (4.0 * std::f64::consts::PI)).sqrt(),
            v,
            e,
            alpha,
            mw,
            sw2,
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
        // MadGraph: G = 2√(aS π) = 1.2177158, vev = 2 MW sw/ee = (√2 Gf)^(−1/2) = 246.21846.
        assert!((d.gs - 1.2177157847767197).abs() < 1e-14, "{}", d.gs);
        assert!((d.v - 246.21845810181634).abs() < 1e-10, "{}", d.v);
    }

    #[test]
    fn set_changes_one_parameter_and_refuses_bad_values() {
        let mut c = ParamCard::default();
        c.set("MT", 172.5).unwrap();
        assert_eq!(c.get("MT").unwrap(), 172.5);
        assert!(matches!(
            c.set("MX", 1.0),
            Err(ParamError::UnknownParameter(n)) if n == "MX"
        ));
        assert!(matches!(
            c.set("MZ", -1.0),
            Err(ParamError::NonPositive { name: "MZ", .. })
        ));
        assert!(matches!(
            c.set("aS", f64::NAN),
            Err(ParamError::NotFinite { name: "aS" })
        ));
        // A refused value leaves the card as it was.
        assert_eq!(c.get("MZ").unwrap(), ParamCard::default().MZ);
    }

    #[test]
    fn cards_parse_from_toml_and_json() {
        let t = ParamCard::from_toml_str("MZ = 91.0\nMT = 172.5\n").unwrap();
        assert_eq!((t.MZ, t.MT, t.WZ), (91.0, 172.5, 2.441404));
        let j = ParamCard::from_json_str(r#"{"WT": 1.4, "Gf": 1.166e-5}"#).unwrap();
        assert_eq!((j.WT, j.Gf, j.MZ), (1.4, 1.166e-5, 91.188));
        let t = ParamCard::from_toml_str("aS = 0.13\nMB = 4.8\nymb = 0.0\nWH = 4.1e-3\n").unwrap();
        assert_eq!((t.aS, t.MB, t.ymb, t.WH), (0.13, 4.8, 0.0, 4.1e-3));
        assert_eq!((t.MTA, t.ymt, t.ymtau), (1.777, 173.0, 1.777));
        let j = ParamCard::from_json_str(r#"{"MTA": 1.78, "ymt": 172.5, "ymtau": 1.7}"#).unwrap();
        assert_eq!((j.MTA, j.ymt, j.ymtau, j.aS), (1.78, 172.5, 1.7, 0.118));
        // Every name of PARAM_NAMES is a key, and `get` and `set` know it.
        let card = ParamCard::default();
        let mut p = card.to_params::<f64>();
        for name in PARAM_NAMES {
            let text = format!("{name} = {:?}", card.get(name).unwrap() * 1.01);
            let t = ParamCard::from_toml_str(&text).unwrap();
            assert_eq!(
                t.get(name).unwrap(),
                card.get(name).unwrap() * 1.01,
                "{name}"
            );
            p.set(name, 0.0).unwrap();
        }
        let fields = [
            p.mz, p.wz, p.aewm1, p.gf, p.mt, p.wt, p.mh, p.ww, p.alpha_s, p.mb, p.mta, p.wh, p.ymb,
            p.ymt, p.ymtau,
        ];
        assert!(fields.iter().all(|&x| x == 0.0), "{fields:?}");
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
        // Widths and Yukawa masses may be zero, masses not; aS is in (0, 1).
        assert!(ParamCard::from_toml_str("WH = 0.0\nymb = 0.0\nymt = 0.0\nymtau = 0.0").is_ok());
        for (text, name) in [
            ("MB = 0.0", "MB"),
            ("MTA = -1.0", "MTA"),
            ("WH = -1e-3", "WH"),
            ("ymt = -1.0", "ymt"),
        ] {
            let e = ParamCard::from_toml_str(text).unwrap_err();
            assert!(
                matches!(e, ParamError::NonPositive { name: n, .. } if n == name),
                "{e}"
            );
        }
        for v in [0.0, -0.1, 1.0, 1.5] {
            let e = ParamCard::from_toml_str(&format!("aS = {v:?}")).unwrap_err();
            assert!(
                matches!(e, ParamError::OutOfRange { name: "aS", value, range: "(0, 1)" } if value == v),
                "{e}"
            );
        }
        let e = ParamCard::from_toml_str("aS = nan").unwrap_err();
        assert!(matches!(e, ParamError::NotFinite { name: "aS" }), "{e}");
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

    /// g_s + v/100 as a function of (MZ, aEWM1, aS, Gf).
    struct GsV;
    impl ScalarFn for GsV {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            let mut p = ParamCard::default().to_params::<S>();
            p.set("MZ", x[0].clone()).unwrap();
            p.set("aEWM1", x[1].clone()).unwrap();
            p.set("aS", x[2].clone()).unwrap();
            p.set("Gf", x[3].clone()).unwrap();
            let d = p.derived();
            d.gs + d.v * 1e-2
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

        // g_s w.r.t. aS and v w.r.t. MZ (and aEWM1): AD against finite differences. At tree
        // level v = (√2 Gf)^(−1/2), so ∂v/∂MZ = ∂v/∂aEWM1 = 0 and ∂v/∂Gf = −v/(2 Gf);
        // ∂g_s/∂aS = g_s/(2 aS).
        let x0 = [91.188, 132.507, 0.118, 1.16639e-5];
        let r = diffhep::gradcheck::check_gradient(&GsV, &x0, &cfg);
        assert!(
            r.components[..3].iter().all(|c| c.disagree.is_empty()),
            "{r}"
        );
        let (_, g) = diffhep::tape::gradient(|v| GsV.eval(v), &x0);
        let d = ParamCard::default().to_params::<f64>().derived();
        assert!((g[2] - d.gs / (2.0 * 0.118)).abs() < 1e-12, "{}", g[2]);
        assert!(g[0].abs() < 1e-12 && g[1].abs() < 1e-12, "{g:?}");
        let dv_dgf = -d.v / (2.0 * 1.16639e-5) * 1e-2;
        assert!(
            (g[3] - dv_dgf).abs() < 1e-9 * dv_dgf.abs(),
            "{} vs {dv_dgf}",
            g[3]
        );
        let mut x = x0;
        let (fd, err) = diffhep::gradcheck::ridders(
            |t| {
                x[3] = t;
                GsV.eval(&x)
            },
            1.16639e-5,
            1e-8,
        );
        assert!(
            (g[3] - fd).abs() < 1e-6 * fd.abs() + 10.0 * err,
            "{} vs {fd}",
            g[3]
        );
        assert_gradient(&GsV, &[91.188, 132.507, 0.118, 1.0]);
        // Forward mode too, at other values of MZ and aS.
        let (_, gf) = diffhep::forward::gradient(&GsV, &[95.0, 128.0, 0.13, 1.16639e-5]);
        assert!(gf[0].abs() < 1e-12, "{gf:?}");
        let gs = (4.0 * std::f64::consts::PI * 0.13f64).sqrt();
        assert!((gf[2] - gs / (2.0 * 0.13)).abs() < 1e-12, "{gf:?}");
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
                "unknown parameter 'MQ' (known: MZ, WZ, aEWM1, Gf, MT, WT, MH, WW, aS, MB, MTA, WH, \
                 ymb, ymt, ymtau)",
            ),
            (
                ParamError::OutOfRange {
                    name: "aS",
                    value: 1.5,
                    range: "(0, 1)",
                },
                "parameter aS = 1.5 must be in (0, 1)",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
            assert!(e.source().is_none());
        }
    }

    /// MadGraph's `param_card.dat` of the `sm` model with its defaults (MG5_aMC layout: header,
    /// the massless particles and the dependent W mass in MASS, the zero widths of the stable
    /// particles), plus a decay table for the Higgs and a QNUMBERS block.
    const MG5_SM_DEFAULT_CARD: &str = "\
######################################################################
## PARAM_CARD AUTOMATICALY GENERATED BY MG5 FOLLOWING UFO MODEL   ####
######################################################################
##                                                                  ##
##  Width set on Auto will be computed following the information    ##
##        present in the decay.py files of the model.               ##
##        See  arXiv:1402.1178 for more details.                    ##
##                                                                  ##
######################################################################

###################################
## INFORMATION FOR MASS
###################################
BLOCK MASS # 
      5 4.700000e+00 # mb 
      6 1.730000e+02 # mt 
      15 1.777000e+00 # mta 
      23 9.118800e+01 # mz 
      25 1.250000e+02 # mh 
## Dependent parameters, given by model restrictions.
## Those values should be edited following the 
## analytical expression. MG5 ignores those values 
## but they are important for interfacing the output of MG5
## to external program such as Pythia.
      1 0.000000e+00 # d : 0.0 
      2 0.000000e+00 # u : 0.0 
      3 0.000000e+00 # s : 0.0 
      4 0.000000e+00 # c : 0.0 
      11 0.000000e+00 # e- : 0.0 
      12 0.000000e+00 # ve : 0.0 
      13 0.000000e+00 # mu- : 0.0 
      14 0.000000e+00 # vm : 0.0 
      16 0.000000e+00 # vt : 0.0 
      21 0.000000e+00 # g : 0.0 
      22 0.000000e+00 # a : 0.0 
      24 8.041900e+01 # w+ : cmath.sqrt(MZ__exp__2/2. + cmath.sqrt(MZ__exp__4/4. - (aEW*cmath.pi*MZ__exp__2)/(Gf*sqrt__2))) 

###################################
## INFORMATION FOR SMINPUTS
###################################
BLOCK SMINPUTS # 
      1 1.325070e+02 # aewm1 
      2 1.166390e-05 # gf 
      3 1.180000e-01 # as (Note that Parameter not used if you use a PDF set) 

###################################
## INFORMATION FOR YUKAWA
###################################
BLOCK YUKAWA # 
      5 4.700000e+00 # ymb 
      6 1.730000e+02 # ymt 
      15 1.777000e+00 # ymtau 

###################################
## INFORMATION FOR DECAY
###################################
DECAY 6 1.491500e+00 # wt 
DECAY 23 2.441404e+00 # wz 
DECAY 24 2.047600e+00 # ww 
DECAY 25 6.382339e-03 # wh 
#  BR             NDA  ID1    ID2   ...
   5.770000e-01   2    5  -5 # 3.68e-03
   2.150000e-01   2    24  -24 # 1.37e-03
## Dependent parameters, given by model restrictions.
## Those values should be edited following the 
## analytical expression. MG5 ignores those values 
## but they are important for interfacing the output of MG5
## to external program such as Pythia.
DECAY 1 0.000000e+00 # d : 0.0 
DECAY 2 0.000000e+00 # u : 0.0 
DECAY 3 0.000000e+00 # s : 0.0 
DECAY 4 0.000000e+00 # c : 0.0 
DECAY 5 0.000000e+00 # b : 0.0 
DECAY 11 0.000000e+00 # e- : 0.0 
DECAY 12 0.000000e+00 # ve : 0.0 
DECAY 13 0.000000e+00 # mu- : 0.0 
DECAY 14 0.000000e+00 # vm : 0.0 
DECAY 15 0.000000e+00 # ta- : 0.0 
DECAY 16 0.000000e+00 # vt : 0.0 
DECAY 21 0.000000e+00 # g : 0.0 
DECAY 22 0.000000e+00 # a : 0.0 
#===========================================================
# QUANTUM NUMBERS OF NEW STATE(S) (NON SM PDG CODE)
#===========================================================

Block QNUMBERS 82  # gh 
        1 0  # 3 times electric charge
        2 1  # number of spin states (2S+1)
        3 1  # colour rep (1: singlet, 3: triplet, 8: octet)
        4 1  # Particle/Antiparticle distinction (0=own anti)
";

    /// The 1-based number of the first line of `text` that contains `needle`.
    fn line_of(text: &str, needle: &str) -> usize {
        1 + text.lines().position(|l| l.contains(needle)).unwrap()
    }

    #[test]
    fn madgraph_default_card_gives_the_defaults() {
        let card = ParamCard::from_slha_str(MG5_SM_DEFAULT_CARD).unwrap();
        assert_eq!(card, ParamCard::default());
        // The fixture sets every parameter, with MadGraph's printed precision.
        for name in PARAM_NAMES {
            assert_eq!(
                card.get(name).unwrap(),
                ParamCard::default().get(name).unwrap()
            );
        }
        // Windows line ends, and an empty card (all defaults).
        let crlf = MG5_SM_DEFAULT_CARD.replace('\n', "\r\n");
        assert_eq!(
            ParamCard::from_slha_str(&crlf).unwrap(),
            ParamCard::default()
        );
        assert_eq!(ParamCard::from_slha_str("").unwrap(), ParamCard::default());
    }

    #[test]
    fn slha_values_are_read() {
        let edits = [
            ("23 9.118800e+01 # mz", "23 9.100000e+01 # mz"),
            ("6 1.730000e+02 # mt", "6 1.725000e+02 # mt"),
            ("5 4.700000e+00 # mb", "5 4.180000e+00 # mb"),
            ("15 1.777000e+00 # mta", "15 1.776860e+00 # mta"),
            ("25 1.250000e+02 # mh", "25 1.251000e+02 # mh"),
            ("1 1.325070e+02 # aewm1", "1 1.279000e+02 # aewm1"),
            ("2 1.166390e-05 # gf", "2 1.166378e-05 # gf"),
            ("3 1.180000e-01 # as", "3 1.184000e-01 # as"),
            ("5 4.700000e+00 # ymb", "5 0.000000e+00 # ymb"),
            ("6 1.730000e+02 # ymt", "6 1.725000e+02 # ymt"),
            ("15 1.777000e+00 # ymtau", "15 1.770000e+00 # ymtau"),
            ("DECAY 6 1.491500e+00", "DECAY 6 1.330000e+00"),
            ("DECAY 23 2.441404e+00", "DECAY 23 2.495200e+00"),
            ("DECAY 24 2.047600e+00", "DECAY 24 2.085000e+00"),
            ("DECAY 25 6.382339e-03", "DECAY 25 4.070000e-03"),
            // MadGraph ignores the dependent W mass, and so do we.
            ("24 8.041900e+01 # w+", "24 7.982436e+01 # w+"),
        ];
        let mut text = MG5_SM_DEFAULT_CARD.to_string();
        for (from, to) in edits {
            assert_eq!(text.matches(from).count(), 1, "{from}");
            text = text.replace(from, to);
        }
        let card = ParamCard::from_slha_str(&text).unwrap();
        let expect = ParamCard {
            MZ: 91.0,
            WZ: 2.4952,
            aEWM1: 127.9,
            Gf: 1.166378e-5,
            MT: 172.5,
            WT: 1.33,
            MH: 125.1,
            WW: 2.085,
            aS: 0.1184,
            MB: 4.18,
            MTA: 1.77686,
            WH: 4.07e-3,
            ymb: 0.0,
            ymt: 172.5,
            ymtau: 1.77,
        };
        assert_eq!(card, expect);

        // Block names and keywords in any case, a scale after the block name, blocks in any
        // order, unused blocks (even with entries we could not read) skipped, missing entries
        // left at their defaults.
        let text = "\
# a partial card
Block yukawa Q= 9.118800e+01 # running masses
    6 1.60e+02 # ymt
BLOCK CKMBLOCK #
    1 2.277360e-01 # cabi
    x not an entry
decay   25   1.0e-3 2 # one token too many (line 7)
";
        let e = ParamCard::from_slha_str(text).unwrap_err();
        assert!(
            matches!(&e, ParamError::Slha(s) if s.line == 7 && s.problem == SlhaProblem::BadDecay),
            "{e}"
        );
        let text = text.replace("decay   25   1.0e-3 2", "decay   25   1.0e-3");
        let card = ParamCard::from_slha_str(&format!("{text}bLoCk SmInPuTs\n 3 0.125\n")).unwrap();
        let expect = ParamCard {
            ymt: 160.0,
            WH: 1e-3,
            aS: 0.125,
            ..ParamCard::default()
        };
        assert_eq!(card, expect);
    }

    #[test]
    fn slha_errors_name_the_line() {
        use SlhaProblem as P;
        let card = MG5_SM_DEFAULT_CARD;
        // (replace this, by this, the problem); the line is that of the replacement.
        let cases = [
            (
                "3 1.180000e-01 # as",
                "3 abc # as",
                P::NotANumber {
                    token: "abc".into(),
                },
            ),
            (
                "3 1.180000e-01 # as",
                "3 # as",
                P::BadEntry { block: "SMINPUTS" },
            ),
            (
                "23 9.118800e+01 # mz",
                "23 91.188 1 # mz",
                P::BadEntry { block: "MASS" },
            ),
            (
                "6 1.730000e+02 # ymt",
                "6 # ymt",
                P::BadEntry { block: "YUKAWA" },
            ),
            (
                "23 9.118800e+01 # mz",
                "23.0 9.118800e+01 # mz",
                P::NotAnInteger {
                    token: "23.0".into(),
                },
            ),
            (
                "2 1.166390e-05 # gf",
                "4 9.118800e+01 # mz",
                P::UnknownInput { index: 4 },
            ),
            (
                "      13 0.000000e+00 # mu-",
                "      13 1.056600e-01 # mu-",
                P::Massless {
                    pdg: 13,
                    value: 0.10566,
                },
            ),
            (
                "5 4.700000e+00 # ymb",
                "4 1.270000e+00 # ymc",
                P::NoYukawa {
                    pdg: 4,
                    value: 1.27,
                },
            ),
            (
                "DECAY 5 0.000000e+00",
                "DECAY 5 1.000000e-03",
                P::NoWidth {
                    pdg: 5,
                    value: 1e-3,
                },
            ),
            (
                "DECAY 25 6.382339e-03",
                "DECAY 25 Auto",
                P::NotANumber {
                    token: "Auto".into(),
                },
            ),
            ("DECAY 25 6.382339e-03", "DECAY 25", P::BadDecay),
            (
                "DECAY 25 6.382339e-03",
                "DECAY higgs 6.382339e-03",
                P::NotAnInteger {
                    token: "higgs".into(),
                },
            ),
            (
                "2.150000e-01   2    24  -24",
                "2.150000e-01   2    24",
                P::BadDecayEntry,
            ),
            (
                "2.150000e-01   2    24  -24",
                "2.150000e-01 W+ W-",
                P::BadDecayEntry,
            ),
            ("BLOCK YUKAWA #", "BLOCK # YUKAWA", P::MissingBlockName),
            (
                "      22 0.000000e+00 # a",
                "25 1.250000e+02 # mh again",
                P::Duplicate {
                    name: "MH",
                    first: line_of(card, "25 1.250000e+02 # mh"),
                },
            ),
            (
                "DECAY 24 2.047600e+00",
                "DECAY 23 2.047600e+00",
                P::Duplicate {
                    name: "WZ",
                    first: line_of(card, "DECAY 23"),
                },
            ),
        ];
        for (from, to, problem) in cases {
            assert_eq!(card.matches(from).count(), 1, "{from}");
            let text = card.replace(from, to);
            let line = line_of(&text, to);
            let e = ParamCard::from_slha_str(&text).unwrap_err();
            let ParamError::Slha(s) = &e else {
                panic!("{to}: expected an SLHA error, got {e}");
            };
            assert_eq!(s.problem, problem, "{to}");
            assert_eq!(s.line, line, "{to}");
            assert_eq!(s.text, text.lines().nth(line - 1).unwrap().trim(), "{to}");
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!("invalid SLHA param card: line {line} (`")),
                "{msg}"
            );
        }
        // An entry before the first block.
        let e = ParamCard::from_slha_str("# header\n  23 91.0\nBLOCK MASS\n").unwrap_err();
        assert!(
            matches!(&e, ParamError::Slha(s) if s.line == 2 && s.problem == P::OutsideBlock),
            "{e}"
        );
        // The massless error says so.
        let e = ParamCard::from_slha_str("BLOCK MASS\n 11 5.11e-4 # me\n").unwrap_err();
        assert!(e.to_string().contains("massless"), "{e}");
        // Valid lines with invalid values: the usual validation errors.
        let text = card.replace("3 1.180000e-01 # as", "3 1.5 # as");
        let e = ParamCard::from_slha_str(&text).unwrap_err();
        assert!(
            matches!(e, ParamError::OutOfRange { name: "aS", .. }),
            "{e}"
        );
        let text = card.replace("5 4.700000e+00 # mb", "5 0.0 # mb");
        let e = ParamCard::from_slha_str(&text).unwrap_err();
        assert!(
            matches!(e, ParamError::NonPositive { name: "MB", .. }),
            "{e}"
        );
        let text = card.replace("DECAY 25 6.382339e-03", "DECAY 25 nan");
        let e = ParamCard::from_slha_str(&text).unwrap_err();
        assert!(matches!(e, ParamError::NotFinite { name: "WH" }), "{e}");
    }

    #[test]
    fn slha_error_message_and_source() {
        use std::error::Error as _;
        let e = ParamCard::from_slha_str("BLOCK SMINPUTS\n    3 abc # aS\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid SLHA param card: line 2 (`3 abc # aS`): `abc` is not a number"
        );
        let inner = e.source().unwrap().downcast_ref::<SlhaError>().unwrap();
        assert_eq!(
            inner,
            &SlhaError {
                line: 2,
                text: "3 abc # aS".into(),
                problem: SlhaProblem::NotANumber {
                    token: "abc".into()
                },
            }
        );
        assert!(inner.source().is_none());
        let e = ParamCard::from_slha_str("DECAY 25 Auto # WH").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid SLHA param card: line 1 (`DECAY 25 Auto # WH`): `Auto` is not a number \
             (MadGraph computes `Auto` widths when it runs; write the width)"
        );
    }

    #[test]
    fn param_card_files_ending_in_dat_or_slha_are_slha() {
        let dir = std::env::temp_dir();
        let pid = std::process::id();
        let dat = dir.join(format!("diffhep-param-card-{pid}.dat"));
        let text = MG5_SM_DEFAULT_CARD.replace("23 9.118800e+01 # mz", "23 9.100000e+01 # mz");
        std::fs::write(&dat, &text).unwrap();
        let card = ParamCard::from_path(&dat);
        let slha = dir.join(format!("diffhep-param-card-{pid}.slha"));
        std::fs::rename(&dat, &slha).unwrap();
        let card_slha = ParamCard::from_path(&slha);
        // The same text under a name that is neither: read as TOML, which it is not.
        let other = dir.join(format!("diffhep-param-card-{pid}.card"));
        std::fs::rename(&slha, &other).unwrap();
        let as_toml = ParamCard::from_path(&other);
        std::fs::write(&other, " \n").unwrap();
        let empty = dir.join(format!("diffhep-param-card-{pid}-empty.dat"));
        std::fs::rename(&other, &empty).unwrap();
        let as_empty = ParamCard::from_path(&empty);
        std::fs::remove_file(&empty).unwrap();
        let expect = ParamCard {
            MZ: 91.0,
            ..ParamCard::default()
        };
        assert_eq!(card.unwrap(), expect);
        assert_eq!(card_slha.unwrap(), expect);
        assert!(matches!(as_toml, Err(ParamError::Parse(_))), "{as_toml:?}");
        assert!(
            matches!(as_empty, Err(ParamError::Empty { .. })),
            "{as_empty:?}"
        );
        // Errors from a file name the line too.
        let bad = dir.join(format!("diffhep-param-card-{pid}-bad.dat"));
        std::fs::write(&bad, "BLOCK MASS\n 23\n").unwrap();
        let e = ParamCard::from_path(&bad);
        std::fs::remove_file(&bad).unwrap();
        let e = e.unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid SLHA param card: line 2 (`23`): expected `<index> <value>` in block MASS"
        );
    }
}
