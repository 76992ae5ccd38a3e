//! Collider physics: the model and the processes.
//!
//! This folder holds the Standard-Model parameters read from a param card ([`sm`]), the helicity
//! wavefunctions, currents and vertices ([`helicity`]), the hand-written processes
//! (e+e- → μ+μ- in closed form [`ee_mumu`], e+e- → f f̄ by helicity amplitudes [`ee_ffbar`], and
//! the decay chain e+e- → tt̄ → bW⁺b̄W⁻ [`ee_ttbar_wbwb`]) and the common interface of every
//! process by name ([`process`]). It may import [`crate::lorentz`] and [`crate::phase_space`]
//! (a process maps the unit hypercube to momenta), and the engine (`diffhep`); nothing from
//! integration, events, detectors, design studies or learning targets.

pub mod amplitude;
pub mod cuts;
pub mod ee_ffbar;
pub mod ee_mumu;
pub mod ee_ttbar_wbwb;
pub mod helicity;
pub mod process;
pub mod sm;

pub use process::{Process, ProcessError, ProcessPoint};
pub use sm::{ParamCard, ParamError};
