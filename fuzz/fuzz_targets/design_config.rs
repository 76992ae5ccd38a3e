//! Fuzz target for the detector-design configuration parser `StudyConfig::from_toml`
//! (physics/src/design/detector/config.rs).
//!
//! The input, if valid UTF-8, is a TOML configuration. A configuration that parses is written
//! back with `StudyConfig::to_toml` and must parse to an equal configuration, and its initial
//! design is computed. A crash is a panic, abort, hang, out-of-memory or stack overflow; an `Err`
//! is the expected outcome for bad input.
//!
//! The check is in `fuzz/checks/design_config.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/design_config/` and `fuzz/regressions/design_config/`.
#![no_main]

mod checks {
    include!("../checks/design_config.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
