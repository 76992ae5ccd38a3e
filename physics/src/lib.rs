//! # diffhep-physics
//!
//! Differentiable physics simulators for diffhep, written once against [`diffhep::Scalar`]:
//! Lorentz kinematics today; matrix elements, phase space, tracks and vertex fits, showers and
//! calorimeters as the project grows.
#![warn(missing_docs)]

pub mod lhe;
pub mod lorentz;
pub mod phase_space;
pub mod vegas;

pub use lorentz::FourVector;
pub mod helicity;
pub mod sm;
