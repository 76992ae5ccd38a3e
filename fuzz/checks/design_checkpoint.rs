// The check of fuzz target `design_checkpoint` (fuzz/fuzz_targets/design_checkpoint.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep::optim::DesignLoop;
use diffhep_physics::design::detector::{Checkpoint, Evaluation};

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
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
}
