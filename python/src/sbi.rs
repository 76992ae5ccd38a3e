//! The e+e- → μ+μ- simulation-based-inference task (`diffhep_physics::targets::sbi_ee_mumu`):
//! simulations with the joint score `t(x, z|θ)` and the joint log likelihood ratio
//! `log r(x, z|θ, θ₁)` — the training data of the gradient-augmented estimators (SCANDAL,
//! RASCAL, ROLR, ...: Brehmer, Louppe, Pavez, Cranmer, PNAS 117 (2020) 5242) — and the exact
//! likelihood `log p(x|θ)` with its gradient.
//!
//! θ = (M_Z in GeV, sin²θ_W); x is 6-dimensional (per run at √s = 89 and 93 GeV, the fractions
//! of events in three of four cos θ bins). Simulation `i` of a call draws from the stream
//! `(seed, i)`, so results do not depend on batching or thread count.

use diffhep::sbi::task::Task;
use diffhep_physics::targets::sbi_ee_mumu::{EeMuMuTask, EDGES, EVENTS, SMEAR, SQRT_S};
use numpy::ndarray::{Array1, Array2};
use numpy::PyUntypedArrayMethods;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::invalid;
use crate::events::{check_finite, check_shape, data, map_infallible};

fn thetas<'a>(
    name: &str,
    theta: &'a PyReadonlyArray2<'_, f64>,
) -> PyResult<(usize, std::borrow::Cow<'a, [f64]>)> {
    let shape = theta.shape();
    check_shape(name, shape, &[None, Some(2)])?;
    let t = data(theta);
    check_finite(name, &t)?;
    Ok((shape[0], t))
}

/// One simulation per row of `theta` (n, 2): x (n, 6), the joint score (n, 2) and, when
/// `reference` θ₁ is given, the joint log likelihood ratio log p(x, z|θ) − log p(x, z|θ₁) (n,).
#[pyfunction]
#[pyo3(signature = (theta, seed, reference=None))]
#[allow(clippy::type_complexity)]
pub fn ee_mumu_simulate<'py>(
    py: Python<'py>,
    theta: PyReadonlyArray2<'py, f64>,
    seed: u64,
    reference: Option<[f64; 2]>,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Option<Bound<'py, PyArray1<f64>>>,
)> {
    let (n, t) = thetas("theta", &theta)?;
    if let Some(r) = reference {
        check_finite("reference", &r)?;
    }
    let task = EeMuMuTask::new();
    let rows = py.detach(|| {
        map_infallible(n, |i| {
            task.simulate_joint(
                &t[2 * i..2 * i + 2],
                reference.as_ref().map(|r| &r[..]),
                seed,
                i as u64,
            )
        })
    });
    let x = Array2::from_shape_fn((n, 6), |(i, k)| rows[i].0[k]);
    let score = Array2::from_shape_fn((n, 2), |(i, k)| rows[i].1[k]);
    let ratio = reference.map(|_| Array1::from_iter(rows.iter().map(|r| r.2.unwrap_or(0.0))));
    Ok((
        x.into_pyarray(py),
        score.into_pyarray(py),
        ratio.map(|r| r.into_pyarray(py)),
    ))
}

/// Exact log p(x|θ) (multinomial, up to the θ-independent coefficient) and its gradient
/// w.r.t. θ, row by row: theta (n, 2), x (n, 6) → (n,), (n, 2).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn ee_mumu_log_likelihood<'py>(
    py: Python<'py>,
    theta: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>)> {
    let (n, t) = thetas("theta", &theta)?;
    check_shape("x", x.shape(), &[Some(n), Some(6)])?;
    let x = data(&x);
    check_finite("x", &x)?;
    if let Some(k) = x.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(invalid(format!(
            "x: entry {k} is {}, but bin fractions lie in [0, 1]",
            x[k]
        )));
    }
    let task = EeMuMuTask::new();
    let rows = py.detach(|| {
        map_infallible(n, |i| {
            task.exact_log_lik(&t[2 * i..2 * i + 2], &x[6 * i..6 * i + 6])
        })
    });
    let v = Array1::from_iter(rows.iter().map(|r| r.0));
    let g = Array2::from_shape_fn((n, 2), |(i, k)| rows[i].1[k]);
    Ok((v.into_pyarray(py), g.into_pyarray(py)))
}

/// The task's constants: prior bounds, √s of the runs, events per run, bin edges, smearing.
#[pyfunction]
pub fn ee_mumu_info(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let task = EeMuMuTask::new();
    let d = PyDict::new(py);
    if let diffhep::sbi::prior::Prior::Uniform { low, high } = task.prior() {
        d.set_item("prior_low", low.clone())?;
        d.set_item("prior_high", high.clone())?;
    }
    d.set_item("sqrt_s", SQRT_S.to_vec())?;
    d.set_item("events_per_run", EVENTS)?;
    d.set_item("bin_edges", EDGES.to_vec())?;
    d.set_item("smear", SMEAR)?;
    d.set_item("parameters", vec!["MZ", "sin2thetaW"])?;
    Ok(d)
}
