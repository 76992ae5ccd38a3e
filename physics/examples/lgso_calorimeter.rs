//! L-GSO on the toy calorimeter design (8 layers, 20 GeV electrons, λ = 0.01 per X₀), with the
//! surrogate gradient compared against unbiased stochastic-triple gradients at every step.
//!
//! Run: `cargo run --release --example lgso_calorimeter` (or `diffhep lgso --calorimeter --json`).

use diffhep::nn::AdamConfig;
use diffhep::optim::lgso::LgsoConfig;
use diffhep_physics::design::calorimeter_lgso::{calorimeter_lgso, CalorimeterBox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bx = CalorimeterBox::new(8, 20.0, 0.01)?;
    let cfg = LgsoConfig {
        radius: 0.3,
        designs_per_step: 16,
        sims_per_design: 10,
        design_adam: AdamConfig::with_lr(0.1),
        seed: 1,
        ..LgsoConfig::default()
    };
    let r = calorimeter_lgso(bx, &[1.0; 8], 30, cfg, 2000, 4000)?;
    println!("{r}");
    println!(
        "final thicknesses: {:?}",
        r.psi
            .iter()
            .map(|v| (v * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    Ok(())
}
