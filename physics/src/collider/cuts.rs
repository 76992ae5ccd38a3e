//! Generation cuts on the final state, with MadGraph's run-card names and defaults.
//!
//! Classes (as in MadGraph with `maxjetflavor = 4`): jets j = g, u, d, s, c and their
//! antiquarks; b = b, b̄; leptons l = e, μ, τ (either charge); photons a. Neutrinos, W, Z, H and
//! top quarks are not cut. `pt*` is a lower limit on the transverse momentum, `eta*` an upper
//! limit on |η| (≤ 0 switches it off, MadGraph's −1), `dr**` a lower limit on ΔR between two
//! objects of the classes, `mm**` a lower limit on the invariant mass of a pair (for leptons:
//! same flavour, opposite charge). Defaults are MadGraph's LO run card: ptj 20, pta 10, ptl 10,
//! etaj 5, etaa 2.5, etal 2.5, ΔR 0.4 between jets, leptons and photons, everything else off.
//!
//! Cuts are hard: the integrand is multiplied by the indicator of the cut region, so pathwise
//! gradients are exact for parameters that do not move the momenta at fixed hypercube point
//! (couplings, widths) and miss the boundary term for those that do (√s, final masses).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diffhep::RealScalar;
use serde::{Deserialize, Serialize};

use crate::lorentz::FourVector;

/// Generation cuts (see the module documentation for the classes and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cuts {
    /// Minimum jet pT [GeV].
    pub ptj: f64,
    /// Minimum b pT [GeV].
    pub ptb: f64,
    /// Minimum photon pT [GeV].
    pub pta: f64,
    /// Minimum charged-lepton pT [GeV].
    pub ptl: f64,
    /// Maximum jet |η| (≤ 0: none).
    pub etaj: f64,
    /// Maximum b |η| (≤ 0: none).
    pub etab: f64,
    /// Maximum photon |η| (≤ 0: none).
    pub etaa: f64,
    /// Maximum lepton |η| (≤ 0: none).
    pub etal: f64,
    /// Minimum ΔR between jets.
    pub drjj: f64,
    /// Minimum ΔR between b quarks.
    pub drbb: f64,
    /// Minimum ΔR between leptons.
    pub drll: f64,
    /// Minimum ΔR between photons.
    pub draa: f64,
    /// Minimum ΔR between a b and a jet.
    pub drbj: f64,
    /// Minimum ΔR between a photon and a jet.
    pub draj: f64,
    /// Minimum ΔR between a jet and a lepton.
    pub drjl: f64,
    /// Minimum ΔR between a photon and a lepton.
    pub dral: f64,
    /// Minimum invariant mass of a jet pair [GeV].
    pub mmjj: f64,
    /// Minimum invariant mass of a same-flavour opposite-charge lepton pair [GeV].
    pub mmll: f64,
}

/// The names of the cuts, in the order of the struct.
pub const CUT_NAMES: [&str; 18] = [
    "ptj", "ptb", "pta", "ptl", "etaj", "etab", "etaa", "etal", "drjj", "drbb", "drll", "draa",
    "drbj", "draj", "drjl", "dral", "mmjj", "mmll",
];

impl Default for Cuts {
    fn default() -> Self {
        Cuts {
            ptj: 20.0,
            ptb: 0.0,
            pta: 10.0,
            ptl: 10.0,
            etaj: 5.0,
            etab: -1.0,
            etaa: 2.5,
            etal: 2.5,
            drjj: 0.4,
            drbb: 0.0,
            drll: 0.4,
            draa: 0.4,
            drbj: 0.0,
            draj: 0.4,
            drjl: 0.4,
            dral: 0.4,
            mmjj: 0.0,
            mmll: 0.0,
        }
    }
}

/// What is wrong with a cut setting.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CutError {
    /// Not `name=value`.
    #[error("cut '{0}' is not NAME=VALUE")]
    Syntax(String),
    /// A name that is not a cut.
    #[error("unknown cut '{name}' (known: {known})", known = CUT_NAMES.join(", "))]
    Unknown {
        /// The name given.
        name: String,
    },
    /// A value that is not a finite number (or a negative pT, ΔR or mass).
    #[error("cut {name} = {value}: must be a finite number{}", if .name.starts_with("eta") { "" } else { " ≥ 0" })]
    Value {
        /// The cut.
        name: String,
        /// The text or number given.
        value: String,
    },
    /// A run card that cannot be read or parsed; the cause is kept.
    #[error("run card {}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
}

/// A cut value must be finite, and ≥ 0 except for the |η| limits (≤ 0 switches them off).
fn check_value(name: &str, value: f64) -> Result<(), CutError> {
    if !value.is_finite() || (value < 0.0 && !name.starts_with("eta")) {
        return Err(CutError::Value {
            name: name.to_string(),
            value: value.to_string(),
        });
    }
    Ok(())
}

impl Cuts {
    /// No cuts at all.
    pub fn none() -> Self {
        Cuts {
            ptj: 0.0,
            ptb: 0.0,
            pta: 0.0,
            ptl: 0.0,
            etaj: -1.0,
            etab: -1.0,
            etaa: -1.0,
            etal: -1.0,
            drjj: 0.0,
            drbb: 0.0,
            drll: 0.0,
            draa: 0.0,
            drbj: 0.0,
            draj: 0.0,
            drjl: 0.0,
            dral: 0.0,
            mmjj: 0.0,
            mmll: 0.0,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "ptj" => &mut self.ptj,
            "ptb" => &mut self.ptb,
            "pta" => &mut self.pta,
            "ptl" => &mut self.ptl,
            "etaj" => &mut self.etaj,
            "etab" => &mut self.etab,
            "etaa" => &mut self.etaa,
            "etal" => &mut self.etal,
            "drjj" => &mut self.drjj,
            "drbb" => &mut self.drbb,
            "drll" => &mut self.drll,
            "draa" => &mut self.draa,
            "drbj" => &mut self.drbj,
            "draj" => &mut self.draj,
            "drjl" => &mut self.drjl,
            "dral" => &mut self.dral,
            "mmjj" => &mut self.mmjj,
            "mmll" => &mut self.mmll,
            _ => return None,
        })
    }

    /// Set one cut by name.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), CutError> {
        check_value(name, value)?;
        let slot = self.slot(name).ok_or_else(|| CutError::Unknown {
            name: name.to_string(),
        })?;
        *slot = value;
        Ok(())
    }

    /// Apply `NAME=VALUE`.
    pub fn apply(&mut self, setting: &str) -> Result<(), CutError> {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| CutError::Syntax(setting.to_string()))?;
        let (name, value) = (name.trim(), value.trim());
        if self.slot(name).is_none() {
            return Err(CutError::Unknown {
                name: name.to_string(),
            });
        }
        let v: f64 = value.parse().map_err(|_| CutError::Value {
            name: name.to_string(),
            value: value.to_string(),
        })?;
        self.set(name, v)
    }

    /// Read a run card: TOML with cut names as keys (`ptj = 30.0`); missing keys keep the
    /// MadGraph defaults.
    pub fn from_path(path: &Path) -> Result<Self, CutError> {
        let file_err =
            |message: String, source: Option<Arc<dyn std::error::Error + Send + Sync>>| {
                CutError::File {
                    path: path.to_path_buf(),
                    message,
                    source,
                }
            };
        let text = std::fs::read_to_string(path)
            .map_err(|e| file_err(e.to_string(), Some(Arc::new(e))))?;
        let mut cuts: Cuts =
            toml::from_str(&text).map_err(|e| file_err(e.to_string(), Some(Arc::new(e))))?;
        for name in CUT_NAMES {
            check_value(name, *cuts.slot(name).expect("listed"))?;
        }
        Ok(cuts)
    }

    /// Whether the final state (`pdg` codes and momenta, in the same order) passes the cuts.
    pub fn pass<S: RealScalar>(&self, pdg: &[i32], momenta: &[FourVector<S>]) -> bool {
        #[derive(Clone, Copy, PartialEq)]
        enum Class {
            Jet,
            B,
            Lepton,
            Photon,
            Other,
        }
        let class = |id: i32| match id.abs() {
            1..=4 | 21 => Class::Jet,
            5 => Class::B,
            11 | 13 | 15 => Class::Lepton,
            22 => Class::Photon,
            _ => Class::Other,
        };
        let v: Vec<FourVector<f64>> = momenta
            .iter()
            .map(|p| FourVector::new(p.e.value(), p.px.value(), p.py.value(), p.pz.value()))
            .collect();
        for (id, p) in pdg.iter().zip(&v) {
            let (pt_min, eta_max) = match class(*id) {
                Class::Jet => (self.ptj, self.etaj),
                Class::B => (self.ptb, self.etab),
                Class::Lepton => (self.ptl, self.etal),
                Class::Photon => (self.pta, self.etaa),
                Class::Other => continue,
            };
            let pt = p.pt();
            if pt < pt_min {
                return false;
            }
            if eta_max > 0.0 && (pt == 0.0 || p.eta().abs() > eta_max) {
                return false;
            }
        }
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                let (ci, cj) = (class(pdg[i]), class(pdg[j]));
                let pair = |a: Class, b: Class| (ci == a && cj == b) || (ci == b && cj == a);
                let dr_min = if pair(Class::Jet, Class::Jet) {
                    self.drjj
                } else if pair(Class::B, Class::B) {
                    self.drbb
                } else if pair(Class::Lepton, Class::Lepton) {
                    self.drll
                } else if pair(Class::Photon, Class::Photon) {
                    self.draa
                } else if pair(Class::B, Class::Jet) {
                    self.drbj
                } else if pair(Class::Photon, Class::Jet) {
                    self.draj
                } else if pair(Class::Jet, Class::Lepton) {
                    self.drjl
                } else if pair(Class::Photon, Class::Lepton) {
                    self.dral
                } else {
                    0.0
                };
                if dr_min > 0.0 && v[i].delta_r(&v[j]) < dr_min {
                    return false;
                }
                let m = || (v[i].clone() + v[j].clone()).m2().max(0.0).sqrt();
                if pair(Class::Jet, Class::Jet) && self.mmjj > 0.0 && m() < self.mmjj {
                    return false;
                }
                if pair(Class::Lepton, Class::Lepton)
                    && pdg[i] == -pdg[j]
                    && self.mmll > 0.0
                    && m() < self.mmll
                {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt_eta(pt: f64, eta: f64, phi: f64) -> FourVector<f64> {
        FourVector::from_pt_eta_phi_m(pt, eta, phi, 0.0)
    }

    #[test]
    fn defaults_are_madgraphs_and_classes_are_cut_separately() {
        let c = Cuts::default();
        // A jet at pT 25, |η| 1 passes; at pT 15 fails ptj = 20; a muon at pT 15 passes ptl = 10.
        assert!(c.pass(&[21], &[pt_eta(25.0, 1.0, 0.0)]));
        assert!(!c.pass(&[21], &[pt_eta(15.0, 1.0, 0.0)]));
        assert!(c.pass(&[13], &[pt_eta(15.0, 1.0, 0.0)]));
        assert!(!c.pass(&[13], &[pt_eta(15.0, 2.6, 0.0)]), "etal 2.5");
        assert!(c.pass(&[21], &[pt_eta(25.0, 4.9, 0.0)]), "etaj 5");
        // Two jets closer than ΔR = 0.4 fail; further apart pass. Neutrinos and tops are free.
        let close = [pt_eta(30.0, 0.0, 0.0), pt_eta(30.0, 0.2, 0.2)];
        assert!(!c.pass(&[1, -1], &close));
        let apart = [pt_eta(30.0, 0.0, 0.0), pt_eta(30.0, 0.5, 0.5)];
        assert!(c.pass(&[1, -1], &apart));
        assert!(c.pass(&[12, 6], &[pt_eta(1.0, 9.0, 0.0), pt_eta(0.5, 9.0, 1.0)]));
        // mmll on a same-flavour opposite-charge pair only.
        let mut m = Cuts::none();
        m.apply("mmll=50").unwrap();
        let pair = [pt_eta(10.0, 0.0, 0.0), pt_eta(10.0, 0.0, 0.5)];
        assert!(!m.pass(&[13, -13], &pair));
        assert!(m.pass(&[13, -11], &pair));
        assert!(Cuts::none().pass(&[21, 21], &close));
    }

    #[test]
    fn bad_settings_and_run_cards_are_named() {
        let mut c = Cuts::default();
        assert!(matches!(c.apply("ptj"), Err(CutError::Syntax(s)) if s == "ptj"));
        assert!(matches!(c.apply("ptx=3"), Err(CutError::Unknown { .. })));
        let e = c.apply("ptj=abc").unwrap_err();
        assert!(e.to_string().contains("ptj = abc"), "{e}");
        assert!(c.apply("ptj=-1").is_err());
        assert!(c.apply("etaj=-1").is_ok(), "η ≤ 0 switches the cut off");
        assert!(c.set("drjj", f64::NAN).is_err());
        let dir = std::env::temp_dir();
        let good = dir.join(format!("diffhep-run-card-{}.toml", std::process::id()));
        std::fs::write(&good, "ptj = 30.0\netal = 2.0\n").unwrap();
        let r = Cuts::from_path(&good).unwrap();
        assert_eq!((r.ptj, r.etal, r.pta), (30.0, 2.0, 10.0));
        std::fs::write(&good, "ptjj = 30.0\n").unwrap();
        let e = Cuts::from_path(&good).unwrap_err();
        assert!(e.to_string().contains("ptjj"), "{e}");
        std::fs::write(&good, "ptj = -3.0\n").unwrap();
        assert!(Cuts::from_path(&good).is_err());
        std::fs::remove_file(&good).unwrap();
        let e = Cuts::from_path(Path::new("/nonexistent/run.toml")).unwrap_err();
        assert!(matches!(e, CutError::File { .. }));
    }
}
