//! Integration: adaptive Monte Carlo, cross sections and quadrature.
//!
//! This folder holds VEGAS ([`vegas`]), Monte Carlo cross sections of a process with pathwise
//! parameter derivatives, A_FB and Fisher information ([`xsec`]), and Gauss–Legendre quadrature
//! for one-dimensional reference integrals ([`quadrature`]). It may import [`crate::lorentz`],
//! [`crate::phase_space`], [`crate::collider`] and the engine; nothing from events, detectors,
//! design studies or learning targets.

pub mod quadrature;
pub mod vegas;
pub mod xsec;
