//! Fuzz target for the detector-design configuration parser `StudyConfig::from_toml`
//! (physics/src/design/detector/config.rs).
//!
//! The input, if valid UTF-8, is a TOML configuration. A configuration that parses is written
//! back with `StudyConfig::to_toml` and must parse to an equal configuration, and its initial
//! design is computed. A crash is a panic, abort, hang, out-of-memory or stack overflow; an `Err`
//! is the expected outcome for bad input.
#![no_main]

use diffhep_physics::design::detector::StudyConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = StudyConfig::from_toml(text) {
        let _ = cfg.initial_design();
        let again = StudyConfig::from_toml(&cfg.to_toml()).expect("a written configuration parses");
        assert_eq!(again, cfg, "TOML round trip");
    }
});
