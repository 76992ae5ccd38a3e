//! Fuzz target for the name parsers (`FromStr`): `diffhep_physics::Process`,
//! `diffhep::sbi::Method`, `diffhep::fab::Method`, `diffhep::stochastic::EstimatorKind` and
//! `diffhep_physics::targets::fab::FabProblem`.
//!
//! The first byte picks the parser (modulo 5); the rest, if valid UTF-8, is the name. A name that
//! parses must be the parsed value's canonical name (or an accepted alias) and the canonical name
//! must parse to the same value. A crash is a panic, abort, hang, out-of-memory, stack overflow or
//! a failed assertion.
//!
//! The check is in `fuzz/checks/names.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/names/` and `fuzz/regressions/names/`.
#![no_main]

mod checks {
    include!("../checks/names.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
