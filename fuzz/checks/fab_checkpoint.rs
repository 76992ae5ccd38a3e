// The check of fuzz target `fab_checkpoint` (fuzz/fuzz_targets/fab_checkpoint.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep::fab::Trainer;

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(trainer) = Trainer::from_json(text) {
        let first = serde_json::to_string(&trainer.checkpoint()).expect("a checkpoint serialises");
        let again = Trainer::from_json(&first).expect("a written checkpoint restores");
        let second = serde_json::to_string(&again.checkpoint()).expect("a checkpoint serialises");
        assert_eq!(first, second, "checkpoint round trip");
    }
}
