//! Lorentz four-vectors generic over [`Scalar`], so every kinematic quantity is differentiable.
//!
//! Conventions: natural units (GeV), metric (+, −, −, −), components `(E, px, py, pz)`; the beam
//! axis is z. Pseudorapidity η = −ln tan(θ/2), rapidity y = ½ ln((E + pz)/(E − pz)), azimuth
//! φ = atan2(py, px) ∈ (−π, π], ΔR = √(Δη² + Δφ²) with Δφ wrapped into (−π, π].
//!
//! Everything is written branch-free against the base `Scalar` trait (Δφ is wrapped as
//! atan2(sin Δφ, cos Δφ), η uses sign(pz)·ln((|p| + |pz|)/pT) to avoid cancellation), so the same
//! code runs per event (f64, duals, tape) and per batch (batched tape, lane duals).
//!
//! Values outside the physical region follow IEEE semantics: the mass of a space-like vector
//! (m² < 0) is NaN, η of a vector along the beam (pT = 0) is ±∞.

use std::ops::{Add, Mul, Neg, Sub};

use diffhep::Scalar;

/// A four-vector `(E, px, py, pz)` in GeV.
#[derive(Clone, Debug, PartialEq)]
pub struct FourVector<S> {
    /// Energy.
    pub e: S,
    /// x component of the momentum.
    pub px: S,
    /// y component of the momentum.
    pub py: S,
    /// z (beam) component of the momentum.
    pub pz: S,
}

impl<S: Scalar> FourVector<S> {
    /// From components.
    pub fn new(e: S, px: S, py: S, pz: S) -> Self {
        FourVector { e, px, py, pz }
    }

    /// From transverse momentum, pseudorapidity, azimuth and mass.
    pub fn from_pt_eta_phi_m(pt: S, eta: S, phi: S, m: S) -> Self {
        let px = pt.clone() * phi.cos();
        let py = pt.clone() * phi.sin();
        let pz = pt.clone() * eta.sinh();
        let p2 = pt.clone() * pt * eta.cosh().powi(2);
        let e = (p2 + m.clone() * m).sqrt();
        FourVector { e, px, py, pz }
    }

    /// Minkowski product `E₁E₂ − p₁·p₂`.
    pub fn dot(&self, o: &Self) -> S {
        self.e.clone() * o.e.clone()
            - self.px.clone() * o.px.clone()
            - self.py.clone() * o.py.clone()
            - self.pz.clone() * o.pz.clone()
    }

    /// Invariant mass squared.
    pub fn m2(&self) -> S {
        self.dot(self)
    }

    /// Invariant mass (NaN for space-like vectors).
    pub fn m(&self) -> S {
        self.m2().sqrt()
    }

    /// |p|².
    pub fn p2(&self) -> S {
        self.pt2() + self.pz.clone() * self.pz.clone()
    }

    /// |p|.
    pub fn p(&self) -> S {
        self.p2().sqrt()
    }

    /// Transverse momentum squared.
    pub fn pt2(&self) -> S {
        self.px.clone() * self.px.clone() + self.py.clone() * self.py.clone()
    }

    /// Transverse momentum.
    pub fn pt(&self) -> S {
        self.px.hypot(&self.py)
    }

    /// Pseudorapidity −ln tan(θ/2).
    pub fn eta(&self) -> S {
        let apz = self.pz.abs();
        self.pz.signum() * ((self.p() + apz) / self.pt()).ln()
    }

    /// Rapidity ½ ln((E + pz)/(E − pz)).
    pub fn rapidity(&self) -> S {
        ((self.e.clone() + self.pz.clone()) / (self.e.clone() - self.pz.clone())).ln() * 0.5
    }

    /// Azimuth atan2(py, px).
    pub fn phi(&self) -> S {
        self.py.atan2(&self.px)
    }

    /// Polar angle θ = atan2(pT, pz).
    pub fn theta(&self) -> S {
        self.pt().atan2(&self.pz)
    }

    /// cos θ = pz / |p|.
    pub fn cos_theta(&self) -> S {
        self.pz.clone() / self.p()
    }

    /// Azimuthal difference wrapped into (−π, π].
    pub fn delta_phi(&self, o: &Self) -> S {
        let d = self.phi() - o.phi();
        d.sin().atan2(&d.cos())
    }

    /// ΔR = √(Δη² + Δφ²).
    pub fn delta_r(&self, o: &Self) -> S {
        (self.eta() - o.eta()).hypot(&self.delta_phi(o))
    }

    /// Velocity p/E of this vector (the boost that takes its rest frame to the lab).
    pub fn beta(&self) -> [S; 3] {
        let inv = self.e.recip();
        [
            self.px.clone() * inv.clone(),
            self.py.clone() * inv.clone(),
            self.pz.clone() * inv,
        ]
    }

    /// Active Lorentz boost by velocity `b` (|b| < 1): the vector as seen from a frame moving
    /// with velocity −b. `boost(&v.beta())` applied to `(m, 0, 0, 0)` gives `v`.
    pub fn boost(&self, b: &[S; 3]) -> Self {
        let [bx, by, bz] = b.clone();
        let b2 = bx.clone() * bx.clone() + by.clone() * by.clone() + bz.clone() * bz.clone();
        let gamma = b2.rsub(1.0).sqrt().recip();
        let bp = bx.clone() * self.px.clone()
            + by.clone() * self.py.clone()
            + bz.clone() * self.pz.clone();
        // (γ − 1)/β² = γ²/(γ + 1), finite at β → 0.
        let g2 = gamma.clone() * gamma.clone() / (gamma.clone() + 1.0);
        let k = g2 * bp.clone() + gamma.clone() * self.e.clone();
        FourVector {
            e: gamma * (self.e.clone() + bp),
            px: self.px.clone() + bx * k.clone(),
            py: self.py.clone() + by * k.clone(),
            pz: self.pz.clone() + bz * k,
        }
    }

    /// This vector in the rest frame of `frame` (boost by −β of `frame`).
    pub fn in_rest_frame_of(&self, frame: &Self) -> Self {
        let [bx, by, bz] = frame.beta();
        self.boost(&[-bx, -by, -bz])
    }

    /// Rotation about the x axis by `angle` (right-handed).
    pub fn rotate_x(&self, angle: &S) -> Self {
        let (c, s) = (angle.cos(), angle.sin());
        FourVector {
            e: self.e.clone(),
            px: self.px.clone(),
            py: c.clone() * self.py.clone() - s.clone() * self.pz.clone(),
            pz: s * self.py.clone() + c * self.pz.clone(),
        }
    }

    /// Rotation about the y axis by `angle` (right-handed).
    pub fn rotate_y(&self, angle: &S) -> Self {
        let (c, s) = (angle.cos(), angle.sin());
        FourVector {
            e: self.e.clone(),
            px: c.clone() * self.px.clone() + s.clone() * self.pz.clone(),
            py: self.py.clone(),
            pz: c * self.pz.clone() - s * self.px.clone(),
        }
    }

    /// Rotation about the z axis by `angle` (right-handed).
    pub fn rotate_z(&self, angle: &S) -> Self {
        let (c, s) = (angle.cos(), angle.sin());
        FourVector {
            e: self.e.clone(),
            px: c.clone() * self.px.clone() - s.clone() * self.py.clone(),
            py: s * self.px.clone() + c * self.py.clone(),
            pz: self.pz.clone(),
        }
    }

    /// Scale all components by `k`.
    pub fn scale(&self, k: &S) -> Self {
        FourVector {
            e: self.e.clone() * k.clone(),
            px: self.px.clone() * k.clone(),
            py: self.py.clone() * k.clone(),
            pz: self.pz.clone() * k.clone(),
        }
    }
}

impl<S: Scalar> Add for FourVector<S> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        FourVector {
            e: self.e + o.e,
            px: self.px + o.px,
            py: self.py + o.py,
            pz: self.pz + o.pz,
        }
    }
}

impl<S: Scalar> Sub for FourVector<S> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        FourVector {
            e: self.e - o.e,
            px: self.px - o.px,
            py: self.py - o.py,
            pz: self.pz - o.pz,
        }
    }
}

impl<S: Scalar> Neg for FourVector<S> {
    type Output = Self;
    fn neg(self) -> Self {
        FourVector {
            e: -self.e,
            px: -self.px,
            py: -self.py,
            pz: -self.pz,
        }
    }
}

impl<S: Scalar> Mul<f64> for FourVector<S> {
    type Output = Self;
    fn mul(self, k: f64) -> Self {
        FourVector {
            e: self.e * k,
            px: self.px * k,
            py: self.py * k,
            pz: self.pz * k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::gradcheck::assert_gradient;
    use diffhep::{RealScalar, ScalarFn};

    fn fv<S: RealScalar>(x: &[S]) -> FourVector<S> {
        FourVector::new(x[0].clone(), x[1].clone(), x[2].clone(), x[3].clone())
    }
    fn two<S: RealScalar>(x: &[S]) -> (FourVector<S>, FourVector<S>) {
        (fv(&x[..4]), fv(&x[4..]))
    }

    /// Each observable as a function of the 4 (or 8) components, for gradient checks.
    struct Obs(&'static str);
    impl ScalarFn for Obs {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            let p = fv(x);
            match self.0 {
                "m" => p.m(),
                "m2" => p.m2(),
                "p" => p.p(),
                "pt" => p.pt(),
                "eta" => p.eta(),
                "rapidity" => p.rapidity(),
                "phi" => p.phi(),
                "theta" => p.theta(),
                "cos_theta" => p.cos_theta(),
                "pair_mass" => {
                    let (a, b) = two(x);
                    (a + b).m()
                }
                "delta_r" => {
                    let (a, b) = two(x);
                    a.delta_r(&b)
                }
                "boosted_pz" => {
                    let (a, b) = two(x);
                    a.in_rest_frame_of(&b).pz
                }
                "rotated" => {
                    let a = fv(&x[..4]);
                    let r = a.rotate_x(&x[4]).rotate_y(&x[5]).rotate_z(&x[6]);
                    r.px * 1.0 + r.py * 2.0 + r.pz * 3.0
                }
                _ => unreachable!(),
            }
        }
    }

    const P: [f64; 4] = [50.0, 12.0, -7.0, 30.0];
    const PQ: [f64; 8] = [50.0, 12.0, -7.0, 30.0, 40.0, -9.0, 15.0, -20.0];

    #[test]
    fn observables_are_gradient_checked() {
        for name in [
            "m",
            "m2",
            "p",
            "pt",
            "eta",
            "rapidity",
            "phi",
            "theta",
            "cos_theta",
        ] {
            assert_gradient(&Obs(name), &P);
            // Negative pz branch of η and rapidity.
            assert_gradient(&Obs(name), &[50.0, 12.0, -7.0, -30.0]);
        }
        for name in ["pair_mass", "delta_r", "boosted_pz"] {
            assert_gradient(&Obs(name), &PQ);
        }
        assert_gradient(&Obs("rotated"), &[50.0, 12.0, -7.0, 30.0, 0.3, -1.1, 2.0]);
    }

    #[test]
    fn closed_forms() {
        let p = FourVector::new(5.0, 0.0, 0.0, 3.0);
        assert_eq!(p.m(), 4.0);
        let q = FourVector::new(50.0, 12.0, -7.0, 30.0);
        // η = −ln tan(θ/2) with θ = atan2(pT, pz).
        let eta_ref = -(q.theta() / 2.0).tan().ln();
        assert!((q.eta() - eta_ref).abs() < 1e-13);
        let qn = FourVector::new(50.0, 12.0, -7.0, -30.0);
        assert!((qn.eta() + eta_ref).abs() < 1e-13);
        assert!((q.pt() - (144.0f64 + 49.0).sqrt()).abs() < 1e-13);
        // Δφ wraps: φ = 3 and φ = −3 are 2π − 6 apart.
        let a = FourVector::from_pt_eta_phi_m(10.0, 0.5, 3.0, 0.0);
        let b = FourVector::from_pt_eta_phi_m(10.0, -0.5, -3.0, 0.0);
        let dphi = 6.0 - 2.0 * std::f64::consts::PI;
        assert!((a.delta_phi(&b) - dphi).abs() < 1e-12);
        assert!((a.delta_r(&b) - (1.0f64 + dphi * dphi).sqrt()).abs() < 1e-12);
        assert!((a.eta() - 0.5).abs() < 1e-12 && (a.phi() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn boosts_preserve_mass_and_reach_rest_frame() {
        let q = FourVector::new(50.0, 12.0, -7.0, 30.0);
        let rest = q.in_rest_frame_of(&q);
        assert!((rest.e - q.m()).abs() < 1e-10);
        assert!(rest.px.abs() < 1e-10 && rest.py.abs() < 1e-10 && rest.pz.abs() < 1e-10);
        let back = rest.boost(&q.beta());
        for (a, b) in [
            (back.e, q.e),
            (back.px, q.px),
            (back.py, q.py),
            (back.pz, q.pz),
        ] {
            assert!((a - b).abs() < 1e-10);
        }
        let other = FourVector::new(40.0, -9.0, 15.0, -20.0);
        let moved = other.boost(&[0.3, -0.2, 0.5]);
        assert!((moved.m2() - other.m2()).abs() < 1e-9);
        assert!((moved.dot(&q.boost(&[0.3, -0.2, 0.5])) - other.dot(&q)).abs() < 1e-9);
        // Zero boost is the identity.
        assert_eq!(other.boost(&[0.0, 0.0, 0.0]), other);
    }

    #[test]
    fn rotations_preserve_invariants() {
        let q = FourVector::new(50.0, 12.0, -7.0, 30.0);
        let r = q.rotate_z(&0.7);
        assert!((r.pt() - q.pt()).abs() < 1e-12 && (r.pz - q.pz).abs() < 1e-12);
        assert!((r.phi() - q.phi() - 0.7).abs() < 1e-12);
        let r = q.rotate_x(&1.3).rotate_y(&-0.4);
        assert!((r.p() - q.p()).abs() < 1e-12 && (r.m2() - q.m2()).abs() < 1e-9);
    }

    #[test]
    fn space_like_mass_is_nan() {
        assert!(FourVector::new(1.0f64, 2.0, 0.0, 0.0).m().is_nan());
    }
}
