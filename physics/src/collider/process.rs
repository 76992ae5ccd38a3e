//! The processes diffhep can integrate, by name, with a common interface: phase-space dimension,
//! final-state particles, and the cross-section integrand at a point of the unit hypercube.
//!
//! | name | process | phase space |
//! | --- | --- | --- |
//! | `ee_mumu` | e+e- → γ/Z → μ+μ- (massless) | flat 2-body map, 2 dimensions |
//! | `ee_ttbar` | e+e- → γ/Z → t t̄ (m_t = MT) | flat 2-body map, 2 dimensions |
//! | `ee_ttbar_wbwb` | e+e- → t t̄ → b W⁺ b̄ W⁻ (Breit–Wigner tops, on-shell W) | resonant map, 8 dimensions |
//! | any MadGraph-style string, e.g. `"e+ e- > mu+ mu- a"` | every tree diagram ([`crate::collider::amplitude`]), with generation cuts | flat RAMBO map, 3n − 4 dimensions |
//!
//! The integrand is w(x) = (ħc)²/(2s) · |M|²(p(x)) · dΦ(x) in pb per unit hypercube volume, so
//! σ = ∫ w dx. It is generic over `RealScalar`, so the same call gives pathwise derivatives of w
//! with respect to any parameter (and √s) when those are dual numbers.

use std::str::FromStr;
use std::sync::Arc;

use diffhep::RealScalar;

use crate::collider::amplitude::collision::{CollisionError, StringProcess};
use crate::collider::amplitude::model::WidthScheme;
use crate::collider::cuts::Cuts;
use crate::collider::ee_ffbar::{self, Exchange, HBARC2_PB, MUON, TOP};
use crate::collider::ee_ttbar_wbwb;
use crate::collider::sm::SmParams;
use crate::lorentz::FourVector;
use crate::phase_space::resonant::{TopPairMap, TopPairParams};
use crate::phase_space::{PhaseSpace, PhaseSpaceError};

/// A process known to diffhep.
#[derive(Clone, Debug, PartialEq)]
pub enum Process {
    /// e+e- → μ+μ- via γ and Z.
    EeMuMu,
    /// e+e- → t t̄ via γ and Z.
    EeTTbar,
    /// e+e- → t t̄ → b W⁺ b̄ W⁻.
    EeTTbarWbWb,
    /// Any process string, evaluated by the general amplitude engine, with its cuts.
    String(Arc<StringProcess>),
}

/// Errors of the process layer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProcessError {
    /// No process of that name.
    #[error("unknown process '{0}' (known: {known}, or a MadGraph-style process string such as \"e+ e- > mu+ mu- a\")", known = Process::ALL.map(|p| p.name().to_string()).join(", "))]
    Unknown(String),
    /// A process string that cannot be built; the cause is kept.
    #[error("process '{0}': {1}")]
    String(String, #[source] CollisionError),
    /// The phase-space map rejected the point or the energy; the [`PhaseSpaceError`] is the
    /// source.
    #[error("phase space: {0}")]
    PhaseSpace(#[from] PhaseSpaceError),
    /// √s is below the production threshold.
    #[error("√s = {sqrt_s} GeV is below the {process} threshold of {threshold} GeV")]
    BelowThreshold {
        /// The process.
        process: String,
        /// √s requested.
        sqrt_s: f64,
        /// The threshold.
        threshold: f64,
    },
}

impl FromStr for Process {
    type Err = ProcessError;

    /// Look a process up by its name ([`Process::name`]), or build a process string (anything
    /// with a `>`) with MadGraph's default cuts; an unknown name is a
    /// [`ProcessError::Unknown`], whose message lists every process.
    fn from_str(name: &str) -> Result<Self, ProcessError> {
        if name.contains('>') {
            return Process::from_string(name, Cuts::default());
        }
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ProcessError::Unknown(name.to_string()))
    }
}

/// One phase-space point: momenta `[e⁻, e⁺, final…]` and the integrand in pb.
#[derive(Clone, Debug)]
pub struct ProcessPoint<S> {
    /// Incoming then outgoing momenta.
    pub momenta: Vec<FourVector<S>>,
    /// (ħc)²/(2s)·|M|²·dΦ per unit hypercube volume, in pb.
    pub weight: S,
}

impl Process {
    /// All processes.
    pub const ALL: [Process; 3] = [Process::EeMuMu, Process::EeTTbar, Process::EeTTbarWbWb];

    /// A process string with generation cuts.
    pub fn from_string(text: &str, cuts: Cuts) -> Result<Self, ProcessError> {
        StringProcess::new(text, cuts)
            .map(|p| Process::String(Arc::new(p)))
            .map_err(|e| ProcessError::String(text.to_string(), e))
    }

    /// The same process with LHE helicities on or off (process strings only; the hand-written
    /// processes have none and are returned unchanged).
    pub fn with_lhe_helicities(&self, on: bool) -> Process {
        match self {
            Process::String(p) => {
                let mut q = (**p).clone();
                q.lhe_helicities = on;
                Process::String(Arc::new(q))
            }
            other => other.clone(),
        }
    }

    /// The same process in width scheme `scheme` (process strings only; the hand-written
    /// processes use fixed widths and are returned unchanged).
    pub fn with_width_scheme(&self, scheme: WidthScheme) -> Process {
        match self {
            Process::String(p) => {
                let mut q = (**p).clone();
                q.me = q.me.with_scheme(scheme);
                Process::String(Arc::new(q))
            }
            other => other.clone(),
        }
    }

    /// The process's name (as accepted by [`FromStr`]).
    pub fn name(&self) -> &str {
        match self {
            Process::EeMuMu => "ee_mumu",
            Process::EeTTbar => "ee_ttbar",
            Process::EeTTbarWbWb => "ee_ttbar_wbwb",
            Process::String(p) => p.text(),
        }
    }

    /// PDG codes of the incoming particles (first along +z); for a string of several
    /// subprocesses, the first.
    pub fn pdg_initial(&self) -> Vec<i32> {
        match self {
            Process::String(p) => p.pdg_initial(0),
            _ => vec![11, -11],
        }
    }

    /// PDG codes of the final state, in the order of the momenta; for a string of several
    /// subprocesses, the first.
    pub fn pdg_final(&self) -> Vec<i32> {
        match self {
            Process::EeMuMu => vec![13, -13],
            Process::EeTTbar => vec![6, -6],
            Process::EeTTbarWbWb => vec![5, 24, -5, -24],
            Process::String(p) => p.pdg_final(0),
        }
    }

    /// Dimension of the unit hypercube.
    pub fn dim(&self) -> usize {
        match self {
            Process::EeMuMu | Process::EeTTbar => 2,
            Process::EeTTbarWbWb => TopPairMap::DIM,
            Process::String(p) => p.dim(),
        }
    }

    /// Whether a forward–backward asymmetry of the first final particle is defined.
    pub fn has_afb(&self) -> bool {
        matches!(self, Process::EeMuMu | Process::EeTTbar)
    }

    /// Whether σ depends on the differentiable input `param` (a name of
    /// [`crate::integrate::xsec::GRAD_PARAMS`]: a model parameter or `sqrt_s`). Where it does,
    /// ∂σ/∂param cannot vanish identically, so an estimate of exactly 0 means it underflowed;
    /// where it does not (MT and WT for ee_mumu, WT for on-shell tops) it is 0 by construction.
    pub fn depends_on(&self, param: &str) -> bool {
        if let Process::String(_) = self {
            // Which parameters a general process depends on is not known in advance.
            return param == "sqrt_s";
        }
        match param {
            "MZ" | "WZ" | "aEWM1" | "Gf" | "sqrt_s" => true,
            "MT" => !matches!(self, Process::EeMuMu),
            "WT" => matches!(self, Process::EeTTbarWbWb),
            _ => false,
        }
    }

    /// Production threshold in GeV for the given parameters.
    pub fn threshold(&self, p: &SmParams<f64>) -> f64 {
        match self {
            Process::EeMuMu => 0.0,
            Process::EeTTbar => 2.0 * p.mt,
            Process::EeTTbarWbWb => 2.0 * p.derived().mw,
            Process::String(s) => s.threshold(p),
        }
    }

    /// Final-state masses of the points this process produces.
    pub fn final_masses<S: RealScalar>(&self, p: &SmParams<S>) -> Vec<S> {
        match self {
            Process::EeMuMu => vec![S::zero(), S::zero()],
            Process::EeTTbar => vec![p.mt.clone(), p.mt.clone()],
            Process::EeTTbarWbWb => {
                let mw = p.derived().mw;
                vec![S::zero(), mw.clone(), S::zero(), mw]
            }
            Process::String(s) => s.final_masses(p),
        }
    }

    /// The integrand at `x` ∈ (0, 1)^dim for parameters `p` and energy `sqrt_s`.
    pub fn point<S: RealScalar>(
        &self,
        p: &SmParams<S>,
        sqrt_s: &S,
        x: &[S],
    ) -> Result<ProcessPoint<S>, ProcessError> {
        let beams = StringProcess::beams(sqrt_s);
        let s = sqrt_s.clone() * sqrt_s.clone();
        let flux = (s.clone() * 2.0).recip() * HBARC2_PB;
        if let Process::String(sp) = self {
            let (momenta, weight) = sp.point(p, sqrt_s, x)?;
            return Ok(ProcessPoint { momenta, weight });
        }
        let (momenta, me2, ps) = match self {
            Process::EeMuMu | Process::EeTTbar => {
                let masses = self.final_masses(p);
                let pt = PhaseSpace::generate_with_masses(sqrt_s.clone(), &masses, x)?;
                let mom = [
                    beams[0].clone(),
                    beams[1].clone(),
                    pt.momenta[0].clone(),
                    pt.momenta[1].clone(),
                ];
                let (f, m) = if *self == Process::EeMuMu {
                    (MUON, S::zero())
                } else {
                    (TOP, p.mt.clone())
                };
                let me2 = ee_ffbar::me2(&f, &m, p, Exchange::FULL, &mom);
                (mom.to_vec(), me2, pt.weight)
            }
            Process::EeTTbarWbWb => {
                let mw = p.derived().mw;
                let map = TopPairMap::new(p.mt.value(), p.wt.value(), mw.value())?;
                let params = TopPairParams {
                    mt: p.mt.clone(),
                    wt: p.wt.clone(),
                    mw,
                };
                let pt = map.generate_with_params(&params, sqrt_s.clone(), x)?;
                let mut mom = beams.to_vec();
                mom.extend(pt.momenta.iter().cloned());
                let arr: [FourVector<S>; 6] = mom.clone().try_into().expect("6 momenta");
                let me2 = ee_ttbar_wbwb::me2(p, Exchange::FULL, &arr);
                (mom, me2, pt.weight)
            }
            Process::String(_) => unreachable!("handled above"),
        };
        Ok(ProcessPoint {
            momenta,
            weight: flux * me2 * ps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_unchanged_and_keep_their_sources() {
        use std::error::Error as _;
        let e = "ee_qq".parse::<Process>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown process 'ee_qq' (known: ee_mumu, ee_ttbar, ee_ttbar_wbwb, or a MadGraph-style process string such as \"e+ e- > mu+ mu- a\")"
        );
        let e = ProcessError::BelowThreshold {
            process: "ee_ttbar".into(),
            sqrt_s: 300.0,
            threshold: 346.0,
        };
        assert_eq!(
            e.to_string(),
            "√s = 300 GeV is below the ee_ttbar threshold of 346 GeV"
        );
        let ps = PhaseSpaceError::TooFewParticles { n: 1 };
        let e = ProcessError::from(ps.clone());
        assert_eq!(
            e.to_string(),
            "phase space: phase space needs at least 2 particles, got 1"
        );
        assert_eq!(
            e.source().unwrap().downcast_ref::<PhaseSpaceError>(),
            Some(&ps)
        );
    }
}
