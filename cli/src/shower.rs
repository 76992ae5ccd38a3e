//! `diffhep shower`: expected deposits of the toy calorimeter and their gradients.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args as ClapArgs;
use diffhep::stochastic::{EstimatorKind, FiniteDifferences};
use diffhep_physics::detector::shower::{Shower, ShowerConfig, MAX_ENERGY_GEV};
use serde_json::json;

use crate::checks::{number, representable};

/// Largest `--samples × --layers²`: the estimators keep one gradient row of `layers²` numbers
/// per sample (2²⁷ doubles = 1 GiB).
const MAX_GRADIENT_TERMS: u64 = 1 << 27;

/// Arguments of `diffhep shower`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Number of layers (1 to 100).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=100))]
    layers: u64,
    /// Beam energy in GeV (> 0, at most 10⁴: the number of shower particles grows like E/E_c
    /// with E_c = 0.1 GeV).
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    energy: f64,
    /// Absorber thickness of every layer, in radiation lengths (finite, ≥ 0).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = crate::checks::non_negative_f64)]
    thickness: f64,
    /// Number of samples (2 to 10⁷, and samples × layers² at most 2²⁷).
    #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    samples: u64,
    /// Gradient estimator: triple, score, straight-through, gumbel or fd.
    #[arg(long, default_value = "triple")]
    estimator: String,
    /// Seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The checks clap cannot make one flag at a time.
fn check(args: &Args, kind: EstimatorKind) -> anyhow::Result<()> {
    if args.energy > MAX_ENERGY_GEV {
        anyhow::bail!(
            "--energy {} GeV is above the {MAX_ENERGY_GEV} GeV the toy shower supports (its particle count grows like E/E_c)",
            number(args.energy)
        );
    }
    let fd_step = FiniteDifferences::default().step;
    if kind == EstimatorKind::FiniteDifference && args.thickness < fd_step {
        anyhow::bail!(
            "--estimator fd with --thickness {}: central differences step ±{fd_step} X0, so the thickness must be at least {fd_step} (or use another estimator)",
            number(args.thickness)
        );
    }
    let terms = args.samples.saturating_mul(args.layers * args.layers);
    if terms > MAX_GRADIENT_TERMS {
        anyhow::bail!(
            "--samples {} with --layers {} needs {terms} gradient terms in memory (at most {MAX_GRADIENT_TERMS}); use fewer samples or layers",
            args.samples,
            args.layers
        );
    }
    Ok(())
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let kind: EstimatorKind = args.estimator.parse().context("--estimator")?;
    check(args, kind)?;
    let layers = args.layers as usize;
    let shower = Shower::new(ShowerConfig::new(layers, args.energy))?;
    let theta = vec![args.thickness; layers];
    shower.check_design(&theta)?;
    let start = Instant::now();
    let est = kind.estimate(&shower, &theta, args.samples as usize, args.seed)?;
    let seconds = start.elapsed().as_secs_f64();
    representable("E[deposit]", &est.value)?;
    representable("the error of E[deposit]", &est.value_se)?;
    for k in 0..layers {
        representable(&format!("∂E[deposit_{k}]/∂t"), &est.gradient[k])?;
        representable(
            &format!("the error of ∂E[deposit_{k}]/∂t"),
            &est.gradient_se[k],
        )?;
    }
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
        args.layers,
        number(args.thickness),
        number(args.energy),
        est.samples,
        est.estimator,
        est.runs,
        seconds
    );
    println!(
        "layer  E[deposit] GeV        dE[deposit_k]/dt_j (GeV/X0) ± se, j = 0..{}",
        args.layers - 1
    );
    for k in 0..layers {
        let grads: Vec<String> = (0..layers)
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
