//! Neural networks on dfdx, and the exchange of gradients between them and the tape.
//!
//! - [`Mlp`]: a multilayer perceptron whose widths and depth are chosen at run time, built on raw
//!   dfdx tensors (`Tensor<(usize, usize), E, Cpu>`), in `f32` or `f64`, with [`Activation`]s
//!   ReLU, LeakyReLU, tanh and SiLU and seeded initialisation.
//! - [`Adam`] (with decoupled weight decay: AdamW) and [`Sgd`] over flat parameter vectors, with a
//!   learning-rate [`LrSchedule`]; dfdx's own optimizers need compile-time shapes.
//! - Weights saved to and loaded from safetensors files ([`Mlp::save`], [`Mlp::load`]).
//! - [`bridge`]: tape → network and network → tape, exact in both directions.
//! - [`invariants`]: demo regressing a muon pair's pT and mass from raw four-vectors.
#![allow(clippy::needless_range_loop)]

pub mod bridge;
mod error;
pub mod invariants;
mod io;
mod mlp;
mod optimizer;

pub use error::NnError;
pub use mlp::{Activation, Mlp, MlpSpec, NnFloat, TangentPair};
pub use optimizer::{Adam, AdamConfig, LrSchedule, Sgd};

#[cfg(test)]
mod tests;
