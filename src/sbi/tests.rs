//! Tests of the estimators and the runner (small budgets; the C2ST tables are in
//! `examples/sbi_table.rs`).

use super::c2st::{c2st, C2stConfig};
use super::estimator::Estimator;
use super::flow_estimators::{FlowEstimator, FlowEstimatorConfig, NleEstimator, NpeEstimator};
use super::mdn::{MdnConfig, MdnEstimator};
use super::posterior::Posterior;
use super::ratio::{RatioConfig, RatioEstimator};
use super::registry::TaskRegistry;
use super::run::{run, Method, RunConfig};
use super::sampler::{smc_sample, SmcConfig};
use super::task::{exact_log_lik_batch, simulate_set, Task};
use super::tasks::{galton_expected_kl, Galton, GaussianLinear, TwoMoons};
use super::train::TrainConfig;
use crate::gradcheck::ridders;

/// Check a batch loss's parameter gradient against Ridders' differences on a few components.
fn check_loss_gradient(loss: &super::train::BatchLoss<'_>, p0: &[f64]) {
    let rows: Vec<usize> = (0..16).collect();
    let (_, g) = loss(p0, &rows).unwrap();
    for k in (0..p0.len()).step_by(p0.len() / 9 + 1) {
        let (fd, err) = ridders(
            |h| {
                let mut p = p0.to_vec();
                p[k] += h;
                loss(&p, &rows).unwrap().0
            },
            0.0,
            1e-2,
        );
        assert!(
            (g[k] - fd).abs() < 1e-7 + 1e-6 * fd.abs() + 10.0 * err,
            "param {k}: {} vs {fd}",
            g[k]
        );
    }
}

#[test]
fn score_augmented_losses_have_exact_weight_gradients() {
    let task = Galton::new();
    let set = simulate_set(&task, 64, 3, true).unwrap();
    let mc = MdnConfig {
        components: 3,
        hidden: vec![8],
        score_weight: 0.7,
        ..MdnConfig::default()
    };
    let pb = MdnEstimator::problem(&set, task.prior(), 1, &mc).unwrap();
    check_loss_gradient(pb.loss.as_ref(), &pb.template.params_f64());
    let rc = RatioConfig {
        hidden: vec![8, 8],
        score_weight: 0.7,
        ..RatioConfig::default()
    };
    let pb = RatioEstimator::problem(&set, task.prior(), 1, &rc).unwrap();
    check_loss_gradient(pb.loss.as_ref(), &pb.template.params_f64());
    // Asking for the score term without joint scores is an error, not a silent NRE.
    let plain = simulate_set(&task, 64, 3, false).unwrap();
    assert!(RatioEstimator::fit(&plain, task.prior(), 1, &rc).is_err());
    assert!(MdnEstimator::fit(&plain, task.prior(), 1, &mc).is_err());
}

#[test]
fn joint_scores_improve_galton_posteriors_at_equal_budget() {
    // Measured finding (examples/sbi_gradients.rs has the multi-seed table): at 200 simulations
    // the score term lowers the expected KL to the exact posterior for both estimator families.
    let task = Galton::new();
    let kl = |m: Method| {
        let cfg = RunConfig {
            method: m,
            sims: 200,
            seed: 0,
            ..RunConfig::default()
        };
        let trained = super::run::train_estimator(&task, &cfg).unwrap();
        galton_expected_kl(trained.posterior.as_ref()).unwrap()
    };
    let (mdn, scandal) = (kl(Method::Mdn), kl(Method::Scandal));
    assert!(scandal < mdn, "SCANDAL {scandal} vs MDN {mdn}");
    let (nre, rascal) = (kl(Method::Nre), kl(Method::Rascal));
    assert!(rascal < nre, "RASCAL {rascal} vs NRE {nre}");
}

fn quick_flow_cfg() -> FlowEstimatorConfig {
    let mut c = FlowEstimatorConfig {
        layers: 2,
        hidden: vec![16],
        seed: 1,
        ..FlowEstimatorConfig::default()
    };
    c.fit.epochs = 3;
    c
}

#[test]
fn estimators_are_deterministic_and_sample_inside_the_prior() {
    let task = TwoMoons::new();
    let set = simulate_set(&task, 300, 5, false).unwrap();
    let x = task.observation(1).unwrap().x;
    let smc = SmcConfig {
        final_moves: 2,
        ..SmcConfig::default()
    };
    let npe = NpeEstimator::fit(&set, task.prior(), 2, &quick_flow_cfg())
        .unwrap()
        .0;
    let mut nle = NleEstimator::fit(&set, task.prior(), 2, &quick_flow_cfg())
        .unwrap()
        .0;
    nle.smc = smc.clone();
    let rc = RatioConfig {
        hidden: vec![16],
        train: TrainConfig {
            epochs: 3,
            ..RatioConfig::default().train
        },
        ..RatioConfig::default()
    };
    let mut nre = RatioEstimator::fit(&set, task.prior(), 2, &rc).unwrap().0;
    nre.smc = smc;
    let posts: [&dyn Posterior; 3] = [&npe, &nle, &nre];
    for p in posts {
        let a = p.sample(&x, 200, 9).unwrap();
        let b = p.sample(&x, 200, 9).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 400);
        assert!(a.chunks(2).all(|t| task.prior().contains(t)));
        assert!(p
            .log_prob(&a[..20], &x)
            .unwrap()
            .iter()
            .all(|v| v.is_finite()));
        assert!(p.sample(&[0.0; 3], 10, 1).is_err());
    }
}

#[test]
fn npe_recovers_the_gaussian_linear_posterior_mean() {
    // Analytic posterior N(x/2, 0.05·I) (sbi-tasks.md). A sanity bound, not a sharp one: at 3000
    // simulations (between sbibm's 10³ and 10⁴ budgets, where NPE's C2ST is 0.69 and 0.55) mean
    // errors of ~0.5 posterior sd occur; 0.15 (0.67 sd, sd = √0.05) catches gross failures.
    let task = GaussianLinear::new();
    let set = simulate_set(&task, 3000, 2, false).unwrap();
    let mut cfg = FlowEstimatorConfig {
        layers: 3,
        hidden: vec![32, 32],
        ..FlowEstimatorConfig::default()
    };
    cfg.fit.epochs = 150;
    let (npe, _) = NpeEstimator::fit(&set, task.prior(), 10, &cfg).unwrap();
    let x = task.observation(1).unwrap().x;
    let s = npe.sample(&x, 4000, 3).unwrap();
    let dev: Vec<f64> = (0..10)
        .map(|j| s.chunks(10).map(|r| r[j]).sum::<f64>() / 4000.0 - x[j] / 2.0)
        .collect();
    assert!(dev.iter().all(|d| d.abs() < 0.15), "{dev:?}");
}

#[test]
fn smc_reference_agrees_with_the_exact_two_moons_sampler() {
    // two_moons has an exact sampler (analytic inversion); the SMC–MALA sampler used for SLCP's
    // reference must be indistinguishable from it: C2ST ≈ 0.5. The threshold 0.56 is 0.5 plus
    // about 8 binomial standard errors of 3000 + 3000 held-out points.
    let task = TwoMoons::new();
    let x = task.observation(1).unwrap().x;
    let exact = task.reference_posterior(&x, 3000, 4).unwrap();
    let ll = |t: &[f64]| exact_log_lik_batch(&task, t, &x, 2);
    let cfg = SmcConfig {
        particles: 3000,
        seed: 4,
        ..SmcConfig::default()
    };
    let smc = smc_sample(task.prior(), &ll, &cfg).unwrap().samples;
    let c = c2st(&exact, &smc, 2, &C2stConfig::default()).unwrap();
    assert!(c.accuracy < 0.56, "{c:?}");
}

#[test]
fn slcp_reference_is_sign_symmetric() {
    // The SLCP likelihood depends on θ₃², θ₄²: the reference gives each sign mode weight 1/4
    // (binomial standard error √(3/16/n)).
    let task = TaskRegistry::new().create("slcp").unwrap();
    let x = task.observation(1).unwrap().x;
    let n = 2000;
    let s = task.reference_posterior(&x, n, 2).unwrap();
    let pp = s.chunks(5).filter(|r| r[2] > 0.0 && r[3] > 0.0).count() as f64 / n as f64;
    assert!(
        (pp - 0.25).abs() < 5.0 * (3.0 / 16.0 / n as f64).sqrt(),
        "{pp}"
    );
    let ll: Vec<f64> = s
        .chunks(5)
        .map(|t| task.log_likelihood_grad(t, &x).unwrap().0)
        .collect();
    assert!(ll.iter().all(|v| v.is_finite()));
}

#[test]
fn runner_rejects_bad_requests() {
    let tm = TwoMoons::new();
    let bad = |cfg: RunConfig| run(&tm, &cfg).is_err();
    assert!(bad(RunConfig {
        method: Method::Scandal,
        sims: 100,
        ..RunConfig::default()
    }));
    assert!(bad(RunConfig {
        sims: 5,
        ..RunConfig::default()
    }));
    assert!(bad(RunConfig {
        observations: vec![11],
        sims: 20,
        max_epochs: 1,
        posterior_samples: 20,
        ..RunConfig::default()
    }));
    assert!("abc".parse::<Method>().is_err());
    for m in Method::ALL {
        assert_eq!(m.name().parse::<Method>().unwrap(), m);
    }
    assert!(TaskRegistry::new().create("abc").is_err());
}

#[test]
#[ignore = "about 20 s in release: the two_moons NPE cell of the C2ST table"]
fn two_moons_npe_meets_the_sbibm_reference_at_ten_thousand_simulations() {
    // sbibm's NPE C2ST at 10⁴ simulations is 0.606 (mean over its 10 observations,
    // shared/reference/sbi-tasks.md); observation 1 is the same data here. Measured: 0.567.
    let r = run(
        &TwoMoons::new(),
        &RunConfig {
            method: Method::Npe,
            sims: 10_000,
            ..RunConfig::default()
        },
    )
    .unwrap();
    assert!(r.c2st <= 0.606, "{r:?}");
}

#[test]
fn ratio_loss_with_several_negatives_has_exact_gradients_and_needs_one() {
    // K marginal pairs per joint pair: the loss is still differentiated exactly.
    let task = TwoMoons::new();
    let set = simulate_set(&task, 64, 4, false).unwrap();
    let rc = RatioConfig {
        hidden: vec![8, 8],
        negatives: 3,
        ..RatioConfig::default()
    };
    let pb = RatioEstimator::problem(&set, task.prior(), 2, &rc).unwrap();
    check_loss_gradient(pb.loss.as_ref(), &pb.template.params_f64());
    let none = RatioConfig {
        negatives: 0,
        ..rc.clone()
    };
    assert!(RatioEstimator::fit(&set, task.prior(), 2, &none).is_err());
}

#[test]
fn flow_selection_keeps_the_candidate_with_the_lowest_validation_loss() {
    // gaussian_linear's posterior N(x/2, 0.05·I) is Gaussian: the regularised affine flow fits
    // held-out simulations better than the spline flow (measured at 10³ and 10⁴ simulations with
    // `cargo run --release --example flow_heldout`), so selection must keep it.
    let task = GaussianLinear::new();
    let set = simulate_set(&task, 2000, 6, false).unwrap();
    let mut candidates = FlowEstimatorConfig::default_candidates();
    for c in &mut candidates {
        c.layers = c.layers.min(4);
        c.hidden = vec![32, 32];
        c.fit.epochs = 40;
    }
    let (npe, sel) = NpeEstimator::fit_selected(&set, task.prior(), 10, &candidates).unwrap();
    let best = (0..2)
        .min_by(|&a, &b| sel.validation_nll[a].total_cmp(&sel.validation_nll[b]))
        .unwrap();
    assert_eq!(sel.chosen, best, "{sel:?}");
    assert_eq!(sel.chosen, 1, "the affine flow should win: {sel:?}");
    // The kept flow is exactly the one a direct fit of that candidate gives.
    let (direct, report) = NpeEstimator::fit(&set, task.prior(), 10, &candidates[1]).unwrap();
    assert_eq!(report, sel.report);
    let x = task.observation(1).unwrap().x;
    let th = task.prior().sample(20, 3);
    assert_eq!(
        npe.log_prob(&th, &x).unwrap(),
        direct.log_prob(&th, &x).unwrap()
    );
    // Selection needs candidates compared on the same held-out rows.
    assert!(NpeEstimator::fit_selected(&set, task.prior(), 10, &[]).is_err());
    let mut other_seed = candidates.clone();
    other_seed[1].fit.seed = 9;
    assert!(NleEstimator::fit_selected(&set, task.prior(), 10, &other_seed).is_err());
    let mut no_split = candidates.clone();
    no_split
        .iter_mut()
        .for_each(|c| c.fit.validation_fraction = 0.0);
    assert!(NpeEstimator::fit_selected(&set, task.prior(), 10, &no_split).is_err());
}

#[test]
fn run_report_prints_the_text_of_diffhep_sbi() {
    let mut r = super::run::RunReport {
        task: "two_moons".into(),
        method: "npe".into(),
        sims: 1000,
        seed: 0,
        observations: vec![1, 2],
        c2st: 0.5785,
        c2st_per_observation: vec![0.578, 0.579],
        simulate_seconds: 0.001,
        train_seconds: 4.02,
        epochs: 168,
        selected_flow: Some("affine × 8".into()),
        sample_seconds: 0.0115,
        samples_per_second: 87009.4,
        reference_seconds: 0.0,
        coverage_error: None,
        coverage: None,
        sbc_ks: None,
    };
    let timings = "timings: simulate 0.00 s, train 4.02 s (168 epochs), sample 0.01 s \
                   (87009 samples/s), reference 0.00 s";
    assert_eq!(
        r.to_string(),
        format!(
            "task two_moons  method npe  sims 1000  seed 0\n  observation  1: C2ST 0.578\n  \
             observation  2: C2ST 0.579\nC2ST (mean over observations) 0.579   (0.5 = \
             indistinguishable from the reference)\nflow kept by validation loss: affine × 8\n\
             {timings}"
        )
    );
    r.selected_flow = None;
    r.coverage_error = Some(0.05);
    r.sbc_ks = Some(0.125);
    assert!(r.to_string().contains(
        "reference)\nexpected coverage: max |coverage − level| 0.050; SBC rank KS statistic \
         0.125\ntimings"
    ));
}
