//! FAB comparison table at equal numbers of target evaluations (issue 7).
//!
//! For a FAB problem (default: the 8-D e+e- → t t̄ → b W⁺ b̄ W⁻ integrand at √s = 500 GeV) every
//! method may spend the same budget of target evaluations on training:
//! - FAB with the prioritised replay buffer, FAB without it, reverse KL (all with the problem's
//!   default flow, `FabProblem::flow_spec`, and settings, `FabProblem::train_config`);
//! - forward KL (maximum likelihood) on exact samples, for targets that have them (GMM40,
//!   Many-Well), as many samples as the others' evaluations (at most 10⁵);
//! - VEGAS (matrix elements only): grid adaptation with the same number of integrand calls;
//! - the untrained flow (the flat distribution on the cube) as a reference.
//!
//! Each trained sampler then draws the same number of evaluation points; the table gives the
//! sampling efficiency (Σw)²/(NΣw²), the unweighting efficiency mean(w)/max(w), log Z (σ in pb
//! for matrix elements) with its error, the training target evaluations and the training wall
//! time on this machine.
//!
//! Run: `cargo run --release --example fab_table -- [problem] [budget] [eval points] [seed]`,
//! e.g. `cargo run --release --example fab_table -- ee_ttbar_wbwb 200000 50000 1`.

use std::time::Instant;

use diffhep::fab::train::{importance_sample, train_forward_kl};
use diffhep::fab::{BufferConfig, Method, Trainer, WeightMetrics};
use diffhep::flows::{FitConfig, Flow};
use diffhep_physics::collider::sm::ParamCard;
use diffhep_physics::targets::fab::{FabProblem, ProcessTarget};
use diffhep_physics::targets::fab_report::FabComparisonRow;

fn row(name: &str, evals: u64, wall: f64, m: &WeightMetrics, me: bool) {
    let row = FabComparisonRow {
        method: name.to_string(),
        target_evals: evals,
        wall_s: wall,
        metrics: m.clone(),
        matrix_element: me,
    };
    println!("{row}");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let problem: FabProblem = args
        .first()
        .map_or("ee_ttbar_wbwb", |s| s.as_str())
        .parse()?;
    let budget: u64 = args.get(1).map_or(Ok(200_000), |s| s.parse())?;
    let n_eval: usize = args.get(2).map_or(Ok(50_000), |s| s.parse())?;
    let seed: u64 = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let card = ParamCard::default();
    let sqrt_s = problem.default_sqrt_s();
    let target = problem.target(&card, sqrt_s)?;
    let me = problem.process().is_some();
    println!(
        "{}: training budget {budget} target evaluations, {n_eval} evaluation points, seed {seed}\n",
        problem.name()
    );
    println!("{}", FabComparisonRow::HEADER);
    let flow0 = Flow::new(problem.flow_spec(), seed)?;
    let (_, _, m0) = importance_sample(&flow0, target.as_ref(), n_eval, seed + 1000)?;
    row("untrained flow", 0, 0.0, &m0, me);
    for method in [
        Method::FabBuffer(BufferConfig::default()),
        Method::Fab,
        Method::ReverseKl,
    ] {
        let name = method.name();
        let mut tr = Trainer::new(flow0.clone(), problem.train_config(method, seed))?;
        let start = Instant::now();
        while tr.target_evals() < budget {
            tr.step(target.as_ref())?;
        }
        let wall = start.elapsed().as_secs_f64();
        let (_, _, m) = importance_sample(tr.flow(), target.as_ref(), n_eval, seed + 1000)?;
        row(name, tr.target_evals(), wall, &m, me);
    }
    if target.exact_samples(2, seed).is_some() {
        // Forward KL on as many exact samples as the others had target evaluations (capped at
        // 10⁵ to keep the fit quick); the "evals" column counts samples here.
        let n = (budget as usize).min(100_000);
        let mut flow = flow0.clone();
        let start = Instant::now();
        let cfg = FitConfig {
            epochs: 20,
            seed,
            ..FitConfig::default()
        };
        train_forward_kl(&mut flow, target.as_ref(), n, &cfg)?;
        let wall = start.elapsed().as_secs_f64();
        let (_, _, m) = importance_sample(&flow, target.as_ref(), n_eval, seed + 1000)?;
        row("forward_kl (samples)", n as u64, wall, &m, me);
    }
    if let Some(process) = problem.process() {
        let pt = ProcessTarget::new(process, &card, sqrt_s)?;
        // Grid adaptation with the same budget: 10 iterations of budget/10 calls.
        let iterations = 10;
        let calls = (budget as usize / iterations).max(2);
        let start = Instant::now();
        let (_, lw, evals) = pt.vegas_sample(iterations, calls, n_eval, seed)?;
        let wall = start.elapsed().as_secs_f64();
        let m = WeightMetrics::from_log_weights(&lw)?;
        row("VEGAS", evals - n_eval as u64, wall, &m, me);
    }
    Ok(())
}
