//! Design studies: detectors optimised with gradients.
//!
//! This folder holds the end-to-end detector design study ([`detector`]: tracker and calorimeter
//! together, the main job of `diffhep design`), the calorimeter-only estimator comparison
//! ([`calorimeter`]), L-GSO on the calorimeter ([`calorimeter_lgso`]) and the per-track weight
//! network trained through the vertex fit ([`vertex_weights`]); the studies' results folders are
//! written here too (atomic files [`output`], SVG plots [`plot`]), so every front end (the CLI,
//! MPI runs, the examples) produces the same folder. It may import
//! [`crate::detector`], [`crate::lorentz`] and the engine (including its learning side:
//! optimisers, loops, networks); nothing from collider processes, events or learning targets.

pub mod calorimeter;
pub mod calorimeter_lgso;
pub mod detector;
pub mod output;
pub mod plot;
pub mod vertex_weights;
