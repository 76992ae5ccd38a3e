// The check of fuzz target `names` (fuzz/fuzz_targets/names.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep::stochastic::EstimatorKind;
use diffhep_physics::targets::fab::FabProblem;
use diffhep_physics::Process;
use std::str::FromStr;

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match sel % 5 {
        0 => {
            if let Ok(p) = Process::from_str(s) {
                assert_eq!(p.name(), s);
            }
        }
        1 => {
            if let Ok(m) = diffhep::sbi::Method::from_str(s) {
                assert_eq!(m.name(), s);
                assert_eq!(m.to_string(), s);
            }
        }
        2 => {
            if let Ok(m) = diffhep::fab::Method::from_str(s) {
                assert_eq!(m.name(), s);
            }
        }
        3 => {
            if let Ok(k) = EstimatorKind::from_str(s) {
                assert!(k.name() == s || s == "st");
                assert_eq!(EstimatorKind::from_str(k.name()).ok(), Some(k));
            }
        }
        _ => {
            if let Ok(p) = FabProblem::from_str(s) {
                assert_eq!(p.name(), s);
            }
        }
    }
}
