//! Weighted vertex fit of tracks, differentiable with respect to everything that enters it.
//!
//! # The fit
//! For a vertex candidate `v`, each track `i` gives impact parameters `εᵢ(v)` (transverse and
//! longitudinal, see [`crate::detector::tracks::Track::impact`]) with covariance `Σᵢ(v) = Jᵢ Cᵢ Jᵢᵀ`
//! transported from the track's 5×5 covariance `Cᵢ`. The fit minimises the weighted
//!
//! ```text
//! χ²(v) = Σᵢ wᵢ εᵢ(v)ᵀ Wᵢ εᵢ(v),      Wᵢ = Σᵢ⁻¹,  wᵢ ≥ 0
//! ```
//!
//! by Gauss–Newton (Billoir) iterations: with `Aᵢ = ∂εᵢ/∂v` and the weight matrices evaluated
//! at the current estimate,
//!
//! ```text
//! v ← v − M⁻¹ F(v),   F(v) = Σᵢ wᵢ Aᵢᵀ Wᵢ εᵢ,   M = Σᵢ wᵢ Aᵢᵀ Wᵢ Aᵢ
//! ```
//!
//! until the step is below [`FitConfig::tol`]. The solution is the root of `F(v; θ) = 0` with the
//! weight matrices at the solution — the Billoir–Qian vertex fit with the track momenta held at
//! their measured values (P. Billoir, S. Qian, *NIM A* 311 (1992) 139; R. Frühwirth, *NIM A* 262
//! (1987) 444). `M⁻¹` is the vertex covariance, `χ²` the value above and `ndf = 2 Σᵢ wᵢ − 3`
//! (the adaptive-fit convention, W. Waltenberger, R. Frühwirth, P. Vanlaer, *J. Phys. G* 34
//! (2007) N343). The per-track weights make the fit a soft selection: a network can output
//! them and learn through the fit (NDIVE: R. Smith et al., arXiv:2310.12804).
//!
//! [`fit`] is generic over [`RealScalar`]: run it on `f64` for production, or on tape variables
//! or dual numbers to differentiate the unrolled iterations (a cross-check). The efficient
//! derivatives come from the implicit function theorem ([`derivatives`], [`fit_on_tape`],
//! [`fit_forward`]): the iterations run once in `f64`, derivatives are evaluated only at the
//! solution.

// Index loops mirror the matrix formulas.
#![allow(clippy::needless_range_loop)]

mod gradient;
mod small;

pub use gradient::{
    derivatives, fit_forward, fit_on_tape, fit_with_derivatives, TapeVertex, VertexCotangent,
    VertexDerivatives, VertexJacobian, VertexSystem, Wrt, COV_ENTRIES,
};

use diffhep::implicit::ImplicitError;
use diffhep::RealScalar;

use crate::detector::tracks::{Prepared, Track, TrackError};
use small::{cholesky3, cholesky_inverse3, cholesky_solve3, inverse2};

/// Convergence settings of the vertex fit.
#[derive(Clone, Debug)]
pub struct FitConfig {
    /// Stop when the largest component of the Newton step is below this (mm).
    pub tol: f64,
    /// Give up after this many iterations.
    pub max_iter: usize,
    /// Starting point (mm).
    pub start: [f64; 3],
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            tol: 1e-9,
            max_iter: 50,
            start: [0.0; 3],
        }
    }
}

/// Result of a vertex fit.
#[derive(Clone, Debug)]
pub struct VertexFit<S> {
    /// Fitted vertex (mm).
    pub position: [S; 3],
    /// Vertex covariance `M⁻¹` (mm²).
    pub covariance: [[S; 3]; 3],
    /// `χ²` at the vertex.
    pub chi2: S,
    /// Number of degrees of freedom, `2 Σ wᵢ − 3`.
    pub ndf: S,
    /// Iterations used.
    pub iterations: usize,
}

/// Why a vertex fit failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VertexError {
    /// Numbers of tracks and weights differ.
    ///
    /// Not a [`diffhep::error::DimensionMismatch`]: its message reads "{tracks} tracks but
    /// {weights} weights".
    #[error("{tracks} tracks but {weights} weights")]
    LengthMismatch {
        /// Tracks.
        tracks: usize,
        /// Weights.
        weights: usize,
    },
    /// Fewer than two tracks with positive weight.
    #[error("a vertex needs at least two tracks with positive weight, got {usable}")]
    TooFewTracks {
        /// Tracks with `wᵢ > 0`.
        usable: usize,
    },
    /// A weight is negative.
    #[error("weight of track {track} is negative: {value}")]
    NegativeWeight {
        /// Track index.
        track: usize,
        /// The weight.
        value: f64,
    },
    /// A weight or the starting point is NaN or infinite.
    #[error("{what} {index} is {value}")]
    NonFinite {
        /// What.
        what: &'static str,
        /// Index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A track is invalid (NaN, θ out of range, covariance not symmetric / positive definite);
    /// the [`TrackError`] is the source.
    #[error("track {track}: {error}")]
    Track {
        /// Track index.
        track: usize,
        /// The problem.
        #[source]
        error: TrackError,
    },
    /// The transported impact-parameter covariance of a track is not positive definite.
    #[error("track {track}: transported impact-parameter covariance is not positive definite")]
    ImpactCovariance {
        /// Track index.
        track: usize,
    },
    /// The normal matrix `Σ wᵢ Aᵢᵀ Wᵢ Aᵢ` is not positive definite (e.g. all usable tracks
    /// parallel), so the vertex is not determined.
    #[error(
        "vertex not determined at iteration {iteration}: normal matrix not positive definite (parallel tracks?)"
    )]
    Degenerate {
        /// Iteration at which it happened.
        iteration: usize,
    },
    /// The iteration limit was reached.
    #[error("vertex fit did not converge in {iterations} iterations (last step {last_step:e} mm)")]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Largest component of the last step (mm).
        last_step: f64,
    },
    /// Implicit derivatives could not be formed (singular or ill-conditioned `∂F/∂v`, ...); the
    /// [`ImplicitError`] is the source.
    #[error("vertex derivatives: {0}")]
    Implicit(#[from] ImplicitError),
}

/// One track's contribution at `v`, unweighted.
pub(crate) struct TrackTerm<S> {
    /// `Aᵀ W ε`.
    pub g: [S; 3],
    /// Upper triangle of `Aᵀ W A` (the lower one is zero).
    pub m: [[S; 3]; 3],
    /// `εᵀ W ε`.
    pub chi2: S,
    /// The linearisation behind the term.
    pub lin: Whitened<S>,
}

/// One track linearised at `v`: `A = ∂ε/∂v`, `W`, `ε`, `u = W ε`, the arc length `s` and the
/// non-trivial transport-Jacobian entries `(∂z0(v)/∂φ, ∂z0(v)/∂θ)`.
pub(crate) struct Whitened<S> {
    pub a: [[S; 3]; 2],
    pub w: [[S; 2]; 2],
    pub eps: [S; 2],
    pub u: [S; 2],
    pub s: S,
    pub jab: (S, S),
}

fn whiten<S: RealScalar>(
    track: &Prepared<'_, S>,
    v: &[S; 3],
    index: usize,
) -> Result<Whitened<S>, VertexError> {
    let imp = track.impact(v);
    let (ja, jb) = track.transport_ab(v, &imp.s);
    let sigma = track.impact_covariance_ab(&imp.s, ja.clone(), jb.clone());
    let w = inverse2(&sigma).ok_or(VertexError::ImpactCovariance { track: index })?;
    let [e0, e1] = &imp.eps;
    let u = [
        w[0][0].clone() * e0.clone() + w[0][1].clone() * e1.clone(),
        w[1][0].clone() * e0.clone() + w[1][1].clone() * e1.clone(),
    ];
    Ok(Whitened {
        a: imp.dv,
        w,
        eps: imp.eps,
        u,
        s: imp.s,
        jab: (ja, jb),
    })
}

/// `Aᵀ W ε` only — the track's unweighted contribution to `F` (what derivatives need).
pub(crate) fn track_g<S: RealScalar>(
    track: &Prepared<'_, S>,
    v: &[S; 3],
    index: usize,
) -> Result<[S; 3], VertexError> {
    let Whitened { a, u, .. } = whiten(track, v, index)?;
    Ok(std::array::from_fn(|k| {
        a[0][k].clone() * u[0].clone() + a[1][k].clone() * u[1].clone()
    }))
}

pub(crate) fn track_term<S: RealScalar>(
    track: &Prepared<'_, S>,
    v: &[S; 3],
    index: usize,
) -> Result<TrackTerm<S>, VertexError> {
    let lin = whiten(track, v, index)?;
    let (a, w, u) = (&lin.a, &lin.w, &lin.u);
    let g =
        std::array::from_fn(|k| a[0][k].clone() * u[0].clone() + a[1][k].clone() * u[1].clone());
    // W A (2×3), then the upper triangle of Aᵀ (W A) (`accumulate` mirrors it).
    let wa: [[S; 3]; 2] = std::array::from_fn(|r| {
        std::array::from_fn(|k| {
            w[r][0].clone() * a[0][k].clone() + w[r][1].clone() * a[1][k].clone()
        })
    });
    let m = std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            if j < i {
                S::zero()
            } else {
                a[0][i].clone() * wa[0][j].clone() + a[1][i].clone() * wa[1][j].clone()
            }
        })
    });
    let chi2 = lin.eps[0].clone() * u[0].clone() + lin.eps[1].clone() * u[1].clone();
    Ok(TrackTerm { g, m, chi2, lin })
}

/// Check lengths, weights (finite, ≥ 0, at least two positive) and tracks.
pub(crate) fn validate<S: RealScalar>(
    tracks: &[Track<S>],
    weights: &[S],
) -> Result<(), VertexError> {
    if tracks.len() != weights.len() {
        return Err(VertexError::LengthMismatch {
            tracks: tracks.len(),
            weights: weights.len(),
        });
    }
    let mut usable = 0;
    for (i, w) in weights.iter().enumerate() {
        let w = w.value();
        if !w.is_finite() {
            return Err(VertexError::NonFinite {
                what: "weight",
                index: i,
                value: w,
            });
        }
        if w < 0.0 {
            return Err(VertexError::NegativeWeight { track: i, value: w });
        }
        if w > 0.0 {
            usable += 1;
        }
    }
    if usable < 2 {
        return Err(VertexError::TooFewTracks { usable });
    }
    for (i, t) in tracks.iter().enumerate() {
        t.validate()
            .map_err(|error| VertexError::Track { track: i, error })?;
    }
    Ok(())
}

/// Weighted sums `(Σ wᵢ gᵢ, Σ wᵢ mᵢ, Σ wᵢ χ²ᵢ)` at `v`.
type Sums<S> = ([S; 3], [[S; 3]; 3], S);

fn accumulate<S: RealScalar>(
    tracks: &[Prepared<'_, S>],
    weights: &[S],
    v: &[S; 3],
    mut terms: Option<&mut Vec<(Whitened<S>, [S; 3])>>,
) -> Result<Sums<S>, VertexError> {
    let mut g: [S; 3] = std::array::from_fn(|_| S::zero());
    let mut m: [[S; 3]; 3] = std::array::from_fn(|_| std::array::from_fn(|_| S::zero()));
    let mut chi2 = S::zero();
    if let Some(t) = terms.as_deref_mut() {
        t.clear();
    }
    for (i, (t, w)) in tracks.iter().zip(weights).enumerate() {
        let term = track_term(t, v, i)?;
        for a in 0..3 {
            g[a] += w.clone() * term.g[a].clone();
            for b in a..3 {
                m[a][b] += w.clone() * term.m[a][b].clone();
            }
        }
        chi2 += w.clone() * term.chi2;
        if let Some(t) = terms.as_deref_mut() {
            t.push((term.lin, term.g));
        }
    }
    for a in 1..3 {
        for b in 0..a {
            m[a][b] = m[b][a].clone();
        }
    }
    Ok((g, m, chi2))
}

/// Fit a vertex to `tracks` with per-track weights `wᵢ ≥ 0` (see the
/// [module documentation](self)). Generic: run with tape variables or dual numbers to
/// differentiate the unrolled iterations.
pub fn fit<S: RealScalar>(
    tracks: &[Track<S>],
    weights: &[S],
    cfg: &FitConfig,
) -> Result<VertexFit<S>, VertexError> {
    validate(tracks, weights)?;
    fit_unchecked(tracks, weights, cfg, None)
}

/// [`fit`] without the input validation; `terms`, if given, receives each track's linearisation
/// and unweighted `Aᵢᵀ Wᵢ εᵢ` (= `∂F/∂wᵢ`) at the solution.
pub(crate) fn fit_unchecked<S: RealScalar>(
    tracks: &[Track<S>],
    weights: &[S],
    cfg: &FitConfig,
    mut terms: Option<&mut Vec<(Whitened<S>, [S; 3])>>,
) -> Result<VertexFit<S>, VertexError> {
    for (index, &value) in cfg.start.iter().enumerate() {
        if !value.is_finite() {
            return Err(VertexError::NonFinite {
                what: "start coordinate",
                index,
                value,
            });
        }
    }
    let preps: Vec<Prepared<'_, S>> = tracks.iter().map(Track::prepare).collect();
    let mut v: [S; 3] = cfg.start.map(S::from_f64);
    let mut last_step = f64::INFINITY;
    for it in 1..=cfg.max_iter {
        let (g, m, _) = accumulate(&preps, weights, &v, None)?;
        let l = cholesky3(&m).ok_or(VertexError::Degenerate { iteration: it })?;
        let step = cholesky_solve3(&l, &g);
        last_step = step.iter().fold(0.0f64, |a, s| a.max(s.value().abs()));
        if !last_step.is_finite() {
            return Err(VertexError::NonFinite {
                what: "Newton step at iteration",
                index: it,
                value: last_step,
            });
        }
        for (vk, sk) in v.iter_mut().zip(step) {
            *vk -= sk;
        }
        if last_step < cfg.tol {
            let (_, m, chi2) = accumulate(&preps, weights, &v, terms.as_deref_mut())?;
            let l = cholesky3(&m).ok_or(VertexError::Degenerate { iteration: it })?;
            let mut wsum = S::zero();
            for w in weights {
                wsum += w.clone();
            }
            let c = cholesky_inverse3(&l);
            return Ok(VertexFit {
                position: v,
                // Symmetrised: the triangular solves leave rounding-level asymmetry.
                covariance: std::array::from_fn(|a| {
                    std::array::from_fn(|b| (c[a][b].clone() + c[b][a].clone()) * 0.5)
                }),
                chi2,
                ndf: wsum * 2.0 - 3.0,
                iterations: it,
            });
        }
    }
    Err(VertexError::NotConverged {
        iterations: cfg.max_iter,
        last_step,
    })
}

#[cfg(test)]
mod tests;
