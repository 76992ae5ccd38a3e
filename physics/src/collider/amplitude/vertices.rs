//! The Lorentz part of every vertex and propagator of the recursion, generic over the number
//! type.
//!
//! An off-shell current is a four-component complex array: a column spinor ψ (a current that
//! emits a fermion), a row spinor ψ̄ in the form [`helicity::bar`] returns (a current that emits
//! an antifermion), a vector with upper index, or a scalar in component 0. Each function takes
//! the input currents of one vertex and returns the vertex output *before* the propagator (the
//! recursion applies [`propagate`] afterwards, except at the root where the output is contracted
//! with the last external wavefunction). Couplings carry the factor i of the Feynman rule.
//!
//! Momenta are the momenta flowing *into* the vertex along each input current; the output
//! current carries their sum.

use diffhep::{Complex, Scalar};

use crate::collider::helicity::{self, CVector};

/// A current: spinor, vector or scalar (component 0), see the module documentation.
pub type Current<S> = [Complex<S>; 4];

/// The zero current.
#[inline]
pub fn zero<S: Scalar>() -> Current<S> {
    [
        Complex::zero(),
        Complex::zero(),
        Complex::zero(),
        Complex::zero(),
    ]
}

#[inline]
fn map<S: Scalar>(a: &Current<S>, f: impl Fn(&Complex<S>) -> Complex<S>) -> Current<S> {
    [f(&a[0]), f(&a[1]), f(&a[2]), f(&a[3])]
}

#[inline]
fn axpy<S: Scalar>(acc: &mut Current<S>, k: &Complex<S>, x: &Current<S>) {
    for (a, xi) in acc.iter_mut().zip(x) {
        *a += k.clone() * xi.clone();
    }
}

/// `acc += k · x` for a complex coefficient (used to sum the terms of a current).
#[inline]
pub fn accumulate<S: Scalar>(acc: &mut Current<S>, k: &Complex<S>, x: &Current<S>) {
    axpy(acc, k, x)
}

/// ψ̄ k̸ for a row spinor (the form of [`helicity::bar`]).
#[inline]
pub fn row_slash<S: Scalar>(r: &Current<S>, k: &CVector<S>) -> Current<S> {
    let [k0, kx, ky, kz] = k.clone();
    let kp = kx.clone() + ky.mul_i();
    let km = kx - ky.mul_i();
    [
        r[2].clone() * (k0.clone() + kz.clone()) + r[3].clone() * kp.clone(),
        r[2].clone() * km.clone() + r[3].clone() * (k0.clone() - kz.clone()),
        r[0].clone() * (k0.clone() - kz.clone()) - r[1].clone() * kp,
        -(r[0].clone() * km) + r[1].clone() * (k0 + kz),
    ]
}

/// ψ̄ (c_L P_L + c_R P_R) for a row spinor.
#[inline]
fn row_chiral<S: Scalar>(r: &Current<S>, cl: &Complex<S>, cr: &Complex<S>) -> Current<S> {
    [
        r[0].clone() * cl.clone(),
        r[1].clone() * cl.clone(),
        r[2].clone() * cr.clone(),
        r[3].clone() * cr.clone(),
    ]
}

/// Fermion–fermion–vector, column output: V̸ (c_L P_L + c_R P_R) ψ.
#[inline]
pub fn ffv_col<S: Scalar>(psi: &Current<S>, v: &Current<S>, c: &[Complex<S>; 2]) -> Current<S> {
    helicity::slash(v, &helicity::chiral(&c[0], &c[1], psi))
}

/// Fermion–fermion–vector, row output: ψ̄ V̸ (c_L P_L + c_R P_R).
#[inline]
pub fn ffv_row<S: Scalar>(r: &Current<S>, v: &Current<S>, c: &[Complex<S>; 2]) -> Current<S> {
    row_chiral(&row_slash(r, v), &c[0], &c[1])
}

/// Fermion–fermion–vector, vector output: ψ̄ γ^μ (c_L P_L + c_R P_R) ψ.
#[inline]
pub fn ffv_vec<S: Scalar>(r: &Current<S>, psi: &Current<S>, c: &[Complex<S>; 2]) -> Current<S> {
    helicity::current(r, psi, &c[0], &c[1])
}

/// Fermion–fermion–scalar, column output: φ (c_L P_L + c_R P_R) ψ.
#[inline]
pub fn ffs_col<S: Scalar>(psi: &Current<S>, s: &Current<S>, c: &[Complex<S>; 2]) -> Current<S> {
    let ch = helicity::chiral(&c[0], &c[1], psi);
    map(&ch, |x| x.clone() * s[0].clone())
}

/// Fermion–fermion–scalar, row output: φ ψ̄ (c_L P_L + c_R P_R).
#[inline]
pub fn ffs_row<S: Scalar>(r: &Current<S>, s: &Current<S>, c: &[Complex<S>; 2]) -> Current<S> {
    map(&row_chiral(r, &c[0], &c[1]), |x| x.clone() * s[0].clone())
}

/// Fermion–fermion–scalar, scalar output: ψ̄ (c_L P_L + c_R P_R) ψ.
#[inline]
pub fn ffs_scalar<S: Scalar>(r: &Current<S>, psi: &Current<S>, c: &[Complex<S>; 2]) -> Current<S> {
    scalar(helicity::dot(r, &helicity::chiral(&c[0], &c[1], psi)))
}

/// A scalar current.
#[inline]
pub fn scalar<S: Scalar>(x: Complex<S>) -> Current<S> {
    [x, Complex::zero(), Complex::zero(), Complex::zero()]
}

#[inline]
fn cmom<S: Scalar>(k: &[S; 4]) -> Current<S> {
    [
        Complex::real(k[0].clone()),
        Complex::real(k[1].clone()),
        Complex::real(k[2].clone()),
        Complex::real(k[3].clone()),
    ]
}

/// Three vectors (legs 1, 2 in, leg 3 out, momenta k₁, k₂ in, k₃ = −k₁ − k₂):
/// C [(J₁·J₂)(k₁ − k₂)^ρ + J₂^ρ (k₂ − k₃)·J₁ + J₁^ρ (k₃ − k₁)·J₂].
#[inline]
pub fn vvv<S: Scalar>(
    j1: &Current<S>,
    k1: &[S; 4],
    j2: &Current<S>,
    k2: &[S; 4],
    c: &Complex<S>,
) -> Current<S> {
    let d = |a: &[S; 4], b: &[S; 4], x: f64, y: f64| -> [S; 4] {
        std::array::from_fn(|m| a[m].clone() * x + b[m].clone() * y)
    };
    let k12 = cmom(&d(k1, k2, 1.0, -1.0));
    let k23 = cmom(&d(k1, k2, 1.0, 2.0)); // k₂ − k₃ = k₁ + 2k₂
    let k31 = cmom(&d(k1, k2, -2.0, -1.0)); // k₃ − k₁ = −2k₁ − k₂
    let a = helicity::mdot(j1, j2);
    let b = helicity::mdot(&k23, j1);
    let e = helicity::mdot(&k31, j2);
    let mut out = map(&k12, |x| x.clone() * a.clone());
    axpy(&mut out, &b, j2);
    axpy(&mut out, &e, j1);
    map(&out, |x| x.clone() * c.clone())
}

/// Four electroweak vectors, legs 1–3 in and 4 out, with the coefficients `f` of
/// (g₁₃g₂₄ − g₁₄g₂₃), (g₁₂g₃₄ − g₁₄g₂₃), (g₁₂g₃₄ − g₁₃g₂₄).
#[inline]
pub fn vvvv<S: Scalar>(j: [&Current<S>; 3], f: &[Complex<S>; 3]) -> Current<S> {
    let d12 = helicity::mdot(j[0], j[1]);
    let d13 = helicity::mdot(j[0], j[2]);
    let d23 = helicity::mdot(j[1], j[2]);
    let mut out = zero();
    // J₂ (f₁ d₁₃ − f₃ d₁₃) + J₁ (−f₁ d₂₃ − f₂ d₂₃) + J₃ (f₂ d₁₂ + f₃ d₁₂)
    axpy(&mut out, &((f[0].clone() - f[2].clone()) * d13), j[1]);
    axpy(&mut out, &(-((f[0].clone() + f[1].clone()) * d23)), j[0]);
    axpy(&mut out, &((f[1].clone() + f[2].clone()) * d12), j[2]);
    out
}

/// The colour-ordered four-gluon vertex, order (1, 2, 3, out): C [2(J₁·J₃)J₂ − (J₂·J₃)J₁ − (J₁·J₂)J₃].
#[inline]
pub fn gluon4<S: Scalar>(j: [&Current<S>; 3], c: &Complex<S>) -> Current<S> {
    let d12 = helicity::mdot(j[0], j[1]);
    let d13 = helicity::mdot(j[0], j[2]);
    let d23 = helicity::mdot(j[1], j[2]);
    let mut out = zero();
    axpy(&mut out, &(d13.scale_f64(2.0) * c.clone()), j[1]);
    axpy(&mut out, &(-(d23 * c.clone())), j[0]);
    axpy(&mut out, &(-(d12 * c.clone())), j[2]);
    out
}

/// Vector–vector–scalar with a scalar out: C J₁·J₂ (times φ for a second scalar input).
#[inline]
pub fn vv_scalar<S: Scalar>(
    j1: &Current<S>,
    j2: &Current<S>,
    phi: Option<&Current<S>>,
    c: &Complex<S>,
) -> Current<S> {
    let mut x = helicity::mdot(j1, j2) * c.clone();
    if let Some(p) = phi {
        x = x * p[0].clone();
    }
    scalar(x)
}

/// Vector–scalar(s) with a vector out: C φ₁ (φ₂) J.
#[inline]
pub fn vs_vector<S: Scalar>(
    j: &Current<S>,
    phi1: &Current<S>,
    phi2: Option<&Current<S>>,
    c: &Complex<S>,
) -> Current<S> {
    let mut k = phi1[0].clone() * c.clone();
    if let Some(p) = phi2 {
        k = k * p[0].clone();
    }
    map(j, |x| x.clone() * k.clone())
}

/// Vector–scalar–scalar [V, S_a, S_b] (rule K (p_a − p_b)^μ), vector out: inputs S_a, S_b with
/// incoming momenta k_a, k_b: K (k_a − k_b)^μ φ_a φ_b.
#[inline]
pub fn ss_vector<S: Scalar>(
    phi_a: &Current<S>,
    k_a: &[S; 4],
    phi_b: &Current<S>,
    k_b: &[S; 4],
    c: &Complex<S>,
) -> Current<S> {
    let k = phi_a[0].clone() * phi_b[0].clone() * c.clone();
    let d: [S; 4] = std::array::from_fn(|m| k_a[m].clone() - k_b[m].clone());
    map(&cmom(&d), |x| x.clone() * k.clone())
}

/// Vector–scalar–scalar [V, S_a, S_b], S_a out: inputs V (momentum k_v) and S_b (k_b), so that
/// p_a = −k_v − k_b and the rule gives K (−k_v − 2k_b)·J φ_b. (For S_b out the program negates
/// this term: K (p_a − p_b) = −K (p_b − p_a).)
#[inline]
pub fn vs_scalar<S: Scalar>(
    j: &Current<S>,
    k_v: &[S; 4],
    phi: &Current<S>,
    k_s: &[S; 4],
    c: &Complex<S>,
) -> Current<S> {
    let d: [S; 4] = std::array::from_fn(|m| -(k_v[m].clone() + k_s[m].clone() * 2.0));
    scalar(helicity::mdot(&cmom(&d), j) * phi[0].clone() * c.clone())
}

/// Scalars only: C φ₁ φ₂ (φ₃).
#[inline]
pub fn scalars<S: Scalar>(phi: &[&Current<S>], c: &Complex<S>) -> Current<S> {
    let mut x = c.clone();
    for p in phi {
        x = x * p[0].clone();
    }
    scalar(x)
}

/// Kind of a propagating line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A current that emits a fermion (column spinor).
    Column,
    /// A current that emits an antifermion (row spinor).
    Row,
    /// A vector boson.
    Vector,
    /// A scalar.
    Scalar,
}

/// i / (P² − μ²) with the pole μ² = m² − i m Γ (the denominator of every propagator, factor i
/// included).
#[inline]
pub fn denominator<S: Scalar>(p: &[S; 4], pole2: &Complex<S>) -> Complex<S> {
    let p2 = p[0].clone() * p[0].clone()
        - p[1].clone() * p[1].clone()
        - p[2].clone() * p[2].clone()
        - p[3].clone() * p[3].clone();
    let d = Complex::new(p2 - pole2.re.clone(), -pole2.im.clone());
    Complex::i() * d.recip()
}

/// Apply the propagator of a line of momentum `p` (flowing out of the current), numerator mass
/// `m` (real, or complex in the complex-mass scheme), given the value `den` of [`denominator`]:
/// fermions i(P̸ + m), antifermions i(−P̸ + m) on the row, massless vectors −i g^{μν}/P²
/// (Feynman gauge), massive vectors the unitary-gauge −i(g^{μν} − P^μP^ν/m²), scalars i.
#[inline]
pub fn propagate<S: Scalar>(
    kind: LineKind,
    x: &Current<S>,
    p: &[S; 4],
    m: &Complex<S>,
    massive: bool,
    den: &Complex<S>,
) -> Current<S> {
    let pc = cmom(p);
    let out = match kind {
        LineKind::Column => {
            let mut y = helicity::slash(&pc, x);
            if massive {
                axpy(&mut y, m, x);
            }
            y
        }
        LineKind::Row => {
            let mut y = map(&row_slash(x, &pc), |z| -z.clone());
            if massive {
                axpy(&mut y, m, x);
            }
            y
        }
        LineKind::Vector => {
            // −(g − PP/m²) J: the i of −i g sits in `den`.
            let mut y = map(x, |z| -z.clone());
            if massive {
                let k = helicity::mdot(&pc, x) * (m.clone() * m.clone()).recip();
                axpy(&mut y, &k, &pc);
            }
            y
        }
        LineKind::Scalar => x.clone(),
    };
    map(&out, |z| z.clone() * den.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(seed: f64) -> Current<f64> {
        std::array::from_fn(|i| {
            Complex::new(
                (seed * (i as f64 + 1.0)).sin(),
                (seed * (2.0 * i as f64 + 3.0)).cos(),
            )
        })
    }

    #[test]
    fn row_slash_is_the_transpose_of_slash() {
        // ψ̄ (k̸ χ) = (ψ̄ k̸) χ for arbitrary row ψ̄, column χ and complex k.
        let (r, chi, k) = (cur(0.3), cur(1.1), cur(2.3));
        let a = helicity::dot(&r, &helicity::slash(&k, &chi));
        let b = helicity::dot(&row_slash(&r, &k), &chi);
        assert!((a.re - b.re).abs() < 1e-14 && (a.im - b.im).abs() < 1e-14);
    }

    #[test]
    fn three_vector_structure_is_antisymmetric_and_transverse_in_its_rule() {
        let (j1, j2) = (cur(0.7), cur(1.9));
        let (k1, k2) = ([3.0, 1.0, -2.0, 0.5], [2.0, -0.5, 1.0, 1.5]);
        let c = Complex::new(0.2, -1.0);
        let a = vvv(&j1, &k1, &j2, &k2, &c);
        let b = vvv(&j2, &k2, &j1, &k1, &c);
        for m in 0..4 {
            assert!((a[m].re + b[m].re).abs() < 1e-13 && (a[m].im + b[m].im).abs() < 1e-13);
        }
        // Cyclic symmetry of the full vertex: ε₃·V(ε₁, ε₂) = ε₁·V(ε₂, ε₃) with k₃ = −k₁ − k₂.
        let j3 = cur(2.9);
        let k3 = [-5.0, -0.5, 1.0, -2.0];
        let lhs = helicity::mdot(&j3, &a);
        let rhs = helicity::mdot(&j1, &vvv(&j2, &k2, &j3, &k3, &c));
        assert!((lhs.re - rhs.re).abs() < 1e-12 && (lhs.im - rhs.im).abs() < 1e-12);
    }
}
