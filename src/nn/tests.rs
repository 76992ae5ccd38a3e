use dfdx::prelude::*;

use super::bridge::{dfdx_loss_of_vars, map_on_tape, tape_loss_of_tensor, DfdxMap, StaticModule};
use super::{Activation, Adam, AdamConfig, LrSchedule, Mlp, MlpSpec, NnError, Sgd};
use crate::error::DimensionMismatch;
use crate::gradcheck::ridders;
use crate::tape::{Tape as DTape, Var};
use crate::Scalar;

/// Reference forward pass with plain f64 loops over the flat parameters.
fn plain_forward(spec: &MlpSpec, p: &[f64], x: &[f64]) -> Vec<f64> {
    let mut h = x.to_vec();
    let mut at = 0;
    let n = spec.widths.len() - 1;
    for (l, w) in spec.widths.windows(2).enumerate() {
        let (i, o) = (w[0], w[1]);
        let act = if l + 1 == n { spec.output } else { spec.hidden };
        let mut z = vec![0.0; o];
        for k in 0..o {
            let mut s = p[at + i * o + k];
            for j in 0..i {
                s += h[j] * p[at + j * o + k];
            }
            z[k] = act.eval(s);
        }
        at += i * o + o;
        h = z;
    }
    h
}

/// Assert `ad` agrees with Ridders' finite difference of `f` at `x`, within the FD error estimate.
fn assert_fd(ad: f64, mut f: impl FnMut(f64) -> f64, x: f64, what: &str) {
    let (fd, err) = ridders(&mut f, x, 1e-2 * x.abs().max(1.0));
    let tol = 1e-8 + 1e-6 * fd.abs().max(ad.abs()) + 10.0 * err;
    assert!(
        (ad - fd).abs() <= tol,
        "{what}: AD {ad:e} vs FD {fd:e} (err est {err:e})"
    );
}

const ACTS: [Activation; 4] = [
    Activation::Relu,
    Activation::LeakyRelu(0.1),
    Activation::Tanh,
    Activation::Silu,
];

#[test]
fn forward_matches_plain_loop_for_every_activation_f64_and_f32() {
    let x = [0.3, -1.2, 0.7, 2.0, -0.4, 0.1];
    for (k, act) in ACTS.into_iter().enumerate() {
        let spec = MlpSpec::new(&[3, 5, 4, 2], act);
        let net = Mlp::<f64>::new(spec.clone(), 7 + k as u64).unwrap();
        let y = net.forward(&x).unwrap();
        let p = net.params_f64();
        for r in 0..2 {
            let want = plain_forward(&spec, &p, &x[3 * r..3 * r + 3]);
            for c in 0..2 {
                assert!((y[2 * r + c] - want[c]).abs() < 1e-14, "{act:?}");
            }
        }
        let net32 = Mlp::<f32>::new(spec.clone(), 7 + k as u64).unwrap();
        let y32 = net32.forward(&x).unwrap();
        let p32 = net32.params_f64();
        for r in 0..2 {
            let want = plain_forward(&spec, &p32, &x[3 * r..3 * r + 3]);
            for c in 0..2 {
                assert!((y32[2 * r + c] - want[c]).abs() < 1e-5, "{act:?} f32");
            }
        }
    }
}

#[test]
fn parameter_gradients_match_finite_differences() {
    let x = [0.3, -1.2, 0.7, 2.0, -0.4, 0.1];
    let y = [0.5, -0.2, 1.0, 0.3];
    for (k, act) in ACTS.into_iter().enumerate() {
        let spec = MlpSpec::new(&[3, 4, 2], act);
        let net = Mlp::<f64>::new(spec, 11 + k as u64).unwrap();
        let (_, g) = net.mse_and_grad(&x, &y).unwrap();
        let p0 = net.params_f64();
        for i in 0..p0.len() {
            let mut probe = net.clone();
            assert_fd(
                g[i],
                |t| {
                    let mut p = p0.clone();
                    p[i] = t;
                    probe.set_params_f64(&p).unwrap();
                    probe.mse_and_grad(&x, &y).unwrap().0
                },
                p0[i],
                &format!("{act:?} param {i}"),
            );
        }
    }
}

#[test]
fn seeded_initialisation_is_reproducible() {
    let spec = MlpSpec::new(&[4, 8, 1], Activation::Tanh);
    let a = Mlp::<f64>::new(spec.clone(), 42).unwrap().params();
    let b = Mlp::<f64>::new(spec.clone(), 42).unwrap().params();
    let c = Mlp::<f64>::new(spec, 43).unwrap().params();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn save_load_round_trip_is_bit_identical() {
    let dir = std::env::temp_dir().join(format!("diffhep-nn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = MlpSpec::new(&[3, 6, 2], Activation::LeakyRelu(0.01));
    let net = Mlp::<f64>::new(spec.clone(), 3).unwrap();
    let path = dir.join("w64.safetensors");
    net.save(&path).unwrap();
    let back = Mlp::<f64>::load(&path).unwrap();
    assert_eq!(back.spec(), net.spec());
    assert_eq!(back.params(), net.params());
    let x = [0.1, 0.2, -0.3];
    assert_eq!(back.forward(&x).unwrap(), net.forward(&x).unwrap());

    let net32 = Mlp::<f32>::new(spec, 3).unwrap();
    let path32 = dir.join("w32.safetensors");
    net32.save(&path32).unwrap();
    assert_eq!(Mlp::<f32>::load(&path32).unwrap().params(), net32.params());
    // Loading f32 weights into an f64 network is refused, naming the dtype.
    let err = Mlp::<f64>::load(&path32).unwrap_err();
    assert!(err.to_string().contains("F32"), "{err}");
    let err = Mlp::<f64>::load(dir.join("missing.safetensors")).unwrap_err();
    assert!(matches!(err, NnError::File(_)));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_specs_and_inputs_are_errors() {
    let e = Mlp::<f64>::new(MlpSpec::new(&[3, 0, 1], Activation::Relu), 0).unwrap_err();
    assert_eq!(e, NnError::EmptyLayer { layer: 1 });
    let e = Mlp::<f64>::new(MlpSpec::new(&[3], Activation::Relu), 0).unwrap_err();
    assert!(matches!(
        e,
        NnError::Dimension(DimensionMismatch { got: 1, .. })
    ));
    let net = Mlp::<f64>::new(MlpSpec::new(&[3, 2], Activation::Relu), 0).unwrap();
    let e = net.forward(&[1.0, 2.0]).unwrap_err();
    assert!(
        matches!(e, NnError::Dimension(DimensionMismatch { got: 2, .. })),
        "{e}"
    );
    let e = net.mse_and_grad(&[1.0, 2.0, 3.0], &[1.0]).unwrap_err();
    assert!(matches!(
        e,
        NnError::Dimension(DimensionMismatch {
            expected: 2,
            got: 1,
            ..
        })
    ));
    let mut net2 = net.clone();
    assert!(net2.set_params_f64(&[0.0; 3]).is_err());
    let e = net.eval(&[1.0]).unwrap_err();
    assert!(matches!(
        e,
        NnError::Dimension(DimensionMismatch {
            expected: 3,
            got: 1,
            ..
        })
    ));
}

#[test]
fn bad_learning_rates_and_schedules_are_errors() {
    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Adam::new(2, AdamConfig::with_lr(lr)).unwrap_err();
        assert!(matches!(
            e,
            NnError::BadHyperParameter {
                name: "learning rate",
                ..
            }
        ));
        assert!(Sgd::new(2, lr, 0.0, LrSchedule::Constant).is_err());
    }
    let cfg = AdamConfig {
        beta1: 1.0,
        ..AdamConfig::default()
    };
    assert!(matches!(
        Adam::new(2, cfg).unwrap_err(),
        NnError::BadHyperParameter { name: "beta1", value } if value == 1.0
    ));
    let cfg = AdamConfig {
        schedule: LrSchedule::Exponential { gamma: 1.5 },
        ..AdamConfig::default()
    };
    assert!(Adam::new(2, cfg).is_err());
    let mut opt = Adam::new(2, AdamConfig::default()).unwrap();
    assert!(opt.step(&mut [0.0; 3], &[0.0; 3]).is_err());
    assert!(opt.step(&mut [0.0; 2], &[0.0; 1]).is_err());
}

#[test]
fn adam_first_step_and_adamw_decay_match_closed_form() {
    // Step 1: m̂ = g, v̂ = g², so θ₁ = θ₀ − lr·g/(|g| + eps).
    let cfg = AdamConfig::with_lr(0.1);
    let mut opt = Adam::new(2, cfg).unwrap();
    let mut p = [1.0, -2.0];
    let g = [0.5, -3.0];
    opt.step(&mut p, &g).unwrap();
    assert_eq!(p[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8));
    assert_eq!(p[1], -2.0 - 0.1 * -3.0 / (3.0 + 1e-8));
    // AdamW with zero gradient: only the decay, θ₁ = θ₀ (1 − lr λ).
    let cfg = AdamConfig {
        lr: 0.1,
        weight_decay: 0.5,
        decoupled: true,
        ..AdamConfig::default()
    };
    let mut opt = Adam::new(1, cfg).unwrap();
    let mut p = [2.0];
    opt.step(&mut p, &[0.0]).unwrap();
    assert_eq!(p[0], 2.0 * (1.0 - 0.1 * 0.5));
}

#[test]
fn schedules_follow_their_formulas() {
    let s = LrSchedule::Step {
        every: 10,
        factor: 0.5,
    };
    assert_eq!((s.factor(9), s.factor(10), s.factor(25)), (1.0, 0.5, 0.25));
    assert_eq!(LrSchedule::Exponential { gamma: 0.9 }.factor(2), 0.9 * 0.9);
    let c = LrSchedule::WarmupCosine {
        warmup: 4,
        total: 14,
        min_factor: 0.1,
    };
    assert_eq!(c.factor(0), 0.25);
    assert_eq!(c.factor(4), 1.0);
    assert!((c.factor(9) - 0.55).abs() < 1e-15);
    assert_eq!(c.factor(20), 0.1);
    let mut opt = Adam::new(
        1,
        AdamConfig {
            lr: 0.2,
            schedule: s,
            ..AdamConfig::default()
        },
    )
    .unwrap();
    for _ in 0..10 {
        opt.step(&mut [1.0], &[1.0]).unwrap();
    }
    assert_eq!(opt.current_lr(), 0.1);
}

#[test]
fn training_reduces_the_loss_deterministically() {
    // Fit y = sin(x) on 16 points; the same seed gives the same final loss bit for bit.
    let xs: Vec<f64> = (0..16).map(|i| -2.0 + 0.25 * i as f64).collect();
    let ys: Vec<f64> = xs.iter().map(|x| x.sin()).collect();
    let run = || {
        let mut net = Mlp::<f64>::new(MlpSpec::new(&[1, 16, 1], Activation::Tanh), 5).unwrap();
        let mut opt = Adam::new(net.num_params(), AdamConfig::with_lr(0.02)).unwrap();
        let first = net.mse_and_grad(&xs, &ys).unwrap().0;
        let mut p = net.params_f64();
        for _ in 0..300 {
            let (_, g) = net.mse_and_grad(&xs, &ys).unwrap();
            opt.step(&mut p, &g).unwrap();
            net.set_params_f64(&p).unwrap();
        }
        (first, net.mse_and_grad(&xs, &ys).unwrap().0)
    };
    let (first, last) = run();
    assert!(last < 0.05 * first, "loss {first} -> {last}");
    assert_eq!(run().1.to_bits(), last.to_bits());
}

/// A small simulator on the tape: θ ∈ ℝ³ → s ∈ ℝ³.
fn sim<S: Scalar + Copy>(t: &[S]) -> Vec<S> {
    vec![t[0].sin() * t[1], t[2].exp() * t[0], t[1] * t[1] - t[2]]
}

#[test]
fn tape_to_network_to_tape_gradient_matches_finite_differences() {
    let net = Mlp::<f64>::new(MlpSpec::new(&[3, 6, 2], Activation::Silu), 21).unwrap();
    let theta = [0.4, -0.8, 0.3];
    // loss = y0² + y1·θ2 with y = net(sim(θ)), recorded on the tape with the network in between.
    let mut tape = DTape::<f64>::new();
    let grad = {
        let t = tape.activate();
        let th = t.vars(&theta);
        let s = sim(&th);
        let y = map_on_tape(&t, &net, &s).unwrap();
        let l = y[0] * y[0] + y[1] * th[2];
        t.gradient(l).unwrap().wrt_all(&th).unwrap()
    };
    let f = |th: &[f64]| {
        let y = net.eval(&sim(th)).unwrap();
        y[0] * y[0] + y[1] * th[2]
    };
    for i in 0..3 {
        assert_fd(
            grad[i],
            |v| {
                let mut th = theta;
                th[i] = v;
                f(&th)
            },
            theta[i],
            &format!("theta {i}"),
        );
    }
}

#[test]
fn dfdx_loss_seeds_the_tape_reverse_sweep() {
    let net = Mlp::<f64>::new(MlpSpec::new(&[3, 5, 2], Activation::Tanh), 8).unwrap();
    let theta = [0.9, 0.2, -0.5];
    let mut tape = DTape::<f64>::new();
    let (value, grad) = {
        let t = tape.activate();
        let th = t.vars(&theta);
        let s = sim(&th);
        let n = net.clone();
        dfdx_loss_of_vars(&t, &s, &th, move |y| {
            let out = n.forward_traced(y);
            out.square().sum()
        })
        .unwrap()
    };
    let f = |th: &[f64]| {
        net.eval(&sim(th))
            .unwrap()
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
    };
    assert!((value - f(&theta)).abs() < 1e-14);
    for i in 0..3 {
        assert_fd(
            grad[i],
            |v| {
                let mut th = theta;
                th[i] = v;
                f(&th)
            },
            theta[i],
            &format!("theta {i}"),
        );
    }
}

/// The tape program a network's output feeds in the network → tape direction.
fn downstream(y: &[Var]) -> Var {
    let a = y[0] - y[1].sin();
    a * a + y[1] * y[0].exp()
}

fn downstream_f64(y: &[f64]) -> f64 {
    let a = y[0] - y[1].sin();
    a * a + y[1] * y[0].exp()
}

#[test]
fn network_to_tape_gradient_reaches_the_weights_exactly() {
    let spec = MlpSpec::new(&[2, 4, 2], Activation::LeakyRelu(0.2));
    let net = Mlp::<f64>::new(spec, 13).unwrap();
    let x = [0.7, -0.3];
    let xt: Tensor<(usize, usize), f64, Cpu> = net.device().tensor_from_vec(x.to_vec(), (1, 2));
    let y = net.forward_tensor(xt.leaky_trace()).unwrap();
    let y = y.reshape_like(&(2usize,));
    let (value, surrogate) =
        tape_loss_of_tensor(y, |_t, v| Ok::<_, NnError>(downstream(v))).unwrap();
    let grads = surrogate.backward();
    let g = net.param_gradients(&grads);
    assert!((value - downstream_f64(&net.forward(&x).unwrap())).abs() < 1e-14);
    let p0 = net.params_f64();
    for i in 0..p0.len() {
        let mut probe = net.clone();
        assert_fd(
            g[i],
            |t| {
                let mut p = p0.clone();
                p[i] = t;
                probe.set_params_f64(&p).unwrap();
                downstream_f64(&probe.forward(&x).unwrap())
            },
            p0[i],
            &format!("weight {i}"),
        );
    }
}

#[test]
fn compile_time_dfdx_module_works_with_the_bridge() {
    type Model = (Linear<3, 4>, Tanh, Linear<4, 2>);
    let dev: Cpu = Cpu::seed_from_u64(17);
    let module = StaticModule::<_, 3, 2> {
        module: dev.build_module::<Model, f64>(),
        dev: dev.clone(),
    };
    let theta = [0.1, 0.5, -0.7];
    let mut tape = DTape::<f64>::new();
    let grad = {
        let t = tape.activate();
        let th = t.vars(&theta);
        let s = sim(&th);
        let y = map_on_tape(&t, &module, &s).unwrap();
        let l = y[0].tanh() * y[1] + th[0];
        t.gradient(l).unwrap().wrt_all(&th).unwrap()
    };
    let f = |th: &[f64]| {
        let y = module.eval(&sim(th)).unwrap();
        y[0].tanh() * y[1] + th[0]
    };
    for i in 0..3 {
        assert_fd(
            grad[i],
            |v| {
                let mut th = theta;
                th[i] = v;
                f(&th)
            },
            theta[i],
            &format!("theta {i}"),
        );
    }
    // The static module's output agrees with dfdx's own forward pass on a Rank1 tensor.
    let x = dev.tensor([0.2, -0.1, 0.4]);
    let direct = module.module.forward(x).array();
    let via = module.eval(&[0.2, -0.1, 0.4]).unwrap();
    assert_eq!(via, direct.to_vec());
}

#[test]
fn pearson_matches_closed_forms() {
    use super::invariants::pearson;
    let a = [1.0, 2.0, 3.0, 4.0];
    assert!((pearson(&a, &[3.0, 5.0, 7.0, 9.0]).unwrap() - 1.0).abs() < 1e-15);
    assert!((pearson(&a, &[4.0, 3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-15);
    // a against (1, 0, 0, 1): covariance 0 → r = 0 exactly.
    assert_eq!(pearson(&a, &[1.0, 0.0, 0.0, 1.0]).unwrap(), 0.0);
    assert!(pearson(&a, &[1.0]).is_err());
}

#[test]
fn muon_pairs_have_the_invariants_they_claim() {
    use super::invariants::muon_pair;
    for ev in 0..20 {
        let (r, [pt, m]) = muon_pair(3, ev);
        for mu in 0..2 {
            let (e, px, py, pz) = (r[4 * mu], r[4 * mu + 1], r[4 * mu + 2], r[4 * mu + 3]);
            let m2 = e * e - px * px - py * py - pz * pz;
            assert!((m2.sqrt() - 0.105_658_375_5).abs() < 1e-6 * e);
        }
        // m² = 2 m_μ² + 2 (E₁E₂ − p₁·p₂).
        let dot = r[0] * r[4] - r[1] * r[5] - r[2] * r[6] - r[3] * r[7];
        let m2 = 2.0 * 0.105_658_375_5f64.powi(2) + 2.0 * dot;
        assert!((m * m - m2).abs() < 1e-9 * m2.max(1.0));
        assert!((pt - (r[1] + r[5]).hypot(r[2] + r[6])).abs() < 1e-12);
    }
}

#[test]
fn invariants_demo_learns_and_is_reproducible() {
    use super::invariants::{invariants_demo, InvariantsConfig};
    let cfg = InvariantsConfig {
        architectures: vec![vec![10]],
        train: 400,
        test: 200,
        epochs: 300,
        lr: 1e-2,
        seed: 2,
    };
    let runs = invariants_demo(&cfg).unwrap();
    let r = &runs[0];
    assert_eq!(r.params, 8 * 10 + 10 + 10 * 2 + 2);
    assert!(r.pearson_pt > r.pearson_untrained[0].abs(), "{r:?}");
    assert!(r.pearson_mass > r.pearson_untrained[1].abs(), "{r:?}");
    assert_eq!(invariants_demo(&cfg).unwrap(), runs);
    let bad = InvariantsConfig { train: 1, ..cfg };
    assert!(invariants_demo(&bad).is_err());
}
