//! Event samples and event files.
//!
//! This folder holds weighted event generation for a process ([`generate`]) and the Les Houches
//! Event format ([`lhe`]). It may import [`crate::lorentz`], [`crate::phase_space`],
//! [`crate::collider`], [`crate::integrate`] and the engine; nothing from detectors, design
//! studies or learning targets.

pub mod build;
pub mod generate;
pub mod lhe;
pub mod unweight;
