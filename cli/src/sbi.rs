//! `diffhep sbi`: simulation-based inference on a benchmark task — simulate, train an estimator,
//! sample the posterior of the task's reference observation(s), and print C2ST against the
//! reference posterior, calibration (expected coverage, SBC) and timings.
//!
//! With `--checkpoint FILE` the run's state is written (atomically) after each phase —
//! training, each observation, calibration — and `--resume FILE` continues it. Ctrl-C stops at
//! the next phase boundary and writes the checkpoint (to `--checkpoint`, or to a new
//! `sbi-checkpoint.json` in the current folder); the resumed run prints the report of an
//! uninterrupted one (timings aside).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args as ClapArgs;
use diffhep::files::write_atomic;
use diffhep::sbi::run::{run_resumable, validate, Method, RunConfig};
use diffhep::sbi::RunCheckpoint;
use diffhep_physics::targets::sbi_tasks;

use crate::interrupt::Interrupted;

/// Arguments of `diffhep sbi`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Task: two_moons, gaussian_linear, slcp, galton or ee_mumu.
    #[arg(long, default_value = "two_moons", conflicts_with = "resume")]
    task: String,
    /// Method: npe, nle, nre, mdn, scandal (MDN-NPE + joint score) or rascal (NRE + joint score).
    #[arg(long, default_value = "npe", conflicts_with = "resume")]
    method: String,
    /// Simulation budget.
    #[arg(long, default_value_t = 10_000, conflicts_with = "resume")]
    sims: usize,
    /// Seed of simulations, training and sampling.
    #[arg(long, default_value_t = 0, conflicts_with = "resume")]
    seed: u64,
    /// Reference observations, e.g. `1` or `1-10`.
    #[arg(long, default_value = "1", conflicts_with = "resume")]
    observations: String,
    /// Posterior (and reference) samples per observation for C2ST.
    #[arg(long, default_value_t = 10_000, conflicts_with = "resume")]
    samples: usize,
    /// Test pairs for expected coverage and SBC (0 skips them).
    #[arg(long, default_value_t = 100, conflicts_with = "resume")]
    calibration: usize,
    /// Weight of the joint-score term (default: 1 for scandal, 0.1 for rascal).
    #[arg(long, conflicts_with = "resume")]
    score_weight: Option<f64>,
    /// Maximum training epochs.
    #[arg(long, default_value_t = 1000, conflicts_with = "resume")]
    epochs: usize,
    /// Write the run's state after each phase to this file (an existing file is refused
    /// without `--force`).
    #[arg(long, conflicts_with = "resume")]
    checkpoint: Option<PathBuf>,
    /// Continue the run saved in this checkpoint (its settings are used; it is updated).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Overwrite an existing `--checkpoint` file.
    #[arg(long)]
    force: bool,
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

/// A checkpoint file name that does not exist yet in the current folder, for a run interrupted
/// without `--checkpoint`: `sbi-checkpoint.json`, else `sbi-checkpoint-2.json`, ….
fn fresh_checkpoint_name() -> PathBuf {
    (1..)
        .map(|n| match n {
            1 => PathBuf::from("sbi-checkpoint.json"),
            n => PathBuf::from(format!("sbi-checkpoint-{n}.json")),
        })
        .find(|p| !p.exists())
        .expect("some name is free")
}

fn load(path: &Path) -> anyhow::Result<RunCheckpoint> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    RunCheckpoint::from_json(&text).with_context(|| path.display().to_string())
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let (task_name, cfg, mut ck, ck_path) = match &args.resume {
        Some(path) => {
            let ck = load(path)?;
            let cfg = ck.settings.to_config()?;
            (ck.settings.task.clone(), cfg, ck, Some(path.clone()))
        }
        None => {
            let cfg = RunConfig {
                method: args.method.parse::<Method>()?,
                sims: args.sims,
                seed: args.seed,
                observations: parse_observations(&args.observations)?,
                posterior_samples: args.samples,
                calibration_pairs: args.calibration,
                score_weight: args.score_weight,
                max_epochs: args.epochs,
                ..RunConfig::default()
            };
            let ck = RunCheckpoint::new(&args.task, &cfg);
            (args.task.clone(), cfg, ck, args.checkpoint.clone())
        }
    };
    let task = sbi_tasks().create(&task_name)?;
    validate(task.as_ref(), &cfg)?;
    if let (Some(p), None) = (&ck_path, &args.resume) {
        crate::output::new_file("--checkpoint", p, args.force)?;
    }
    let stop = crate::interrupt::install()?;
    let mut save = |ck: &RunCheckpoint| -> diffhep::sbi::Result<()> {
        if let Some(p) = &ck_path {
            write_atomic(p, ck.to_json())?;
        }
        Ok(())
    };
    let report = run_resumable(task.as_ref(), &cfg, &mut ck, &stop, &mut save)?;
    let Some(r) = report else {
        let path = ck_path.unwrap_or_else(fresh_checkpoint_name);
        write_atomic(&path, ck.to_json())?;
        return Err(Interrupted {
            at: ck.progress(),
            checkpoint: path.display().to_string(),
            resume: format!("diffhep sbi --resume {}", path.display()),
        }
        .into());
    };
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{r}");
    }
    Ok(())
}
