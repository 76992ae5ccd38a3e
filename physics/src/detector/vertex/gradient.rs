//! Implicit derivatives of the fitted vertex with respect to track weights, track parameters and
//! covariance entries.
//!
//! At the solution `F(v*; θ) = Σᵢ wᵢ Aᵢᵀ Wᵢ εᵢ = 0`, so `dv*/dθ = −(∂F/∂v)⁻¹ ∂F/∂θ`
//! ([`diffhep::implicit`]). The structure is exploited: `∂F/∂v` is 3×3 (one forward pass with
//! three tangents), and `∂F/∂θ` is block-diagonal over tracks:
//! - weights: `∂F/∂wᵢ = Aᵢᵀ Wᵢ εᵢ` (already computed by the fit's last pass);
//! - parameters: `z0` enters only `ε₁`, so `∂F/∂z0 = wᵢ Aᵢᵀ Wᵢ (0, 1)ᵀ`; `(d0, φ, θ, q/p)` come
//!   from the same forward pass that gives `∂F/∂v` (3 + 4 tangents, with the trigonometry of the
//!   direction expanded to first order rather than evaluated in dual numbers);
//! - covariance: closed form. With `Σ = J C Jᵀ` and `dW = −W J dC Jᵀ W`,
//!   `∂F/∂C_kl = −wᵢ (P_k b_l + P_l b_k)` for a symmetric perturbation of `C_kl = C_lk`
//!   (`−wᵢ P_k b_k` on the diagonal), with `P = Aᵀ W J` and `b = Jᵀ W ε`.
//!
//! Covariance entries are addressed by the 15 upper-triangle pairs `(k, l)`, `k ≤ l`, in
//! row-major order ([`COV_ENTRIES`]); a derivative with respect to entry `(k, l)` moves `C_kl`
//! and `C_lk` together.

use nalgebra::{Const, DMatrix, SVector, U1};
use num_dual::{Derivative, DualSVec64};

use diffhep::implicit::{chord_lift, Factorized, ImplicitOptions, ImplicitSystem, SolveKind};
use diffhep::tape::{ActiveTape, Var};
use diffhep::RealScalar;

use super::{
    fit, fit_unchecked, track_g, track_term, validate, FitConfig, VertexError, VertexFit, Whitened,
};
use crate::detector::tracks::{Track, TrackModel, D0, PHI, QOP, THETA, Z0};

/// The 15 independent entries `(k, l)`, `k ≤ l`, of a symmetric 5×5 covariance, row-major.
pub const COV_ENTRIES: [(usize, usize); 15] = [
    (0, 0),
    (0, 1),
    (0, 2),
    (0, 3),
    (0, 4),
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (2, 2),
    (2, 3),
    (2, 4),
    (3, 3),
    (3, 4),
    (4, 4),
];

/// Which inputs derivatives are wanted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wrt {
    /// Track weights.
    pub weights: bool,
    /// Track parameters `(d0, z0, φ, θ, q/p)`.
    pub params: bool,
    /// Covariance entries ([`COV_ENTRIES`]).
    pub covariance: bool,
}

impl Wrt {
    /// Everything.
    pub const ALL: Wrt = Wrt {
        weights: true,
        params: true,
        covariance: true,
    };
    /// Track weights only (the cheapest; the case of learned per-track weights).
    pub const WEIGHTS: Wrt = Wrt {
        weights: true,
        params: false,
        covariance: false,
    };
}

/// `dv*/dθ` per track. Empty vectors for inputs not requested.
#[derive(Clone, Debug)]
pub struct VertexJacobian {
    /// `weights[i][a] = ∂v_a/∂wᵢ`.
    pub weights: Vec<[f64; 3]>,
    /// `params[i][a][k] = ∂v_a/∂p_{ik}`.
    pub params: Vec<[[f64; 5]; 3]>,
    /// `covariance[i][a][e] = ∂v_a/∂C_i[COV_ENTRIES[e]]`.
    pub covariance: Vec<[[f64; 15]; 3]>,
}

/// `θ̄ = v̄ᵀ dv*/dθ` per track. Empty vectors for inputs not requested.
#[derive(Clone, Debug)]
pub struct VertexCotangent {
    /// Per-track weight cotangents.
    pub weights: Vec<f64>,
    /// Per-track parameter cotangents.
    pub params: Vec<[f64; 5]>,
    /// Per-track covariance-entry cotangents ([`COV_ENTRIES`]).
    pub covariance: Vec<[f64; 15]>,
}

/// `∂F/∂v` (factorised) and the blocks of `∂F/∂θ` at a fitted vertex.
#[derive(Clone, Debug)]
pub struct VertexDerivatives {
    factor: Factorized,
    dw: Vec<[f64; 3]>,
    dp: Vec<[[f64; 5]; 3]>,
    dc: Vec<[[f64; 15]; 3]>,
}

fn lift_track<D: RealScalar>(t: &Track<f64>) -> Track<D> {
    Track {
        params: t.params.map(D::from_f64),
        cov: t.cov.map(|r| r.map(D::from_f64)),
        model: t.model,
    }
}

fn seeded<const N: usize>(re: f64, k: usize) -> DualSVec64<N> {
    let mut e = SVector::<f64, N>::zeros();
    e[k] = 1.0;
    DualSVec64::new(re, Derivative::some(e))
}

fn tangents<const N: usize>(x: &DualSVec64<N>) -> SVector<f64, N> {
    x.eps.unwrap_generic(Const::<N>, U1)
}

/// Per-track tangents of `gᵢ = Aᵢᵀ Wᵢ εᵢ` (unweighted) with respect to `(d0, φ, θ, q/p)`.
type ParamTangents = Vec<[[f64; 4]; 3]>;

/// One forward pass over the tracks with `N` tangents: the first three seed `v`; with `N = 7` the
/// other four seed each track's `(d0, φ, θ, q/p)` (first-order lifted trigonometry). Returns
/// `∂F/∂v` factorised with its condition checked, `F(v)`, and for `N = 7` the per-track parameter
/// tangents.
fn tangent_pass<const N: usize>(
    tracks: &[Track<f64>],
    weights: &[f64],
    v: &[f64; 3],
    opts: &ImplicitOptions,
) -> Result<(Factorized, [f64; 3], ParamTangents), VertexError> {
    let with_params = N > 3;
    let vd: [DualSVec64<N>; 3] = std::array::from_fn(|k| seeded(v[k], k));
    let mut f: [DualSVec64<N>; 3] = std::array::from_fn(|_| DualSVec64::from_re(0.0));
    let mut per_track = Vec::with_capacity(if with_params { tracks.len() } else { 0 });
    for (i, (t, &w)) in tracks.iter().zip(weights).enumerate() {
        let p = t.prepare();
        let g = if with_params {
            let td = Track {
                params: [
                    seeded::<N>(t.params[D0], 3),
                    DualSVec64::from_re(t.params[Z0]),
                    seeded::<N>(t.params[PHI], 4),
                    seeded::<N>(t.params[THETA], 5),
                    seeded::<N>(t.params[QOP], 6),
                ],
                cov: t.cov.map(|r| r.map(DualSVec64::from_re)),
                model: t.model,
            };
            let g = track_g(&p.lift_first_order(&td), &vd, i)?;
            per_track.push(std::array::from_fn(|a| {
                let e = tangents(&g[a]);
                [e[3], e[4], e[5], e[6]]
            }));
            g
        } else {
            // The track is constant here: reuse its f64 trigonometry.
            let td = lift_track::<DualSVec64<N>>(t);
            track_g(&p.lift(&td), &vd, i)?
        };
        for a in 0..3 {
            f[a] += g[a] * w;
        }
    }
    let h = DMatrix::from_fn(3, 3, |a, b| tangents(&f[a])[b]);
    let factor = Factorized::new(h, SolveKind::Lu, opts.max_condition)?;
    Ok((factor, f.map(|x| x.re), per_track))
}

/// `∂F/∂v` at `v`, factorised with its condition checked; also returns `F(v)`.
fn dfdv(
    tracks: &[Track<f64>],
    weights: &[f64],
    v: &[f64; 3],
    opts: &ImplicitOptions,
) -> Result<(Factorized, [f64; 3]), VertexError> {
    let (factor, f, _) = tangent_pass::<3>(tracks, weights, v, opts)?;
    Ok((factor, f))
}

/// Implicit derivatives at a converged vertex `position` of `tracks` with `weights`.
///
/// Checks that `position` solves the fit equations: the Newton step `(∂F/∂v)⁻¹F` must be below
/// `opts.residual_tol` (mm), and `∂F/∂v` must be well conditioned.
pub fn derivatives(
    tracks: &[Track<f64>],
    weights: &[f64],
    position: &[f64; 3],
    wrt: Wrt,
    opts: &ImplicitOptions,
) -> Result<VertexDerivatives, VertexError> {
    validate(tracks, weights)?;
    derivatives_unchecked(tracks, weights, position, wrt, opts, None)
}

/// Fit and implicit derivatives in one call: validates once and reuses the fit's last pass
/// (`∂F/∂wᵢ`). The fastest way to get a vertex with its gradient.
pub fn fit_with_derivatives(
    tracks: &[Track<f64>],
    weights: &[f64],
    cfg: &FitConfig,
    wrt: Wrt,
    opts: &ImplicitOptions,
) -> Result<(VertexFit<f64>, VertexDerivatives), VertexError> {
    validate(tracks, weights)?;
    let mut terms = Vec::with_capacity(tracks.len());
    let f = fit_unchecked(tracks, weights, cfg, Some(&mut terms))?;
    let d = derivatives_unchecked(tracks, weights, &f.position, wrt, opts, Some(terms))?;
    Ok((f, d))
}

fn derivatives_unchecked(
    tracks: &[Track<f64>],
    weights: &[f64],
    position: &[f64; 3],
    wrt: Wrt,
    opts: &ImplicitOptions,
    terms: Option<Vec<(Whitened<f64>, [f64; 3])>>,
) -> Result<VertexDerivatives, VertexError> {
    let (factor, f, param_tangents) = if wrt.params {
        tangent_pass::<7>(tracks, weights, position, opts)?
    } else {
        tangent_pass::<3>(tracks, weights, position, opts)?
    };
    let step = factor.solve(&nalgebra::DVector::from_column_slice(&f));
    let residual_norm = step.amax();
    if residual_norm.is_nan() || residual_norm > opts.residual_tol {
        return Err(VertexError::Implicit(
            diffhep::implicit::ImplicitError::NotASolution {
                residual_norm,
                tol: opts.residual_tol,
            },
        ));
    }
    let n = tracks.len();
    let mut d = VertexDerivatives {
        factor,
        dw: Vec::with_capacity(if wrt.weights { n } else { 0 }),
        dp: Vec::with_capacity(if wrt.params { n } else { 0 }),
        dc: Vec::with_capacity(if wrt.covariance { n } else { 0 }),
    };
    let mut terms = terms.map(Vec::into_iter);
    for (i, (t, &w)) in tracks.iter().zip(weights).enumerate() {
        // The fit's last pass, or a fresh linearisation at the solution.
        let (lin, g) = match terms.as_mut().and_then(Iterator::next) {
            Some(term) => term,
            None => {
                let term = track_term(&t.prepare(), position, i)?;
                (term.lin, term.g)
            }
        };
        if wrt.weights {
            d.dw.push(g);
        }
        if wrt.params {
            // z0 enters only ε₁, additively: ∂g/∂z0 = Aᵀ W (0, 1)ᵀ; the other four come from
            // the joint tangent pass.
            let e = &param_tangents[i];
            let (a, wm) = (&lin.a, &lin.w);
            d.dp.push(std::array::from_fn(|c| {
                let dz0 = a[0][c] * wm[0][1] + a[1][c] * wm[1][1];
                [w * e[c][0], w * dz0, w * e[c][1], w * e[c][2], w * e[c][3]]
            }));
        }
        if wrt.covariance {
            d.dc.push(covariance_block(&lin, w));
        }
    }
    Ok(d)
}

/// Closed-form `∂F/∂C` for one track (see the module documentation), from the track's
/// linearisation at the solution.
fn covariance_block(lin: &Whitened<f64>, w: f64) -> [[f64; 15]; 3] {
    let (a, wm) = (&lin.a, &lin.w);
    // J = [[1, 0, s, 0, 0], [0, 1, ja, jb, 0]].
    let j = [
        [1.0, 0.0, lin.s, 0.0, 0.0],
        [0.0, 1.0, lin.jab.0, lin.jab.1, 0.0],
    ];
    // P = Aᵀ W J (3×5), b = Jᵀ W ε = Jᵀ u (5).
    let wj: [[f64; 5]; 2] =
        std::array::from_fn(|r| std::array::from_fn(|k| wm[r][0] * j[0][k] + wm[r][1] * j[1][k]));
    let p: [[f64; 5]; 3] =
        std::array::from_fn(|c| std::array::from_fn(|k| a[0][c] * wj[0][k] + a[1][c] * wj[1][k]));
    let b: [f64; 5] = std::array::from_fn(|k| j[0][k] * lin.u[0] + j[1][k] * lin.u[1]);
    std::array::from_fn(|c| {
        std::array::from_fn(|e| {
            let (k, l) = COV_ENTRIES[e];
            if k == l {
                -w * p[c][k] * b[k]
            } else {
                -w * (p[c][k] * b[l] + p[c][l] * b[k])
            }
        })
    })
}

impl VertexDerivatives {
    /// 1-norm condition number of `∂F/∂v`.
    pub fn condition(&self) -> f64 {
        self.factor.condition()
    }

    /// Forward mode: the full `dv*/dθ` for the requested inputs (three columns of `−(∂F/∂v)⁻¹`
    /// applied to each block).
    pub fn jacobian(&self) -> VertexJacobian {
        let h = self.factor.inverse();
        let hi: [[f64; 3]; 3] = std::array::from_fn(|a| std::array::from_fn(|b| -h[(a, b)]));
        let apply = |col: [f64; 3]| -> [f64; 3] {
            std::array::from_fn(|a| hi[a][0] * col[0] + hi[a][1] * col[1] + hi[a][2] * col[2])
        };
        VertexJacobian {
            weights: self.dw.iter().map(|g| apply(*g)).collect(),
            params: self.dp.iter().map(|blk| map_block(blk, &apply)).collect(),
            covariance: self.dc.iter().map(|blk| map_block(blk, &apply)).collect(),
        }
    }

    /// Reverse mode: `θ̄ = −(∂F/∂θ)ᵀ λ` with `(∂F/∂v)ᵀ λ = v̄` — one 3×3 adjoint solve.
    pub fn vjp(&self, vbar: [f64; 3]) -> VertexCotangent {
        let lam = self
            .factor
            .solve_transpose(&nalgebra::DVector::from_column_slice(&vbar));
        let l = [-lam[0], -lam[1], -lam[2]];
        let dot = |c: [f64; 3]| l[0] * c[0] + l[1] * c[1] + l[2] * c[2];
        VertexCotangent {
            weights: self.dw.iter().map(|g| dot(*g)).collect(),
            params: self
                .dp
                .iter()
                .map(|b| std::array::from_fn(|k| dot([b[0][k], b[1][k], b[2][k]])))
                .collect(),
            covariance: self
                .dc
                .iter()
                .map(|b| std::array::from_fn(|e| dot([b[0][e], b[1][e], b[2][e]])))
                .collect(),
        }
    }
}

fn map_block<const K: usize>(
    blk: &[[f64; K]; 3],
    apply: &impl Fn([f64; 3]) -> [f64; 3],
) -> [[f64; K]; 3] {
    let mut out = [[0.0; K]; 3];
    for k in 0..K {
        let c = apply([blk[0][k], blk[1][k], blk[2][k]]);
        for a in 0..3 {
            out[a][k] = c[a];
        }
    }
    out
}

fn values(
    tracks: &[Track<impl RealScalar>],
    weights: &[impl RealScalar],
) -> (Vec<Track<f64>>, Vec<f64>) {
    (
        tracks
            .iter()
            .map(|t| Track {
                params: std::array::from_fn(|k| t.params[k].value()),
                cov: std::array::from_fn(|a| std::array::from_fn(|b| t.cov[a][b].value())),
                model: t.model,
            })
            .collect(),
        weights.iter().map(|w| w.value()).collect(),
    )
}

/// Forward mode of any order: fit in `f64`, then carry the vertex into the number type `D` of the
/// inputs (dual numbers of order `order`: 1 for `Dual64`/`DualSVec64`, 2 for `Dual2_64`/
/// `HyperDual64` — Hessians through the fit) by [`chord_lift`].
pub fn fit_forward<D: RealScalar>(
    tracks: &[Track<D>],
    weights: &[D],
    cfg: &FitConfig,
    opts: &ImplicitOptions,
    order: usize,
) -> Result<(VertexFit<f64>, [D; 3]), VertexError> {
    let (tf, wf) = values(tracks, weights);
    let vf = fit(&tf, &wf, cfg)?;
    let (factor, _) = dfdv(&tf, &wf, &vf.position, opts)?;
    let x = chord_lift(&vf.position, &factor, order, |v: &[D]| {
        let v3 = [v[0].clone(), v[1].clone(), v[2].clone()];
        let mut f: [D; 3] = std::array::from_fn(|_| D::zero());
        for (i, (t, w)) in tracks.iter().zip(weights).enumerate() {
            let g = track_g(&t.prepare(), &v3, i)?;
            for a in 0..3 {
                f[a] += w.clone() * g[a].clone();
            }
        }
        Ok::<_, VertexError>(f.to_vec())
    })?;
    Ok((vf, [x[0].clone(), x[1].clone(), x[2].clone()]))
}

/// A vertex fitted from tape variables: the position enters the tape as custom nodes.
#[derive(Clone, Debug)]
pub struct TapeVertex {
    /// Vertex position on the tape.
    pub position: [Var; 3],
    /// The `f64` fit (covariance, χ², ndf, iterations).
    pub fit: VertexFit<f64>,
}

/// Reverse mode: fit in `f64` and record the vertex on `tape` as three custom nodes whose
/// partials with respect to every weight, parameter and covariance entry (those that are tape
/// variables) are the implicit derivatives. The fit reads only the upper triangle of each
/// covariance, so the partials go to `C_kl` with `k ≤ l` (build a symmetric covariance from one
/// variable per pair, as in the tests).
pub fn fit_on_tape(
    tape: &ActiveTape<'_, f64>,
    tracks: &[Track<Var>],
    weights: &[Var],
    cfg: &FitConfig,
    opts: &ImplicitOptions,
) -> Result<TapeVertex, VertexError> {
    let (tf, wf) = values(tracks, weights);
    let vf = fit(&tf, &wf, cfg)?;
    let jac = derivatives(&tf, &wf, &vf.position, Wrt::ALL, opts)?.jacobian();
    let mut edges = Vec::with_capacity(31 * tracks.len());
    let position = std::array::from_fn(|a| {
        edges.clear();
        for (i, t) in tracks.iter().enumerate() {
            edges.push((weights[i], jac.weights[i][a]));
            for k in 0..5 {
                edges.push((t.params[k], jac.params[i][a][k]));
            }
            for (e, &(k, l)) in COV_ENTRIES.iter().enumerate() {
                edges.push((t.cov[k][l], jac.covariance[i][a][e]));
            }
        }
        tape.custom(vf.position[a], &edges)
    });
    Ok(TapeVertex { position, fit: vf })
}

/// The vertex fit equations as a generic [`ImplicitSystem`] over the flat parameter vector
/// `θ = (w₀ … w_{n−1}, p₀ (5) … p_{n−1}, C₀ (15) … C_{n−1})` (covariance entries as in
/// [`COV_ENTRIES`]) — for [`diffhep::implicit::Linearization`], and as a reference for the
/// structured derivatives above. A track whose transported covariance is not positive definite
/// gives NaN residuals, which the implicit layer reports.
#[derive(Clone, Debug)]
pub struct VertexSystem {
    models: Vec<TrackModel>,
}

impl VertexSystem {
    /// The system for tracks of these models.
    pub fn new(models: Vec<TrackModel>) -> Self {
        VertexSystem { models }
    }

    /// Flatten weights, parameters and covariances into `θ`.
    pub fn theta(tracks: &[Track<f64>], weights: &[f64]) -> Vec<f64> {
        let mut th = weights.to_vec();
        for t in tracks {
            th.extend_from_slice(&t.params);
        }
        for t in tracks {
            th.extend(COV_ENTRIES.iter().map(|&(k, l)| t.cov[k][l]));
        }
        th
    }

    /// Rebuild the tracks and weights from `θ`.
    pub fn unpack<S: RealScalar>(&self, theta: &[S]) -> (Vec<Track<S>>, Vec<S>) {
        let n = self.models.len();
        let tracks = (0..n)
            .map(|i| {
                let mut cov: [[S; 5]; 5] =
                    std::array::from_fn(|_| std::array::from_fn(|_| S::zero()));
                for (e, &(k, l)) in COV_ENTRIES.iter().enumerate() {
                    let c = theta[6 * n + 15 * i + e].clone();
                    cov[k][l] = c.clone();
                    cov[l][k] = c;
                }
                Track {
                    params: std::array::from_fn(|k| theta[n + 5 * i + k].clone()),
                    cov,
                    model: self.models[i],
                }
            })
            .collect();
        (tracks, theta[..n].to_vec())
    }
}

impl ImplicitSystem for VertexSystem {
    fn residual<S: RealScalar>(&self, x: &[S], theta: &[S]) -> Vec<S> {
        let (tracks, weights) = self.unpack(theta);
        let v = [x[0].clone(), x[1].clone(), x[2].clone()];
        let mut f: Vec<S> = vec![S::zero(); 3];
        for (i, (t, w)) in tracks.iter().zip(&weights).enumerate() {
            match track_g(&t.prepare(), &v, i) {
                Ok(g) => {
                    for a in 0..3 {
                        f[a] += w.clone() * g[a].clone();
                    }
                }
                Err(_) => return vec![S::from_f64(f64::NAN); 3],
            }
        }
        f
    }
}
