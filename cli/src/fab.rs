//! `diffhep fab`: train a normalizing flow to sample a target by FAB (flow annealed importance
//! sampling bootstrap, `diffhep::fab`), or by a baseline, and report importance-sampling metrics.
//!
//! Writes into `--out` (default `fab_<target>`): `run.json` (target, energy, param card,
//! iterations and evaluation size of the run), `checkpoint.json` (rewritten every few seconds
//! and when the run stops; resumable with `--resume`), `flow.json` (the trained flow),
//! `metrics.json`, and for the matrix-element targets `events.lhe` with hit-or-miss unweighted
//! events (IDWTUP = 3, weight = σ̂). Every file is written atomically; Ctrl-C stops after the
//! current iteration with the checkpoint written, and `--resume` continues to the same total
//! `--iters`, giving the numbers of an uninterrupted run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use diffhep::fab::train::importance_sample;
use diffhep::fab::{Method, Target, Trainer};
use diffhep::files::{check_version, first_version, write_atomic, AtomicFile};
use diffhep::flows::Flow;
use diffhep::interrupt::StopFlag;
use diffhep_physics::collider::sm::ParamCard;
use diffhep_physics::events::lhe::write_lhe;
use diffhep_physics::events::unweight::unweighted_file;
use diffhep_physics::targets::fab::{FabProblem, ProcessTarget};
use diffhep_physics::targets::fab_report::FabRunReport;

use crate::interrupt::Interrupted;
use crate::progress;

/// Arguments of `diffhep fab`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Target: ee_mumu, ee_ttbar_wbwb, gmm40, manywell32, or any process string with two
    /// massless beams, e.g. "e+ e- > mu+ mu- a" (MadGraph's default cuts; taken from the run
    /// being resumed with `--resume`).
    #[arg(long, required_unless_present = "resume")]
    target: Option<String>,
    /// Total training iterations, counting those of a resumed checkpoint (default depends on
    /// the target; when resuming, the interrupted run's total).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    iters: Option<u64>,
    /// Random seed.
    #[arg(long, default_value_t = 1, conflicts_with = "resume")]
    seed: u64,
    /// Objective: fab_buffer (FAB with prioritised replay), fab, or reverse_kl.
    #[arg(long, default_value = "fab_buffer", conflicts_with = "resume")]
    method: String,
    /// Points per AIS batch / flow batch (default depends on the target).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=1_000_000), conflicts_with = "resume")]
    batch: Option<u64>,
    /// Adam learning rate (default 1e-3).
    #[arg(long, conflicts_with = "resume")]
    lr: Option<f64>,
    /// Centre-of-mass energy in GeV (matrix-element targets; default 91.188 for ee_mumu, 500
    /// otherwise).
    #[arg(long)]
    sqrt_s: Option<f64>,
    /// Param card (TOML or JSON) for the matrix-element targets.
    #[arg(long)]
    param_card: Option<PathBuf>,
    /// Flow draws used for the final metrics (and the LHE file).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    eval: Option<u64>,
    /// Output folder (default `fab_<target>`; when resuming, the checkpoint's folder). A folder
    /// that already holds files is refused unless it is the one being resumed, or with `--force`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite the files of an earlier run in `--out`.
    #[arg(long)]
    force: bool,
    /// Resume from this checkpoint (the settings of its run are used; training continues to
    /// `--iters` in total).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Default number of flow draws for the final metrics.
const DEFAULT_EVAL: u64 = 20_000;

/// Seconds between two checkpoints written during training.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// Format version of `run.json`.
const RUN_VERSION: u32 = 1;

/// The settings of a run that the trainer's checkpoint does not hold (`run.json` in the results
/// folder), so that `--resume` continues the same problem to the same total.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct RunSettings {
    /// Format version.
    #[serde(default = "first_version")]
    version: u32,
    /// Target name.
    target: String,
    /// Centre-of-mass energy in GeV.
    sqrt_s: f64,
    /// The model parameters.
    param_card: ParamCard,
    /// Total training iterations.
    iters: usize,
    /// Flow draws of the final metrics.
    eval: u64,
}

impl RunSettings {
    /// Read the `run.json` beside the checkpoint `ck`.
    fn beside(ck: &Path) -> anyhow::Result<Self> {
        let path = crate::output::parent_of(ck).join("run.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: the settings of the run being resumed (written beside its checkpoint)",
                path.display()
            )
        })?;
        let s: RunSettings =
            serde_json::from_str(&text).with_context(|| path.display().to_string())?;
        check_version("run.json", s.version, RUN_VERSION)?;
        Ok(s)
    }
}

/// The settings of this invocation: from the flags, or from the run being resumed, where a flag
/// that disagrees with the resumed run is an error.
fn settings(args: &Args) -> anyhow::Result<(FabProblem, RunSettings)> {
    let card = match &args.param_card {
        Some(p) => Some(ParamCard::from_path(p)?),
        None => None,
    };
    let Some(ck) = &args.resume else {
        let target = args.target.clone().expect("clap requires --target");
        let problem: FabProblem = target.parse()?;
        let s = RunSettings {
            version: RUN_VERSION,
            target: problem.name().to_string(),
            sqrt_s: args.sqrt_s.unwrap_or(problem.default_sqrt_s()),
            param_card: card.unwrap_or_default(),
            iters: args.iters.map_or(problem.default_iters(), |n| n as usize),
            eval: args.eval.unwrap_or(DEFAULT_EVAL),
        };
        return Ok((problem, s));
    };
    let mut s = RunSettings::beside(ck)?;
    let problem: FabProblem = s.target.parse()?;
    if let Some(t) = &args.target {
        let asked: FabProblem = t.parse()?;
        if asked != problem {
            bail!(
                "--target {t}: the checkpoint {} was trained on target {}",
                ck.display(),
                s.target
            );
        }
    }
    if let Some(e) = args.sqrt_s {
        if e != s.sqrt_s {
            bail!(
                "--sqrt-s {e}: the checkpoint {} was trained at √s = {} GeV",
                ck.display(),
                s.sqrt_s
            );
        }
    }
    if let (Some(c), Some(p)) = (card, &args.param_card) {
        if c != s.param_card {
            bail!(
                "--param-card {}: the checkpoint {} was trained with other parameters",
                p.display(),
                ck.display()
            );
        }
    }
    if let Some(n) = args.iters {
        s.iters = n as usize;
    }
    if let Some(n) = args.eval {
        s.eval = n;
    }
    Ok((problem, s))
}

/// The results folder of this invocation, checked before training: writable, and holding no
/// earlier results unless it is the folder of the checkpoint being resumed (or `--force`).
fn results_folder(args: &Args, problem: &FabProblem) -> anyhow::Result<PathBuf> {
    let resumed_folder = args.resume.as_deref().map(crate::output::parent_of);
    let out = match (&args.out, &resumed_folder) {
        (Some(o), _) => o.clone(),
        (None, Some(f)) => f.clone(),
        (None, None) => PathBuf::from(format!("fab_{}", problem.file_stem())),
    };
    crate::output::resumable_folder(&out, args.resume.as_deref(), args.force)?;
    Ok(out)
}

/// A new trainer from the flags.
fn new_trainer(args: &Args, problem: &FabProblem) -> anyhow::Result<Trainer> {
    let method: Method = args.method.parse()?;
    let flow = Flow::new(problem.flow_spec(), args.seed)?;
    let mut cfg = problem.train_config(method, args.seed);
    if let Some(b) = args.batch {
        cfg.batch = b as usize;
    }
    if let Some(lr) = args.lr {
        cfg.lr = lr;
    }
    Ok(Trainer::new(flow, cfg)?)
}

/// Train until `total` iterations, writing the checkpoint every [`CHECKPOINT_EVERY`]; on a stop
/// request, write it and return `Interrupted`. Returns the last iteration's loss.
fn train(
    trainer: &mut Trainer,
    target: &dyn Target,
    total: usize,
    ckpt: &Path,
    stop: &StopFlag,
    show: bool,
) -> anyhow::Result<Option<f64>> {
    let first = trainer.iteration();
    let pb = progress::bar((total - first) as u64, show, "training");
    // A checkpoint from the start, so even a run killed in its first seconds can be resumed.
    trainer.save(ckpt)?;
    let mut last_save = Instant::now();
    let mut loss = None;
    while trainer.iteration() < total {
        if stop.is_requested() {
            trainer.save(ckpt)?;
            if let Some(pb) = pb {
                pb.abandon();
            }
            return Err(Interrupted {
                at: format!("after iteration {} of {total}", trainer.iteration()),
                checkpoint: ckpt.display().to_string(),
                resume: format!("diffhep fab --resume {}", ckpt.display()),
            }
            .into());
        }
        let log = trainer.step(target)?;
        if let Some(pb) = &pb {
            pb.set_position((log.iteration + 1 - first) as u64);
            pb.set_message(format!("training ESS {:.3}", log.sampling_efficiency));
        }
        loss = Some(log.loss);
        if last_save.elapsed() >= CHECKPOINT_EVERY {
            trainer.save(ckpt)?;
            last_save = Instant::now();
        }
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    trainer.save(ckpt)?;
    Ok(loss)
}

/// Run the subcommand.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let (problem, s) = settings(args)?;
    s.param_card.validate()?;
    let target = problem.target(&s.param_card, s.sqrt_s)?;
    let mut trainer = match &args.resume {
        Some(path) => Trainer::load(path)?,
        None => new_trainer(args, &problem)?,
    };
    if s.iters < trainer.iteration() {
        bail!(
            "--iters {}: the checkpoint is already at iteration {} (--iters is the total)",
            s.iters,
            trainer.iteration()
        );
    }
    let out_dir = results_folder(args, &problem)?;
    let stop = crate::interrupt::install()?;
    write_atomic(&out_dir.join("run.json"), serde_json::to_string_pretty(&s)?)?;
    let ckpt_path = out_dir.join("checkpoint.json");
    let start = Instant::now();
    let final_loss = train(
        &mut trainer,
        target.as_ref(),
        s.iters,
        &ckpt_path,
        &stop,
        !args.json,
    )?;
    let train_s = start.elapsed().as_secs_f64();
    let flow = trainer.flow();
    let flow_path = out_dir.join("flow.json");
    flow.save(&flow_path)?;
    let eval_seed = diffhep::stochastic::rng::child_key(trainer.config().seed, u64::MAX);
    let (x, log_w, m) = importance_sample(flow, target.as_ref(), s.eval as usize, eval_seed)?;
    let mut report = FabRunReport {
        checkpoint: ckpt_path.display().to_string(),
        eval_points: m.n,
        exact_log_z: target.log_z(),
        final_loss,
        flow: flow_path.display().to_string(),
        iterations: trainer.iteration(),
        lhe: None,
        log_z: m.log_z,
        log_z_err: m.log_z_err,
        method: trainer.config().method.name().to_string(),
        sampling_efficiency: m.sampling_efficiency,
        seed: trainer.config().seed,
        sigma_err_pb: None,
        sigma_pb: None,
        skipped_steps: trainer.skipped_steps(),
        sqrt_s_gev: None,
        target: problem.name().to_string(),
        train_wall_s: train_s,
        training_target_evals: trainer.target_evals(),
        unweighted_events: None,
        unweighting_efficiency: m.unweighting_efficiency,
    };
    if let Some(process) = problem.process() {
        let pt = ProcessTarget::new(process, &s.param_card, s.sqrt_s)?;
        let (sigma, sigma_err) = ProcessTarget::sigma(&m);
        let weights: Vec<f64> = log_w.iter().map(|l| l.exp()).collect();
        let d = pt.dim();
        let file = unweighted_file(&weights, eval_seed, s.sqrt_s, (sigma, sigma_err), |i| {
            pt.lhe_event(&x[i * d..(i + 1) * d], sigma)
        })?;
        let lhe_path = out_dir.join("events.lhe");
        let mut out_file = AtomicFile::create(&lhe_path)?;
        let n_events = file.events.len();
        write_lhe(&mut out_file, &file)?;
        out_file.commit()?;
        report.sqrt_s_gev = Some(s.sqrt_s);
        report.sigma_pb = Some(sigma);
        report.sigma_err_pb = Some(sigma_err);
        report.lhe = Some(lhe_path.display().to_string());
        report.unweighted_events = Some(n_events);
    }
    write_atomic(
        &out_dir.join("metrics.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
        println!("wrote                  {}", out_dir.display());
    }
    Ok(())
}
