//! # diffhep-physics
//!
//! Differentiable physics simulators for diffhep, written once against `diffhep::Scalar` /
//! `diffhep::RealScalar`.
#![warn(missing_docs)]

pub mod toy;
pub mod tracks;
pub mod vertex;
