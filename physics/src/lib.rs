//! # diffhep-physics
//!
//! Differentiable physics simulators for diffhep, written once against [`diffhep::Scalar`] (or
//! [`diffhep::RealScalar`] where they branch per event).
//!
//! The crate is grouped by domain, in layers; a folder imports only the folders listed before it
//! (and the engine crate `diffhep`), never one after it:
//!
//! | layer | folder | what it holds |
//! | --- | --- | --- |
//! | 0 | [`lorentz`] | four-vectors and their kinematics |
//! | 1 | [`phase_space`] | invertible maps from the unit hypercube to momenta (RAMBO, resonant) |
//! | 2 | [`collider`] | model parameters, helicity wavefunctions, the processes |
//! | 3 | [`integrate`] | VEGAS, cross sections, quadrature |
//! | 4 | [`events`] | event generation, LHE files, unweighting |
//! | 1 | [`detector`] | tracks, vertex fit, toy jets, shower, random walk (needs only `lorentz`) |
//! | 2 | [`design`] | design studies built on the detector |
//! | 5 | [`targets`] | what the learning side consumes: FAB targets, the e+e- → μ+μ- SBI task |
//!
//! The hub types are re-exported here: [`FourVector`], [`Process`], [`ParamCard`], [`Track`],
//! [`VertexFit`] and [`fit_vertex`].
#![warn(missing_docs)]

pub mod collider;
pub mod design;
pub mod detector;
pub mod events;
pub mod integrate;
pub mod lorentz;
pub mod phase_space;
pub mod targets;

pub use collider::{ParamCard, Process};
pub use detector::vertex::fit as fit_vertex;
pub use detector::{Track, VertexFit};
pub use lorentz::FourVector;

/// The README's and the guide's code blocks that use this crate, compiled as doctests so they
/// cannot rot.
#[cfg(doctest)]
mod doc_examples {
    #[doc = include_str!("../../README.md")]
    struct Readme;
    #[doc = include_str!("../../docs/processes.md")]
    struct Processes;
    #[doc = include_str!("../../docs/implicit.md")]
    struct Implicit;
    #[doc = include_str!("../../docs/nn.md")]
    struct Nn;
    #[doc = include_str!("../../docs/design_study.md")]
    struct DesignStudy;
    #[doc = include_str!("../../docs/fab.md")]
    struct Fab;
    #[doc = include_str!("../../docs/sbi.md")]
    struct Sbi;
}
