//! Replays the fuzz corpora of the engine's parsers: every file under `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/` for the targets `fab_checkpoint`, `flow` and `network` goes
//! through the same check as the fuzz target (`fuzz/checks/<target>.rs`), which panics only on a
//! bug (any `Ok` or `Err` from the parser passes).

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

mod corpus {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/checks/replay.rs"
    ));
}

fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    corpus::replay(&fuzz, target, check);
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
