//! # diffhep-physics
//!
//! Differentiable physics simulators for diffhep, written once against [`diffhep::Scalar`] (or
//! [`diffhep::RealScalar`] where they branch per event): Lorentz kinematics, model parameters,
//! helicity amplitudes, phase space and VEGAS, event files, tracks and vertex fits, toy samples.
#![warn(missing_docs)]

pub mod calorimeter_design;
pub mod calorimeter_lgso;
pub mod detector_design;
pub mod ee_ffbar;
pub mod ee_mumu;
pub mod ee_ttbar_wbwb;
pub mod event_gen;
pub mod fab_targets;
pub mod helicity;
pub mod lhe;
pub mod lorentz;
pub mod phase_space;
pub mod process;
pub mod quadrature;
pub mod random_walk;
pub mod sbi_ee_mumu;
pub mod shower;
pub mod sm;
pub mod toy;
pub mod tracks;
pub mod vegas;
pub mod vertex;
pub mod vertex_weights;
pub mod xsec;

pub use lorentz::FourVector;
