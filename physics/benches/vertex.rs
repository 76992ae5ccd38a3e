//! Vertex fit: time per fit and per fit + implicit gradient (forward: full ∂v/∂θ; reverse: one
//! VJP), for 5 and 20 helical tracks from the toy generator. Prints the ratio (fit + gradient) /
//! fit measured in the same run. Targets: ratio ≤ 3, 5-track fit + gradient well under 10 µs.
//!
//! Run: `cargo bench --bench vertex` (criterion times are kept short).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use diffhep::implicit::ImplicitOptions;
use diffhep_physics::detector::toy::{ToyConfig, ToyGenerator};
use diffhep_physics::detector::tracks::{Track, TrackModel};
use diffhep_physics::detector::vertex::{fit, fit_with_derivatives, FitConfig, Wrt};

/// The first toy jet with at least `n` decay tracks, cut to `n`.
fn tracks(n: usize) -> Vec<Track<f64>> {
    let mut gen = ToyGenerator::new(
        ToyConfig {
            model: TrackModel::Helix { bz: 2.0 },
            extra_decay_tracks: n as f64,
            prompt_tracks: 0.0,
        },
        2024,
    );
    loop {
        let t = gen.jet().secondary_tracks();
        if t.len() >= n {
            return t[..n].to_vec();
        }
    }
}

type Case = (&'static str, Box<dyn Fn()>);

fn cases(n: usize) -> Vec<Case> {
    let t = tracks(n);
    let w: Vec<f64> = (0..n).map(|i| 0.5 + 0.5 * ((i % 3) as f64) / 2.0).collect();
    let cfg = FitConfig::default();
    let opts = ImplicitOptions::default();
    let mk = |wrt: Wrt, reverse: bool| {
        let (t, w, cfg, opts) = (t.clone(), w.clone(), cfg.clone(), opts.clone());
        Box::new(move || {
            let (_, d) = fit_with_derivatives(&t, &w, &cfg, wrt, &opts).unwrap();
            if reverse {
                black_box(d.vjp([1.0, 0.5, -0.3]));
            } else {
                black_box(d.jacobian());
            }
        }) as Box<dyn Fn()>
    };
    let (t0, w0, c0) = (t.clone(), w.clone(), cfg.clone());
    vec![
        (
            "fit",
            Box::new(move || {
                black_box(fit(&t0, &w0, &c0).unwrap());
            }),
        ),
        ("fit+grad weights fwd", mk(Wrt::WEIGHTS, false)),
        ("fit+grad weights rev", mk(Wrt::WEIGHTS, true)),
        (
            "fit+grad params fwd",
            mk(
                Wrt {
                    weights: false,
                    params: true,
                    covariance: false,
                },
                false,
            ),
        ),
        (
            "fit+grad cov fwd",
            mk(
                Wrt {
                    weights: false,
                    params: false,
                    covariance: true,
                },
                false,
            ),
        ),
        ("fit+grad all fwd", mk(Wrt::ALL, false)),
        ("fit+grad all rev", mk(Wrt::ALL, true)),
    ]
}

/// Median of 15 batches, each long enough to swamp the clock (ns per call).
fn time_ns(f: &dyn Fn()) -> f64 {
    let mut reps = 1usize;
    loop {
        let s = Instant::now();
        for _ in 0..reps {
            f();
        }
        if s.elapsed() > Duration::from_millis(5) {
            break;
        }
        reps *= 2;
    }
    let mut v: Vec<f64> = (0..15)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..reps {
                f();
            }
            s.elapsed().as_secs_f64() * 1e9 / reps as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[7]
}

fn bench(c: &mut Criterion) {
    for n in [5usize, 20] {
        let cs = cases(n);
        let mut g = c.benchmark_group(format!("vertex/{n} tracks"));
        for (name, f) in &cs {
            g.bench_function(*name, |b| b.iter(f));
        }
        g.finish();
        let base = time_ns(&*cs[0].1);
        let t = tracks(n);
        let iters = fit(&t, &vec![1.0; n], &FitConfig::default())
            .unwrap()
            .iterations;
        println!("\nvertex fit, {n} helical tracks, {iters} iterations (median of 15 batches, same run):");
        println!("  {:<22} {:>9.2} µs", cs[0].0, base / 1e3);
        for (name, f) in &cs[1..] {
            let t = time_ns(&**f);
            println!(
                "  {:<22} {:>9.2} µs   ratio to fit {:.2}",
                name,
                t / 1e3,
                t / base
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
