//! `diffhep lgso`: local generative surrogate optimisation on the stochastic Rosenbrock
//! benchmark (surrogate-gradient bias against the exact gradient) or, with `--calorimeter`, on
//! the toy calorimeter design (bias against stochastic-triple gradients).

use clap::Args as ClapArgs;
use diffhep::nn::AdamConfig;
use diffhep::optim::lgso::{rosenbrock_demo, LgsoConfig};
use diffhep_physics::design::calorimeter_lgso::{calorimeter_lgso, CalorimeterBox};

/// Arguments of `diffhep lgso`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Dimension of the design vector (the paper uses 10).
    #[arg(long, default_value_t = 10)]
    dim: usize,
    /// Largest number of design steps.
    #[arg(long, default_value_t = 400)]
    steps: usize,
    /// Stop once the exact objective g(psi) falls below this.
    #[arg(long, default_value_t = 1.0)]
    target: f64,
    /// Trust-region half-width.
    #[arg(long, default_value_t = 0.2)]
    radius: f64,
    /// Designs sampled per step.
    #[arg(long, default_value_t = 20)]
    designs: usize,
    /// Simulator calls per design.
    #[arg(long, default_value_t = 5)]
    sims: usize,
    /// Adam learning rate of the design parameters.
    #[arg(long, default_value_t = 0.05)]
    lr: f64,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Optimise the calorimeter (8 layers, 20 GeV, λ = 0.01 per X0, start 1 X0 per layer;
    /// --dim sets the number of layers, --steps the number of steps) instead of Rosenbrock.
    #[arg(long)]
    calorimeter: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn run_calorimeter(args: &Args, cfg: LgsoConfig) -> anyhow::Result<()> {
    let bx = CalorimeterBox::new(args.dim, 20.0, 0.01)?;
    let r = calorimeter_lgso(bx, &vec![1.0; args.dim], args.steps, cfg, 2000, 4000)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("{r}");
    Ok(())
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.dim < 2 {
        anyhow::bail!("--dim {} is too small (at least 2)", args.dim);
    }
    let cfg = LgsoConfig {
        radius: args.radius,
        designs_per_step: args.designs,
        sims_per_design: args.sims,
        design_adam: AdamConfig::with_lr(args.lr),
        seed: args.seed,
        ..LgsoConfig::default()
    };
    if args.calorimeter {
        return run_calorimeter(args, cfg);
    }
    let r = rosenbrock_demo(args.dim, args.steps, args.target, cfg)?;
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
