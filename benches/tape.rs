//! Tape benchmarks (issue: the engine). Prints, measured in this run:
//! (a) scalar tape gradient (record + reverse) time / f64 primal time, for a ~1000-op function
//!     dominated by transcendentals (target ≤ 4) and an arithmetic-only one (target ≤ 30);
//! (b) batched tape value + gradient per event / f64 primal per event for a ~65-op arithmetic
//!     function over 10⁴ events (target ≤ 5), by block size, and the replayed tape's time split
//!     into a fixed cost per block and a cost per event;
//! (c) bytes of tape per recorded binary op (target ≤ 24).
//!
//! Run: `cargo bench --bench tape` (add `-- --quick` style criterion flags as usual).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use diffhep::tape::{BatchTape, Tape};
use diffhep::Scalar;

const N_IN: usize = 100;

/// ~1020 ops, two thirds transcendental: 170 × (sin, cos, mul, exp, ln_1p, add).
fn transcendental<S: Scalar>(x: &[S]) -> S {
    let mut acc = S::zero();
    for i in 0..170 {
        let a = &x[i % N_IN];
        let b = &x[(i * 7 + 3) % N_IN];
        acc += (a.sin() * b.cos()).exp().ln_1p();
    }
    acc
}

/// ~1000 arithmetic ops: 250 × (add, div, mul, add).
fn arithmetic<S: Scalar>(x: &[S]) -> S {
    let mut acc = S::zero();
    for i in 0..250 {
        let a = x[i % N_IN].clone();
        let b = x[(i * 7 + 3) % N_IN].clone();
        acc = acc * 0.999 + b / (a + 1.5);
    }
    acc
}

/// Spin-averaged e+e-→γ/Z→μ+μ- |M|² shape (massless, tree level), ≈65 arithmetic ops:
/// parameters (MZ, sin²θW) shared, (s, cosθ) per event.
fn me<S: Scalar>(s: S, c: S, mz: S, sw2: S) -> S {
    let gz = 2.4952;
    let mz2 = mz.clone() * mz;
    let kappa = (sw2.clone() * sw2.rsub(1.0) * 4.0).recip();
    let gv = sw2.clone() * 2.0 - 0.5;
    let ga = -0.5;
    let gv2 = gv.clone() * gv;
    let sm = s.clone() - mz2.clone();
    let den = sm.clone() * sm.clone() + mz2 * (gz * gz);
    let re_chi = kappa.clone() * s.clone() * sm / den.clone();
    let abs_chi2 = kappa.clone() * kappa * s.clone() * s / den;
    let a0 = (gv2.clone() * re_chi.clone()) * 2.0
        + 1.0
        + (gv2.clone() + ga * ga) * (gv2.clone() + ga * ga) * abs_chi2.clone();
    let a1 = re_chi * (4.0 * ga * ga) + gv2 * abs_chi2 * (8.0 * ga * ga);
    let c2 = c.clone() * c.clone();
    (a0 * (c2 + 1.0) + a1 * c) * 16.0
}

fn inputs() -> Vec<f64> {
    (0..N_IN)
        .map(|i| 0.1 + (i as f64 * 0.37).sin() * 0.8)
        .collect()
}

fn events(n: usize) -> (Vec<f64>, Vec<f64>) {
    let s = (0..n).map(|i| 8000.0 + 10.0 * (i % 97) as f64).collect();
    let c = (0..n)
        .map(|i| -0.95 + 1.9 * ((i * 31) % 1000) as f64 / 1000.0)
        .collect();
    (s, c)
}

/// The vectorised f64 baseline: events in chunks of 8 with 8 independent partial sums, so the
/// compiler evaluates 8 events per SIMD pass (a plain `.sum()` is sequential and does not vectorise).
fn primal_sum(s: &[f64], c: &[f64], mz: f64, sw2: f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let (sc, cc) = (s.chunks_exact(8), c.chunks_exact(8));
    let (sr, cr) = (sc.remainder(), cc.remainder());
    for (s8, c8) in sc.zip(cc) {
        for j in 0..8 {
            acc[j] += me(s8[j], c8[j], mz, sw2);
        }
    }
    let tail: f64 = sr.iter().zip(cr).map(|(&s, &c)| me(s, c, mz, sw2)).sum();
    acc.iter().sum::<f64>() + tail
}

/// Σ value and gradient w.r.t. (mz, sw2) over blocks of `block` events. With `replay`, the
/// program is recorded once and replayed (`BatchedActive::replay`) on later blocks of the same
/// length; otherwise every block is recorded afresh.
fn batched_value_and_grad(
    tape: &mut BatchTape,
    s: &[f64],
    c: &[f64],
    block: usize,
    replay: bool,
) -> (f64, [f64; 2]) {
    let mut t = tape.activate();
    let (mut v, mut g) = (0.0, [0.0; 2]);
    let mut recorded = None;
    for (sb, cb) in s.chunks(block).zip(c.chunks(block)) {
        let (mz, sw2, y) = match recorded {
            Some(r) if replay && sb.len() == t.lanes() => {
                t.replay(&[sb, cb]).unwrap();
                r
            }
            _ => {
                t.set_lanes(sb.len()).unwrap();
                let mz = t.param(91.1876);
                let sw2 = t.param(0.2312);
                let sc = t.constant_column(sb).unwrap();
                let cc = t.constant_column(cb).unwrap();
                let r = (mz, sw2, me(sc, cc, mz, sw2).sum());
                recorded = Some(r);
                r
            }
        };
        v += t.value(y).unwrap().lane(0);
        let adj = t.backward(y).unwrap();
        g[0] += adj.scalar(mz).unwrap();
        g[1] += adj.scalar(sw2).unwrap();
    }
    (v, g)
}

fn main() {
    let mut crit = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();

    let x = inputs();
    let mut tape = Tape::<f64>::with_capacity(2048);
    let mut g = crit.benchmark_group("scalar_tape");
    g.bench_function("transcendental_f64", |b| {
        b.iter(|| transcendental(black_box(&x)))
    });
    g.bench_function("transcendental_grad", |b| {
        b.iter(|| tape.gradient(black_box(&x), transcendental))
    });
    g.bench_function("arithmetic_f64", |b| b.iter(|| arithmetic(black_box(&x))));
    g.bench_function("arithmetic_grad", |b| {
        b.iter(|| tape.gradient(black_box(&x), arithmetic))
    });
    g.finish();

    let n_ev = 10_000;
    let (s, c) = events(n_ev);
    let mut bt = BatchTape::new(256).unwrap();
    let mut g = crit.benchmark_group("batched_tape_10k_events");
    g.bench_function("f64_primal", |b| {
        b.iter(|| primal_sum(black_box(&s), &c, 91.1876, 0.2312))
    });
    g.bench_function("batched_value_and_grad", |b| {
        b.iter(|| batched_value_and_grad(&mut bt, black_box(&s), &c, 256, false))
    });
    g.finish();

    // Ratios, measured here in one process.
    let ms = 60.0;
    let t_tr = common::ns_per_call(ms, || transcendental(black_box(&x)));
    let t_tr_g = common::ns_per_call(ms, || tape.gradient(black_box(&x), transcendental));
    let t_ar = common::ns_per_call(ms, || arithmetic(black_box(&x)));
    let t_ar_g = common::ns_per_call(ms, || tape.gradient(black_box(&x), arithmetic));
    let t_me =
        common::ns_per_call(ms, || primal_sum(black_box(&s), &c, 91.1876, 0.2312)) / n_ev as f64;
    let mut rows_b = Vec::new();
    for block in [64, 256, 1024] {
        let mut bt = BatchTape::new(block).unwrap();
        let t = common::ns_per_call(ms, || {
            batched_value_and_grad(&mut bt, black_box(&s), &c, block, false)
        }) / n_ev as f64;
        rows_b.push((
            format!("(b) batched tape value+grad, block {block}"),
            t,
            "ns/event",
            Some(t / t_me),
            "≤ 5",
        ));
    }
    // Replayed per-event times by block size, kept for the split into fixed and per-event cost.
    let mut replayed = Vec::new();
    for block in [64, 128, 256, 512, 1024] {
        let mut bt = BatchTape::new(block).unwrap();
        let reference = batched_value_and_grad(&mut bt, &s, &c, block, false);
        assert_eq!(
            batched_value_and_grad(&mut bt, &s, &c, block, true),
            reference,
            "replay gives the recording's numbers"
        );
        let t = common::ns_per_call(ms, || {
            batched_value_and_grad(&mut bt, black_box(&s), &c, block, true)
        }) / n_ev as f64;
        replayed.push((block, t));
        rows_b.push((
            format!("(b) batched tape, recorded once + replayed, block {block}"),
            t,
            "ns/event",
            Some(t / t_me),
            "≤ 5",
        ));
    }
    // Where the replayed tape's time goes: with time per block T(n) = F + m·n for n events, the
    // blocks of 64 and 256 events give the fixed cost F per block (the interpreter's per-node
    // work: dispatch, slicing, loop set-up, scalar nodes) and the cost m per event (the column
    // loops' loads, stores and arithmetic). On 2026-12-07 m alone was 5.3–6.0× the primal, so
    // ≤ 5× needs fewer memory passes, not only a cheaper dispatch.
    let at = |b: usize| replayed.iter().find(|r| r.0 == b).expect("measured").1;
    let (t64, t256) = (at(64), at(256));
    let marginal = (256.0 * t256 - 64.0 * t64) / 192.0;
    rows_b.push((
        "(b) replayed tape: fixed cost per block (blocks 64, 256)".to_string(),
        64.0 * (t64 - marginal),
        "ns/block",
        None,
        "",
    ));
    rows_b.push((
        "(b) replayed tape: cost per event beyond it".to_string(),
        marginal,
        "ns/event",
        Some(marginal / t_me),
        "",
    ));
    let mut per_event = Tape::<f64>::with_capacity(128);
    let t_scalar_ev = common::ns_per_call(ms, || {
        let mut acc = [0.0; 2];
        for (&si, &ci) in s.iter().zip(&c) {
            let (_, g) = per_event.gradient(&[91.1876, 0.2312], |p| {
                me(
                    diffhep::tape::Var::constant(si),
                    diffhep::tape::Var::constant(ci),
                    p[0],
                    p[1],
                )
            });
            acc[0] += g[0];
            acc[1] += g[1];
        }
        acc
    }) / n_ev as f64;

    // (c) bytes per recorded binary op.
    let mut chain = Tape::<f64>::with_capacity(10_001);
    let bytes_per_op = {
        let t = chain.activate();
        let a = t.var(1.0001);
        let mut y = t.var(1.0);
        for _ in 0..10_000 {
            y *= a;
        }
        black_box(y);
        drop(t);
        (chain.recorded_bytes() - 2 * 24) as f64 / 10_000.0
    };

    let mut rows = vec![
        (
            "(a) transcendental ~1000 ops: f64 primal".to_string(),
            t_tr,
            "ns",
            None,
            "",
        ),
        (
            "(a) transcendental: tape gradient".to_string(),
            t_tr_g,
            "ns",
            Some(t_tr_g / t_tr),
            "≤ 4",
        ),
        (
            "(a) arithmetic ~1000 ops: f64 primal".to_string(),
            t_ar,
            "ns",
            None,
            "",
        ),
        (
            "(a) arithmetic: tape gradient".to_string(),
            t_ar_g,
            "ns",
            Some(t_ar_g / t_ar),
            "≤ 30",
        ),
        (
            "(b) |M|²-like 65 ops, f64 primal (vectorised loop)".to_string(),
            t_me,
            "ns/event",
            None,
            "",
        ),
    ];
    rows.extend(rows_b);
    rows.push((
        "(b) scalar tape per event (for comparison)".to_string(),
        t_scalar_ev,
        "ns/event",
        Some(t_scalar_ev / t_me),
        "",
    ));
    rows.push((
        "(c) tape bytes per recorded binary op".to_string(),
        bytes_per_op,
        "bytes",
        None,
        "≤ 24",
    ));
    common::print_table("tape: ratios measured in this run", &rows);
}
