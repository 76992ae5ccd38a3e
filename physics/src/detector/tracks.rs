//! Charged-particle tracks in perigee form, straight-line and helix models, impact parameters with
//! respect to any point.
//!
//! # Parameters and conventions
//! A track is described at its *perigee* — the point of closest approach in the transverse (x, y)
//! plane to the reference point (here the origin) — by five parameters (the ATLAS perigee
//! convention, ATLAS Collaboration, *JINST* 3 (2008) S08003; the local parametrisation near a
//! vertex follows P. Billoir, S. Qian, *NIM A* 311 (1992) 139):
//!
//! | index | name | meaning |
//! | --- | --- | --- |
//! | [`D0`] | `d0` | signed transverse impact parameter (mm); the perigee point is `(−d0 sin φ, d0 cos φ)` |
//! | [`Z0`] | `z0` | z of the perigee point (mm) |
//! | [`PHI`] | `φ` | azimuth of the momentum at the perigee |
//! | [`THETA`] | `θ` | polar angle of the momentum, in (0, π) |
//! | [`QOP`] | `q/p` | charge over momentum (1/GeV) |
//!
//! with a symmetric positive definite 5×5 covariance.
//!
//! Models ([`TrackModel`]): a **straight line** (q/p is carried but unused), or a **helix** in a
//! uniform field `B_z`: transverse curvature `ρ = −c B_z (q/p) / sin θ` with
//! `c = 0.299792458·10⁻³ GeV/(T·mm)` (positive charges turn clockwise seen from +z for `B_z > 0`),
//! the transverse arc length `s` as path parameter and `z = z0 + s cot θ`.
//!
//! # Impact parameters with respect to a point
//! [`Track::impact`] re-expresses the track's perigee with respect to a point `v`: the transverse
//! and longitudinal impact parameters `ε = (d0(v), z0(v))`, the arc length `s` from the perigee
//! to the new point of closest approach (PCA), and `A = ∂ε/∂v` (exact, used by the vertex fit).
//! `ε = 0` exactly when the track passes through `v`. The covariance of `ε` is the 5×5 covariance
//! transported with the straight-line Jacobian `J = ∂ε/∂(d0, z0, φ, θ, q/p)`
//! ([`Track::impact_covariance`]); for a helix this neglects terms of relative order `s/R`
//! (`≲10⁻²` for mm displacements and metre radii), the usual linearisation of vertex fitters.
//!
//! Everything is generic over [`RealScalar`], so impact parameters, their Jacobians and the
//! vertex fit built on them can be differentiated with dual numbers or on the tape.

// Index loops mirror the matrix formulas.
#![allow(clippy::needless_range_loop)]

use diffhep::RealScalar;

/// Index of `d0` in the parameter vector.
pub const D0: usize = 0;
/// Index of `z0`.
pub const Z0: usize = 1;
/// Index of `φ`.
pub const PHI: usize = 2;
/// Index of `θ`.
pub const THETA: usize = 3;
/// Index of `q/p`.
pub const QOP: usize = 4;

/// `c` in GeV/(T·mm): a unit charge with transverse momentum `p_T` (GeV) in a field `B` (T)
/// moves on a circle of radius `p_T / (c B)` mm.
pub const C_LIGHT: f64 = 0.299_792_458e-3;

/// Trajectory model of a track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrackModel {
    /// A straight line (no field); q/p is ignored.
    StraightLine,
    /// A helix in a uniform field along z.
    Helix {
        /// Field `B_z` in tesla (non-zero).
        bz: f64,
    },
}

/// Invalid track input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrackError {
    /// A parameter or covariance entry is NaN or infinite.
    #[error("track {what} {index} is {value}")]
    NonFinite {
        /// `"parameter"` or `"covariance"`.
        what: &'static str,
        /// Flat index (row-major for the covariance).
        index: usize,
        /// The value.
        value: f64,
    },
    /// θ outside the open interval (0, π).
    #[error("track θ = {value} is outside (0, π)")]
    ThetaOutOfRange {
        /// The value.
        value: f64,
    },
    /// A helix needs a non-zero field and non-zero q/p.
    #[error("helix needs non-zero field and q/p (B_z = {bz} T, q/p = {qop} 1/GeV)")]
    ZeroCurvature {
        /// Field in tesla.
        bz: f64,
        /// q/p in 1/GeV.
        qop: f64,
    },
    /// The covariance is not symmetric.
    #[error(
        "track covariance not symmetric: C[{row}][{col}] = {upper} but C[{col}][{row}] = {lower}"
    )]
    CovarianceNotSymmetric {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// `C[row][col]`.
        upper: f64,
        /// `C[col][row]`.
        lower: f64,
    },
    /// The covariance is not positive definite (Cholesky pivot `index` is `pivot ≤ 0`).
    #[error("track covariance not positive definite: Cholesky pivot {index} is {pivot}")]
    CovarianceNotPositiveDefinite {
        /// Index of the failing pivot.
        index: usize,
        /// The pivot.
        pivot: f64,
    },
}

/// A track: perigee parameters, their covariance and the trajectory model.
#[derive(Clone, Debug)]
pub struct Track<S> {
    /// `(d0, z0, φ, θ, q/p)`, indexed by [`D0`], [`Z0`], [`PHI`], [`THETA`], [`QOP`].
    pub params: [S; 5],
    /// Covariance of the parameters (symmetric positive definite).
    pub cov: [[S; 5]; 5],
    /// Trajectory model.
    pub model: TrackModel,
}

/// Impact parameters of a track with respect to a point `v`.
#[derive(Clone, Debug)]
pub struct Impact<S> {
    /// `(d0(v), z0(v))`: signed transverse distance and z offset of the PCA relative to `v`.
    pub eps: [S; 2],
    /// Transverse arc length from the perigee to the PCA.
    pub s: S,
    /// `∂ε/∂v` (2×3).
    pub dv: [[S; 3]; 2],
}

impl<S: RealScalar> Track<S> {
    /// A validated track: finite entries, θ in (0, π), non-zero curvature for a helix, a symmetric
    /// (to 10⁻¹⁰ relative) positive definite covariance.
    pub fn new(params: [S; 5], cov: [[S; 5]; 5], model: TrackModel) -> Result<Self, TrackError> {
        let t = Track { params, cov, model };
        t.validate()?;
        Ok(t)
    }

    /// Check the conditions of [`Track::new`] (useful after editing the fields).
    pub fn validate(&self) -> Result<(), TrackError> {
        for (index, p) in self.params.iter().enumerate() {
            if !p.value().is_finite() {
                return Err(TrackError::NonFinite {
                    what: "parameter",
                    index,
                    value: p.value(),
                });
            }
        }
        let th = self.params[THETA].value();
        if !(th > 0.0 && th < std::f64::consts::PI) {
            return Err(TrackError::ThetaOutOfRange { value: th });
        }
        if let TrackModel::Helix { bz } = self.model {
            let qop = self.params[QOP].value();
            if bz == 0.0 || qop == 0.0 || !bz.is_finite() {
                return Err(TrackError::ZeroCurvature { bz, qop });
            }
        }
        let c: [[f64; 5]; 5] =
            std::array::from_fn(|i| std::array::from_fn(|j| self.cov[i][j].value()));
        for i in 0..5 {
            for j in 0..5 {
                if !c[i][j].is_finite() {
                    return Err(TrackError::NonFinite {
                        what: "covariance",
                        index: 5 * i + j,
                        value: c[i][j],
                    });
                }
            }
        }
        for i in 0..5 {
            for j in (i + 1)..5 {
                let scale = (c[i][i] * c[j][j]).abs().sqrt();
                if (c[i][j] - c[j][i]).abs() > 1e-10 * scale {
                    return Err(TrackError::CovarianceNotSymmetric {
                        row: i,
                        col: j,
                        upper: c[i][j],
                        lower: c[j][i],
                    });
                }
            }
        }
        // Cholesky–Banachiewicz on the values.
        let mut l = [[0.0f64; 5]; 5];
        for i in 0..5 {
            for j in 0..=i {
                let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
                if i == j {
                    let pivot = c[i][i] - s;
                    if pivot <= 0.0 {
                        return Err(TrackError::CovarianceNotPositiveDefinite { index: i, pivot });
                    }
                    l[i][i] = pivot.sqrt();
                } else {
                    l[i][j] = (c[i][j] - s) / l[j][j];
                }
            }
        }
        Ok(())
    }

    /// Signed transverse curvature `ρ` (1/mm); 0 for a straight line.
    pub fn curvature(&self) -> S {
        match self.model {
            TrackModel::StraightLine => S::zero(),
            TrackModel::Helix { bz } => {
                self.params[QOP].clone() * (-C_LIGHT * bz) / self.params[THETA].sin()
            }
        }
    }

    /// Position after a transverse arc length `s` from the perigee point.
    pub fn position_at(&self, s: &S) -> [S; 3] {
        let [d0, z0, phi, theta, _] = &self.params;
        let (sp, cp) = (phi.sin(), phi.cos());
        let z = z0.clone() + s.clone() * theta.cos() / theta.sin();
        match self.model {
            TrackModel::StraightLine => [
                -d0.clone() * sp.clone() + s.clone() * cp.clone(),
                d0.clone() * cp + s.clone() * sp,
                z,
            ],
            TrackModel::Helix { .. } => {
                // sin(φ + ρs) − sin φ = 2 cos(φ + ρs/2) sin(ρs/2), and likewise for cos, so
                // that nothing of size R cancels.
                let half = self.curvature() * s.clone() * 0.5;
                let mid = phi.clone() + half.clone();
                let chord = half.sin() / half.clone() * s.clone();
                let (chord, mid) = if half.value() == 0.0 {
                    (s.clone(), phi.clone())
                } else {
                    (chord, mid)
                };
                [
                    -d0.clone() * sp + chord.clone() * mid.cos(),
                    d0.clone() * cp + chord * mid.sin(),
                    z,
                ]
            }
        }
    }

    /// Impact parameters with respect to `v`, the arc length to the PCA and `∂ε/∂v`.
    pub fn impact(&self, v: &[S; 3]) -> Impact<S> {
        self.prepare().impact(v)
    }

    /// The transverse point of closest approach to `v` (perigee convention) and its 3-D distance
    /// from `v`.
    pub fn closest_approach(&self, v: &[S; 3]) -> ([S; 3], S) {
        let imp = self.impact(v);
        let p = self.position_at(&imp.s);
        let dx = p[0].clone() - v[0].clone();
        let dy = p[1].clone() - v[1].clone();
        let dz = p[2].clone() - v[2].clone();
        let dist = (dx.clone() * dx + dy.clone() * dy + dz.clone() * dz).sqrt();
        (p, dist)
    }

    /// Jacobian `∂ε/∂(d0, z0, φ, θ, q/p)` (2×5) at `v` with arc length `s` (straight-line
    /// transport, see the [module documentation](self)).
    pub fn transport_jacobian(&self, v: &[S; 3], s: &S) -> [[S; 5]; 2] {
        self.prepare().transport_jacobian(v, s)
    }

    /// Covariance of `ε` at `v`: `J C Jᵀ` with `J` from [`Track::transport_jacobian`]. Only the
    /// upper triangle of `C` is read (the covariance is symmetric).
    pub fn impact_covariance(&self, v: &[S; 3], s: &S) -> [[S; 2]; 2] {
        self.prepare().impact_covariance(v, s)
    }

    /// The direction's trigonometry and the helix radius evaluated once, for repeated
    /// impact-parameter evaluations (the iterations of a vertex fit).
    pub fn prepare(&self) -> Prepared<'_, S> {
        let phi = &self.params[PHI];
        let theta = &self.params[THETA];
        let st = theta.sin();
        let (r, sg) = match self.model {
            TrackModel::StraightLine => (S::zero(), 0.0),
            TrackModel::Helix { .. } => {
                let r = self.curvature().recip();
                let sg = if r.value() > 0.0 { 1.0 } else { -1.0 };
                (r, sg)
            }
        };
        Prepared {
            track: self,
            sp: phi.sin(),
            cp: phi.cos(),
            cot: theta.cos() / st.clone(),
            st,
            r,
            sg,
        }
    }
}

/// A track with `sin φ`, `cos φ`, `sin θ`, `cot θ` and the signed helix radius precomputed
/// ([`Track::prepare`]).
#[derive(Clone, Debug)]
pub struct Prepared<'a, S> {
    track: &'a Track<S>,
    sp: S,
    cp: S,
    st: S,
    cot: S,
    r: S,
    sg: f64,
}

impl Prepared<'_, f64> {
    /// The same precomputed geometry as constants of another number type, for `track` (which
    /// must have the same values, e.g. the `f64` track with dual-number parameters or a vertex
    /// in dual numbers): avoids re-evaluating the trigonometry.
    pub fn lift<'b, D: RealScalar>(&self, track: &'b Track<D>) -> Prepared<'b, D> {
        Prepared {
            track,
            sp: D::from_f64(self.sp),
            cp: D::from_f64(self.cp),
            st: D::from_f64(self.st),
            cot: D::from_f64(self.cot),
            r: D::from_f64(self.r),
            sg: self.sg,
        }
    }
}

impl Prepared<'_, f64> {
    /// Like [`Prepared::lift`], for a `track` whose parameters carry *first-order* tangents
    /// (first-order dual numbers, tape variables) around this track's values: `sin φ`, `cos φ`,
    /// `sin θ`, `cot θ` and the radius are expanded to first order, which is exact for such
    /// numbers and avoids evaluating the trigonometry in `D`. Not for second-order duals.
    pub fn lift_first_order<'b, D: RealScalar>(&self, track: &'b Track<D>) -> Prepared<'b, D> {
        let base = &self.track.params;
        let dphi = track.params[PHI].clone() - base[PHI];
        let dth = track.params[THETA].clone() - base[THETA];
        let cos_th = self.cot * self.st;
        let r = match track.model {
            TrackModel::StraightLine => D::zero(),
            // R = −sin θ / (c B q/p): ∂R/∂θ = R cot θ, ∂R/∂(q/p) = −R/(q/p).
            TrackModel::Helix { .. } => {
                let dq = track.params[QOP].clone() - base[QOP];
                dth.clone() * (self.r * self.cot) - dq * (self.r / base[QOP]) + self.r
            }
        };
        Prepared {
            track,
            sp: dphi.clone() * self.cp + self.sp,
            cp: dphi * (-self.sp) + self.cp,
            st: dth.clone() * cos_th + self.st,
            cot: dth * (-1.0 / (self.st * self.st)) + self.cot,
            r,
            sg: self.sg,
        }
    }
}

impl<S: RealScalar> Prepared<'_, S> {
    /// The track.
    pub fn track(&self) -> &Track<S> {
        self.track
    }

    /// As [`Track::impact`].
    pub fn impact(&self, v: &[S; 3]) -> Impact<S> {
        let [d0, z0, ..] = &self.track.params;
        let (sp, cp, cot) = (&self.sp, &self.cp, &self.cot);
        let [vx, vy, vz] = v;
        let t = vx.clone() * sp.clone() - vy.clone() * cp.clone();
        let c = vx.clone() * cp.clone() + vy.clone() * sp.clone();
        match self.track.model {
            TrackModel::StraightLine => {
                let z = z0.clone() + c.clone() * cot.clone() - vz.clone();
                Impact {
                    eps: [d0.clone() + t, z],
                    s: c,
                    dv: [
                        [sp.clone(), -cp.clone(), S::zero()],
                        [
                            cp.clone() * cot.clone(),
                            sp.clone() * cot.clone(),
                            S::from_f64(-1.0),
                        ],
                    ],
                }
            }
            TrackModel::Helix { .. } => {
                let (r, sg) = (&self.r, self.sg);
                let k = d0.clone() + r.clone();
                // Offset of v from the circle's centre (−k sin φ, k cos φ).
                let dx = vx.clone() + k.clone() * sp.clone();
                let dy = vy.clone() - k.clone() * cp.clone();
                let dist = dx.hypot(&dy);
                // d0(v) = sg·|v − centre| − R, written without the cancellation of two numbers
                // of size R: |v − c|² − R² = |v|² + d0 (d0 + 2R) + 2k (vx sin φ − vy cos φ).
                let num = vx.clone() * vx.clone()
                    + vy.clone() * vy.clone()
                    + d0.clone() * (d0.clone() + r.clone() * 2.0)
                    + k.clone() * t.clone() * 2.0;
                let d = num / (dist.clone() + r.abs()) * sg;
                // Turning angle from the perigee to the PCA: atan2(sin Δφ, cos Δφ) with
                // sg·(sin Δφ, cos Δφ) ∝ (vx cos φ + vy sin φ, vx sin φ − vy cos φ + k).
                let c = c * sg;
                let e = (t + k) * sg;
                let dphi = c.atan2(&e);
                let s = r.clone() * dphi;
                let z = z0.clone() + s.clone() * cot.clone() - vz.clone();
                let inv_d2 = (dist.clone() * dist.clone()).recip() * sg;
                let dphi_dx = (e.clone() * cp.clone() - c.clone() * sp.clone()) * inv_d2.clone();
                let dphi_dy = (e * sp.clone() + c * cp.clone()) * inv_d2;
                let rc = r.clone() * cot.clone();
                let inv_dist = dist.recip() * sg;
                Impact {
                    eps: [d, z],
                    s,
                    dv: [
                        [dx * inv_dist.clone(), dy * inv_dist, S::zero()],
                        [rc.clone() * dphi_dx, rc * dphi_dy, S::from_f64(-1.0)],
                    ],
                }
            }
        }
    }

    /// The two non-trivial entries `(∂z0(v)/∂φ, ∂z0(v)/∂θ)` of the transport Jacobian; the
    /// others are `∂d0(v)/∂(d0, φ) = (1, s)` and `∂z0(v)/∂z0 = 1`.
    pub(crate) fn transport_ab(&self, v: &[S; 3], s: &S) -> (S, S) {
        let ds_dphi = v[1].clone() * self.cp.clone() - v[0].clone() * self.sp.clone();
        (
            ds_dphi * self.cot.clone(),
            -s.clone() / (self.st.clone() * self.st.clone()),
        )
    }

    /// As [`Track::transport_jacobian`].
    pub fn transport_jacobian(&self, v: &[S; 3], s: &S) -> [[S; 5]; 2] {
        let (a, b) = self.transport_ab(v, s);
        let z = S::zero();
        [
            [S::one(), z.clone(), s.clone(), z.clone(), z.clone()],
            [z.clone(), S::one(), a, b, z],
        ]
    }

    /// As [`Track::impact_covariance`], exploiting the sparsity of `J`.
    pub fn impact_covariance(&self, v: &[S; 3], s: &S) -> [[S; 2]; 2] {
        let (a, b) = self.transport_ab(v, s);
        self.impact_covariance_ab(s, a, b)
    }

    /// `J C Jᵀ` from the arc length and the entries of [`Prepared::transport_ab`].
    pub(crate) fn impact_covariance_ab(&self, s: &S, a: S, b: S) -> [[S; 2]; 2] {
        let c = &self.track.cov;
        let s00 =
            c[0][0].clone() + (c[0][2].clone() * 2.0 + c[2][2].clone() * s.clone()) * s.clone();
        let s01 = c[0][1].clone()
            + a.clone() * c[0][2].clone()
            + b.clone() * c[0][3].clone()
            + s.clone()
                * (c[1][2].clone() + a.clone() * c[2][2].clone() + b.clone() * c[2][3].clone());
        let s11 = c[1][1].clone()
            + a.clone() * (c[1][2].clone() * 2.0 + a.clone() * c[2][2].clone())
            + b.clone()
                * (c[1][3].clone() * 2.0 + a * c[2][3].clone() * 2.0 + b.clone() * c[3][3].clone());
        [[s00, s01.clone()], [s01, s11]]
    }
}

/// Perigee parameters `(d0, z0, φ, θ, q/p)` of the track that passes through `point` with
/// momentum direction `(phi, theta)` there and charge over momentum `qop`.
///
/// For a helix the azimuth at the perigee differs from `phi` by the turning angle; the perigee is
/// taken on the arc with `|d0| < R`.
pub fn perigee_through(
    point: [f64; 3],
    phi: f64,
    theta: f64,
    qop: f64,
    model: TrackModel,
) -> [f64; 5] {
    let [px, py, pz] = point;
    let cot = theta.cos() / theta.sin();
    match model {
        TrackModel::StraightLine => {
            let d0 = -px * phi.sin() + py * phi.cos();
            let s = px * phi.cos() + py * phi.sin();
            [d0, pz - s * cot, phi, theta, qop]
        }
        TrackModel::Helix { bz } => {
            let r = -theta.sin() / (C_LIGHT * bz * qop);
            let cx = px - r * phi.sin();
            let cy = py + r * phi.cos();
            let dist = cx.hypot(cy);
            let k = r.signum() * dist;
            let phi0 = (-cx / k).atan2(cy / k);
            // d0 = sg(|C| − |R|) with |C|² − R² = |P|² + 2R (py cos φ − px sin φ), no cancellation.
            let d0 = r.signum() * (px * px + py * py + 2.0 * r * (py * phi.cos() - px * phi.sin()))
                / (dist + r.abs());
            let mut dphi = phi - phi0;
            dphi = dphi.sin().atan2(dphi.cos());
            [d0, pz - r * dphi * cot, phi0, theta, qop]
        }
    }
}

#[cfg(test)]
mod tests;
