//! Invertible phase-space maps from the unit hypercube to final-state momenta.
//!
//! # Convention
//! The n-body phase-space measure is
//! dΦₙ(P; p₁…pₙ) = (2π)⁴ δ⁴(P − Σpᵢ) ∏ᵢ d³pᵢ / ((2π)³ 2Eᵢ),
//! so that the massless volume is Vₙ(s) = (π/2)ⁿ⁻¹ sⁿ⁻² / ((n−1)!(n−2)!) · (2π)⁴⁻³ⁿ
//! (V₂ = 1/(8π)). A map x ∈ (0,1)ᵈ → (p₁…pₙ) returns the *weight* w(x) = dΦₙ/dᵈx, the
//! phase-space density per unit hypercube volume, so that ∫ dΦₙ f = ∫ dᵈx w(x) f(p(x)) and the
//! mean weight over the hypercube is the phase-space volume. Momenta are in GeV in the
//! centre-of-mass frame, P = (√s, 0, 0, 0).
//!
//! # The flat map ([`PhaseSpace`]): RAMBO on diet
//! Massless momenta are generated as in S. Plätzer, "RAMBO on diet", arXiv:1308.2922, with
//! d = 3n − 4 numbers: the n-body system of mass M (k particles left) decays into one massless
//! particle and a (k−1)-body system of mass M′ = M√t. The massless (k−1)-body volume grows as
//! M′^(2(k−3)) and the two-body factor is (1 − t)/(8π), so t has density ∝ (1 − t) t^(k−3) on
//! (0, 1) with cumulative distribution F(t) = (k−1)t^(k−2) − (k−2)t^(k−1). One uniform number r per
//! intermediate mass is mapped to t = F⁻¹(r) (closed form for k = 3, a safeguarded Newton
//! iteration otherwise), two more give the decay direction (cos θ = 2x − 1, φ = 2πx) in the
//! system's rest frame, and the pair is boosted to the frame of the parent system. The product of
//! the per-stage Jacobians telescopes to the constant Vₙ: the massless map is exactly flat.
//!
//! Massive momenta use the RAMBO rescaling (R. Kleiss, W. J. Stirling, S. D. Ellis,
//! Comput. Phys. Commun. 40 (1986) 359): pᵢ = (√(mᵢ² + ξ²|kᵢ|²), ξ kᵢ) with ξ solved from
//! Σᵢ Eᵢ = √s, and the weight gains the factor
//! (Σ|pᵢ|/√s)^(2n−3) · ∏(|pᵢ|/Eᵢ) · √s / Σ(|pᵢ|²/Eᵢ).
//! The inverse is closed form: Σ|kᵢ| = √s for the massless momenta, so ξ = Σ|pᵢ|/√s.
//!
//! # Derivatives
//! Everything is generic over [`RealScalar`] (one primal value per point: the input checks and
//! the two root solves need it). Both roots (t in the mass chain, ξ in the rescaling) are found on
//! the primal values, then refined by two Newton steps carried out in the number type `S`
//! starting from the converged value as a constant. At a converged root each step leaves the
//! value unchanged and doubles the order of derivatives that are exact (implicit function
//! theorem), so first to third derivatives w.r.t. x, √s and masses are exact.
//!
//! # Boundaries
//! The maps are defined on the *open* hypercube: a coordinate equal to 0 or 1 gives
//! [`PhaseSpaceError::OnBoundary`] (there an intermediate mass or a momentum vanishes and boosts or
//! angles are undefined), a coordinate outside [0, 1] or NaN gives
//! [`PhaseSpaceError::OutOfRange`]. Within rounding of the boundary (e.g. x = 10⁻³⁰⁰) a
//! momentum can underflow to zero; the weight is then exactly 0 with log-weight −∞ (a documented
//! zero weight), and a point where a non-finite momentum or weight would arise is reported as
//! [`PhaseSpaceError::Degenerate`]. No NaN is ever returned.
//!
//! [`resonant::TopPairMap`] is a second map, for e⁺e⁻ → t t̄ → b W⁺ b̄ W⁻ with Breit–Wigner
//! sampling of the top virtualities.

use std::f64::consts::PI;
use std::fmt;

use diffhep::{RealScalar, Scalar};

use crate::lorentz::FourVector;

pub mod resonant;

/// Errors of the phase-space maps; each names the offending value.
#[derive(Clone, Debug, PartialEq)]
pub enum PhaseSpaceError {
    /// Fewer than two final-state particles.
    TooFewParticles {
        /// The number asked for.
        n: usize,
    },
    /// A mass (or width) that is negative or not finite.
    InvalidMass {
        /// Which parameter.
        name: String,
        /// Its value.
        value: f64,
    },
    /// The number of hypercube coordinates does not match the map's dimension.
    WrongDimension {
        /// The map's dimension.
        expected: usize,
        /// The length supplied.
        got: usize,
    },
    /// A coordinate outside [0, 1] or NaN.
    OutOfRange {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A coordinate exactly 0 or 1: the maps are defined on the open hypercube.
    OnBoundary {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// √s not above the sum of the final-state masses (or not finite).
    BelowThreshold {
        /// The centre-of-mass energy.
        sqrt_s: f64,
        /// The sum of masses it must exceed.
        threshold: f64,
    },
    /// The number of momenta given to an inverse does not match the map.
    WrongMultiplicity {
        /// Particles the map has.
        expected: usize,
        /// Momenta supplied.
        got: usize,
    },
    /// The momenta given to an inverse do not sum to (√s, 0, 0, 0).
    NotInCmFrame {
        /// Largest |component| of Σpᵢ − (√s, 0, 0, 0), in GeV.
        residual: f64,
    },
    /// A momentum given to an inverse is not on its mass shell.
    OffShell {
        /// Index of the momentum.
        index: usize,
        /// Its invariant mass (NaN if space-like).
        mass: f64,
        /// The mass the map expects.
        expected: f64,
    },
    /// A momentum given to an inverse lies where the map is singular (e.g. at rest, or a
    /// vanishing intermediate mass): the preimage is on the boundary of the hypercube.
    Degenerate {
        /// What is degenerate.
        what: String,
    },
}

impl fmt::Display for PhaseSpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PhaseSpaceError::*;
        match self {
            TooFewParticles { n } => write!(f, "phase space needs at least 2 particles, got {n}"),
            InvalidMass { name, value } => {
                write!(f, "{name} = {value} must be finite and non-negative")
            }
            WrongDimension { expected, got } => {
                write!(f, "expected {expected} hypercube coordinates, got {got}")
            }
            OutOfRange { index, value } => {
                write!(f, "coordinate x[{index}] = {value} is outside [0, 1]")
            }
            OnBoundary { index, value } => write!(
                f,
                "coordinate x[{index}] = {value} is on the boundary of the hypercube; the map is \
                 defined on the open cube (0, 1)"
            ),
            BelowThreshold { sqrt_s, threshold } => write!(
                f,
                "sqrt(s) = {sqrt_s} GeV is not above the threshold {threshold} GeV"
            ),
            WrongMultiplicity { expected, got } => {
                write!(f, "expected {expected} momenta, got {got}")
            }
            NotInCmFrame { residual } => write!(
                f,
                "momenta do not sum to (sqrt(s), 0, 0, 0): largest deviation {residual} GeV"
            ),
            OffShell {
                index,
                mass,
                expected,
            } => write!(
                f,
                "momentum {index} has mass {mass} GeV, expected {expected} GeV"
            ),
            Degenerate { what } => write!(f, "degenerate kinematics: {what}"),
        }
    }
}

impl std::error::Error for PhaseSpaceError {}

/// One phase-space point: momenta and the density of the map there.
#[derive(Clone, Debug)]
pub struct Point<S> {
    /// Final-state momenta in the centre-of-mass frame, in the map's particle order.
    pub momenta: Vec<FourVector<S>>,
    /// dΦₙ per unit hypercube volume (see the [module docs](self)).
    pub weight: S,
    /// ln of `weight`, computed as a sum of logarithms (no underflow for large n).
    pub log_weight: S,
}

/// Check the hypercube coordinates: the right count, inside [0, 1], not on the boundary.
pub(crate) fn check_unit<S: RealScalar>(x: &[S], dim: usize) -> Result<(), PhaseSpaceError> {
    if x.len() != dim {
        return Err(PhaseSpaceError::WrongDimension {
            expected: dim,
            got: x.len(),
        });
    }
    for (index, xi) in x.iter().enumerate() {
        let value = xi.value();
        if !(0.0..=1.0).contains(&value) {
            return Err(PhaseSpaceError::OutOfRange { index, value });
        }
        if value == 0.0 || value == 1.0 {
            return Err(PhaseSpaceError::OnBoundary { index, value });
        }
    }
    Ok(())
}

/// Check a mass-like parameter: finite and non-negative.
pub(crate) fn check_mass(name: &str, value: f64) -> Result<(), PhaseSpaceError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PhaseSpaceError::InvalidMass {
            name: name.to_string(),
            value,
        })
    }
}

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

/// Largest deviation of Σpᵢ from (√s, 0, 0, 0), relative tolerance of the inverse maps.
pub(crate) fn check_cm_frame<S: RealScalar>(
    sqrt_s: f64,
    momenta: &[FourVector<S>],
) -> Result<(), PhaseSpaceError> {
    let mut sum = [0.0f64; 4];
    for p in momenta {
        sum[0] += p.e.value();
        sum[1] += p.px.value();
        sum[2] += p.py.value();
        sum[3] += p.pz.value();
    }
    let residual = (sum[0] - sqrt_s)
        .abs()
        .max(sum[1].abs())
        .max(sum[2].abs())
        .max(sum[3].abs());
    // Relative tolerance: momenta written and read back in double precision pass easily.
    if residual.is_nan() || residual > 1e-9 * sqrt_s {
        return Err(PhaseSpaceError::NotInCmFrame { residual });
    }
    Ok(())
}

/// Check that `p` has mass `expected` to a tolerance relative to its energy.
pub(crate) fn check_on_shell<S: RealScalar>(
    index: usize,
    p: &FourVector<S>,
    expected: f64,
) -> Result<(), PhaseSpaceError> {
    let (e, p3) = (p.e.value(), p.p().value());
    let m2 = (e - p3) * (e + p3);
    let scale = e * e;
    if !m2.is_finite() || (m2 - expected * expected).abs() > 1e-9 * scale.max(f64::MIN_POSITIVE) {
        return Err(PhaseSpaceError::OffShell {
            index,
            mass: m2.sqrt(),
            expected,
        });
    }
    Ok(())
}

/// Flat, invertible n-body phase space (RAMBO on diet, with RAMBO's rescaling for masses).
///
/// See the [module documentation](self) for the method, conventions and derivatives.
///
/// ```
/// use diffhep_physics::phase_space::PhaseSpace;
/// let ps = PhaseSpace::massless(3).unwrap();
/// let x = [0.3f64, 0.6, 0.2, 0.9, 0.5];
/// let point = ps.generate(1.0f64, &x).unwrap();
/// // The massless map is flat: the weight is the volume V₃(s = 1 GeV²).
/// assert!((point.weight - 1.259825563796855e-4).abs() < 1e-16);
/// let back = ps.inverse(1.0, &point.momenta).unwrap();
/// assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-12));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseSpace {
    masses: Vec<f64>,
}

impl PhaseSpace {
    /// n massless particles (n ≥ 2).
    pub fn massless(n: usize) -> Result<Self, PhaseSpaceError> {
        Self::new(vec![0.0; n])
    }

    /// Particles with the given masses in GeV (at least two, each finite and ≥ 0).
    pub fn new(masses: Vec<f64>) -> Result<Self, PhaseSpaceError> {
        if masses.len() < 2 {
            return Err(PhaseSpaceError::TooFewParticles { n: masses.len() });
        }
        for (i, &m) in masses.iter().enumerate() {
            check_mass(&format!("mass[{i}]"), m)?;
        }
        Ok(PhaseSpace { masses })
    }

    /// Number of final-state particles.
    pub fn n(&self) -> usize {
        self.masses.len()
    }

    /// The final-state masses in GeV.
    pub fn masses(&self) -> &[f64] {
        &self.masses
    }

    /// Dimension of the hypercube, 3n − 4.
    pub fn dim(&self) -> usize {
        3 * self.n() - 4
    }

    /// Momenta and weight at hypercube point `x` for centre-of-mass energy `sqrt_s` (GeV).
    pub fn generate<S: RealScalar>(&self, sqrt_s: S, x: &[S]) -> Result<Point<S>, PhaseSpaceError> {
        let masses: Vec<S> = self.masses.iter().map(|&m| S::from_f64(m)).collect();
        Self::generate_with_masses(sqrt_s, &masses, x)
    }

    /// As [`generate`](Self::generate), with the masses as differentiable inputs.
    pub fn generate_with_masses<S: RealScalar>(
        sqrt_s: S,
        masses: &[S],
        x: &[S],
    ) -> Result<Point<S>, PhaseSpaceError> {
        let n = masses.len();
        if n < 2 {
            return Err(PhaseSpaceError::TooFewParticles { n });
        }
        let threshold = check_masses(masses)?;
        check_sqrt_s(sqrt_s.value(), threshold)?;
        check_unit(x, 3 * n - 4)?;
        let (massless, log_w0) = massless_momenta(&sqrt_s, n, x);
        let (momenta, log_weight) = if threshold == 0.0 {
            (massless, log_w0)
        } else {
            let (momenta, log_w) = rescale_to_masses(&sqrt_s, masses, &massless);
            (momenta, log_w0 + log_w)
        };
        let point = Point {
            momenta,
            weight: log_weight.exp(),
            log_weight,
        };
        check_point(&point)?;
        Ok(point)
    }

    /// The hypercube point that [`generate`](Self::generate) maps to `momenta` (closed form).
    ///
    /// The momenta must sum to (√s, 0, 0, 0) and be on their mass shells (relative tolerance
    /// 1e-9), otherwise an error names the deviation.
    pub fn inverse<S: RealScalar>(
        &self,
        sqrt_s: S,
        momenta: &[FourVector<S>],
    ) -> Result<Vec<S>, PhaseSpaceError> {
        let masses: Vec<S> = self.masses.iter().map(|&m| S::from_f64(m)).collect();
        Self::inverse_with_masses(sqrt_s, &masses, momenta)
    }

    /// As [`inverse`](Self::inverse), with the masses as differentiable inputs.
    pub fn inverse_with_masses<S: RealScalar>(
        sqrt_s: S,
        masses: &[S],
        momenta: &[FourVector<S>],
    ) -> Result<Vec<S>, PhaseSpaceError> {
        let n = masses.len();
        if n < 2 {
            return Err(PhaseSpaceError::TooFewParticles { n });
        }
        if momenta.len() != n {
            return Err(PhaseSpaceError::WrongMultiplicity {
                expected: n,
                got: momenta.len(),
            });
        }
        let threshold = check_masses(masses)?;
        check_sqrt_s(sqrt_s.value(), threshold)?;
        check_cm_frame(sqrt_s.value(), momenta)?;
        for (i, (p, m)) in momenta.iter().zip(masses).enumerate() {
            check_on_shell(i, p, m.value())?;
        }
        // Undo the rescaling: ξ = Σ|pᵢ|/√s, kᵢ = pᵢ/ξ with |kᵢ| as energy.
        let massless: Vec<FourVector<S>> = if threshold == 0.0 {
            momenta.to_vec()
        } else {
            let abs_p: Vec<S> = momenta.iter().map(|p| p.p()).collect();
            let xi = abs_p.iter().fold(S::zero(), |a, b| a + b.clone()) / sqrt_s.clone();
            momenta
                .iter()
                .zip(&abs_p)
                .map(|(p, a)| {
                    FourVector::new(
                        a.clone() / xi.clone(),
                        p.px.clone() / xi.clone(),
                        p.py.clone() / xi.clone(),
                        p.pz.clone() / xi.clone(),
                    )
                })
                .collect()
        };
        massless_inverse(&massless)
    }
}

/// Reject a point whose momenta or weight are not finite (only reachable within rounding of the
/// hypercube's boundary). A weight that underflows to exactly 0 (log-weight −∞) is accepted.
pub(crate) fn check_point<S: RealScalar>(point: &Point<S>) -> Result<(), PhaseSpaceError> {
    for (i, p) in point.momenta.iter().enumerate() {
        let c = [p.e.value(), p.px.value(), p.py.value(), p.pz.value()];
        if !(c.iter().all(|v| v.is_finite()) && c[0] >= 0.0) {
            return Err(PhaseSpaceError::Degenerate {
                what: format!(
                    "momentum {i} = {c:?} is not finite: the point is within rounding of the \
                     hypercube's boundary"
                ),
            });
        }
    }
    let (w, lw) = (point.weight.value(), point.log_weight.value());
    if !(w.is_finite() && w >= 0.0) || lw.is_nan() || lw == f64::INFINITY {
        return Err(PhaseSpaceError::Degenerate {
            what: format!("weight {w} (log {lw}) is not finite"),
        });
    }
    Ok(())
}

/// The massless n-body volume Vₙ(s) = (π/2)ⁿ⁻¹ sⁿ⁻² / ((n−1)!(n−2)!) · (2π)⁴⁻³ⁿ (GeV^(2n−4))
/// in the convention of the [module docs](self); `s` in GeV².
pub fn massless_volume(n: usize, s: f64) -> Result<f64, PhaseSpaceError> {
    if n < 2 {
        return Err(PhaseSpaceError::TooFewParticles { n });
    }
    if !(s.is_finite() && s > 0.0) {
        return Err(PhaseSpaceError::BelowThreshold {
            sqrt_s: s.sqrt(),
            threshold: 0.0,
        });
    }
    let fact = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
    let nf = n as f64;
    Ok(
        (PI / 2.0).powf(nf - 1.0) * s.powf(nf - 2.0) / (fact(n - 1) * fact(n - 2))
            * (2.0 * PI).powf(4.0 - 3.0 * nf),
    )
}

/// Sum of masses after checking each one.
fn check_masses<S: RealScalar>(masses: &[S]) -> Result<f64, PhaseSpaceError> {
    let mut sum = 0.0;
    for (i, m) in masses.iter().enumerate() {
        check_mass(&format!("mass[{i}]"), m.value())?;
        sum += m.value();
    }
    Ok(sum)
}

fn check_sqrt_s(sqrt_s: f64, threshold: f64) -> Result<(), PhaseSpaceError> {
    if !(sqrt_s.is_finite() && sqrt_s > threshold) {
        return Err(PhaseSpaceError::BelowThreshold { sqrt_s, threshold });
    }
    Ok(())
}

/// F(t) = (k−1)t^(k−2) − (k−2)t^(k−1), the cumulative distribution of t = M′²/M² for a k-body
/// massless system, and its derivative (k−1)(k−2)t^(k−3)(1 − t).
fn mass_cdf<S: Scalar>(k: usize, t: &S) -> (S, S) {
    let (a, b) = ((k - 1) as f64, (k - 2) as f64);
    let tk3 = t.powi(k as i32 - 3);
    let tk2 = tk3.clone() * t.clone();
    let f = tk2.clone() * a - tk2 * t.clone() * b;
    let df = tk3 * t.rsub(1.0) * (a * b);
    (f, df)
}

/// Solve F(t) = r on (0, 1) by Newton's method safeguarded with bisection (primal values).
fn solve_mass_cdf(k: usize, r: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    // Start from the small-t asymptote F ≈ (k−1)t^(k−2).
    let mut t = (r / (k - 1) as f64).powf(1.0 / (k - 2) as f64).min(0.5);
    for _ in 0..200 {
        let (f, df) = mass_cdf::<f64>(k, &t);
        let g = f - r;
        if g > 0.0 {
            hi = t;
        } else {
            lo = t;
        }
        let mut next = t - g / df;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - t).abs() <= 1e-16 * t || hi - lo <= 1e-16 * t {
            return next;
        }
        t = next;
    }
    t
}

/// RAMBO on diet for massless momenta; returns the momenta and the log-weight.
fn massless_momenta<S: RealScalar>(sqrt_s: &S, n: usize, x: &[S]) -> (Vec<FourVector<S>>, S) {
    let zero = S::zero();
    let (masses_x, angles_x) = x.split_at(n - 2);
    let mut system = FourVector::new(sqrt_s.clone(), zero.clone(), zero.clone(), zero.clone());
    let mut m = sqrt_s.clone();
    let mut log_w = S::zero();
    let mut out = Vec::with_capacity(n);
    for stage in 0..n - 1 {
        let k = n - stage;
        let m_next = if k >= 3 {
            let r = &masses_x[stage];
            let t = if k == 3 {
                // F(t) = 2t − t² ⇒ t = 1 − √(1 − r), written without cancellation.
                r.clone() / (r.rsub(1.0).sqrt() + 1.0)
            } else {
                let t0 = solve_mass_cdf(k, r.value());
                newton_polish(t0, |t: &S| {
                    let (f, df) = mass_cdf(k, t);
                    (f - r.clone(), df)
                })
            };
            // Stage weight: (1−t)/(8π) · M²/(2π) · dt/dr = M² / (16π²(k−1)(k−2) t^(k−3)).
            let c = 16.0 * PI * PI * ((k - 1) * (k - 2)) as f64;
            log_w += (m.clone() * m.clone() / c).ln() - t.ln() * ((k - 3) as f64);
            m.clone() * t.sqrt()
        } else {
            log_w -= (8.0 * PI).ln();
            zero.clone()
        };
        let (xc, xp) = (&angles_x[2 * stage], &angles_x[2 * stage + 1]);
        let q = (m.clone() - m_next.clone() * m_next.clone() / m.clone()) * 0.5;
        let [nx, ny, nz] = direction(xc, xp);
        let p_rest = FourVector::new(
            q.clone(),
            q.clone() * nx.clone(),
            q.clone() * ny.clone(),
            q.clone() * nz.clone(),
        );
        let rest_rest = FourVector::new(
            m.clone() - q.clone(),
            -(q.clone() * nx),
            -(q.clone() * ny),
            -(q * nz),
        );
        // A massless particle: take E = |p⃗| after the boost, which stays ≥ 0 where the boosted
        // energy of a backward particle from a very fast system would cancel to rounding noise.
        let mut p_lab = boost_from_rest(&p_rest, &system, &m);
        p_lab.e = p_lab.p();
        out.push(p_lab);
        system = boost_from_rest(&rest_rest, &system, &m);
        m = m_next;
    }
    out.push(system);
    (out, log_w)
}

/// Inverse of [`massless_momenta`] (momenta already checked to be in the CM frame).
fn massless_inverse<S: RealScalar>(momenta: &[FourVector<S>]) -> Result<Vec<S>, PhaseSpaceError> {
    let n = momenta.len();
    // Suffix sums Q_i = Σ_{j ≥ i} p_j.
    let mut systems = vec![momenta[n - 1].clone(); n];
    for i in (0..n - 1).rev() {
        systems[i] = systems[i + 1].clone() + momenta[i].clone();
    }
    let mut xs = Vec::with_capacity(3 * n - 4);
    let mut angles = Vec::with_capacity(2 * n - 2);
    for stage in 0..n - 1 {
        let k = n - stage;
        let parent = &systems[stage];
        if k >= 3 {
            let t = systems[stage + 1].m2() / parent.m2();
            if !(t.value() > 0.0 && t.value() < 1.0) {
                return Err(PhaseSpaceError::Degenerate {
                    what: format!(
                        "mass ratio t = {} of the {}-particle subsystem is not inside (0, 1)",
                        t.value(),
                        k - 1
                    ),
                });
            }
            xs.push(mass_cdf(k, &t).0);
        }
        let p = to_rest_frame(&momenta[stage], parent, &parent.m2().sqrt());
        if p.p().value().partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(PhaseSpaceError::Degenerate {
                what: format!("momentum {stage} is at rest in its parent system"),
            });
        }
        let (xc, xp) = direction_inverse(&p);
        angles.push(xc);
        angles.push(xp);
    }
    xs.extend(angles);
    for (index, v) in xs.iter().enumerate() {
        let value = v.value();
        if !(value > 0.0 && value < 1.0) {
            return Err(PhaseSpaceError::Degenerate {
                what: format!("preimage x[{index}] = {value} is not inside (0, 1)"),
            });
        }
    }
    Ok(xs)
}

/// RAMBO's rescaling of massless momenta (total energy √s) to the given masses; returns the
/// massive momenta and the log of the weight factor.
fn rescale_to_masses<S: RealScalar>(
    sqrt_s: &S,
    masses: &[S],
    massless: &[FourVector<S>],
) -> (Vec<FourVector<S>>, S) {
    let n = masses.len();
    let k: Vec<S> = massless.iter().map(|p| p.e.clone()).collect();
    let m2: Vec<S> = masses.iter().map(|m| m.clone() * m.clone()).collect();
    // g(ξ) = Σ √(mᵢ² + ξ²kᵢ²) − √s, increasing and convex on (0, 1]: Newton from ξ = 1
    // converges monotonically.
    let residual = |xi: &S| {
        let mut g = -sqrt_s.clone();
        let mut dg = S::zero();
        for (ki, mi2) in k.iter().zip(&m2) {
            let xk = xi.clone() * ki.clone();
            let e = (xk.clone() * xk.clone() + mi2.clone()).sqrt();
            dg += xk * ki.clone() / e.clone();
            g += e;
        }
        (g, dg)
    };
    let mut xi0 = 1.0f64;
    for _ in 0..100 {
        let (g, dg) = residual_f64(&k, &m2, sqrt_s.value(), xi0);
        let next = xi0 - g / dg;
        if next.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            xi0 *= 0.5;
            continue;
        }
        let done = (next - xi0).abs() <= 1e-16 * xi0;
        xi0 = next;
        if done {
            break;
        }
    }
    let xi = newton_polish(xi0, residual);
    let mut momenta = Vec::with_capacity(n);
    let (mut sum_p, mut sum_p2_over_e) = (S::zero(), S::zero());
    let mut log_w = S::zero();
    for ((p, ki), mi2) in massless.iter().zip(&k).zip(&m2) {
        let abs_p = xi.clone() * ki.clone();
        let e = (abs_p.clone() * abs_p.clone() + mi2.clone()).sqrt();
        log_w += (abs_p.clone() / e.clone()).ln();
        sum_p += abs_p.clone();
        sum_p2_over_e += abs_p.clone() * abs_p / e.clone();
        momenta.push(FourVector::new(
            e,
            p.px.clone() * xi.clone(),
            p.py.clone() * xi.clone(),
            p.pz.clone() * xi.clone(),
        ));
    }
    log_w += (sum_p / sqrt_s.clone()).ln() * ((2 * n - 3) as f64)
        + (sqrt_s.clone() / sum_p2_over_e).ln();
    (momenta, log_w)
}

fn residual_f64<S: RealScalar>(k: &[S], m2: &[S], sqrt_s: f64, xi: f64) -> (f64, f64) {
    let (mut g, mut dg) = (-sqrt_s, 0.0);
    for (ki, mi2) in k.iter().zip(m2) {
        let xk = xi * ki.value();
        let e = (xk * xk + mi2.value()).sqrt();
        g += e;
        dg += xk * ki.value() / e;
    }
    (g, dg)
}

/// The guide page `docs/phase_space.md`, compiled as a doctest so its example cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/phase_space.md")]
struct PhaseSpaceGuide;

#[cfg(test)]
mod tests;
