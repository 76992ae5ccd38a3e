//! SBI benchmarks (issue 8). Prints, measured in this run:
//! (a) NPE training time on two_moons with 10⁴ simulations (the `diffhep sbi` defaults: both
//!     candidate flows, spline and affine, are trained and the better one kept), next to the `sbi` Python package's ≈47 s on a 2-core CPU quoted in the issue
//!     (an outside number, not measured here);
//! (b) posterior sampling rate for observation 1: NPE (direct flow sampling, with rejection to
//!     the prior) and NLE / NRE (SMC with MALA moves on the network likelihood), as ratios to
//!     the NPE rate measured in the same run.
//!
//! Run: `cargo bench --bench sbi`.

mod common;

use std::time::Instant;

use diffhep::sbi::run::{train_on, Method, RunConfig};
use diffhep::sbi::tasks::TwoMoons;
use diffhep::sbi::{simulate_set, Task};

fn main() {
    let task = TwoMoons::new();
    let x = task.observation(1).unwrap().x;
    let t = Instant::now();
    let set = simulate_set(&task, 10_000, 0, false).unwrap();
    let sim_s = t.elapsed().as_secs_f64();
    let mut rows = Vec::new();
    rows.push((
        "simulate 10^4 two_moons pairs".to_string(),
        sim_s,
        "s",
        None,
        "",
    ));
    let mut rates = Vec::new();
    for (m, n) in [
        (Method::Npe, 100_000),
        (Method::Nle, 10_000),
        (Method::Nre, 10_000),
    ] {
        let cfg = RunConfig {
            method: m,
            sims: 10_000,
            ..RunConfig::default()
        };
        let t = Instant::now();
        let trained = train_on(&task, &set, &cfg).unwrap();
        let (post, epochs) = (trained.posterior, trained.epochs);
        let kept = trained
            .selected_flow
            .as_deref()
            .and_then(|f| f.split(',').next());
        let train_s = t.elapsed().as_secs_f64();
        let ratio = (m == Method::Npe).then_some(train_s / 47.0);
        rows.push((
            format!(
                "train {} on 10^4 sims ({epochs} epochs{})",
                m.name(),
                kept.map(|f| format!(", kept {f}")).unwrap_or_default()
            ),
            train_s,
            "s",
            ratio,
            if m == Method::Npe {
                "ratio to sbi's ~47 s (quoted)"
            } else {
                ""
            },
        ));
        let t = Instant::now();
        let s = post.sample(&x, n, 1).unwrap();
        let rate = (s.len() / 2) as f64 / t.elapsed().as_secs_f64();
        rates.push((m, rate));
    }
    let npe_rate = rates[0].1;
    for (m, r) in rates {
        rows.push((
            format!("posterior samples of {} per second", m.name()),
            r,
            "1/s",
            Some(r / npe_rate),
            "ratio to NPE",
        ));
    }
    common::print_table("simulation-based inference, two_moons", &rows);
}
