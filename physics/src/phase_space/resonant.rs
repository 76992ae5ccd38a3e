//! A resonant phase-space map for e⁺e⁻ → t t̄ → b W⁺ b̄ W⁻ (on-shell W, massless b).
//!
//! # Why a second map
//! The matrix element of this process carries one Breit–Wigner factor per top,
//! 1/((sᵢ − m_t²)² + m_t²Γ_t²), with Γ_t/m_t ≈ 0.9 %. Sampled with the flat map, almost all
//! points miss both peaks and the few that hit them carry huge weights: the variance of the
//! Monte-Carlo estimate (and of its pathwise gradient) is of order (m_t/Γ_t)² times the squared
//! mean, so cross sections and FAB-style training do not converge at practical sample sizes.
//! Here the virtualities are sampled with the tan mapping
//! sᵢ = m_t² + m_tΓ_t tan yᵢ, yᵢ uniform between the arctangents of the window's ends,
//! whose Jacobian dsᵢ/dyᵢ = ((sᵢ − m_t²)² + m_t²Γ_t²)/(m_tΓ_t) cancels each Breit–Wigner
//! factor exactly; what remains of the integrand varies slowly, so the weights are nearly
//! uniform and the estimates converge as 1/√N with a small constant.
//!
//! # The chain (8 numbers)
//! x₀, x₁ → s_t, s_t̄ (the second window is cut at (√s − √s_t)² so every point is physical);
//! x₂, x₃ → direction of the top in the centre-of-mass frame (cos θ = 2x − 1, φ = 2πx);
//! x₄, x₅ → direction of the b in the top rest frame; x₆, x₇ → the b̄ in the t̄ rest frame.
//! The momenta are returned in the order (b, W⁺, b̄, W⁻). The weight is the density of dΦ₄
//! per unit hypercube volume (convention of the [parent module](super)):
//! w = dΦ₂(s; s_t, s_t̄) · (ds_t/dx₀)/(2π) · (ds_t̄/dx₁)/(2π) · dΦ₂(s_t; 0, m_W) · dΦ₂(s_t̄; 0, m_W),
//! with each dΦ₂ = λ^½/(8π s) per unit square of its two angle variables. Its mean over the cube
//! is the massive four-body volume restricted to the mass window (the full one by default).
//! The map is closed form in both directions, differentiable w.r.t. x, √s, m_t, Γ_t and m_W.

use std::f64::consts::PI;

use diffhep::{RealScalar, Scalar};

use super::{
    boost_from_rest, check_cm_frame, check_mass, check_on_shell, check_unit, direction_inverse,
    to_rest_frame, two_body_rest, PhaseSpaceError, Point,
};
use crate::lorentz::FourVector;

/// Top mass, top width and W mass in GeV, as differentiable inputs of [`TopPairMap`].
#[derive(Clone, Debug, PartialEq)]
pub struct TopPairParams<S> {
    /// Top-quark mass (the Breit–Wigner pole).
    pub mt: S,
    /// Top-quark width.
    pub wt: S,
    /// W-boson mass (on shell).
    pub mw: S,
}

/// Breit–Wigner-mapped phase space for e⁺e⁻ → t t̄ → b W⁺ b̄ W⁻ (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct TopPairMap {
    mt: f64,
    wt: f64,
    mw: f64,
    window: (f64, f64),
}

impl TopPairMap {
    /// Dimension of the hypercube.
    pub const DIM: usize = 8;

    /// A map with pole mass `mt`, width `wt` (both > 0) and W mass `mw` (> 0, below `mt`), GeV.
    /// The top virtualities cover the whole kinematic range until [`with_window`](Self::with_window).
    pub fn new(mt: f64, wt: f64, mw: f64) -> Result<Self, PhaseSpaceError> {
        for (name, v) in [("MT", mt), ("WT", wt), ("MW", mw)] {
            check_mass(name, v)?;
            if v == 0.0 {
                return Err(PhaseSpaceError::InvalidMass {
                    name: name.to_string(),
                    value: v,
                });
            }
        }
        if mw >= mt {
            return Err(PhaseSpaceError::InvalidMass {
                name: format!("MW (must be below MT = {mt})"),
                value: mw,
            });
        }
        Ok(TopPairMap {
            mt,
            wt,
            mw,
            window: (0.0, f64::INFINITY),
        })
    }

    /// Restrict both top virtualities to √sᵢ ∈ [lo, hi] GeV (intersected with the kinematic
    /// range); `lo < hi`.
    pub fn with_window(mut self, lo: f64, hi: f64) -> Result<Self, PhaseSpaceError> {
        check_mass("window low edge", lo)?;
        if hi.is_nan() || hi <= lo {
            return Err(PhaseSpaceError::InvalidMass {
                name: format!("window high edge (must exceed the low edge {lo})"),
                value: hi,
            });
        }
        self.window = (lo, hi);
        Ok(self)
    }

    /// Dimension of the hypercube (8).
    pub fn dim(&self) -> usize {
        Self::DIM
    }

    /// The parameters as constants of type `S`.
    pub fn params<S: Scalar>(&self) -> TopPairParams<S> {
        TopPairParams {
            mt: S::from_f64(self.mt),
            wt: S::from_f64(self.wt),
            mw: S::from_f64(self.mw),
        }
    }

    /// Momenta (b, W⁺, b̄, W⁻) and weight at `x` for centre-of-mass energy `sqrt_s`.
    pub fn generate<S: RealScalar>(&self, sqrt_s: S, x: &[S]) -> Result<Point<S>, PhaseSpaceError> {
        self.generate_with_params(&self.params(), sqrt_s, x)
    }

    /// As [`generate`](Self::generate), with m_t, Γ_t and m_W as differentiable inputs (their
    /// primal values must satisfy the conditions of [`new`](Self::new)).
    pub fn generate_with_params<S: RealScalar>(
        &self,
        params: &TopPairParams<S>,
        sqrt_s: S,
        x: &[S],
    ) -> Result<Point<S>, PhaseSpaceError> {
        check_params(params)?;
        check_unit(x, Self::DIM)?;
        let (lo, hi1) = self.range(params, &sqrt_s)?;
        let lo2 = lo.clone() * lo;
        let bw = BreitWigner::new(params);
        let (s1, jac1) = bw.sample(&lo2, &(hi1.clone() * hi1), &x[0]);
        let m1 = s1.sqrt();
        let hi2 = S::from_f64(self.window.1).min(&(sqrt_s.clone() - m1.clone()));
        let (s2, jac2) = bw.sample(&lo2, &(hi2.clone() * hi2), &x[1]);
        let m2 = s2.sqrt();
        let (t, tbar, w_prod) = two_body_rest(&sqrt_s, &m1, &m2, &x[2], &x[3]);
        let zero = S::zero();
        let (b, wp, w_t) = two_body_rest(&m1, &zero, &params.mw, &x[4], &x[5]);
        let (bb, wm, w_tb) = two_body_rest(&m2, &zero, &params.mw, &x[6], &x[7]);
        let mut b = boost_from_rest(&b, &t, &m1);
        let mut bb = boost_from_rest(&bb, &tbar, &m2);
        // Massless b quarks: E = |p⃗| after the boost.
        b.e = b.p();
        bb.e = bb.p();
        let momenta = vec![
            b,
            boost_from_rest(&wp, &t, &m1),
            bb,
            boost_from_rest(&wm, &tbar, &m2),
        ];
        let log_weight =
            w_prod.ln() + w_t.ln() + w_tb.ln() + jac1.ln() + jac2.ln() - (2.0 * PI).ln() * 2.0;
        Point::checked(momenta, log_weight)
    }

    /// The hypercube point that [`generate`](Self::generate) maps to `momenta` = (b, W⁺, b̄, W⁻).
    pub fn inverse<S: RealScalar>(
        &self,
        sqrt_s: S,
        momenta: &[FourVector<S>],
    ) -> Result<Vec<S>, PhaseSpaceError> {
        self.inverse_with_params(&self.params(), sqrt_s, momenta)
    }

    /// As [`inverse`](Self::inverse), with m_t, Γ_t and m_W as differentiable inputs.
    pub fn inverse_with_params<S: RealScalar>(
        &self,
        params: &TopPairParams<S>,
        sqrt_s: S,
        momenta: &[FourVector<S>],
    ) -> Result<Vec<S>, PhaseSpaceError> {
        check_params(params)?;
        if momenta.len() != 4 {
            return Err(PhaseSpaceError::WrongMultiplicity {
                expected: 4,
                got: momenta.len(),
            });
        }
        check_cm_frame(sqrt_s.value(), momenta)?;
        let mw = params.mw.value();
        for (i, m) in [0.0, mw, 0.0, mw].into_iter().enumerate() {
            check_on_shell(i, &momenta[i], m)?;
        }
        let (lo, hi1) = self.range(params, &sqrt_s)?;
        let t = momenta[0].clone() + momenta[1].clone();
        let tbar = momenta[2].clone() + momenta[3].clone();
        let (s1, s2) = (t.m2(), tbar.m2());
        let (m1, m2) = (s1.sqrt(), s2.sqrt());
        let lo2 = lo.clone() * lo;
        let bw = BreitWigner::new(params);
        let x0 = bw.unit(&lo2, &(hi1.clone() * hi1), &s1, "s_t")?;
        let hi2 = S::from_f64(self.window.1).min(&(sqrt_s - m1.clone()));
        let x1 = bw.unit(&lo2, &(hi2.clone() * hi2), &s2, "s_tbar")?;
        let (x2, x3) = direction_inverse(&t);
        let (x4, x5) = direction_inverse(&to_rest_frame(&momenta[0], &t, &m1));
        let (x6, x7) = direction_inverse(&to_rest_frame(&momenta[2], &tbar, &m2));
        let xs = vec![x0, x1, x2, x3, x4, x5, x6, x7];
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

    /// The range (lo, hi) of the first top mass: lo = max(window low edge, m_W) (massless b),
    /// hi = min(window high edge, √s − lo); an error if it is empty.
    fn range<S: RealScalar>(
        &self,
        params: &TopPairParams<S>,
        sqrt_s: &S,
    ) -> Result<(S, S), PhaseSpaceError> {
        let lo = if self.window.0 > params.mw.value() {
            S::from_f64(self.window.0)
        } else {
            params.mw.clone()
        };
        if self.window.1 <= lo.value() {
            return Err(PhaseSpaceError::InvalidMass {
                name: format!(
                    "window high edge (must exceed max(window low edge, MW) = {})",
                    lo.value()
                ),
                value: self.window.1,
            });
        }
        let hi = S::from_f64(self.window.1).min(&(sqrt_s.clone() - lo.clone()));
        if !(sqrt_s.value().is_finite() && hi.value() > lo.value()) {
            return Err(PhaseSpaceError::BelowThreshold {
                sqrt_s: sqrt_s.value(),
                threshold: 2.0 * lo.value(),
            });
        }
        Ok((lo, hi))
    }
}

fn check_params<S: RealScalar>(p: &TopPairParams<S>) -> Result<(), PhaseSpaceError> {
    for (name, v) in [("MT", &p.mt), ("WT", &p.wt), ("MW", &p.mw)] {
        check_mass(name, v.value())?;
        if v.value() == 0.0 {
            return Err(PhaseSpaceError::InvalidMass {
                name: name.to_string(),
                value: 0.0,
            });
        }
    }
    Ok(())
}

/// The tan mapping of a Breit–Wigner with pole M² and width parameter MΓ.
struct BreitWigner<S> {
    m2: S,
    mg: S,
}

impl<S: RealScalar> BreitWigner<S> {
    fn new(p: &TopPairParams<S>) -> Self {
        BreitWigner {
            m2: p.mt.clone() * p.mt.clone(),
            mg: p.mt.clone() * p.wt.clone(),
        }
    }

    fn angle(&self, s: &S) -> S {
        ((s.clone() - self.m2.clone()) / self.mg.clone()).atan()
    }

    /// s ∈ (lo, hi) from u ∈ (0, 1) and the Jacobian ds/du.
    fn sample(&self, lo: &S, hi: &S, u: &S) -> (S, S) {
        let (ylo, yhi) = (self.angle(lo), self.angle(hi));
        let y = ylo.clone() + (yhi.clone() - ylo.clone()) * u.clone();
        let d = self.mg.clone() * y.tan();
        let s = self.m2.clone() + d.clone();
        let jac =
            (yhi - ylo) * (d.clone() * d + self.mg.clone() * self.mg.clone()) / self.mg.clone();
        (s, jac)
    }

    /// Inverse of [`sample`](Self::sample); an error names `what` if s is outside (lo, hi).
    fn unit(&self, lo: &S, hi: &S, s: &S, what: &str) -> Result<S, PhaseSpaceError> {
        if !(s.value() > lo.value() && s.value() < hi.value()) {
            return Err(PhaseSpaceError::Degenerate {
                what: format!(
                    "{what} = {} GeV² is outside the sampled range ({}, {})",
                    s.value(),
                    lo.value(),
                    hi.value()
                ),
            });
        }
        let (ylo, yhi) = (self.angle(lo), self.angle(hi));
        Ok((self.angle(s) - ylo.clone()) / (yhi - ylo))
    }
}

#[cfg(test)]
mod tests;
