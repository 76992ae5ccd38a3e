//! e+e- → γ/Z → f f̄ at tree level (f = μ massless, f = t massive with three colours):
//! helicity amplitudes, and the analytic differential cross section they are tested against.
//!
//! # Amplitude
//! M = e² Σ_{X = γ, Z} D_X(s) [v̄(p₂) γ^μ (c_L^{eX} P_L + c_R^{eX} P_R) u(p₁)]
//!                        [ū(p₃) γ_μ (c_L^{fX} P_L + c_R^{fX} P_R) v(p₄)],
//! with D_γ = 1/s, D_Z = 1/(s − M_Z² + i M_Z Γ_Z) and couplings in units of e:
//! photon c_L = c_R = Q_f; Z c_L = (T₃ − Q sin²θ_W)/(sin θ_W cos θ_W), c_R = −Q sin²θ_W/(sin θ_W cos θ_W)
//! (the q^μq^ν/M_Z² term of the Z propagator vanishes against the massless electron current).
//! All 16 helicity combinations are summed explicitly; the result is averaged over the 4 initial
//! spins and multiplied by the number of colours. Momenta: p₁ = e⁻ along +z, p₂ = e⁺, p₃ = f, p₄ = f̄.
//!
//! # Closed form (for the tests and as a reference)
//! With vector/axial couplings v = (c_L + c_R)/2, a = (c_L − c_R)/2 of each boson, β = √(1 − 4m²/s)
//! and c = cos θ (angle between e⁻ and f), the trace algebra gives
//!
//! ¼Σ|M|² = N_c e⁴ s² Σ_{XY} Re(D_X D_Y*) { (v_X v_Y + a_X a_Y)_e [ (v_X v_Y + a_X a_Y)_f (1 + β²c²)
//!           + (v_X v_Y − a_X a_Y)_f (1 − β²) ] + 2βc (v_X a_Y + a_X v_Y)_e (v_X a_Y + a_X v_Y)_f },
//!
//! dσ/dcos θ = β/(32π s) · ¼Σ|M|² (times (ħc)² = 0.3893793721·10⁹ pb GeV² for pb). Integrating,
//! ∫(1 + β²c²)dc = 2(1 + β²/3), ∫dc = 2, and the forward–backward difference σ_F − σ_B keeps only
//! the term linear in c with ∫₀¹c dc − ∫₋₁⁰c dc = 1. In the pure-QED massless limit this is
//! σ = 4πα²/(3s).

use diffhep::{Complex, RealScalar, Scalar};

use crate::collider::helicity::{bar, current, mdot, u, v};
use crate::collider::sm::{Derived, SmParams};
use crate::lorentz::FourVector;

/// (ħc)² in pb·GeV².
pub const HBARC2_PB: f64 = 0.3893793721e9;

/// Quantum numbers of a fermion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fermion {
    /// Electric charge in units of e.
    pub charge: f64,
    /// Third component of weak isospin of the left-handed field.
    pub t3: f64,
    /// Number of colours.
    pub colours: f64,
}

/// The electron.
pub const ELECTRON: Fermion = Fermion {
    charge: -1.0,
    t3: -0.5,
    colours: 1.0,
};
/// The muon.
pub const MUON: Fermion = Fermion {
    charge: -1.0,
    t3: -0.5,
    colours: 1.0,
};
/// The top quark.
pub const TOP: Fermion = Fermion {
    charge: 2.0 / 3.0,
    t3: 0.5,
    colours: 3.0,
};

/// Which bosons are exchanged (the pure-QED limit switches the Z off).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exchange {
    /// Include the photon.
    pub photon: bool,
    /// Include the Z.
    pub z: bool,
}

impl Exchange {
    /// γ and Z.
    pub const FULL: Exchange = Exchange {
        photon: true,
        z: true,
    };
    /// Photon only.
    pub const QED: Exchange = Exchange {
        photon: true,
        z: false,
    };
}

/// Chiral couplings (c_L, c_R) of fermion `f` to the photon and to the Z, in units of e.
pub fn chiral_couplings<S: Scalar>(f: &Fermion, d: &Derived<S>) -> [(S, S); 2] {
    let swcw = (d.sw2.clone() * d.cw2.clone()).sqrt();
    let q = f.charge;
    let cl = (d.sw2.clone() * (-q) + f.t3) / swcw.clone();
    let cr = d.sw2.clone() * (-q) / swcw;
    [(S::from_f64(q), S::from_f64(q)), (cl, cr)]
}

/// Propagator factors (D_γ, D_Z) at s as complex numbers (a switched-off boson gives 0).
pub fn propagators<S: Scalar>(s: &S, p: &SmParams<S>, ex: Exchange) -> [Complex<S>; 2] {
    let dg = if ex.photon {
        Complex::real(s.recip())
    } else {
        Complex::zero()
    };
    let dz = if ex.z {
        Complex::new(
            s.clone() - p.mz.clone() * p.mz.clone(),
            p.mz.clone() * p.wz.clone(),
        )
        .recip()
    } else {
        Complex::zero()
    };
    [dg, dz]
}

/// Spin-averaged, colour-summed |M|² for e⁻(p₁) e⁺(p₂) → f(p₃) f̄(p₄) with f of mass `mf`, by
/// helicity amplitudes.
pub fn me2<S: RealScalar>(
    f: &Fermion,
    mf: &S,
    p: &SmParams<S>,
    ex: Exchange,
    mom: &[FourVector<S>; 4],
) -> S {
    let d = p.derived();
    let s = (mom[0].clone() + mom[1].clone()).m2();
    let dprop = propagators(&s, p, ex);
    let ce = chiral_couplings(&ELECTRON, &d);
    let cf = chiral_couplings(f, &d);
    let zero = S::zero();
    let cx = |x: &S| Complex::real(x.clone());
    // Electron currents per (h1, h2) and boson, fermion currents per (h3, h4) and boson.
    let mut je = Vec::with_capacity(4);
    for h1 in [-1i8, 1] {
        for h2 in [-1i8, 1] {
            let ub = u(&mom[0], &zero, h1);
            let vb = bar(&v(&mom[1], &zero, h2));
            je.push([
                current(&vb, &ub, &cx(&ce[0].0), &cx(&ce[0].1)),
                current(&vb, &ub, &cx(&ce[1].0), &cx(&ce[1].1)),
            ]);
        }
    }
    let mut total = S::zero();
    for h3 in [-1i8, 1] {
        for h4 in [-1i8, 1] {
            let ubar = bar(&u(&mom[2], mf, h3));
            let vf = v(&mom[3], mf, h4);
            let jf = [
                current(&ubar, &vf, &cx(&cf[0].0), &cx(&cf[0].1)),
                current(&ubar, &vf, &cx(&cf[1].0), &cx(&cf[1].1)),
            ];
            for j in &je {
                let amp =
                    dprop[0].clone() * mdot(&j[0], &jf[0]) + dprop[1].clone() * mdot(&j[1], &jf[1]);
                total += amp.norm_sqr();
            }
        }
    }
    let e2 = d.e.clone() * d.e.clone();
    total * e2.clone() * e2 * (f.colours / 4.0)
}

/// Momenta of e⁻e⁺ → f f̄ in the centre-of-mass frame: e⁻ along +z, f at polar angle θ
/// (`cos_theta`) and azimuth `phi`, both final particles of mass `m`.
pub fn kinematics<S: Scalar>(sqrt_s: &S, m: &S, cos_theta: &S, phi: &S) -> [FourVector<S>; 4] {
    let e = sqrt_s.clone() * 0.5;
    let z = S::zero();
    let pf = (e.clone() * e.clone() - m.clone() * m.clone()).sqrt();
    let st = (cos_theta.clone() * cos_theta.clone()).rsub(1.0).sqrt();
    let (px, py, pz) = (
        pf.clone() * st.clone() * phi.cos(),
        pf.clone() * st * phi.sin(),
        pf * cos_theta.clone(),
    );
    [
        FourVector::new(e.clone(), z.clone(), z.clone(), e.clone()),
        FourVector::new(e.clone(), z.clone(), z.clone(), -e.clone()),
        FourVector::new(e.clone(), px.clone(), py.clone(), pz.clone()),
        FourVector::new(e, -px, -py, -pz),
    ]
}

/// Coefficients of the analytic dσ/dcos θ = K·[A (1 + β²c²) + B (1 − β²) + C·2βc], in pb.
struct Analytic<S> {
    k: S,
    a: S,
    b: S,
    c: S,
    beta: S,
}

fn analytic<S: Scalar>(f: &Fermion, mf: &S, p: &SmParams<S>, ex: Exchange, s: &S) -> Analytic<S> {
    let d = p.derived();
    let beta = (mf.clone() * mf.clone() * 4.0 / s.clone()).rsub(1.0).sqrt();
    let dp = propagators(s, p, ex);
    let va = |c: &(S, S)| {
        (
            (c.0.clone() + c.1.clone()) * 0.5,
            (c.0.clone() - c.1.clone()) * 0.5,
        )
    };
    let ce = chiral_couplings(&ELECTRON, &d).map(|c| va(&c));
    let cf = chiral_couplings(f, &d).map(|c| va(&c));
    let (mut a, mut b, mut c) = (S::zero(), S::zero(), S::zero());
    for x in 0..2 {
        for y in 0..2 {
            let re = (dp[x].clone() * dp[y].conj()).re;
            let (ve, ae) = (ce[x].clone(), ce[y].clone());
            let (vf, af) = (cf[x].clone(), cf[y].clone());
            let e_sym = ve.0.clone() * ae.0.clone() + ve.1.clone() * ae.1.clone();
            let f_plus = vf.0.clone() * af.0.clone() + vf.1.clone() * af.1.clone();
            let f_minus = vf.0.clone() * af.0.clone() - vf.1.clone() * af.1.clone();
            let e_anti = ve.0.clone() * ae.1.clone() + ve.1 * ae.0;
            let f_anti = vf.0.clone() * af.1.clone() + vf.1 * af.0;
            a += re.clone() * e_sym.clone() * f_plus;
            b += re.clone() * e_sym * f_minus;
            c += re * e_anti * f_anti;
        }
    }
    let e4 = d.e.clone().powi(4);
    let k = e4 * s.clone() * s.clone() * beta.clone() / (s.clone() * (32.0 * std::f64::consts::PI))
        * (f.colours * HBARC2_PB);
    Analytic { k, a, b, c, beta }
}

/// Analytic dσ/dcos θ in pb (see the module documentation).
pub fn dsigma_dcos<S: Scalar>(
    f: &Fermion,
    mf: &S,
    p: &SmParams<S>,
    ex: Exchange,
    s: &S,
    cos_theta: &S,
) -> S {
    let an = analytic(f, mf, p, ex, s);
    let b2 = an.beta.clone() * an.beta.clone();
    an.k * (an.a * (b2.clone() * cos_theta.clone() * cos_theta.clone() + 1.0)
        + an.b * b2.rsub(1.0)
        + an.c * an.beta * cos_theta.clone() * 2.0)
}

/// dσ/dcos θ in pb from the helicity amplitudes ([`me2`]) at azimuth `phi`, for comparison with
/// the analytic [`dsigma_dcos`] (which the amplitudes must reproduce for every angle).
pub fn dsigma_dcos_amplitudes(
    f: &Fermion,
    mf: f64,
    p: &SmParams<f64>,
    ex: Exchange,
    sqrt_s: f64,
    cos_theta: f64,
    phi: f64,
) -> f64 {
    let mom = kinematics(&sqrt_s, &mf, &cos_theta, &phi);
    let s = sqrt_s * sqrt_s;
    let beta = (1.0 - 4.0 * mf * mf / s).sqrt();
    me2(f, &mf, p, ex, &mom) * beta / (32.0 * std::f64::consts::PI * s) * HBARC2_PB
}

/// Analytic total cross section in pb.
pub fn sigma<S: Scalar>(f: &Fermion, mf: &S, p: &SmParams<S>, ex: Exchange, s: &S) -> S {
    let an = analytic(f, mf, p, ex, s);
    let b2 = an.beta.clone() * an.beta;
    an.k * (an.a * (b2.clone() * (2.0 / 3.0) + 2.0) + an.b * b2.rsub(1.0) * 2.0)
}

/// Analytic forward–backward asymmetry (σ_F − σ_B)/σ, forward = f along the e⁻ direction.
pub fn afb<S: Scalar>(f: &Fermion, mf: &S, p: &SmParams<S>, ex: Exchange, s: &S) -> S {
    let an = analytic(f, mf, p, ex, s);
    let diff = an.k.clone() * an.c * an.beta * 2.0;
    diff / sigma(f, mf, p, ex, s)
}

#[cfg(test)]
mod tests;
