// The check of fuzz target `flow` (fuzz/fuzz_targets/flow.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep::flows::Flow;

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
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
}
