//! Fuzz target for the design checkpoint parsers: the detector study's
//! `diffhep_physics::design::detector::Checkpoint::from_json` (physics/src/design/detector/mod.rs)
//! and the engine's `diffhep::optim::DesignLoop::from_json` (src/optim/design.rs), the latter
//! both with the detector's report type and with `()`.
//!
//! The input, if valid UTF-8, goes to all three parsers. A checkpoint that parses has its
//! parameters computed, is serialised back and must parse to an equal value. A crash is a panic,
//! abort, hang, out-of-memory or stack overflow; an `Err` is the expected outcome for bad input.
//!
//! The check is in `fuzz/checks/design_checkpoint.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/design_checkpoint/` and `fuzz/regressions/design_checkpoint/`.
#![no_main]

mod checks {
    include!("../checks/design_checkpoint.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
