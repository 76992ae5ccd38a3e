//! Fuzz target for the name parsers (`FromStr`): `diffhep_physics::Process`,
//! `diffhep::sbi::Method`, `diffhep::fab::Method`, `diffhep::stochastic::EstimatorKind` and
//! `diffhep_physics::targets::fab::FabProblem`.
//!
//! The first byte picks the parser (modulo 5); the rest, if valid UTF-8, is the name. A name that
//! parses must be the parsed value's canonical name (or an accepted alias) and the canonical name
//! must parse to the same value. A crash is a panic, abort, hang, out-of-memory, stack overflow or
//! a failed assertion.
#![no_main]

use std::str::FromStr;

use diffhep::stochastic::EstimatorKind;
use diffhep_physics::targets::fab::FabProblem;
use diffhep_physics::Process;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match sel % 5 {
        0 => {
            if let Ok(p) = Process::from_str(s) {
                assert_eq!(p.name(), s);
            }
        }
        1 => {
            if let Ok(m) = diffhep::sbi::Method::from_str(s) {
                assert_eq!(m.name(), s);
                assert_eq!(m.to_string(), s);
            }
        }
        2 => {
            if let Ok(m) = diffhep::fab::Method::from_str(s) {
                assert_eq!(m.name(), s);
            }
        }
        3 => {
            if let Ok(k) = EstimatorKind::from_str(s) {
                assert!(k.name() == s || s == "st");
                assert_eq!(EstimatorKind::from_str(k.name()).ok(), Some(k));
            }
        }
        _ => {
            if let Ok(p) = FabProblem::from_str(s) {
                assert_eq!(p.name(), s);
            }
        }
    }
});
