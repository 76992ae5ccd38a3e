//! Lane duals and the batch-gradient API against per-event num-dual numbers, the tape and
//! finite differences (`diffhep::gradcheck`).

use diffhep::batch::{
    jacobian, sum_gradient, sum_hessian, values, BatchError, BatchOptions, Engine, EventFn,
    EventJacobian, EventSum, Events, SumDerivatives, Wrt, PARALLEL_MIN_EVENTS,
};
use diffhep::gradcheck::{check_gradient, check_hessian, GradCheckConfig};
use diffhep::lanes::{Block, LaneDual, LaneDual2, LANES};
use diffhep::simd::SimdPath;
use diffhep::{forward, RealScalar, Scalar, ScalarFn};
use diffhep_physics::collider::ee_mumu::{msq, EeMuMuEvents, EwParams};

/// The relative tolerance of the issue: lane duals equal per-event num-dual to 1e-13.
const REL: f64 = 1e-13;

fn assert_close(got: f64, want: f64, what: &str) {
    let tol = REL * got.abs().max(want.abs());
    assert!(
        (got - want).abs() <= tol,
        "{what}: lane {got:e} vs num-dual {want:e}"
    );
}

/// Deterministic pseudo-random numbers in [0, 1) (a fixed LCG; no external RNG needed here).
fn uniform(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// Events around the Z pole: √s in [60, 120] GeV, cosθ in (−1, 1).
fn ee_events(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let rs = uniform(n, seed).iter().map(|u| 60.0 + 60.0 * u).collect();
    let c = uniform(n, seed + 1).iter().map(|u| 2.0 * u - 1.0).collect();
    (rs, c)
}

/// |M|² of one event as a function of `[√s, cosθ, M_Z, sin²θ_W]` (Γ_Z, α fixed).
struct EventMsq {
    wz: f64,
    alpha: f64,
}

impl ScalarFn for EventMsq {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let p = EwParams {
            mz: x[2].clone(),
            wz: S::from_f64(self.wz),
            sw2: x[3].clone(),
            alpha: S::from_f64(self.alpha),
        };
        msq(&(x[0].clone() * x[0].clone()), &x[1], &p)
    }
}

#[test]
fn lane_dual_equals_num_dual_on_ee_mumu() {
    let p = EwParams::madgraph_sm();
    let (rs, c) = ee_events(203, 1);
    let events = Events::new(&[&rs, &c]).unwrap();
    let wrt = [Wrt::Column(0), Wrt::Column(1), Wrt::Param(0), Wrt::Param(2)];
    let opts = BatchOptions {
        engine: Engine::LaneDual,
        ..BatchOptions::default()
    };
    let jac = jacobian(&EeMuMuEvents, &p.to_array(), &events, &wrt, &opts).unwrap();
    let f = EventMsq {
        wz: p.wz,
        alpha: p.alpha,
    };
    for e in 0..rs.len() {
        let (v, g) = forward::gradient(&f, &[rs[e], c[e], p.mz, p.sw2]);
        assert_close(jac.values[e], v, &format!("value of event {e}"));
        for (k, gk) in g.iter().enumerate() {
            assert_close(
                jac.partials[k][e],
                *gk,
                &format!("partial {k} of event {e}"),
            );
        }
    }
}

/// Uses every elementary operation of `Scalar` (and constants on both sides).
fn every_op<S: Scalar>(x: &S, y: &S) -> S {
    let x = x.clone();
    let y = y.clone();
    let a = x.recip() + x.sqrt() + x.exp() * 0.1 + x.ln() + x.ln_1p() + x.exp_m1() * 0.5;
    let b = x.powi(3) - y.powi(-2) + x.powf(1.7) + y.sin() * x.cos() + (x.clone() * 0.3).tan();
    let c = (y.clone() * 0.5).asin()
        + (x.clone() * 0.4).acos()
        + y.atan()
        + y.atan2(&x)
        + (y.clone() * 0.7).sinh()
        + x.cosh() * 0.2
        + (x.clone() - y.clone()).tanh();
    let d = (y.clone() - x.clone()).abs()
        + x.hypot(&y)
        + y.signum() * x.clone()
        + Scalar::min(&x, &y) * 2.0
        + Scalar::max(&y, &x)
        - S::select(&x.lt_mask(&y), x.clone() * y.clone(), x.clone() / y.clone())
        + x.rsub(3.0) * y.rdiv(2.0)
        + (x.clone() / 1.5 + 2.5 - y.clone() * 0.25);
    a + b + c + d
}

struct EveryOp;
impl ScalarFn for EveryOp {
    fn eval<S: RealScalar>(&self, v: &[S]) -> S {
        every_op(&v[0], &v[1])
    }
}

fn every_op_points() -> ([f64; LANES], [f64; LANES]) {
    // x in [0.3, 0.9], y in [0.2, 1.5], x ≠ y (no ties in min/max/select).
    let u = uniform(2 * LANES, 7);
    let x = std::array::from_fn(|i| 0.3 + 0.6 * u[i]);
    let y = std::array::from_fn(|i| 0.2 + 1.3 * u[LANES + i]);
    (x, y)
}

#[test]
fn lane_dual_equals_num_dual_on_every_elementary_op() {
    let (xs, ys) = every_op_points();
    let x = LaneDual::<2>::variable_block(Block::from(xs), 0);
    let y = LaneDual::<2>::variable_block(Block::from(ys), 1);
    let f = every_op(&x, &y);
    for i in 0..LANES {
        let (v, g) = forward::gradient(&EveryOp, &[xs[i], ys[i]]);
        assert_close(f.value()[i], v, "value");
        assert_close(f.tangent(0)[i], g[0], "d/dx");
        assert_close(f.tangent(1)[i], g[1], "d/dy");
    }
}

#[test]
fn second_order_lane_dual_equals_num_dual_hessian_on_every_op() {
    let (xs, ys) = every_op_points();
    let x = LaneDual2::<2>::variable_block(Block::from(xs), 0);
    let y = LaneDual2::<2>::variable_block(Block::from(ys), 1);
    let f = every_op(&x, &y);
    for i in 0..LANES {
        let (v, g, h) = forward::hessian(&EveryOp, &[xs[i], ys[i]]);
        assert_close(f.value()[i], v, "value");
        for a in 0..2 {
            assert_close(f.gradient(a)[i], g[a], "gradient");
            for b in 0..2 {
                assert_close(f.hessian(a, b)[i], h[(a, b)], "hessian");
            }
        }
    }
}

/// Checks a batch sum's gradient (and Hessian) against `diffhep::gradcheck` on the same sum
/// evaluated event by event: the check itself compares tape, num-dual and finite differences;
/// the batch results (every engine) must then equal its forward-mode numbers.
fn assert_batch_gradient<F: EventFn>(
    f: &F,
    params: &[f64],
    events: &Events,
    cfg: &GradCheckConfig,
) {
    let sum = EventSum { f, events };
    let report = check_gradient(&sum, params, cfg);
    report.assert_ok();
    let wrt: Vec<usize> = (0..params.len()).collect();
    for engine in [Engine::LaneDual, Engine::BatchedTape] {
        let opts = BatchOptions {
            engine,
            ..BatchOptions::default()
        };
        let g = sum_gradient(f, params, events, &wrt, &opts).unwrap();
        let scale = report.value.abs();
        assert!(
            (g.value - report.value).abs() <= 1e-12 * scale,
            "{engine:?} value"
        );
        for c in &report.components {
            let tol = 1e-12 * c.forward.abs().max(g.gradient[c.index].abs());
            assert!(
                (g.gradient[c.index] - c.forward).abs() <= tol,
                "{engine:?} gradient[{}]: {} vs {}",
                c.index,
                g.gradient[c.index],
                c.forward
            );
        }
    }
    let hc = check_hessian(&sum, params, cfg);
    hc.assert_ok();
    let h = sum_hessian(f, params, events, &wrt, &BatchOptions::default())
        .unwrap()
        .hessian
        .unwrap();
    for (a, b) in h.iter().zip(hc.forward.iter()) {
        assert!(
            (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
            "hessian {a} vs {b}"
        );
    }
}

#[test]
fn batch_gradient_of_ee_mumu_sum_passes_gradcheck() {
    let (rs, c) = ee_events(37, 3);
    let events = Events::new(&[&rs, &c]).unwrap();
    // The Ridders step must stay inside the resonance (Γ_Z ≈ 2.4 GeV).
    let cfg = GradCheckConfig {
        initial_step: 1e-3,
        ..GradCheckConfig::default()
    };
    assert_batch_gradient(
        &EeMuMuEvents,
        &EwParams::madgraph_sm().to_array(),
        &events,
        &cfg,
    );
}

/// A Gaussian-mixture negative log-likelihood, with hoisted parameter-only parts.
struct Mixture;
impl EventFn for Mixture {
    type Shared<S: Scalar> = Vec<S>;
    fn n_params(&self) -> usize {
        3
    }
    fn n_columns(&self) -> usize {
        2
    }
    fn shared<S: Scalar>(&self, p: &[S]) -> Vec<S> {
        // [μ, 1/σ, weight of the flat part, ln σ]
        vec![p[0].clone(), p[1].recip(), p[2].clone(), p[1].ln()]
    }
    // Inlined into each SIMD path's kernel (see `diffhep::simd`).
    #[inline(always)]
    fn eval<S: Scalar>(&self, s: &Vec<S>, x: &[S]) -> S {
        let z = (x[0].clone() - s[0].clone()) * s[1].clone();
        let gauss = (-(z.clone() * z) * 0.5 - s[3].clone()).exp();
        let flat = x[1].clone() * s[2].clone();
        -(gauss * s[2].rsub(1.0) + flat).ln()
    }
}

#[test]
fn batch_gradient_of_mixture_likelihood_passes_gradcheck() {
    let x: Vec<f64> = uniform(41, 11).iter().map(|u| 4.0 * u - 2.0).collect();
    let w = vec![0.1; x.len()];
    let events = Events::new(&[&x, &w]).unwrap();
    assert_batch_gradient(
        &Mixture,
        &[0.2, 0.9, 0.3],
        &events,
        &GradCheckConfig::default(),
    );
}

#[test]
fn tails_are_masked_for_1_7_8_9_and_1003_events() {
    let p = EwParams::madgraph_sm().to_array();
    let f = EventMsq {
        wz: p[1],
        alpha: p[3],
    };
    for n in [1usize, 7, 8, 9, 1003] {
        // The data continue with NaN past the n events: reading past the end would poison sums.
        let (mut rs, mut c) = ee_events(n, 5 + n as u64);
        rs.extend([f64::NAN; 16]);
        c.extend([f64::NAN; 16]);
        let events = Events::new(&[&rs[..n], &c[..n]]).unwrap();
        for block in [8, 64, 2048] {
            let opts = BatchOptions {
                block,
                tape_block: block / 2 + 1,
                ..BatchOptions::default()
            };
            let wrt = [Wrt::Param(0), Wrt::Column(1)];
            let jac = jacobian(&EeMuMuEvents, &p, &events, &wrt, &opts).unwrap();
            assert_eq!(jac.values.len(), n);
            let mut sum = 0.0;
            let mut dsum = 0.0;
            for e in 0..n {
                let (v, g) = forward::gradient(&f, &[rs[e], c[e], p[0], p[2]]);
                assert_close(jac.values[e], v, "value");
                assert_close(jac.partials[0][e], g[2], "d/dMZ");
                assert_close(jac.partials[1][e], g[1], "d/dcos");
                sum += v;
                dsum += g[2];
            }
            for engine in [Engine::LaneDual, Engine::BatchedTape] {
                let o = BatchOptions { engine, ..opts };
                let g = sum_gradient(&EeMuMuEvents, &p, &events, &[0], &o).unwrap();
                // Summation order differs from the loop above: allow rounding of n terms.
                let tol = 1e-14 * n as f64;
                assert!(
                    (g.value - sum).abs() <= tol * sum.abs(),
                    "n = {n} {engine:?}"
                );
                assert!(
                    (g.gradient[0] - dsum).abs() <= tol * dsum.abs().max(1.0),
                    "n = {n}"
                );
            }
            let vals = values(&EeMuMuEvents, &p, &events, &opts).unwrap();
            assert_eq!(vals, jac.values);
        }
    }
}

#[test]
fn sums_are_bit_identical_at_1_and_2_threads() {
    let p = EwParams::madgraph_sm().to_array();
    let (rs, c) = ee_events(1003, 9);
    let events = Events::new(&[&rs, &c]).unwrap();
    // `min_events` 0 forces the blocks onto the pool; the default keeps 1003 events on the
    // calling thread.
    let run = |threads: usize, engine: Engine, min_events: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let opts = BatchOptions {
                engine,
                block: 64,
                tape_block: 50,
                parallel_min_events: min_events,
                ..BatchOptions::default()
            };
            let g = sum_gradient(&EeMuMuEvents, &p, &events, &[0, 1, 2, 3], &opts).unwrap();
            let h = sum_hessian(&EeMuMuEvents, &p, &events, &[0, 2], &opts).unwrap();
            let j = jacobian(&EeMuMuEvents, &p, &events, &[Wrt::Column(0)], &opts).unwrap();
            (g, h, j)
        })
    };
    for engine in [Engine::LaneDual, Engine::BatchedTape] {
        let one = run(1, engine, 0);
        let two = run(2, engine, 0);
        assert_eq!(one.0.value.to_bits(), two.0.value.to_bits());
        assert_eq!(one, two, "{engine:?}");
        assert_eq!(one, run(2, engine, PARALLEL_MIN_EVENTS), "{engine:?}");
        assert_eq!(one, run(2, engine, usize::MAX), "{engine:?}");
    }
}

/// Every SIMD dispatch path this CPU supports computes the same bits: the block operations are
/// correctly rounded lane by lane and never fused (`diffhep::simd`), and the transcendental
/// kernels are one code on every path. Arithmetic (e+e-→μ+μ-) and exp/ln (the mixture), sums,
/// Hessians and per-event Jacobians, with a tail group.
#[test]
fn every_simd_path_gives_bit_identical_results() {
    let p = EwParams::madgraph_sm().to_array();
    let (rs, c) = ee_events(1003, 17);
    let ee = Events::new(&[&rs, &c]).unwrap();
    let x: Vec<f64> = uniform(1003, 5).iter().map(|u| 4.0 * u - 2.0).collect();
    let w = vec![0.1; x.len()];
    let mix = Events::new(&[&x, &w]).unwrap();
    let run = |path: SimdPath| {
        let opts = BatchOptions {
            simd: Some(path),
            ..BatchOptions::default()
        };
        let tape = BatchOptions {
            engine: Engine::BatchedTape,
            tape_block: 100,
            ..opts.clone()
        };
        let all = [Wrt::Column(0), Wrt::Column(1), Wrt::Param(0), Wrt::Param(2)];
        (
            sum_gradient(&EeMuMuEvents, &p, &ee, &[0, 1, 2, 3], &opts).unwrap(),
            sum_hessian(&EeMuMuEvents, &p, &ee, &[0, 2], &opts).unwrap(),
            jacobian(&EeMuMuEvents, &p, &ee, &all, &opts).unwrap(),
            sum_gradient(&Mixture, &[0.2, 0.9, 0.3], &mix, &[0, 1, 2], &opts).unwrap(),
            jacobian(&Mixture, &[0.2, 0.9, 0.3], &mix, &[Wrt::Column(0)], &opts).unwrap(),
            // The batched tape's loops run on the same path (recorded, then replayed blocks).
            sum_gradient(&Mixture, &[0.2, 0.9, 0.3], &mix, &[0, 1, 2], &tape).unwrap(),
            jacobian(&EeMuMuEvents, &p, &ee, &all, &tape).unwrap(),
        )
    };
    let paths = SimdPath::supported();
    let reference = run(SimdPath::Portable);
    for &path in &paths[1..] {
        let got = run(path);
        // `==` on f64 would equate 0.0 and -0.0: compare the bits of every number.
        type Results = (
            SumDerivatives,
            SumDerivatives,
            EventJacobian,
            SumDerivatives,
            EventJacobian,
            SumDerivatives,
            EventJacobian,
        );
        let bits = |r: &Results| -> Vec<u64> {
            let (g, h, j, m, mj, tg, tj) = r;
            let mut v = vec![g.value, h.value, m.value, tg.value];
            v.extend(&g.gradient);
            v.extend(&m.gradient);
            v.extend(&tg.gradient);
            v.extend(h.hessian.as_ref().unwrap().iter());
            for jac in [j, mj, tj] {
                v.extend(&jac.values);
                jac.partials.iter().for_each(|p| v.extend(p));
            }
            v.iter().map(|x| x.to_bits()).collect()
        };
        assert_eq!(bits(&got), bits(&reference), "{path} vs portable");
    }
    // A path the CPU lacks is a clear error, not a crash.
    for path in diffhep::simd::ALL_PATHS {
        if !path.is_supported() {
            let opts = BatchOptions {
                simd: Some(path),
                ..BatchOptions::default()
            };
            let e = sum_gradient(&EeMuMuEvents, &p, &ee, &[0], &opts).unwrap_err();
            assert!(e.to_string().contains("not supported by this CPU"), "{e}");
        }
    }
}

#[test]
fn engine_rule_and_override_give_the_same_derivatives() {
    // Up to 8 directions Auto picks lane duals, above the tape; forced lane duals run 10
    // directions in two passes (8 + 2).
    assert_eq!(Engine::Auto.resolve(8), Engine::LaneDual);
    assert_eq!(Engine::Auto.resolve(9), Engine::BatchedTape);
    let p = EwParams::madgraph_sm().to_array();
    let (rs, c) = ee_events(100, 13);
    let events = Events::new(&[&rs, &c]).unwrap();
    let wrt = [0, 1, 2, 3, 0, 1, 2, 3, 0, 3];
    let lane = BatchOptions {
        engine: Engine::LaneDual,
        ..BatchOptions::default()
    };
    let a = sum_gradient(&EeMuMuEvents, &p, &events, &wrt, &BatchOptions::default()).unwrap();
    let b = sum_gradient(&EeMuMuEvents, &p, &events, &wrt, &lane).unwrap();
    for k in 0..wrt.len() {
        let (x, y) = (a.gradient[k], b.gradient[k]);
        assert!(
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            "{k}: {x} vs {y}"
        );
        let first = wrt.iter().position(|&w| w == wrt[k]).unwrap();
        assert_eq!(b.gradient[k], b.gradient[first], "repeated direction {k}");
    }
}

#[test]
fn bad_input_is_an_error_naming_the_value() {
    let p = EwParams::madgraph_sm().to_array();
    let (rs, c) = ee_events(20, 17);
    let short = &c[..19];
    assert_eq!(
        Events::new(&[&rs, short]).unwrap_err(),
        BatchError::ColumnLength {
            column: 1,
            expected: 20,
            got: 19
        }
    );
    let events = Events::new(&[&rs, &c]).unwrap();
    let o = BatchOptions::default();
    let f = &EeMuMuEvents;
    assert_eq!(
        sum_gradient(f, &p[..3], &events, &[0], &o).unwrap_err(),
        BatchError::ParamCount {
            expected: 4,
            got: 3
        }
    );
    let one = Events::new(&[&rs]).unwrap();
    assert_eq!(
        values(f, &p, &one, &o).unwrap_err(),
        BatchError::ColumnCount {
            expected: 2,
            got: 1
        }
    );
    assert_eq!(
        jacobian(f, &p, &events, &[Wrt::Column(2)], &o).unwrap_err(),
        BatchError::WrtOutOfRange {
            wrt: Wrt::Column(2),
            len: 2
        }
    );
    assert_eq!(
        sum_gradient(f, &p, &events, &[4], &o).unwrap_err(),
        BatchError::WrtOutOfRange {
            wrt: Wrt::Param(4),
            len: 4
        }
    );
    let bad_block = BatchOptions {
        block: 12,
        ..BatchOptions::default()
    };
    assert_eq!(
        values(f, &p, &events, &bad_block).unwrap_err(),
        BatchError::BlockSize { got: 12 }
    );
    let mut nan_p = p;
    nan_p[1] = f64::NAN;
    let err = values(f, &nan_p, &events, &o).unwrap_err();
    assert!(matches!(err, BatchError::NonFiniteParam { index: 1, value } if value.is_nan()));
    let mut inf_c = c.clone();
    inf_c[13] = f64::INFINITY;
    let bad = Events::new(&[&rs, &inf_c]).unwrap();
    assert_eq!(
        values(f, &p, &bad, &o).unwrap_err(),
        BatchError::NonFiniteData {
            column: 1,
            event: 13,
            value: f64::INFINITY
        }
    );
    // Every engine and entry point finds a NaN in a later block's tail group, naming it.
    let (rs2, mut c2) = ee_events(1003, 19);
    c2[1001] = f64::NAN;
    let bad = Events::new(&[&rs2, &c2]).unwrap();
    for engine in [Engine::LaneDual, Engine::BatchedTape] {
        let o = BatchOptions {
            engine,
            block: 64,
            tape_block: 100,
            ..BatchOptions::default()
        };
        let errs = [
            sum_gradient(f, &p, &bad, &[0, 2], &o).unwrap_err(),
            jacobian(f, &p, &bad, &[Wrt::Param(0)], &o).unwrap_err(),
            sum_hessian(f, &p, &bad, &[0], &o).unwrap_err(),
        ];
        for err in errs {
            assert!(
                matches!(err, BatchError::NonFiniteData { column: 1, event: 1001, value }
                    if value.is_nan()),
                "{engine:?}: {err}"
            );
        }
    }
    assert_eq!(
        sum_hessian(f, &p, &events, &[0, 1, 2, 3, 0, 1, 2, 3, 0], &o).unwrap_err(),
        BatchError::TooManyDirections { got: 9, max: 8 }
    );
    // σ < 0 in the mixture: ln of a negative density → the sum is NaN, reported as such.
    let x = vec![0.5; 9];
    let w = vec![-5.0; 9];
    let ev = Events::new(&[&x, &w]).unwrap();
    let err = sum_gradient(&Mixture, &[0.0, 1.0, 0.5], &ev, &[0], &o).unwrap_err();
    assert!(
        matches!(&err, BatchError::NonFiniteResult { what, .. } if what == "value"),
        "{err}"
    );
    assert!(err.to_string().contains("value is NaN"), "{err}");
}
