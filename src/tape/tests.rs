use super::*;
use crate::error::DimensionMismatch;
use crate::{RealScalar, Scalar};

fn f<S: Scalar>(x: S, y: S) -> S {
    // x·y + sin(x)·exp(y) − y/x
    x.clone() * y.clone() + x.sin() * y.exp() - y / x
}

fn f_grad(x: f64, y: f64) -> [f64; 2] {
    [
        y + x.cos() * y.exp() + y / (x * x),
        x + x.sin() * y.exp() - 1.0 / x,
    ]
}

#[test]
fn gradient_matches_closed_form() {
    let (x, y) = (0.7, -0.4);
    let (v, g) = gradient(|v| f(v[0], v[1]), &[x, y]);
    assert_eq!(v, f(x, y));
    let e = f_grad(x, y);
    assert!((g[0] - e[0]).abs() < 1e-14 && (g[1] - e[1]).abs() < 1e-14);
}

#[test]
fn node_is_24_bytes_and_var_16() {
    assert_eq!(std::mem::size_of::<arena::Node<f64>>(), 24);
    assert_eq!(std::mem::size_of::<Var>(), 16);
    let mut tape = Tape::new();
    let t = tape.activate();
    let x = t.var(1.0);
    let y = t.var(2.0);
    let _ = x * y;
    drop(t);
    assert_eq!(tape.len(), 3);
    assert_eq!(tape.recorded_bytes(), 72);
}

#[test]
fn jacobian_and_vjp_agree() {
    let fun = |v: &[Var]| vec![v[0] * v[1], v[0].sin(), v[1] / v[0]];
    let x = [1.3, 0.2];
    let (vals, j) = jacobian(fun, &x);
    assert_eq!(vals.len(), 3);
    assert!((j[(0, 0)] - 0.2).abs() < 1e-15 && (j[(0, 1)] - 1.3).abs() < 1e-15);
    assert!((j[(1, 0)] - 1.3f64.cos()).abs() < 1e-15 && j[(1, 1)] == 0.0);
    assert!((j[(2, 0)] + 0.2 / 1.69).abs() < 1e-15 && (j[(2, 1)] - 1.0 / 1.3).abs() < 1e-15);
    let seed = [0.5, -1.0, 2.0];
    let (_, xb) = vjp(fun, &x, &seed).unwrap();
    for k in 0..2 {
        let expect: f64 = (0..3).map(|i| seed[i] * j[(i, k)]).sum();
        assert!((xb[k] - expect).abs() < 1e-14);
    }
    let err = vjp(fun, &x, &[1.0]).unwrap_err();
    assert!(matches!(
        err,
        TapeError::LengthMismatch(DimensionMismatch {
            expected: 3,
            got: 1,
            ..
        })
    ));
}

#[test]
fn custom_node_uses_supplied_partials() {
    // y = g(a, b) with g(a, b) = a² b supplied from outside (as an implicit solver would).
    let mut tape = Tape::new();
    let t = tape.activate();
    let a = t.var(3.0);
    let b = t.var(2.0);
    let c = a.exp();
    let y = t.custom(18.0, &[(a, 12.0), (b, 9.0), (Var::constant(1.0), 5.0)]);
    let z = y * c;
    let adj = t.gradient(z).unwrap();
    let e3 = 3f64.exp();
    assert!((adj.get(a) - (12.0 * e3 + 18.0 * e3)).abs() < 1e-12);
    assert!((adj.get(b) - 9.0 * e3).abs() < 1e-12);
}

#[test]
fn tape_is_reused_after_clear() {
    let mut tape = Tape::new();
    let (v1, g1) = tape.gradient(&[2.0], |x| x[0].powi(3));
    let cap = tape.len();
    let (v2, g2) = tape.gradient(&[3.0], |x| x[0].powi(3));
    assert_eq!((v1, g1[0], v2, g2[0]), (8.0, 12.0, 27.0, 27.0));
    assert_eq!(tape.len(), cap);
}

#[test]
fn stale_variable_after_clear_is_detected() {
    let mut tape = Tape::new();
    let stale = {
        let t = tape.activate();
        t.var(1.0)
    };
    tape.clear();
    let t = tape.activate();
    let fresh = t.var(2.0);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stale + fresh));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("before `Tape::clear()`"), "{msg}");
    let adj = t.gradient(fresh * 2.0).unwrap();
    assert!(matches!(
        adj.wrt(stale),
        Err(TapeError::ForeignVariable { .. })
    ));
    assert!(t.gradient(stale).is_err());
}

#[test]
fn foreign_tape_variable_is_detected_and_nesting_restores() {
    let mut outer = Tape::new();
    let t_outer = outer.activate();
    let x = t_outer.var(1.5);
    {
        let mut inner = Tape::new();
        let t_inner = inner.activate();
        let z = t_inner.var(2.0);
        let w = z * z;
        assert_eq!(t_inner.gradient(w).unwrap().get(z), 4.0);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| x * z));
        assert!(r.is_err());
    }
    // The outer tape is active again.
    let y_outer = x * x;
    assert_eq!(t_outer.gradient(y_outer).unwrap().get(x), 3.0);
}

#[test]
fn no_active_tape_panics_with_message() {
    let r = std::thread::spawn(|| {
        let x = {
            let mut tape = Tape::new();
            let t = tape.activate();
            t.var(1.0)
        };
        let _ = x.sin();
    })
    .join();
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<&str>().unwrap();
    assert!(msg.contains("no active tape"), "{msg}");
}

#[test]
fn threads_record_on_their_own_tapes() {
    use rayon::prelude::*;
    let xs: Vec<f64> = (0..64).map(|i| 0.1 + i as f64 * 0.05).collect();
    let grads: Vec<f64> = xs
        .par_iter()
        .map(|&x| gradient(|v| v[0].ln() * v[0], &[x]).1[0])
        .collect();
    for (x, g) in xs.iter().zip(grads) {
        assert!((g - (x.ln() + 1.0)).abs() < 1e-14);
    }
}

#[test]
fn constants_record_nothing() {
    let mut tape = Tape::new();
    let t = tape.activate();
    let c = Var::<f64>::from_f64(2.0);
    let d = (c * 3.0).sin() + c;
    assert!(d.is_constant());
    assert_eq!(t.len(), 0);
    let x = t.var(1.0);
    let y = x * c + 1.0;
    assert_eq!(t.gradient(y).unwrap().get(x), 2.0);
    assert_eq!(t.gradient(y).unwrap().get(c), 0.0);
}

#[test]
fn comparisons_use_the_value() {
    let mut tape = Tape::new();
    let t = tape.activate();
    let a = t.var(1.0);
    let b = t.var(2.0);
    assert!(a < b && a.lt_mask(&b) && !a.gt_mask(&b));
    let m = a.max(&b);
    assert_eq!(m.value(), 2.0);
    let adj = t.gradient(m * 3.0).unwrap();
    assert_eq!((adj.get(a), adj.get(b)), (0.0, 3.0));
}

#[test]
fn hvp_matches_closed_form_hessian() {
    // f = x² y + exp(x y): H = [[2y + y² e, 2x + e + x y e], [.., x² e]] with e = exp(xy).
    let fun = |v: &[Var<Dual64>]| v[0] * v[0] * v[1] + (v[0] * v[1]).exp();
    let (x, y) = (0.4, -0.9);
    let e = (x * y).exp();
    let h = [
        [2.0 * y + y * y * e, 2.0 * x + e + x * y * e],
        [2.0 * x + e + x * y * e, x * x * e],
    ];
    let (val, g, hv) = hvp(fun, &[x, y], &[0.3, -1.2]).unwrap();
    assert!((val - (x * x * y + e)).abs() < 1e-15);
    assert!((g[0] - (2.0 * x * y + y * e)).abs() < 1e-14);
    for i in 0..2 {
        let expect = h[i][0] * 0.3 - h[i][1] * 1.2;
        assert!((hv[i] - expect).abs() < 1e-13, "{} vs {}", hv[i], expect);
    }
    let full = hessian(fun, &[x, y]);
    for i in 0..2 {
        for j in 0..2 {
            assert!((full[(i, j)] - h[i][j]).abs() < 1e-13);
        }
    }
    assert!(hvp(fun, &[x, y], &[1.0]).is_err());
}

// ---------------------------------------------------------------- batched tape

#[test]
fn batched_tape_matches_per_event_tape() {
    let xs = [0.3, 0.9, 1.7, 2.2, 3.1];
    let ys = [1.0, -0.5, 0.25, 2.0, 0.7];
    let mut bt = BatchTape::new(xs.len()).unwrap();
    let mut t = bt.activate();
    let p = t.param(0.8);
    let q = t.param(-0.3);
    let x = t.column(&xs).unwrap();
    let y = t.constant_column(&ys).unwrap();
    // Per event: f(p x, q + y) plus a parameter-only term.
    let out = f(x * p, y + q) + (p * q).exp();
    let vals = t.value(out).unwrap();
    let total = out.sum();
    let adj = t.backward(total).unwrap();
    let (mut gp, mut gq) = (0.0, 0.0);
    let gx = adj.wrt(x).unwrap();
    for i in 0..xs.len() {
        let (v, g) = gradient(
            |v| f(v[2] * v[0], Var::constant(ys[i]) + v[1]) + (v[0] * v[1]).exp(),
            &[0.8, -0.3, xs[i]],
        );
        assert!((vals.lane(i) - v).abs() < 1e-14);
        gp += g[0];
        gq += g[1];
        assert!((gx.lane(i) - g[2]).abs() < 1e-13);
    }
    assert!((adj.scalar(p).unwrap() - gp).abs() < 1e-12);
    assert!((adj.scalar(q).unwrap() - gq).abs() < 1e-12);
    assert_eq!(adj.scalar(y).unwrap(), 0.0);
}

#[test]
fn batched_tape_select_min_max_dot_mean() {
    let xs = [-1.0, 0.5, 2.0, -3.0];
    let w = [1.0, 2.0, 3.0, 4.0];
    let mut bt = BatchTape::new(4).unwrap();
    let mut t = bt.activate();
    let a = t.param(0.7);
    let x = t.column(&xs).unwrap();
    let m = (x * a).max(&BVar::from_f64(0.0)); // ReLU(a x)
    let s = m.dot(&w).unwrap(); // Σ w relu(a x)
    let adj = t.backward(s).unwrap();
    // d/da = Σ w x [a x > 0] = 2·0.5 + 3·2 = 7
    assert!((adj.scalar(a).unwrap() - 7.0).abs() < 1e-15);
    let gx = adj.wrt(x).unwrap();
    assert_eq!(gx, BatchValue::Column(vec![0.0, 2.0 * 0.7, 3.0 * 0.7, 0.0]));
    let mean = x.mean();
    assert_eq!(t.value(mean).unwrap(), BatchValue::Scalar(-0.375));
    let adj = t.backward(mean).unwrap();
    assert_eq!(adj.wrt(x).unwrap(), BatchValue::Column(vec![0.25; 4]));
}

#[test]
fn batched_tape_select_with_a_parameter_mask_or_a_scalar_branch() {
    let xs = [1.0, 2.0, 3.0];
    let mut bt = BatchTape::new(3).unwrap();
    let mut t = bt.activate();
    let a = t.param(2.0);
    let b = t.param(0.5);
    let x = t.column(&xs).unwrap();
    // One mask for all events (parameters only): both branches are columns.
    for (mask, pick_a) in [(a.lt_mask(&b), false), (b.lt_mask(&a), true)] {
        let z = BVar::select(&mask, x * a, x * b).sum();
        let adj = t.backward(z).unwrap();
        // Σ x·(chosen parameter): its derivative is Σ x = 6, the other's 0; d/dx = chosen.
        let (ga, gb, gx) = if pick_a {
            (6.0, 0.0, 2.0)
        } else {
            (0.0, 6.0, 0.5)
        };
        assert_eq!(adj.scalar(a).unwrap(), ga);
        assert_eq!(adj.scalar(b).unwrap(), gb);
        assert_eq!(adj.wrt(x).unwrap(), BatchValue::Column(vec![gx; 3]));
    }
    // A per-event mask choosing between a column and a parameter: [2, 4, b].
    let z = BVar::select(&x.lt_mask(&BVar::from_f64(2.5)), x * a, b);
    assert_eq!(t.value(z).unwrap(), BatchValue::Column(vec![2.0, 4.0, 0.5]));
    let adj = t.backward(z.sum()).unwrap();
    assert_eq!(adj.scalar(a).unwrap(), 3.0);
    assert_eq!(adj.scalar(b).unwrap(), 1.0);
    assert_eq!(adj.wrt(x).unwrap(), BatchValue::Column(vec![2.0, 2.0, 0.0]));
}

#[test]
fn batched_tape_reports_bad_lengths_and_stale_vars() {
    assert_eq!(BatchTape::new(0).unwrap_err(), TapeError::ZeroLanes);
    let mut bt = BatchTape::new(3).unwrap();
    let mut t = bt.activate();
    let e = t.column(&[1.0, 2.0]).unwrap_err();
    assert_eq!(
        e,
        TapeError::BatchLength {
            expected: 3,
            got: 2
        }
    );
    assert!(e.to_string().contains("2 events") && e.to_string().contains("3 lanes"));
    let x = t.column(&[1.0, 2.0, 3.0]).unwrap();
    assert!(x.dot(&[1.0]).is_err());
    assert!(t.vjp(x, &[1.0]).is_err());
    assert!(t.vjp(x.sum(), &[1.0, 1.0]).is_err());
    t.reset();
    let y = t.column(&[1.0, 2.0, 3.0]).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| x + y));
    let msg = r.unwrap_err();
    assert!(msg
        .downcast_ref::<String>()
        .unwrap()
        .contains("before a reset"));
    assert!(t.value(x).is_err());
}

#[test]
fn batched_tape_blocks_accumulate_like_one_batch() {
    // Σ over 10 events of (a x)^3 in blocks of 4 (with a shorter tail) equals the full sum.
    let xs: Vec<f64> = (0..10).map(|i| 0.1 * i as f64 - 0.3).collect();
    let a0 = 1.3;
    let mut bt = BatchTape::new(4).unwrap();
    let mut t = bt.activate();
    let mut g = 0.0;
    for chunk in xs.chunks(4) {
        t.set_lanes(chunk.len()).unwrap();
        let a = t.param(a0);
        let x = t.constant_column(chunk).unwrap();
        let y = (x * a).powi(3).sum();
        g += t.backward(y).unwrap().scalar(a).unwrap();
    }
    let exact: f64 = xs.iter().map(|x| 3.0 * a0 * a0 * x * x * x).sum();
    assert!((g - exact).abs() < 1e-14);
}

/// A program that uses every batched-tape operation: unary functions, operations with
/// constants, binary operations, comparisons with `select`, `signum`, reductions and `dot`.
fn every_op(t: &mut BatchedActive, x: &[f64], y: &[f64], w: &[f64]) -> (BVar, BVar, BVar, BVar) {
    let p = t.param(0.8);
    let q = t.param(-0.3);
    let xc = t.column(x).unwrap();
    let yc = t.constant_column(y).unwrap();
    let u = xc * p + 2.0; // > 0 for the data below
    let v = yc - q;
    let mut z = u.recip() + u.sqrt() + (v * 0.1).exp() + u.ln() + (u * 0.1).ln_1p();
    z += (v * 0.1).exp_m1() + u.powi(3) + u.powf(1.5) + v.sin() + v.cos() + (v * 0.1).tan();
    z += (v * 0.2).asin() + (v * 0.2).acos() + v.atan() + (v * 0.3).sinh() + (v * 0.3).cosh();
    z += v.tanh() + v.abs() + v.signum() * u + (3.0 - u) + 2.0 / u - (u - 1.5) + (-v);
    z += v.atan2(&u) + u.hypot(&v) + u / v.abs().max(&BVar::from_f64(0.1)) + u * v - v;
    z += BVar::select(&v.le_mask(&BVar::from_f64(0.0)), u, v);
    z += BVar::select(&v.lt_mask(&u), u, BVar::from_f64(1.0));
    let d = z.dot(w).unwrap();
    let total = z.sum() + d * p + (p * q).exp();
    (xc, p, z, total)
}

#[test]
fn batched_tape_replay_equals_a_fresh_recording_bit_for_bit() {
    let x1 = [0.3, 0.9, 1.7, 2.2, 3.1];
    let y1 = [1.0, -0.5, 0.25, 2.0, -0.7];
    let x2 = [1.3, -0.4, 0.2, 2.9, 0.6];
    let y2 = [-1.2, 0.5, 0.0, 3.0, 0.7];
    let w = [0.5, 1.0, 1.5, 2.0, 2.5];
    let record = |x: &[f64], y: &[f64]| {
        let mut bt = BatchTape::new(5).unwrap();
        let mut t = bt.activate();
        let (xc, p, z, total) = every_op(&mut t, x, y, &w);
        let vals = (t.value(z).unwrap(), t.value(total).unwrap());
        let adj = t.backward(total).unwrap();
        (vals, adj.wrt(xc).unwrap(), adj.scalar(p).unwrap())
    };
    let fresh = record(&x2, &y2);
    assert_ne!(record(&x1, &y1), fresh);
    // Record on the first data, replay on the second.
    let mut bt = BatchTape::new(5).unwrap();
    let mut t = bt.activate();
    let (xc, p, z, total) = every_op(&mut t, &x1, &y1, &w);
    t.backward(total).unwrap();
    t.replay(&[&x2, &y2]).unwrap();
    let vals = (t.value(z).unwrap(), t.value(total).unwrap());
    let adj = t.backward(total).unwrap();
    let replayed = (vals, adj.wrt(xc).unwrap(), adj.scalar(p).unwrap());
    let bits = |r: &(BatchValue, BatchValue)| {
        let col = |v: &BatchValue| match v {
            BatchValue::Column(c) => c.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            BatchValue::Scalar(s) => vec![s.to_bits()],
        };
        (col(&r.0), col(&r.1))
    };
    assert_eq!(bits(&replayed.0), bits(&fresh.0));
    assert_eq!(replayed.1, fresh.1);
    assert_eq!(replayed.2.to_bits(), fresh.2.to_bits());
}

#[test]
fn batched_tape_replay_checks_its_columns() {
    let mut bt = BatchTape::new(3).unwrap();
    let mut t = bt.activate();
    let a = t.param(2.0);
    let x = t.constant_column(&[1.0, 2.0, 3.0]).unwrap();
    // Dot weights are not data: they stay when the tape is replayed.
    let y = (x * a).dot(&[1.0, 1.0, 2.0]).unwrap();
    let e = t.replay(&[]).unwrap_err();
    assert!(e.to_string().contains("expected length 1, got 0"), "{e}");
    let e = t.replay(&[&[1.0, 2.0]]).unwrap_err();
    assert_eq!(
        e,
        TapeError::BatchLength {
            expected: 3,
            got: 2
        }
    );
    t.replay(&[&[0.5, 1.0, -1.0]]).unwrap();
    // 2·(0.5 + 1 − 2) = −1; d/da = 0.5 + 1 − 2.
    assert_eq!(t.value(y).unwrap(), BatchValue::Scalar(-1.0));
    assert_eq!(t.backward(y).unwrap().scalar(a).unwrap(), -0.5);
}

#[test]
fn batched_tape_replay_follows_a_recording_that_grew_or_changed() {
    let mut bt = BatchTape::new(3).unwrap();
    let mut t = bt.activate();
    let a = t.param(2.0);
    let x = t.constant_column(&[1.0, 2.0, 3.0]).unwrap();
    let y = (x * a).sum();
    t.replay(&[&[1.0, 1.0, 1.0]]).unwrap();
    assert_eq!(t.value(y).unwrap(), BatchValue::Scalar(6.0));
    // Nodes recorded after a replay (a parameter-only one and a data-dependent one) are part
    // of the next replay's program.
    let b = a * 3.0;
    let z = (x * b).sum() + y;
    t.replay(&[&[1.0, 0.0, 2.0]]).unwrap();
    // 6·3 + 2·3 = 24; d/da = 3·3 + 3 = 12.
    assert_eq!(t.value(z).unwrap(), BatchValue::Scalar(24.0));
    assert_eq!(t.backward(z).unwrap().scalar(a).unwrap(), 12.0);
    // A new recording with two data columns replaces the program.
    t.reset();
    let a = t.param(0.5);
    let u = t.constant_column(&[1.0, 2.0, 3.0]).unwrap();
    let v = t.constant_column(&[4.0, 5.0, 6.0]).unwrap();
    let y = (u * v * a).sum();
    assert!(t.replay(&[&[1.0, 1.0, 1.0]]).is_err());
    t.replay(&[&[1.0, 1.0, 1.0], &[2.0, 2.0, 4.0]]).unwrap();
    assert_eq!(t.value(y).unwrap(), BatchValue::Scalar(4.0));
    assert_eq!(t.backward(y).unwrap().scalar(a).unwrap(), 8.0);
}

#[test]
fn batched_tape_refuses_a_simd_path_the_cpu_lacks() {
    let mut bt = BatchTape::new(4).unwrap();
    for path in crate::simd::ALL_PATHS {
        match bt.set_simd(path) {
            Ok(()) => assert!(path.is_supported(), "{path}"),
            Err(e) => {
                assert!(!path.is_supported(), "{path}");
                assert!(e.to_string().contains("not supported by this CPU"), "{e}");
            }
        }
    }
    // On every supported path the tape still computes: Σ (a x)² with a = 2, d/da = 2a Σ x².
    for path in crate::simd::SimdPath::supported() {
        bt.set_simd(path).unwrap();
        let mut t = bt.activate();
        t.reset();
        let a = t.param(2.0);
        let x = t.constant_column(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        let y = (x * a).powi(2).sum();
        assert_eq!(t.backward(y).unwrap().scalar(a).unwrap(), 120.0, "{path}");
    }
}
