//! Fuzz target for the param-card parsers `ParamCard::from_toml_str` and
//! `ParamCard::from_json_str` (physics/src/collider/sm.rs).
//!
//! The first byte picks the format (even: TOML, odd: JSON); the rest, if valid UTF-8, is the card.
//! A card that parses is serialised back (TOML and JSON) and must parse to an equal card.
//! A crash is a panic, abort, hang, out-of-memory or stack overflow in any of these calls; an
//! `Err` is the expected outcome for bad input.
//!
//! The check is in `fuzz/checks/param_card.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/param_card/` and `fuzz/regressions/param_card/`.
#![no_main]

mod checks {
    include!("../checks/param_card.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
