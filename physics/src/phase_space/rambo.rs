//! The flat n-body map [`PhaseSpace`]: RAMBO on diet for massless momenta and the RAMBO
//! rescaling to masses (method and references in the [module doc](super)).

use std::f64::consts::PI;

use diffhep::{RealScalar, Scalar};

use super::kinematics::{
    boost_from_rest, direction, direction_inverse, newton_polish, to_rest_frame,
};
use super::point::{
    check_cm_frame, check_mass, check_on_shell, check_unit, PhaseSpaceError, Point,
};
use crate::lorentz::FourVector;

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
        Point::checked(momenta, log_weight)
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
