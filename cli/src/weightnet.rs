//! `diffhep weightnet`: train a per-track weight network through the implicit vertex fit and
//! report the held-out vertex resolution before and after.

use clap::Args as ClapArgs;
use diffhep_physics::design::vertex_weights::{train_weight_net, Resolution, WeightNetConfig};

/// Arguments of `diffhep weightnet`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Training jets (1 to 10⁵).
    #[arg(long, default_value_t = 300, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    train: u64,
    /// Held-out jets (1 to 10⁵).
    #[arg(long, default_value_t = 300, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    test: u64,
    /// Adam steps (one per pass over the training jets; 0 to 10⁵).
    #[arg(long, default_value_t = 60, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    epochs: u64,
    /// Hidden width of the network (1 to 4096).
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=4096))]
    hidden: u64,
    /// Adam learning rate (finite, > 0).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    lr: f64,
    /// Seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn row(name: &str, r: &Resolution) {
    println!(
        "{name:<28} {:>10.4} {:>10.4} {:>7}",
        r.median_mm, r.rms_mm, r.failed
    );
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let cfg = WeightNetConfig {
        train_jets: args.train as usize,
        test_jets: args.test as usize,
        epochs: args.epochs as usize,
        hidden: args.hidden as usize,
        lr: args.lr,
        seed: args.seed,
    };
    let r = train_weight_net(&cfg)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!(
        "held-out vertex resolution, {} jets (distance to the true decay vertex)",
        args.test
    );
    println!(
        "{:<28} {:>10} {:>10} {:>7}",
        "weights", "median mm", "rms mm", "failed"
    );
    row("all tracks, weight 1", &r.unit_weights);
    row("network, before training", &r.before);
    row("network, after training", &r.after);
    row("true decay tracks only", &r.truth_tracks);
    Ok(())
}
