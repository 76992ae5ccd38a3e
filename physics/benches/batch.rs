//! e+e- → γ/Z → μ+μ- |M|², value + gradient over 10⁵ events, every engine in one run.
//!
//! Two derivative jobs:
//! - **fit gradient**: Σₑ |M|² and its gradient w.r.t. (M_Z, sin²θ_W) — a likelihood-fit shape;
//! - **4-partial Jacobian**: per event, |M|² and ∂/∂(√s, cosθ, M_Z, sin²θ_W).
//!
//! Engines: fused f64 primal (scalar loop and 8-lane blocks), a hand-written fused adjoint (the
//! baseline, written below), per-event num-dual, the batched tape (blocks of 256, via the batch
//! API), lane duals called directly, and the batch API end to end (lane duals chosen by the
//! rule; "1 thread" = on the calling thread with `parallel_min_events = usize::MAX`, no rayon,
//! like the kernel rows; "2 threads" = each call `install`ed into a 2-thread rayon pool, so its
//! wake-up cost is included; "2 pinned threads" = the same in a pool whose workers are pinned one
//! per CPU, `diffhep::threads::pinned_pool`). The row "lane dual kernel, run-time seeds" seeds
//! every parameter at run time and hides it from the optimizer, as the API does. After the
//! criterion groups, a table of ns/event and ratios measured in the same run is printed, then
//! the parallel threshold scan.
//!
//! Every row is measured on each SIMD path the CPU supports (run-time dispatch, `diffhep::simd`:
//! a default build, no RUSTFLAGS), then the batch API's overhead over the kernel and the
//! 2-thread speed-up at 10³–10⁶ events. Run:
//! `cargo bench --bench batch -- --warm-up-time 1 --measurement-time 2`
//! (only the table: `cargo bench --bench batch -- summary`; JAX beside it:
//! `benches/batch_vs_jax.sh`).

// Index loops over events and parts read like the formulas in these hand-written kernels.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use diffhep::batch::{
    jacobian, jacobian_into, sum_gradient, BatchOptions, Engine, EventFn, EventJacobian, Events,
    Wrt,
};
use diffhep::lanes::{opaque, Block, LaneDual, Lanes, LANES};
use diffhep::simd::{self, SimdPath};
use diffhep::Scalar;
use diffhep_physics::collider::ee_mumu::{
    couplings, msq_with, EeMuMuCouplings, EeMuMuEvents, EwParams,
};
use num_dual::DualSVec64;

/// Events of the main table.
const EVENTS: usize = 100_000;

struct Data {
    rs: Vec<f64>,
    c: Vec<f64>,
    p: EwParams<f64>,
}

fn data(n: usize) -> Data {
    // A fixed LCG: √s uniform in [60, 120] GeV, cosθ uniform in [−1, 1].
    let mut s: u64 = 0x2545F4914F6CDD1D;
    let mut u = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let rs = (0..n).map(|_| 60.0 + 60.0 * u()).collect();
    let c = (0..n).map(|_| 2.0 * u() - 1.0).collect();
    Data {
        rs,
        c,
        p: EwParams::madgraph_sm(),
    }
}

// ---------------------------------------------------------------- fused primal
/// Values per event, plain f64 loop (the compiler vectorises it: no loop-carried sum).
#[inline(always)]
fn primal_scalar(d: &Data, out: &mut [f64]) {
    let g = couplings(&d.p);
    for ((o, &rs), &c) in out.iter_mut().zip(&d.rs).zip(&d.c) {
        *o = msq_with(&g, &(rs * rs), &c);
    }
}

/// Values per event, generic code on 8-lane blocks without tangents.
#[inline(always)]
fn primal_lanes(d: &Data, out: &mut [f64]) {
    let p = d.p.to_array().map(Lanes::from_f64);
    let g = EeMuMuEvents.shared(&p);
    let ins = d.rs.chunks_exact(LANES).zip(d.c.chunks_exact(LANES));
    for ((rs, c), o) in ins.zip(out.chunks_exact_mut(LANES)) {
        let y = EeMuMuEvents.eval(&g, &[Lanes::load(rs), Lanes::load(c)]);
        o.copy_from_slice(y.re.as_array());
    }
}

// ---------------------------------------------------------------- hand-written fused adjoint
/// Couplings and their derivatives with respect to (M_Z, sin²θ_W), computed once.
struct HandParams {
    g: EeMuMuCouplings<f64>,
    /// ∂(M_Z², (M_Z Γ_Z)²)/∂M_Z.
    dmz: [f64; 2],
    /// ∂(k_same, k_same2, k_opp)/∂sin²θ_W.
    dsw2: [f64; 3],
}

fn hand_params(p: &EwParams<f64>) -> HandParams {
    let x = p.sw2;
    let norm = 1.0 / (x * (1.0 - x));
    let dnorm = -(1.0 - 2.0 * x) * norm * norm;
    let cl = x - 0.5;
    let (kll, krr) = (cl * cl * norm, x * x * norm);
    let dkll = 2.0 * cl * norm + cl * cl * dnorm;
    let dkrr = 2.0 * x * norm + x * x * dnorm;
    let dko = (x + cl) * norm + cl * x * dnorm;
    HandParams {
        g: couplings(p),
        dmz: [2.0 * p.mz, 2.0 * p.mz * p.wz * p.wz],
        dsw2: [dkll + dkrr, 2.0 * kll * dkll + 2.0 * krr * dkrr, dko],
    }
}

/// One event's value and adjoints: `[∂s, ∂c, ∂mz2, ∂mzwz2, ∂k_same, ∂k_same2, ∂k_opp]`.
#[inline(always)]
fn hand_event(g: &EeMuMuCouplings<f64>, s: f64, c: f64) -> (f64, [f64; 7]) {
    let d = s - g.mz2;
    let den = d * d + g.mzwz2;
    let inv = 1.0 / den;
    let so = s * inv;
    let re = so * d;
    let ab = so * s;
    let (ks, ks2, ko) = (g.k_same, g.k_same2, g.k_opp);
    let same = 2.0 * (ks * re + 1.0) + ks2 * ab;
    let opp = 2.0 * (2.0 * ko * re + 1.0 + ko * ko * ab);
    let (pl, mi) = (1.0 + c, 1.0 - c);
    let (pp, mm) = (pl * pl, mi * mi);
    let e = g.e4_quarter;
    let value = (pp * same + mm * opp) * e;
    // Reverse sweep.
    let c_bar = e * (2.0 * pl * same - 2.0 * mi * opp);
    let same_bar = e * pp;
    let opp_bar = e * mm;
    let re_bar = 2.0 * ks * same_bar + 4.0 * ko * opp_bar;
    let ab_bar = ks2 * same_bar + 2.0 * ko * ko * opp_bar;
    let ks_bar = 2.0 * re * same_bar;
    let ks2_bar = ab * same_bar;
    let ko_bar = (4.0 * re + 4.0 * ko * ab) * opp_bar;
    let so_bar = re_bar * d + ab_bar * s;
    let inv_bar = so_bar * s;
    let den_bar = -inv_bar * inv * inv;
    let d_bar = re_bar * so + 2.0 * d * den_bar;
    let s_bar = ab_bar * so + so_bar * inv + d_bar;
    (
        value,
        [s_bar, c_bar, -d_bar, den_bar, ks_bar, ks2_bar, ko_bar],
    )
}

/// Fit gradient by the hand adjoint: parameter adjoints summed over events, chained once.
#[inline(always)]
fn hand_fit(h: &HandParams, d: &Data) -> (f64, [f64; 2]) {
    // Eight independent accumulators per quantity, so the loop vectorises across events.
    let mut v = [0.0; LANES];
    let mut a = [[0.0; LANES]; 5];
    for (rs, c) in d.rs.chunks_exact(LANES).zip(d.c.chunks_exact(LANES)) {
        for l in 0..LANES {
            let (y, b) = hand_event(&h.g, rs[l] * rs[l], c[l]);
            v[l] += y;
            for k in 0..5 {
                a[k][l] += b[2 + k];
            }
        }
    }
    let s = |x: &[f64; LANES]| x.iter().sum::<f64>();
    let dmz = s(&a[0]) * h.dmz[0] + s(&a[1]) * h.dmz[1];
    let dsw = s(&a[2]) * h.dsw2[0] + s(&a[3]) * h.dsw2[1] + s(&a[4]) * h.dsw2[2];
    (s(&v), [dmz, dsw])
}

/// 4-partial Jacobian by the hand adjoint.
#[inline(always)]
fn hand_jac(h: &HandParams, d: &Data, out: &mut [Vec<f64>; 5]) {
    let [v, drs, dc, dmz, dsw] = out;
    for e in 0..d.rs.len() {
        let rs = d.rs[e];
        let (y, b) = hand_event(&h.g, rs * rs, d.c[e]);
        v[e] = y;
        drs[e] = b[0] * 2.0 * rs;
        dc[e] = b[1];
        dmz[e] = b[2] * h.dmz[0] + b[3] * h.dmz[1];
        dsw[e] = b[4] * h.dsw2[0] + b[5] * h.dsw2[1] + b[6] * h.dsw2[2];
    }
}

// ---------------------------------------------------------------- per-event num-dual
fn seed4(x: f64, k: usize) -> DualSVec64<4> {
    let mut e = nalgebra::SVector::<f64, 4>::zeros();
    e[k] = 1.0;
    DualSVec64::new(x, num_dual::Derivative::some(e))
}

fn numdual_jac(d: &Data, out: &mut [Vec<f64>; 5]) {
    let p = d.p.to_array();
    let params = [
        seed4(p[0], 2),
        DualSVec64::from(p[1]),
        seed4(p[2], 3),
        DualSVec64::from(p[3]),
    ];
    let g = EeMuMuEvents.shared(&params);
    for e in 0..d.rs.len() {
        let y = EeMuMuEvents.eval(&g, &[seed4(d.rs[e], 0), seed4(d.c[e], 1)]);
        out[0][e] = y.re;
        let eps = y.eps.unwrap_generic(nalgebra::Const::<4>, nalgebra::U1);
        for k in 0..4 {
            out[1 + k][e] = eps[k];
        }
    }
}

// ---------------------------------------------------------------- lane duals, direct
#[inline(always)]
fn lane_fit(d: &Data) -> (f64, [f64; 2]) {
    let p = d.p.to_array();
    let params = [
        LaneDual::<2>::variable(p[0], 0),
        LaneDual::from_f64(p[1]),
        LaneDual::variable(p[2], 1),
        LaneDual::from_f64(p[3]),
    ];
    let g = EeMuMuEvents.shared(&params);
    let mut acc = LaneDual::<2>::from_f64(0.0);
    for (rs, c) in d.rs.chunks_exact(LANES).zip(d.c.chunks_exact(LANES)) {
        acc += EeMuMuEvents.eval(&g, &[LaneDual::load(rs), LaneDual::load(c)]);
    }
    (
        acc.re.reduce_add(),
        [acc.eps[0].reduce_add(), acc.eps[1].reduce_add()],
    )
}

#[inline(always)]
fn lane_jac(d: &Data, out: &mut [Vec<f64>; 5]) {
    let p = d.p.to_array();
    let params = [
        LaneDual::<4>::variable(p[0], 2),
        LaneDual::from_f64(p[1]),
        LaneDual::variable(p[2], 3),
        LaneDual::from_f64(p[3]),
    ];
    lane_jac_with(d, &params, out);
}

/// As [`lane_jac`] with every parameter seeded at run time from [`JAC`] and hidden from the
/// optimizer, as the batch API does (it cannot know at compile time which parameters have zero
/// tangents; the kernel above can). Measures whether that knowledge is part of the API's cost
/// over the kernel (on 2026-12-07 it was not: both rows ran at the same speed).
#[inline(always)]
fn lane_jac_runtime_seeds(d: &Data, out: &mut [Vec<f64>; 5]) {
    let p = d.p.to_array();
    let params: [LaneDual<4>; 4] = std::array::from_fn(|i| {
        let mut x = LaneDual::from_block(Block::splat(p[i]));
        for (e, w) in x.eps.iter_mut().zip(&JAC) {
            if *w == Wrt::Param(i) {
                *e = Block::splat(1.0);
            }
        }
        opaque(x)
    });
    lane_jac_with(d, &params, out);
}

#[inline(always)]
fn lane_jac_with(d: &Data, params: &[LaneDual<4>; 4], out: &mut [Vec<f64>; 5]) {
    let g = EeMuMuEvents.shared(params);
    let [v, d0, d1, d2, d3] = out;
    let outs = v
        .chunks_exact_mut(LANES)
        .zip(d0.chunks_exact_mut(LANES))
        .zip(d1.chunks_exact_mut(LANES))
        .zip(d2.chunks_exact_mut(LANES))
        .zip(d3.chunks_exact_mut(LANES));
    let ins = d.rs.chunks_exact(LANES).zip(d.c.chunks_exact(LANES));
    for ((rs, c), ((((v, a), b), cc), dd)) in ins.zip(outs) {
        let rs = LaneDual::variable_block(LaneDual::<4>::load(rs).re, 0);
        let c = LaneDual::variable_block(LaneDual::<4>::load(c).re, 1);
        let y = EeMuMuEvents.eval(&g, &[rs, c]);
        v.copy_from_slice(y.re.as_array());
        a.copy_from_slice(y.eps[0].as_array());
        b.copy_from_slice(y.eps[1].as_array());
        cc.copy_from_slice(y.eps[2].as_array());
        dd.copy_from_slice(y.eps[3].as_array());
    }
}

// ---------------------------------------------------------------- batch API
const FIT: [usize; 2] = [0, 2];
const JAC: [Wrt; 4] = [Wrt::Column(0), Wrt::Column(1), Wrt::Param(0), Wrt::Param(2)];

/// Where a batch-API call runs: on the calling thread (`None`, `parallel_min_events` =
/// `usize::MAX`: no rayon at all), or inside a rayon pool with the default options (blocks in
/// parallel from [`diffhep::batch::PARALLEL_MIN_EVENTS`] events on; `min_events` overrides).
#[derive(Clone, Copy)]
struct Threads<'a> {
    pool: Option<&'a rayon::ThreadPool>,
    min_events: usize,
}

impl<'a> Threads<'a> {
    const CALLER: Threads<'static> = Threads {
        pool: None,
        min_events: usize::MAX,
    };
    fn pool(p: &'a rayon::ThreadPool) -> Self {
        Threads {
            pool: Some(p),
            min_events: BatchOptions::default().parallel_min_events,
        }
    }
    fn run<R: Send>(self, f: impl FnOnce(&BatchOptions) -> R + Send) -> R {
        let opts = BatchOptions {
            parallel_min_events: self.min_events,
            ..BatchOptions::default()
        };
        match self.pool {
            Some(p) => p.install(|| f(&opts)),
            None => f(&opts),
        }
    }
}

fn api_fit(d: &Data, engine: Engine, simd: SimdPath, threads: Threads) -> (f64, [f64; 2]) {
    let events = Events::new(&[&d.rs, &d.c]).unwrap();
    threads.run(|o| {
        let opts = BatchOptions {
            engine,
            simd: Some(simd),
            ..o.clone()
        };
        let g = sum_gradient(&EeMuMuEvents, &d.p.to_array(), &events, &FIT, &opts).unwrap();
        (g.value, [g.gradient[0], g.gradient[1]])
    })
}

/// Per-event Jacobian through the API, into reused buffers (`out`) or freshly allocated ones.
fn api_jac(
    d: &Data,
    engine: Engine,
    simd: SimdPath,
    threads: Threads,
    out: Option<&mut EventJacobian>,
) -> Vec<Vec<f64>> {
    let events = Events::new(&[&d.rs, &d.c]).unwrap();
    let p = d.p.to_array();
    threads.run(|o| {
        let opts = BatchOptions {
            engine,
            simd: Some(simd),
            ..o.clone()
        };
        match out {
            Some(o) => {
                jacobian_into(&EeMuMuEvents, &p, &events, &JAC, &opts, o).unwrap();
                Vec::new()
            }
            None => {
                let j = jacobian(&EeMuMuEvents, &p, &events, &JAC, &opts).unwrap();
                let mut out = vec![j.values];
                out.extend(j.partials);
                out
            }
        }
    })
}

// ---------------------------------------------------------------- harness
fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Before timing a pool: wait until the workers of a pool used just before (this bench keeps
/// two) have stopped spinning and gone to sleep, so they do not compete for the CPUs.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

/// A pool of `threads` workers pinned one per CPU ([`diffhep::threads::pinned_pool`]).
fn pinned_pool(threads: usize) -> rayon::ThreadPool {
    diffhep::threads::pinned_pool(threads).unwrap()
}

fn outputs(n: usize) -> [Vec<f64>; 5] {
    std::array::from_fn(|_| vec![0.0; n])
}

fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1e-300))
        .fold(0.0, f64::max)
}

/// A reusable Jacobian buffer of the right shape.
fn api_jac_buffer(d: &Data) -> EventJacobian {
    let events = Events::new(&[&d.rs, &d.c]).unwrap();
    jacobian(
        &EeMuMuEvents,
        &d.p.to_array(),
        &events,
        &JAC,
        &BatchOptions::default(),
    )
    .unwrap()
}

/// Run `f` compiled for `path` (the bench's kernels are inlined into the dispatched closure).
fn on<R>(path: SimdPath, f: impl FnOnce() -> R) -> R {
    simd::run_on(path, f).expect("path is supported")
}

fn criterion_groups(c: &mut Criterion) {
    let d = data(EVENTS);
    let h = hand_params(&d.p);
    let path = simd::active();
    let mut out = outputs(EVENTS);
    let mut g = c.benchmark_group(format!("ee_mumu_1e5_events_{path}"));
    g.bench_function("primal_lanes", |b| {
        b.iter(|| {
            on(
                path,
                #[inline(always)]
                || primal_lanes(black_box(&d), &mut out[0]),
            )
        })
    });
    g.bench_function("fit/hand_adjoint", |b| {
        b.iter(|| {
            on(
                path,
                #[inline(always)]
                || hand_fit(&h, black_box(&d)),
            )
        })
    });
    g.bench_function("fit/lane_dual", |b| {
        b.iter(|| {
            on(
                path,
                #[inline(always)]
                || lane_fit(black_box(&d)),
            )
        })
    });
    g.bench_function("fit/api_1thread", |b| {
        b.iter(|| api_fit(black_box(&d), Engine::Auto, path, Threads::CALLER))
    });
    g.bench_function("jac4/hand_adjoint", |b| {
        b.iter(|| {
            on(
                path,
                #[inline(always)]
                || hand_jac(&h, black_box(&d), &mut out),
            )
        })
    });
    g.bench_function("jac4/lane_dual", |b| {
        b.iter(|| {
            on(
                path,
                #[inline(always)]
                || lane_jac(black_box(&d), &mut out),
            )
        })
    });
    let mut buf = api_jac_buffer(&d);
    g.bench_function("jac4/api_1thread", |b| {
        b.iter(|| {
            api_jac(
                black_box(&d),
                Engine::Auto,
                path,
                Threads::CALLER,
                Some(&mut buf),
            )
        })
    });
    g.finish();
}

/// Median ns/event over `reps` timed samples of `f` (each sample repeats `f` until ≥ 2 ms).
fn ns_per_event(events: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let s = Instant::now();
    f();
    let once = s.elapsed().as_secs_f64();
    let inner = ((2e-3 / once.max(1e-9)).ceil() as usize).clamp(1, 10_000);
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..inner {
                f();
            }
            s.elapsed().as_secs_f64() * 1e9 / (events * inner) as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

/// The batch API at `n` events on the calling thread, then under each of `pars`, ns/event:
/// `(fit, Jacobian)`, each `[calling thread, pars[0], …]`.
fn api_times<const P: usize>(
    dn: &Data,
    b: &mut EventJacobian,
    reps: usize,
    active: SimdPath,
    pars: [Threads; P],
) -> (Vec<f64>, Vec<f64>) {
    let n = dn.rs.len();
    let runs = || std::iter::once(Threads::CALLER).chain(pars);
    let fit = runs()
        .map(|t| {
            settle();
            ns_per_event(n, reps, || {
                black_box(api_fit(black_box(dn), Engine::Auto, active, t));
            })
        })
        .collect();
    let jac = runs()
        .map(|t| {
            settle();
            ns_per_event(n, reps, || {
                api_jac(black_box(dn), Engine::Auto, active, t, Some(&mut *b));
            })
        })
        .collect();
    (fit, jac)
}

/// Every engine against the hand adjoint, on `path`, before anything is timed.
fn cross_check(d: &Data, h: &HandParams, path: SimdPath) {
    let n = d.rs.len();
    let (hv, hg) = on(
        path,
        #[inline(always)]
        || hand_fit(h, d),
    );
    for (name, (v, g)) in [
        (
            "lane",
            on(
                path,
                #[inline(always)]
                || lane_fit(d),
            ),
        ),
        ("api", api_fit(d, Engine::Auto, path, Threads::CALLER)),
        (
            "tape",
            api_fit(d, Engine::BatchedTape, path, Threads::CALLER),
        ),
    ] {
        let r = rel_diff(&[v, g[0], g[1]], &[hv, hg[0], hg[1]]);
        assert!(
            r < 1e-9,
            "fit gradient {name} ({path}) differs from the hand adjoint: {r:e}"
        );
    }
    let mut hj = outputs(n);
    on(
        path,
        #[inline(always)]
        || hand_jac(h, d, &mut hj),
    );
    let mut out = outputs(n);
    on(
        path,
        #[inline(always)]
        || lane_jac(d, &mut out),
    );
    let mut worst = 0.0f64;
    for k in 0..5 {
        worst = worst.max(rel_diff(&out[k], &hj[k]));
    }
    numdual_jac(d, &mut out);
    for k in 0..5 {
        worst = worst.max(rel_diff(&out[k], &hj[k]));
    }
    for j in [
        api_jac(d, Engine::Auto, path, Threads::CALLER, None),
        api_jac(d, Engine::BatchedTape, path, Threads::CALLER, None),
    ] {
        for k in 0..5 {
            worst = worst.max(rel_diff(&j[k], &hj[k]));
        }
    }
    assert!(
        worst < 1e-9,
        "Jacobian ({path}) differs from the hand adjoint: {worst:e}"
    );
}

/// The main table's rows for one dispatch path: (name, ns/event, baseline ns/event).
fn path_rows(d: &Data, h: &HandParams, path: SimdPath) -> Vec<(String, f64, f64)> {
    let two = pool(2);
    let pinned = pinned_pool(2);
    let n = d.rs.len();
    let reps = 15;
    let mut out = outputs(n);
    let mut buf = api_jac_buffer(d);
    let t = |f: &mut dyn FnMut()| ns_per_event(n, reps, f);
    let primal_s = t(&mut || {
        on(
            path,
            #[inline(always)]
            || primal_scalar(black_box(d), &mut out[0]),
        )
    });
    let primal_l = t(&mut || {
        on(
            path,
            #[inline(always)]
            || primal_lanes(black_box(d), &mut out[0]),
        )
    });
    let hfit = t(&mut || {
        black_box(on(
            path,
            #[inline(always)]
            || hand_fit(h, black_box(d)),
        ));
    });
    let lfit = t(&mut || {
        black_box(on(
            path,
            #[inline(always)]
            || lane_fit(black_box(d)),
        ));
    });
    let fit_on = |threads: Threads| {
        t(&mut || {
            black_box(api_fit(black_box(d), Engine::Auto, path, threads));
        })
    };
    let afit1 = fit_on(Threads::CALLER);
    settle();
    let afit2 = fit_on(Threads::pool(&two));
    settle();
    let afit2p = fit_on(Threads::pool(&pinned));
    let hjac = t(&mut || {
        on(
            path,
            #[inline(always)]
            || hand_jac(h, black_box(d), &mut out),
        )
    });
    let ljac = t(&mut || {
        on(
            path,
            #[inline(always)]
            || lane_jac(black_box(d), &mut out),
        )
    });
    let ljac_rt = t(&mut || {
        on(
            path,
            #[inline(always)]
            || lane_jac_runtime_seeds(black_box(d), &mut out),
        )
    });
    let mut jac_on = |threads: Threads| {
        t(&mut || {
            api_jac(black_box(d), Engine::Auto, path, threads, Some(&mut buf));
        })
    };
    let ajac1 = jac_on(Threads::CALLER);
    settle();
    let ajac2 = jac_on(Threads::pool(&two));
    settle();
    let ajac2p = jac_on(Threads::pool(&pinned));
    let p = |name: &str| format!("[{path}] {name}");
    vec![
        (p("fused f64 primal (scalar loop)"), primal_s, hfit),
        (p("fused f64 primal (8-lane blocks)"), primal_l, hfit),
        (p("fit grad: hand-written fused adjoint"), hfit, hfit),
        (p("fit grad: lane dual <2> kernel"), lfit, hfit),
        (p("fit grad: batch API, 1 thread"), afit1, hfit),
        (p("fit grad: batch API, 2 threads"), afit2, hfit),
        (p("fit grad: batch API, 2 pinned threads"), afit2p, hfit),
        (p("jac4: hand-written fused adjoint"), hjac, hjac),
        (p("jac4: lane dual <4> kernel"), ljac, hjac),
        (
            p("jac4: lane dual <4> kernel, run-time seeds"),
            ljac_rt,
            hjac,
        ),
        (p("jac4: batch API, 1 thread"), ajac1, hjac),
        (p("jac4: batch API, 2 threads"), ajac2, hjac),
        (p("jac4: batch API, 2 pinned threads"), ajac2p, hjac),
    ]
}

fn summary(_c: &mut Criterion) {
    let d = data(EVENTS);
    let h = hand_params(&d.p);
    let paths = SimdPath::supported();
    for &path in &paths {
        cross_check(&d, &h, path);
    }
    let active = simd::active();
    let mut out = outputs(EVENTS);
    let mut rows = Vec::new();
    for &path in &paths {
        rows.extend(path_rows(&d, &h, path));
    }
    // Engines without a SIMD path of their own, on the active path.
    let primal = rows
        .iter()
        .find(|r| r.0 == format!("[{active}] fused f64 primal (8-lane blocks)"))
        .map(|r| r.1)
        .expect("active path measured");
    let hfit = on(
        active,
        #[inline(always)]
        || {
            ns_per_event(EVENTS, 5, || {
                black_box(hand_fit(&h, black_box(&d)));
            })
        },
    );
    let hjac = on(
        active,
        #[inline(always)]
        || ns_per_event(EVENTS, 5, || hand_jac(&h, black_box(&d), &mut out)),
    );
    let mut buf = api_jac_buffer(&d);
    rows.push((
        format!("[{active}] fit grad: batched tape (256-event blocks), 1 thread"),
        ns_per_event(EVENTS, 5, || {
            black_box(api_fit(
                black_box(&d),
                Engine::BatchedTape,
                active,
                Threads::CALLER,
            ));
        }),
        hfit,
    ));
    rows.push((
        "jac4: num-dual per event (DualSVec64<4>)".into(),
        ns_per_event(EVENTS, 5, || numdual_jac(black_box(&d), &mut out)),
        hjac,
    ));
    rows.push((
        format!("[{active}] jac4: batched tape (256-event blocks), 1 thread"),
        ns_per_event(EVENTS, 5, || {
            api_jac(
                black_box(&d),
                Engine::BatchedTape,
                active,
                Threads::CALLER,
                Some(&mut buf),
            );
        }),
        hjac,
    ));

    // The API's cost over the kernel, and the thread scaling, across data sizes (active path).
    let two = pool(2);
    let pinned = pinned_pool(2);
    let mut sizes = Vec::new();
    for n in [1_000usize, 10_000, 100_000, 1_000_000] {
        let dn = data(n);
        let reps = 9;
        let mut o = outputs(n);
        let mut b = api_jac_buffer(&dn);
        let kfit = ns_per_event(n, reps, || {
            black_box(on(
                active,
                #[inline(always)]
                || lane_fit(black_box(&dn)),
            ));
        });
        let kjac = ns_per_event(n, reps, || {
            on(
                active,
                #[inline(always)]
                || lane_jac(black_box(&dn), &mut o),
            )
        });
        let pools = [Threads::pool(&two), Threads::pool(&pinned)];
        let (f, j) = api_times(&dn, &mut b, reps, active, pools);
        sizes.push((n, [kfit, f[0], f[1], f[2]], [kjac, j[0], j[1], j[2]]));
    }

    // Where should small inputs stop going parallel? Calling thread against 2 threads with
    // parallel work forced (`parallel_min_events` = 0), fit gradient and Jacobian.
    let mut threshold = Vec::new();
    let forced = Threads {
        pool: Some(&two),
        min_events: 0,
    };
    for n in [2_048usize, 4_096, 8_192, 16_384, 32_768, 65_536] {
        let dn = data(n);
        let mut b = api_jac_buffer(&dn);
        let reps = 9;
        let (f, j) = api_times(&dn, &mut b, reps, active, [forced]);
        threshold.push((n, f[0], f[1], j[0], j[1]));
    }

    // Where does the engine rule's crossover lie? The sum gradient with d directions (the four
    // parameters repeated), lane duals against the batched tape.
    let mut crossover = Vec::new();
    for dirs in [4usize, 8, 16, 32] {
        let wrt: Vec<usize> = (0..dirs).map(|k| k % 4).collect();
        let events = Events::new(&[&d.rs, &d.c]).unwrap();
        let p = d.p.to_array();
        let time = |engine| {
            let opts = BatchOptions {
                engine,
                parallel_min_events: usize::MAX,
                ..BatchOptions::default()
            };
            ns_per_event(EVENTS, 5, || {
                black_box(sum_gradient(&EeMuMuEvents, &p, &events, &wrt, &opts).unwrap());
            })
        };
        crossover.push((dirs, time(Engine::LaneDual), time(Engine::BatchedTape)));
    }

    println!();
    let names: Vec<&str> = paths.iter().map(|p| p.name()).collect();
    println!(
        "e+e- -> mu+mu- |M|^2, {EVENTS} events (median of timed runs, same process); \
         SIMD paths of this CPU: {}; active: {active}",
        names.join(", ")
    );
    println!(
        "{:<52} {:>9} {:>12} {:>12}",
        "engine", "ns/event", "/ primal", "/ hand adj."
    );
    for (name, ns, base) in rows {
        println!(
            "{:<52} {:>9.2} {:>12.2} {:>12.2}",
            name,
            ns,
            ns / primal,
            ns / base
        );
    }
    let (fv, fg) = hand_fit(&h, &d);
    println!(
        "fit: sum |M|^2 = {fv:.14e}, d/dMZ = {:.14e}, d/dsw2 = {:.14e} (JAX side by side: \
         python3 benches/jax_batch.py prints the same rows and numbers)",
        fg[0], fg[1]
    );
    println!();
    println!(
        "batch API vs the kernel called directly, and threads, by size ([{active}], ns/event):"
    );
    println!(
        "(2t: rayon's pool of 2 threads; 2p: 2 threads pinned one per CPU, \
         diffhep::threads::pinned_pool; x = speed-up over API 1t)"
    );
    let head = [
        "kern", "API 1t", "/kern", "API 2t", "2t x", "API 2p", "2p x",
    ];
    println!(
        "{:>9} | fit {} | jac {}",
        "events",
        head.map(|h| format!("{h:>7}")).join(""),
        head.map(|h| format!("{h:>7}")).join("")
    );
    // kernel, API on 1 thread, its ratio to the kernel, then per 2-thread pool time and speed-up.
    let cells = |[k, t1, t2, t2p]: [f64; 4]| {
        [k, t1, t1 / k, t2, t1 / t2, t2p, t1 / t2p]
            .map(|v| format!("{v:>7.2}"))
            .join("")
    };
    for (n, fit, jac) in sizes {
        println!("{n:>9} |     {} |     {}", cells(fit), cells(jac));
    }
    println!();
    println!(
        "parallel threshold: calling thread vs 2 threads forced parallel (blocks of 2048; \
         default parallel_min_events = {}), [{active}], ns/event:",
        BatchOptions::default().parallel_min_events
    );
    println!(
        "{:>9} {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6}",
        "events", "fit 1t", "fit 2t", "2t x", "jac 1t", "jac 2t", "2t x"
    );
    for (n, f1, f2, j1, j2) in threshold {
        println!(
            "{n:>9} {f1:>8.2} {f2:>8.2} {:>6.2} | {j1:>8.2} {j2:>8.2} {:>6.2}",
            f1 / f2,
            j1 / j2
        );
    }
    println!();
    println!("sum gradient with d directions, batch API, 1 thread (ns/event):");
    println!("{:>4} {:>12} {:>14}", "d", "lane duals", "batched tape");
    for (dirs, lane, tape) in crossover {
        println!("{dirs:>4} {lane:>12.2} {tape:>14.2}");
    }
}

criterion_group!(benches, criterion_groups, summary);
criterion_main!(benches);
