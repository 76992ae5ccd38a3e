//! e+e- → t t̄ → b W⁺ b̄ W⁻ with Breit–Wigner top propagators and on-shell W bosons.
//!
//! The fermion line runs from the b to the b̄ through both top propagators:
//!
//! M = (e⁴ / 2 sin²θ_W) Σ_{X=γ,Z} D_X(s) · ū(b) ε̸*(W⁺) P_L S(p_t) J̸_X (c_L^{tX} P_L + c_R^{tX} P_R)
//!     S(−p_t̄) ε̸*(W⁻) P_L v(b̄),
//!
//! with the electron current J_X^μ = v̄(e⁺) γ^μ (c_L^{eX} P_L + c_R^{eX} P_R) u(e⁻) (couplings of
//! [`crate::collider::ee_ffbar::chiral_couplings`]), S(p) = (p̸ + m_t)/(p² − m_t² + i m_t Γ_t), the W vertex
//! e/(√2 sin θ_W) γ^μ P_L, massless b quarks and W bosons of mass m_W (derived in the `sm` scheme).
//! All 144 helicity combinations (e⁻, e⁺, b, b̄: ±1; W±: −1, 0, 1) are summed; the result is
//! averaged over the 4 initial spins and multiplied by N_c = 3.
//!
//! In the narrow-width limit the integrated cross section is σ(e+e- → t t̄)·BR(t → bW)², with
//! BR = Γ(t → bW)/Γ_t and the tree-level width [`width_t_to_bw`]; the tests check this.

use diffhep::{Complex, RealScalar, Scalar};

use crate::collider::ee_ffbar::{chiral_couplings, propagators, Exchange, ELECTRON, TOP};
use crate::collider::helicity::{
    bar, chiral, conj_vec, current, dot, polarisation, scale, slash, slash_plus_m, u, v, Spinor,
};
use crate::collider::sm::SmParams;
use crate::lorentz::FourVector;

/// Tree-level width Γ(t → b W) for a massless b: G_F m_t³/(8π√2)·(1 − x)²(1 + 2x), x = m_W²/m_t²,
/// with G_F/√2 = e²/(8 m_W² sin²θ_W) as in the `sm` scheme.
pub fn width_t_to_bw<S: Scalar>(p: &SmParams<S>) -> S {
    let d = p.derived();
    let x = (d.mw.clone() * d.mw.clone()) / (p.mt.clone() * p.mt.clone());
    let gf_over_sqrt2 =
        d.e.clone() * d.e.clone() / (d.mw.clone() * d.mw.clone() * d.sw2.clone() * 8.0);
    gf_over_sqrt2 * p.mt.clone().powi(3) / (8.0 * std::f64::consts::PI)
        * x.rsub(1.0).powi(2)
        * (x * 2.0 + 1.0)
}

/// Spin-averaged, colour-summed |M|² for momenta `[e⁻, e⁺, b, W⁺, b̄, W⁻]`.
pub fn me2<S: RealScalar>(p: &SmParams<S>, ex: Exchange, mom: &[FourVector<S>; 6]) -> S {
    let d = p.derived();
    let zero = S::zero();
    let s = (mom[0].clone() + mom[1].clone()).m2();
    let dprop = propagators(&s, p, ex);
    let ce = chiral_couplings(&ELECTRON, &d);
    let ct = chiral_couplings(&TOP, &d);
    let cx = |x: &S| Complex::real(x.clone());
    let (pl0, pl1) = (Complex::<S>::one(), Complex::<S>::zero());

    let pt = mom[2].clone() + mom[3].clone();
    let ptb = mom[4].clone() + mom[5].clone();
    let mt = p.mt.clone();
    let bw = |q: &FourVector<S>| {
        Complex::new(q.m2() - mt.clone() * mt.clone(), mt.clone() * p.wt.clone()).recip()
    };
    let (den_t, den_tb) = (bw(&pt), bw(&ptb));

    // Electron-side operators per (h1, h2): Σ_X D_X J̸_X (c_L^t P_L + c_R^t P_R), stored as the
    // two currents weighted by their propagators.
    let mut je = Vec::with_capacity(4);
    for h1 in [-1i8, 1] {
        for h2 in [-1i8, 1] {
            let ue = u(&mom[0], &zero, h1);
            let vb = bar(&v(&mom[1], &zero, h2));
            let jg = current(&vb, &ue, &cx(&ce[0].0), &cx(&ce[0].1)).map(|c| c * dprop[0].clone());
            let jz = current(&vb, &ue, &cx(&ce[1].0), &cx(&ce[1].1)).map(|c| c * dprop[1].clone());
            je.push([jg, jz]);
        }
    }
    // Right end: S(−p_t̄) ε̸*(W⁻) P_L v(b̄) for each (h_b̄, λ_W⁻).
    let neg_ptb = -ptb.clone();
    let mut right: Vec<Spinor<S>> = Vec::with_capacity(6);
    for hb in [-1i8, 1] {
        let vbb = chiral(&pl0, &pl1, &v(&mom[4], &zero, hb));
        for lw in [-1i8, 0, 1] {
            let eps = conj_vec(&polarisation(&mom[5], &d.mw, lw));
            let x = slash(&eps, &vbb);
            right.push(scale(&den_tb, &slash_plus_m(&neg_ptb, &mt, &x)));
        }
    }
    // Left end: ū(b) ε̸*(W⁺) P_L, as a row spinor, for each (h_b, λ_W⁺); contracted with
    // S(p_t) (...) by applying the operators to the column on the right instead.
    let mut total = S::zero();
    for j in &je {
        for r in &right {
            let ct_r = [
                chiral(&cx(&ct[0].0), &cx(&ct[0].1), r),
                chiral(&cx(&ct[1].0), &cx(&ct[1].1), r),
            ];
            let a = slash(&j[0], &ct_r[0]);
            let b = slash(&j[1], &ct_r[1]);
            let mid: Spinor<S> = [
                a[0].clone() + b[0].clone(),
                a[1].clone() + b[1].clone(),
                a[2].clone() + b[2].clone(),
                a[3].clone() + b[3].clone(),
            ];
            let col = scale(&den_t, &slash_plus_m(&pt, &mt, &mid));
            for lw in [-1i8, 0, 1] {
                let eps = conj_vec(&polarisation(&mom[3], &d.mw, lw));
                // ū(b) ε̸* P_L: the projector acts on the top side (V−A).
                let col2 = slash(&eps, &chiral(&pl0, &pl1, &col));
                for hb in [-1i8, 1] {
                    let ub = bar(&u(&mom[2], &zero, hb));
                    total += dot(&ub, &col2).norm_sqr();
                }
            }
        }
    }
    let e2 = d.e.clone() * d.e.clone();
    // (e⁴/(2 sin²θ_W))² · N_c / 4
    let coupling = e2.clone() * e2 / (d.sw2.clone() * 2.0);
    total * coupling.clone() * coupling * (3.0 / 4.0)
}

#[cfg(test)]
mod tests;
