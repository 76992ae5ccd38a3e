//! e+e- → μ+μ- |M|² value + gradient w.r.t. (√s, cos θ, MZ, sin²θW) per event (issue: matrix
//! elements). Prints ns/event and the ratio to the vectorised f64 primal measured in the same run,
//! for the closed form (`physics/src/ee_mumu.rs`) on the batch engines and for the helicity
//! amplitudes (`physics/src/ee_ffbar.rs`, 16 helicity configurations summed explicitly) per event.
//! The engine-by-engine comparison of the closed form with a hand-written adjoint is in
//! `benches/batch.rs`.
//!
//! Run: `cargo bench --bench matrix_elements` (add `RUSTFLAGS="-C target-cpu=native"` for the
//! wide SIMD path, see docs/lanes.md).

#[path = "../../benches/common/mod.rs"]
mod common;

use std::hint::black_box;

use diffhep::batch::{jacobian_into, BatchOptions, Engine, EventJacobian, Events, Wrt};
use diffhep::tape::Tape;
use diffhep_physics::collider::ee_ffbar::{kinematics, me2, Exchange, MUON};
use diffhep_physics::collider::ee_mumu::{msq, EeMuMuEvents, EwParams};
use diffhep_physics::collider::sm::ParamCard;
use nalgebra::SVector;
use num_dual::{Derivative, DualSVec64};

type D4 = DualSVec64<4>;

fn seeded(x: f64, i: usize) -> D4 {
    D4::new(
        x,
        Derivative::some(SVector::<f64, 4>::from_fn(
            |r, _| if r == i { 1.0 } else { 0.0 },
        )),
    )
}

/// Helicity-amplitude |M|² as a function of (√s, cos θ, MZ, aEWM1). In the `sm` scheme sin²θW is
/// derived from (MZ, aEWM1, Gf), so the fourth partial is taken w.r.t. aEWM1; the cost is the same.
fn me2_hel<S: diffhep::RealScalar>(rs: &S, c: &S, mz: &S, aewm1: &S) -> S {
    let mut p = ParamCard::default().to_params::<S>();
    p.mz = mz.clone();
    p.aewm1 = aewm1.clone();
    let zero = S::zero();
    let mom = kinematics(rs, &zero, c, &S::from_f64(0.3));
    me2(&MUON, &zero, &p, Exchange::FULL, &mom)
}

fn main() {
    let n = 20_000;
    let rs: Vec<f64> = (0..n)
        .map(|i| 60.0 + 70.0 * ((i * 7919) % n) as f64 / n as f64)
        .collect();
    let c: Vec<f64> = (0..n)
        .map(|i| -0.98 + 1.96 * ((i * 104_729) % n) as f64 / n as f64)
        .collect();
    let ew = EwParams::madgraph_sm();
    let params = ew.to_array();
    let ms = 80.0;

    // Closed form: vectorised f64 primal (8 partial sums so the loop vectorises).
    let primal = common::ns_per_call(ms, || {
        let mut acc = [0.0f64; 8];
        for (r8, c8) in rs.chunks_exact(8).zip(c.chunks_exact(8)) {
            for j in 0..8 {
                acc[j] += msq(&(r8[j] * r8[j]), &c8[j], &ew);
            }
        }
        acc.iter().sum::<f64>()
    }) / n as f64;

    let events = Events::new(&[&rs, &c]).expect("equal columns");
    let wrt = [Wrt::Column(0), Wrt::Column(1), Wrt::Param(0), Wrt::Param(2)];
    let mut out = EventJacobian {
        values: Vec::new(),
        partials: Vec::new(),
    };
    let mut run = |engine: Engine| {
        let opts = BatchOptions {
            engine,
            ..BatchOptions::default()
        };
        common::ns_per_call(ms, || {
            jacobian_into(&EeMuMuEvents, &params, &events, &wrt, &opts, &mut out)
                .expect("valid input");
            out.values[0]
        }) / n as f64
    };
    let lane = run(Engine::LaneDual);
    let batched = run(Engine::BatchedTape);

    // Closed form, num-dual per event.
    let dual_cf = common::ns_per_call(ms, || {
        let mut acc = 0.0;
        for (r, cc) in rs.iter().zip(&c) {
            let p = EwParams {
                mz: seeded(ew.mz, 2),
                wz: D4::from(ew.wz),
                sw2: seeded(ew.sw2, 3),
                alpha: D4::from(ew.alpha),
            };
            let rr = seeded(*r, 0);
            let v = msq(&(rr * rr), &seeded(*cc, 1), &p);
            acc += v.eps.unwrap_generic(nalgebra::Const::<4>, nalgebra::U1)[3];
        }
        acc
    }) / n as f64;

    // Helicity amplitudes per event on a subset (they are ~100× the closed form).
    let m = 2000;
    let card = ParamCard::default();
    let hel_f64 = common::ns_per_call(ms, || {
        let mut acc = 0.0;
        for (r, cc) in rs[..m].iter().zip(&c[..m]) {
            acc += me2_hel(r, cc, &card.MZ, &card.aEWM1);
        }
        acc
    }) / m as f64;
    let hel_dual = common::ns_per_call(ms, || {
        let mut acc = 0.0;
        for (r, cc) in rs[..m].iter().zip(&c[..m]) {
            let v = me2_hel(
                &seeded(*r, 0),
                &seeded(*cc, 1),
                &seeded(card.MZ, 2),
                &seeded(card.aEWM1, 3),
            );
            acc += v.re;
        }
        acc
    }) / m as f64;
    let mut tape = Tape::<f64>::with_capacity(8192);
    let hel_tape = common::ns_per_call(ms, || {
        let mut acc = 0.0;
        for (r, cc) in rs[..m].iter().zip(&c[..m]) {
            let (_, g) = tape.gradient(&[*r, *cc, card.MZ, card.aEWM1], |x| {
                me2_hel(&x[0], &x[1], &x[2], &x[3])
            });
            acc += g[0];
        }
        black_box(acc)
    }) / m as f64;

    let row = |name: &str, v: f64, target: &str| {
        (
            name.to_string(),
            v,
            "ns/event",
            Some(v / primal),
            target.to_string(),
        )
    };
    let rows = [
        (
            "closed form: f64 primal (vectorised)".to_string(),
            primal,
            "ns/event",
            None,
            String::new(),
        ),
        row(
            "closed form: value + 4 partials, lane dual (batch API)",
            lane,
            "≤ 8",
        ),
        row(
            "closed form: value + 4 partials, batched tape (batch API)",
            batched,
            "≤ 8",
        ),
        row(
            "closed form: value + 4 partials, num-dual per event",
            dual_cf,
            "≤ 8",
        ),
        row("helicity amplitudes: f64 per event", hel_f64, ""),
        row(
            "helicity amplitudes: value + 4 partials, num-dual",
            hel_dual,
            "",
        ),
        row(
            "helicity amplitudes: value + gradient, scalar tape",
            hel_tape,
            "",
        ),
    ];
    let rows: Vec<(String, f64, &str, Option<f64>, &str)> = rows
        .iter()
        .map(|(a, b, c, d, e)| (a.clone(), *b, *c, *d, e.as_str()))
        .collect();
    common::print_table(
        "e+e- → μ+μ- |M|²: ns/event, ratio to the vectorised f64 primal",
        &rows,
    );
    println!("JAX anchor (jit + vmap value_and_grad, same function, this kind of machine): 8–16 ns/event");
}
