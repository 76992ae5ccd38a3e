//! Fuzz target for the Les Houches Event reader
//! `diffhep_physics::events::lhe::read_lhe` (physics/src/events/lhe/reader.rs), over raw bytes.
//!
//! A file that reads is written back with `write_lhe`; if writing succeeds the written file must
//! read again with the same number of processes and events. A crash is a panic, abort, hang,
//! out-of-memory or stack overflow; an `Err` is the expected outcome for bad input.
//!
//! The check is in `fuzz/checks/lhe.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/lhe/` and `fuzz/regressions/lhe/`.
#![no_main]

mod checks {
    include!("../checks/lhe.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
