//! Flow tests: invertibility, log-determinants against numerical Jacobians, normalisation,
//! gradients against central differences, errors, determinism and a small fit.

use nalgebra::DMatrix;

use super::*;
use crate::nn::Activation;
use crate::stochastic::rng::counter_uniform;

/// A flow with random (far from identity) parameters.
fn scrambled(spec: FlowSpec, seed: u64, scale: f64) -> Flow {
    let mut f = Flow::new(spec, seed).unwrap();
    let p: Vec<f64> = (0..f.num_params())
        .map(|i| scale * (2.0 * counter_uniform(seed, 99, i as u64, 0) - 1.0))
        .collect();
    f.set_params(&p).unwrap();
    f
}

fn specs() -> Vec<(FlowSpec, &'static str)> {
    let small = |s: FlowSpec| {
        s.with_hidden(vec![8])
            .with_layers(3)
            .with_activation(Activation::Tanh)
    };
    vec![
        (
            small(FlowSpec::new(3, Transform::Affine, Domain::Real)),
            "affine R3",
        ),
        (
            small(FlowSpec::new(
                3,
                Transform::Spline { bins: 6 },
                Domain::Real,
            ))
            .with_tail_bound(2.0),
            "spline R3",
        ),
        (
            small(FlowSpec::new(
                3,
                Transform::Spline { bins: 6 },
                Domain::UnitCube,
            )),
            "spline cube3",
        ),
        (
            small(FlowSpec::new(
                2,
                Transform::Spline { bins: 4 },
                Domain::Real,
            ))
            .with_context(2),
            "spline R2|c2",
        ),
        (
            small(FlowSpec::new(1, Transform::Affine, Domain::Real)).with_context(1),
            "affine R1|c1",
        ),
        (
            small(FlowSpec::new(
                1,
                Transform::Spline { bins: 5 },
                Domain::UnitCube,
            )),
            "spline cube1",
        ),
    ]
}

fn points(f: &Flow, n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let x = match f.spec().domain {
        Domain::UnitCube => f.sample_base(n, seed),
        Domain::Real => f
            .sample_base(n, seed)
            .into_iter()
            .map(|v| 1.5 * v)
            .collect(),
    };
    let c: Vec<f64> = (0..n * f.context_dim())
        .map(|k| 2.0 * counter_uniform(seed, 5, k as u64, 0) - 1.0)
        .collect();
    (x, c)
}

#[test]
fn inverse_and_forward_round_trip() {
    for (spec, name) in specs() {
        let f = scrambled(spec, 3, 0.4);
        let (x, c) = points(&f, 20, 11);
        let (z, ld) = f.inverse(&x, &c).unwrap();
        let (back, log_q) = f.forward(&z, &c).unwrap();
        let direct = f.log_prob(&x, &c).unwrap();
        for k in 0..x.len() {
            assert!(
                (back[k] - x[k]).abs() < 1e-9,
                "{name}: {} vs {}",
                back[k],
                x[k]
            );
        }
        for i in 0..ld.len() {
            assert!(
                (log_q[i] - direct[i]).abs() < 1e-9,
                "{name}: log q {} vs {}",
                log_q[i],
                direct[i]
            );
        }
    }
}

#[test]
fn log_det_matches_numerical_jacobian() {
    for (spec, name) in specs() {
        let f = scrambled(spec, 4, 0.4);
        let d = f.dim();
        let (x, c) = points(&f, 5, 12);
        let cd = f.context_dim();
        let (_, ld) = f.inverse(&x, &c).unwrap();
        for i in 0..5 {
            let xi = &x[i * d..(i + 1) * d];
            let ci = &c[i * cd..(i + 1) * cd];
            let h = 1e-6;
            let jac = DMatrix::from_fn(d, d, |r, col| {
                let (mut a, mut b) = (xi.to_vec(), xi.to_vec());
                a[col] += h;
                b[col] -= h;
                let za = f.inverse(&a, ci).unwrap().0;
                let zb = f.inverse(&b, ci).unwrap().0;
                (za[r] - zb[r]) / (2.0 * h)
            });
            let num = jac.determinant().abs().ln();
            assert!(
                (num - ld[i]).abs() < 1e-5,
                "{name}: numerical {num} vs {}",
                ld[i]
            );
        }
    }
}

#[test]
fn unit_cube_density_integrates_to_one() {
    // Midpoint rule on a 300×300 grid: the flow is smooth, so the error is far below 1e-3.
    let spec =
        FlowSpec::new(2, Transform::Spline { bins: 5 }, Domain::UnitCube).with_hidden(vec![8]);
    let f = scrambled(spec, 8, 0.5);
    let m = 300;
    let x: Vec<f64> = (0..m * m)
        .flat_map(|k| {
            [
                ((k / m) as f64 + 0.5) / m as f64,
                ((k % m) as f64 + 0.5) / m as f64,
            ]
        })
        .collect();
    let q: f64 = f
        .log_prob(&x, &[])
        .unwrap()
        .iter()
        .map(|l| l.exp())
        .sum::<f64>()
        / (m * m) as f64;
    assert!((q - 1.0).abs() < 1e-3, "∫q = {q}");
}

#[test]
fn real_density_integrates_to_one() {
    // 1-D affine+spline flow with context: trapezoid rule on [−12, 12].
    let spec = FlowSpec::new(1, Transform::Spline { bins: 6 }, Domain::Real)
        .with_context(1)
        .with_hidden(vec![8])
        .with_tail_bound(3.0);
    let f = scrambled(spec, 9, 0.5);
    let m = 24001;
    let x: Vec<f64> = (0..m)
        .map(|k| -12.0 + 24.0 * k as f64 / (m - 1) as f64)
        .collect();
    let q = f.log_prob(&x, &[0.3]).unwrap();
    let h = 24.0 / (m - 1) as f64;
    let total: f64 = q.iter().map(|l| l.exp()).sum::<f64>() * h;
    assert!((total - 1.0).abs() < 1e-4, "∫q = {total}");
}

/// Compare `analytic` with central differences of `f` at `v`, every `stride`-th component.
fn assert_central(
    name: &str,
    what: &str,
    v: &[f64],
    analytic: &[f64],
    stride: usize,
    f: impl Fn(&[f64]) -> f64,
) {
    let h = 1e-6;
    for k in (0..v.len()).step_by(stride.max(1)) {
        let (mut a, mut b) = (v.to_vec(), v.to_vec());
        a[k] += h;
        b[k] -= h;
        let fd = (f(&a) - f(&b)) / (2.0 * h);
        assert!(
            (fd - analytic[k]).abs() < 1e-5 * (1.0 + fd.abs()),
            "{name} {what}{k}: fd {fd} vs {}",
            analytic[k]
        );
    }
}

/// `f` evaluated on a copy of `flow` with parameters `p`.
fn with_params<'a>(flow: &'a Flow, f: impl Fn(&Flow) -> f64 + 'a) -> impl Fn(&[f64]) -> f64 + 'a {
    move |p: &[f64]| {
        let mut g = flow.clone();
        g.set_params(p).unwrap();
        f(&g)
    }
}

#[test]
fn log_prob_grad_matches_central_differences() {
    for (spec, name) in specs() {
        let f = scrambled(spec, 5, 0.4);
        let d = f.dim();
        let cd = f.context_dim();
        let (x, c) = points(&f, 4, 13);
        let w = [0.5, -1.0, 2.0, 0.25];
        let g = f.log_prob_grad(&x, &c, &w).unwrap();
        let lq = f.log_prob(&x, &c).unwrap();
        assert_eq!(g.log_q, lq);
        let loss = |f: &Flow, x: &[f64], c: &[f64]| -> f64 {
            f.log_prob(x, c)
                .unwrap()
                .iter()
                .zip(&w)
                .map(|(l, w)| l * w)
                .sum()
        };
        let p = f.params();
        let params = with_params(&f, |g| loss(g, &x, &c));
        assert_central(name, "param", &p, &g.params, p.len() / 25, params);
        assert_central(name, "x", &x, &g.x, 1, |v| loss(&f, v, &c));
        assert_central(name, "ctx", &c, &g.ctx, 1, |v| loss(&f, &x, v));
        assert_eq!(g.x.len(), 4 * d);
        assert_eq!(g.ctx.len(), 4 * cd);
    }
}

#[test]
fn sample_grad_matches_central_differences() {
    for (spec, name) in specs() {
        let f = scrambled(spec, 6, 0.4);
        let d = f.dim();
        let n = 3;
        let z = f.sample_base(n, 21);
        let c: Vec<f64> = (0..n * f.context_dim())
            .map(|k| 0.3 - 0.2 * k as f64)
            .collect();
        let gx: Vec<f64> = (0..n * d).map(|k| 0.7 - 0.3 * k as f64).collect();
        let gq = vec![0.4, -0.9, 1.3];
        let loss = |f: &Flow, c: &[f64]| -> f64 {
            let (x, lq) = f.forward(&z, c).unwrap();
            x.iter().zip(&gx).map(|(a, b)| a * b).sum::<f64>()
                + lq.iter().zip(&gq).map(|(a, b)| a * b).sum::<f64>()
        };
        let (gp, gc) = f.sample_grad(&z, &c, &gx, &gq).unwrap();
        let p = f.params();
        let params = with_params(&f, |g| loss(g, &c));
        assert_central(name, "param", &p, &gp, p.len() / 25, params);
        assert_central(name, "ctx", &c, &gc, 1, |v| loss(&f, v));
    }
}

#[test]
fn standardisation_is_exact_and_differentiable() {
    let spec = FlowSpec::new(2, Transform::Spline { bins: 4 }, Domain::Real)
        .with_context(1)
        .with_hidden(vec![8]);
    let mut f = scrambled(spec, 7, 0.4);
    let s = Standardization {
        x_shift: vec![3.0, -1.0],
        x_scale: vec![2.0, 0.5],
        ctx_shift: vec![10.0],
        ctx_scale: vec![4.0],
    };
    let x = [4.0, -1.2, 1.0, -0.5];
    let c = [12.0, 6.0];
    let plain = f.log_prob(&[0.5, -0.4, -1.0, 1.0], &[0.5, -1.0]).unwrap();
    f.set_standardization(Some(s)).unwrap();
    let std = f.log_prob(&x, &c).unwrap();
    for i in 0..2 {
        assert!(
            (std[i] - (plain[i] - 1.0f64.ln())).abs() < 1e-12,
            "{} vs {}",
            std[i],
            plain[i]
        );
    }
    let g = f.log_prob_grad(&x, &c, &[1.0, 1.0]).unwrap();
    let h = 1e-6;
    for k in 0..2 {
        let (mut a, mut b) = (c, c);
        a[k] += h;
        b[k] -= h;
        let fd = (f.log_prob(&x, &a).unwrap()[k] - f.log_prob(&x, &b).unwrap()[k]) / (2.0 * h);
        assert!((fd - g.ctx[k]).abs() < 1e-6);
    }
    let (xs, lq) = f.sample(3, &[11.0], 2).unwrap();
    let again = f.log_prob(&xs, &[11.0]).unwrap();
    for i in 0..3 {
        assert!((lq[i] - again[i]).abs() < 1e-9);
    }
}

#[test]
fn samples_are_deterministic_and_consistent() {
    let spec =
        FlowSpec::new(3, Transform::Spline { bins: 6 }, Domain::UnitCube).with_hidden(vec![8]);
    let f = scrambled(spec, 1, 0.5);
    let (a, la) = f.sample(50, &[], 42).unwrap();
    let (b, lb) = f.sample(50, &[], 42).unwrap();
    assert_eq!((a.clone(), la.clone()), (b, lb));
    assert_ne!(a, f.sample(50, &[], 43).unwrap().0);
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    let direct = f.log_prob(&a, &[]).unwrap();
    for i in 0..50 {
        assert!((la[i] - direct[i]).abs() < 1e-9);
    }
}

#[test]
fn base_draws_have_the_right_moments() {
    let f = Flow::new(FlowSpec::new(2, Transform::Affine, Domain::Real), 0).unwrap();
    let z = f.sample_base(20000, 3);
    let n = z.len() as f64;
    let mean = z.iter().sum::<f64>() / n;
    let var = z.iter().map(|v| v * v).sum::<f64>() / n - mean * mean;
    // Standard errors: 1/√n for the mean, √(2/n) for the variance.
    assert!(mean.abs() < 4.0 / n.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 4.0 * (2.0 / n).sqrt(), "var {var}");
}

#[test]
fn json_round_trip_is_exact() {
    let spec = FlowSpec::new(3, Transform::Spline { bins: 4 }, Domain::Real)
        .with_context(1)
        .with_hidden(vec![8]);
    let mut f = scrambled(spec, 2, 0.4);
    f.standardize_from(&[0.0, 1.0, 2.0, 1.0, 3.0, -1.0], &[1.0, 2.0])
        .unwrap();
    let g = Flow::from_json(&f.to_json()).unwrap();
    let x = [0.1, 0.2, 0.3];
    assert_eq!(
        f.log_prob(&x, &[0.5]).unwrap(),
        g.log_prob(&x, &[0.5]).unwrap()
    );
    let dir = std::env::temp_dir().join(format!("diffhep-flow-{}.json", std::process::id()));
    f.save(&dir).unwrap();
    let h = Flow::load(&dir).unwrap();
    std::fs::remove_file(&dir).ok();
    assert_eq!(f.params(), h.params());
    assert!(matches!(Flow::from_json("{}"), Err(FlowError::File(_))));
}

#[test]
fn bad_input_gives_errors_not_nan() {
    let cube = Flow::new(
        FlowSpec::new(2, Transform::Spline { bins: 4 }, Domain::UnitCube),
        0,
    )
    .unwrap();
    let lq = cube
        .log_prob(&[0.5, 0.5, 1.5, 0.2, -0.1, 0.3], &[])
        .unwrap();
    assert!(lq[0].is_finite() && lq[1] == f64::NEG_INFINITY && lq[2] == f64::NEG_INFINITY);
    let g = cube.log_prob_grad(&[1.5, 0.2], &[], &[1.0]).unwrap();
    assert!(g.params.iter().chain(&g.x).all(|v| *v == 0.0));
    assert!(matches!(
        cube.log_prob(&[0.5, 0.5, 0.5], &[]),
        Err(FlowError::Dimension { .. })
    ));
    assert!(matches!(
        cube.log_prob(&[0.5, f64::NAN], &[]),
        Err(FlowError::NonFinite(_))
    ));
    assert!(matches!(
        cube.log_prob(&[0.5, 0.5], &[1.0]),
        Err(FlowError::Dimension { .. })
    ));
    let cond = Flow::new(
        FlowSpec::new(2, Transform::Affine, Domain::Real).with_context(2),
        0,
    )
    .unwrap();
    assert!(matches!(
        cond.log_prob(&[0.5, 0.5, 0.1, 0.1], &[1.0, 2.0, 3.0]),
        Err(FlowError::Dimension { .. })
    ));
    assert!(
        cond.log_prob(&[0.5, 0.5, 0.1, 0.1], &[1.0, 2.0]).is_ok(),
        "broadcast context"
    );
    for bad in [
        FlowSpec::new(2, Transform::Affine, Domain::UnitCube),
        FlowSpec::new(0, Transform::Affine, Domain::Real),
        FlowSpec::new(2, Transform::Spline { bins: 1 }, Domain::Real),
        FlowSpec::new(2, Transform::Spline { bins: 65 }, Domain::Real),
        FlowSpec::new(2, Transform::Affine, Domain::Real).with_layers(0),
        FlowSpec::new(2, Transform::Spline { bins: 4 }, Domain::Real).with_tail_bound(-1.0),
    ] {
        let e = Flow::new(bad, 0).unwrap_err();
        assert!(matches!(e, FlowError::Config(_)), "{e}");
        assert!(!e.to_string().is_empty());
    }
    let mut f = cube.clone();
    assert!(f.set_params(&[1.0]).is_err());
    assert!(f
        .set_standardization(Some(Standardization {
            x_shift: vec![0.0; 2],
            x_scale: vec![1.0; 2],
            ctx_shift: vec![],
            ctx_scale: vec![],
        }))
        .is_err());
    let mut r = Flow::new(FlowSpec::new(2, Transform::Affine, Domain::Real), 0).unwrap();
    let s = Standardization {
        x_shift: vec![0.0; 2],
        x_scale: vec![1.0, 0.0],
        ctx_shift: vec![],
        ctx_scale: vec![],
    };
    assert!(r.set_standardization(Some(s)).is_err());
    let cfg = FitConfig {
        validation_fraction: 1.5,
        ..FitConfig::default()
    };
    assert!(fit_max_likelihood(&mut r, &[0.0, 1.0], &[], &cfg).is_err());
    assert!(fit_max_likelihood(&mut r, &[0.0, 1.0, 2.0], &[], &FitConfig::default()).is_err());
}

#[test]
fn fit_learns_a_correlated_gaussian() {
    // Exact entropy of N(0, Σ), Σ = [[1, .8], [.8, 1]]: ln(2πe) + ½ ln det Σ = 2.32705.
    let entropy = (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + 0.5 * 0.36f64.ln();
    for transform in [Transform::Affine, Transform::Spline { bins: 8 }] {
        let spec = FlowSpec::new(2, transform, Domain::Real)
            .with_hidden(vec![32])
            .with_layers(4);
        let mut f = Flow::new(spec, 3).unwrap();
        let z = f.sample_base(6000, 9);
        let x: Vec<f64> = z
            .chunks(2)
            .flat_map(|r| [r[0], 0.8 * r[0] + 0.6 * r[1]])
            .collect();
        let cfg = FitConfig {
            epochs: 40,
            batch_size: 200,
            lr: 3e-3,
            ..FitConfig::default()
        };
        let rep = fit_max_likelihood(&mut f, &x[..8000], &[], &cfg).unwrap();
        // Held-out NLL on 2000 fresh points; its standard error is ≈ sd(log p)/√2000 ≈ 0.022.
        let test = f.log_prob(&x[8000..], &[]).unwrap();
        let nll = -test.iter().sum::<f64>() / test.len() as f64;
        assert!(rep.epochs_run > 1);
        assert!(
            (nll - entropy).abs() < 0.1,
            "{transform:?}: held-out NLL {nll} vs entropy {entropy}"
        );
        // Same seed, same fit.
        let mut g = Flow::new(f.spec().clone(), 3).unwrap();
        let cfg2 = FitConfig {
            epochs: 2,
            ..cfg.clone()
        };
        let mut h = g.clone();
        fit_max_likelihood(&mut g, &x[..8000], &[], &cfg2).unwrap();
        fit_max_likelihood(&mut h, &x[..8000], &[], &cfg2).unwrap();
        assert_eq!(g.params(), h.params());
    }
}

#[test]
fn blocks_are_independent_of_threads_and_batching() {
    let spec = FlowSpec::new(2, Transform::Spline { bins: 4 }, Domain::Real)
        .with_context(1)
        .with_hidden(vec![8]);
    let f = scrambled(spec, 12, 0.4);
    let n = 150;
    let (x, c) = points(&f, n, 3);
    let c = &c[..n];
    let w: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 / n as f64).collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| f.log_prob_grad(&x, c, &w).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two, "bit-identical at 1 and 2 threads");
    // The same numbers as row by row.
    let mut params = vec![0.0; f.num_params()];
    for i in 0..n {
        let g = f
            .log_prob_grad(&x[2 * i..2 * i + 2], &c[i..i + 1], &w[i..i + 1])
            .unwrap();
        assert!((g.log_q[0] - one.log_q[i]).abs() < 1e-12);
        assert!((g.ctx[0] - one.ctx[i]).abs() < 1e-10);
        for (a, b) in params.iter_mut().zip(&g.params) {
            *a += b;
        }
    }
    for (a, b) in params.iter().zip(&one.params) {
        assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
    }
    // A broadcast context sums its gradient over the rows.
    let gb = f.log_prob_grad(&x, &[0.3], &w).unwrap();
    let gr = f.log_prob_grad(&x, &vec![0.3; n], &w).unwrap();
    assert_eq!(gb.ctx.len(), 1);
    assert!((gb.ctx[0] - gr.ctx.iter().sum::<f64>()).abs() < 1e-9);
}

#[test]
fn weight_decay_shrinks_the_parameters() {
    let spec = FlowSpec::new(2, Transform::Affine, Domain::Real).with_hidden(vec![8]);
    let f0 = Flow::new(spec, 2).unwrap();
    let x = f0.sample_base(400, 4);
    let norm = |f: &Flow| f.params().iter().map(|v| v * v).sum::<f64>();
    let fit = |wd: f64| {
        let mut f = f0.clone();
        let cfg = FitConfig {
            epochs: 3,
            validation_fraction: 0.0,
            weight_decay: wd,
            lr: 1e-2,
            ..FitConfig::default()
        };
        fit_max_likelihood(&mut f, &x, &[], &cfg).unwrap();
        f
    };
    // AdamW multiplies every weight by (1 − lr·λ) per step on top of the Adam update.
    assert!(norm(&fit(5.0)) < 0.9 * norm(&fit(0.0)));
    let bad = FitConfig {
        weight_decay: -1.0,
        ..FitConfig::default()
    };
    assert!(fit_max_likelihood(&mut f0.clone(), &x, &[], &bad).is_err());
}
