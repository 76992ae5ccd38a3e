//! Shared helper of the CLI tests: run the `diffhep` binary.

use std::process::{Command, Output};

/// Run `diffhep` with `args` and capture its output.
pub fn diffhep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_diffhep"))
        .args(args)
        .output()
        .expect("the diffhep binary runs")
}
