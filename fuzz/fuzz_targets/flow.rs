//! Fuzz target for the flow file parser `diffhep::flows::Flow::from_json`
//! (src/flows/flow/file.rs).
//!
//! The input, if valid UTF-8, is a flow file. A flow that parses is evaluated: `log_prob` at one
//! finite point (every coordinate 0.5, context zeros) must be an `Err` or a number that is finite
//! or −∞ (outside the domain), never NaN; the flow is also written back and must parse to the same
//! file. A crash is a panic, abort, hang, out-of-memory, stack overflow or a failed assertion.
#![no_main]

use diffhep::flows::Flow;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(flow) = Flow::from_json(text) {
        let x = vec![0.5; flow.dim()];
        let ctx = vec![0.0; flow.context_dim()];
        if let Ok(lp) = flow.log_prob(&x, &ctx) {
            assert_eq!(lp.len(), 1, "one log-density per row");
            assert!(
                lp[0].is_finite() || lp[0] == f64::NEG_INFINITY,
                "log-density {} at a finite point",
                lp[0]
            );
        }
        let json = flow.to_json();
        let again = Flow::from_json(&json).expect("a written flow parses");
        assert_eq!(again.to_json(), json, "flow round trip");
    }
});
