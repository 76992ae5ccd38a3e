//! Checks of the engine against references that do not come from it: closed forms, the
//! hand-written processes, gauge and Lorentz invariance, Parke–Taylor amplitudes, and
//! derivatives in every AD mode against finite differences.

use diffhep::{RealScalar, Scalar, ScalarFn};

use super::evaluate::{colour_sum, Evaluator};
use super::model::{Gauge, Model, ModelPoint, Width, WidthScheme};
use super::program::Selection;
use super::subprocess::Subprocess;
use crate::collider::ee_ffbar::{self, Exchange, TOP};
use crate::collider::ee_mumu::{self, EwParams};
use crate::collider::ee_ttbar_wbwb;
use crate::collider::sm::{ParamCard, SmParams};
use crate::lorentz::FourVector;

/// A closed form of (s, t, u).
type Mandelstam = fn(f64, f64, f64) -> f64;

fn params() -> SmParams<f64> {
    ParamCard::default().to_params()
}

/// 2 → 2 momenta at √s with final masses m3, m4, angle θ, azimuth φ (massless beams along ±z).
fn two_to_two<S: Scalar>(sqrt_s: f64, m3: f64, m4: f64, cos_t: &S, phi: f64) -> Vec<FourVector<S>> {
    let e = sqrt_s / 2.0;
    let s = sqrt_s * sqrt_s;
    let lam = ((s - (m3 + m4).powi(2)) * (s - (m3 - m4).powi(2))).sqrt();
    let q = lam / (2.0 * sqrt_s);
    let e3 = (s + m3 * m3 - m4 * m4) / (2.0 * sqrt_s);
    let e4 = sqrt_s - e3;
    let st = (cos_t.clone() * cos_t.clone()).rsub(1.0).sqrt() * q;
    let (px, py, pz) = (st.clone() * phi.cos(), st * phi.sin(), cos_t.clone() * q);
    let c = S::from_f64;
    vec![
        FourVector::new(c(e), c(0.0), c(0.0), c(e)),
        FourVector::new(c(e), c(0.0), c(0.0), c(-e)),
        FourVector::new(c(e3), px.clone(), py.clone(), pz.clone()),
        FourVector::new(c(e4), -px, -py, -pz),
    ]
}

/// A fixed, momentum-conserving massless n-body point (n ≥ 2) at √s: final momenta on a
/// deterministic pattern, balanced in the centre-of-mass frame.
fn massless_point(sqrt_s: f64, n_final: usize) -> Vec<FourVector<f64>> {
    // Directions spread over the sphere, energies equal; then fix momentum balance by a boost
    // to the rest frame and a rescaling to √s (massless vectors stay massless).
    let mut fin: Vec<FourVector<f64>> = (0..n_final)
        .map(|k| {
            let x = k as f64 + 0.5;
            let cos_t = 1.0 - 2.0 * x / n_final as f64;
            let phi = 2.399963 * x + 0.3;
            let st = (1.0 - cos_t * cos_t).sqrt();
            let e = 1.0 + 0.37 * ((k * 7 % 5) as f64);
            FourVector::new(e, e * st * phi.cos(), e * st * phi.sin(), e * cos_t)
        })
        .collect();
    let total = fin
        .iter()
        .fold(FourVector::new(0.0, 0.0, 0.0, 0.0), |a, b| a + b.clone());
    fin = fin.iter().map(|p| p.in_rest_frame_of(&total)).collect();
    let e_tot: f64 = fin.iter().map(|p| p.e).sum();
    let k = sqrt_s / e_tot;
    let mut out = vec![
        FourVector::new(sqrt_s / 2.0, 0.0, 0.0, sqrt_s / 2.0),
        FourVector::new(sqrt_s / 2.0, 0.0, 0.0, -sqrt_s / 2.0),
    ];
    out.extend(fin.iter().map(|p| p.scale(&k)));
    out
}

fn sub(model: &Model, proc_: &str, sel: &Selection) -> Subprocess {
    let (i, f) = proc_.split_once('>').unwrap();
    let i: Vec<&str> = i.split_whitespace().collect();
    let f: Vec<&str> = f.split_whitespace().collect();
    Subprocess::new(model, &i, &f, sel).unwrap()
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{what}: {got} vs {want} (rel {:.2e})",
        (got - want).abs() / want.abs()
    );
}

#[test]
fn ee_to_mumu_matches_the_closed_form() {
    let model = Model::sm();
    let p = params();
    let ew = EwParams::from_sm(&p);
    let sp = sub(&model, "e- e+ > mu- mu+", &Selection::default());
    for sqrt_s in [30.0, 91.188, 250.0] {
        for cos_t in [-0.8, 0.1, 0.66] {
            let mom = two_to_two(sqrt_s, 0.0, 0.0, &cos_t, 0.4);
            let want = ee_mumu::msq(&(sqrt_s * sqrt_s), &cos_t, &ew);
            close(sp.msq(&model, &p, &mom), want, 1e-12, "e-e+ > mu-mu+");
        }
    }
}

#[test]
fn ee_to_ttbar_matches_the_hand_written_helicity_amplitudes() {
    let model = Model::sm();
    let p = params();
    let sp = sub(&model, "e- e+ > t t~", &Selection::default());
    for cos_t in [-0.5, 0.2, 0.9] {
        let mom = two_to_two(500.0, p.mt, p.mt, &cos_t, 1.3);
        let m: [FourVector<f64>; 4] = mom.clone().try_into().unwrap();
        let want = ee_ffbar::me2(&TOP, &p.mt, &p, Exchange::FULL, &m);
        close(sp.msq(&model, &p, &mom), want, 1e-12, "e-e+ > t t~");
    }
}

/// e-e+ → tt̄ → bW⁺ b̄W⁻ keeping only the doubly resonant diagrams (the decay-chain selection).
fn top_chain(model: &Model) -> Subprocess {
    let legs = ["e-", "e+", "b", "w+", "b~", "w-"];
    let sel = Selection {
        resonances: vec![
            (0b001100, model.find("t").unwrap()),
            (0b110000, model.find("t~").unwrap()),
        ],
        ..Selection::default()
    };
    Subprocess::new(model, &legs[..2], &legs[2..], &sel).unwrap()
}

#[test]
fn top_decay_chain_matches_the_hand_written_process() {
    // e+e- → tt̄ → bW⁺ b̄W⁻ with the hand-written process's massless b: the decay-chain
    // selection keeps exactly the doubly resonant diagrams it has.
    let model = Model::sm();
    let mut p = params();
    p.mb = 0.0;
    let sp = top_chain(&model);
    let mw = p.derived().mw;
    // t and t̄ on and off their mass shell. (This comparison found the hand-written process
    // projecting the wrong chirality at the t → bW⁺ vertex; fixed there since.)
    for (d1, d2) in [(0.0, 0.0), (0.01, 0.0), (0.0, 0.01), (0.7, -0.4)] {
        let mut mom = two_to_two(400.0, p.mt + d1, p.mt + d2, &0.3f64, 0.5);
        let decay = |top: &FourVector<f64>, c: f64, ph: f64| {
            let m = top.m();
            let q = (m * m - mw * mw) / (2.0 * m);
            let st = (1.0 - c * c).sqrt();
            let b = FourVector::new(q, q * st * ph.cos(), q * st * ph.sin(), q * c);
            let w = FourVector::new(m - q, -b.px, -b.py, -b.pz);
            let beta = top.beta();
            (b.boost(&beta), w.boost(&beta))
        };
        let (b, wp) = decay(&mom[2], 0.4, 1.0);
        let (bb, wm) = decay(&mom[3], -0.7, 2.5);
        mom.truncate(2);
        mom.extend([b, wp, bb, wm]);
        let m6: [FourVector<f64>; 6] = mom.clone().try_into().unwrap();
        let want = ee_ttbar_wbwb::me2(&p, Exchange::FULL, &m6);
        close(sp.msq(&model, &p, &mom), want, 1e-12, "tt̄ → bW⁺b̄W⁻");
    }
}

#[test]
fn pure_qed_processes_match_their_closed_forms() {
    // Spin-averaged massless QED (Peskin & Schroeder 5.105, 5.87; Bhabha: Berestetskii,
    // Lifshitz & Pitaevskii §81): e+e-→γγ 2e⁴(u/t + t/u), Compton −2e⁴(u/s + s/u),
    // Bhabha 2e⁴[(s² + u²)/t² + 2u²/(st) + (u² + t²)/s²].
    let model = Model::sm();
    let p = params();
    let e2 = p.derived().e.powi(2);
    let no_z = Selection {
        excluded_any: vec![model.find("z").unwrap(), model.find("h").unwrap()],
        ..Selection::default()
    };
    let cases: [(&str, Mandelstam); 3] = [
        ("e- e+ > a a", |_, t, u| 2.0 * (u / t + t / u)),
        ("e- a > e- a", |s, _, u| -2.0 * (u / s + s / u)),
        ("e- e+ > e- e+", |s, t, u| {
            2.0 * ((s * s + u * u) / (t * t) + 2.0 * u * u / (s * t) + (u * u + t * t) / (s * s))
        }),
    ];
    for (name, f) in cases {
        let sp = sub(&model, name, &no_z);
        for cos_t in [-0.6, 0.25, 0.8] {
            let mom = two_to_two(100.0, 0.0, 0.0, &cos_t, 0.7);
            let s = (mom[0].clone() + mom[1].clone()).m2();
            let t = (mom[0].clone() - mom[2].clone()).m2();
            let u = (mom[0].clone() - mom[3].clone()).m2();
            close(sp.msq(&model, &p, &mom), e2 * e2 * f(s, t, u), 1e-12, name);
        }
    }
}

/// Σ_hel of the colour-summed |M|² with leg `gauge` given its momentum as polarisation.
fn gauge_ratio(
    sp: &Subprocess,
    model: &Model,
    p: &SmParams<f64>,
    mom: &[FourVector<f64>],
    gauge: usize,
) -> f64 {
    let point = ModelPoint::with_scheme(p, sp.scheme);
    let mut ev = Evaluator::new(&sp.program, model, &point, mom, Some(gauge));
    let colour = sp.program.colour();
    let mut broken = 0.0;
    for c in 0..ev.configurations() {
        let choice = ev.configuration(c);
        broken += colour_sum(colour, &ev.amplitudes(&choice));
    }
    broken * sp.average / sp.msq(model, p, mom)
}

#[test]
fn external_gauge_bosons_decouple_when_polarised_along_their_momentum() {
    let model = Model::sm();
    let mut p = params();
    // Fixed widths break gauge invariance at O(Γ/M): check with stable bosons.
    p.wz = 0.0;
    p.ww = 0.0;
    p.wt = 0.0;
    let (mt, mw) = (p.mt, p.derived().mw);
    for (name, masses) in [
        ("g g > g g g", vec![0.0; 3]),
        ("u u~ > e+ e- g", vec![0.0; 3]),
        ("e+ e- > mu+ mu- a", vec![0.0; 3]),
        ("u g > u g g", vec![0.0; 3]),
        ("g g > t t~ g", vec![mt, mt, 0.0]),
        ("u d~ > w+ a", vec![mw, 0.0]),
    ] {
        let sp = sub(&model, name, &Selection::default());
        let mom = on_shell(massless_point(1000.0, masses.len()), &masses);
        let legs = name.replace('>', "");
        for (k, part) in legs.split_whitespace().enumerate() {
            if part == "g" || part == "a" {
                let r = gauge_ratio(&sp, &model, &p, &mom, k);
                assert!(r < 1e-20, "{name}: leg {k} gives {r:e}");
            }
        }
    }
}

#[test]
fn squared_amplitudes_are_lorentz_invariant() {
    let model = Model::sm();
    let p = params();
    for name in ["g g > g g g", "u u~ > e+ e- g", "e+ e- > w+ w-"] {
        let sp = sub(&model, name, &Selection::default());
        let nf = sp.names.len() - 2;
        let mut mom = massless_point(800.0, nf);
        if name.contains("w+") {
            let mw = p.derived().mw;
            mom = two_to_two(800.0, mw, mw, &0.35f64, 0.9);
        }
        let a = sp.msq(&model, &p, &mom);
        let boosted: Vec<FourVector<f64>> = mom
            .iter()
            .map(|q| q.boost(&[0.3, -0.2, 0.5]).rotate_y(&0.7))
            .collect();
        close(sp.msq(&model, &p, &boosted), a, 1e-11, name);
    }
}

/// |s_ab| for the flow momenta of legs a, b (massless).
fn s_abs(mom: &[FourVector<f64>], a: usize, b: usize) -> f64 {
    let sign = |k: usize| if k < 2 { 1.0 } else { -1.0 };
    let (pa, pb) = (mom[a].scale(&sign(a)), mom[b].scale(&sign(b)));
    (pa + pb).m2().abs()
}

#[test]
fn gluon_mhv_amplitudes_are_parke_taylor() {
    // |A(σ)|² = g^{2(n−2)} s_ij⁴ / Π |s_{σk σk+1}| for the colour-ordered MHV amplitude with
    // negative helicities (all outgoing) on i, j (Parke & Taylor, Phys. Rev. Lett. 56 (1986)
    // 2459), in the normalisation tr(T^aT^b) = δ^{ab} of Dixon, hep-ph/9601359.
    let model = Model::sm();
    let p = params();
    let gs2 = 4.0 * std::f64::consts::PI * p.alpha_s;
    for n in 4..=7 {
        let names = vec!["g"; n];
        let sp = Subprocess::new(&model, &names[..2], &names[2..], &Selection::default()).unwrap();
        let mom = massless_point(700.0, n - 2);
        let point = ModelPoint::new(&p);
        let mut ev = Evaluator::new(&sp.program, &model, &point, &mom, None);
        // all-outgoing helicities: − on legs 0 and 2, + elsewhere; an incoming leg's
        // helicity is the opposite. helicities() lists [−1, +1].
        let out_h = |k: usize| if k == 0 || k == 2 { -1 } else { 1 };
        let choice: Vec<usize> = (0..n)
            .map(|k| {
                let h = if k < 2 { -out_h(k) } else { out_h(k) };
                usize::from(h > 0)
            })
            .collect();
        let amps = ev.amplitudes(&choice);
        assert_eq!(
            amps.len(),
            (1..n).product::<usize>(),
            "n = {n}: (n−1)! orderings"
        );
        for (flow, a) in sp.program.flows.iter().zip(&amps) {
            // cyclic order: after anticolour slot a comes the colour slot c of the pair (c, a)
            let next = |x: u8| flow.iter().find(|&&(_, a)| a == x).unwrap().0 as usize;
            let mut denom = 1.0;
            let mut k = 0usize;
            for _ in 0..n {
                let nk = next(k as u8);
                denom *= s_abs(&mom, k, nk);
                k = nk;
            }
            let want = gs2.powi(n as i32 - 2) * s_abs(&mom, 0, 2).powi(4) / denom;
            close(
                a.norm_sqr(),
                want,
                1e-10,
                &format!("n = {n}, flow {flow:?}"),
            );
        }
    }
}

/// |M|² of u ū → e⁺ e⁻ g as a function of (MZ, aEWM1, aS, MT, cos θ of the e⁺ direction).
struct UuEeg(Subprocess, Model);

impl ScalarFn for UuEeg {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let mut p = ParamCard::default().to_params::<S>();
        p.mz = x[0].clone();
        p.aewm1 = x[1].clone();
        p.alpha_s = x[2].clone();
        p.mt = x[3].clone();
        let base = massless_point(300.0, 3);
        let mom: Vec<FourVector<S>> = base
            .iter()
            .enumerate()
            .map(|(k, q)| {
                let c = |v: f64| S::from_f64(v);
                let v = FourVector::new(c(q.e), c(q.px), c(q.py), c(q.pz));
                // rotate the final state about the y axis by x[4] (it stays balanced)
                if k >= 2 {
                    v.rotate_y(&x[4])
                } else {
                    v
                }
            })
            .collect();
        self.0.msq(&self.1, &p, &mom)
    }
}

#[test]
fn derivatives_agree_across_ad_modes_and_with_finite_differences() {
    let model = Model::sm();
    let sp = sub(&model, "u u~ > e+ e- g", &Selection::default());
    let f = UuEeg(sp, model);
    let x = [91.188, 132.507, 0.118, 173.0, 0.3];
    let cfg = diffhep::gradcheck::GradCheckConfig::default();
    let r = diffhep::gradcheck::check_gradient(&f, &x, &cfg);
    r.assert_ok();
}

#[test]
fn top_decay_chain_factorises_on_shell() {
    // With both tops exactly on shell, averaging |M|² over the six octahedron directions of
    // each decay (exact for the at most bilinear spin correlations) gives
    // |M(e+e- → tt̄)|² · (Σ|M(t → bW)|²/2)² · |BW_t|² |BW_t̄|², with
    // Σ|M(t → bW)|² = 16π m_t² Γ(t → bW)/|p_b| from the closed-form width.
    let model = Model::sm();
    let mut p = params();
    p.mb = 0.0;
    let sp = top_chain(&model);
    let prod = sub(&model, "e- e+ > t t~", &Selection::default());
    let mw = p.derived().mw;
    let mt = p.mt;
    let tops = two_to_two(450.0, mt, mt, &0.3f64, 0.5);
    let dirs = [
        [1.0, 0.0, 0.0],
        [-1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, -1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, -1.0],
    ];
    let q = (mt * mt - mw * mw) / (2.0 * mt);
    let decay = |top: &FourVector<f64>, d: [f64; 3]| {
        let b = FourVector::new(q, q * d[0], q * d[1], q * d[2]);
        let w = FourVector::new(mt - q, -b.px, -b.py, -b.pz);
        (b.boost(&top.beta()), w.boost(&top.beta()))
    };
    let mut avg = 0.0;
    let mut avg_hand = 0.0;
    for d1 in dirs {
        for d2 in dirs {
            let (b, wp) = decay(&tops[2], d1);
            let (bb, wm) = decay(&tops[3], d2);
            let mom = vec![tops[0].clone(), tops[1].clone(), b, wp, bb, wm];
            avg += sp.msq(&model, &p, &mom) / 36.0;
            let m6: [FourVector<f64>; 6] = mom.clone().try_into().unwrap();
            avg_hand += ee_ttbar_wbwb::me2(&p, Exchange::FULL, &m6) / 36.0;
        }
    }
    let gamma = ee_ttbar_wbwb::width_t_to_bw(&p);
    let dec = 16.0 * std::f64::consts::PI * mt * mt * gamma / q;
    let bw2 = 1.0 / (mt * p.wt).powi(2);
    let want = prod.msq(&model, &p, &tops) * (dec / 2.0).powi(2) * bw2 * bw2;
    close(avg, want, 1e-10, "factorisation");
    close(avg_hand, want, 1e-10, "factorisation (hand-written)");
}

/// Put the final state of a massless point on the given mass shells at fixed directions.
fn on_shell(mut mom: Vec<FourVector<f64>>, masses: &[f64]) -> Vec<FourVector<f64>> {
    let sqrt_s = mom[0].e + mom[1].e;
    let dirs: Vec<FourVector<f64>> = mom[2..].to_vec();
    let energy = |lam: f64| -> f64 {
        dirs.iter()
            .zip(masses)
            .map(|(d, m)| ((d.p() * lam).powi(2) + m * m).sqrt())
            .sum()
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if energy(mid) > sqrt_s {
            hi = mid
        } else {
            lo = mid
        }
    }
    for (k, (d, m)) in dirs.iter().zip(masses).enumerate() {
        let q = d.scale(&lo);
        mom[2 + k] = FourVector::new((q.p2() + m * m).sqrt(), q.px, q.py, q.pz);
    }
    mom
}

#[test]
fn the_complex_mass_scheme_keeps_gauge_invariance_with_finite_widths() {
    // With a finite top width, a gluon attached to a top propagator between two others needs
    // S(p)⁻¹ = p̸ − μ for its Ward identity: fixed widths (p̸ + m)/(p² − m² + i m Γ) break it at
    // O(Γ/m), the complex-mass scheme keeps it exact (for unstable particles that only
    // propagate: an external top has no complex pole). A photon off an s-channel W is not a
    // test: fixed widths keep the U(1) identity there.
    let model = Model::sm();
    let p = params();
    let mw = p.derived().mw;
    for (name, masses, gauge) in [
        ("g g > b w+ b~ w-", vec![p.mb, mw, p.mb, mw], 0),
        ("g g > b w+ b~ w-", vec![p.mb, mw, p.mb, mw], 1),
    ] {
        let mut sp = sub(&model, name, &Selection::default());
        let mom = on_shell(massless_point(1000.0, masses.len()), &masses);
        let fixed = gauge_ratio(&sp, &model, &p, &mom, gauge);
        sp.scheme = WidthScheme::ComplexMass;
        let cms = gauge_ratio(&sp, &model, &p, &mom, gauge);
        assert!(
            fixed > 1e-12,
            "{name}: fixed widths should break it visibly ({fixed:e})"
        );
        assert!(cms < 1e-20, "{name}: complex-mass scheme {cms:e}");
    }
}

#[test]
fn the_complex_mass_scheme_differs_from_fixed_widths_at_order_width_over_mass() {
    let model = Model::sm();
    let p = params();
    for name in ["e+ e- > mu+ mu-", "e+ e- > t t~"] {
        let mut sp = sub(&model, name, &Selection::default());
        let mt = if name.contains('t') { p.mt } else { 0.0 };
        let mom = two_to_two(500.0, mt, mt, &0.4f64, 0.2);
        let fixed = sp.msq(&model, &p, &mom);
        sp.scheme = WidthScheme::ComplexMass;
        let cms = sp.msq(&model, &p, &mom);
        let rel = (cms - fixed).abs() / fixed;
        // Γ_Z/M_Z ≈ 0.027: the schemes differ, by less than a few Γ/M.
        assert!(rel > 1e-6 && rel < 0.1, "{name}: {rel}");
        // and agree exactly once the widths vanish
        let mut p0 = p.clone();
        p0.wz = 0.0;
        p0.ww = 0.0;
        p0.wt = 0.0;
        p0.wh = 0.0;
        let cms0 = sp.msq(&model, &p0, &mom);
        sp.scheme = WidthScheme::Fixed;
        close(cms0, sp.msq(&model, &p0, &mom), 1e-13, name);
    }
}

#[test]
fn complex_mass_scheme_derivatives_agree_across_ad_modes_and_with_finite_differences() {
    // The complex poles, c_W = √(μ_W²/μ_Z²) and the couplings built on them, differentiated.
    let model = Model::sm();
    let mut sp = sub(&model, "u u~ > e+ e- g", &Selection::default());
    sp.scheme = WidthScheme::ComplexMass;
    let f = UuEeg(sp, model);
    let x = [91.188, 132.507, 0.118, 173.0, 0.3];
    let cfg = diffhep::gradcheck::GradCheckConfig::default();
    diffhep::gradcheck::check_gradient(&f, &x, &cfg).assert_ok();
}

/// |M|² as a function of every momentum component (beams included), off shell allowed.
struct AllMomenta(Subprocess, Model);

impl ScalarFn for AllMomenta {
    fn eval<S: RealScalar>(&self, x: &[S]) -> S {
        let p = ParamCard::default().to_params::<S>();
        let mom: Vec<FourVector<S>> = x
            .chunks(4)
            .map(|c| FourVector::new(c[0].clone(), c[1].clone(), c[2].clone(), c[3].clone()))
            .collect();
        self.0.msq(&self.1, &p, &mom)
    }
}

#[test]
fn derivatives_along_the_beam_axes_are_not_lost() {
    // Beams along ±z sit on the poles of the spherical angles of the helicity spinors and
    // polarisation vectors; their per-hemisphere phase conventions keep ∂|M|²/∂(beam px, py)
    // (a branch on the axis would return 0). Fermion beams, gluon beams, massive fermions and
    // massive vector bosons in the final state.
    let model = Model::sm();
    let mt = ParamCard::default().MT;
    let mw = ParamCard::default().to_params::<f64>().derived().mw;
    for (proc_, masses) in [
        ("e+ e- > w+ w-", vec![mw, mw]),
        ("g g > t t~ g", vec![mt, mt, 0.0]),
        ("u u~ > z g", vec![ParamCard::default().MZ, 0.0]),
        ("u u~ > w+ w- h", vec![mw, mw, ParamCard::default().MH]),
    ] {
        let sp = sub(&model, proc_, &Selection::default());
        let n = masses.len();
        let mom = on_shell(massless_point(600.0, n), &masses);
        let x: Vec<f64> = mom.iter().flat_map(|q| [q.e, q.px, q.py, q.pz]).collect();
        let f = AllMomenta(sp, Model::sm());
        let cfg = diffhep::gradcheck::GradCheckConfig::default();
        let r = diffhep::gradcheck::check_gradient(&f, &x, &cfg);
        r.assert_ok();
        // The same in Feynman gauge (Goldstone lines and the momentum-dependent V S S vertex).
        let feynman = Model::sm_in(Gauge::Feynman);
        let g = AllMomenta(sub(&feynman, proc_, &Selection::default()), feynman);
        diffhep::gradcheck::check_gradient(&g, &x, &cfg).assert_ok();
        let g = diffhep::forward::gradient(&f, &x).1;
        assert!(
            g[1] != 0.0 && g[5] != 0.0,
            "{proc_}: ∂/∂px of the beams {} {}",
            g[1],
            g[5]
        );
    }
}

#[test]
fn crossing_every_leg_gives_the_same_spin_and_colour_summed_square() {
    // Crossing all legs (CPT): a b → c d at (p_a, p_b; p_c, p_d) and c̄ d̄ → ā b̄ at
    // (p_c, p_d; p_a, p_b) are the same all-incoming amplitude at negated momenta, so the sums
    // of |M|² over all helicities and colours agree (Σ|M|² = msq / average). Every particle type
    // is evaluated once incoming and once outgoing: fermions and antifermions (massless and
    // massive), photons, gluons, W, Z and the Higgs.
    let model = Model::sm();
    let p = params();
    let d = p.derived();
    let card = ParamCard::default();
    // (The engine builds 1 or 2 incoming particles, so the final states have two.)
    for (proc_, masses) in [
        ("e+ e- > mu+ mu-", vec![0.0, 0.0]),
        ("g g > t t~", vec![card.MT, card.MT]),
        ("g g > g g", vec![0.0, 0.0]),
        ("u g > u g", vec![0.0, 0.0]),
        ("e- a > e- a", vec![0.0, 0.0]),
        ("u u~ > w+ w-", vec![d.mw, d.mw]),
        ("e+ e- > z h", vec![card.MZ, card.MH]),
        ("u d~ > w+ g", vec![d.mw, 0.0]),
        ("u u~ > z a", vec![card.MZ, 0.0]),
        ("e+ e- > t t~", vec![card.MT, card.MT]),
    ] {
        let (ini, fin) = proc_.split_once('>').unwrap();
        let ini: Vec<&str> = ini.split_whitespace().collect();
        let fin: Vec<&str> = fin.split_whitespace().collect();
        let anti = |n: &&str| model.particles[model.particles[model.find(n).unwrap()].anti].name;
        let crossed = format!(
            "{} > {}",
            fin.iter().map(anti).collect::<Vec<_>>().join(" "),
            ini.iter().map(anti).collect::<Vec<_>>().join(" ")
        );
        let a = sub(&model, proc_, &Selection::default());
        let b = sub(&model, &crossed, &Selection::default());
        let mom = on_shell(massless_point(700.0, masses.len()), &masses);
        let mut swapped: Vec<FourVector<f64>> = mom[2..].to_vec();
        swapped.extend(mom[..2].iter().cloned());
        let sum_a = a.msq(&model, &p, &mom) / a.average;
        let sum_b = b.msq(&model, &p, &swapped) / b.average;
        close(sum_b, sum_a, 1e-12, &format!("{proc_} vs {crossed}"));
        assert!(sum_a > 0.0, "{proc_}");
    }
}

/// Massive incoming momenta (m1 along +z, m2 along −z) at the √s of `mom`, the final state kept.
fn massive_beams(mut mom: Vec<FourVector<f64>>, m1: f64, m2: f64) -> Vec<FourVector<f64>> {
    let rs = mom[0].e + mom[1].e;
    let s = rs * rs;
    let e1 = (s + m1 * m1 - m2 * m2) / (2.0 * rs);
    let p = (e1 * e1 - m1 * m1).sqrt();
    mom[0] = FourVector::new(e1, 0.0, 0.0, p);
    mom[1] = FourVector::new(rs - e1, 0.0, 0.0, -p);
    mom
}

#[test]
fn feynman_and_unitary_gauge_agree() {
    // The Goldstone bosons of Feynman gauge (and its −g^{μν} propagators) against unitary gauge:
    // exact agreement with zero widths (gauge invariance holds diagram set by diagram set) and
    // in the complex-mass scheme with the default widths. Processes where the Goldstones
    // couple: to massive fermions (b, t, τ), to W/Z/γ and h, in s- and t-channels, with
    // external massive vectors, and the four-point vertices (W W → W W, W W → Z Z, 2 → 3).
    let unitary = Model::sm();
    let feynman = Model::sm_in(Gauge::Feynman);
    let mut card = ParamCard::default();
    for w in ["WZ", "WW", "WT", "WH"] {
        card.set(w, 0.0).unwrap();
    }
    let zero_widths = card.to_params::<f64>();
    let with_widths = params();
    let d = with_widths.derived();
    let (mz, mw, mt, mh, mb) = (card.MZ, d.mw, card.MT, card.MH, card.MB);
    let cases: Vec<(&str, [f64; 2], Vec<f64>)> = vec![
        ("e+ e- > w+ w-", [0.0, 0.0], vec![mw, mw]),
        ("b b~ > w+ w-", [mb, mb], vec![mw, mw]),
        ("t t~ > w+ w-", [mt, mt], vec![mw, mw]),
        ("t t~ > z h", [mt, mt], vec![mz, mh]),
        ("t t~ > z z", [mt, mt], vec![mz, mz]),
        ("ta+ ta- > w+ w-", [card.MTA, card.MTA], vec![mw, mw]),
        ("t b~ > w+ h", [mt, mb], vec![mw, mh]),
        ("t b~ > w+ z", [mt, mb], vec![mw, mz]),
        ("u d~ > w+ z", [0.0, 0.0], vec![mw, mz]),
        ("e+ e- > z h", [0.0, 0.0], vec![mz, mh]),
        ("w+ w- > w+ w-", [mw, mw], vec![mw, mw]),
        ("w+ w- > z z", [mw, mw], vec![mz, mz]),
        ("w+ w- > h h", [mw, mw], vec![mh, mh]),
        ("z z > h h", [mz, mz], vec![mh, mh]),
        ("w+ z > w+ h", [mw, mz], vec![mw, mh]),
        ("w+ a > w+ h", [mw, 0.0], vec![mw, mh]),
        ("e+ e- > w+ w- z", [0.0, 0.0], vec![mw, mw, mz]),
        ("e+ e- > t t~ h", [0.0, 0.0], vec![mt, mt, mh]),
        ("g g > t t~ h", [0.0, 0.0], vec![mt, mt, mh]),
        ("u u~ > w+ w- h", [0.0, 0.0], vec![mw, mw, mh]),
        ("t t~ > w+ w- z", [mt, mt], vec![mw, mw, mz]),
        ("t t~ > w+ w- h", [mt, mt], vec![mw, mw, mh]),
        ("t b~ > w+ h h", [mt, mb], vec![mw, mh, mh]),
        ("t t~ > z h h", [mt, mt], vec![mz, mh, mh]),
        ("t b~ > w+ z a", [mt, mb], vec![mw, mz, 0.0]),
        ("w+ w- > h h h", [mw, mw], vec![mh, mh, mh]),
        ("t b~ > w+ z a h", [mt, mb], vec![mw, mz, 0.0, mh]),
        ("t b~ > w+ a a h", [mt, mb], vec![mw, 0.0, 0.0, mh]),
        ("t t~ > z h h h", [mt, mt], vec![mz, mh, mh, mh]),
        // Stable external states only: also compared in the complex-mass scheme.
        ("b b~ > ta+ ta-", [mb, mb], vec![card.MTA, card.MTA]),
        ("b b~ > ta+ ta- a", [mb, mb], vec![card.MTA, card.MTA, 0.0]),
        ("ta+ ta- > b b~ g", [card.MTA, card.MTA], vec![mb, mb, 0.0]),
        ("b b~ > ve ve~", [mb, mb], vec![0.0, 0.0]),
    ];
    for (proc_, [m1, m2], masses) in cases {
        let mom = massive_beams(
            on_shell(massless_point(1500.0, masses.len()), &masses),
            m1,
            m2,
        );
        // With finite widths the complex-mass scheme keeps gauge invariance exactly only
        // between stable external states: an external W, Z, h or t is on its real mass shell
        // while the couplings use complex masses (and the Yukawa masses are real parameters),
        // so there the gauges differ at O(Γ/M) (1e-2 for w+ w- > z z, 2e-3 for t b~ > w+ z),
        // and only the zero-width comparison applies.
        let stable = proc_
            .split_whitespace()
            .filter(|n| *n != ">")
            .all(|n| unitary.particles[unitary.find(n).unwrap()].width == Width::Zero);
        let schemes: &[WidthScheme] = if stable {
            &[WidthScheme::Fixed, WidthScheme::ComplexMass]
        } else {
            &[WidthScheme::Fixed]
        };
        for &scheme in schemes {
            let p = if scheme == WidthScheme::Fixed {
                &zero_widths
            } else {
                &with_widths
            };
            let mut a = sub(&unitary, proc_, &Selection::default());
            let mut b = sub(&feynman, proc_, &Selection::default());
            a.scheme = scheme;
            b.scheme = scheme;
            let (u, f) = (a.msq(&unitary, p, &mom), b.msq(&feynman, p, &mom));
            assert!(u > 0.0, "{proc_}");
            close(f, u, 1e-10, &format!("{proc_} ({scheme:?})"));
        }
    }
}
