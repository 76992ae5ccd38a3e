// The check of fuzz target `network` (fuzz/fuzz_targets/network.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep::nn::Mlp;

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
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
}
