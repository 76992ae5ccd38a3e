//! The general tree-level amplitude engine (`physics/src/collider/amplitude/`): time per event
//! of |M|² (averaged over initial and summed over final helicities and colours), measured for
//! every row in one run, on f64, one phase-space point per call.
//!
//! What the table holds (each process on 256 distinct RAMBO points at √s = 1000 GeV from a
//! fixed-seed LCG, cycled; the incoming partons along ±z; every point passes
//! `MatrixElement::check_momenta`):
//! 1. ns/event and events/s of |M|² for e+e- → μ+μ-, gg → tt̄, gg → tt̄g, gg → ggg, gg → gggg;
//! 2. the growth with the number of gluons (gg → 2…5 g, the last only when one event takes
//!    under 0.2 s), with the ratio to the previous multiplicity and the size of the compiled
//!    recursion (currents, terms, colour flows, helicity configurations), the build time
//!    (parse, recursion, colour matrix) and the share of the colour sum Σ A* C A in an event;
//! 3. the hand-written baselines for e+e- → μ+μ-: the closed form `ee_mumu::msq` and the helicity
//!    amplitudes `ee_ffbar::me2`, with the engine's ratio to each;
//! 4. value + gradient for e+e- → μ+μ- and gg → tt̄: w.r.t. (MZ, aEWM1, aS, MT) with forward duals
//!    (`DualSVec64<4>`), and w.r.t. every momentum component with the reverse tape (one-shot
//!    `diffhep::tape::gradient`, and one `Tape` reused across events), as ratios to the f64 primal;
//! 5. the targets next to the measured numbers.
//!
//! Before anything is timed, the engine is checked against both baselines, the dual partials
//! against central finite differences and the tape gradient against a forward directional
//! derivative. Rows are medians of 9 timed samples of ≥ 50 ms each; the rows compared by a
//! ratio are sampled in alternation (round-robin), so that a ratio sees one machine load.
//! gg → 5 g takes ~7 s to build (its 720 × 720 colour matrix) and ~0.1 s per event; a full run
//! (criterion groups and table) takes about a minute, the table alone about 20 s.
//!
//! Run: `cargo bench -p diffhep-physics --bench amplitudes` (criterion groups, then the table);
//! only the table: `cargo bench -p diffhep-physics --bench amplitudes -- summary`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use diffhep::tape::{self, Tape, Var};
use diffhep::Complex;
use diffhep_physics::collider::amplitude::evaluate::{colour_sum, Evaluator};
use diffhep_physics::collider::amplitude::lanes::{msq_lanes, LaneSource};
use diffhep_physics::collider::amplitude::matrix_element::MatrixElement;
use diffhep_physics::collider::amplitude::model::ModelPoint;
use diffhep_physics::collider::ee_ffbar::{self, Exchange, MUON};
use diffhep_physics::collider::ee_mumu::{self, EwParams};
use diffhep_physics::collider::sm::{ParamCard, SmParams};
use diffhep_physics::lorentz::FourVector;
use diffhep_physics::phase_space::PhaseSpace;
use nalgebra::SVector;
use num_dual::{Derivative, DualSVec64};

/// Centre-of-mass energy (GeV).
const SQRT_S: f64 = 1000.0;
/// Distinct phase-space points per process.
const POINTS: usize = 256;
/// Timed samples per row (the median is reported).
const SAMPLES: usize = 9;
/// Minimum length of one timed sample (s).
const SAMPLE_TIME: f64 = 0.05;
/// Largest time per event (s) at which gg → 5 g is still measured.
const MAX_EVENT_TIME: f64 = 0.2;
/// The targets.
const TARGET_EE_NS: f64 = 100.0;
const TARGET_GRAD4: f64 = 3.0;

type D4 = DualSVec64<4>;
type D1 = DualSVec64<1>;

// ---------------------------------------------------------------- points

/// A fixed-seed LCG with values in (0, 1).
fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// One process string with its points.
struct Case {
    name: &'static str,
    me: MatrixElement,
    /// Momenta in process order: the two beams along ±z, then the RAMBO final state.
    points: Vec<Vec<FourVector<f64>>>,
    /// Parse + recursion + colour matrix (s).
    build: f64,
}

impl Case {
    fn new(name: &'static str, masses: &[f64], params: &SmParams<f64>, seed: u64) -> Case {
        let start = Instant::now();
        let me = MatrixElement::new(name).expect("valid process");
        assert_eq!(me.subprocesses.len(), 1, "{name}: one subprocess");
        me.subprocesses[0].program.colour();
        let build = start.elapsed().as_secs_f64();
        let mut u = lcg(seed);
        let dim = 3 * masses.len() - 4;
        let e = SQRT_S / 2.0;
        let points = (0..POINTS)
            .map(|_| {
                let x: Vec<f64> = (0..dim).map(|_| u()).collect();
                let fin = PhaseSpace::generate_with_masses(SQRT_S, masses, &x)
                    .expect("RAMBO point")
                    .momenta;
                let mut p = vec![
                    FourVector::new(e, 0.0, 0.0, e),
                    FourVector::new(e, 0.0, 0.0, -e),
                ];
                p.extend(fin);
                me.check_momenta(0, params, &p).expect("valid momenta");
                p
            })
            .collect();
        Case {
            name,
            me,
            points,
            build,
        }
    }

    /// Currents, terms and colour flows of the compiled recursion.
    fn structure(&self) -> (usize, usize, usize) {
        let prog = &self.me.subprocesses[0].program;
        let terms = prog.nodes.iter().map(|n| n.terms.len()).sum();
        (prog.nodes.len(), terms, prog.flows.len())
    }

    /// The dual amplitudes at point 0 of every helicity configuration with one that is not
    /// exactly zero (the massless fermions' chirality zeros are exact), and the number of
    /// configurations.
    fn live_amplitudes(&self, params: &SmParams<f64>) -> (Vec<Vec<Complex<f64>>>, usize) {
        let sub = &self.me.subprocesses[0];
        let point = ModelPoint::new(params);
        let mut ev = Evaluator::new(&sub.program, &self.me.model, &point, &self.points[0], None);
        let all = ev.configurations();
        let live = (0..all)
            .map(|k| {
                let choice = ev.configuration(k);
                ev.amplitudes(&choice)
            })
            .filter(|a| a.iter().any(|z| z.re != 0.0 || z.im != 0.0))
            .collect();
        (live, all)
    }

    fn msq(&self, params: &SmParams<f64>, i: usize) -> f64 {
        self.me.msq(0, params, &self.points[i])
    }
}

fn massless(n: usize) -> Vec<f64> {
    vec![0.0; n]
}

// ---------------------------------------------------------------- derivatives

fn seeded<const N: usize>(x: f64, k: usize) -> DualSVec64<N> {
    <DualSVec64<N> as LaneSource<N>>::seeded(x, k)
}

/// The default parameters with (MZ, aEWM1, aS, MT) seeded as directions 0…3.
fn dual_params(card: &ParamCard) -> SmParams<D4> {
    let mut p = card.to_params::<D4>();
    p.mz = seeded(card.MZ, 0);
    p.aewm1 = seeded(card.aEWM1, 1);
    p.alpha_s = seeded(card.aS, 2);
    p.mt = seeded(card.MT, 3);
    p
}

/// Every point's momenta as (constant) duals.
fn dual_points(c: &Case) -> Vec<Vec<FourVector<D4>>> {
    c.points
        .iter()
        .map(|p| {
            p.iter()
                .map(|q| FourVector::new(q.e.into(), q.px.into(), q.py.into(), q.pz.into()))
                .collect()
        })
        .collect()
}

/// Every point's momenta flattened, (E, px, py, pz) per leg.
fn flat_points(c: &Case) -> Vec<Vec<f64>> {
    c.points
        .iter()
        .map(|p| p.iter().flat_map(|q| [q.e, q.px, q.py, q.pz]).collect())
        .collect()
}

fn momenta_of<S: diffhep::Scalar>(x: &[S]) -> Vec<FourVector<S>> {
    x.chunks_exact(4)
        .map(|c| FourVector::new(c[0].clone(), c[1].clone(), c[2].clone(), c[3].clone()))
        .collect()
}

fn eps4(y: &D4) -> [f64; 4] {
    let e = y.eps.unwrap_generic(nalgebra::Const::<4>, nalgebra::U1);
    [e[0], e[1], e[2], e[3]]
}

/// The dual partials against central differences, the tape gradient against a forward
/// directional derivative, on a few points.
fn check_derivatives(c: &Case, card: &ParamCard) {
    let p = card.to_params::<f64>();
    let pd = dual_params(card);
    let dual = dual_points(c);
    let flat = flat_points(c);
    let pv = card.to_params::<Var>();
    let p1 = card.to_params::<D1>();
    let mut u = lcg(7);
    for i in [0, 1, 17, 100] {
        let y = c.me.msq(0, &pd, &dual[i]);
        let f = c.msq(&p, i);
        assert!(
            (y.re - f).abs() <= 1e-12 * f.abs(),
            "{}: dual value",
            c.name
        );
        let d = eps4(&y);
        let at = |k: usize, x: f64| {
            let mut q = p.clone();
            match k {
                0 => q.mz = x,
                1 => q.aewm1 = x,
                2 => q.alpha_s = x,
                _ => q.mt = x,
            }
            c.msq(&q, i)
        };
        for (k, x) in [card.MZ, card.aEWM1, card.aS, card.MT]
            .into_iter()
            .enumerate()
        {
            let h = 1e-5 * x;
            let fd = (at(k, x + h) - at(k, x - h)) / (2.0 * h);
            assert!(
                (fd - d[k]).abs() <= 1e-6 * (d[k].abs() + f.abs() / x),
                "{}: d/dparam{k}: dual {} vs finite difference {fd}",
                c.name,
                d[k]
            );
        }
        let (v, g) = tape::gradient(|x| c.me.msq(0, &pv, &momenta_of(x)), &flat[i]);
        assert!((v - f).abs() <= 1e-12 * f.abs(), "{}: tape value", c.name);
        let dir: Vec<f64> = flat[i].iter().map(|_| 2.0 * u() - 1.0).collect();
        let xd: Vec<D1> = flat[i]
            .iter()
            .zip(&dir)
            .map(|(&x, &v)| D1::new(x, Derivative::some(SVector::from([v]))))
            .collect();
        let fwd = c.me.msq(0, &p1, &momenta_of(&xd));
        let fwd = fwd.eps.unwrap_generic(nalgebra::Const::<1>, nalgebra::U1)[0];
        let rev: f64 = g.iter().zip(&dir).map(|(a, b)| a * b).sum();
        let scale: f64 = g.iter().zip(&dir).map(|(a, b)| (a * b).abs()).sum();
        assert!(
            (fwd - rev).abs() <= 1e-10 * scale,
            "{}: tape gradient {rev} vs forward directional derivative {fwd}",
            c.name
        );
    }
}

/// e+e- → μ+μ- by the closed form of (s, cos θ) (θ between e⁻ and μ⁻, i.e. e⁺ and μ⁺).
fn closed_form(ew: &EwParams<f64>, p: &[FourVector<f64>]) -> f64 {
    let s = (p[0].clone() + p[1].clone()).m2();
    let cos = p[2].pz / p[2].p();
    ee_mumu::msq(&s, &cos, ew)
}

/// The points in the order of `ee_ffbar::me2`: e⁻ e⁺ → μ⁻ μ⁺.
fn hand_points(c: &Case) -> Vec<[FourVector<f64>; 4]> {
    c.points
        .iter()
        .map(|p| [p[1].clone(), p[0].clone(), p[3].clone(), p[2].clone()])
        .collect()
}

// ---------------------------------------------------------------- timing

/// Runs `count` events from index `start` on, cycling through the points (one dynamic call per
/// sample, not per event).
type Events<'a> = Box<dyn FnMut(usize, usize) + 'a>;

fn events<'a>(n: usize, mut eval: impl FnMut(usize) + 'a) -> Events<'a> {
    Box::new(move |start, count| {
        for j in start..start + count {
            eval(j % n);
        }
    })
}

/// Median ns/event of each of `evals`. Each gets a warm-up (at most one pass over its `n`
/// points or one sample long) that calibrates its events per sample; then `SAMPLES` rounds each
/// time one sample (≥ `SAMPLE_TIME`) of every function in turn, so the ratios between them are
/// taken under the same machine load.
fn ns_per_event(n: usize, mut evals: Vec<Events>) -> Vec<f64> {
    let per_sample: Vec<usize> = evals
        .iter_mut()
        .map(|eval| {
            let start = Instant::now();
            let mut warm = 0;
            while warm < n && (warm == 0 || start.elapsed().as_secs_f64() < SAMPLE_TIME) {
                eval(warm, 1);
                warm += 1;
            }
            let once = start.elapsed().as_secs_f64() / warm as f64;
            ((SAMPLE_TIME / once.max(1e-9)).ceil() as usize).max(1)
        })
        .collect();
    let mut next = vec![0; evals.len()];
    let mut t = vec![Vec::with_capacity(SAMPLES); evals.len()];
    for _ in 0..SAMPLES {
        for (k, eval) in evals.iter_mut().enumerate() {
            let s = Instant::now();
            eval(next[k], per_sample[k]);
            t[k].push(s.elapsed().as_secs_f64() * 1e9 / per_sample[k] as f64);
            next[k] += per_sample[k];
        }
    }
    t.into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[SAMPLES / 2]
        })
        .collect()
}

fn engine<'a>(c: &'a Case, params: &'a SmParams<f64>) -> Events<'a> {
    events(c.points.len(), move |i| {
        black_box(c.me.msq(0, black_box(params), black_box(&c.points[i])));
    })
}

/// The lane-batched engine: blocks of 8 consecutive points per pass (`N` parameter tangents).
fn lanes<'a, const N: usize, E: LaneSource<N>>(
    c: &'a Case,
    card: &'a ParamCard,
    wrt: &'a [&'a str; N],
) -> Events<'a> {
    let n = c.points.len();
    Box::new(move |start, count| {
        let mut j = start;
        while j < start + count {
            let i = j % n;
            let end = (i + 8).min(n);
            let sub = &c.me.subprocesses[0];
            black_box(
                msq_lanes::<N, E>(sub, &c.me.model, card, wrt, black_box(&c.points[i..end]))
                    .unwrap(),
            );
            j += end - i;
        }
    })
}

/// The colour sum Σ_σσ' A_σ* C_σσ' A_σ' alone, over the non-vanishing helicity configurations
/// of one event (its cost does not depend on the point: the amplitudes of point 0 are reused).
fn colour_only<'a>(c: &'a Case, params: &SmParams<f64>) -> Events<'a> {
    let (amps, _) = c.live_amplitudes(params);
    let colour = c.me.subprocesses[0].program.colour();
    events(1, move |_| {
        for a in &amps {
            black_box(colour_sum(colour, black_box(a)));
        }
    })
}

/// (f64 primal ns, dual ns, one-shot tape ns, reused tape ns, tape nodes per event), measured
/// side by side.
fn gradient_ns(c: &Case, card: &ParamCard) -> ([f64; 4], usize) {
    let params = card.to_params::<f64>();
    let pd = dual_params(card);
    let dual = dual_points(c);
    let flat = flat_points(c);
    let pv = card.to_params::<Var>();
    let n = c.points.len();
    let mut t = Tape::<f64>::with_capacity(1 << 12);
    let ns = ns_per_event(
        n,
        vec![
            engine(c, &params),
            events(n, |i| {
                black_box(c.me.msq(0, black_box(&pd), black_box(&dual[i])));
            }),
            events(n, |i| {
                black_box(tape::gradient(
                    |x| c.me.msq(0, &pv, &momenta_of(x)),
                    black_box(&flat[i]),
                ));
            }),
            events(n, |i| {
                black_box(t.gradient(black_box(&flat[i]), |x| c.me.msq(0, &pv, &momenta_of(x))));
            }),
        ],
    );
    ([ns[0], ns[1], ns[2], ns[3]], t.len())
}

// ---------------------------------------------------------------- criterion

/// e+e- → μ+μ-, gg → tt̄ and gg → tt̄g on their points.
fn top_and_muon_cases(params: &SmParams<f64>) -> [Case; 3] {
    let mt = params.mt;
    [
        Case::new("e+ e- > mu+ mu-", &massless(2), params, 1),
        Case::new("g g > t t~", &[mt, mt], params, 2),
        Case::new("g g > t t~ g", &[mt, mt, 0.0], params, 3),
    ]
}

fn criterion_groups(c: &mut Criterion) {
    let card = ParamCard::default();
    let params = card.to_params::<f64>();
    let [ee, tt, ttg] = top_and_muon_cases(&params);
    let ew = EwParams::from_sm(&params);
    let hand = hand_points(&ee);
    let pd = dual_params(&card);
    let ee_dual = dual_points(&ee);
    let mut g = c.benchmark_group("amplitudes_per_event");
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(10);
    for case in [&ee, &tt, &ttg] {
        let mut i = 0;
        g.bench_function(format!("f64/{}", case.name), |b| {
            b.iter(|| {
                i = (i + 1) % POINTS;
                black_box(case.msq(black_box(&params), i))
            })
        });
    }
    let mut i = 0;
    g.bench_function("f64/ee_mumu closed form", |b| {
        b.iter(|| {
            i = (i + 1) % POINTS;
            black_box(closed_form(black_box(&ew), &ee.points[i]))
        })
    });
    g.bench_function("f64/ee_ffbar::me2", |b| {
        b.iter(|| {
            i = (i + 1) % POINTS;
            black_box(ee_ffbar::me2(
                &MUON,
                &0.0,
                black_box(&params),
                Exchange::FULL,
                &hand[i],
            ))
        })
    });
    g.bench_function("dual4/e+ e- > mu+ mu-", |b| {
        b.iter(|| {
            i = (i + 1) % POINTS;
            black_box(ee.me.msq(0, black_box(&pd), &ee_dual[i]))
        })
    });
    g.finish();
}

// ---------------------------------------------------------------- summary

/// One row of the table.
struct Row {
    name: String,
    ns: Option<f64>,
    ratio: Option<(f64, String)>,
    target: String,
    notes: String,
}

fn row(name: impl Into<String>, ns: f64) -> Row {
    Row {
        name: name.into(),
        ns: Some(ns),
        ratio: None,
        target: String::new(),
        notes: String::new(),
    }
}

impl Row {
    fn ratio(mut self, r: f64, to: impl Into<String>) -> Row {
        self.ratio = Some((r, to.into()));
        self
    }
    fn target(mut self, t: impl Into<String>) -> Row {
        self.target = t.into();
        self
    }
    fn notes(mut self, n: impl Into<String>) -> Row {
        self.notes = n.into();
        self
    }
}

fn structure_note(c: &Case, params: &SmParams<f64>) -> String {
    let (nodes, terms, flows) = c.structure();
    let (live, all) = c.live_amplitudes(params);
    format!(
        "currents {nodes}, terms {terms}, flows {flows}, hel. configs {}/{all} nonzero; \
         build {:.1} ms",
        live.len(),
        c.build * 1e3
    )
}

fn summary(_c: &mut Criterion) {
    let card = ParamCard::default();
    let params = card.to_params::<f64>();
    let mt = params.mt;
    let [ee, tt, ttg] = top_and_muon_cases(&params);
    let glue: Vec<Case> = (2..=4)
        .map(|n| {
            let name = ["g g > g g", "g g > g g g", "g g > g g g g"][n - 2];
            Case::new(name, &massless(n), &params, 10 + n as u64)
        })
        .collect();

    // Checks first: the engine against both hand-written e+e- → μ+μ- forms on every point,
    // derivatives against independent ones.
    let ew = EwParams::from_sm(&params);
    let hand = hand_points(&ee);
    for (i, (p, h)) in ee.points.iter().zip(&hand).enumerate() {
        let got = ee.me.msq(0, &params, p);
        let cf = closed_form(&ew, p);
        let hw = ee_ffbar::me2(&MUON, &0.0, &params, Exchange::FULL, h);
        assert!(
            (got - cf).abs() <= 1e-10 * cf && (got - hw).abs() <= 1e-10 * hw,
            "point {i}: engine {got}, closed form {cf}, hand-written {hw}"
        );
    }
    check_derivatives(&ee, &card);
    check_derivatives(&tt, &card);

    let mut rows: Vec<(String, Vec<Row>)> = Vec::new();

    // 1. |M|² per event, and 2. the growth with the number of gluons: all side by side, each
    // with its colour sum alone; then gg → 5 g beside gg → 4 g.
    let mut all: Vec<&Case> = vec![&ee, &tt, &ttg];
    all.extend(&glue);
    let mut evals: Vec<Events> = all.iter().map(|c| engine(c, &params)).collect();
    evals.extend(all.iter().map(|c| colour_only(c, &params)));
    let ns = ns_per_event(POINTS, evals);
    let (engine_ns, colour_ns) = ns.split_at(all.len());
    let note = |k: usize| {
        format!(
            "{}; colour sum {:.0}%",
            structure_note(all[k], &params),
            100.0 * colour_ns[k] / engine_ns[k]
        )
    };
    let (ee_ns, tt_ns, ttg_ns) = (engine_ns[0], engine_ns[1], engine_ns[2]);
    let mut sec = vec![
        row(ee.name, ee_ns).notes(note(0)),
        row(tt.name, tt_ns).notes(note(1)),
        row(ttg.name, ttg_ns)
            .ratio(ttg_ns / tt_ns, tt.name)
            .notes(note(2)),
    ];
    for k in 4..all.len() {
        sec.push(row(all[k].name, engine_ns[k]).notes(note(k)));
    }
    rows.push(("1. |M|^2 per event, engine, f64".into(), sec));

    let mut sec = Vec::new();
    for k in 3..all.len() {
        let mut r = row(all[k].name, engine_ns[k]).notes(note(k));
        if k > 3 {
            r = r.ratio(engine_ns[k] / engine_ns[k - 1], all[k - 1].name);
        }
        sec.push(r);
    }
    let five = Case::new("g g > g g g g g", &massless(5), &params, 15);
    let probe = Instant::now();
    black_box(five.msq(&params, 0));
    let probe = probe.elapsed().as_secs_f64();
    if probe < MAX_EVENT_TIME {
        let four = &glue[2];
        let ns = ns_per_event(
            POINTS,
            vec![
                engine(four, &params),
                engine(&five, &params),
                colour_only(&five, &params),
            ],
        );
        sec.push(
            row(five.name, ns[1])
                .ratio(ns[1] / ns[0], four.name)
                .notes(format!(
                    "{}; colour sum {:.0}%; ratio to {:.3e} ns measured beside it",
                    structure_note(&five, &params),
                    100.0 * ns[2] / ns[1],
                    ns[0]
                )),
        );
    } else {
        sec.push(Row {
            ns: None,
            ..row(five.name, 0.0).notes(format!(
                "not timed: {probe:.2} s/event > {MAX_EVENT_TIME} s; {}",
                structure_note(&five, &params)
            ))
        });
    }
    rows.push(("2. growth with multiplicity, f64".into(), sec));

    // 2b. Lane-vectorised: eight events per pass, beside the per-event engine; and with four
    // parameter tangents per lane, beside the lane primal.
    let wrt4 = ["MZ", "aEWM1", "aS", "MT"];
    let mut sec = Vec::new();
    let mut lane_ee = f64::NAN;
    let mut lane_grad4 = Vec::new();
    for c in &all {
        let ns = ns_per_event(
            POINTS,
            vec![
                engine(c, &params),
                lanes::<0, f64>(c, &card, &[]),
                lanes::<4, D4>(c, &card, &wrt4),
            ],
        );
        if c.name == ee.name {
            lane_ee = ns[1];
        }
        if c.name == ee.name || c.name == tt.name {
            lane_grad4.push((c.name, ns[2] / ns[1]));
        }
        sec.push(
            row(format!("{} lanes", c.name), ns[1]).ratio(ns[0] / ns[1], "speed-up vs per event"),
        );
        sec.push(
            row(format!("{} lanes + 4 params", c.name), ns[2])
                .ratio(ns[2] / ns[1], "lane primal")
                .target(format!("<= {TARGET_GRAD4}x")),
        );
    }
    rows.push((
        "2b. lane-vectorised f64 (8 events per pass), run-time SIMD dispatch".into(),
        sec,
    ));

    // 3. Hand-written baselines, beside the engine.
    let ns = ns_per_event(
        POINTS,
        vec![
            events(POINTS, |i| {
                black_box(closed_form(black_box(&ew), black_box(&ee.points[i])));
            }),
            events(POINTS, |i| {
                black_box(ee_ffbar::me2(
                    &MUON,
                    &0.0,
                    black_box(&params),
                    Exchange::FULL,
                    black_box(&hand[i]),
                ));
            }),
            engine(&ee, &params),
        ],
    );
    let (cf_ns, hw_ns, eng_ns) = (ns[0], ns[1], ns[2]);
    rows.push((
        "3. baselines, e+ e- > mu+ mu-, f64, side by side".into(),
        vec![
            row("closed form ee_mumu::msq (s, cos from momenta)", cf_ns),
            row("hand helicity amplitudes ee_ffbar::me2", hw_ns)
                .ratio(hw_ns / cf_ns, "closed form"),
            row("engine", eng_ns).ratio(eng_ns / cf_ns, "closed form"),
            row("engine", eng_ns).ratio(eng_ns / hw_ns, "ee_ffbar::me2"),
        ],
    ));

    // 4. Value + gradient, each beside its f64 primal.
    let mut sec = Vec::new();
    let mut grad4 = Vec::new();
    for c in [&ee, &tt] {
        let ([primal, d, once, reused], nodes) = gradient_ns(c, &card);
        let nmom = 4 * c.points[0].len();
        grad4.push((c.name, d / primal));
        sec.push(row(format!("{}: f64 primal", c.name), primal));
        sec.push(
            row(format!("{}: + 4 params, DualSVec64<4>", c.name), d)
                .ratio(d / primal, "f64 primal")
                .target(format!("<= {TARGET_GRAD4}x")),
        );
        sec.push(
            row(
                format!("{}: + {nmom} momenta, tape::gradient", c.name),
                once,
            )
            .ratio(once / primal, "f64 primal")
            .notes("one-shot: new tape per event"),
        );
        sec.push(
            row(format!("{}: + {nmom} momenta, reused Tape", c.name), reused)
                .ratio(reused / primal, "f64 primal")
                .notes(format!("{nodes} tape nodes per event")),
        );
    }
    rows.push((
        "4. value + gradient, side by side with the f64 primal".into(),
        sec,
    ));

    // 5. Targets.
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    let mut sec = vec![
        row("e+ e- > mu+ mu- full helicity amplitudes, lanes", lane_ee)
            .ratio(lane_ee / TARGET_EE_NS, "target")
            .target(format!("<= {TARGET_EE_NS} ns vect."))
            .notes(met(lane_ee <= TARGET_EE_NS)),
    ];
    for (name, r) in lane_grad4 {
        sec.push(Row {
            ns: None,
            ..row(format!("{name}: lanes, value + 4 param partials"), 0.0)
                .ratio(r, "lane primal")
                .target(format!("<= {TARGET_GRAD4}x"))
                .notes(met(r <= TARGET_GRAD4))
        });
    }
    for (name, r) in grad4 {
        sec.push(Row {
            ns: None,
            ..row(format!("{name}: value + 4 param partials"), 0.0)
                .ratio(r, "f64 primal")
                .target(format!("<= {TARGET_GRAD4}x"))
                .notes(met(r <= TARGET_GRAD4))
        });
    }
    rows.push(("5. the issue's targets".into(), sec));

    println!();
    println!(
        "Tree-level |M|^2, amplitude engine (collider::amplitude): one event per call, \
         {POINTS} RAMBO points per process cycled, sqrt(s) = {SQRT_S} GeV, MT = {mt} GeV; \
         median of {SAMPLES} samples, all rows in this run"
    );
    println!(
        "{:<48} {:>12} {:>11} {:>8}  {:<16} {:<18} notes",
        "row", "ns/event", "events/s", "ratio", "ratio to", "target"
    );
    for (title, sec) in rows {
        println!("-- {title}");
        for r in sec {
            let (ns, rate) = match r.ns {
                Some(ns) => (format!("{ns:.1}"), format!("{:.3e}", 1e9 / ns)),
                None => ("-".into(), "-".into()),
            };
            let (ratio, to) = match &r.ratio {
                Some((x, to)) => (format!("{x:.2}"), to.clone()),
                None => (String::new(), String::new()),
            };
            println!(
                "{:<48} {ns:>12} {rate:>11} {ratio:>8}  {to:<16} {:<18} {}",
                r.name, r.target, r.notes
            );
        }
    }
}

criterion_group!(benches, criterion_groups, summary);
criterion_main!(benches);
