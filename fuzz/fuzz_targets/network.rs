//! Fuzz target for the network weight-file parser `diffhep::nn::Mlp::from_safetensors`
//! (src/nn/io.rs), for both element types (`f64` and `f32`).
//!
//! The input bytes are a safetensors file. A network that loads is evaluated once on a zero input
//! (the result may be any number or an `Err`), written back with `to_safetensors` and must load
//! to bit-identical parameters. A crash is a panic, abort, hang, out-of-memory or stack overflow;
//! an `Err` is the expected outcome for bad input.
#![no_main]

use diffhep::nn::Mlp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(net) = Mlp::<f64>::from_safetensors(data) {
        let _ = net.forward(&vec![0.0; net.spec().inputs()]);
        let bytes = net.to_safetensors().expect("a loaded network serialises");
        let again = Mlp::<f64>::from_safetensors(&bytes).expect("a written network loads");
        let bits = |n: &Mlp<f64>| n.params().iter().map(|p| p.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&again), bits(&net), "f64 round trip");
    }
    if let Ok(net) = Mlp::<f32>::from_safetensors(data) {
        let _ = net.forward(&vec![0.0; net.spec().inputs()]);
        let bytes = net.to_safetensors().expect("a loaded network serialises");
        let again = Mlp::<f32>::from_safetensors(&bytes).expect("a written network loads");
        let bits = |n: &Mlp<f32>| n.params().iter().map(|p| p.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&again), bits(&net), "f32 round trip");
    }
});
