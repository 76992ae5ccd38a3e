//! Lane-batched matrix elements: eight events per pass of the recursion, with optional forward
//! derivatives w.r.t. named parameters, in the lane types of [`diffhep::lanes`].
//!
//! # Method
//! The external wavefunctions involve branches on the momenta (spinor phase conventions), so
//! they are computed per event — in `f64`, or in `DualSVec64<N>` when derivatives are asked for
//! (a mass moves the spinors and polarisations) — and packed into lanes. Everything after them —
//! the currents, propagators, colour sum — is branch-free arithmetic and runs once per block of
//! [`LANES`] events on [`LaneDual<N>`] values, through the same [`Evaluator`] as every other
//! number type, dispatched to the best SIMD path of the CPU ([`diffhep::simd`]). A tail block
//! repeats its last event; those lanes are dropped.

use diffhep::lanes::{LaneDual, LANES};
use diffhep::{Complex, RealScalar};
use nalgebra::SVector;
use num_dual::{Derivative, DualSVec64};

use super::evaluate::{colour_sum, external_wavefunctions, Evaluator};
use super::model::{Model, ModelPoint};
use super::subprocess::Subprocess;
use super::vertices::Current;
use crate::collider::sm::{ParamCard, ParamError, SmParams};
use crate::lorentz::FourVector;

/// A per-event number type whose value and `N` tangents can be packed into lanes.
pub trait LaneSource<const N: usize>: RealScalar {
    /// A constant.
    fn constant(x: f64) -> Self;
    /// A variable seeded as direction `k`.
    fn seeded(x: f64, k: usize) -> Self;
    /// Value and tangents.
    fn parts(&self) -> (f64, [f64; N]);
}

impl LaneSource<0> for f64 {
    fn constant(x: f64) -> Self {
        x
    }
    fn seeded(x: f64, _k: usize) -> Self {
        x
    }
    fn parts(&self) -> (f64, [f64; 0]) {
        (*self, [])
    }
}

impl<const N: usize> LaneSource<N> for DualSVec64<N> {
    fn constant(x: f64) -> Self {
        DualSVec64::from(x)
    }
    fn seeded(x: f64, k: usize) -> Self {
        DualSVec64::new(
            x,
            Derivative::some(SVector::<f64, N>::from_fn(
                |r, _| if r == k { 1.0 } else { 0.0 },
            )),
        )
    }
    fn parts(&self) -> (f64, [f64; N]) {
        let mut t = [0.0; N];
        if let Some(v) = self.eps.0.as_ref() {
            for (ti, vi) in t.iter_mut().zip(v.iter()) {
                *ti = *vi;
            }
        }
        (self.re, t)
    }
}

fn pack<const N: usize, E: LaneSource<N>>(xs: &[E]) -> LaneDual<N> {
    let mut re = [0.0; LANES];
    let mut eps = [[0.0; LANES]; N];
    for (l, x) in xs.iter().enumerate() {
        let (v, t) = x.parts();
        re[l] = v;
        for (e, tk) in eps.iter_mut().zip(t) {
            e[l] = tk;
        }
    }
    let mut out = LaneDual::<N>::from_lanes(re);
    for (o, e) in out.eps.iter_mut().zip(eps) {
        *o = e.into();
    }
    out
}

fn pack_current<const N: usize, E: LaneSource<N>>(cs: &[&Current<E>]) -> Current<LaneDual<N>> {
    std::array::from_fn(|m| {
        let re: Vec<E> = cs.iter().map(|c| c[m].re.clone()).collect();
        let im: Vec<E> = cs.iter().map(|c| c[m].im.clone()).collect();
        Complex::new(pack(&re), pack(&im))
    })
}

/// |M|² (averaged as [`Subprocess::msq`]) and its derivatives w.r.t. the parameters `wrt` for
/// every event, eight events per pass. `E` is the per-event number type of the wavefunctions:
/// `f64` for `N = 0`, `DualSVec64<N>` otherwise.
pub fn msq_lanes<const N: usize, E: LaneSource<N>>(
    sub: &Subprocess,
    model: &Model,
    card: &ParamCard,
    wrt: &[&str; N],
    events: &[Vec<FourVector<f64>>],
) -> Result<Vec<(f64, [f64; N])>, ParamError> {
    let prog = &sub.program;
    // per-event parameters (for the wavefunctions) and lane parameters (for the recursion)
    let mut pe: SmParams<E> = card.to_params();
    let mut pl: SmParams<LaneDual<N>> = card.to_params();
    for (k, name) in wrt.iter().enumerate() {
        let v = card.get(name)?;
        pe.set(name, E::seeded(v, k))?;
        pl.set(name, LaneDual::variable(v, k))?;
    }
    let point_e = ModelPoint::with_scheme(&pe, sub.scheme);
    let point_l = ModelPoint::with_scheme(&pl, sub.scheme);
    let colour = prog.colour();
    let mut out = Vec::with_capacity(events.len());
    for block in events.chunks(LANES) {
        let lanes: Vec<&Vec<FourVector<f64>>> =
            (0..LANES).map(|l| &block[l.min(block.len() - 1)]).collect();
        let wfs_e: Vec<Vec<Vec<Current<E>>>> = lanes
            .iter()
            .map(|mom| {
                let m: Vec<FourVector<E>> = mom
                    .iter()
                    .map(|p| {
                        let c = E::constant;
                        FourVector::new(c(p.e), c(p.px), c(p.py), c(p.pz))
                    })
                    .collect();
                external_wavefunctions(prog, model, &point_e, &m, None)
            })
            .collect();
        let wfs: Vec<Vec<Current<LaneDual<N>>>> = (0..prog.legs.len())
            .map(|k| {
                (0..wfs_e[0][k].len())
                    .map(|h| {
                        let cs: Vec<&Current<E>> = wfs_e.iter().map(|w| &w[k][h]).collect();
                        pack_current(&cs)
                    })
                    .collect()
            })
            .collect();
        let flow: Vec<[LaneDual<N>; 4]> = (0..prog.legs.len())
            .map(|k| {
                let sign = if prog.legs[k].incoming { 1.0 } else { -1.0 };
                let comp = |f: fn(&FourVector<f64>) -> f64| {
                    let v: [f64; LANES] = std::array::from_fn(|l| sign * f(&lanes[l][k]));
                    LaneDual::from_lanes(v)
                };
                [
                    comp(|p| p.e),
                    comp(|p| p.px),
                    comp(|p| p.py),
                    comp(|p| p.pz),
                ]
            })
            .collect();
        let total = diffhep::simd::dispatch(
            #[inline(always)]
            || {
                let mut ev = Evaluator::from_parts(prog, model, &point_l, flow, wfs);
                let mut total = LaneDual::<N>::from_lanes([0.0; LANES]);
                for &c in &sub.helicities {
                    let choice = ev.configuration(c);
                    total += colour_sum(colour, &ev.amplitudes(&choice));
                }
                total
            },
        );
        let v = total.value();
        for (l, vl) in v.iter().enumerate().take(block.len()) {
            let t: [f64; N] = std::array::from_fn(|k| total.tangent(k)[l] * sub.average);
            out.push((vl * sub.average, t));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collider::amplitude::matrix_element::MatrixElement;
    use crate::phase_space::PhaseSpace;

    fn events(
        me: &MatrixElement,
        sqrt_s: f64,
        masses: &[f64],
        n: usize,
    ) -> Vec<Vec<FourVector<f64>>> {
        let ps = PhaseSpace::new(masses.to_vec()).unwrap();
        (0..n)
            .map(|i| {
                let x: Vec<f64> = (0..ps.dim())
                    .map(|k| (0.137 * (i + 1) as f64 + 0.618_034 * k as f64).fract())
                    .collect();
                let pt = ps.generate(sqrt_s, &x).unwrap();
                let e = sqrt_s / 2.0;
                let mut m = vec![
                    FourVector::new(e, 0.0, 0.0, e),
                    FourVector::new(e, 0.0, 0.0, -e),
                ];
                m.extend(pt.momenta);
                let _ = me;
                m
            })
            .collect()
    }

    #[test]
    fn lanes_match_the_per_event_values_and_dual_derivatives() {
        let card = ParamCard::default();
        for (text, masses) in [
            ("e+ e- > mu+ mu-", vec![0.0, 0.0]),
            ("g g > t t~ g", vec![173.0, 173.0, 0.0]),
            ("u u~ > e+ e- g", vec![0.0; 3]),
        ] {
            let me = MatrixElement::new(text).unwrap();
            let sub = &me.subprocesses[0];
            let evs = events(&me, 1000.0, &masses, 11); // a full block and a tail of 3
            let plain = msq_lanes::<0, f64>(sub, &me.model, &card, &[], &evs).unwrap();
            let wrt = ["MZ", "aEWM1", "aS", "MT"];
            let with = msq_lanes::<4, DualSVec64<4>>(sub, &me.model, &card, &wrt, &evs).unwrap();
            for (i, ev) in evs.iter().enumerate() {
                let p = card.to_params::<f64>();
                let want = sub.msq(&me.model, &p, ev);
                assert!(
                    (plain[i].0 - want).abs() <= 1e-12 * want.abs(),
                    "{text} {i}"
                );
                assert!((with[i].0 - want).abs() <= 1e-12 * want.abs(), "{text} {i}");
                let mut pd = card.to_params::<DualSVec64<4>>();
                for (k, n) in wrt.iter().enumerate() {
                    pd.set(n, DualSVec64::<4>::seeded(card.get(n).unwrap(), k))
                        .unwrap();
                }
                let m: Vec<FourVector<DualSVec64<4>>> = ev
                    .iter()
                    .map(|q| {
                        let c = DualSVec64::<4>::from;
                        FourVector::new(c(q.e), c(q.px), c(q.py), c(q.pz))
                    })
                    .collect();
                let (_, t) = sub.msq(&me.model, &pd, &m).parts();
                for k in 0..4 {
                    let tol = 1e-10 * t[k].abs().max(1e-12 * want.abs());
                    assert!(
                        (with[i].1[k] - t[k]).abs() <= tol,
                        "{text} event {i} ∂/∂{}: {} vs {}",
                        wrt[k],
                        with[i].1[k],
                        t[k]
                    );
                }
            }
        }
    }
}
