//! Les Houches Event files: the event types, their validation, a reader ([`reader`]) and a writer
//! ([`writer`]). Unweighting lives in [`crate::events::unweight`].
//!
//! Format: J. Alwall et al., "A standard format for Les Houches Event Files", Comput. Phys.
//! Commun. 176 (2007) 300, hep-ph/0609017 (version 1.0), with the version-3.0 envelope
//! `<LesHouchesEvents version="3.0">` (J. R. Andersen et al., arXiv:1405.1067). A file is
//!
//! ```text
//! <LesHouchesEvents version="3.0">
//! <header> … </header>                        (optional, skipped on reading)
//! <init>
//! IDBMUP(1) IDBMUP(2) EBMUP(1) EBMUP(2) PDFGUP(1) PDFGUP(2) PDFSUP(1) PDFSUP(2) IDWTUP NPRUP
//! XSECUP XERRUP XMAXUP LPRUP                   (NPRUP lines, cross sections in pb)
//! </init>
//! <event>
//! NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP
//! IDUP ISTUP MOTHUP(1) MOTHUP(2) ICOLUP(1) ICOLUP(2) PUP(1..5) VTIMUP SPINUP   (NUP lines)
//! </event>
//! …
//! </LesHouchesEvents>
//! ```
//! with PUP = (px, py, pz, E, m) in GeV, mothers as 1-based indices (0 = none), status −1
//! incoming, +1 outgoing, +2 intermediate resonance, and SPINUP = 9 for "unknown". IDWTUP is the
//! weighting strategy: ±1, ±2 weighted events; ±3 unweighted (all weights equal); ±4 weighted,
//! the weights' average being the cross section.
//!
//! Floating-point numbers are written with 17 significant digits, so reading a file back gives
//! the same events bit for bit. Reading accepts Fortran `D` exponents, comment lines (`#`) and
//! extra tags inside `<init>` and `<event>` blocks (e.g. `<rwgt>` in version 3.0), and reports a
//! malformed file with the 1-based line number and what was expected there.

use crate::lorentz::FourVector;

pub mod reader;
pub mod writer;

pub use reader::read_lhe;
pub use writer::{write_lhe, LheWriter};

/// Errors of reading, writing and unweighting event files.
#[derive(Debug, thiserror::Error)]
pub enum LheError {
    /// The underlying reader or writer failed; the [`std::io::Error`] is the source.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed file: the 1-based line number and what was expected there.
    #[error("line {line}: {message}")]
    Parse {
        /// Line number (1-based).
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A value that cannot be written or unweighted, named.
    #[error("{message}")]
    Invalid {
        /// What is wrong, with the value.
        message: String,
    },
}

/// One process of the `<init>` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LheProcess {
    /// Cross section XSECUP in pb.
    pub xsec: f64,
    /// Its statistical error XERRUP in pb.
    pub xsec_err: f64,
    /// Maximum event weight XMAXUP.
    pub max_weight: f64,
    /// Process identifier LPRUP.
    pub id: i32,
}

/// The `<init>` block: beams, PDFs, weighting strategy and processes.
#[derive(Clone, Debug, PartialEq)]
pub struct LheInit {
    /// PDG ids of the two beams (IDBMUP), e.g. (11, −11) for e⁻e⁺.
    pub beam_ids: [i32; 2],
    /// Beam energies in GeV (EBMUP).
    pub beam_energies: [f64; 2],
    /// PDF author groups (PDFGUP; 0 for lepton beams / no PDF).
    pub pdf_groups: [i32; 2],
    /// PDF set ids (PDFSUP; 0 for none).
    pub pdf_sets: [i32; 2],
    /// Weighting strategy IDWTUP (±1…±4, see the module docs).
    pub weight_strategy: i32,
    /// The processes (NPRUP = their number, at least one).
    pub processes: Vec<LheProcess>,
}

impl LheInit {
    /// The `<init>` block of a symmetric e⁻e⁺ collider at `sqrt_s` GeV with one process of
    /// cross section `xsec ± xsec_err` pb: unweighted events (IDWTUP = 3, maximum weight σ) or
    /// weighted ones (IDWTUP = 4, maximum weight `max_weight`).
    pub fn electron_positron(
        sqrt_s: f64,
        xsec: f64,
        xsec_err: f64,
        unweighted: bool,
        max_weight: f64,
    ) -> Self {
        LheInit {
            beam_ids: [11, -11],
            beam_energies: [sqrt_s / 2.0, sqrt_s / 2.0],
            pdf_groups: [0, 0],
            pdf_sets: [0, 0],
            weight_strategy: if unweighted { 3 } else { 4 },
            processes: vec![LheProcess {
                xsec,
                xsec_err,
                max_weight: if unweighted { xsec } else { max_weight },
                id: 1,
            }],
        }
    }
}

/// One particle line of an event.
#[derive(Clone, Debug, PartialEq)]
pub struct LheParticle {
    /// PDG id (IDUP).
    pub pdg_id: i32,
    /// Status (ISTUP): −1 incoming, 1 outgoing, 2 intermediate resonance, …
    pub status: i32,
    /// 1-based indices of the first and last mother (0 = none).
    pub mothers: [usize; 2],
    /// Colour and anticolour tags (0 = none).
    pub colors: [i32; 2],
    /// (px, py, pz, E) in GeV.
    pub momentum: [f64; 4],
    /// Mass in GeV.
    pub mass: f64,
    /// Proper lifetime cτ in mm (VTIMUP).
    pub lifetime: f64,
    /// Cosine of the spin–momentum angle in the mother's frame (9 = unknown).
    pub spin: f64,
}

impl LheParticle {
    /// A particle with momentum `p` and mass `mass` (GeV; pass the generated mass rather than
    /// √(p²), which rounding spoils for light particles), no colour, zero lifetime and unknown
    /// spin (9).
    pub fn new(
        pdg_id: i32,
        status: i32,
        mothers: [usize; 2],
        p: &FourVector<f64>,
        mass: f64,
    ) -> Self {
        LheParticle {
            pdg_id,
            status,
            mothers,
            colors: [0, 0],
            momentum: [p.px, p.py, p.pz, p.e],
            mass,
            lifetime: 0.0,
            spin: 9.0,
        }
    }

    /// The momentum as a [`FourVector`].
    pub fn four_vector(&self) -> FourVector<f64> {
        let [px, py, pz, e] = self.momentum;
        FourVector::new(e, px, py, pz)
    }
}

/// One `<event>` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LheEvent {
    /// Process id IDPRUP (one of the `<init>` processes).
    pub process_id: i32,
    /// Event weight XWGTUP.
    pub weight: f64,
    /// Scale SCALUP in GeV.
    pub scale: f64,
    /// α_QED used (AQEDUP).
    pub alpha_qed: f64,
    /// α_s used (AQCDUP).
    pub alpha_qcd: f64,
    /// The particles (NUP = their number).
    pub particles: Vec<LheParticle>,
}

/// A whole file: `<init>` and events.
#[derive(Clone, Debug, PartialEq)]
pub struct LheFile {
    /// The `<init>` block.
    pub init: LheInit,
    /// The events in file order.
    pub events: Vec<LheEvent>,
}

pub(crate) fn invalid(message: String) -> LheError {
    LheError::Invalid { message }
}

pub(crate) fn check_finite(what: &str, v: f64) -> Result<(), LheError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!("{what} = {v} is not finite")))
    }
}

pub(crate) fn validate_init(init: &LheInit) -> Result<(), LheError> {
    if !(1..=4).contains(&init.weight_strategy.abs()) {
        return Err(invalid(format!(
            "weighting strategy IDWTUP = {} must be ±1, ±2, ±3 or ±4",
            init.weight_strategy
        )));
    }
    if init.processes.is_empty() {
        return Err(invalid(
            "the <init> block needs at least one process".into(),
        ));
    }
    for (i, e) in init.beam_energies.iter().enumerate() {
        check_finite(&format!("beam energy {}", i + 1), *e)?;
    }
    for p in &init.processes {
        check_finite(&format!("cross section of process {}", p.id), p.xsec)?;
        check_finite(
            &format!("cross-section error of process {}", p.id),
            p.xsec_err,
        )?;
        check_finite(&format!("maximum weight of process {}", p.id), p.max_weight)?;
    }
    Ok(())
}

pub(crate) fn validate_event(ev: &LheEvent, index: usize) -> Result<(), LheError> {
    let n = ev.particles.len();
    if n == 0 {
        return Err(invalid(format!("event {index} has no particles")));
    }
    for (what, v) in [
        ("weight", ev.weight),
        ("scale", ev.scale),
        ("alpha_qed", ev.alpha_qed),
        ("alpha_qcd", ev.alpha_qcd),
    ] {
        check_finite(&format!("event {index}: {what}"), v)?;
    }
    for (j, p) in ev.particles.iter().enumerate() {
        if p.mothers.iter().any(|&m| m > n) {
            return Err(invalid(format!(
                "event {index}, particle {}: mother index {:?} exceeds the {n} particles",
                j + 1,
                p.mothers
            )));
        }
        for v in p.momentum.iter().chain([&p.mass, &p.lifetime, &p.spin]) {
            check_finite(&format!("event {index}, particle {}", j + 1), *v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
