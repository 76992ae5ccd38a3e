//! Fuzz target for the design checkpoint parsers: the detector study's
//! `diffhep_physics::design::detector::Checkpoint::from_json` (physics/src/design/detector/mod.rs)
//! and the engine's `diffhep::optim::DesignLoop::from_json` (src/optim/design.rs), the latter
//! both with the detector's report type and with `()`.
//!
//! The input, if valid UTF-8, goes to all three parsers. A checkpoint that parses has its
//! parameters computed, is serialised back and must parse to an equal value. A crash is a panic,
//! abort, hang, out-of-memory or stack overflow; an `Err` is the expected outcome for bad input.
#![no_main]

use diffhep::optim::DesignLoop;
use diffhep_physics::design::detector::{Checkpoint, Evaluation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ck) = Checkpoint::from_json(text) {
        let _ = ck.design_loop.params();
        let again = Checkpoint::from_json(&ck.to_json()).expect("a written checkpoint parses");
        assert_eq!(again, ck, "checkpoint round trip");
    }
    if let Ok(dl) = DesignLoop::<Evaluation>::from_json(text) {
        let _ = dl.params();
        let json = dl.to_json().expect("a design loop serialises");
        let again = DesignLoop::<Evaluation>::from_json(&json).expect("a written loop parses");
        assert_eq!(again, dl, "design loop round trip");
    }
    if let Ok(dl) = DesignLoop::<()>::from_json(text) {
        let _ = dl.params();
        let json = dl.to_json().expect("a design loop serialises");
        let again = DesignLoop::<()>::from_json(&json).expect("a written loop parses");
        assert_eq!(again, dl, "design loop round trip");
    }
});
