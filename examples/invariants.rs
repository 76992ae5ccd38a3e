//! Learning relativistic invariants: regress the pT and invariant mass of two-muon systems from
//! the muons' raw four-vectors with small LeakyReLU MLPs; report the Pearson correlation of
//! prediction and truth on a held-out test set.
//!
//! Run: `cargo run --release --example invariants` (or `diffhep invariants --json`).

use diffhep::nn::invariants::{invariants_demo, InvariantsConfig, InvariantsTable};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = InvariantsConfig::default();
    println!(
        "{} training / {} test muon pairs, {} full-batch Adam steps",
        cfg.train, cfg.test, cfg.epochs
    );
    println!("{}", InvariantsTable(&invariants_demo(&cfg)?));
    Ok(())
}
