//! # diffhep-python: the extension module `diffhep._native`
//!
//! The Rust half of the Python package `diffhep` (the Python half is `python/diffhep/`, which
//! converts inputs, names things the Python way and holds the JAX and PyTorch adapters). Every
//! function here is batched — one call handles many events — takes and returns NumPy float64
//! arrays (borrowed without a copy when C-contiguous; results handed over without a copy),
//! releases the GIL while it computes, and turns every Rust error into a Python exception
//! carrying the Rust message and its causes: `ValueError` for bad input (process strings, shapes,
//! non-finite numbers, invalid cards or settings), `RuntimeError` for a computation that failed
//! on valid input (a vertex fit that does not converge).
//!
//! | module | exposes |
//! | --- | --- |
//! | [`process`] | `Process`: \|M\|² of any tree-level process string, its gradient w.r.t. momenta and card parameters, phase-space samples, cross sections |
//! | [`vertex`] | the vertex fit of many events and its implicit vector–Jacobian product |
//! | [`shower`] | the stochastic-gradient estimators on the toy calorimeter shower |
//! | [`design`] | the detector design study (the main job), returning its history |
//! | [`sbi`] | the e+e- → μ+μ- SBI simulator with joint scores and joint likelihood ratios, and its exact likelihood |
//! | [`threads`] | `pin_threads`: the batched functions' thread pool pinned one worker per CPU |
#![warn(missing_docs)]

use pyo3::prelude::*;

pub mod design;
pub mod errors;
pub mod events;
pub mod process;
pub mod sbi;
pub mod shower;
pub mod threads;
pub mod vertex;

/// The module `diffhep._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<process::Process>()?;
    m.add_function(wrap_pyfunction!(threads::pin_threads, m)?)?;
    m.add_function(wrap_pyfunction!(vertex::fit_vertices, m)?)?;
    m.add_function(wrap_pyfunction!(vertex::vertex_vjp, m)?)?;
    m.add_function(wrap_pyfunction!(shower::shower_estimate, m)?)?;
    m.add_function(wrap_pyfunction!(design::design_default_config, m)?)?;
    m.add_function(wrap_pyfunction!(design::design_run, m)?)?;
    m.add_function(wrap_pyfunction!(sbi::ee_mumu_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(sbi::ee_mumu_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(sbi::ee_mumu_info, m)?)?;
    Ok(())
}
