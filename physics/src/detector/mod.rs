//! Detector simulation and reconstruction.
//!
//! This folder holds perigee track models ([`tracks`]), the weighted vertex fit with implicit
//! derivatives ([`vertex`]), toy jets with displaced vertices ([`toy`]), the branching
//! electromagnetic shower of a sampling calorimeter ([`shower`]) and a random walk through
//! material ([`random_walk`]). It may import [`crate::lorentz`] and the engine; nothing from the
//! collider processes, integration, events, design studies or learning targets.

pub mod random_walk;
pub mod shower;
pub mod toy;
pub mod tracks;
pub mod vertex;

pub use tracks::Track;
pub use vertex::{VertexError, VertexFit};
