//! The detector design study (`diffhep_physics::design::detector`, the main job of `diffhep
//! design`): Adam on the logarithms of the design parameters, with gradients from implicit
//! differentiation of the vertex fit (tracker) and stochastic triples (calorimeter shower).
//!
//! The configuration is the study's TOML (the embedded default unless given), with optional
//! overrides merged into it key by key. The run steps with the GIL released and takes it back
//! between steps, to call the progress callback and to let Ctrl-C interrupt; with a checkpoint
//! path the loop state is written there atomically after every step, and a later call with the
//! same path resumes from it to the same answer. The history comes back as arrays.

use std::path::PathBuf;

use diffhep_physics::design::detector::{Checkpoint, Study, StudyConfig, DEFAULT_TOML};
use numpy::ndarray::{Array1, Array2};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid, runtime_error, value_error};

/// The embedded default configuration (TOML).
#[pyfunction]
pub fn design_default_config() -> &'static str {
    DEFAULT_TOML
}

/// Merge `over` into `base`, table by table; other values replace.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The configuration: `config` (TOML text) or the default, with `overrides` (a JSON object)
/// merged in.
fn configuration(config: Option<&str>, overrides: Option<&str>) -> PyResult<StudyConfig> {
    let text = config.unwrap_or(DEFAULT_TOML);
    let Some(over) = overrides else {
        return StudyConfig::from_toml(text).map_err(|e| value_error("config", &e));
    };
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| value_error("config", &e))?;
    let json: serde_json::Value =
        serde_json::from_str(over).map_err(|e| value_error("overrides", &e))?;
    let over: toml::Table = toml::Value::try_from(json)
        .ok()
        .and_then(|v| v.as_table().cloned())
        .ok_or_else(|| invalid("overrides: expected a dict of configuration keys"))?;
    merge(&mut table, over);
    let merged = toml::to_string(&table).map_err(|e| value_error("config", &e))?;
    StudyConfig::from_toml(&merged).map_err(|e| value_error("config", &e))
}

/// Run the study and return its history: a dict with `parameter_names`, `step` (S,),
/// `design` (S, P), `objective`, `vertex_resolution_um`, `energy_resolution`, `cost`,
/// `failed_fits` (S,), `gradient` (S − 1, P: the gradient used for step k + 1) and `config`
/// (the TOML actually run).
#[pyfunction]
#[pyo3(signature = (config=None, overrides=None, steps=None, checkpoint=None, progress=None))]
pub fn design_run<'py>(
    py: Python<'py>,
    config: Option<&str>,
    overrides: Option<&str>,
    steps: Option<usize>,
    checkpoint: Option<PathBuf>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut cfg = configuration(config, overrides)?;
    if let Some(s) = steps {
        cfg.optimizer.steps = s;
    }
    let study = Study::new(cfg.clone()).map_err(|e| value_error("config", &e))?;
    let resumed = match &checkpoint {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| value_error(&format!("checkpoint {}", path.display()), &e))?;
            let mut ck = Checkpoint::from_json(&text)
                .map_err(|e| value_error(&format!("checkpoint {}", path.display()), &e))?;
            ck.set_steps(cfg.optimizer.steps);
            if ck.config != cfg {
                return Err(invalid(format!(
                    "checkpoint {}: written with another configuration (remove it to start afresh)",
                    path.display()
                )));
            }
            Some(ck)
        }
        _ => None,
    };
    let mut ck = match resumed {
        Some(ck) => ck,
        None => py
            .detach(|| study.start())
            .map_err(|e| runtime_error("design study", &e))?,
    };
    let save = |ck: &Checkpoint| -> PyResult<()> {
        if let Some(path) = &checkpoint {
            diffhep::files::write_atomic(path, ck.to_json())
                .map_err(|e| value_error(&format!("checkpoint {}", path.display()), &e))?;
        }
        Ok(())
    };
    save(&ck)?;
    while ck.design_loop.steps() < cfg.optimizer.steps {
        py.detach(|| study.step(&mut ck))
            .map_err(|e| runtime_error("design study", &e))?;
        save(&ck)?;
        if let Some(cb) = &progress {
            let h = ck.history();
            let last = h.last().expect("history");
            cb.call1((last.step, cfg.optimizer.steps, last.evaluation.objective))?;
        }
        py.check_signals()?;
    }
    history(py, &ck)
}

fn history<'py>(py: Python<'py>, ck: &Checkpoint) -> PyResult<Bound<'py, PyDict>> {
    let h = ck.history();
    let names = ck.config.parameter_names();
    let (s, p) = (h.len(), names.len());
    let d = PyDict::new(py);
    d.set_item("parameter_names", names)?;
    let col = |f: &dyn Fn(usize) -> f64| Array1::from_iter((0..s).map(f)).into_pyarray(py);
    d.set_item("step", col(&|k| h[k].step as f64))?;
    d.set_item("objective", col(&|k| h[k].evaluation.objective))?;
    d.set_item(
        "vertex_resolution_um",
        col(&|k| h[k].evaluation.vertex_resolution_um),
    )?;
    d.set_item(
        "energy_resolution",
        col(&|k| h[k].evaluation.energy_resolution),
    )?;
    d.set_item("cost", col(&|k| h[k].evaluation.cost))?;
    d.set_item("failed_fits", col(&|k| h[k].evaluation.failed_fits as f64))?;
    d.set_item(
        "design",
        Array2::from_shape_fn((s, p), |(k, j)| h[k].design[j]).into_pyarray(py),
    )?;
    d.set_item(
        "gradient",
        Array2::from_shape_fn((s.saturating_sub(1), p), |(k, j)| h[k + 1].gradient[j])
            .into_pyarray(py),
    )?;
    d.set_item(
        "config",
        toml::to_string(&ck.config).map_err(|e| value_error("config", &e))?,
    )?;
    Ok(d)
}
