//! `diffhep weightnet`: train a per-track weight network through the implicit vertex fit and
//! report the held-out vertex resolution before and after.

use clap::Args as ClapArgs;
use diffhep_physics::design::vertex_weights::{train_weight_net, Resolution, WeightNetConfig};

/// Arguments of `diffhep weightnet`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Training jets.
    #[arg(long, default_value_t = 300)]
    train: usize,
    /// Held-out jets.
    #[arg(long, default_value_t = 300)]
    test: usize,
    /// Adam steps (one per pass over the training jets).
    #[arg(long, default_value_t = 60)]
    epochs: usize,
    /// Hidden width of the network.
    #[arg(long, default_value_t = 16)]
    hidden: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.05)]
    lr: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
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
        train_jets: args.train,
        test_jets: args.test,
        epochs: args.epochs,
        hidden: args.hidden,
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
