//! Invertible phase-space maps from the unit hypercube to final-state momenta.
//!
//! This folder holds the point and error types with their shared checks, the shared kinematics
//! helpers, the flat RAMBO map and the resonant tt̄ map. It may import [`crate::lorentz`] and the
//! engine only: processes, integration and events build on it.
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

//!
//! # Files
//! [`point`] holds the result and error types and the shared checks, `kinematics` the shared
//! decay and boost helpers, [`rambo`] the flat map and [`resonant`] the resonant map.

mod kinematics;
pub mod point;
pub mod rambo;
pub mod resonant;

pub(crate) use kinematics::{boost_from_rest, direction_inverse, to_rest_frame, two_body_rest};
pub(crate) use point::{check_cm_frame, check_mass, check_on_shell, check_unit};
pub use point::{PhaseSpaceError, Point};
pub use rambo::{massless_volume, PhaseSpace};

/// The guide page `docs/phase_space.md`, compiled as a doctest so its example cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/phase_space.md")]
struct PhaseSpaceGuide;

#[cfg(test)]
mod tests;
