//! # diffhep
//!
//! Differentiable physics simulators in plain Rust: write a simulator once against [`Scalar`], then
//! run it as `f64`, as forward-mode dual numbers ([`forward`]), on the reverse-mode tape
//! ([`tape::Var`]) or on the batched tape ([`tape::BVar`]), and check every gradient with
//! [`gradcheck`].
//!
//! See `docs/` for the guide and `DESIGN.md` (in the shared folder) for the architecture.
#![warn(missing_docs)]

pub mod scalar;
pub mod tape;

pub use scalar::{RealScalar, Scalar};
pub mod batch;
pub mod complex;
pub mod derivatives;
pub mod error;
pub mod fab;
pub mod flows;
pub mod forward;
pub mod function;
pub mod gradcheck;
pub mod implicit;
pub mod lanes;
pub mod nn;
pub mod optim;
pub mod sbi;
pub mod stochastic;

pub use complex::Complex;
pub use function::{ScalarFn, VectorFn};

/// The README's and the guide's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
mod doc_examples {
    #[doc = include_str!("../README.md")]
    struct Readme;
    #[doc = include_str!("../docs/concepts.md")]
    struct Concepts;
    #[doc = include_str!("../docs/processes.md")]
    struct Processes;
    #[doc = include_str!("../docs/lanes.md")]
    struct Lanes;
    #[doc = include_str!("../docs/stochastic.md")]
    struct Stochastic;
    #[doc = include_str!("../docs/nn.md")]
    struct Nn;
    #[doc = include_str!("../docs/design_study.md")]
    struct DesignStudy;
    #[doc = include_str!("../docs/flows.md")]
    struct Flows;
    #[doc = include_str!("../docs/fab.md")]
    struct Fab;
    #[doc = include_str!("../docs/sbi.md")]
    struct Sbi;
}
