//! Replays the fuzz corpora of the physics crate's parsers and of the name parsers: every file
//! under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` for the targets `param_card`,
//! `design_config`, `design_checkpoint`, `lhe` and `names` goes through the same check as the
//! fuzz target (`fuzz/checks/<target>.rs`), which panics only on a bug (any `Ok` or `Err` from the
//! parser passes).

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

mod corpus {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/checks/replay.rs"
    ));
}

fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    corpus::replay(&fuzz, target, check);
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
