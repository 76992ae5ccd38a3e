//! `diffhep invariants`: regress a muon pair's pT and invariant mass from raw four-vectors with
//! small MLPs and report test-set Pearson correlations.

use clap::Args as ClapArgs;
use diffhep::nn::invariants::{invariants_demo, InvariantsConfig, InvariantsTable};

/// Arguments of `diffhep invariants`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Hidden-layer widths of one network, comma-separated; repeat for several networks.
    #[arg(long = "hidden", value_delimiter = ';', default_values = ["10", "20", "20,20"])]
    hidden: Vec<String>,
    /// Training events.
    #[arg(long, default_value_t = 4000)]
    train: usize,
    /// Test events.
    #[arg(long, default_value_t = 2000)]
    test: usize,
    /// Full-batch Adam steps.
    #[arg(long, default_value_t = 3000)]
    epochs: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut architectures = Vec::new();
    for h in &args.hidden {
        let widths = h
            .split(',')
            .map(|w| {
                w.trim()
                    .parse::<usize>()
                    .map_err(|_| anyhow::anyhow!("--hidden {h}: {w:?} is not a width"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        architectures.push(widths);
    }
    let cfg = InvariantsConfig {
        architectures,
        train: args.train,
        test: args.test,
        epochs: args.epochs,
        lr: args.lr,
        seed: args.seed,
    };
    let runs = invariants_demo(&cfg)?;
    if args.json {
        let out = serde_json::json!({ "config": cfg, "runs": runs });
        println!("{out}");
        return Ok(());
    }
    println!("{}", InvariantsTable(&runs));
    Ok(())
}
