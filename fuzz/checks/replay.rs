// Replaying a fuzz corpus as an ordinary test: included (`include!`) by the workspace tests
// `tests/fuzz_regressions.rs` and `physics/tests/fuzz_regressions.rs`, not a fuzz target.

/// Every file of the target's seed and regression folders under `fuzz` (seeds must exist).
fn corpus(fuzz: &std::path::Path, target: &str) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = fuzz.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(kind != "seeds", "missing seed folder {}", dir.display());
            continue;
        };
        for e in entries {
            let path = e.expect("a readable folder entry").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no seeds for {target}");
    files
}

/// Run `check` on every corpus file of `target`; a panic names the file.
pub fn replay(fuzz: &std::path::Path, target: &str, check: fn(&[u8])) {
    for path in corpus(fuzz, target) {
        let data = std::fs::read(&path).expect("a readable corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
    }
}
