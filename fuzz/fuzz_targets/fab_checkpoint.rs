//! Fuzz target for the FAB checkpoint parser `diffhep::fab::Trainer::from_json`
//! (src/fab/train.rs).
//!
//! The input, if valid UTF-8, is a checkpoint. A checkpoint that restores a trainer is written
//! back (`Trainer::checkpoint`) and restored again, and the two checkpoints must serialise to the
//! same JSON. A crash is a panic, abort, hang, out-of-memory or stack overflow; an `Err` is the
//! expected outcome for bad input.
//!
//! The check is in `fuzz/checks/fab_checkpoint.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/fab_checkpoint/` and `fuzz/regressions/fab_checkpoint/`.
#![no_main]

mod checks {
    include!("../checks/fab_checkpoint.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
