//! The gradient estimators for programs with discrete randomness (`diffhep::stochastic`) on the
//! toy calorimeter shower (`diffhep_physics::detector::shower`): expected energy deposits per
//! layer and their derivatives w.r.t. every absorber thickness, each with its standard error —
//! the computation of `diffhep shower`.

use diffhep::stochastic::{EstimatorKind, FiniteDifferences};
use diffhep_physics::detector::shower::{Shower, ShowerConfig, MAX_ENERGY_GEV};
use numpy::ndarray::{Array1, Array2};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid, runtime_error, value_error};

/// Most gradient terms held in memory (samples × layers²), as in the CLI.
const MAX_GRADIENT_TERMS: usize = 1 << 27;

/// E[deposit per layer] and ∂E[deposit_k]/∂t_j for the absorber thicknesses `thickness` (X0),
/// a beam of `energy` GeV, `samples` showers, with `estimator` (`triple`, `score`,
/// `straight-through`, `gumbel` or `fd`): a dict of arrays `deposit`, `deposit_se` (layers,),
/// `gradient`, `gradient_se` (layers, layers) and the counts `samples`, `runs`.
#[pyfunction]
#[pyo3(signature = (thickness, energy, samples, estimator, seed))]
pub fn shower_estimate<'py>(
    py: Python<'py>,
    thickness: Vec<f64>,
    energy: f64,
    samples: usize,
    estimator: &str,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let kind: EstimatorKind = estimator
        .parse()
        .map_err(|e| value_error("estimator", &e))?;
    if energy.is_nan() || energy > MAX_ENERGY_GEV {
        return Err(invalid(format!(
            "energy = {energy} GeV: must be at most {MAX_ENERGY_GEV} GeV (the toy shower's particle count grows like E/E_c)"
        )));
    }
    if samples < 2 {
        return Err(invalid(format!(
            "samples = {samples}: need at least 2 for standard errors"
        )));
    }
    let layers = thickness.len();
    if samples.saturating_mul(layers * layers) > MAX_GRADIENT_TERMS {
        return Err(invalid(format!(
            "samples = {samples} with {layers} layers needs more than {MAX_GRADIENT_TERMS} gradient terms in memory; use fewer"
        )));
    }
    let shower =
        Shower::new(ShowerConfig::new(layers, energy)).map_err(|e| value_error("shower", &e))?;
    shower
        .check_design(&thickness)
        .map_err(|e| value_error("thickness", &e))?;
    let step = FiniteDifferences::default().step;
    if kind == EstimatorKind::FiniteDifference && thickness.iter().any(|&t| t < step) {
        return Err(invalid(format!(
            "estimator fd steps ±{step} X0: every thickness must be at least {step}"
        )));
    }
    let est = py
        .detach(|| kind.estimate(&shower, &thickness, samples, seed))
        .map_err(|e| runtime_error("shower estimate", &e))?;
    let d = PyDict::new(py);
    d.set_item("estimator", est.estimator)?;
    d.set_item("deposit", Array1::from(est.value).into_pyarray(py))?;
    d.set_item("deposit_se", Array1::from(est.value_se).into_pyarray(py))?;
    let grid = |g: &[Vec<f64>]| Array2::from_shape_fn((layers, layers), |(k, j)| g[k][j]);
    d.set_item("gradient", grid(&est.gradient).into_pyarray(py))?;
    d.set_item("gradient_se", grid(&est.gradient_se).into_pyarray(py))?;
    d.set_item("samples", est.samples)?;
    d.set_item("runs", est.runs)?;
    Ok(d)
}
