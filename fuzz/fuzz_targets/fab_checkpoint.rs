//! Fuzz target for the FAB checkpoint parser `diffhep::fab::Trainer::from_json`
//! (src/fab/train.rs).
//!
//! The input, if valid UTF-8, is a checkpoint. A checkpoint that restores a trainer is written
//! back (`Trainer::checkpoint`) and restored again, and the two checkpoints must serialise to the
//! same JSON. A crash is a panic, abort, hang, out-of-memory or stack overflow; an `Err` is the
//! expected outcome for bad input.
#![no_main]

use diffhep::fab::Trainer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(trainer) = Trainer::from_json(text) {
        let first = serde_json::to_string(&trainer.checkpoint()).expect("a checkpoint serialises");
        let again = Trainer::from_json(&first).expect("a written checkpoint restores");
        let second = serde_json::to_string(&again.checkpoint()).expect("a checkpoint serialises");
        assert_eq!(first, second, "checkpoint round trip");
    }
});
