//! Tuning aid: NPE on gaussian_linear scored by the exact KL(q‖p) to the analytic posterior
//! (Monte Carlo over q's samples), for a few training settings.
//! `cargo run --release --example sbi_tune -- sims lr batch layers hidden bins patience`

use diffhep::flows::Transform;
use diffhep::sbi::flow_estimators::{FlowEstimatorConfig, NpeEstimator};
use diffhep::sbi::tasks::GaussianLinear;
use diffhep::sbi::Estimator;
use diffhep::sbi::{simulate_set, Posterior, Task};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let g = |i: usize, d: f64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let sims = g(0, 10000.0) as usize;
    let task = GaussianLinear::new();
    let set = simulate_set(&task, sims, 0, false)?;
    let mut cfg = FlowEstimatorConfig {
        layers: g(3, 5.0) as usize,
        hidden: vec![g(4, 50.0) as usize; 2],
        transform: match g(5, 8.0) as usize {
            0 => Transform::Affine,
            b => Transform::Spline { bins: b },
        },
        ..FlowEstimatorConfig::default()
    };
    cfg.fit.lr = g(1, 1e-3);
    cfg.fit.batch_size = g(2, 200.0) as usize;
    cfg.fit.patience = g(6, 20.0) as usize;
    let t = std::time::Instant::now();
    let (npe, rep) = NpeEstimator::fit(&set, task.prior(), 10, &cfg)?;
    let train_s = t.elapsed().as_secs_f64();
    let x = task.observation(1)?.x;
    let s = npe.sample(&x, 5000, 1)?;
    let lq = npe.log_prob(&s, &x)?;
    let kl: f64 = s
        .chunks(10)
        .zip(&lq)
        .map(|(t, q)| {
            let lp: f64 = (0..10)
                .map(|j| {
                    -0.5 * (t[j] - x[j] / 2.0).powi(2) / 0.05
                        - 0.5 * (std::f64::consts::TAU * 0.05).ln()
                })
                .sum();
            q - lp
        })
        .sum::<f64>()
        / 5000.0;
    println!(
        "sims {sims} lr {} batch {} layers {} hidden {:?} transform {:?}: KL(q||p) {kl:.4}, epochs {}, best val {:.4}, train {train_s:.1} s",
        cfg.fit.lr, cfg.fit.batch_size, cfg.layers, cfg.hidden, cfg.transform, rep.epochs_run, rep.best_validation_nll
    );
    for j in 0..10 {
        let m = s.chunks(10).map(|r| r[j]).sum::<f64>() / 5000.0;
        let sd = (s.chunks(10).map(|r| (r[j] - m).powi(2)).sum::<f64>() / 5000.0).sqrt();
        println!(
            "dim {j}: mean error {:+.3}  sd/exact {:.3}",
            m - x[j] / 2.0,
            sd / 0.05f64.sqrt()
        );
    }
    let v: Vec<String> = rep
        .validation_nll
        .iter()
        .map(|v| format!("{v:.3}"))
        .collect();
    let tr: Vec<String> = rep.train_nll.iter().map(|v| format!("{v:.3}")).collect();
    println!("val {}\ntrain {}", v.join(" "), tr.join(" "));
    Ok(())
}
