use super::metrics::{auc, ks_distance, mean_and_se};
use super::toy::{self, ToyOutcome, ToyStudy, ENTROPY_STD_NORMAL};
use super::*;
use crate::gradcheck::ridders;
use crate::nn::Activation;
use crate::stochastic::rng::counter_uniform;

/// Assert that `ad` equals Ridders' derivative of `f` at 0 (tolerance ten times its error
/// estimate plus 1e-8).
fn assert_matches_ridders(ad: f64, f: impl FnMut(f64) -> f64, h0: f64, what: &str) {
    let (fd, err) = ridders(f, 0.0, h0);
    assert!(
        (ad - fd).abs() < 1e-8 + 10.0 * err,
        "{what}: {ad} vs {fd} (± {err})"
    );
}

/// Small smooth networks and a batch of toy events for the derivative checks.
fn smooth_setup() -> (Classifier, Adversary, PivotData) {
    let c = Classifier::new(2, &[6, 5], Activation::Tanh, 3).unwrap();
    let a = Adversary::new(3, &[7], Activation::Tanh, 4).unwrap();
    let d = toy::sample(12, 5).unwrap();
    (c, a, d)
}

#[test]
fn value_function_gradient_matches_finite_differences() {
    let (c, a, d) = smooth_setup();
    for events in [AdversaryEvents::All, AdversaryEvents::Signal] {
        let mask: Vec<bool> = d.y().iter().map(|&y| events.sees(y)).collect();
        if events == AdversaryEvents::Signal {
            // Both kinds of events in the batch: the mask matters.
            assert!(mask.iter().any(|&m| m) && mask.iter().any(|&m| !m));
        }
        let lambda = 2.5;
        let value = |c: &Classifier| {
            c.value_and_grad(&a, d.x(), d.y(), d.z(), &mask, lambda)
                .unwrap()
                .0
        };
        let (terms, g) = c
            .value_and_grad(&a, d.x(), d.y(), d.z(), &mask, lambda)
            .unwrap();
        // The reported value is L_f − λ L_r with L_r the adversary's own loss on the seen events.
        let s = c.scores(d.x()).unwrap();
        let seen: Vec<usize> = (0..d.len()).filter(|&i| mask[i]).collect();
        let lr = a
            .terms(
                &seen.iter().map(|&i| s[i]).collect::<Vec<_>>(),
                &seen.iter().map(|&i| d.z()[i]).collect::<Vec<_>>(),
            )
            .unwrap()
            .loss;
        assert_eq!(terms.adversary_loss, lr);
        assert!((terms.value - (terms.classifier_loss - lambda * lr)).abs() < 1e-15);
        assert!(lr > 0.0 && terms.classifier_loss > 0.0);
        let p0 = c.params();
        assert_eq!(g.len(), p0.len());
        for k in 0..p0.len() {
            let f = |h: f64| {
                let mut p = p0.clone();
                p[k] += h;
                let mut c2 = c.clone();
                c2.set_params(&p).unwrap();
                value(&c2).value
            };
            assert_matches_ridders(g[k], f, 1e-2, &format!("{events:?}: ∂E/∂θ_f[{k}]"));
        }
    }
}

#[test]
fn adversary_gradients_match_finite_differences() {
    let (c, a, d) = smooth_setup();
    let s = c.scores(d.x()).unwrap();
    let t = a.terms(&s, d.z()).unwrap();
    let lp = a.log_density(&s, d.z()).unwrap();
    let (mean, _) = mean_and_se(&t.per_event);
    assert!((t.loss - mean).abs() < 1e-12);
    assert!(lp
        .iter()
        .zip(&t.per_event)
        .all(|(l, n)| (l + n).abs() < 1e-12));
    let p0 = a.params();
    for k in 0..p0.len() {
        let f = |h: f64| {
            let mut p = p0.clone();
            p[k] += h;
            let mut a2 = a.clone();
            a2.set_params(&p).unwrap();
            a2.terms(&s, d.z()).unwrap().loss
        };
        assert_matches_ridders(t.param_grad[k], f, 1e-2, &format!("∂L_r/∂θ_r[{k}]"));
    }
    for i in 0..s.len() {
        let f = |h: f64| {
            let mut s2 = s.clone();
            s2[i] += h;
            a.terms(&s2, d.z()).unwrap().loss
        };
        assert_matches_ridders(t.score_grad[i], f, 1e-2, &format!("∂L_r/∂s[{i}]"));
    }
}

/// A schedule small enough for the debug test suite.
fn fast_config(lambda: f64) -> PivotConfig {
    PivotConfig {
        lambda,
        adversary_steps: 4,
        batch_size: 100,
        epochs: 4,
        pretrain_classifier_epochs: 4,
        pretrain_adversary_epochs: 4,
        final_adversary_epochs: 4,
        classifier: NetConfig {
            hidden: vec![10, 10],
            activation: Activation::Tanh,
        },
        adversary: NetConfig {
            hidden: vec![10],
            activation: Activation::Tanh,
        },
        components: 3,
        classifier_lr: 5e-3,
        adversary_lr: 2e-2,
        adversary_events: AdversaryEvents::All,
        seed: 7,
    }
}

const FAST_STUDY: ToyStudy = ToyStudy {
    train: 1500,
    eval: 6000,
    per_z: 1500,
    data_seed: 11,
};

/// Compare λ = 0 and λ > 0 runs sharing the networks' seed and every sample: the adversary's
/// loss moves up towards H(Z), the scores' dependence on Z shrinks, the AUC pays a little.
fn check_pivot_against_plain(plain: &ToyOutcome, pivot: &ToyOutcome, min_auc: f64) {
    let h = ENTROPY_STD_NORMAL;
    let (lp, lq) = (plain.eval.adversary_loss, pivot.eval.adversary_loss);
    // Paired difference on the same evaluation events.
    let (dm, dse) = pivot.adversary_loss_minus(plain);
    eprintln!(
        "L_r: λ=0 {lp:.4} ± {:.4}, λ>0 {lq:.4} ± {:.4}, paired difference {dm:.4} ± {dse:.4}; \
         AUC {:.4} vs {:.4}; KS max {:.3} vs {:.3} (critical {:.3})",
        plain.eval.adversary_loss_se,
        pivot.eval.adversary_loss_se,
        plain.eval.auc,
        pivot.eval.auc,
        plain.independence.ks_max,
        pivot.independence.ks_max,
        pivot.independence.ks_critical_95
    );
    assert!(dm > 3.0 * dse, "L_r rises: {dm} ± {dse}");
    assert!(
        (h - lq).abs() < (h - lp).abs(),
        "closer to H(Z): {lq} vs {lp}"
    );
    // Out of sample an adversary cannot beat the prior's entropy when f(X) ⟂ Z, nor by more
    // than noise otherwise; the plain classifier's dependence lets it beat it clearly.
    assert!(
        lq > h - 3.0 * pivot.eval.adversary_loss_se,
        "{lq} vs H(Z) {h}"
    );
    assert!(
        lp < h - 2.0 * plain.eval.adversary_loss_se,
        "{lp} vs H(Z) {h}"
    );
    assert!(pivot.independence.ks_max < plain.independence.ks_max);
    assert!(plain.independence.ks_max > plain.independence.ks_critical_95);
    assert!(
        pivot.eval.auc > min_auc,
        "AUC with λ > 0: {}",
        pivot.eval.auc
    );
    assert!(pivot.eval.auc < plain.eval.auc);
}

#[test]
fn adversarial_training_moves_the_adversary_loss_towards_the_entropy() {
    let plain = toy::run(&fast_config(0.0), &FAST_STUDY, |_| ()).unwrap();
    let pivot = toy::run(&fast_config(50.0), &FAST_STUDY, |_| ()).unwrap();
    check_pivot_against_plain(&plain, &pivot, 0.75);
}

/// The example's full schedule and samples (`PivotConfig::default()`, λ = 50; half a minute
/// in release, about 17 minutes in debug; run with `--ignored`).
#[test]
#[ignore]
fn full_toy_study_reaches_the_entropy() {
    let cfg = PivotConfig::default();
    let study = ToyStudy {
        train: 20_000,
        eval: 20_000,
        per_z: 10_000,
        data_seed: 1,
    };
    let plain = toy::run(
        &PivotConfig {
            lambda: 0.0,
            ..cfg.clone()
        },
        &study,
        |_| (),
    )
    .unwrap();
    let pivot = toy::run(&cfg, &study, |_| ()).unwrap();
    // x₁ alone is a pivot (independent of Z) with AUC Φ(1/√2) ≈ 0.760 (x₁|Y ~ N(Y, 1)): the
    // adversarially trained classifier must do at least as well.
    use statrs::distribution::{ContinuousCDF, Normal};
    let trivial_pivot_auc = Normal::new(0.0, 1.0).unwrap().cdf(0.5f64.sqrt());
    check_pivot_against_plain(&plain, &pivot, trivial_pivot_auc);
    // A statistically perfect pivot at this sample size: no pair of the samples at
    // Z = −1, 0, +1 differs at the 5 % level.
    assert!(pivot.independence.ks_max < pivot.independence.ks_critical_95);
    // Within three standard errors of H(Z).
    let e = &pivot.eval;
    assert!((e.adversary_loss - ENTROPY_STD_NORMAL).abs() < 3.0 * e.adversary_loss_se);
}

#[test]
fn same_seed_same_numbers_and_pretraining_does_not_depend_on_lambda() {
    let study = ToyStudy {
        train: 300,
        eval: 300,
        per_z: 200,
        data_seed: 2,
    };
    let cfg = PivotConfig {
        epochs: 1,
        pretrain_classifier_epochs: 1,
        pretrain_adversary_epochs: 1,
        final_adversary_epochs: 1,
        ..fast_config(3.0)
    };
    let a = toy::run(&cfg, &study, |_| ()).unwrap();
    let b = toy::run(&cfg, &study, |_| ()).unwrap();
    assert_eq!(a, b);
    let other_seed = toy::run(
        &PivotConfig {
            seed: 8,
            ..cfg.clone()
        },
        &study,
        |_| (),
    )
    .unwrap();
    assert_ne!(a.eval, other_seed.eval);
    let plain = toy::run(&PivotConfig { lambda: 0.0, ..cfg }, &study, |_| ()).unwrap();
    for phase in [Phase::PretrainClassifier, Phase::PretrainAdversary] {
        let pick = |o: &ToyOutcome| -> Vec<(f64, f64, f64)> {
            o.history
                .iter()
                .filter(|r| r.phase == phase)
                .map(|r| (r.eval.classifier_loss, r.eval.adversary_loss, r.eval.auc))
                .collect()
        };
        assert_eq!(pick(&a), pick(&plain));
    }
    assert_ne!(a.eval.auc, plain.eval.auc);
    assert_eq!(a.history.len(), 4);
}

#[test]
fn bad_settings_are_errors() {
    let data = toy::sample(50, 1).unwrap();
    let bad = |cfg: PivotConfig| PivotTrainer::new(cfg, data.clone()).unwrap_err();
    let base = fast_config(1.0);
    for (cfg, name) in [
        (
            PivotConfig {
                lambda: -1.0,
                ..base.clone()
            },
            "lambda",
        ),
        (
            PivotConfig {
                lambda: f64::NAN,
                ..base.clone()
            },
            "lambda",
        ),
        (
            PivotConfig {
                lambda: f64::INFINITY,
                ..base.clone()
            },
            "lambda",
        ),
        (
            PivotConfig {
                adversary_steps: 0,
                ..base.clone()
            },
            "adversary_steps (K)",
        ),
        (
            PivotConfig {
                batch_size: 0,
                ..base.clone()
            },
            "batch_size",
        ),
        (
            PivotConfig {
                epochs: 0,
                ..base.clone()
            },
            "epochs",
        ),
        (
            PivotConfig {
                components: 0,
                ..base.clone()
            },
            "components",
        ),
        (
            PivotConfig {
                classifier_lr: 0.0,
                ..base.clone()
            },
            "classifier_lr",
        ),
        (
            PivotConfig {
                adversary_lr: f64::NAN,
                ..base.clone()
            },
            "adversary_lr",
        ),
    ] {
        match bad(cfg) {
            PivotError::BadSetting { name: n, .. } => assert_eq!(n, name),
            e => panic!("{name}: {e}"),
        }
    }
    let mut cfg = base.clone();
    cfg.adversary.hidden = vec![4, 0];
    assert_eq!(
        bad(cfg),
        PivotError::ZeroWidth {
            which: "adversary",
            layer: 1
        }
    );
    let mut cfg = base.clone();
    cfg.classifier.hidden = vec![0];
    assert!(matches!(
        bad(cfg),
        PivotError::ZeroWidth {
            which: "classifier",
            layer: 0
        }
    ));
    let mut cfg = base.clone();
    cfg.classifier.activation = Activation::LeakyRelu(f64::NAN);
    assert!(matches!(bad(cfg), PivotError::BadSetting { .. }));
    assert!(Adversary::new(0, &[3], Activation::Relu, 0).is_err());
    assert!(Classifier::new(2, &[3, 0], Activation::Relu, 0).is_err());
    // Messages name the setting.
    let msg = bad(PivotConfig {
        lambda: -2.0,
        ..base.clone()
    })
    .to_string();
    assert!(msg.contains("lambda") && msg.contains("-2"), "{msg}");
    // One class only, or no events for a class-conditional adversary.
    let one_class = PivotData::new(vec![0.0; 6], 2, vec![1.0; 3], vec![0.0; 3]).unwrap();
    assert!(matches!(
        PivotTrainer::new(base.clone(), one_class),
        Err(PivotError::Data(_))
    ));
    let t = PivotTrainer::new(
        PivotConfig {
            adversary_events: AdversaryEvents::Background,
            ..base.clone()
        },
        data.clone(),
    )
    .unwrap();
    let signal_only = PivotData::new(vec![0.0; 4], 2, vec![1.0; 2], vec![0.0; 2]).unwrap();
    assert!(matches!(t.evaluate(&signal_only), Err(PivotError::Data(_))));
    let three_features = PivotData::new(vec![0.0; 6], 3, vec![1.0, 0.0], vec![0.0; 2]).unwrap();
    assert!(matches!(
        t.evaluate(&three_features),
        Err(PivotError::Dimension(_))
    ));
}

#[test]
fn bad_data_are_errors() {
    assert!(matches!(
        PivotData::new(vec![0.0; 5], 2, vec![0.0; 3], vec![0.0; 3]),
        Err(PivotError::Dimension(_))
    ));
    assert!(matches!(
        PivotData::new(vec![0.0; 6], 2, vec![0.0; 3], vec![0.0; 2]),
        Err(PivotError::Dimension(_))
    ));
    assert!(matches!(
        PivotData::new(vec![0.0; 6], 2, vec![0.0, 0.5, 1.0], vec![0.0; 3]),
        Err(PivotError::Data(_))
    ));
    assert!(matches!(
        PivotData::new(vec![0.0, f64::NAN], 2, vec![0.0], vec![0.0]),
        Err(PivotError::Data(_))
    ));
    assert!(matches!(
        PivotData::new(vec![0.0; 2], 2, vec![0.0], vec![f64::INFINITY]),
        Err(PivotError::Data(_))
    ));
    assert!(matches!(
        PivotData::new(vec![], 2, vec![], vec![]),
        Err(PivotError::Data(_))
    ));
    assert!(toy::sample(1, 0).is_err());
    assert!(toy::sample_at(10, f64::NAN, 0).is_err());
    let (c, a, d) = smooth_setup();
    assert!(a.terms(&[0.5, 0.2], &[0.1]).is_err());
    assert!(a.terms(&[], &[]).is_err());
    assert!(c
        .value_and_grad(&a, d.x(), d.y(), &d.z()[1..], &vec![true; d.len()], 1.0)
        .is_err());
    assert!(auc(&[0.1, 0.2], &[1.0, 1.0]).is_err());
    assert!(auc(&[0.1, f64::NAN], &[1.0, 0.0]).is_err());
    assert!(ks_distance(&[], &[1.0]).is_err());
    assert!(Independence::new(&[(0.0, vec![0.5])]).is_err());
}

/// Brute-force AUC over all signal–background pairs.
fn pair_auc(s: &[f64], y: &[f64]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..s.len() {
        for j in 0..s.len() {
            if y[i] == 1.0 && y[j] == 0.0 {
                den += 1.0;
                num += if s[i] > s[j] {
                    1.0
                } else if s[i] == s[j] {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    num / den
}

/// Brute-force KS distance: the largest CDF difference at every sample value.
fn scan_ks(a: &[f64], b: &[f64]) -> f64 {
    let cdf = |v: &[f64], t: f64| v.iter().filter(|&&x| x <= t).count() as f64 / v.len() as f64;
    a.iter()
        .chain(b)
        .map(|&t| (cdf(a, t) - cdf(b, t)).abs())
        .fold(0.0, f64::max)
}

#[test]
fn auc_and_ks_equal_their_definitions() {
    // Scores rounded to a coarse grid so that ties occur.
    let n = 60;
    let s: Vec<f64> = (0..n)
        .map(|i| (counter_uniform(3, 1, i, 0) * 8.0).floor() / 8.0)
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            if counter_uniform(3, 2, i, 0) < 0.4 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    assert!((auc(&s, &y).unwrap() - pair_auc(&s, &y)).abs() < 1e-12);
    let flipped: Vec<f64> = s.iter().map(|v| -v).collect();
    assert!((auc(&flipped, &y).unwrap() - (1.0 - pair_auc(&s, &y))).abs() < 1e-12);
    assert_eq!(auc(&[0.1, 0.9], &[0.0, 1.0]).unwrap(), 1.0);
    assert_eq!(auc(&[0.3, 0.3], &[0.0, 1.0]).unwrap(), 0.5);
    let (a, b) = s.split_at(25);
    assert!((ks_distance(a, b).unwrap() - scan_ks(a, b)).abs() < 1e-12);
    assert_eq!(ks_distance(a, a).unwrap(), 0.0);
    assert_eq!(ks_distance(&[0.0, 1.0], &[2.0, 3.0]).unwrap(), 1.0);
    let ind =
        Independence::new(&[(-1.0, a.to_vec()), (0.0, b.to_vec()), (1.0, a.to_vec())]).unwrap();
    assert_eq!(ind.ks.len(), 3);
    assert_eq!(ind.ks[1].2, 0.0);
    assert_eq!(ind.ks_max, ind.ks[0].2);
    assert_eq!(ind.mean_score[0], ind.mean_score[2]);
}

#[test]
fn toy_sample_has_the_papers_moments() {
    let d = toy::sample(20_000, 4).unwrap();
    let class = |label: f64| -> Vec<[f64; 3]> {
        (0..d.len())
            .filter(|&i| d.y()[i] == label)
            .map(|i| [d.x()[2 * i], d.x()[2 * i + 1], d.z()[i]])
            .collect()
    };
    let within = |v: Vec<f64>, expected: f64, what: &str| {
        let (m, se) = mean_and_se(&v);
        assert!(
            (m - expected).abs() < 4.0 * se,
            "{what}: {m} ± {se} vs {expected}"
        );
    };
    let (c0, c1) = (class(0.0), class(1.0));
    let frac = c1.len() as f64 / d.len() as f64;
    assert!((frac - 0.5).abs() < 4.0 * (0.25 / d.len() as f64).sqrt());
    // Y = 0: means 0, unit variances, covariance −½.
    within(c0.iter().map(|e| e[0]).collect(), 0.0, "x₁|Y=0");
    within(c0.iter().map(|e| e[1]).collect(), 0.0, "x₂|Y=0");
    within(c0.iter().map(|e| e[0] * e[0]).collect(), 1.0, "x₁²|Y=0");
    within(c0.iter().map(|e| e[1] * e[1]).collect(), 1.0, "x₂²|Y=0");
    within(c0.iter().map(|e| e[0] * e[1]).collect(), -0.5, "x₁x₂|Y=0");
    // Y = 1: x₁ − 1 and x₂ − 1 − Z standard normal, independent.
    within(c1.iter().map(|e| e[0]).collect(), 1.0, "x₁|Y=1");
    within(
        c1.iter().map(|e| e[1] - 1.0 - e[2]).collect(),
        0.0,
        "x₂−1−Z|Y=1",
    );
    within(
        c1.iter().map(|e| (e[1] - 1.0 - e[2]).powi(2)).collect(),
        1.0,
        "(x₂−1−Z)²|Y=1",
    );
    within(
        c1.iter()
            .map(|e| (e[0] - 1.0) * (e[1] - 1.0 - e[2]))
            .collect(),
        0.0,
        "cov|Y=1",
    );
    // Z ~ N(0, 1) for every event, independent of the label.
    within(d.z().to_vec(), 0.0, "Z");
    within(d.z().iter().map(|z| z * z).collect(), 1.0, "Z²");
    within(c0.iter().map(|e| e[2]).collect(), 0.0, "Z|Y=0");
    // At a fixed nuisance value only the signal's x₂ moves.
    let at = toy::sample_at(4000, 2.0, 9).unwrap();
    assert!(at.z().iter().all(|&z| z == 2.0));
    let x2_sig: Vec<f64> = (0..at.len())
        .filter(|&i| at.y()[i] == 1.0)
        .map(|i| at.x()[2 * i + 1])
        .collect();
    within(x2_sig, 3.0, "x₂|Y=1,Z=2");
    // The entropy constant.
    let h = 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln();
    assert!((ENTROPY_STD_NORMAL - h).abs() < 1e-15);
}
