//! # diffhep
//!
//! Differentiable physics simulators in plain Rust: write a simulator once against [`Scalar`], then
//! run it as `f64`, as forward-mode dual numbers ([`forward`]), on the reverse-mode tape
//! ([`tape::Var`]) or on the batched tape ([`tape::BVar`]), and check every gradient with
//! [`gradcheck`].
//!
//! See `docs/` for the guide and `docs/design.md` for the architecture.
//!
//! # Features
//! - `learn` (default): the learning side — networks on dfdx ([`nn`]), design loops ([`optim`]),
//!   normalizing flows ([`flows`]), FAB ([`fab`]), SBI ([`sbi`]) and adversarial decorrelation
//!   ([`pivot`]). With
//!   `default-features = false` the crate is the engine alone (scalar, tape, lanes, batch,
//!   gradcheck, implicit, stochastic), without dfdx, argmin, safetensors or indicatif.
#![warn(missing_docs)]

pub mod scalar;
pub mod tape;

pub use scalar::{RealScalar, Scalar};
pub mod analysis;
pub mod batch;
pub mod complex;
pub mod derivatives;
pub mod error;
#[cfg(feature = "learn")]
pub mod fab;
pub mod files;
#[cfg(feature = "learn")]
pub mod flows;
pub mod forward;
pub mod function;
pub mod gradcheck;
pub mod implicit;
pub mod interrupt;
pub mod lanes;
#[cfg(feature = "learn")]
pub mod neos;
#[cfg(feature = "learn")]
pub mod nn;
#[cfg(feature = "learn")]
pub mod optim;
#[cfg(feature = "learn")]
pub mod pivot;
#[cfg(feature = "learn")]
pub mod sbi;
pub mod simd;
pub mod stochastic;
pub mod threads;

pub use complex::Complex;
pub use function::{ScalarFn, VectorFn};

/// The guide's engine pages, compiled as doctests so they cannot rot (the pages that use the
/// physics crate are compiled by `diffhep-physics`).
#[cfg(doctest)]
mod doc_examples {
    #[doc = include_str!("../docs/concepts.md")]
    struct Concepts;
    #[doc = include_str!("../docs/lanes.md")]
    struct Lanes;
    #[doc = include_str!("../docs/stochastic.md")]
    struct Stochastic;
    #[doc = include_str!("../docs/analysis.md")]
    struct Analysis;
    #[cfg(feature = "learn")]
    #[doc = include_str!("../docs/flows.md")]
    struct Flows;
    #[cfg(feature = "learn")]
    #[doc = include_str!("../docs/eig.md")]
    struct Eig;
    #[cfg(feature = "learn")]
    #[doc = include_str!("../docs/pivot.md")]
    struct Pivot;
}
