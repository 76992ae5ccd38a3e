//! Replays the fuzz corpora of the engine's parsers: every file under `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/` for the targets `fab_checkpoint`, `flow` and `network` goes
//! through the same check as the fuzz target (`fuzz/checks/<target>.rs`), which panics only on a
//! bug (any `Ok` or `Err` from the parser passes).

use std::path::{Path, PathBuf};

mod fab_checkpoint {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/checks/fab_checkpoint.rs"
    ));
}
mod flow {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/checks/flow.rs"));
}
mod network {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/checks/network.rs"
    ));
}

/// Every file of the target's seed and regression folders (seeds must exist).
fn corpus(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
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
fn fuzz_corpus_fab_checkpoint() {
    replay("fab_checkpoint", fab_checkpoint::check);
}

#[test]
fn fuzz_corpus_flow() {
    replay("flow", flow::check);
}

#[test]
fn fuzz_corpus_network() {
    replay("network", network::check);
}
