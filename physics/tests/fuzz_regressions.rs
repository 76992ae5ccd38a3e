//! Replays the fuzz corpora of the physics crate's parsers and of the name parsers: every file
//! under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` for the targets `param_card`,
//! `design_config`, `design_checkpoint`, `lhe` and `names` goes through the same check as the
//! fuzz target (`fuzz/checks/<target>.rs`), which panics only on a bug (any `Ok` or `Err` from the
//! parser passes).

use std::path::{Path, PathBuf};

mod param_card {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/checks/param_card.rs"
    ));
}
mod design_config {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/checks/design_config.rs"
    ));
}
mod design_checkpoint {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/checks/design_checkpoint.rs"
    ));
}
mod lhe {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/checks/lhe.rs"
    ));
}
mod names {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/checks/names.rs"
    ));
}

/// Every file of the target's seed and regression folders (seeds must exist).
fn corpus(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
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

fn replay(target: &str, check: fn(&[u8])) {
    for path in corpus(target) {
        let data = std::fs::read(&path).expect("a readable corpus file");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
    }
}

#[test]
fn fuzz_corpus_param_card() {
    replay("param_card", param_card::check);
}

#[test]
fn fuzz_corpus_design_config() {
    replay("design_config", design_config::check);
}

#[test]
fn fuzz_corpus_design_checkpoint() {
    replay("design_checkpoint", design_checkpoint::check);
}

#[test]
fn fuzz_corpus_lhe() {
    replay("lhe", lhe::check);
}

#[test]
fn fuzz_corpus_names() {
    replay("names", names::check);
}
