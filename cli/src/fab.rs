//! `diffhep fab`: train a normalizing flow to sample a target by FAB (flow annealed importance
//! sampling bootstrap, `diffhep::fab`), or by a baseline, and report importance-sampling metrics.
//!
//! Writes into `--out` (default `fab_<target>`): `flow.json` (the trained flow),
//! `checkpoint.json` (resumable with `--resume`), `metrics.json`, and for the matrix-element
//! targets `events.lhe` with hit-or-miss unweighted events (IDWTUP = 3, weight = σ̂).

use anyhow::Context as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use diffhep::fab::train::importance_sample;
use diffhep::fab::{Method, Target, Trainer};
use diffhep::flows::Flow;
use diffhep_physics::collider::sm::ParamCard;
use diffhep_physics::events::lhe::write_lhe;
use diffhep_physics::events::unweight::unweighted_file;
use diffhep_physics::targets::fab::{FabProblem, ProcessTarget};
use diffhep_physics::targets::fab_report::FabRunReport;

use crate::progress;

/// Arguments of `diffhep fab`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Target: ee_mumu, ee_ttbar_wbwb, gmm40 or manywell32.
    #[arg(long)]
    target: String,
    /// Training iterations (default depends on the target).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    iters: Option<u64>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Objective: fab_buffer (FAB with prioritised replay), fab, or reverse_kl.
    #[arg(long, default_value = "fab_buffer")]
    method: String,
    /// Points per AIS batch / flow batch (default depends on the target).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    batch: Option<u64>,
    /// Adam learning rate (default 1e-3).
    #[arg(long)]
    lr: Option<f64>,
    /// Centre-of-mass energy in GeV (matrix-element targets; default 91.188 or 500).
    #[arg(long)]
    sqrt_s: Option<f64>,
    /// Param card (TOML or JSON) for the matrix-element targets.
    #[arg(long)]
    param_card: Option<PathBuf>,
    /// Flow draws used for the final metrics (and the LHE file).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    eval: u64,
    /// Output directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Resume from this checkpoint (its settings are used; `--iters` more iterations are run).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Run the subcommand.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let problem: FabProblem = args.target.parse()?;
    let method: Method = args.method.parse()?;
    let card = match &args.param_card {
        Some(p) => ParamCard::from_path(p)?,
        None => ParamCard::default(),
    };
    let sqrt_s = args.sqrt_s.unwrap_or(problem.default_sqrt_s());
    let target = problem.target(&card, sqrt_s)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("fab_{}", problem.name())));
    std::fs::create_dir_all(&out_dir).with_context(|| out_dir.display().to_string())?;
    let mut trainer = match &args.resume {
        Some(path) => Trainer::load(path)?,
        None => {
            let flow = Flow::new(problem.flow_spec(), args.seed)?;
            let mut cfg = problem.train_config(method, args.seed);
            if let Some(b) = args.batch {
                cfg.batch = b as usize;
            }
            if let Some(lr) = args.lr {
                cfg.lr = lr;
            }
            Trainer::new(flow, cfg)?
        }
    };
    let iters = args
        .iters
        .map(|n| n as usize)
        .unwrap_or(problem.default_iters());
    let pb = progress::bar(iters as u64, !args.json, "training");
    let start = Instant::now();
    let mut last = None;
    let first = trainer.iteration();
    for _ in 0..iters {
        let log = trainer.step(target.as_ref())?;
        if let Some(pb) = &pb {
            pb.set_position((log.iteration + 1 - first) as u64);
            pb.set_message(format!("training ESS {:.3}", log.sampling_efficiency));
        }
        last = Some(log);
    }
    let train_s = start.elapsed().as_secs_f64();
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let flow = trainer.flow();
    let flow_path = out_dir.join("flow.json");
    flow.save(&flow_path)?;
    let ckpt_path = out_dir.join("checkpoint.json");
    trainer.save(&ckpt_path)?;
    let eval_seed = diffhep::stochastic::rng::child_key(trainer.config().seed, u64::MAX);
    let (x, log_w, m) = importance_sample(flow, target.as_ref(), args.eval as usize, eval_seed)?;
    let mut report = FabRunReport {
        checkpoint: ckpt_path.display().to_string(),
        eval_points: m.n,
        exact_log_z: target.log_z(),
        final_loss: last.as_ref().map(|l| l.loss),
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
        let pt = ProcessTarget::new(process, &card, sqrt_s)?;
        let (sigma, sigma_err) = ProcessTarget::sigma(&m);
        let weights: Vec<f64> = log_w.iter().map(|l| l.exp()).collect();
        let d = pt.dim();
        let file = unweighted_file(&weights, eval_seed, sqrt_s, (sigma, sigma_err), |i| {
            pt.lhe_event(&x[i * d..(i + 1) * d], sigma)
        })?;
        let lhe_path = out_dir.join("events.lhe");
        let out_file = File::create(&lhe_path).with_context(|| lhe_path.display().to_string())?;
        let n_events = file.events.len();
        write_lhe(BufWriter::new(out_file), &file)?;
        report.sqrt_s_gev = Some(sqrt_s);
        report.sigma_pb = Some(sigma);
        report.sigma_err_pb = Some(sigma_err);
        report.lhe = Some(lhe_path.display().to_string());
        report.unweighted_events = Some(n_events);
    }
    let metrics_path = out_dir.join("metrics.json");
    let pretty = serde_json::to_string_pretty(&report)?;
    std::fs::write(&metrics_path, pretty).with_context(|| metrics_path.display().to_string())?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
        println!("wrote                  {}", out_dir.display());
    }
    Ok(())
}
