//! Stochastic AD on the toy calorimeter: cost of a triple-evaluated run against the plain `f64`
//! run, cost per sample of every estimator, and the variance table (standard error per sample of
//! ∂E[D_k]/∂t_j) at a fixed design. Everything is measured in this one process.
//!
//! `cargo bench --bench stochastic` (add `-- --quick` style criterion flags as usual).

#[path = "../../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use diffhep::stochastic::{
    derivative_estimate, plain_run, sample_streams, EstimatorKind, FiniteDifferences,
    GradientEstimator, GumbelSoftmax, ScoreFunction, StochasticProgram, StochasticTriples,
    StraightThrough, Triple, TripleSampler,
};
use diffhep_physics::design::calorimeter::SummedSignal;
use diffhep_physics::detector::shower::{Shower, ShowerConfig};

const LAYERS: usize = 8;
const ENERGY: f64 = 20.0;
const THICKNESS: f64 = 2.0;
const SEED: u64 = 7;
/// Samples averaged inside one timed call (showers differ in size from sample to sample).
const BATCH: u64 = 32;

fn shower() -> Shower {
    Shower::new(ShowerConfig::new(LAYERS, ENERGY)).expect("valid config")
}

fn plain_batch(sh: &Shower, theta: &[f64]) -> f64 {
    (0..BATCH)
        .map(|i| plain_run(sh, theta, SEED, i).unwrap()[LAYERS - 1])
        .sum()
}

fn triple_batch(sh: &Shower, theta: &[f64], j: usize) -> f64 {
    (0..BATCH)
        .map(|i| {
            let (d, p) = sample_streams(SEED, i);
            let params: Vec<Triple> = theta
                .iter()
                .enumerate()
                .map(|(m, &t)| Triple::param(t, if m == j { 1.0 } else { 0.0 }))
                .collect();
            sh.run(&params, &mut TripleSampler::new(d, p)).unwrap()[LAYERS - 1].value
        })
        .sum()
}

fn directional_batch(sh: &Shower, theta: &[f64], j: usize) -> f64 {
    let mut dir = vec![0.0; theta.len()];
    dir[j] = 1.0;
    (0..BATCH)
        .map(|i| {
            derivative_estimate(sh, theta, &dir, SEED, i)
                .unwrap()
                .derivative[LAYERS - 1]
        })
        .sum()
}

fn sample_batch<E: GradientEstimator>(e: &E, sh: &Shower, theta: &[f64]) -> f64 {
    (0..BATCH)
        .map(|i| e.sample_terms(sh, theta, SEED, i).unwrap().gradient[0])
        .sum()
}

fn main() {
    let sh = shower();
    let theta = vec![THICKNESS; LAYERS];
    let j = 3;

    let mut crit = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let mut g = crit.benchmark_group("shower_32_samples");
    g.bench_function("plain_f64", |b| {
        b.iter(|| plain_batch(&sh, black_box(&theta)))
    });
    g.bench_function("triple_run", |b| {
        b.iter(|| triple_batch(&sh, black_box(&theta), j))
    });
    g.bench_function("triple_directional_estimate", |b| {
        b.iter(|| directional_batch(&sh, black_box(&theta), j))
    });
    g.finish();

    // Cost ratios, single thread, measured here.
    let ms = 150.0;
    let per = |ns: f64| ns / BATCH as f64 / 1e3; // µs per sample
    let t_plain = per(common::ns_per_call(ms, || plain_batch(&sh, &theta)));
    let t_triple = per(common::ns_per_call(ms, || triple_batch(&sh, &theta, j)));
    let t_dir = per(common::ns_per_call(ms, || {
        directional_batch(&sh, &theta, j)
    }));
    let t_tr_full = per(common::ns_per_call(ms, || {
        sample_batch(&StochasticTriples, &sh, &theta)
    }));
    let t_score = per(common::ns_per_call(ms, || {
        sample_batch(&ScoreFunction::default(), &sh, &theta)
    }));
    let t_st = per(common::ns_per_call(ms, || {
        sample_batch(&StraightThrough::default(), &sh, &theta)
    }));
    let t_gs = per(common::ns_per_call(ms, || {
        sample_batch(&GumbelSoftmax::default(), &sh, &theta)
    }));
    let t_fd = per(common::ns_per_call(ms, || {
        sample_batch(&FiniteDifferences::default(), &sh, &theta)
    }));
    let rows = vec![
        (
            "plain f64 run".to_string(),
            t_plain,
            "µs/sample",
            Some(1.0),
            "",
        ),
        (
            "triple run (one direction)".to_string(),
            t_triple,
            "µs/sample",
            Some(t_triple / t_plain),
            "≤ 5",
        ),
        (
            "triple estimate, one direction (triple run + f64 re-run)".to_string(),
            t_dir,
            "µs/sample",
            Some(t_dir / t_plain),
            "",
        ),
        (
            format!("triple, full gradient ({LAYERS} directions)"),
            t_tr_full,
            "µs/sample",
            Some(t_tr_full / t_plain),
            "",
        ),
        (
            "score function, full gradient (vector dual)".to_string(),
            t_score,
            "µs/sample",
            Some(t_score / t_plain),
            "",
        ),
        (
            "straight-through, full gradient (vector dual)".to_string(),
            t_st,
            "µs/sample",
            Some(t_st / t_plain),
            "",
        ),
        (
            "Gumbel-softmax, full gradient (vector dual)".to_string(),
            t_gs,
            "µs/sample",
            Some(t_gs / t_plain),
            "",
        ),
        (
            format!(
                "finite differences, full gradient ({} runs)",
                2 * LAYERS + 1
            ),
            t_fd,
            "µs/sample",
            Some(t_fd / t_plain),
            "",
        ),
    ];
    common::print_table(
        &format!(
            "cost per sample, {LAYERS} layers × {THICKNESS} X0, {ENERGY} GeV (ratio to plain f64)"
        ),
        &rows,
    );

    // Variance table: standard error per sample (= √N · standard error) of ∂E[D_k]/∂t_j.
    let n = 4000;
    let start = Instant::now();
    let kinds = EstimatorKind::ALL;
    let ests: Vec<_> = kinds
        .iter()
        .map(|k| k.estimate(&sh, &theta, n, 11).unwrap())
        .collect();
    let no_baseline = ScoreFunction { baseline: false }
        .estimate(&sh, &theta, n, 11)
        .unwrap();
    let sq = (n as f64).sqrt();
    println!(
        "\n== standard error per sample of dE[D_k]/dt_j (GeV/X0), N = {n}, fixed design above =="
    );
    print!("{:<8}", "(k, j)");
    for k in &kinds {
        print!(" {:>16}", k.name());
    }
    println!(
        " {:>16} {:>12} {:>12}",
        "score,no base", "var ratio", "(no base)"
    );
    let pairs = [
        (2, 0),
        (3, 3),
        (4, 2),
        (5, 1),
        (5, 4),
        (6, 3),
        (7, 0),
        (7, 5),
        (7, 7),
    ];
    let mut ratios = Vec::new();
    for &(k, jj) in &pairs {
        print!("{:<8}", format!("({k}, {jj})"));
        for e in &ests {
            print!(
                " {:>16}",
                format!("{:+.4}/{:.4}", e.gradient[k][jj], e.gradient_se[k][jj] * sq)
            );
        }
        let tr = ests[0].gradient_se[k][jj];
        let r = (ests[1].gradient_se[k][jj] / tr).powi(2);
        let r0 = (no_baseline.gradient_se[k][jj] / tr).powi(2);
        ratios.push(r);
        println!(
            " {:>16} {:>12.1} {:>12.1}",
            format!(
                "{:+.4}/{:.4}",
                no_baseline.gradient[k][jj],
                no_baseline.gradient_se[k][jj] * sq
            ),
            r,
            r0
        );
    }
    // Over all pairs k ≥ j.
    let mut all = Vec::new();
    let mut all0 = Vec::new();
    for k in 0..LAYERS {
        for jj in 0..=k {
            let tr = ests[0].gradient_se[k][jj];
            if tr > 0.0 {
                all.push((ests[1].gradient_se[k][jj] / tr).powi(2));
                all0.push((no_baseline.gradient_se[k][jj] / tr).powi(2));
            }
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (m, lo, hi) = med(&mut all);
    let (m0, lo0, hi0) = med(&mut all0);
    println!("entries are mean/(standard error per sample); 'var ratio' = Var(score)/Var(triple) at equal samples (target ≥ 10)");
    println!("over all {} pairs k ≥ j: Var(score, leave-one-out baseline)/Var(triple) median {m:.1} (min {lo:.1}, max {hi:.1}); without baseline median {m0:.1} (min {lo0:.1}, max {hi0:.1})", all.len());
    println!(
        "runs per sample: {}",
        ests.iter()
            .map(|e| format!("{} {:.1}", e.estimator, e.runs as f64 / n as f64))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The quantities the design objective is built from: r = Σ_k D_k/(f_s E₀) and r².
    let sum = SummedSignal { shower: sh.clone() };
    let tr = StochasticTriples.estimate(&sum, &theta, n, 13).unwrap();
    let sc = ScoreFunction::default()
        .estimate(&sum, &theta, n, 13)
        .unwrap();
    println!("\n== summed calibrated signal r = S/(f_s E0): standard error per sample of dE[r]/dt_j and dE[r^2]/dt_j ==");
    println!(
        "{:<4} {:>18} {:>18} {:>10} {:>18} {:>18} {:>10}",
        "j",
        "triple dE[r]",
        "score dE[r]",
        "var ratio",
        "triple dE[r^2]",
        "score dE[r^2]",
        "var ratio"
    );
    for jj in 0..LAYERS {
        let cell = |e: &diffhep::stochastic::GradientEstimate, k: usize| {
            format!("{:+.4}/{:.4}", e.gradient[k][jj], e.gradient_se[k][jj] * sq)
        };
        let ratio = |k: usize| (sc.gradient_se[k][jj] / tr.gradient_se[k][jj]).powi(2);
        println!(
            "{jj:<4} {:>18} {:>18} {:>10.1} {:>18} {:>18} {:>10.1}",
            cell(&tr, 0),
            cell(&sc, 0),
            ratio(0),
            cell(&tr, 1),
            cell(&sc, 1),
            ratio(1)
        );
    }
    println!(
        "(variance tables computed in {:.1} s)",
        start.elapsed().as_secs_f64()
    );
}
