//! Tests of the design study: derivatives against Ridders' finite differences with common random
//! numbers, configuration errors, determinism across thread counts, bit-identical resume.

use diffhep::gradcheck::ridders;
use diffhep::stochastic::rng::child_key;
use num_dual::{Derivative, DualSVec64};

use super::objectives::ObjectiveKind;
use super::tracker::{impact_terms, sigmas};
use super::*;

/// The default study with small samples and few steps.
fn tiny() -> StudyConfig {
    let mut c = StudyConfig::default_study();
    c.sample.vertex_events = 200;
    c.sample.shower_samples = 20;
    c.sample.eval_vertex_events = 300;
    c.sample.eval_shower_samples = 200;
    c.optimizer.steps = 3;
    c
}

/// `|a − b| ≤ tol·max(|a|, |b|, floor)`.
fn close(a: f64, b: f64, tol: f64, floor: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(floor)
}

#[test]
fn resolution_parametrisation_derivatives_match_ridders() {
    let study = Study::new(StudyConfig::default_study()).unwrap();
    let tr = study.tracker();
    type D = DualSVec64<2>;
    let (r0, x, p, theta) = (42.0, 0.015, 3.0, 1.1);
    let seed = |v: f64, k: usize| {
        let mut e = nalgebra::SVector::<f64, 2>::zeros();
        e[k] = 1.0;
        D::new(v, Derivative::some(e))
    };
    let s = sigmas(tr, &[seed(r0, 0), seed(x, 1)], p, theta);
    for (k, scale) in [(0, r0), (1, x)] {
        for (out, sig) in s.iter().enumerate().take(2) {
            let f = |v: f64| {
                let d = if k == 0 { [v, x] } else { [r0, v] };
                sigmas(tr, &d, p, theta)[out]
            };
            let (fd, err) = ridders(f, scale, 0.05 * scale);
            let ad = sig.eps.unwrap_generic(nalgebra::Const::<2>, nalgebra::U1)[k];
            assert!(
                close(ad, fd, 1e-8, 1e-12),
                "σ[{out}] wrt {k}: {ad} vs {fd} ± {err}"
            );
        }
    }
    // Closed form of the intrinsic term: ∂a/∂r0 = σ_hit (2 r0 + ℓ) / (ℓ √(r0² + (r0+ℓ)²)).
    let (l, sh) = (tr.lever_arm, tr.hit_resolution);
    let (a, _) = impact_terms(tr, seed(r0, 0), D::from(x));
    let exact = sh * (2.0 * r0 + l) / (l * (r0 * r0 + (r0 + l).powi(2)).sqrt());
    let ad = a.eps.unwrap_generic(nalgebra::Const::<2>, nalgebra::U1)[0];
    assert!(close(ad, exact, 1e-13, 0.0), "{ad} vs {exact}");
}

#[test]
fn vertex_gradient_matches_ridders_with_common_random_numbers() {
    let study = Study::new(StudyConfig::default_study()).unwrap();
    let design = [45.0, 0.02];
    let (jets, seed) = (64, 5);
    let (sum, grad, ok) = study.vertex_sums(design, seed, jets, true);
    assert_eq!(ok, jets, "all fits converge");
    for k in 0..2 {
        let f = |v: f64| {
            let mut d = design;
            d[k] = v;
            let (s, _, n) = study.vertex_sums(d, seed, jets, false);
            assert_eq!(n, jets);
            s
        };
        assert_eq!(f(design[k]), sum, "value path and gradient path agree");
        let (fd, err) = ridders(f, design[k], 0.02 * design[k]);
        assert!(
            close(grad[k], fd, 1e-6, 0.0),
            "∂Σ|Δv|²/∂θ{k}: implicit {} vs Ridders {fd} ± {err}",
            grad[k]
        );
    }
}

#[test]
fn cost_gradient_matches_ridders() {
    let study = Study::new(StudyConfig::default_study()).unwrap();
    let theta = vec![37.0, 0.012, 0.8, 1.3, 2.0, 0.5, 1.0, 1.7];
    let (_, g) = study.cost(&theta);
    for k in 0..theta.len() {
        let f = |v: f64| {
            let mut t = theta.clone();
            t[k] = v;
            study.cost(&t).0
        };
        let (fd, err) = ridders(f, theta[k], 0.05 * theta[k]);
        assert!(
            close(g[k], fd, 1e-9, 1e-12),
            "k={k}: {} vs {fd} ± {err}",
            g[k]
        );
    }
}

#[test]
fn objective_gradient_tracker_part_matches_ridders_of_the_sample_objective() {
    // With the gradient sample's jets fixed (common random numbers), the tracker components of
    // ∂J/∂θ are the exact derivatives of physics(σ_v, σ_E) + cost on that sample (σ_E held at
    // the gradient sample's value), for every objective kind.
    for kind in ObjectiveKind::ALL {
        let mut config = tiny();
        config.objective.kind = kind;
        let study = Study::new(config).unwrap();
        let theta = vec![48.0, 0.025, 1.0, 1.1, 0.9, 1.0, 1.2, 0.8];
        let seed = 17;
        let g = study.gradient(&theta, seed).unwrap();
        let jets = study.config().sample.vertex_events;
        let sample_j = |t: &[f64]| {
            let (s, _, n) = study.vertex_sums([t[0], t[1]], child_key(seed, 0), jets, false);
            assert_eq!(n, jets);
            study.combine(
                (s / n as f64).sqrt() * 1e3,
                g.energy_resolution,
                study.cost(t).0,
            )
        };
        for k in 0..2 {
            let f = |v: f64| {
                let mut t = theta.clone();
                t[k] = v;
                sample_j(&t)
            };
            let (fd, err) = ridders(f, theta[k], 0.02 * theta[k]);
            assert!(
                close(g.gradient[k], fd, 1e-6, 0.0),
                "{}: ∂J/∂θ{k}: {} vs {fd} ± {err}",
                kind.name(),
                g.gradient[k]
            );
        }
    }
}

#[test]
fn same_seed_same_numbers_at_one_and_two_threads() {
    let study = Study::new(tiny()).unwrap();
    let theta = study.config().initial_design();
    let at = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                (
                    study.gradient(&theta, 9).unwrap(),
                    study.evaluate(&theta).unwrap(),
                )
            })
    };
    let (g1, e1) = at(1);
    let (g2, e2) = at(2);
    assert_eq!(g1, g2);
    assert_eq!(e1, e2);
    let other = study.gradient(&theta, 10).unwrap();
    assert_ne!(g1.gradient, other.gradient, "another seed, other numbers");
}

#[test]
fn resumed_run_continues_bit_identically() {
    let study = Study::new(tiny()).unwrap();
    let mut straight = study.start().unwrap();
    study.run(&mut straight, &mut []).unwrap();
    assert_eq!(straight.history().len(), 4);

    let mut first = study.start().unwrap();
    study.step(&mut first).unwrap();
    let saved = first.to_json();
    let mut resumed = Checkpoint::from_json(&saved).unwrap();
    study.run(&mut resumed, &mut []).unwrap();
    assert_eq!(resumed.history(), straight.history());
    assert_eq!(resumed.to_json(), straight.to_json());
    // The whole loop state (ln θ, Adam's moments, history) is the same.
    assert_eq!(resumed.design_loop, straight.design_loop);
}

#[test]
fn checkpoint_of_another_configuration_is_refused() {
    let study = Study::new(tiny()).unwrap();
    let mut ck = study.start().unwrap();
    let mut other = tiny();
    other.seed += 1;
    let err = Study::new(other).unwrap().step(&mut ck).unwrap_err();
    assert!(matches!(err, DesignError::Checkpoint(_)), "{err}");
    let err = Checkpoint::from_json("{\"config\": 3}").unwrap_err();
    assert!(matches!(err, DesignError::Checkpoint(_)), "{err}");
    let mut short = ck.clone();
    short.config.calorimeter.layers -= 1;
    let err = Checkpoint::from_json(&short.to_json()).unwrap_err();
    assert!(err.to_string().contains("parameters"), "{err}");
}

#[test]
fn default_config_round_trips_through_toml() {
    let c = StudyConfig::default_study();
    assert_eq!(StudyConfig::from_toml(&c.to_toml()).unwrap(), c);
    assert_eq!(c.initial_design().len(), 2 + c.calorimeter.layers);
    assert_eq!(c.parameter_names().len(), c.initial_design().len());
}

#[test]
fn invalid_configs_name_the_field() {
    let cases: [(&str, &str, &str); 7] = [
        (
            "inner_radius_mm = 60.0",
            "inner_radius_mm = 10.0",
            "tracker.inner_radius_mm",
        ),
        (
            "lever_arm_mm = 40.0",
            "lever_arm_mm = -1.0",
            "tracker.lever_arm_mm",
        ),
        ("layers = 6", "layers = 0", "calorimeter.layers"),
        (
            "energy_scale = 0.1",
            "energy_scale = 0.0",
            "objective.energy_scale",
        ),
        ("steps = 50", "steps = 0", "optimizer.steps"),
        (
            "lever_arm_mm = 40.0",
            "lever_arm_mm = \"wide\"",
            "lever_arm_mm",
        ),
        ("seed = 2024", "seed = 2024\nsede = 1", "sede"),
    ];
    for (from, to, field) in cases {
        assert!(DEFAULT_TOML.contains(from), "{from}");
        let text = DEFAULT_TOML.replacen(from, to, 1);
        let err = StudyConfig::from_toml(&text).unwrap_err().to_string();
        assert!(
            err.contains(field),
            "{to}: error {err:?} does not name {field}"
        );
    }
    let missing = DEFAULT_TOML.replacen("hit_resolution_um = 10.0", "", 1);
    let err = StudyConfig::from_toml(&missing).unwrap_err().to_string();
    assert!(err.contains("hit_resolution_um"), "{err}");
    let err = Study::new(tiny())
        .unwrap()
        .evaluate(&[1.0, -0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
        .unwrap_err();
    assert!(err.to_string().contains("design[1]"), "{err}");
}

#[test]
fn tiny_study_runs_end_to_end_and_keeps_bounds() {
    let study = Study::new(tiny()).unwrap();
    let mut ck = study.start().unwrap();
    // Observers see the loop after each of the 3 steps and once after the last evaluation.
    struct Count(usize);
    impl Observer<Evaluation> for Count {
        fn on_step(&mut self, _: &DesignLoop<Evaluation>) -> Result<(), OptimError> {
            self.0 += 1;
            Ok(())
        }
    }
    let mut seen = Count(0);
    study.run(&mut ck, &mut [&mut seen]).unwrap();
    assert_eq!(seen.0, 4);
    let (lo, hi) = study.config().bounds();
    for r in &ck.history() {
        assert!(r.evaluation.objective.is_finite());
        for ((t, a), b) in r.design.iter().zip(&lo).zip(&hi) {
            assert!(
                *t >= a * (1.0 - 1e-12) && *t <= b * (1.0 + 1e-12),
                "{t} in [{a}, {b}]"
            );
        }
    }
    for r in &ck.history()[1..] {
        assert_eq!(r.gradient.len(), r.design.len());
    }
}

/// Ranks as threads of one process, gathering through shared slots (tests the partition and the
/// ordered reduction without MPI).
#[derive(Debug)]
struct ThreadGroup {
    rank: usize,
    size: usize,
    slots: std::sync::Arc<(std::sync::Mutex<Vec<Vec<f64>>>, std::sync::Barrier)>,
}

impl Exchange for ThreadGroup {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, local: &[f64], counts: &[usize]) -> Vec<f64> {
        assert_eq!(local.len(), counts[self.rank]);
        let (slots, barrier) = &*self.slots;
        slots.lock().unwrap()[self.rank] = local.to_vec();
        barrier.wait();
        let all = slots.lock().unwrap().concat();
        barrier.wait();
        all
    }
}

#[test]
fn shares_of_two_and_three_ranks_give_the_serial_numbers() {
    let serial = {
        let study = Study::new(tiny()).unwrap();
        let mut ck = study.start().unwrap();
        study.run(&mut ck, &mut []).unwrap();
        ck.history()
    };
    for size in [2, 3] {
        let slots = std::sync::Arc::new((
            std::sync::Mutex::new(vec![Vec::new(); size]),
            std::sync::Barrier::new(size),
        ));
        let handles: Vec<_> = (0..size)
            .map(|rank| {
                let group = ThreadGroup {
                    rank,
                    size,
                    slots: slots.clone(),
                };
                std::thread::spawn(move || {
                    let study = Study::new(tiny())
                        .unwrap()
                        .with_exchange(std::sync::Arc::new(group));
                    let mut ck = study.start().unwrap();
                    study.run(&mut ck, &mut []).unwrap();
                    ck.history()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), serial, "{size} ranks");
        }
    }
    assert_eq!(exchange::counts(10, 3, 2), vec![6, 6, 8]);
    assert_eq!(exchange::share(10, 2, 3), 6..10);
}

#[test]
fn shared_shower_estimate_equals_the_triple_estimator() {
    let study = Study::new(tiny()).unwrap();
    let t = vec![0.7, 1.2, 0.9, 1.0, 1.5, 0.6];
    let ours = study.shower_estimate(&t, 30, 4).unwrap();
    let reference = diffhep::stochastic::EstimatorKind::Triple
        .estimate(&study.calorimeter, &t, 30, 4)
        .unwrap();
    assert_eq!(ours.value, reference.value);
    assert_eq!(ours.gradient, reference.gradient);
    assert_eq!(ours.runs, reference.runs);
}

/// Mean and standard error.
fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

#[test]
fn energy_term_gradient_is_unbiased_against_crn_finite_differences() {
    // The energy term is a function of E[(r − 1)²] = q − 2m + 1; its derivative w.r.t. one
    // absorber from stochastic triples (per-sample ∂q − 2∂m) must agree with central finite
    // differences of plain runs with common random numbers, within 4 combined standard errors.
    use diffhep::stochastic::{derivative_estimate, plain_run};
    let study = Study::new(tiny()).unwrap();
    let t = vec![1.0; 6];
    let j = 2;
    let mut e = vec![0.0; 6];
    e[j] = 1.0;
    let triples: Vec<f64> = (0..4000)
        .into_par_iter()
        .map(|i| {
            let d = derivative_estimate(&study.calorimeter, &t, &e, 77, i).unwrap();
            d.derivative[1] - 2.0 * d.derivative[0]
        })
        .collect();
    let h = 0.05;
    let (mut up, mut dn) = (t.clone(), t.clone());
    up[j] += h;
    dn[j] -= h;
    let fd: Vec<f64> = (0..20000)
        .into_par_iter()
        .map(|i| {
            let a = plain_run(&study.calorimeter, &up, 78, i).unwrap()[0];
            let b = plain_run(&study.calorimeter, &dn, 78, i).unwrap()[0];
            ((a - 1.0).powi(2) - (b - 1.0).powi(2)) / (2.0 * h)
        })
        .collect();
    let (a, sa) = mean_se(&triples);
    let (b, sb) = mean_se(&fd);
    assert!(a.abs() > 4.0 * sa, "the derivative is resolved: {a} ± {sa}");
    assert!(
        (a - b).abs() < 4.0 * (sa * sa + sb * sb).sqrt(),
        "triples {a} ± {sa} vs CRN finite differences {b} ± {sb}"
    );
}

#[test]
fn surrogate_fit_recovers_a_linear_function_exactly() {
    let deltas = surrogate::perturbations(12, 4, 0.1, 3);
    let g = [0.5, -1.25, 2.0, 0.125];
    let ys: Vec<f64> = deltas
        .iter()
        .map(|d| 0.75 + d.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    let (c, slope) = surrogate::local_linear_fit(&deltas, &ys).unwrap();
    assert!((c - 0.75).abs() < 1e-12, "{c}");
    for (s, e) in slope.iter().zip(&g) {
        assert!((s - e).abs() < 1e-11, "{s} vs {e}");
    }
    let err = surrogate::local_linear_fit(&deltas[..5], &ys[..5]).unwrap_err();
    assert!(err.to_string().contains("surrogate_points"), "{err}");
    let flat = vec![vec![0.0; 4]; 12];
    let err = surrogate::local_linear_fit(&flat, &ys).unwrap_err();
    assert!(err.to_string().contains("surrogate_spread"), "{err}");
}

#[test]
fn black_box_calorimeter_runs_deterministically_and_checks_its_settings() {
    let mut c = tiny();
    c.calorimeter.black_box = true;
    c.calorimeter.surrogate_points = 10;
    let run = || {
        let study = Study::new(c.clone()).unwrap();
        let mut ck = study.start().unwrap();
        study.run(&mut ck, &mut []).unwrap();
        ck.history()
    };
    let a = run();
    assert_eq!(a, run());
    assert!(a[1].gradient[2..].iter().all(|g| g.is_finite()));
    let mut bad = c.clone();
    bad.calorimeter.surrogate_points = 5;
    let err = Study::new(bad).unwrap_err().to_string();
    assert!(err.contains("calorimeter.surrogate_points"), "{err}");
    let mut bad = c;
    bad.calorimeter.surrogate_spread = 0.0;
    let err = Study::new(bad).unwrap_err().to_string();
    assert!(err.contains("calorimeter.surrogate_spread"), "{err}");
}

#[test]
fn error_messages_are_unchanged_and_keep_their_sources() {
    use std::error::Error as _;
    // A TOML error: "config: {parser's message}", the parser's error as source.
    let text = "seed = \"x\"";
    let toml_err = toml::from_str::<StudyConfig>(text).unwrap_err();
    let e = StudyConfig::from_toml(text).unwrap_err();
    assert_eq!(e.to_string(), format!("config: {toml_err}"));
    assert_eq!(
        e.source().unwrap().downcast_ref::<toml::de::Error>(),
        Some(&toml_err)
    );
    // A JSON error in a checkpoint: "checkpoint: {parser's message}".
    let text = "{\"config\": 3}";
    let json_err = serde_json::from_str::<Checkpoint>(text).unwrap_err();
    let e = Checkpoint::from_json(text).unwrap_err();
    assert_eq!(e.to_string(), format!("checkpoint: {json_err}"));
    match e.source().unwrap().downcast_ref::<CheckpointError>() {
        Some(CheckpointError::Json(inner)) => assert_eq!(inner.to_string(), json_err.to_string()),
        other => panic!("expected the JSON error as source, got {other:?}"),
    }
    // A checkpoint that does not fit.
    let study = Study::new(tiny()).unwrap();
    let mut ck = study.start().unwrap();
    let mut other = tiny();
    other.seed += 1;
    let e = Study::new(other).unwrap().step(&mut ck).unwrap_err();
    assert_eq!(
        e.to_string(),
        "checkpoint: the checkpoint was written with another configuration"
    );
    let e = DesignError::NoVertices { jets: 12 };
    assert_eq!(e.to_string(), "no vertex fit converged in 12 jets");
}
