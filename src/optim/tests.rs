use super::*;
use crate::error::DimensionMismatch;
use crate::gradcheck::{assert_gradient, ridders};
use crate::nn::{Adam, AdamConfig, LrSchedule, Sgd};
use crate::stochastic::rng::counter_uniform;

/// Mean of `n` standard-normal draws shifted by `mu`, for step `step` of seed `seed`.
fn noisy_mean(seed: u64, step: usize, n: usize, mu: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let u1 = counter_uniform(seed, step as u64, i as u64, 0);
        let u2 = counter_uniform(seed, step as u64, i as u64, 1);
        s += mu + (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    }
    s / n as f64
}

fn adam(n: usize, lr: f64) -> Stepper {
    Stepper::Adam(Adam::new(n, AdamConfig::with_lr(lr)).unwrap())
}

#[test]
fn bad_bounds_and_starts_are_errors() {
    let e = Bounds::new(vec![0.0, 2.0], vec![1.0, 1.0]).unwrap_err();
    assert_eq!(
        e,
        OptimError::Bounds {
            index: 1,
            lo: 2.0,
            hi: 1.0
        }
    );
    assert!(e.to_string().contains("lo = 2"));
    assert!(matches!(
        Bounds::new(vec![f64::NAN], vec![1.0]).unwrap_err(),
        OptimError::Bounds { index: 0, .. }
    ));
    assert!(matches!(
        Bounds::new(vec![0.0], vec![1.0, 2.0]).unwrap_err(),
        OptimError::Dimension(DimensionMismatch { .. })
    ));
    let b = Bounds::new(vec![0.0], vec![1.0]).unwrap();
    let e = DesignLoop::<()>::new(
        &[1.5],
        b.clone(),
        BoundMode::Projection,
        adam(1, 0.1),
        StopRule::steps(3),
    );
    assert_eq!(
        e.unwrap_err(),
        OptimError::OutOfBounds {
            index: 0,
            value: 1.5
        }
    );
    // On the edge is fine for projection but not for the reparameterisation (u = ∞).
    assert!(DesignLoop::<()>::new(
        &[1.0],
        b.clone(),
        BoundMode::Projection,
        adam(1, 0.1),
        StopRule::steps(3)
    )
    .is_ok());
    assert!(DesignLoop::<()>::new(
        &[1.0],
        b.clone(),
        BoundMode::Reparameterisation,
        adam(1, 0.1),
        StopRule::steps(3)
    )
    .is_err());
    let e = DesignLoop::<()>::new(
        &[0.5],
        b,
        BoundMode::Projection,
        adam(2, 0.1),
        StopRule::steps(3),
    );
    assert!(matches!(
        e.unwrap_err(),
        OptimError::Dimension(DimensionMismatch {
            expected: 2,
            got: 1,
            ..
        })
    ));
}

#[test]
fn reparameterisation_inverts_and_its_jacobian_matches_finite_differences() {
    let b = Bounds::new(
        vec![-1.0, 0.5, f64::NEG_INFINITY, f64::NEG_INFINITY],
        vec![3.0, f64::INFINITY, 2.0, f64::INFINITY],
    )
    .unwrap();
    let theta = [0.7, 4.0, -3.0, 1.25];
    let u = b.to_internal(&theta);
    let back = b.to_external(&u);
    for i in 0..4 {
        assert!((back[i] - theta[i]).abs() < 1e-14);
    }
    let d = b.jacobian_diag(&u);
    for i in 0..4 {
        let (fd, err) = ridders(
            |t| {
                let mut v = u.clone();
                v[i] = t;
                b.to_external(&v)[i]
            },
            u[i],
            0.1,
        );
        assert!(
            (d[i] - fd).abs() <= 1e-10 + 10.0 * err,
            "{i}: {} vs {fd}",
            d[i]
        );
    }
}

#[test]
fn both_bound_modes_find_the_constrained_minimum() {
    // Projection: min (θ − 3)² on [0, 1] is at the edge θ = 1, reached exactly by the clip.
    let b = Bounds::new(vec![0.0], vec![1.0]).unwrap();
    let mut lp = DesignLoop::new(
        &[0.5],
        b.clone(),
        BoundMode::Projection,
        adam(1, 0.1),
        StopRule::steps(100),
    )
    .unwrap();
    let mut f = |t: &[f64], _s: usize| ((t[0] - 3.0).powi(2), vec![2.0 * (t[0] - 3.0)]);
    let out = lp.run(&mut f, &mut []).unwrap();
    assert_eq!(out.reason, StopReason::MaxSteps);
    assert_eq!(out.params[0], 1.0);
    // 100 updates: records 0…100, the last one the value at the returned design.
    assert_eq!(lp.history().records.len(), 101);
    assert_eq!(lp.history().records[100].params, out.params);
    assert!(lp.history().records[100].gradient.is_empty());
    // Reparameterisation: θ(u) never touches the edge (u = ±∞), so it finds an interior
    // minimum, (θ − 0.8)², and every iterate stays strictly inside.
    let mut lp = DesignLoop::new(
        &[0.1],
        b,
        BoundMode::Reparameterisation,
        adam(1, 0.05),
        StopRule::steps(600),
    )
    .unwrap();
    let mut f = |t: &[f64], _s: usize| ((t[0] - 0.8).powi(2), vec![2.0 * (t[0] - 0.8)]);
    let out = lp.run(&mut f, &mut []).unwrap();
    assert!((out.params[0] - 0.8).abs() < 1e-6, "{}", out.params[0]);
    assert!(lp
        .history()
        .records
        .iter()
        .all(|r| r.params[0] > 0.0 && r.params[0] < 1.0));
}

#[test]
fn sgd_on_a_stochastic_objective_settles_within_its_noise() {
    // f(θ) = E (θ − z)², z ~ N(2, 1), estimated from n = 100 draws per step:
    // θ ← (1 − a)θ + a z̄ with a = 2·lr, so the stationary spread of θ is
    // sd = a σ_z̄ / √(1 − (1 − a)²), σ_z̄ = 1/√n.
    let (lr, n) = (0.05, 100);
    let sgd = Stepper::Sgd(Sgd::new(1, lr, 0.0, LrSchedule::Constant).unwrap());
    let mut lp = DesignLoop::new(
        &[-5.0],
        Bounds::unbounded(1),
        BoundMode::Projection,
        sgd,
        StopRule::steps(300),
    )
    .unwrap();
    let mut f = |t: &[f64], step: usize| {
        let zbar = noisy_mean(99, step, n, 2.0);
        ((t[0] - zbar).powi(2), vec![2.0 * (t[0] - zbar)])
    };
    let out = lp.run(&mut f, &mut []).unwrap();
    let a = 2.0 * lr;
    let sd = a * (1.0 / (n as f64).sqrt()) / (1.0 - (1.0 - a) * (1.0 - a)).sqrt();
    assert!(
        (out.params[0] - 2.0).abs() < 5.0 * sd,
        "θ = {} (sd {sd})",
        out.params[0]
    );
}

fn resumable_loop() -> DesignLoop {
    let b = Bounds::new(vec![-2.0, 0.0], vec![2.0, 5.0]).unwrap();
    let cfg = AdamConfig {
        lr: 0.05,
        weight_decay: 0.01,
        schedule: LrSchedule::Exponential { gamma: 0.99 },
        ..AdamConfig::default()
    };
    let st = Stepper::Adam(Adam::new(2, cfg).unwrap());
    DesignLoop::new(
        &[1.0, 1.0],
        b,
        BoundMode::Reparameterisation,
        st,
        StopRule::steps(30),
    )
    .unwrap()
}

fn noisy_bowl(t: &[f64], step: usize) -> (f64, Vec<f64>) {
    let z = noisy_mean(5, step, 10, 0.3);
    let f = (t[0] - z).powi(2) + 0.5 * (t[1] - 1.7).powi(2) * (1.0 + z * z);
    (f, vec![2.0 * (t[0] - z), (t[1] - 1.7) * (1.0 + z * z)])
}

#[test]
fn resumed_run_is_bit_identical() {
    let mut straight = resumable_loop();
    let out = straight.run(&mut noisy_bowl, &mut []).unwrap();

    let mut first = resumable_loop();
    assert_eq!(first.run_for(11, &mut noisy_bowl, &mut []).unwrap(), None);
    let path = std::env::temp_dir().join(format!("diffhep-optim-ckpt-{}.json", std::process::id()));
    first.save(&path).unwrap();
    drop(first);
    let mut resumed = DesignLoop::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let out2 = resumed.run(&mut noisy_bowl, &mut []).unwrap();

    assert_eq!(out2.steps, 30);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&out.params), bits(&out2.params));
    for (a, b) in straight
        .history()
        .records
        .iter()
        .zip(&resumed.history().records)
    {
        assert_eq!(a.objective.to_bits(), b.objective.to_bits());
        assert_eq!(bits(&a.params), bits(&b.params));
    }
    assert_eq!(straight, resumed);
    assert!(
        DesignLoop::<()>::load(std::env::temp_dir().join("diffhep-no-such-ckpt.json")).is_err()
    );
}

/// Requests a stop when the loop reaches `at` updates (as a Ctrl-C handler would).
struct StopAt {
    at: usize,
    flag: crate::interrupt::StopFlag,
    finished: bool,
}

impl Observer<()> for StopAt {
    fn on_step(&mut self, state: &DesignLoop) -> Result<(), OptimError> {
        if state.steps() == self.at {
            self.flag.request();
        }
        Ok(())
    }
    fn on_finish(&mut self, _state: &DesignLoop, _outcome: &Outcome) -> Result<(), OptimError> {
        self.finished = true;
        Ok(())
    }
}

#[test]
fn a_stopped_run_ends_at_a_step_boundary_and_resumes_bit_identically() {
    let mut straight = resumable_loop();
    straight.run(&mut noisy_bowl, &mut []).unwrap();
    for at in [0, 1, 17, 29] {
        let flag = crate::interrupt::StopFlag::new();
        let mut obs = StopAt {
            at,
            flag: flag.clone(),
            finished: false,
        };
        let mut first = resumable_loop();
        if at == 0 {
            flag.request();
        }
        let out = first
            .run_until_stopped(&mut noisy_bowl, &mut [&mut obs], &flag)
            .unwrap();
        assert!(out.is_none(), "stopped at {at}");
        assert!(!obs.finished, "a stopped run is not finished");
        assert_eq!(first.steps(), at);
        assert_eq!(first.finished(), None);
        let mut resumed = DesignLoop::<()>::from_json(&first.to_json().unwrap()).unwrap();
        let out = resumed
            .run_until_stopped(&mut noisy_bowl, &mut [], &crate::interrupt::StopFlag::new())
            .unwrap()
            .expect("runs to the end");
        assert_eq!(out.steps, 30);
        assert_eq!(straight, resumed, "stopped at {at}");
    }
}

#[test]
fn observers_see_every_step() {
    let mut lp = resumable_loop();
    let mut log = JsonLinesObserver::new(Vec::new());
    let mut bar = ProgressObserver::hidden();
    let out = lp.run(&mut noisy_bowl, &mut [&mut log, &mut bar]).unwrap();
    assert_eq!(bar.position(), Some(30));
    let text = String::from_utf8(log.into_inner()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // One line per record (30 updates: records 0…30) and the outcome.
    assert_eq!(lines.len(), 32);
    for (line, rec) in lines.iter().zip(&lp.history().records) {
        let parsed: StepRecord = serde_json::from_str(line).unwrap();
        assert_eq!(&parsed, rec);
    }
    let last: serde_json::Value = serde_json::from_str(lines[31]).unwrap();
    assert_eq!(last["outcome"]["steps"], 30);
    assert_eq!(
        last["outcome"]["objective"].as_f64().unwrap(),
        out.objective
    );
}

#[test]
fn stopping_rules_fire() {
    let quad = |t: &[f64], _s: usize| (t[0] * t[0], vec![2.0 * t[0]]);
    let stop = StopRule {
        max_steps: 10_000,
        grad_tol: Some(1e-6),
        stall: None,
    };
    let sgd = Stepper::Sgd(Sgd::new(1, 0.1, 0.0, LrSchedule::Constant).unwrap());
    let mut lp = DesignLoop::new(
        &[1.0],
        Bounds::unbounded(1),
        BoundMode::Projection,
        sgd,
        stop,
    )
    .unwrap();
    let out = lp.run(&mut quad.clone(), &mut []).unwrap();
    assert_eq!(out.reason, StopReason::GradientNorm);
    // θ_k = 0.8^k; |g| = 2·0.8^k < 1e-6 first at k = ⌈ln(5e-7)/ln 0.8⌉.
    let k = ((5e-7f64).ln() / 0.8f64.ln()).ceil() as usize;
    assert_eq!(out.steps, k);
    assert!(lp.history().records.last().unwrap().grad_norm < 1e-6);

    let stop = StopRule {
        max_steps: 10_000,
        grad_tol: None,
        stall: Some((5, 1e-9)),
    };
    let sgd = Stepper::Sgd(Sgd::new(1, 0.1, 0.0, LrSchedule::Constant).unwrap());
    let mut lp = DesignLoop::new(
        &[1.0],
        Bounds::unbounded(1),
        BoundMode::Projection,
        sgd,
        stop,
    )
    .unwrap();
    let out = lp.run(&mut quad.clone(), &mut []).unwrap();
    assert_eq!(out.reason, StopReason::Stalled);
    assert!(out.steps < 10_000);

    let bad = |_t: &[f64], s: usize| (if s == 2 { f64::NAN } else { 1.0 }, vec![0.0]);
    let sgd = Stepper::Sgd(Sgd::new(1, 0.1, 0.0, LrSchedule::Constant).unwrap());
    let mut lp = DesignLoop::new(
        &[1.0],
        Bounds::unbounded(1),
        BoundMode::Projection,
        sgd,
        StopRule::steps(5),
    )
    .unwrap();
    assert_eq!(
        lp.run(&mut bad.clone(), &mut []).unwrap_err(),
        OptimError::NonFinite {
            step: 2,
            what: "objective"
        }
    );
}

crate::scalar_fn!(Rosenbrock, |x: &[S]| lgso::rosenbrock(x));

fn rosenbrock_vg(x: &[f64]) -> (f64, Vec<f64>) {
    crate::tape::gradient(|v| crate::ScalarFn::eval(&Rosenbrock, v), x)
}

#[test]
fn lbfgs_minimises_rosenbrock_in_2_and_10_dimensions() {
    assert_gradient(&Rosenbrock, &[-1.2, 1.0, 0.3]);
    let r = lbfgs(rosenbrock_vg, &[-1.2, 1.0], 7, 200, 1e-10).unwrap();
    for v in &r.params {
        assert!((v - 1.0).abs() < 1e-6, "{:?} ({})", r.params, r.status);
    }
    let r = lbfgs(rosenbrock_vg, &[0.0; 10], 10, 500, 1e-10).unwrap();
    for v in &r.params {
        assert!((v - 1.0).abs() < 1e-6, "{:?} ({})", r.params, r.status);
    }
    assert!(r.objective < 1e-12);
    assert!(lbfgs(rosenbrock_vg, &[], 7, 10, 1e-8).is_err());
    assert!(lbfgs(rosenbrock_vg, &[0.0, 0.0], 0, 10, 1e-8).is_err());
}

#[test]
fn global_surrogate_gradient_is_exact_for_the_network_and_its_bias_is_measured() {
    // Black box: f(θ) = sin θ₀ + θ₁² (we know its exact gradient, the surrogate does not).
    let f = |t: &[f64]| t[0].sin() + t[1] * t[1];
    let mut designs = Vec::new();
    let mut ys = Vec::new();
    for i in 0..64 {
        let t = vec![
            -1.5 + 3.0 * counter_uniform(4, i, 0, 0),
            -1.5 + 3.0 * counter_uniform(4, i, 1, 0),
        ];
        ys.push(f(&t));
        designs.push(t);
    }
    let cfg = SurrogateConfig {
        epochs: 400,
        ..SurrogateConfig::default()
    };
    let s = GlobalSurrogate::fit(&designs, &ys, &cfg).unwrap();
    let at = [0.4, -0.6];
    let (v, g) = s.value_and_grad(&at).unwrap();
    assert_eq!(v, s.predict(&at).unwrap());
    // The surrogate's own gradient is exact (finite differences of the surrogate).
    for i in 0..2 {
        let (fd, err) = ridders(
            |x| {
                let mut t = at;
                t[i] = x;
                s.predict(&t).unwrap()
            },
            at[i],
            0.05,
        );
        assert!(
            (g[i] - fd).abs() <= 1e-9 + 10.0 * err,
            "{i}: {} vs {fd}",
            g[i]
        );
    }
    // Its bias against the exact gradient (cos θ₀, 2θ₁) is what the report says it is.
    let exact = [at[0].cos(), 2.0 * at[1]];
    let bias = GradientBias::new(&g, &exact).unwrap();
    for i in 0..2 {
        assert_eq!(bias.difference[i], g[i] - exact[i]);
    }
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert_eq!(bias.relative_norm, norm(&bias.difference) / norm(&exact));
    // A fitted surrogate points the right way inside its training box.
    assert!(s.train_mse() < 1e-2, "training MSE {}", s.train_mse());
    assert!(bias.cosine > 0.9, "{bias:?}");
    assert!(GlobalSurrogate::fit(&designs, &ys[..3], &cfg).is_err());
    assert!(GradientBias::new(&[1.0], &exact).is_err());
}

#[test]
fn lgso_descends_the_stochastic_rosenbrock_and_reports_bias() {
    let sim = lgso::RosenbrockSim { dim: 2 };
    // The benchmark's exact gradient is itself checked against finite differences.
    let psi0 = [-0.5, 1.5];
    let ex = sim.exact_gradient(&psi0);
    for i in 0..2 {
        let (fd, err) = ridders(
            |x| {
                let mut p = psi0;
                p[i] = x;
                sim.exact_objective(&p)
            },
            psi0[i],
            0.01,
        );
        assert!((ex[i] - fd).abs() <= 1e-8 + 10.0 * err);
    }
    let cfg = lgso::LgsoConfig {
        epochs_per_step: 60,
        design_adam: AdamConfig::with_lr(0.05),
        seed: 3,
        ..lgso::LgsoConfig::default()
    };
    let mut opt = lgso::Lgso::new(sim.clone(), &psi0, cfg.clone()).unwrap();
    let first = opt.step().unwrap();
    let bias = GradientBias::new(&first.surrogate_grad, &sim.exact_gradient(&first.psi)).unwrap();
    // The surrogate gradient is the exact gradient of the surrogate's mean E_x μ(ψ, x) at the
    // current ψ (checked on a separate run of one step).
    let mut probe = lgso::Lgso::new(sim.clone(), &psi0, cfg.clone()).unwrap();
    probe.step().unwrap();
    let g = probe.surrogate_gradient().unwrap().unwrap();
    let at = probe.psi().to_vec();
    for i in 0..2 {
        let (fd, err) = ridders(
            |x| {
                let mut p = at.clone();
                p[i] = x;
                probe.surrogate_mean(&p).unwrap().unwrap()
            },
            at[i],
            0.01,
        );
        assert!(
            (g[i] - fd).abs() <= 1e-8 * fd.abs().max(1.0) + 10.0 * err,
            "{i}: {} vs {fd}",
            g[i]
        );
    }
    assert!(bias.cosine.is_finite() && bias.relative_norm.is_finite());
    for _ in 0..14 {
        opt.step().unwrap();
    }
    assert_eq!(opt.sim_calls(), 15 * 10 * 5);
    let (g0, g1) = (sim.exact_objective(&psi0), sim.exact_objective(opt.psi()));
    assert!(g1 < g0, "objective {g0} -> {g1}");
    // Same seed, same run.
    let mut again = lgso::Lgso::new(sim.clone(), &psi0, cfg).unwrap();
    for _ in 0..15 {
        again.step().unwrap();
    }
    assert_eq!(again.psi(), opt.psi());
    // Bad settings are errors.
    let bad = lgso::LgsoConfig {
        radius: -1.0,
        ..lgso::LgsoConfig::default()
    };
    assert!(lgso::Lgso::new(sim.clone(), &psi0, bad).is_err());
    assert!(lgso::Lgso::new(sim, &[0.0; 3], lgso::LgsoConfig::default()).is_err());
}

#[test]
fn rosenbrock_demo_counts_calls_and_rejects_tiny_dimensions() {
    let cfg = lgso::LgsoConfig {
        designs_per_step: 3,
        sims_per_design: 2,
        epochs_per_step: 5,
        ..lgso::LgsoConfig::default()
    };
    let r = lgso::rosenbrock_demo(3, 2, 1e-9, cfg.clone()).unwrap();
    assert_eq!((r.steps, r.sim_calls, r.calls_to_target), (2, 12, None));
    assert_eq!(r.objective0, lgso::rosenbrock(&[2.0, 2.0, 2.0]));
    assert!(matches!(
        lgso::rosenbrock_demo(1, 2, 1.0, cfg).unwrap_err(),
        OptimError::Dimension(DimensionMismatch { got: 1, .. })
    ));
}

#[test]
fn design_loop_optimises_through_a_global_surrogate() {
    // Black box (not differentiated): f(θ) = (θ₀ − 0.3)² + 2(θ₁ + 0.2)², minimum at (0.3, −0.2).
    let f = |t: &[f64]| (t[0] - 0.3).powi(2) + 2.0 * (t[1] + 0.2).powi(2);
    let designs: Vec<Vec<f64>> = (0..81)
        .map(|i| vec![-1.0 + 0.25 * (i % 9) as f64, -1.0 + 0.25 * (i / 9) as f64])
        .collect();
    let ys: Vec<f64> = designs.iter().map(|t| f(t)).collect();
    let s = GlobalSurrogate::fit(&designs, &ys, &SurrogateConfig::default()).unwrap();
    let b = Bounds::new(vec![-1.0, -1.0], vec![1.0, 1.0]).unwrap();
    let mut lp = DesignLoop::new(
        &[-0.8, 0.8],
        b,
        BoundMode::Projection,
        adam(2, 0.02),
        StopRule::steps(400),
    )
    .unwrap();
    let mut obj = |t: &[f64], _s: usize| s.value_and_grad(t).unwrap();
    let out = lp.run(&mut obj, &mut []).unwrap();
    // The true objective at the surrogate's optimum is within the surrogate's fit error of 0.
    let rmse = s.train_mse().sqrt();
    assert!(f(&out.params) < f(&[-0.8, 0.8]) * 1e-2, "{:?}", out.params);
    assert!(
        f(&out.params) < 10.0 * rmse + 1e-3,
        "f = {} at {:?}, rmse {rmse}",
        f(&out.params),
        out.params
    );
}

#[test]
fn logarithmic_mode_takes_relative_steps_inside_positive_bounds() {
    // min (ln θ − ln 5)² over θ ∈ [0.5, 2]: the optimum is the edge θ = 2, reached by the clip
    // of ln θ; every iterate stays in the box, and the chain rule ∂/∂ln θ = θ ∂/∂θ is applied.
    let b = Bounds::new(vec![0.5], vec![2.0]).unwrap();
    let mut lp = DesignLoop::new(
        &[1.0],
        b.clone(),
        BoundMode::Logarithmic,
        adam(1, 0.1),
        StopRule::steps(60),
    )
    .unwrap();
    let target = 5f64.ln();
    let mut f = |t: &[f64], _s: usize| {
        let l = t[0].ln() - target;
        (l * l, vec![2.0 * l / t[0]])
    };
    let out = lp.run(&mut f, &mut []).unwrap();
    assert_eq!(out.params[0].to_bits(), 2f64.ln().exp().to_bits());
    assert!(lp
        .history()
        .records
        .iter()
        .all(|r| r.params[0] >= 0.5 && r.params[0] <= 2.0 + 1e-15));
    // The first Adam step moves ln θ by lr·|g|/(|g| + ε) along −g, with g = ∂f/∂ln θ at θ = 1
    // (= θ·∂f/∂θ = −2 ln 5): a relative step of about e^0.1.
    let g = 2.0 * target;
    let expected = (0.1 * g / (g + 1e-8)).exp();
    let r1 = &lp.history().records[1];
    assert!(
        (r1.params[0] - expected).abs() < 1e-15,
        "{} vs {expected}",
        r1.params[0]
    );
    // Non-positive lower bounds are an error for the logarithmic mode.
    let e = DesignLoop::<()>::new(
        &[1.0],
        Bounds::new(vec![0.0], vec![2.0]).unwrap(),
        BoundMode::Logarithmic,
        adam(1, 0.1),
        StopRule::steps(3),
    )
    .unwrap_err();
    assert!(matches!(e, OptimError::Bounds { index: 0, .. }));
}

#[test]
fn unbounded_parameters_round_trip_through_json() {
    // serde_json writes ∞ as null, which does not read back: bounds write "inf"/"-inf".
    let b = Bounds::new(vec![0.05, f64::NEG_INFINITY], vec![f64::INFINITY, 2.5]).unwrap();
    let text = serde_json::to_string(&b).unwrap();
    assert!(
        text.contains("\"inf\"") && text.contains("\"-inf\""),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Bounds>(&text).unwrap(), b);
    let e = serde_json::from_str::<Bounds>(r#"{"lo":["big"],"hi":[1.0]}"#).unwrap_err();
    assert!(e.to_string().contains("\"big\""), "{e}");
}
