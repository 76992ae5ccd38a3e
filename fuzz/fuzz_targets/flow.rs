//! Fuzz target for the flow file parser `diffhep::flows::Flow::from_json`
//! (src/flows/flow/file.rs).
//!
//! The input, if valid UTF-8, is a flow file. A flow that parses is evaluated: `log_prob` at one
//! finite point (every coordinate 0.5, context zeros) must be an `Err` or a number that is finite
//! or −∞ (outside the domain), never NaN; the flow is also written back and must parse to the same
//! file. A crash is a panic, abort, hang, out-of-memory, stack overflow or a failed assertion.
//!
//! The check is in `fuzz/checks/flow.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/flow/` and `fuzz/regressions/flow/`.
#![no_main]

mod checks {
    include!("../checks/flow.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
