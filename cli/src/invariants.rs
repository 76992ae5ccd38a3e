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
    /// Training events (2 to 10⁶).
    #[arg(long, default_value_t = 4000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    train: u64,
    /// Test events (2 to 10⁶).
    #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    test: u64,
    /// Full-batch Adam steps (0 to 10⁶).
    #[arg(long, default_value_t = 3000, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    epochs: u64,
    /// Adam learning rate (finite, > 0).
    #[arg(long, default_value_t = 3e-3, allow_negative_numbers = true, value_parser = crate::checks::positive_f64)]
    lr: f64,
    /// Seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Widest hidden layer `--hidden` accepts.
const MAX_WIDTH: usize = 4096;
/// Most hidden layers of one `--hidden` value.
const MAX_LAYERS: usize = 64;

/// The hidden widths of one `--hidden` value (`"20,20"`), each in 1..=[`MAX_WIDTH`].
fn widths(h: &str) -> anyhow::Result<Vec<usize>> {
    let widths = h
        .split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_WIDTH).contains(&n) => Ok(n),
            Ok(n) => Err(anyhow::anyhow!(
                "--hidden {h}: width {n} is outside 1..={MAX_WIDTH}"
            )),
            Err(_) => Err(anyhow::anyhow!("--hidden {h}: {w:?} is not a width")),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if widths.len() > MAX_LAYERS {
        anyhow::bail!(
            "--hidden {h}: {} hidden layers, at most {MAX_LAYERS}",
            widths.len()
        );
    }
    Ok(widths)
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let architectures = args
        .hidden
        .iter()
        .map(|h| widths(h))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cfg = InvariantsConfig {
        architectures,
        train: args.train as usize,
        test: args.test as usize,
        epochs: args.epochs as usize,
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
