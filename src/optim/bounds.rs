//! Box bounds on design parameters, by projection or by reparameterisation.

use serde::{Deserialize, Serialize};

use super::error::{check_len, OptimError};
use crate::scalar::sigmoid;

/// How a [`super::DesignLoop`] keeps parameters inside their [`Bounds`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoundMode {
    /// Step freely, then clip each parameter to `[lo, hi]` (projected gradient descent).
    Projection,
    /// Optimise an unconstrained `u`: `θ = lo + (hi − lo)·σ(u)` for a finite box,
    /// `θ = lo + eˀ` / `θ = hi − eˀ` for one-sided bounds, `θ = u` for none.
    Reparameterisation,
    /// Optimise `u = ln θ` (positive bounds), clipped to `[ln lo, ln hi]` after each step: the
    /// learning rate is a relative step, natural for sizes and thicknesses.
    Logarithmic,
}

/// Lower and upper bounds per parameter (`±∞` for none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    #[serde(with = "infinite_as_text")]
    lo: Vec<f64>,
    #[serde(with = "infinite_as_text")]
    hi: Vec<f64>,
}

/// Serde of bound vectors: JSON has no infinity (serde_json would write `null`, which does not
/// read back), so `±∞` — no bound — is written as the string `"inf"` / `"-inf"`.
mod infinite_as_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Bound {
        Number(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| {
            if x == f64::INFINITY {
                Bound::Text("inf".into())
            } else if x == f64::NEG_INFINITY {
                Bound::Text("-inf".into())
            } else {
                Bound::Number(x)
            }
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Bound>::deserialize(d)?
            .into_iter()
            .map(|b| match b {
                Bound::Number(x) => Ok(x),
                Bound::Text(t) if t == "inf" => Ok(f64::INFINITY),
                Bound::Text(t) if t == "-inf" => Ok(f64::NEG_INFINITY),
                Bound::Text(t) => Err(D::Error::custom(format!(
                    "bound {t:?}: expected a number, \"inf\" or \"-inf\""
                ))),
            })
            .collect()
    }
}

impl Bounds {
    /// Bounds `lo[i] ≤ θᵢ ≤ hi[i]`; an error names the first index with `lo > hi` or a NaN.
    pub fn new(lo: Vec<f64>, hi: Vec<f64>) -> Result<Self, OptimError> {
        check_len("upper bounds (one per lower bound)", lo.len(), hi.len())?;
        for (index, (&l, &h)) in lo.iter().zip(&hi).enumerate() {
            if l.is_nan() || h.is_nan() || l > h || l == f64::INFINITY || h == f64::NEG_INFINITY {
                return Err(OptimError::Bounds {
                    index,
                    lo: l,
                    hi: h,
                });
            }
        }
        Ok(Bounds { lo, hi })
    }

    /// No bounds on `n` parameters.
    pub fn unbounded(n: usize) -> Self {
        Bounds {
            lo: vec![f64::NEG_INFINITY; n],
            hi: vec![f64::INFINITY; n],
        }
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.lo.len()
    }

    /// True if there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.lo.is_empty()
    }

    /// Lower bounds.
    pub fn lo(&self) -> &[f64] {
        &self.lo
    }

    /// Upper bounds.
    pub fn hi(&self) -> &[f64] {
        &self.hi
    }

    /// Clip `theta` into the box.
    pub fn project(&self, theta: &mut [f64]) {
        for (i, t) in theta.iter_mut().enumerate() {
            *t = t.clamp(self.lo[i], self.hi[i]);
        }
    }

    /// Check that `theta` has the right length and lies in the box (the interior for finite
    /// bounds under reparameterisation, where the box edges map to `u = ±∞`).
    pub fn check_inside(&self, theta: &[f64], strict: bool) -> Result<(), OptimError> {
        check_len("number of parameters (bounds)", self.len(), theta.len())?;
        for (index, &value) in theta.iter().enumerate() {
            let (l, h) = (self.lo[index], self.hi[index]);
            let inside = if strict {
                (value > l || l == f64::NEG_INFINITY) && (value < h || h == f64::INFINITY)
            } else {
                value >= l && value <= h
            };
            if !inside || !value.is_finite() {
                return Err(OptimError::OutOfBounds { index, value });
            }
        }
        Ok(())
    }

    /// `θ(u)` of the reparameterisation.
    pub fn to_external(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .enumerate()
            .map(|(i, &u)| {
                let (l, h) = (self.lo[i], self.hi[i]);
                match (l.is_finite(), h.is_finite()) {
                    (true, true) => l + (h - l) * sigmoid(u),
                    (true, false) => l + u.exp(),
                    (false, true) => h - u.exp(),
                    (false, false) => u,
                }
            })
            .collect()
    }

    /// `u(θ)`, the inverse of [`Bounds::to_external`] (θ strictly inside finite bounds).
    pub fn to_internal(&self, theta: &[f64]) -> Vec<f64> {
        theta
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let (l, h) = (self.lo[i], self.hi[i]);
                match (l.is_finite(), h.is_finite()) {
                    (true, true) => {
                        let s = (t - l) / (h - l);
                        (s / (1.0 - s)).ln()
                    }
                    (true, false) => (t - l).ln(),
                    (false, true) => (h - t).ln(),
                    (false, false) => t,
                }
            })
            .collect()
    }

    /// `dθᵢ/duᵢ` of the reparameterisation at `u`.
    pub fn jacobian_diag(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .enumerate()
            .map(|(i, &u)| {
                let (l, h) = (self.lo[i], self.hi[i]);
                match (l.is_finite(), h.is_finite()) {
                    (true, true) => {
                        let s = sigmoid(u);
                        (h - l) * s * (1.0 - s)
                    }
                    (true, false) => u.exp(),
                    (false, true) => -u.exp(),
                    (false, false) => 1.0,
                }
            })
            .collect()
    }

    /// Check that every lower bound is positive (needed by [`BoundMode::Logarithmic`]).
    pub fn check_positive(&self) -> Result<(), OptimError> {
        match self.lo.iter().position(|&l| l.is_nan() || l <= 0.0) {
            Some(index) => Err(OptimError::Bounds {
                index,
                lo: self.lo[index],
                hi: self.hi[index],
            }),
            None => Ok(()),
        }
    }

    /// The stepper's variables for θ under `mode`.
    pub fn internal(&self, mode: BoundMode, theta: &[f64]) -> Vec<f64> {
        match mode {
            BoundMode::Projection => theta.to_vec(),
            BoundMode::Reparameterisation => self.to_internal(theta),
            BoundMode::Logarithmic => theta.iter().map(|t| t.ln()).collect(),
        }
    }

    /// θ for the stepper's variables `u` under `mode`.
    pub fn external(&self, mode: BoundMode, u: &[f64]) -> Vec<f64> {
        match mode {
            BoundMode::Projection => u.to_vec(),
            BoundMode::Reparameterisation => self.to_external(u),
            BoundMode::Logarithmic => u.iter().map(|l| l.exp()).collect(),
        }
    }

    /// The gradient w.r.t. `u` from the gradient `g` w.r.t. θ (chain rule, `g·dθ/du`).
    pub fn chain(&self, mode: BoundMode, u: &[f64], g: &[f64]) -> Vec<f64> {
        match mode {
            BoundMode::Projection => g.to_vec(),
            BoundMode::Reparameterisation => {
                let d = self.jacobian_diag(u);
                g.iter().zip(&d).map(|(a, b)| a * b).collect()
            }
            BoundMode::Logarithmic => g.iter().zip(u).map(|(a, l)| a * l.exp()).collect(),
        }
    }

    /// Bring the stepper's variables back inside the bounds after an update.
    pub fn project_internal(&self, mode: BoundMode, u: &mut [f64]) {
        match mode {
            BoundMode::Projection => self.project(u),
            BoundMode::Reparameterisation => {}
            BoundMode::Logarithmic => {
                for (i, l) in u.iter_mut().enumerate() {
                    *l = l.clamp(self.lo[i].ln(), self.hi[i].ln());
                }
            }
        }
    }
}
