// The check of fuzz target `design_config` (fuzz/fuzz_targets/design_config.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep_physics::design::detector::StudyConfig;

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = StudyConfig::from_toml(text) {
        let _ = cfg.initial_design();
        let again = StudyConfig::from_toml(&cfg.to_toml()).expect("a written configuration parses");
        assert_eq!(again, cfg, "TOML round trip");
    }
}
