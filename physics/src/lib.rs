//! # diffhep-physics
//!
//! Differentiable physics simulators for diffhep, written once against [`diffhep::Scalar`]:
//! Lorentz kinematics today; matrix elements, phase space, tracks and vertex fits, showers and
//! calorimeters as the project grows.
#![warn(missing_docs)]

pub mod calorimeter_design;
pub mod lorentz;
pub mod random_walk;
pub mod shower;

pub use lorentz::FourVector;
