//! The random walk and the calorimeter shower under stochastic AD, checked against exact
//! derivatives (random walk) and an independent unbiased estimator (shower).

use diffhep::gradcheck::ridders;
use diffhep::stochastic::{
    derivative_estimate, plain_run, EstimatorKind, GradientEstimator, ScoreFunction,
    StochasticError, StochasticTriples,
};
use diffhep_physics::design::calorimeter::{optimize, DesignSettings, Objective};
use diffhep_physics::detector::random_walk::RandomWalk;
use diffhep_physics::detector::shower::{Shower, ShowerConfig};

#[test]
fn random_walk_matches_exact_derivatives() {
    let walk = RandomWalk::new(6, 0.4, 0.7, 5.0).unwrap();
    for &t in &[0.15, 0.4] {
        let est = StochasticTriples.estimate(&walk, &[t], 4000, 31).unwrap();
        for k in 0..2 {
            let exact = ridders(|x| walk.exact_mean(x)[k], t, 0.05).0;
            let (g, se) = (est.gradient[k][0], est.gradient_se[k][0]);
            assert!(se > 0.0);
            assert!(
                (g - exact).abs() < 4.0 * se,
                "t={t} output {k}: {g} ± {se} vs {exact}"
            );
            let mean = walk.exact_mean(t)[k];
            assert!((est.value[k] - mean).abs() < 4.0 * est.value_se[k]);
        }
    }
}

#[test]
fn random_walk_is_branch_free() {
    // The walk is written with indicator polynomials: propagated Δ equals the re-run.
    let walk = RandomWalk::new(6, 0.4, 0.7, 5.0).unwrap();
    for i in 0..300 {
        let d = derivative_estimate(&walk, &[0.3], &[1.0], 5, i).unwrap();
        for k in 0..2 {
            assert!(
                (d.derivative[k] - d.propagated[k]).abs() < 1e-12 * d.derivative[k].abs().max(1.0)
            );
        }
    }
}

fn small_shower() -> Shower {
    Shower::new(ShowerConfig::new(4, 5.0)).unwrap()
}

#[test]
fn shower_triples_agree_with_score_function() {
    // Two independent unbiased estimators (different seeds) of ∂E[D_k]/∂t_j must agree within
    // 4 combined standard errors for every layer pair.
    let sh = small_shower();
    let theta = [0.8, 1.0, 1.2, 0.9];
    let tr = StochasticTriples.estimate(&sh, &theta, 3000, 1).unwrap();
    let sc = ScoreFunction::default()
        .estimate(&sh, &theta, 3000, 2)
        .unwrap();
    let mut nonzero = 0;
    for k in 0..4 {
        for j in 0..4 {
            let se = (tr.gradient_se[k][j].powi(2) + sc.gradient_se[k][j].powi(2)).sqrt();
            let diff = tr.gradient[k][j] - sc.gradient[k][j];
            assert!(
                diff.abs() < 4.0 * se + 1e-12,
                "k={k} j={j}: {} vs {} (se {se})",
                tr.gradient[k][j],
                sc.gradient[k][j]
            );
            if tr.gradient[k][j].abs() > 4.0 * tr.gradient_se[k][j] {
                nonzero += 1;
            }
        }
        // A layer's deposit cannot depend on thicknesses behind it: exactly zero for triples.
        for j in k + 1..4 {
            assert_eq!(tr.gradient[k][j], 0.0);
        }
    }
    assert!(
        nonzero >= 4,
        "the shower should have significant derivatives ({nonzero})"
    );
}

#[test]
fn shower_same_seed_same_numbers_at_one_and_two_threads() {
    let sh = small_shower();
    let theta = [0.8, 1.0, 1.2, 0.9];
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    for kind in [
        EstimatorKind::Triple,
        EstimatorKind::Score,
        EstimatorKind::FiniteDifference,
    ] {
        let a = pool(1).install(|| kind.estimate(&sh, &theta, 200, 9).unwrap());
        let b = pool(2).install(|| kind.estimate(&sh, &theta, 200, 9).unwrap());
        assert_eq!(a.value, b.value);
        assert_eq!(a.gradient, b.gradient);
    }
}

#[test]
fn shower_conserves_energy_bounds_and_rejects_bad_designs() {
    let sh = small_shower();
    // Deposits are non-negative and sum to at most f_s·E (energy is shared, never created).
    for i in 0..100 {
        let d = plain_run(&sh, &[1.0; 4], 3, i).unwrap();
        assert!(d.iter().all(|&x| x >= 0.0));
        assert!(d.iter().sum::<f64>() <= 0.1 * 5.0 * (1.0 + 1e-12));
    }
    let e = plain_run(&sh, &[1.0, -0.5, 1.0, 1.0], 1, 0).unwrap_err();
    assert!(
        matches!(e, StochasticError::Parameter { value, .. } if value == -0.5),
        "{e}"
    );
    let e = plain_run(&sh, &[1.0; 3], 1, 0).unwrap_err();
    assert!(e.to_string().contains('3'), "{e}");
    assert!(Shower::new(ShowerConfig::new(0, 5.0)).is_err());
    let e = Shower::new(ShowerConfig::new(3, -2.0)).unwrap_err();
    assert!(e.to_string().contains("-2"));
    assert!(RandomWalk::new(3, 1.5, 0.5, 1.0).is_err());
}

#[test]
fn objective_gradient_matches_finite_differences() {
    // J(m, q) through θ-dependent m(θ), q(θ): compare the chain rule with Ridders on a smooth
    // stand-in m = 2 + θ₀² + θ₁, q = m² + (1 + θ₀θ₁)².
    let obj = Objective { cost_per_x0: 0.03 };
    let mq = |t: &[f64]| {
        let m = 2.0 + t[0] * t[0] + t[1];
        (m, m * m + (1.0 + t[0] * t[1]).powi(2))
    };
    let theta = [0.7, 1.3];
    let (m, q) = mq(&theta);
    let dm = [2.0 * theta[0], 1.0];
    let s = 1.0 + theta[0] * theta[1];
    let dq = [
        2.0 * m * dm[0] + 2.0 * s * theta[1],
        2.0 * m * dm[1] + 2.0 * s * theta[0],
    ];
    let g = obj.gradient(m, q, &dm, &dq);
    for j in 0..2 {
        let (fd, err) = ridders(
            |x| {
                let mut t = theta;
                t[j] = x;
                let (m, q) = mq(&t);
                obj.value(m, q, &t).0
            },
            theta[j],
            0.05,
        );
        assert!(
            (g[j] - fd).abs() < 1e-8 + 10.0 * err,
            "j={j}: {} vs {fd}",
            g[j]
        );
    }
}

#[test]
fn design_loop_lowers_the_objective() {
    let sh = small_shower();
    let settings = DesignSettings {
        steps: 8,
        runs_per_step: 400,
        eval_samples: 1500,
        learning_rate: 0.15,
        ..DesignSettings::default()
    };
    let mut seen = 0;
    let hist = optimize(&sh, EstimatorKind::Triple, &[0.3; 4], &settings, |_| {
        seen += 1
    })
    .unwrap();
    assert_eq!(seen, 9);
    // The objective is evaluated on the same fixed plain runs at every step (common random
    // numbers), so the comparison is free of evaluation noise between steps.
    let first = hist[0].objective;
    let best = hist
        .iter()
        .map(|r| r.objective)
        .fold(f64::INFINITY, f64::min);
    assert!(
        hist.last().unwrap().objective < first,
        "{first} -> {:?}",
        hist.last()
    );
    assert!(best < first);
    let e = optimize(&sh, EstimatorKind::Score, &[0.3; 3], &settings, |_| {}).unwrap_err();
    assert!(e.to_string().contains('3'));
}
