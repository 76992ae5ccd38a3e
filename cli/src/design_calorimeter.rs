//! `diffhep design calorimeter`: optimise absorber thicknesses with stochastic gradients.
//!
//! Runs the Adam loop of [`diffhep_physics::design::calorimeter::optimize`] once per requested
//! estimator, each with the same budget of program runs per step, and writes `history.json`
//! and two SVG plots (objective vs step, objective vs program runs) to `--out`.

use anyhow::Context as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use diffhep::stochastic::EstimatorKind;
use diffhep_physics::design::calorimeter::{optimize, DesignSettings, Objective, StepRecord};
use diffhep_physics::detector::shower::{Shower, ShowerConfig};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use diffhep_physics::design::output::write_atomic;
use diffhep_physics::design::plot::{line_plot, Series};

/// Arguments of `diffhep design calorimeter`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Number of Adam steps.
    #[arg(long, default_value_t = 40)]
    steps: usize,
    /// Estimators to compare, comma-separated: triple, score, straight-through, gumbel, fd.
    #[arg(long, default_value = "triple,score")]
    estimator: String,
    /// Number of layers.
    #[arg(long, default_value_t = 8)]
    layers: usize,
    /// Beam energy in GeV.
    #[arg(long, default_value_t = 20.0)]
    energy: f64,
    /// Initial thickness of every absorber (X0).
    #[arg(long, default_value_t = 1.0)]
    initial: f64,
    /// Program runs per step for every estimator (samples = runs / runs per sample).
    #[arg(long, default_value_t = 2000)]
    runs_per_step: usize,
    /// Plain runs evaluating the objective after each step.
    #[arg(long, default_value_t = 4000)]
    eval_samples: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.1)]
    learning_rate: f64,
    /// Material cost per radiation length added to the relative RMS energy error.
    #[arg(long, default_value_t = 0.01)]
    cost: f64,
    /// Seed.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Output directory for history.json and the plots.
    #[arg(long, default_value = "design-calorimeter")]
    out: PathBuf,
    /// Print the history as JSON on stdout (no progress bar).
    #[arg(long)]
    json: bool,
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
    let kinds: Vec<EstimatorKind> = args
        .estimator
        .split(',')
        .map(|s| s.trim().parse::<EstimatorKind>())
        .collect::<Result<_, _>>()?;
    if !(args.cost >= 0.0 && args.cost.is_finite()) {
        anyhow::bail!("--cost: bad value {}", args.cost);
    }
    if !(args.learning_rate > 0.0 && args.learning_rate.is_finite()) {
        anyhow::bail!("--learning-rate: bad value {}", args.learning_rate);
    }
    let shower = Shower::new(ShowerConfig::new(args.layers, args.energy))?;
    let initial = vec![args.initial; args.layers];
    shower.check_design(&initial)?;
    let settings = DesignSettings {
        steps: args.steps,
        runs_per_step: args.runs_per_step,
        eval_samples: args.eval_samples,
        learning_rate: args.learning_rate,
        objective: Objective {
            cost_per_x0: args.cost,
        },
        seed: args.seed,
        ..DesignSettings::default()
    };
    let bar = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new((kinds.len() * (args.steps + 1)) as u64);
        b.set_style(
            ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")?
                .progress_chars("=> "),
        );
        b
    };
    let mut histories = Vec::new();
    for &kind in &kinds {
        bar.set_prefix(kind.name());
        let hist = optimize(&shower, kind, &initial, &settings, |r| {
            bar.set_message(format!("J = {:.4}", r.objective));
            bar.inc(1);
        })?;
        histories.push((kind, hist));
    }
    bar.finish_and_clear();

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
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let write = |name: &str, text: String| write_atomic(&args.out, name, &text);
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

    if args.json {
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
        "wrote {}/history.json, objective_vs_step.svg, objective_vs_runs.svg",
        args.out.display()
    );
    Ok(())
}
