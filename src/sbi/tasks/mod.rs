//! The benchmark tasks: sbibm's two_moons, gaussian_linear and SLCP (Lueckmann et al.,
//! "Benchmarking simulation-based inference", AISTATS 2021) and the generalised Galton board
//! of Brehmer et al. ("Mining gold from implicit models", PNAS 2020). Definitions are those of
//! `shared/reference/sbi-tasks.md`.

mod galton;
mod gaussian_linear;
mod slcp;
mod two_moons;

pub use galton::{galton_expected_kl, Galton};
pub use gaussian_linear::GaussianLinear;
pub use slcp::Slcp;
pub use two_moons::TwoMoons;

use super::error::{Result, SbiError};
use super::task::Task;

/// Names of the tasks of this crate (the physics task `ee_mumu` lives in `diffhep-physics`).
pub const TASK_NAMES: [&str; 4] = ["two_moons", "gaussian_linear", "slcp", "galton"];

/// A task by name.
pub fn task_by_name(name: &str) -> Result<Box<dyn Task>> {
    Ok(match name {
        "two_moons" => Box::new(TwoMoons::new()),
        "gaussian_linear" => Box::new(GaussianLinear::new()),
        "slcp" => Box::new(Slcp::new()),
        "galton" => Box::new(Galton::new()),
        other => {
            return Err(SbiError::Unknown(format!(
                "task {other:?} (known: {})",
                TASK_NAMES.join(", ")
            )))
        }
    })
}
