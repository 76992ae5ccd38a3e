//! Gradient-augmented vs plain estimators at equal simulation budgets on the Galton board:
//! expected posterior KL divergence to the exact (dynamic-programming) posterior.
//!
//! `cargo run --release --example sbi_gradients -- [budgets] [seeds] [score_weight]`
//! e.g. `-- 100,1000 0,1,2 1.0` (λ `default` uses each method's default weight). Prints one line per (budget, method, seed) and the means.

use diffhep::sbi::run::{train_estimator, Method, RunConfig};
use diffhep::sbi::tasks::{galton_expected_kl, Galton};

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').filter_map(|v| v.parse().ok()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let budgets: Vec<usize> = args.first().map(|s| list(s)).unwrap_or(vec![100, 1000]);
    let seeds: Vec<u64> = args.get(1).map(|s| list(s)).unwrap_or(vec![0, 1, 2]);
    // λ: "default" (per method) or a number.
    let lam: Option<f64> = args.get(2).and_then(|s| s.parse().ok());
    let methods: Vec<Method> = args
        .get(3)
        .map(|s| {
            s.split(',')
                .map(str::parse::<Method>)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or(vec![
            Method::Mdn,
            Method::Scandal,
            Method::Nre,
            Method::Rascal,
            Method::Npe,
        ]);
    let task = Galton::new();
    for &sims in &budgets {
        for &m in &methods {
            let mut kls = Vec::new();
            for &seed in &seeds {
                let cfg = RunConfig {
                    method: m,
                    sims,
                    seed,
                    score_weight: lam,
                    ..RunConfig::default()
                };
                let t = std::time::Instant::now();
                let trained = train_estimator(&task, &cfg)?;
                let epochs = trained.epochs;
                let kl = galton_expected_kl(trained.posterior.as_ref())?;
                println!(
                    "sims {sims:>6} {:>8} seed {seed}: expected KL {kl:.5} ({epochs} epochs, {:.1} s)",
                    m.name(),
                    t.elapsed().as_secs_f64()
                );
                kls.push(kl);
            }
            let mean = kls.iter().sum::<f64>() / kls.len() as f64;
            let sd = (kls.iter().map(|k| (k - mean).powi(2)).sum::<f64>()
                / (kls.len().max(2) - 1) as f64)
                .sqrt();
            println!(
                "MEAN sims {sims:>6} {:>8}: {mean:.5} ± {:.5} (sd/√n)",
                m.name(),
                sd / (kls.len() as f64).sqrt()
            );
        }
    }
    Ok(())
}
