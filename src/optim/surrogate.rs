//! Global MLP surrogates of black-box objectives, and the measurement of surrogate-gradient bias.
//!
//! A [`GlobalSurrogate`] is fitted to `(θᵢ, f(θᵢ))` samples of a simulator that need not be
//! differentiable; its input gradient (exact for the network, through dfdx) then drives a
//! [`super::DesignLoop`]. Because our simulators can also be differentiated exactly,
//! [`GradientBias`] compares the surrogate's gradient with the true one at the same point.

use crate::error::DimensionMismatch;
use serde::{Deserialize, Serialize};

use super::error::{check_len, OptimError};
use crate::nn::bridge::dfdx_vjp;
use crate::nn::{Activation, Adam, AdamConfig, Mlp, MlpSpec};

/// Architecture and training schedule of a surrogate network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurrogateConfig {
    /// Hidden-layer widths.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Full-batch Adam steps.
    pub epochs: usize,
    /// Adam settings.
    pub adam: AdamConfig,
    /// Seed of the network's initialisation.
    pub seed: u64,
}

impl Default for SurrogateConfig {
    fn default() -> Self {
        SurrogateConfig {
            hidden: vec![32, 32],
            activation: Activation::Tanh,
            epochs: 500,
            adam: AdamConfig::with_lr(1e-2),
            seed: 0,
        }
    }
}

/// Per-column mean and scale used to standardise a data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Standardiser {
    pub(crate) mean: Vec<f64>,
    pub(crate) scale: Vec<f64>,
}

impl Standardiser {
    /// Fit to rows of width `d` (flat, row-major).
    pub(crate) fn fit(flat: &[f64], d: usize) -> Self {
        if d == 0 {
            return Standardiser {
                mean: Vec::new(),
                scale: Vec::new(),
            };
        }
        let n = (flat.len() / d).max(1) as f64;
        let mut mean = vec![0.0; d];
        let mut var = vec![0.0; d];
        for r in flat.chunks_exact(d) {
            for j in 0..d {
                mean[j] += r[j] / n;
            }
        }
        for r in flat.chunks_exact(d) {
            for j in 0..d {
                var[j] += (r[j] - mean[j]).powi(2) / n;
            }
        }
        let scale = var
            .iter()
            .map(|v| if v.sqrt() > 1e-12 { v.sqrt() } else { 1.0 })
            .collect();
        Standardiser { mean, scale }
    }

    pub(crate) fn apply(&self, flat: &[f64]) -> Vec<f64> {
        let d = self.mean.len();
        flat.iter()
            .enumerate()
            .map(|(i, v)| (v - self.mean[i % d]) / self.scale[i % d])
            .collect()
    }
}

/// Train `net` on `(x, y)` (already standardised) with full-batch Adam; returns the final MSE.
pub(crate) fn train_mse(
    net: &mut Mlp<f64>,
    opt: &mut Adam,
    x: &[f64],
    y: &[f64],
    epochs: usize,
) -> Result<f64, OptimError> {
    let mut p = net.params_f64();
    let mut last = f64::NAN;
    for _ in 0..epochs {
        let (l, g) = net.mse_and_grad(x, y)?;
        last = l;
        opt.step(&mut p, &g)?;
        net.set_params_f64(&p)?;
    }
    Ok(last)
}

/// An MLP fitted to a scalar objective of the design parameters.
#[derive(Clone, Debug)]
pub struct GlobalSurrogate {
    net: Mlp<f64>,
    xs: Standardiser,
    ys: Standardiser,
    train_mse: f64,
}

impl GlobalSurrogate {
    /// Fit to designs `theta` (one row of `d` parameters each) and outputs `y`.
    pub fn fit(theta: &[Vec<f64>], y: &[f64], cfg: &SurrogateConfig) -> Result<Self, OptimError> {
        check_len("surrogate outputs (one per design)", theta.len(), y.len())?;
        if theta.is_empty() {
            return Err(OptimError::Dimension(DimensionMismatch {
                what: "number of surrogate training designs (at least one)",
                expected: 1,
                got: 0,
            }));
        }
        let d = theta[0].len();
        let mut flat = Vec::with_capacity(theta.len() * d);
        for t in theta {
            check_len("design length", d, t.len())?;
            flat.extend_from_slice(t);
        }
        let xs = Standardiser::fit(&flat, d);
        let ys = Standardiser::fit(y, 1);
        let mut widths = vec![d];
        widths.extend(&cfg.hidden);
        widths.push(1);
        let mut net = Mlp::new(MlpSpec::new(&widths, cfg.activation), cfg.seed)?;
        let mut opt = Adam::new(net.num_params(), cfg.adam.clone())?;
        let train = train_mse(
            &mut net,
            &mut opt,
            &xs.apply(&flat),
            &ys.apply(y),
            cfg.epochs,
        )?;
        let train_mse = train * ys.scale[0] * ys.scale[0];
        Ok(GlobalSurrogate {
            net,
            xs,
            ys,
            train_mse,
        })
    }

    /// Mean squared training error, in the units of the outputs.
    pub fn train_mse(&self) -> f64 {
        self.train_mse
    }

    /// Surrogate value at `theta`.
    pub fn predict(&self, theta: &[f64]) -> Result<f64, OptimError> {
        check_len("design length", self.xs.mean.len(), theta.len())?;
        let z = self.net.forward(&self.xs.apply(theta))?;
        Ok(self.ys.mean[0] + self.ys.scale[0] * z[0])
    }

    /// Surrogate value and its exact gradient w.r.t. `theta` (through dfdx and the
    /// standardisation).
    pub fn value_and_grad(&self, theta: &[f64]) -> Result<(f64, Vec<f64>), OptimError> {
        check_len("design length", self.xs.mean.len(), theta.len())?;
        let (z, gz) = dfdx_vjp(&self.net, &self.xs.apply(theta), &[1.0])?;
        let v = self.ys.mean[0] + self.ys.scale[0] * z[0];
        let g = gz
            .iter()
            .zip(&self.xs.scale)
            .map(|(g, s)| self.ys.scale[0] * g / s)
            .collect();
        Ok((v, g))
    }
}

/// Surrogate gradient compared with the exact gradient at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientBias {
    /// `surrogate − exact`, per component.
    pub difference: Vec<f64>,
    /// `‖surrogate − exact‖ / ‖exact‖`.
    pub relative_norm: f64,
    /// Cosine of the angle between the two gradients.
    pub cosine: f64,
}

impl GradientBias {
    /// Compare `surrogate` with `exact` (same length, `exact` non-zero).
    pub fn new(surrogate: &[f64], exact: &[f64]) -> Result<Self, OptimError> {
        check_len("surrogate gradient length", exact.len(), surrogate.len())?;
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let difference: Vec<f64> = surrogate.iter().zip(exact).map(|(a, b)| a - b).collect();
        let (ne, ns) = (norm(exact), norm(surrogate));
        let dot: f64 = surrogate.iter().zip(exact).map(|(a, b)| a * b).sum();
        Ok(GradientBias {
            relative_norm: norm(&difference) / ne,
            cosine: dot / (ne * ns),
            difference,
        })
    }
}
