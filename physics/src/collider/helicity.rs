//! Helicity amplitudes: external wavefunctions, Dirac algebra and vertices, generic over the
//! number type so amplitudes are differentiable w.r.t. momenta and couplings.
//!
//! # Conventions
//! - Metric (+, −, −, −); chiral (Weyl) basis, γ^μ = [[0, σ^μ], [σ̄^μ, 0]] with σ^μ = (1, σ⃗),
//!   σ̄^μ = (1, −σ⃗), γ5 = diag(−1, −1, 1, 1); a Dirac spinor is (ψ_L, ψ_R) (components 0–1 and
//!   2–3), P_L = (1 − γ5)/2 keeps the upper pair.
//! - Helicity two-spinors along p̂ = (sin θ cos φ, sin θ sin φ, cos θ):
//!   χ₊ = (cos θ/2, e^{iφ} sin θ/2), χ₋ = (−e^{−iφ} sin θ/2, cos θ/2); along −z, φ = 0.
//! - u(p, λ) = (ω₋λ χ_λ, ω_λ χ_λ), v(p, λ) = (−λ ω_λ χ₋λ, λ ω₋λ χ₋λ), ω± = √(E ± |p|)
//!   (Hagiwara & Zeppenfeld, Nucl. Phys. B 274 (1986) 1; Murayama, Watanabe & Hagiwara, HELAS,
//!   KEK-91-11). Massless spinors use ω₋ = 0 exactly (so derivatives stay finite); massive ones
//!   ω₋ = m/ω₊.
//! - Massive vector polarisations (HELAS convention): ε(k, ±) = (0, ∓cos θ cos φ + i sin φ,
//!   ∓cos θ sin φ − i cos φ, ±sin θ)/√2, ε(k, 0) = (|k|, E k̂)/m. Outgoing vectors use ε*.
//! - The tests check the completeness relations Σλ u ū = p̸ + m, Σλ v v̄ = p̸ − m and
//!   Σλ ε^μ ε^{ν*} = −g^{μν} + k^μ k^ν/m², which fix every convention that matters for |M|².

use diffhep::{Complex, RealScalar, Scalar};

use crate::lorentz::FourVector;

/// A Dirac spinor in the chiral basis: `[ψ_L0, ψ_L1, ψ_R0, ψ_R1]`.
pub type Spinor<S> = [Complex<S>; 4];

/// A four-vector with complex components (upper index): polarisations and currents.
pub type CVector<S> = [Complex<S>; 4];

fn c<S: Scalar>(x: S) -> Complex<S> {
    Complex::real(x)
}

/// The helicity two-spinor χ_λ(p̂) for `hel` = ±1.
///
/// The phase of χ_λ is a convention, and the textbook one, `(cos θ/2, e^{iφ} sin θ/2)`, is
/// singular on the −z axis, where φ is undefined: its derivatives there (a beam along −z) would
/// be lost. So each hemisphere gets its own chart, smooth in the momentum components across its
/// pole: for `pz ≥ 0` the textbook phase, for `pz < 0` the same spinor times `e^{−iλφ}`,
/// `χ₊ = ((px − i py)/√(2|p|(|p| − pz)), √((|p| − pz)/(2|p|)))`,
/// `χ₋ = (−√((|p| − pz)/(2|p|)), (px + i py)/√(2|p|(|p| − pz)))`. On the axes both charts give
/// the textbook values. A phase per external particle and helicity cancels in every |M|².
pub fn chi<S: RealScalar>(p: &FourVector<S>, hel: i8) -> [Complex<S>; 2] {
    let pabs = p.p();
    if pabs.value() <= 0.0 {
        // p = 0: θ = π, φ = 0 by convention.
        let (o, z) = (Complex::<S>::one(), Complex::<S>::zero());
        return if hel > 0 { [z, o] } else { [-o, z] };
    }
    if p.pz.value() >= 0.0 {
        let a = pabs.clone() + p.pz.clone();
        let cos_half = (a.clone() / (pabs.clone() * 2.0)).sqrt();
        let n = (a * pabs * 2.0).sqrt().recip();
        // e^{iφ} sin(θ/2) = (px + i py)/√(2|p|(|p| + pz)).
        let e_sin = Complex::new(p.px.clone() * n.clone(), p.py.clone() * n);
        return if hel > 0 {
            [c(cos_half), e_sin]
        } else {
            [-e_sin.conj(), c(cos_half)]
        };
    }
    let b = pabs.clone() - p.pz.clone();
    let sin_half = (b.clone() / (pabs.clone() * 2.0)).sqrt();
    let n = (b * pabs * 2.0).sqrt().recip();
    // e^{iφ} cos(θ/2) = (px + i py)/√(2|p|(|p| − pz)).
    let e_cos = Complex::new(p.px.clone() * n.clone(), p.py.clone() * n);
    if hel > 0 {
        [e_cos.conj(), c(sin_half)]
    } else {
        [-c(sin_half), e_cos]
    }
}

/// (ω₊, ω₋) = (√(E + |p|), √(E − |p|)), with ω₋ = 0 for massless and m/ω₊ for massive particles.
fn omegas<S: RealScalar>(p: &FourVector<S>, m: &S) -> (S, S) {
    if m.value() == 0.0 {
        ((p.e.clone() * 2.0).sqrt(), S::zero())
    } else {
        let wp = (p.e.clone() + p.p()).sqrt();
        (wp.clone(), m.clone() / wp)
    }
}

fn stack<S: RealScalar>(up: [Complex<S>; 2], ku: S, lo: [Complex<S>; 2], kl: S) -> Spinor<S> {
    let [a, b] = up;
    let [d, e] = lo;
    [a.scale(&ku), b.scale(&ku), d.scale(&kl), e.scale(&kl)]
}

/// Incoming fermion u(p, λ) of mass `m` (λ = ±1).
pub fn u<S: RealScalar>(p: &FourVector<S>, m: &S, hel: i8) -> Spinor<S> {
    let (wp, wm) = omegas(p, m);
    let x = chi(p, hel);
    if hel > 0 {
        stack(x.clone(), wm, x, wp)
    } else {
        stack(x.clone(), wp, x, wm)
    }
}

/// Incoming antifermion v(p, λ) of mass `m` (λ = ±1).
pub fn v<S: RealScalar>(p: &FourVector<S>, m: &S, hel: i8) -> Spinor<S> {
    let (wp, wm) = omegas(p, m);
    let x = chi(p, -hel);
    // (−λ ω_λ χ₋λ, λ ω₋λ χ₋λ)
    if hel > 0 {
        stack(x.clone(), -wp, x, wm)
    } else {
        stack(x.clone(), wm, x, -wp)
    }
}

/// Dirac adjoint ψ̄ = ψ†γ⁰, returned as the components to contract with [`dot`].
pub fn bar<S: Scalar>(psi: &Spinor<S>) -> Spinor<S> {
    [psi[2].conj(), psi[3].conj(), psi[0].conj(), psi[1].conj()]
}

/// ψ̄_a ψ_b where `abar` = [`bar`]`(ψ_a)`: Σᵢ abarᵢ ψ_bᵢ.
pub fn dot<S: Scalar>(abar: &Spinor<S>, b: &Spinor<S>) -> Complex<S> {
    abar[0].clone() * b[0].clone()
        + abar[1].clone() * b[1].clone()
        + abar[2].clone() * b[2].clone()
        + abar[3].clone() * b[3].clone()
}

/// Complex components of a real four-vector.
pub fn cvec<S: Scalar>(p: &FourVector<S>) -> CVector<S> {
    [
        c(p.e.clone()),
        c(p.px.clone()),
        c(p.py.clone()),
        c(p.pz.clone()),
    ]
}

/// Complex conjugate of a complex four-vector.
pub fn conj_vec<S: Scalar>(k: &CVector<S>) -> CVector<S> {
    [k[0].conj(), k[1].conj(), k[2].conj(), k[3].conj()]
}

/// k̸ψ = γ^μ k_μ ψ for a complex four-vector `k` given with upper index.
pub fn slash<S: Scalar>(k: &CVector<S>, psi: &Spinor<S>) -> Spinor<S> {
    // k·σ = k⁰ − k⃗·σ⃗ acts on ψ_R into the upper pair; k·σ̄ = k⁰ + k⃗·σ⃗ on ψ_L into the lower.
    let [k0, kx, ky, kz] = k.clone();
    let kp = kx.clone() + ky.mul_i(); // kx + i ky
    let km = kx - ky.mul_i(); // kx − i ky
    let (l0, l1, r0, r1) = (
        psi[0].clone(),
        psi[1].clone(),
        psi[2].clone(),
        psi[3].clone(),
    );
    // k⃗·σ⃗ = [[kz, kx − i ky], [kx + i ky, −kz]]
    let up0 = (k0.clone() - kz.clone()) * r0.clone() - km.clone() * r1.clone();
    let up1 = -(kp.clone() * r0) + (k0.clone() + kz.clone()) * r1;
    let lo0 = (k0.clone() + kz.clone()) * l0.clone() + km * l1.clone();
    let lo1 = kp * l0 + (k0 - kz) * l1;
    [up0, up1, lo0, lo1]
}

/// (p̸ + m)ψ for a real momentum.
pub fn slash_plus_m<S: RealScalar>(p: &FourVector<S>, m: &S, psi: &Spinor<S>) -> Spinor<S> {
    let s = slash(&cvec(p), psi);
    let mut out = s;
    for (o, x) in out.iter_mut().zip(psi) {
        *o += x.scale(m);
    }
    out
}

/// Chiral vertex factor (c_L P_L + c_R P_R)ψ.
pub fn chiral<S: Scalar>(cl: &Complex<S>, cr: &Complex<S>, psi: &Spinor<S>) -> Spinor<S> {
    [
        cl.clone() * psi[0].clone(),
        cl.clone() * psi[1].clone(),
        cr.clone() * psi[2].clone(),
        cr.clone() * psi[3].clone(),
    ]
}

/// Scale a spinor by a complex number.
pub fn scale<S: Scalar>(k: &Complex<S>, psi: &Spinor<S>) -> Spinor<S> {
    [
        k.clone() * psi[0].clone(),
        k.clone() * psi[1].clone(),
        k.clone() * psi[2].clone(),
        k.clone() * psi[3].clone(),
    ]
}

/// Sum of two spinors.
pub fn add<S: Scalar>(a: &Spinor<S>, b: &Spinor<S>) -> Spinor<S> {
    [
        a[0].clone() + b[0].clone(),
        a[1].clone() + b[1].clone(),
        a[2].clone() + b[2].clone(),
        a[3].clone() + b[3].clone(),
    ]
}

/// The vector current J^μ = ψ̄_a γ^μ (c_L P_L + c_R P_R) ψ_b (upper index), `abar` = [`bar`]`(ψ_a)`.
pub fn current<S: Scalar>(
    abar: &Spinor<S>,
    b: &Spinor<S>,
    cl: &Complex<S>,
    cr: &Complex<S>,
) -> CVector<S> {
    // ψ̄_a = (ψ_aR†, ψ_aL†): J^μ = c_R ψ_aR† σ^μ ψ_bR + c_L ψ_aL† σ̄^μ ψ_bL.
    let (ar0, ar1, al0, al1) = (
        abar[0].clone(),
        abar[1].clone(),
        abar[2].clone(),
        abar[3].clone(),
    );
    let (bl0, bl1, br0, br1) = (b[0].clone(), b[1].clone(), b[2].clone(), b[3].clone());
    let sig = |x0: &Complex<S>, x1: &Complex<S>, y0: &Complex<S>, y1: &Complex<S>| {
        // (x† σ^μ y) for μ = 0..3 with x† already conjugated.
        [
            x0.clone() * y0.clone() + x1.clone() * y1.clone(),
            x0.clone() * y1.clone() + x1.clone() * y0.clone(),
            (x1.clone() * y0.clone() - x0.clone() * y1.clone()).mul_i(),
            x0.clone() * y0.clone() - x1.clone() * y1.clone(),
        ]
    };
    let r = sig(&ar0, &ar1, &br0, &br1);
    let l = sig(&al0, &al1, &bl0, &bl1);
    [
        cr.clone() * r[0].clone() + cl.clone() * l[0].clone(),
        cr.clone() * r[1].clone() - cl.clone() * l[1].clone(),
        cr.clone() * r[2].clone() - cl.clone() * l[2].clone(),
        cr.clone() * r[3].clone() - cl.clone() * l[3].clone(),
    ]
}

/// Minkowski product of two complex four-vectors (no conjugation).
pub fn mdot<S: Scalar>(a: &CVector<S>, b: &CVector<S>) -> Complex<S> {
    a[0].clone() * b[0].clone()
        - a[1].clone() * b[1].clone()
        - a[2].clone() * b[2].clone()
        - a[3].clone() * b[3].clone()
}

/// Polarisation vector ε^μ(k, λ) of a vector boson of mass `m` (λ ∈ {−1, 0, 1}; `m` is used
/// only for λ = 0).
///
/// HELAS conventions, `ε(±) = (∓ε₁ − iε₂)/√2` with `ε₁ = (0, cos θ cos φ, cos θ sin φ, −sin θ)`,
/// `ε₂ = (0, −sin φ, cos φ, 0)`, and `ε(0) = (|k|, E k̂)/m` — but, as for [`chi`], the
/// transverse ones with a phase per hemisphere that removes the singularity of φ at the pole:
/// `e^{iλφ} ε(λ)` for `kz ≥ 0` and `e^{−iλφ} ε(λ)` for `kz < 0`, written in the momentum
/// components so that derivatives survive on the beam axis. On the axes the values are the
/// textbook ones.
pub fn polarisation<S: RealScalar>(k: &FourVector<S>, m: &S, hel: i8) -> CVector<S> {
    let kabs = k.p();
    if hel == 0 {
        let e_m = k.e.clone() / m.clone();
        let (ux, uy, uz) = if kabs.value() > 0.0 {
            (
                k.px.clone() / kabs.clone(),
                k.py.clone() / kabs.clone(),
                k.pz.clone() / kabs.clone(),
            )
        } else {
            (S::zero(), S::zero(), S::one())
        };
        return [
            c(kabs / m.clone()),
            c(e_m.clone() * ux),
            c(e_m.clone() * uy),
            c(e_m * uz),
        ];
    }
    let h = hel as f64;
    let r = std::f64::consts::FRAC_1_SQRT_2;
    if kabs.value() <= 0.0 {
        // k = 0: along +z by convention.
        return [
            Complex::zero(),
            c(S::from_f64(-h * r)),
            Complex::new(S::zero(), S::from_f64(-r)),
            Complex::zero(),
        ];
    }
    // s = +1 near +z, −1 near −z; d = |k| (|k| + s kz) = |k|² (1 + |cos θ|) > 0.
    let s = if k.pz.value() >= 0.0 { 1.0 } else { -1.0 };
    let d = kabs.clone() * (kabs.clone() + k.pz.clone() * s);
    let (qx, qy) = (k.px.clone() / d.clone(), k.py.clone() / d);
    let xy = qx.clone() * k.py.clone();
    [
        Complex::zero(),
        Complex::new(
            (S::one() - qx * k.px.clone()) * (-h * s * r),
            xy.clone() * r,
        ),
        Complex::new(xy * (h * s * r), (S::one() - qy * k.py.clone()) * (-r)),
        Complex::new(
            k.px.clone() / kabs.clone() * (h * r),
            k.py.clone() / kabs * (s * r),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spinor(seed: f64) -> Spinor<f64> {
        let z = |a: f64, b: f64| Complex::new((seed * a).sin(), (seed * b).cos());
        [z(1.0, 2.0), z(3.0, 5.0), z(7.0, 11.0), z(13.0, 17.0)]
    }

    fn close_spinor(a: &Spinor<f64>, b: &Spinor<f64>, tol: f64) {
        for i in 0..4 {
            assert!(
                (a[i].re - b[i].re).abs() < tol && (a[i].im - b[i].im).abs() < tol,
                "component {i}: {:?} vs {:?}",
                a[i],
                b[i]
            );
        }
    }

    fn momenta() -> Vec<(FourVector<f64>, f64)> {
        let massive = |px: f64, py: f64, pz: f64, m: f64| {
            (
                FourVector::new((px * px + py * py + pz * pz + m * m).sqrt(), px, py, pz),
                m,
            )
        };
        vec![
            massive(3.0, -4.0, 12.0, 0.0),
            massive(-1.0, 2.0, -7.0, 0.0),
            massive(0.0, 0.0, -5.0, 0.0),
            massive(0.0, 0.0, 5.0, 0.0),
            massive(30.0, 10.0, -50.0, 173.0),
            massive(0.0, 0.0, -20.0, 80.4),
        ]
    }

    #[test]
    fn spinor_completeness() {
        // Σλ u ū ψ = (p̸ + m) ψ and Σλ v v̄ ψ = (p̸ − m) ψ for arbitrary ψ.
        for (p, m) in momenta() {
            let psi = spinor(0.37);
            let mut su = [
                Complex::zero(),
                Complex::zero(),
                Complex::zero(),
                Complex::zero(),
            ];
            let mut sv = su.clone();
            for h in [-1, 1] {
                let uu = u(&p, &m, h);
                su = add(&su, &scale(&dot(&bar(&uu), &psi), &uu));
                let vv = v(&p, &m, h);
                sv = add(&sv, &scale(&dot(&bar(&vv), &psi), &vv));
            }
            let scale_tol = 1e-12 * p.e.max(1.0);
            close_spinor(&su, &slash_plus_m(&p, &m, &psi), scale_tol);
            close_spinor(&sv, &slash_plus_m(&p, &-m, &psi), scale_tol);
        }
    }

    #[test]
    fn dirac_equation_and_helicity() {
        for (p, m) in momenta() {
            for h in [-1, 1] {
                // (p̸ − m) u = 0, (p̸ + m) v = 0
                let uu = u(&p, &m, h);
                let zero = slash_plus_m(&p, &-m, &uu);
                close_spinor(
                    &zero,
                    &[
                        Complex::zero(),
                        Complex::zero(),
                        Complex::zero(),
                        Complex::zero(),
                    ],
                    1e-11 * p.e,
                );
                let vv = v(&p, &m, h);
                let zero = slash_plus_m(&p, &m, &vv);
                close_spinor(
                    &zero,
                    &[
                        Complex::zero(),
                        Complex::zero(),
                        Complex::zero(),
                        Complex::zero(),
                    ],
                    1e-11 * p.e,
                );
            }
            if m == 0.0 {
                // Massless: helicity = chirality for u (λ = −1 is purely left-handed).
                let ul = u(&p, &m, -1);
                assert!(ul[2].abs() == 0.0 && ul[3].abs() == 0.0);
            }
        }
    }

    #[test]
    fn current_matches_explicit_gamma_matrices() {
        // J^μ = ψ̄_a γ^μ (cL PL + cR PR) ψ_b via `current` vs via `slash` with unit vectors:
        // γ^μ ψ = slash(e_μ) ψ with e_μ having lower-index component 1 ⇔ upper (1, −1, −1, −1).
        let (a, b) = (spinor(0.9), spinor(1.7));
        let (cl, cr) = (Complex::new(0.3, 0.1), Complex::new(-1.2, 0.4));
        let j = current(&bar(&a), &b, &cl, &cr);
        for mu in 0..4 {
            let mut e = [
                Complex::zero(),
                Complex::zero(),
                Complex::zero(),
                Complex::zero(),
            ];
            e[mu] = Complex::real(if mu == 0 { 1.0 } else { -1.0 });
            let g = slash(&e, &chiral(&cl, &cr, &b));
            let expect = dot(&bar(&a), &g);
            assert!(
                (j[mu].re - expect.re).abs() < 1e-12 && (j[mu].im - expect.im).abs() < 1e-12,
                "μ = {mu}"
            );
        }
    }

    #[test]
    fn polarisation_completeness() {
        // Σλ ε^μ ε^{ν*} = −g^{μν} + k^μ k^ν / m²
        let k = FourVector::new(
            (30f64 * 30.0 + 100.0 + 2500.0 + 80.4 * 80.4).sqrt(),
            30.0,
            10.0,
            -50.0,
        );
        let m = 80.4;
        let kv = [k.e, k.px, k.py, k.pz];
        let g = [1.0, -1.0, -1.0, -1.0];
        for mu in 0..4 {
            for nu in 0..4 {
                let mut s = Complex::<f64>::zero();
                for h in [-1, 0, 1] {
                    let e = polarisation(&k, &m, h);
                    s += e[mu].clone() * e[nu].conj();
                }
                let expect = if mu == nu { -g[mu] } else { 0.0 } + kv[mu] * kv[nu] / (m * m);
                assert!(
                    (s.re - expect).abs() < 1e-9 * expect.abs().max(1.0) && s.im.abs() < 1e-9,
                    "{mu}{nu}: {s:?} vs {expect}"
                );
            }
        }
        // Transversality k·ε = 0.
        for h in [-1, 0, 1] {
            let e = polarisation(&k, &m, h);
            assert!(mdot(&cvec(&k), &e).abs() < 1e-10);
        }
    }
}
