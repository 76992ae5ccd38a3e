//! FAB benchmark (issue 7). Prints, measured in this run, for the 8-D e+e- → t t̄ → bW⁺b̄W⁻
//! target, the 32-D Many-Well and GMM40 with their default flows (`FabProblem::flow_spec`):
//! (a) the time of one AIS run per sample and per HMC leapfrog step (the unit of AIS work:
//!     one flow log q + ∇ₓ log q and one target value + gradient per sample);
//! (b) the time of the target's value + gradient alone for the same points, and its share of (a);
//! (c) the flow's log q + ∇ₓ log q alone (the other big part of a leapfrog step).
//!
//! Run: `cargo bench --bench fab`.

#[path = "../../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use diffhep::fab::{log_prob_batch, run_ais, AisState, Method, Proposal};
use diffhep::flows::Flow;
use diffhep_physics::collider::sm::ParamCard;
use diffhep_physics::targets::fab::FabProblem;

const N: usize = 256;

fn main() {
    let mut crit = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let card = ParamCard::default();
    let ms = 200.0;
    let mut rows = Vec::new();
    for problem in [
        FabProblem::EeTTbarWbWb,
        FabProblem::ManyWell32,
        FabProblem::Gmm40,
    ] {
        let target = problem.target(&card, problem.default_sqrt_s()).unwrap();
        let flow = Flow::new(problem.flow_spec(), 1).unwrap();
        let cfg = problem.train_config(Method::Fab, 1).ais;
        let steps = (1 + cfg.n_intermediate * cfg.leapfrog_steps) as f64;
        let (x, _) = Proposal::sample(&flow, N, 3).unwrap();
        let name = problem.name();
        let mut grp = crit.benchmark_group(format!("fab_{name}"));
        grp.bench_function("ais_run_256", |b| {
            b.iter(|| {
                let mut st = AisState::new(&cfg);
                run_ais(&flow, target.as_ref(), &cfg, &mut st, N, 5).unwrap()
            })
        });
        grp.bench_function("target_grad_256", |b| {
            b.iter(|| log_prob_batch(target.as_ref(), black_box(&x)))
        });
        grp.finish();
        let t_ais = common::ns_per_call(ms, || {
            let mut st = AisState::new(&cfg);
            run_ais(&flow, target.as_ref(), &cfg, &mut st, N, 5).unwrap()
        }) / (N as f64 * steps);
        let t_target =
            common::ns_per_call(ms, || log_prob_batch(target.as_ref(), black_box(&x))) / N as f64;
        let t_flow =
            common::ns_per_call(ms, || flow.log_prob_grad_x(black_box(&x)).unwrap()) / N as f64;
        rows.push((
            format!("{name}: AIS per sample per leapfrog step"),
            t_ais,
            "ns",
            None,
            "",
        ));
        rows.push((
            format!("{name}: target value+gradient per point (share of AIS)"),
            t_target,
            "ns",
            Some(t_target / t_ais),
            "share",
        ));
        rows.push((
            format!("{name}: flow log q + ∇x per point (share of AIS)"),
            t_flow,
            "ns",
            Some(t_flow / t_ais),
            "share",
        ));
    }
    common::print_table(
        "FAB: AIS step cost and the share of target gradients",
        &rows,
    );
}
