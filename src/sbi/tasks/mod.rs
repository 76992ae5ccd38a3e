//! The benchmark tasks: sbibm's two_moons, gaussian_linear and SLCP (Lueckmann et al.,
//! "Benchmarking simulation-based inference", AISTATS 2021) and the generalised Galton board
//! of Brehmer et al. ("Mining gold from implicit models", PNAS 2020). Definitions are those of
//! `shared/reference/sbi-tasks.md`. They are found by name through [`super::TaskRegistry`].

mod galton;
mod gaussian_linear;
mod slcp;
mod two_moons;

pub use galton::{galton_expected_kl, Galton};
pub use gaussian_linear::GaussianLinear;
pub use slcp::Slcp;
pub use two_moons::TwoMoons;
