//! Kinematics helpers shared by the phase-space maps: decay directions from two unit numbers
//! and back, the Källén function, two-body decays in the rest frame, boosts between a system's
//! rest frame and the lab, and the Newton polish that makes root solves differentiable.

use std::f64::consts::PI;

use diffhep::{RealScalar, Scalar};

use crate::lorentz::FourVector;

/// Unit vector with cos θ = 2x_c − 1 and φ = 2π x_φ (sin θ = 2√(x_c(1 − x_c)), accurate at the
/// poles).
pub(crate) fn direction<S: Scalar>(x_cos: &S, x_phi: &S) -> [S; 3] {
    let cos = x_cos.clone() * 2.0 - 1.0;
    let sin = (x_cos.clone() * x_cos.rsub(1.0)).sqrt() * 2.0;
    let phi = x_phi.clone() * (2.0 * PI);
    [sin.clone() * phi.cos(), sin * phi.sin(), cos]
}

/// Inverse of [`direction`] for the direction of `p`: returns (x_c, x_φ) ∈ (0, 1)².
///
/// x_c = (1 + cos θ)/2 is computed as (|p| + p_z)/(2|p|) for p_z ≥ 0 and as
/// p_T²/(2|p|(|p| − p_z)) for p_z < 0, so it keeps full relative precision near both poles.
pub(crate) fn direction_inverse<S: RealScalar>(p: &FourVector<S>) -> (S, S) {
    let pp = p.p();
    let pt2 = p.pt2();
    let x_cos = if p.pz.value() >= 0.0 {
        (pp.clone() + p.pz.clone()) / (pp * 2.0)
    } else {
        pt2 / ((pp.clone() - p.pz.clone()) * pp * 2.0)
    };
    let phi = p.py.atan2(&p.px);
    let phi = if phi.value() < 0.0 {
        phi + 2.0 * PI
    } else {
        phi
    };
    (x_cos, phi / (2.0 * PI))
}

/// Källén function λ(a, b, c) = a² + b² + c² − 2ab − 2ac − 2bc, written as (a − b − c)² − 4bc.
pub(crate) fn kallen<S: Scalar>(a: &S, b: &S, c: &S) -> S {
    let d = a.clone() - b.clone() - c.clone();
    d.clone() * d - b.clone() * c.clone() * 4.0
}

/// Two-body decay of a system of mass `m` at rest into masses `m1`, `m2`, along the direction
/// given by (x_c, x_φ); returns (p₁, p₂) in the rest frame and the two-body weight
/// dΦ₂/(dx_c dx_φ) = λ^½(m², m₁², m₂²)/(8π m²).
pub(crate) fn two_body_rest<S: Scalar>(
    m: &S,
    m1: &S,
    m2: &S,
    x_cos: &S,
    x_phi: &S,
) -> (FourVector<S>, FourVector<S>, S) {
    let (s, s1, s2) = (
        m.clone() * m.clone(),
        m1.clone() * m1.clone(),
        m2.clone() * m2.clone(),
    );
    let q = kallen(&s, &s1, &s2).sqrt() / (m.clone() * 2.0);
    let [nx, ny, nz] = direction(x_cos, x_phi);
    let e1 = (q.clone() * q.clone() + s1).sqrt();
    let e2 = (q.clone() * q.clone() + s2).sqrt();
    let p1 = FourVector::new(
        e1,
        q.clone() * nx.clone(),
        q.clone() * ny.clone(),
        q.clone() * nz.clone(),
    );
    let p2 = FourVector::new(e2, -(q.clone() * nx), -(q.clone() * ny), -(q.clone() * nz));
    let w = q / (m.clone() * (4.0 * PI));
    (p1, p2, w)
}

/// The vector `p`, given in the rest frame of `frame` (mass `m`), in the frame where `frame` has
/// its stated momentum. Uses γ = E/m and γβ = p⃗/m rather than 1/√(1 − β²), so it stays accurate
/// for light, fast systems. With `frame` mirrored to (E, −p⃗) it takes lab vectors to the rest
/// frame instead.
pub(crate) fn boost_from_rest<S: Scalar>(
    p: &FourVector<S>,
    frame: &FourVector<S>,
    m: &S,
) -> FourVector<S> {
    let qp = frame.px.clone() * p.px.clone()
        + frame.py.clone() * p.py.clone()
        + frame.pz.clone() * p.pz.clone();
    let e = (frame.e.clone() * p.e.clone() + qp.clone()) / m.clone();
    let k = (qp / (frame.e.clone() + m.clone()) + p.e.clone()) / m.clone();
    FourVector::new(
        e,
        p.px.clone() + frame.px.clone() * k.clone(),
        p.py.clone() + frame.py.clone() * k.clone(),
        p.pz.clone() + frame.pz.clone() * k,
    )
}

/// `p` (lab) in the rest frame of `frame` (mass `m`).
pub(crate) fn to_rest_frame<S: Scalar>(
    p: &FourVector<S>,
    frame: &FourVector<S>,
    m: &S,
) -> FourVector<S> {
    let mirrored = FourVector::new(
        frame.e.clone(),
        -frame.px.clone(),
        -frame.py.clone(),
        -frame.pz.clone(),
    );
    boost_from_rest(p, &mirrored, m)
}

/// Two Newton steps `root ← root − g(root)/g′(root)` carried out in `S` from a converged primal
/// root (a constant): the value is unchanged and derivatives up to third order become exact.
/// `residual` returns (g, g′).
pub(crate) fn newton_polish<S: Scalar>(root: f64, residual: impl Fn(&S) -> (S, S)) -> S {
    let mut r = S::from_f64(root);
    for _ in 0..2 {
        let (g, dg) = residual(&r);
        r -= g / dg;
    }
    r
}
