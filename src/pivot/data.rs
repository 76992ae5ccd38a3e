//! Training and evaluation events `(x, y, z)`: features, binary label, nuisance value.

use super::error::{PivotError, Result};
use crate::error::check_len;

/// Events for pivot training: rows of `x` (`dim` features each), labels `y ∈ {0, 1}` and the
/// nuisance value `z` of each event (one continuous nuisance).
#[derive(Clone, Debug, PartialEq)]
pub struct PivotData {
    x: Vec<f64>,
    dim: usize,
    y: Vec<f64>,
    z: Vec<f64>,
}

impl PivotData {
    /// Check and wrap: `x.len() = n·dim`, `y.len() = z.len() = n ≥ 1`, every value finite,
    /// every label 0 or 1.
    pub fn new(x: Vec<f64>, dim: usize, y: Vec<f64>, z: Vec<f64>) -> Result<Self> {
        let n = y.len();
        if n == 0 || dim == 0 {
            return Err(PivotError::Data(format!(
                "{n} events of dimension {dim}: need at least one event and one feature"
            )));
        }
        check_len("feature values (events × dimension)", n * dim, x.len())?;
        check_len("nuisance values (one per event)", n, z.len())?;
        if x.iter().chain(&z).any(|v| !v.is_finite()) {
            return Err(PivotError::Data(
                "a feature or nuisance value is not finite".into(),
            ));
        }
        if let Some(bad) = y.iter().find(|&&v| v != 0.0 && v != 1.0) {
            return Err(PivotError::Data(format!("label {bad} is neither 0 nor 1")));
        }
        Ok(PivotData { x, dim, y, z })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Always `false` (a data set holds at least one event).
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Number of features.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Features, row-major `(n, dim)`.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Labels.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Nuisance values.
    pub fn z(&self) -> &[f64] {
        &self.z
    }

    /// Features of the given rows, concatenated.
    pub(crate) fn rows_x(&self, rows: &[usize]) -> Vec<f64> {
        rows.iter()
            .flat_map(|&i| self.x[i * self.dim..(i + 1) * self.dim].iter().copied())
            .collect()
    }

    /// Labels of the given rows.
    pub(crate) fn rows_y(&self, rows: &[usize]) -> Vec<f64> {
        rows.iter().map(|&i| self.y[i]).collect()
    }

    /// Nuisance values of the given rows.
    pub(crate) fn rows_z(&self, rows: &[usize]) -> Vec<f64> {
        rows.iter().map(|&i| self.z[i]).collect()
    }
}
