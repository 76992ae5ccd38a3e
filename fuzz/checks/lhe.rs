// The check of fuzz target `lhe` (fuzz/fuzz_targets/lhe.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep_physics::events::lhe::{read_lhe, write_lhe};

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
    if let Ok(file) = read_lhe(data) {
        if let Ok(out) = write_lhe(Vec::new(), &file) {
            let back = read_lhe(out.as_slice()).expect("a written LHE file reads");
            assert_eq!(back.events.len(), file.events.len(), "event count");
            assert_eq!(
                back.init.processes.len(),
                file.init.processes.len(),
                "process count"
            );
        }
    }
}
