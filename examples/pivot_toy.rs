//! Learning to pivot (Louppe, Kagan & Cranmer 2017) on the paper's 2-D toy: the same schedule
//! with `λ = 0` (a plain classifier) and with `λ > 0` (adversarial training against a
//! mixture-density adversary), then the adversary's loss against the entropy of the nuisance
//! prior, the AUC, and the dependence of the classifier's output on `Z`.
//!
//! Run: `cargo run --release --example pivot_toy [-- --quick]`; options `--lambda 10`, `--k 10`,
//! `--epochs 20`, `--adversary-lr 0.01`, `--adversary-activation relu|tanh|silu`, `--seed 0`.

use std::time::Instant;

use diffhep::nn::Activation;
use diffhep::pivot::toy::{self, ToyOutcome, ToyStudy, ENTROPY_STD_NORMAL};
use diffhep::pivot::{EpochRecord, PivotConfig};

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<T>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{name} needs a value")),
    }
}

fn print_record(r: &EpochRecord) {
    let e = &r.eval;
    println!(
        "  {:<20} {:>3}   L_f {:.4}   L_r {:.4} ± {:.4}   E {:>8.3}   AUC {:.4}",
        format!("{:?}", r.phase),
        r.epoch,
        e.classifier_loss,
        e.adversary_loss,
        e.adversary_loss_se,
        e.value,
        e.auc
    );
}

fn summary(name: &str, o: &ToyOutcome) {
    let e = &o.eval;
    let ind = &o.independence;
    println!(
        "{name:<8} AUC {:.4}   L_r {:.4} ± {:.4} (H(Z) − L_r = {:+.4}, {:+.1} s.e.)   \
         KS max {:.3} (5 % critical {:.3})   mean f at Z = −1, 0, +1: {:.3} {:.3} {:.3}",
        e.auc,
        e.adversary_loss,
        e.adversary_loss_se,
        ENTROPY_STD_NORMAL - e.adversary_loss,
        (ENTROPY_STD_NORMAL - e.adversary_loss) / e.adversary_loss_se,
        ind.ks_max,
        ind.ks_critical_95,
        ind.mean_score[0],
        ind.mean_score[1],
        ind.mean_score[2],
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut cfg = PivotConfig::default();
    let mut study = ToyStudy {
        train: 20_000,
        eval: 20_000,
        per_z: 10_000,
        data_seed: 1,
    };
    if quick {
        cfg.epochs = 5;
        cfg.pretrain_classifier_epochs = 5;
        cfg.pretrain_adversary_epochs = 5;
        cfg.final_adversary_epochs = 5;
        study.train = 4000;
        study.eval = 4000;
        study.per_z = 2000;
    }
    if let Some(l) = arg(&args, "--lambda")? {
        cfg.lambda = l;
    }
    if let Some(k) = arg(&args, "--k")? {
        cfg.adversary_steps = k;
    }
    if let Some(e) = arg(&args, "--epochs")? {
        cfg.epochs = e;
    }
    if let Some(lr) = arg(&args, "--adversary-lr")? {
        cfg.adversary_lr = lr;
    }
    if let Some(a) = arg::<String>(&args, "--adversary-activation")? {
        cfg.adversary.activation = match a.as_str() {
            "relu" => Activation::Relu,
            "tanh" => Activation::Tanh,
            "silu" => Activation::Silu,
            other => return Err(format!("unknown activation {other} (relu, tanh, silu)").into()),
        };
    }
    if let Some(s) = arg(&args, "--seed")? {
        cfg.seed = s;
        study.data_seed = s + 1;
    }
    println!(
        "toy of Louppe, Kagan & Cranmer (2017) §5.1: {} training / {} evaluation events, \
         λ = {}, K = {}, M = {}, adversary {:?} with lr {}, epochs: {} + {} pretraining, {} adversarial, {} final adversary",
        study.train,
        study.eval,
        cfg.lambda,
        cfg.adversary_steps,
        cfg.batch_size,
        cfg.adversary.activation,
        cfg.adversary_lr,
        cfg.pretrain_classifier_epochs,
        cfg.pretrain_adversary_epochs,
        cfg.epochs,
        cfg.final_adversary_epochs
    );
    let start = Instant::now();
    let plain_cfg = PivotConfig {
        lambda: 0.0,
        ..cfg.clone()
    };
    println!("λ = 0:");
    let plain = toy::run(&plain_cfg, &study, print_record)?;
    println!("λ = {}:", cfg.lambda);
    let pivot = toy::run(&cfg, &study, print_record)?;
    println!();
    println!(
        "H(Z) = ½ ln(2πe) = {ENTROPY_STD_NORMAL:.4} nats (a perfect pivot leaves the adversary this loss)"
    );
    summary("λ = 0", &plain);
    summary(&format!("λ = {}", cfg.lambda), &pivot);
    // Same evaluation events in both runs: the paired difference has the smaller error.
    let (dm, dse) = pivot.adversary_loss_minus(&plain);
    println!(
        "L_r(λ = {}) − L_r(λ = 0) = {dm:.4} ± {dse:.4} (paired);   AUC loss {:.4}",
        cfg.lambda,
        plain.eval.auc - pivot.eval.auc
    );
    println!("time {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
