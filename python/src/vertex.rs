//! The weighted vertex fit of many events (`diffhep_physics::detector::vertex`) and its implicit
//! vector–Jacobian product.
//!
//! Each event has the same number of tracks (pad with weight-0 tracks): perigee parameters
//! `(d0, z0, φ, θ, q/p)`, their 5×5 covariance and a per-track weight `w ≥ 0`. The fit solves
//! `F(v; θ) = Σᵢ wᵢ Aᵢᵀ Wᵢ εᵢ = 0`; the VJP `θ̄ = −(∂F/∂θ)ᵀ (∂F/∂v)⁻ᵀ v̄` needs one 3×3 adjoint
//! solve per event (the implicit function theorem; see `docs/implicit.md`). The vertex
//! covariance, χ² and ndf are returned as values, not differentiated.
//!
//! The covariance cotangent is that of a function of the symmetric part of each track
//! covariance: for `k ≠ l`, half of the derivative w.r.t. the pair `(C_kl, C_lk)` moved together
//! goes to each entry.

use diffhep::implicit::ImplicitOptions;
use diffhep_physics::detector::tracks::{Track, TrackModel};
use diffhep_physics::detector::vertex::{
    fit, fit_with_derivatives, FitConfig, VertexError, Wrt, COV_ENTRIES,
};
use diffhep_physics::detector::VertexFit;
use numpy::ndarray::{Array1, Array2, Array3, Array4};
use numpy::PyUntypedArrayMethods;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyArray4};
use numpy::{PyReadonlyArray2, PyReadonlyArray3, PyReadonlyArray4};
use pyo3::prelude::*;

use crate::errors::{runtime_error, value_error};
use crate::events::{check_finite, check_shape, data, map};

/// The inputs of a batch of fits, shape-checked and flattened.
struct Batch<'a> {
    events: usize,
    tracks: usize,
    params: std::borrow::Cow<'a, [f64]>,
    cov: std::borrow::Cow<'a, [f64]>,
    weights: std::borrow::Cow<'a, [f64]>,
    model: TrackModel,
}

impl<'a> Batch<'a> {
    fn new(
        params: &'a PyReadonlyArray3<'_, f64>,
        cov: &'a PyReadonlyArray4<'_, f64>,
        weights: &'a PyReadonlyArray2<'_, f64>,
        bz: Option<f64>,
    ) -> PyResult<Self> {
        let shape = params.shape();
        check_shape("params", shape, &[None, None, Some(5)])?;
        let (events, tracks) = (shape[0], shape[1]);
        check_shape(
            "cov",
            cov.shape(),
            &[Some(events), Some(tracks), Some(5), Some(5)],
        )?;
        check_shape("weights", weights.shape(), &[Some(events), Some(tracks)])?;
        let model = match bz {
            None => TrackModel::StraightLine,
            Some(b) if b.is_finite() && b != 0.0 => TrackModel::Helix { bz: b },
            Some(b) => {
                return Err(crate::errors::invalid(format!(
                    "bz = {b}: the field must be finite and non-zero (None for straight lines)"
                )))
            }
        };
        let b = Batch {
            events,
            tracks,
            params: data(params),
            cov: data(cov),
            weights: data(weights),
            model,
        };
        check_finite("params", &b.params)?;
        check_finite("cov", &b.cov)?;
        check_finite("weights", &b.weights)?;
        Ok(b)
    }

    /// The tracks and weights of event `e`.
    fn event(&self, e: usize) -> Result<(Vec<Track<f64>>, Vec<f64>), VertexError> {
        let n = self.tracks;
        let tracks = (0..n)
            .map(|t| {
                let k = e * n + t;
                let p: [f64; 5] = std::array::from_fn(|a| self.params[5 * k + a]);
                let c: [[f64; 5]; 5] =
                    std::array::from_fn(|a| std::array::from_fn(|b| self.cov[25 * k + 5 * a + b]));
                Track::new(p, c, self.model).map_err(|error| VertexError::Track { track: t, error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((tracks, self.weights[e * n..(e + 1) * n].to_vec()))
    }
}

/// Input problems are `ValueError`s; a fit that fails on valid input is a `RuntimeError`.
fn fit_error((event, e): (usize, VertexError)) -> PyErr {
    let context = format!("vertex fit, event {event}");
    match e {
        VertexError::Degenerate { .. }
        | VertexError::NotConverged { .. }
        | VertexError::ImpactCovariance { .. }
        | VertexError::Implicit(_) => runtime_error(&context, &e),
        _ => value_error(&context, &e),
    }
}

/// Fit every event: positions (events, 3), covariances (events, 3, 3), χ² and ndf (events,).
#[pyfunction]
#[pyo3(signature = (params, cov, weights, bz=None))]
#[allow(clippy::type_complexity)]
pub fn fit_vertices<'py>(
    py: Python<'py>,
    params: PyReadonlyArray3<'py, f64>,
    cov: PyReadonlyArray4<'py, f64>,
    weights: PyReadonlyArray2<'py, f64>,
    bz: Option<f64>,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray3<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
)> {
    let batch = Batch::new(&params, &cov, &weights, bz)?;
    let fits: Vec<VertexFit<f64>> = py
        .detach(|| {
            map(batch.events, |e| {
                let (t, w) = batch.event(e)?;
                fit(&t, &w, &FitConfig::default())
            })
        })
        .map_err(fit_error)?;
    let n = batch.events;
    let pos = Array2::from_shape_fn((n, 3), |(e, a)| fits[e].position[a]);
    let c = Array3::from_shape_fn((n, 3, 3), |(e, a, b)| fits[e].covariance[a][b]);
    let chi2 = Array1::from_iter(fits.iter().map(|f| f.chi2));
    let ndf = Array1::from_iter(fits.iter().map(|f| f.ndf));
    Ok((
        pos.into_pyarray(py),
        c.into_pyarray(py),
        chi2.into_pyarray(py),
        ndf.into_pyarray(py),
    ))
}

/// The vertex positions (events, 3) and the cotangents `v̄ᵀ dv/dθ` of the track parameters
/// (events, tracks, 5), weights (events, tracks) and covariances (events, tracks, 5, 5) for
/// the position cotangents `vbar` (events, 3).
#[pyfunction]
#[pyo3(signature = (params, cov, weights, vbar, bz=None))]
#[allow(clippy::type_complexity)]
pub fn vertex_vjp<'py>(
    py: Python<'py>,
    params: PyReadonlyArray3<'py, f64>,
    cov: PyReadonlyArray4<'py, f64>,
    weights: PyReadonlyArray2<'py, f64>,
    vbar: PyReadonlyArray2<'py, f64>,
    bz: Option<f64>,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray3<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray4<f64>>,
)> {
    let batch = Batch::new(&params, &cov, &weights, bz)?;
    check_shape("vbar", vbar.shape(), &[Some(batch.events), Some(3)])?;
    let vbar = data(&vbar);
    check_finite("vbar", &vbar)?;
    let rows = py
        .detach(|| {
            map(batch.events, |e| {
                let (t, w) = batch.event(e)?;
                let (f, d) = fit_with_derivatives(
                    &t,
                    &w,
                    &FitConfig::default(),
                    Wrt::ALL,
                    &ImplicitOptions::default(),
                )?;
                let ct = d.vjp([vbar[3 * e], vbar[3 * e + 1], vbar[3 * e + 2]]);
                Ok((f.position, ct))
            })
        })
        .map_err(fit_error)?;
    let (n, m) = (batch.events, batch.tracks);
    let pos = Array2::from_shape_fn((n, 3), |(e, a)| rows[e].0[a]);
    let pbar = Array3::from_shape_fn((n, m, 5), |(e, t, k)| rows[e].1.params[t][k]);
    let wbar = Array2::from_shape_fn((n, m), |(e, t)| rows[e].1.weights[t]);
    let mut cbar = Array4::<f64>::zeros((n, m, 5, 5));
    for (e, row) in rows.iter().enumerate() {
        for (t, c) in row.1.covariance.iter().enumerate() {
            for (entry, &(k, l)) in COV_ENTRIES.iter().enumerate() {
                if k == l {
                    cbar[[e, t, k, k]] = c[entry];
                } else {
                    cbar[[e, t, k, l]] = 0.5 * c[entry];
                    cbar[[e, t, l, k]] = 0.5 * c[entry];
                }
            }
        }
    }
    Ok((
        pos.into_pyarray(py),
        pbar.into_pyarray(py),
        wbar.into_pyarray(py),
        cbar.into_pyarray(py),
    ))
}
