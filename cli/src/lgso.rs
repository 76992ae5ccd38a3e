//! `diffhep lgso`: local generative surrogate optimisation on the stochastic Rosenbrock
//! benchmark (surrogate-gradient bias against the exact gradient) or, with `--calorimeter`, on
//! the toy calorimeter design (bias against stochastic-triple gradients).

use anyhow::Context as _;
use clap::Args as ClapArgs;
use diffhep::nn::AdamConfig;
use diffhep::optim::lgso::{rosenbrock_demo, LgsoConfig};
use diffhep_physics::design::calorimeter_lgso::{calorimeter_lgso, CalorimeterBox};

use crate::checks::representable;

/// Largest simulator-call budget `--steps × --designs × --sims` (every call is kept as training
/// data of the surrogate).
const MAX_SIM_CALLS: u64 = 10_000_000;

/// Arguments of `diffhep lgso`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Dimension of the design vector (the paper uses 10; 2 to 1000, at most 100 layers with
    /// --calorimeter).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(2..=1000))]
    dim: u64,
    /// Largest number of design steps (1 to 10⁵).
    #[arg(long, default_value_t = 400, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    steps: u64,
    /// Stop once the exact objective g(psi) falls below this (Rosenbrock only; default 1).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::checks::finite_f64, conflicts_with = "calorimeter")]
    target: Option<f64>,
    /// Trust-region half-width (> 0, at most 1000).
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    radius: f64,
    /// Designs sampled per step (1 to 10⁴).
    #[arg(long, default_value_t = 20, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    designs: u64,
    /// Simulator calls per design (1 to 1000).
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=1000))]
    sims: u64,
    /// Adam learning rate of the design parameters (> 0, at most 1000).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    lr: f64,
    /// Seed.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    seed: u64,
    /// Optimise the calorimeter (8 layers, 20 GeV, λ = 0.01 per X0, start 1 X0 per layer;
    /// --dim sets the number of layers, --steps the number of steps) instead of Rosenbrock.
    #[arg(long)]
    calorimeter: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Largest `--radius` and `--lr`: beyond, the designs leave the range where the simulators'
/// outputs are finite.
const MAX_STEP: f64 = 1000.0;

/// The checks clap cannot make one flag at a time.
fn check(args: &Args) -> anyhow::Result<()> {
    for (flag, v) in [("--radius", args.radius), ("--lr", args.lr)] {
        if v > MAX_STEP {
            anyhow::bail!(
                "{flag} {}: at most {MAX_STEP} (larger steps take the design where the simulator's outputs overflow)",
                crate::checks::number(v)
            );
        }
    }
    if args.calorimeter && args.dim > 100 {
        anyhow::bail!("--dim {} with --calorimeter: at most 100 layers", args.dim);
    }
    let calls = args
        .steps
        .saturating_mul(args.designs)
        .saturating_mul(args.sims);
    if calls > MAX_SIM_CALLS {
        anyhow::bail!(
            "--steps {} × --designs {} × --sims {} = {calls} simulator calls, more than the {MAX_SIM_CALLS} the surrogate's training data can hold",
            args.steps,
            args.designs,
            args.sims
        );
    }
    Ok(())
}

fn run_calorimeter(args: &Args, cfg: LgsoConfig) -> anyhow::Result<()> {
    let layers = args.dim as usize;
    let bx = CalorimeterBox::new(layers, 20.0, 0.01)?;
    let r = calorimeter_lgso(bx, &vec![1.0; layers], args.steps as usize, cfg, 2000, 4000)
        .context("L-GSO on the calorimeter")?;
    for (k, s) in r.steps.iter().enumerate() {
        representable(&format!("E[y] at step {k}"), &[s.objective])?;
        representable(
            &format!("the surrogate/triple gradient cosine at step {k}"),
            &[s.bias.cosine],
        )?;
        representable(
            &format!("the relative gradient bias at step {k}"),
            &[s.bias.relative_norm],
        )?;
        representable(&format!("the largest z at step {k}"), &[s.max_z])?;
    }
    representable("the final design", &r.psi)?;
    representable("the final E[y]", &[r.objective])?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("{r}");
    Ok(())
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    check(args)?;
    let cfg = LgsoConfig {
        radius: args.radius,
        designs_per_step: args.designs as usize,
        sims_per_design: args.sims as usize,
        design_adam: AdamConfig::with_lr(args.lr),
        seed: args.seed,
        ..LgsoConfig::default()
    };
    if args.calorimeter {
        return run_calorimeter(args, cfg);
    }
    let target = args.target.unwrap_or(1.0);
    let r = rosenbrock_demo(args.dim as usize, args.steps as usize, target, cfg)
        .context("L-GSO on the Rosenbrock benchmark")?;
    representable("the final design", &r.psi)?;
    representable("the final g(psi)", &[r.objective])?;
    representable("the mean surrogate/exact gradient cosine", &[r.mean_cosine])?;
    representable("the mean relative gradient bias", &[r.mean_relative_bias])?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!(
        "L-GSO on the {}-D stochastic Rosenbrock, start psi = 2·1",
        r.dim
    );
    println!(
        "g(psi): {:.4} -> {:.4} in {} steps, {} simulator calls",
        r.objective0, r.objective, r.steps, r.sim_calls
    );
    match r.calls_to_target {
        Some(c) => println!("g < {} reached after {c} simulator calls", r.target),
        None => println!("g < {} not reached", r.target),
    }
    println!(
        "surrogate vs exact gradient: mean cosine {:.3}, mean relative bias {:.3}",
        r.mean_cosine, r.mean_relative_bias
    );
    Ok(())
}
