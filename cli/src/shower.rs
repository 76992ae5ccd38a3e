//! `diffhep shower`: expected deposits of the toy calorimeter and their gradients.

use std::time::Instant;

use clap::Args as ClapArgs;
use diffhep::stochastic::EstimatorKind;
use diffhep_physics::detector::shower::{Shower, ShowerConfig};
use serde_json::json;

/// Arguments of `diffhep shower`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Number of layers.
    #[arg(long, default_value_t = 8)]
    layers: usize,
    /// Beam energy in GeV.
    #[arg(long, default_value_t = 20.0)]
    energy: f64,
    /// Absorber thickness of every layer, in radiation lengths.
    #[arg(long, default_value_t = 1.0)]
    thickness: f64,
    /// Number of samples.
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// Gradient estimator: triple, score, straight-through, gumbel or fd.
    #[arg(long, default_value = "triple")]
    estimator: String,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let kind: EstimatorKind = args.estimator.parse()?;
    let shower = Shower::new(ShowerConfig::new(args.layers, args.energy))?;
    let theta = vec![args.thickness; args.layers];
    shower.check_design(&theta)?;
    let start = Instant::now();
    let est = kind.estimate(&shower, &theta, args.samples, args.seed)?;
    let seconds = start.elapsed().as_secs_f64();
    if args.json {
        let out = json!({
            "estimator": est.estimator,
            "layers": args.layers,
            "energy": args.energy,
            "thickness": theta,
            "samples": est.samples,
            "runs": est.runs,
            "seconds": seconds,
            "deposit": est.value,
            "deposit_se": est.value_se,
            "gradient": est.gradient,
            "gradient_se": est.gradient_se,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "EM shower, {} layers of {} X0, {} GeV e-, {} samples, estimator {} ({} runs, {:.2} s)",
        args.layers, args.thickness, args.energy, est.samples, est.estimator, est.runs, seconds
    );
    println!(
        "layer  E[deposit] GeV        dE[deposit_k]/dt_j (GeV/X0) ± se, j = 0..{}",
        args.layers - 1
    );
    for k in 0..args.layers {
        let grads: Vec<String> = (0..args.layers)
            .map(|j| format!("{:+.4}±{:.4}", est.gradient[k][j], est.gradient_se[k][j]))
            .collect();
        println!(
            "{k:>5}  {:.4} ± {:.4}   {}",
            est.value[k],
            est.value_se[k],
            grads.join(" ")
        );
    }
    Ok(())
}
