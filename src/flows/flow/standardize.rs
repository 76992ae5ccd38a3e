//! Standardisation (z-scoring) of the modelled variable and the context: the fixed affine map
//! applied before the flow, its log-determinant, and the chain rule back to raw coordinates.

use serde::{Deserialize, Serialize};

use super::{non_finite, Batch, Flow};
use crate::error::check_len;
use crate::flows::spec::{Domain, FlowError};

/// A fixed affine standardisation `x_s = (x − shift) / scale` applied before the flow (and the
/// same for the context), as the `sbi` package z-scores its training data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Per-coordinate shift of the modelled variable.
    pub x_shift: Vec<f64>,
    /// Per-coordinate scale of the modelled variable (positive).
    pub x_scale: Vec<f64>,
    /// Per-coordinate shift of the context.
    pub ctx_shift: Vec<f64>,
    /// Per-coordinate scale of the context (positive).
    pub ctx_scale: Vec<f64>,
}

impl Flow {
    /// The standardisation in use, if any.
    pub fn standardization(&self) -> Option<&Standardization> {
        self.standardization.as_ref()
    }

    /// Use a fixed standardisation of the variable and context (see [`Standardization`]).
    /// Not available on [`Domain::UnitCube`], whose coordinates are already normalised.
    pub fn set_standardization(&mut self, s: Option<Standardization>) -> Result<(), FlowError> {
        if let Some(s) = &s {
            if self.spec.domain == Domain::UnitCube {
                return Err(FlowError::Config(
                    "standardisation is only for flows on the real domain".into(),
                ));
            }
            check_len("standardisation x_shift", self.dim(), s.x_shift.len())?;
            check_len("standardisation x_scale", self.dim(), s.x_scale.len())?;
            check_len(
                "standardisation ctx_shift",
                self.context_dim(),
                s.ctx_shift.len(),
            )?;
            check_len(
                "standardisation ctx_scale",
                self.context_dim(),
                s.ctx_scale.len(),
            )?;
            let ok = |v: &[f64]| v.iter().all(|&a| a.is_finite() && a > 0.0);
            if !ok(&s.x_scale)
                || !ok(&s.ctx_scale)
                || non_finite(&s.x_shift)
                || non_finite(&s.ctx_shift)
            {
                return Err(FlowError::Config(
                    "standardisation scales must be positive and finite".into(),
                ));
            }
        }
        self.standardization = s;
        Ok(())
    }

    /// Set the standardisation to the per-coordinate mean and standard deviation of a data set
    /// (`x`: `n·dim`, `ctx`: `n·context_dim` or empty); zero spreads are replaced by 1.
    pub fn standardize_from(&mut self, x: &[f64], ctx: &[f64]) -> Result<(), FlowError> {
        let b = self.batch(x, ctx)?;
        let (xm, xs) = moments(x, self.dim(), b.n);
        let (cm, cs) = if b.broadcast || self.context_dim() == 0 {
            (vec![0.0; self.context_dim()], vec![1.0; self.context_dim()])
        } else {
            moments(ctx, self.context_dim(), b.n)
        };
        self.set_standardization(Some(Standardization {
            x_shift: xm,
            x_scale: xs,
            ctx_shift: cm,
            ctx_scale: cs,
        }))
    }

    /// Standardised x, per-row standardised context, and the rows outside the domain (whose
    /// coordinates are replaced by a harmless interior point).
    pub(super) fn prepare(
        &self,
        x: &[f64],
        ctx: &[f64],
        b: &Batch,
    ) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
        let d = self.dim();
        let mut xs = x.to_vec();
        let mut outside = vec![false; b.n];
        match (&self.spec.domain, &self.standardization) {
            (Domain::UnitCube, _) => {
                for i in 0..b.n {
                    let row = &mut xs[i * d..(i + 1) * d];
                    if row.iter().any(|&v| !(0.0..=1.0).contains(&v)) {
                        outside[i] = true;
                        row.iter_mut().for_each(|v| *v = 0.5);
                    }
                }
            }
            (Domain::Real, Some(s)) => {
                for (k, v) in xs.iter_mut().enumerate() {
                    *v = (*v - s.x_shift[k % d]) / s.x_scale[k % d];
                }
            }
            (Domain::Real, None) => {}
        }
        (xs, self.prepare_ctx(ctx, b), outside)
    }

    pub(super) fn prepare_ctx(&self, ctx: &[f64], b: &Batch) -> Vec<f64> {
        let c = self.context_dim();
        let mut cs: Vec<f64> = if b.broadcast {
            ctx.iter().cycle().take(b.n * c).cloned().collect()
        } else {
            ctx.to_vec()
        };
        if let Some(s) = &self.standardization {
            for (k, v) in cs.iter_mut().enumerate() {
                *v = (*v - s.ctx_shift[k % c]) / s.ctx_scale[k % c];
            }
        }
        cs
    }

    pub(super) fn std_logdet(&self) -> f64 {
        self.standardization
            .as_ref()
            .map_or(0.0, |s| -s.x_scale.iter().map(|v| v.ln()).sum::<f64>())
    }

    pub(super) fn unstandardize_x_grad(&self, mut g: Vec<f64>, _n: usize) -> Vec<f64> {
        let d = self.dim();
        if let Some(s) = &self.standardization {
            for (k, v) in g.iter_mut().enumerate() {
                *v /= s.x_scale[k % d];
            }
        }
        g
    }

    pub(super) fn unstandardize_ctx_grad(&self, mut g: Vec<f64>, b: &Batch) -> Vec<f64> {
        let c = self.context_dim();
        if let Some(s) = &self.standardization {
            for (k, v) in g.iter_mut().enumerate() {
                *v /= s.ctx_scale[k % c];
            }
        }
        if b.broadcast {
            let mut sum = vec![0.0; c];
            for (k, v) in g.iter().enumerate() {
                sum[k % c] += v;
            }
            sum
        } else {
            g
        }
    }
}

/// Per-coordinate mean and standard deviation (zero spreads replaced by 1).
pub(super) fn moments(v: &[f64], d: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; d];
    for (k, x) in v.iter().enumerate() {
        mean[k % d] += x / n as f64;
    }
    let mut var = vec![0.0; d];
    for (k, x) in v.iter().enumerate() {
        var[k % d] += (x - mean[k % d]).powi(2) / n as f64;
    }
    let sd = var
        .into_iter()
        .map(|v| if v > 0.0 { v.sqrt() } else { 1.0 })
        .collect();
    (mean, sd)
}
