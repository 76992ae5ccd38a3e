//! Fuzz target for the network weight-file parser `diffhep::nn::Mlp::from_safetensors`
//! (src/nn/io.rs), for both element types (`f64` and `f32`).
//!
//! The input bytes are a safetensors file. A network that loads is evaluated once on a zero input
//! (the result may be any number or an `Err`), written back with `to_safetensors` and must load
//! to bit-identical parameters. A crash is a panic, abort, hang, out-of-memory or stack overflow;
//! an `Err` is the expected outcome for bad input.
//!
//! The check is in `fuzz/checks/network.rs`, which the workspace's replay test also runs on every
//! file of `fuzz/seeds/network/` and `fuzz/regressions/network/`.
#![no_main]

mod checks {
    include!("../checks/network.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
