//! Tuning aid for the flow estimators: held-out negative log-likelihood of NPE (`q(θ|x)`) or
//! NLE (`q(x|θ)`) on 20 000 fresh simulations. For NPE it equals the prior-averaged KL from the
//! true posterior plus a constant, for NLE the averaged KL from the true likelihood plus a
//! constant; for tasks with a tractable likelihood the NLE line also prints that KL exactly.
//!
//! `cargo run --release --example flow_heldout -- <task> <npe|nle> <sims> [transform] [decay] [lr] [batch] [seed] [epochs] [damped 0|1] [layers] [hidden]`
//! with transform `affine` or `splineK`.

use diffhep::flows::Transform;
use diffhep::sbi::flow_estimators::{
    FlowEstimator, FlowEstimatorConfig, NleEstimator, NpeEstimator,
};
use diffhep::sbi::simulate_set;
use diffhep::sbi::Estimator;
use diffhep::sbi::TaskRegistry;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let task = TaskRegistry::new().create(a.first().map(String::as_str).unwrap_or("slcp"))?;
    let method = a.get(1).cloned().unwrap_or_else(|| "nle".into());
    let num = |i: usize, d: f64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let sims = num(2, 10000.0) as usize;
    let mut cfg = FlowEstimatorConfig::default();
    if let Some(t) = a.get(3) {
        cfg.transform = match t.strip_prefix("spline") {
            Some(b) => Transform::Spline { bins: b.parse()? },
            None => Transform::Affine,
        };
    }
    cfg.fit.weight_decay = num(4, cfg.fit.weight_decay);
    cfg.fit.lr = num(5, cfg.fit.lr);
    cfg.fit.batch_size = num(6, cfg.fit.batch_size as f64) as usize;
    let seed = num(7, 0.0) as u64;
    cfg.fit.epochs = num(8, cfg.fit.epochs as f64) as usize;
    cfg.damped = num(9, 1.0) != 0.0;
    cfg.layers = num(10, cfg.layers as f64) as usize;
    cfg.hidden = vec![num(11, cfg.hidden[0] as f64) as usize; 2];
    cfg.seed = seed;
    cfg.fit.seed = seed;
    let set = simulate_set(task.as_ref(), sims, seed, false)?;
    let test = simulate_set(task.as_ref(), 20_000, 0xfeed, false)?;
    let (d, xd) = (task.theta_dim(), task.x_dim());
    let t0 = std::time::Instant::now();
    let (nll, report, exact_kl) = if method == "npe" {
        let (e, r) = NpeEstimator::fit(&set, task.prior(), xd, &cfg)?;
        let lq = e.flow().log_prob(&test.theta, &test.x)?;
        (-lq.iter().sum::<f64>() / lq.len() as f64, r, None)
    } else {
        let members = num(12, 1.0) as usize;
        let mut all = Vec::new();
        let mut rep = None;
        for k in 0..members {
            let mut c = cfg.clone();
            c.seed = seed + 1000 * k as u64;
            c.fit.seed = c.seed;
            let (e, r) = NleEstimator::fit(&set, task.prior(), xd, &c)?;
            let l = e.flow().log_prob(&test.x, &test.theta)?;
            let kl: f64 = test
                .theta
                .chunks(d)
                .zip(test.x.chunks(xd))
                .zip(&l)
                .map(|((t, x), q)| task.log_likelihood_grad(t, x).map_or(0.0, |v| v.0) - q)
                .sum::<f64>()
                / l.len() as f64;
            println!("  member {k}: KL {kl:.4}");
            all.push(l);
            rep = Some(r);
        }
        let r = rep.unwrap();
        let lq: Vec<f64> = (0..all[0].len())
            .map(|i| {
                let m = all.iter().map(|l| l[i]).fold(f64::NEG_INFINITY, f64::max);
                m + (all.iter().map(|l| (l[i] - m).exp()).sum::<f64>() / members as f64).ln()
            })
            .collect();
        let mut kl = Some(0.0);
        if task.name() == "slcp" {
            // KL split by the smaller likelihood scale min(θ₃², θ₄²).
            for (lo, hi) in [(0.0, 0.1), (0.1, 0.5), (0.5, 2.0), (2.0, 10.0)] {
                let (mut s, mut m) = (0.0, 0);
                for ((t, x), q) in test.theta.chunks(d).zip(test.x.chunks(xd)).zip(&lq) {
                    let sc = (t[2] * t[2]).min(t[3] * t[3]);
                    if sc >= lo && sc < hi {
                        s += task.log_likelihood_grad(t, x).map_or(0.0, |v| v.0) - q;
                        m += 1;
                    }
                }
                println!(
                    "  scale in [{lo}, {hi}): {m} rows, KL {:.3}",
                    s / m.max(1) as f64
                );
            }
        }
        for ((t, x), q) in test.theta.chunks(d).zip(test.x.chunks(xd)).zip(&lq) {
            kl = match (kl, task.log_likelihood_grad(t, x)) {
                (Some(s), Some((lp, _))) => Some(s + lp - q),
                _ => None,
            };
        }
        (
            -lq.iter().sum::<f64>() / lq.len() as f64,
            r,
            kl.map(|s| s / lq.len() as f64),
        )
    };
    println!(
        "{} {method} sims {sims} {:?} damped {} layers {} hidden {:?} decay {} lr {} batch {} seed {seed}: held-out NLL {nll:.4}{} epochs {} (last train NLL {:.3}, best validation {:.3}) train {:.1} s",
        task.name(),
        cfg.transform,
        cfg.damped,
        cfg.layers,
        cfg.hidden,
        cfg.fit.weight_decay,
        cfg.fit.lr,
        cfg.fit.batch_size,
        exact_kl.map(|k| format!(" exact KL {k:.4}")).unwrap_or_default(),
        report.epochs_run,
        report.train_nll.last().copied().unwrap_or(f64::NAN),
        report.best_validation_nll,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
