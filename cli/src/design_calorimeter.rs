//! `diffhep design calorimeter`: optimise absorber thicknesses with stochastic gradients.
//!
//! Runs the Adam loop of [`diffhep_physics::design::calorimeter::Optimization`] once per
//! requested estimator, each with the same budget of program runs per step, and writes
//! `history.json` and two SVG plots (objective vs step, objective vs program runs) to `--out`.
//! `checkpoint.json` in `--out` is rewritten after every step; Ctrl-C stops at the next step
//! boundary and `--resume OUT/checkpoint.json` continues to the results of an uninterrupted run.

use anyhow::{bail, Context as _};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use diffhep::files::{check_version, write_atomic as write_file};
use diffhep::stochastic::EstimatorKind;
use diffhep_physics::design::calorimeter::{DesignSettings, Objective, Optimization, StepRecord};
use diffhep_physics::detector::shower::{Shower, ShowerConfig};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::json;

use diffhep_physics::design::output::write_atomic;
use diffhep_physics::design::plot::{line_plot, Series};

use crate::interrupt::Interrupted;

/// Arguments of `diffhep design calorimeter`. With `--resume`, the settings are those of the
/// checkpoint and may not be given.
#[derive(ClapArgs, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Args {
    /// Number of Adam steps.
    #[arg(long, default_value_t = 40, conflicts_with = "resume")]
    steps: usize,
    /// Estimators to compare, comma-separated: triple, score, straight-through, gumbel, fd.
    #[arg(long, default_value = "triple,score", conflicts_with = "resume")]
    estimator: String,
    /// Number of layers.
    #[arg(long, default_value_t = 8, conflicts_with = "resume")]
    layers: usize,
    /// Beam energy in GeV.
    #[arg(long, default_value_t = 20.0, conflicts_with = "resume")]
    energy: f64,
    /// Initial thickness of every absorber (X0).
    #[arg(long, default_value_t = 1.0, conflicts_with = "resume")]
    initial: f64,
    /// Program runs per step for every estimator (samples = runs / runs per sample).
    #[arg(long, default_value_t = 2000, conflicts_with = "resume")]
    runs_per_step: usize,
    /// Plain runs evaluating the objective after each step.
    #[arg(long, default_value_t = 4000, conflicts_with = "resume")]
    eval_samples: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.1, conflicts_with = "resume")]
    learning_rate: f64,
    /// Material cost per radiation length added to the relative RMS energy error.
    #[arg(long, default_value_t = 0.01, conflicts_with = "resume")]
    cost: f64,
    /// Seed.
    #[arg(long, default_value_t = 2024, conflicts_with = "resume")]
    seed: u64,
    /// Output directory for history.json, the plots and checkpoint.json. A folder that already
    /// holds files is refused unless it is the one being resumed, or with `--force`.
    #[arg(long, default_value = "design-calorimeter")]
    #[serde(skip)]
    out: PathBuf,
    /// Overwrite the files of an earlier run in `--out`.
    #[arg(long)]
    #[serde(skip)]
    force: bool,
    /// Continue from a checkpoint written by an earlier run (its settings are used).
    #[arg(long)]
    #[serde(skip)]
    resume: Option<PathBuf>,
    /// Print the history as JSON on stdout (no progress bar).
    #[arg(long)]
    #[serde(skip)]
    json: bool,
}

/// Format version of the calorimeter study's `checkpoint.json`.
const CHECKPOINT_VERSION: u32 = 1;

/// The state of a calorimeter study: its settings and one optimisation per estimator started so
/// far (all but the last finished).
#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint {
    /// Format version.
    version: u32,
    /// The settings (the flags that change the numbers).
    settings: Args,
    /// The optimisations, in the order of `settings.estimator`.
    runs: Vec<Optimization>,
}

impl Checkpoint {
    fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        let ck: Checkpoint = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a calorimeter-study checkpoint", path.display()))?;
        check_version("the calorimeter checkpoint", ck.version, CHECKPOINT_VERSION)?;
        Ok(ck)
    }
}

fn record_json(r: &StepRecord) -> serde_json::Value {
    json!({
        "step": r.step,
        "objective": r.objective,
        "resolution": r.resolution,
        "cost": r.cost,
        "theta": r.theta,
        "gradient": r.gradient,
        "runs": r.runs,
    })
}

/// Run the command.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let (settings_args, mut runs) = match &args.resume {
        Some(path) => {
            let ck = Checkpoint::load(path)?;
            (ck.settings, ck.runs)
        }
        None => (args.clone(), Vec::new()),
    };
    let a = &settings_args;
    let kinds: Vec<EstimatorKind> = a
        .estimator
        .split(',')
        .map(|s| s.trim().parse::<EstimatorKind>())
        .collect::<Result<_, _>>()?;
    if !(a.cost >= 0.0 && a.cost.is_finite()) {
        bail!("--cost: bad value {}", a.cost);
    }
    if !(a.learning_rate > 0.0 && a.learning_rate.is_finite()) {
        bail!("--learning-rate: bad value {}", a.learning_rate);
    }
    if a.steps == 0 {
        bail!("--steps: at least 1 step needed");
    }
    let shower = Shower::new(ShowerConfig::new(a.layers, a.energy))?;
    let initial = vec![a.initial; a.layers];
    shower.check_design(&initial)?;
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    let started: Vec<&str> = runs.iter().map(|r| r.estimator.as_str()).collect();
    if started.len() > names.len() || started[..] != names[..started.len()] {
        bail!("the checkpoint's optimisations {started:?} do not match its estimators {names:?}");
    }
    crate::output::resumable_folder(&args.out, args.resume.as_deref(), args.force)?;
    let ck_path = args.out.join("checkpoint.json");
    let settings = DesignSettings {
        steps: a.steps,
        runs_per_step: a.runs_per_step,
        eval_samples: a.eval_samples,
        learning_rate: a.learning_rate,
        objective: Objective {
            cost_per_x0: a.cost,
        },
        seed: a.seed,
        ..DesignSettings::default()
    };
    let stop = crate::interrupt::install()?;
    let bar = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new((kinds.len() * (a.steps + 1)) as u64);
        b.set_style(
            ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")?
                .progress_chars("=> "),
        );
        b
    };
    let save = |runs: &[Optimization]| -> anyhow::Result<()> {
        let ck = Checkpoint {
            version: CHECKPOINT_VERSION,
            settings: settings_args.clone(),
            runs: runs.to_vec(),
        };
        write_file(&ck_path, serde_json::to_string(&ck)?)?;
        Ok(())
    };
    let mut histories = Vec::new();
    for (i, &kind) in kinds.iter().enumerate() {
        bar.set_prefix(kind.name());
        if i == runs.len() {
            runs.push(Optimization::start(&shower, kind, &initial, &settings)?);
        }
        let (done, current) = runs.split_at_mut(i);
        let current = &mut current[0];
        bar.inc(current.history().len() as u64);
        let finished = current.run_until_stopped(
            &shower,
            &settings,
            |r| {
                bar.set_message(format!("J = {:.4}", r.objective));
                bar.inc(1);
            },
            &stop,
            |state| {
                let mut all = done.to_vec();
                all.push(state.clone());
                save(&all)
            },
        )?;
        let Some(hist) = finished else {
            bar.abandon();
            save(&runs)?;
            let resume = format!(
                "diffhep design calorimeter --resume {} --out {}",
                ck_path.display(),
                args.out.display()
            );
            return Err(Interrupted {
                at: format!(
                    "after step {} of {} of estimator {}",
                    runs[i].history().len().saturating_sub(1),
                    a.steps,
                    kind.name()
                ),
                checkpoint: ck_path.display().to_string(),
                resume,
            }
            .into());
        };
        histories.push((kind, hist));
    }
    bar.finish_and_clear();
    save(&runs)?;
    let (out, json) = (&args.out, args.json);
    let args = a;

    let doc = json!({
        "layers": args.layers,
        "energy": args.energy,
        "initial": initial,
        "runs_per_step": args.runs_per_step,
        "eval_samples": args.eval_samples,
        "learning_rate": args.learning_rate,
        "cost_per_x0": args.cost,
        "seed": args.seed,
        "estimators": histories.iter().map(|(k, h)| json!({
            "estimator": k.name(),
            "history": h.iter().map(record_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let write = |name: &str, text: String| write_atomic(out, name, &text);
    write("history.json", serde_json::to_string_pretty(&doc)?)?;
    let series = |x: fn(&StepRecord) -> f64| -> Vec<Series> {
        histories
            .iter()
            .map(|(k, h)| Series {
                label: k.name().to_string(),
                points: h.iter().map(|r| (x(r), r.objective)).collect(),
            })
            .collect()
    };
    let title = format!(
        "calorimeter design: rms(E_reco/E - 1) + {} x sum(t), {} GeV",
        args.cost, args.energy
    );
    write(
        "objective_vs_step.svg",
        line_plot(&title, "Adam step", "objective", &series(|r| r.step as f64)),
    )?;
    write(
        "objective_vs_runs.svg",
        line_plot(
            &title,
            "program runs for gradients",
            "objective",
            &series(|r| r.runs as f64),
        ),
    )?;

    if json {
        println!("{doc}");
        return Ok(());
    }
    let start = histories[0].1[0].objective;
    let best = histories
        .iter()
        .flat_map(|(_, h)| h.iter().map(|r| r.objective))
        .fold(f64::INFINITY, f64::min);
    let target = start - 0.8 * (start - best);
    println!("objective: initial {start:.4}, best over all estimators {best:.4}; target (80 % of the way) {target:.4}");
    println!(
        "{:>16} {:>10} {:>10} {:>12} {:>14}  final thicknesses (X0)",
        "estimator", "final J", "best J", "J last 1/4", "runs to target"
    );
    for (k, h) in &histories {
        let last = h.last().expect("at least the initial record");
        let best_k = h.iter().map(|r| r.objective).fold(f64::INFINITY, f64::min);
        let reach = h
            .iter()
            .find(|r| r.objective <= target)
            .map_or("not reached".to_string(), |r| r.runs.to_string());
        let th: Vec<String> = last.theta.iter().map(|t| format!("{t:.2}")).collect();
        // Mean objective over the last quarter of the steps: how close the noisy iterates stay
        // to the optimum.
        let tail = &h[h.len() - (h.len() / 4).max(1)..];
        let tail_mean = tail.iter().map(|r| r.objective).sum::<f64>() / tail.len() as f64;
        println!(
            "{:>16} {:>10.4} {:>10.4} {:>12.4} {:>14}  [{}]",
            k.name(),
            last.objective,
            best_k,
            tail_mean,
            reach,
            th.join(", ")
        );
    }
    println!(
        "wrote {}/history.json, objective_vs_step.svg, objective_vs_runs.svg, checkpoint.json",
        out.display()
    );
    Ok(())
}
