//! `diffhep sbi`: simulation-based inference on a benchmark task — simulate, train an estimator,
//! sample the posterior of the task's reference observation(s), and print C2ST against the
//! reference posterior, calibration (expected coverage, SBC) and timings.

use clap::Args as ClapArgs;
use diffhep::sbi::run::{run as run_sbi, Method, RunConfig};
use diffhep_physics::targets::sbi_tasks;

/// Arguments of `diffhep sbi`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Task: two_moons, gaussian_linear, slcp, galton or ee_mumu.
    #[arg(long, default_value = "two_moons")]
    task: String,
    /// Method: npe, nle, nre, mdn, scandal (MDN-NPE + joint score) or rascal (NRE + joint score).
    #[arg(long, default_value = "npe")]
    method: String,
    /// Simulation budget.
    #[arg(long, default_value_t = 10_000)]
    sims: usize,
    /// Seed of simulations, training and sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reference observations, e.g. `1` or `1-10`.
    #[arg(long, default_value = "1")]
    observations: String,
    /// Posterior (and reference) samples per observation for C2ST.
    #[arg(long, default_value_t = 10_000)]
    samples: usize,
    /// Test pairs for expected coverage and SBC (0 skips them).
    #[arg(long, default_value_t = 100)]
    calibration: usize,
    /// Weight of the joint-score term (default: 1 for scandal, 0.1 for rascal).
    #[arg(long)]
    score_weight: Option<f64>,
    /// Maximum training epochs.
    #[arg(long, default_value_t = 1000)]
    epochs: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_observations(s: &str) -> anyhow::Result<Vec<usize>> {
    let bad = || anyhow::anyhow!("--observations {s:?}: expected N or A-B");
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b): (usize, usize) =
                (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if a == 0 || b < a {
                return Err(bad());
            }
            Ok((a..=b).collect())
        }
        None => Ok(vec![s.parse().map_err(|_| bad())?]),
    }
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let task = sbi_tasks().create(&args.task)?;
    let method: Method = args.method.parse()?;
    let cfg = RunConfig {
        method,
        sims: args.sims,
        seed: args.seed,
        observations: parse_observations(&args.observations)?,
        posterior_samples: args.samples,
        calibration_pairs: args.calibration,
        score_weight: args.score_weight,
        max_epochs: args.epochs,
        ..RunConfig::default()
    };
    let r = run_sbi(task.as_ref(), &cfg)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{r}");
    }
    Ok(())
}
