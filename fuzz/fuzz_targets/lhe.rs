//! Fuzz target for the Les Houches Event reader
//! `diffhep_physics::events::lhe::read_lhe` (physics/src/events/lhe/reader.rs), over raw bytes.
//!
//! A file that reads is written back with `write_lhe`; if writing succeeds the written file must
//! read again with the same number of processes and events. A crash is a panic, abort, hang,
//! out-of-memory or stack overflow; an `Err` is the expected outcome for bad input.
#![no_main]

use diffhep_physics::events::lhe::{read_lhe, write_lhe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
