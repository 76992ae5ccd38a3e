//! e+e- → γ/Z → μ+μ- at tree level: the closed-form spin-summed/averaged |M|² for massless
//! fermions, generic over [`Scalar`].
//!
//! # Convention
//! The Z couples to a fermion f as `−i g_Z γ^μ (g_V − g_A γ⁵)` with `g_Z = e/(sinθ_W cosθ_W)`,
//! `g_V = T₃/2 − Q sin²θ_W`, `g_A = T₃/2`. Its chiral couplings are `c_L = g_V + g_A = T₃ − Q
//! sin²θ_W` and `c_R = g_V − g_A = −Q sin²θ_W`; for e⁻ and μ⁻ (`T₃ = −1/2`, `Q = −1`):
//! `c_L = −1/2 + sin²θ_W`, `c_R = sin²θ_W`. The Z propagator has a fixed width,
//! `χ(s) = s / (s − M_Z² + i M_Z Γ_Z)`, and `e² = 4πα` (α a parameter, no running).
//!
//! # Formula
//! For massless fermions only the four helicity configurations with opposite-helicity e⁺e⁻ and
//! μ⁺μ⁻ pairs contribute. With the e⁻ helicity `i` and the μ⁻ helicity `j` (L or R) and θ the
//! angle between e⁻ and μ⁻ in the centre-of-mass frame (`c = cosθ`),
//!
//! ```text
//! |M_ij|² = e⁴ (1 ± c)² |A_ij|²,   + for ij = LL, RR;  − for LR, RL,
//! A_ij    = Q_e Q_μ + k_ij χ(s),   k_ij = c_i c_j / (sin²θ_W cos²θ_W),   Q_e Q_μ = 1,
//! |M|²    = ¼ Σ_ij |M_ij|²                                 (average over the 4 initial spins)
//! ```
//!
//! so `|M|² = e⁴/4 [(1+c)² (|A_LL|² + |A_RR|²) + (1−c)² (|A_LR|² + |A_RL|²)]`, with
//! `|A|² = 1 + 2k Re χ + k² |χ|²`. Dropping the Z (`k → 0`) gives the QED result
//! `|M|² = e⁴ (1 + c²)`. Written in `g_V`, `g_A` this is the textbook form
//! `e⁴ [(1 + c²) A₀ + c A₁]`, `A₀ = 1 + 2g_V² Re χ̃ + (g_V² + g_A²)² |χ̃|²`,
//! `A₁ = 4g_A² Re χ̃ + 8g_V² g_A² |χ̃|²`, `χ̃ = χ/(sin²θ_W cos²θ_W)` (checked in the tests).
//! The helicity amplitudes of the matrix-element code are to reproduce `|M_ij|²` one by one
//! ([`helicity_msq`]).
//!
//! The code is branch-free, so it runs on `f64`, num-dual numbers, the tape variables and lane
//! duals. Parameter-only combinations are in [`EeMuMuCouplings`], computed once per batch.

use diffhep::Scalar;

use crate::collider::sm::SmParams;

/// Electroweak inputs of the process.
#[derive(Clone, Debug, PartialEq)]
pub struct EwParams<S> {
    /// Z mass M_Z (GeV).
    pub mz: S,
    /// Z width Γ_Z (GeV).
    pub wz: S,
    /// sin²θ_W.
    pub sw2: S,
    /// Fine-structure constant α (the electric charge is e = √(4πα)).
    pub alpha: S,
}

impl EwParams<f64> {
    /// MadGraph `sm` defaults (`reference/physics-numbers.md`): M_Z = 91.188, Γ_Z = 2.441404,
    /// 1/α = 132.507, sin²θ_W = 0.22224649.
    pub fn madgraph_sm() -> Self {
        EwParams {
            mz: 91.188,
            wz: 2.441404,
            sw2: 0.22224649,
            alpha: 1.0 / 132.507,
        }
    }

    /// As an array `[M_Z, Γ_Z, sin²θ_W, α]` (the parameter order of [`EwParams::from_slice`]).
    pub fn to_array(&self) -> [f64; 4] {
        [self.mz, self.wz, self.sw2, self.alpha]
    }
}

impl<S: Scalar> EwParams<S> {
    /// The inputs of this process at a point of the `sm` model (MZ, WZ, and the derived sin²θ_W
    /// and α).
    pub fn from_sm(p: &SmParams<S>) -> Self {
        let d = p.derived();
        EwParams {
            mz: p.mz.clone(),
            wz: p.wz.clone(),
            sw2: d.sw2,
            alpha: d.alpha,
        }
    }

    /// From `[M_Z, Γ_Z, sin²θ_W, α]`; `None` unless exactly four values are given.
    pub fn from_slice(p: &[S]) -> Option<Self> {
        match p {
            [mz, wz, sw2, alpha] => Some(EwParams {
                mz: mz.clone(),
                wz: wz.clone(),
                sw2: sw2.clone(),
                alpha: alpha.clone(),
            }),
            _ => None,
        }
    }
}

/// Parameter-only combinations of [`EwParams`] entering |M|².
#[derive(Clone, Debug)]
pub struct EeMuMuCouplings<S> {
    /// e⁴/4 = (4πα)²/4.
    pub e4_quarter: S,
    /// M_Z².
    pub mz2: S,
    /// (M_Z Γ_Z)².
    pub mzwz2: S,
    /// k_LL + k_RR.
    pub k_same: S,
    /// k_LL² + k_RR².
    pub k_same2: S,
    /// k_LR = k_RL.
    pub k_opp: S,
}

/// The parameter-only part of |M|² (computed once per batch of events).
pub fn couplings<S: Scalar>(p: &EwParams<S>) -> EeMuMuCouplings<S> {
    let e2 = p.alpha.clone() * (4.0 * std::f64::consts::PI);
    let cw2 = p.sw2.rsub(1.0);
    let norm = (p.sw2.clone() * cw2).recip();
    let c_l = p.sw2.clone() - 0.5;
    let c_r = p.sw2.clone();
    let k_ll = c_l.clone() * c_l.clone() * norm.clone();
    let k_rr = c_r.clone() * c_r.clone() * norm.clone();
    let k_opp = c_l * c_r * norm;
    let mzwz = p.mz.clone() * p.wz.clone();
    EeMuMuCouplings {
        e4_quarter: e2.clone() * e2 * 0.25,
        mz2: p.mz.clone() * p.mz.clone(),
        mzwz2: mzwz.clone() * mzwz,
        k_same: k_ll.clone() + k_rr.clone(),
        k_same2: k_ll.clone() * k_ll + k_rr.clone() * k_rr,
        k_opp,
    }
}

/// Spin-averaged |M|² at centre-of-mass energy squared `s` (GeV²) and `cos_theta` (angle between
/// e⁻ and μ⁻), from precomputed [`couplings`]. Dimensionless.
#[inline(always)]
pub fn msq_with<S: Scalar>(g: &EeMuMuCouplings<S>, s: &S, cos_theta: &S) -> S {
    let d = s.clone() - g.mz2.clone();
    // χ = s/(d + i M_Z Γ_Z): Re χ = s d / D, |χ|² = s² / D, D = d² + (M_Z Γ_Z)².
    let inv_den = (d.clone() * d.clone() + g.mzwz2.clone()).recip();
    let s_over = s.clone() * inv_den;
    let re_chi = s_over.clone() * d;
    let abs_chi2 = s_over * s.clone();
    // |A_LL|² + |A_RR|² and |A_LR|² + |A_RL|².
    let same =
        (g.k_same.clone() * re_chi.clone() + 1.0) * 2.0 + g.k_same2.clone() * abs_chi2.clone();
    let opp_k = g.k_opp.clone();
    let opp = (opp_k.clone() * re_chi * 2.0 + 1.0 + opp_k.clone() * opp_k * abs_chi2) * 2.0;
    let plus = cos_theta.clone() + 1.0;
    let minus = cos_theta.rsub(1.0);
    (plus.clone() * plus * same + minus.clone() * minus * opp) * g.e4_quarter.clone()
}

/// Spin-averaged |M|² for e+e- → γ/Z → μ+μ- (see the [module documentation](self)).
pub fn msq<S: Scalar>(s: &S, cos_theta: &S, p: &EwParams<S>) -> S {
    msq_with(&couplings(p), s, cos_theta)
}

/// The four non-vanishing helicity contributions `|M_ij|²` (not averaged), in the order
/// `[LL, LR, RL, RR]` (e⁻ helicity, then μ⁻ helicity); [`msq`] is a quarter of their sum. For
/// comparison with helicity amplitudes.
pub fn helicity_msq<S: Scalar>(s: &S, cos_theta: &S, p: &EwParams<S>) -> [S; 4] {
    let e2 = p.alpha.clone() * (4.0 * std::f64::consts::PI);
    let e4 = e2.clone() * e2;
    let norm = (p.sw2.clone() * p.sw2.rsub(1.0)).recip();
    let c_l = p.sw2.clone() - 0.5;
    let c_r = p.sw2.clone();
    let d = s.clone() - p.mz.clone() * p.mz.clone();
    let mzwz = p.mz.clone() * p.wz.clone();
    let inv_den = (d.clone() * d.clone() + mzwz.clone() * mzwz).recip();
    let re_chi = s.clone() * d * inv_den.clone();
    let im_chi = -(s.clone() * p.mz.clone() * p.wz.clone() * inv_den);
    let plus = cos_theta.clone() + 1.0;
    let minus = cos_theta.rsub(1.0);
    let amp2 = |ci: &S, cj: &S, angle: &S| {
        // |Q_e Q_μ + k χ|² (1 ± c)² e⁴ with k = c_i c_j / (sin²θ_W cos²θ_W).
        let k = ci.clone() * cj.clone() * norm.clone();
        let re = k.clone() * re_chi.clone() + 1.0;
        let im = k * im_chi.clone();
        (re.clone() * re + im.clone() * im) * angle.clone() * angle.clone() * e4.clone()
    };
    [
        amp2(&c_l, &c_l, &plus),
        amp2(&c_l, &c_r, &minus),
        amp2(&c_r, &c_l, &minus),
        amp2(&c_r, &c_r, &plus),
    ]
}

/// |M|² as a batch function ([`diffhep::batch::EventFn`]): parameters `[M_Z, Γ_Z, sin²θ_W, α]`,
/// event columns `[√s, cosθ]` (√s in GeV). The couplings are hoisted out of the event loop.
#[derive(Clone, Copy, Debug, Default)]
pub struct EeMuMuEvents;

impl diffhep::batch::EventFn for EeMuMuEvents {
    type Shared<S: Scalar> = EeMuMuCouplings<S>;
    fn n_params(&self) -> usize {
        4
    }
    fn n_columns(&self) -> usize {
        2
    }
    fn shared<S: Scalar>(&self, p: &[S]) -> EeMuMuCouplings<S> {
        couplings(&EwParams::from_slice(p).expect("the batch API checks the parameter count"))
    }
    #[inline(always)]
    fn eval<S: Scalar>(&self, g: &EeMuMuCouplings<S>, x: &[S]) -> S {
        let s = x[0].clone() * x[0].clone();
        msq_with(g, &s, &x[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::gradcheck::{check_gradient, GradCheckConfig};
    use diffhep::{RealScalar, ScalarFn};

    /// |M|² as a function of `[s, cosθ, M_Z, Γ_Z, sin²θ_W, α]`.
    struct Msq;
    impl ScalarFn for Msq {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            let p = EwParams::from_slice(&x[2..6]).expect("four parameters");
            msq(&x[0], &x[1], &p)
        }
    }

    /// One helicity contribution `|M_ij|²` as a function of `[s, cosθ, M_Z, Γ_Z, sin²θ_W, α]`.
    struct Helicity(usize);
    impl ScalarFn for Helicity {
        fn eval<S: RealScalar>(&self, x: &[S]) -> S {
            let p = EwParams::from_slice(&x[2..6]).expect("four parameters");
            helicity_msq(&x[0], &x[1], &p)[self.0].clone()
        }
    }

    /// The textbook vector/axial form `e⁴[(1 + c²) A₀ + c A₁]` (e.g. Halzen & Martin, *Quarks and
    /// Leptons*, ch. 13, in the normalisation of the module docs), written independently.
    fn vector_axial(s: f64, c: f64, p: &EwParams<f64>) -> f64 {
        let e2 = 4.0 * std::f64::consts::PI * p.alpha;
        let (gv, ga) = (-0.25 + p.sw2, -0.25);
        let den = (s - p.mz * p.mz).powi(2) + (p.mz * p.wz).powi(2);
        let norm = 1.0 / (p.sw2 * (1.0 - p.sw2));
        let re = norm * s * (s - p.mz * p.mz) / den;
        let abs2 = norm * norm * s * s / den;
        let a0 = 1.0 + 2.0 * gv * gv * re + (gv * gv + ga * ga).powi(2) * abs2;
        let a1 = 4.0 * ga * ga * re + 8.0 * gv * gv * ga * ga * abs2;
        e2 * e2 * ((1.0 + c * c) * a0 + c * a1)
    }

    #[test]
    fn pure_qed_limit_is_e4_one_plus_cos2() {
        // Reference: |M|² = e⁴(1 + cos²θ) for point-like QED (reference/physics-numbers.md).
        // The Z drops out as M_Z → ∞ (χ → 0).
        let p = EwParams {
            mz: 1e9,
            wz: 1.0,
            sw2: 0.23,
            alpha: 1.0 / 137.036,
        };
        let e2 = 4.0 * std::f64::consts::PI * p.alpha;
        for &(s, c) in &[(100.0, 0.3), (25.0, -0.9), (4.0, 0.0)] {
            let want = e2 * e2 * (1.0 + c * c);
            let got = msq(&s, &c, &p);
            assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
        }
    }

    #[test]
    fn agrees_with_vector_axial_form() {
        let p = EwParams::madgraph_sm();
        for &(rs, c) in &[
            (30.0, 0.5),
            (88.0, -0.7),
            (91.188, 0.1),
            (91.5, 0.95),
            (200.0, -0.2),
        ] {
            let s: f64 = rs * rs;
            let got = msq(&s, &c, &p);
            let want = vector_axial(s, c, &p);
            assert!(
                (got - want).abs() < 1e-12 * want,
                "√s = {rs}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn helicity_contributions_average_to_msq() {
        let p = EwParams::madgraph_sm();
        for &(rs, c) in &[(40.0, 0.3), (91.188, -0.5), (150.0, 0.8)] {
            let s: f64 = rs * rs;
            let h = helicity_msq(&s, &c, &p);
            let avg = h.iter().sum::<f64>() / 4.0;
            let want = msq(&s, &c, &p);
            assert!((avg - want).abs() < 1e-12 * want, "{avg} vs {want}");
            // Opposite-helicity pairs vanish forward/backward: LR, RL ∝ (1 − c)², LL, RR ∝ (1 + c)².
            let fwd = helicity_msq(&s, &1.0, &p);
            assert_eq!((fwd[1], fwd[2]), (0.0, 0.0));
        }
    }

    #[test]
    fn gradient_checked_wrt_all_inputs() {
        // The Ridders step must stay well inside the resonance (M_Z Γ_Z ≈ 223 GeV² in s).
        let cfg = GradCheckConfig {
            initial_step: 1e-3,
            ..GradCheckConfig::default()
        };
        let p = EwParams::madgraph_sm();
        for &(rs, c) in &[(60.0, 0.4), (90.0, -0.6), (91.188, 0.2), (120.0, 0.9)] {
            let x = [rs * rs, c, p.mz, p.wz, p.sw2, p.alpha];
            check_gradient(&Msq, &x, &cfg).assert_ok();
            for i in 0..4 {
                check_gradient(&Helicity(i), &x, &cfg).assert_ok();
            }
        }
    }

    #[test]
    fn from_slice_needs_four_parameters() {
        assert!(EwParams::<f64>::from_slice(&[1.0, 2.0, 3.0]).is_none());
        let p = EwParams::from_slice(&EwParams::madgraph_sm().to_array()).unwrap();
        assert_eq!(p, EwParams::madgraph_sm());
    }
}
