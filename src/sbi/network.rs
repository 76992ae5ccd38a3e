//! Small helpers around [`crate::nn::Mlp`] used by the estimators and diagnostics: z-scoring,
//! binary cross-entropy on logits, and gradients of a scalar network output w.r.t. its inputs.

use crate::error::DimensionMismatch;
use dfdx::prelude::*;

use super::error::{check_len, Result, SbiError};
use super::task::SimulationSet;
use super::train::{train, BatchLoss, TrainConfig, TrainReport};
use crate::nn::Mlp;

/// Per-column affine standardisation `(v − mean)/sd`.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (floored at 1e-12).
    pub sd: Vec<f64>,
}

impl Standardizer {
    /// Mean and standard deviation of the columns of a flat `(n, dim)` array.
    pub fn fit(data: &[f64], dim: usize) -> Result<Self> {
        if dim == 0 || data.is_empty() || !data.len().is_multiple_of(dim) {
            return Err(DimensionMismatch {
                what: "rows to standardise (a positive multiple of the dimension)",
                expected: dim,
                got: data.len(),
            }
            .into());
        }
        let n = data.len() / dim;
        let mut mean = vec![0.0; dim];
        let mut sd = vec![0.0; dim];
        for row in data.chunks(dim) {
            for j in 0..dim {
                mean[j] += row[j] / n as f64;
            }
        }
        for row in data.chunks(dim) {
            for j in 0..dim {
                sd[j] += (row[j] - mean[j]).powi(2) / n as f64;
            }
        }
        sd.iter_mut().for_each(|s| *s = s.sqrt().max(1e-12));
        if mean.iter().chain(&sd).any(|v| !v.is_finite()) {
            return Err(SbiError::NonFinite("data to standardise"));
        }
        Ok(Standardizer { mean, sd })
    }

    /// The identity map of dimension `dim`.
    pub fn identity(dim: usize) -> Self {
        Standardizer {
            mean: vec![0.0; dim],
            sd: vec![1.0; dim],
        }
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardise rows.
    pub fn apply(&self, data: &[f64]) -> Vec<f64> {
        let d = self.dim();
        data.iter()
            .enumerate()
            .map(|(i, v)| (v - self.mean[i % d]) / self.sd[i % d])
            .collect()
    }
}

/// The network with parameters `params` (a clone of `template`).
pub(crate) fn with_params(template: &Mlp, params: &[f64]) -> Result<Mlp> {
    let mut net = template.clone();
    net.set_params_f64(params)?;
    Ok(net)
}

/// Mean binary cross-entropy of logits `net(x)` against labels `y ∈ {0, 1}` and its gradient.
pub(crate) fn bce_loss_grad(
    template: &Mlp,
    params: &[f64],
    x: &[f64],
    y: &[f64],
) -> Result<(f64, Vec<f64>)> {
    let net = with_params(template, params)?;
    let dev = net.device().clone();
    let target: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(y.to_vec(), (y.len(), 1));
    Ok(net.value_and_grad(x, |out| {
        dfdx::losses::binary_cross_entropy_with_logits_loss(out, target)
    })?)
}

/// Values of a one-output network on a batch and their gradients w.r.t. the inputs.
pub(crate) fn output_and_input_gradient(net: &Mlp, x: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    check_len("network outputs (one expected)", 1, net.spec().outputs())?;
    let d = net.spec().inputs();
    let n = x.len() / d;
    check_len("flat batch length", n * d, x.len())?;
    let xt: Tensor<(usize, usize), f64, Cpu> = net.device().tensor_from_vec(x.to_vec(), (n, d));
    let y = net.forward_tensor(xt.leaky_trace())?;
    let values = y.as_vec();
    let grads = y.sum().backward();
    Ok((values, grads.get(&xt).as_vec()))
}

/// A simulation set checked and z-scored for network training (shared by the mixture-density
/// and ratio estimators): row counts and joint scores validated by [`checked_joint_scores`],
/// θ and x standardised column by column.
pub(crate) struct StandardisedSet {
    /// Standardisation of θ.
    pub theta_z: Standardizer,
    /// Standardisation of x.
    pub x_z: Standardizer,
    /// z-scored θ rows.
    pub theta: Vec<f64>,
    /// z-scored x rows.
    pub x: Vec<f64>,
    /// The joint scores (in θ units), present when the score weight is positive.
    pub joint_score: Option<Vec<f64>>,
    /// Number of rows.
    pub rows: usize,
}

impl StandardisedSet {
    /// Check and standardise `set` for a score term of weight `score_weight` (`method` names
    /// the estimator in error messages).
    pub fn new(
        set: &SimulationSet,
        theta_dim: usize,
        x_dim: usize,
        score_weight: f64,
        method: &str,
    ) -> Result<Self> {
        let rows = set.theta.len() / theta_dim;
        let joint_score = checked_joint_scores(set, theta_dim, x_dim, score_weight, method)?;
        let theta_z = Standardizer::fit(&set.theta, theta_dim)?;
        let x_z = Standardizer::fit(&set.x, x_dim)?;
        Ok(StandardisedSet {
            theta: theta_z.apply(&set.theta),
            x: x_z.apply(&set.x),
            theta_z,
            x_z,
            joint_score,
            rows,
        })
    }
}

/// A trained network with the standardisations of its inputs.
pub(crate) struct TrainedNet {
    /// The network with the best parameters.
    pub net: Mlp,
    /// Standardisation of θ.
    pub theta_z: Standardizer,
    /// Standardisation of x.
    pub x_z: Standardizer,
}

/// A network training problem: the standardisations, the untrained network and the minibatch
/// loss (shared by the mixture-density and ratio estimators).
pub(crate) struct NetProblem {
    /// Standardisation of θ.
    pub theta_z: Standardizer,
    /// Standardisation of x.
    pub x_z: Standardizer,
    /// The untrained network.
    pub template: Mlp,
    /// Number of training rows.
    pub rows: usize,
    /// Minibatch loss and parameter gradient.
    pub loss: Box<BatchLoss<'static>>,
}

impl NetProblem {
    /// Train and return the network with the best parameters.
    pub fn solve(self, cfg: &TrainConfig) -> Result<(TrainedNet, TrainReport)> {
        let (p, report) = train(
            self.template.params_f64(),
            self.rows,
            cfg,
            self.loss.as_ref(),
        )?;
        let trained = TrainedNet {
            net: with_params(&self.template, &p)?,
            theta_z: self.theta_z,
            x_z: self.x_z,
        };
        Ok((trained, report))
    }
}

/// Check a simulation set for training with a score term of weight `weight`: its row counts,
/// the weight, and (when `weight > 0`) the joint scores, which are returned.
fn checked_joint_scores(
    set: &SimulationSet,
    theta_dim: usize,
    x_dim: usize,
    weight: f64,
    method: &str,
) -> Result<Option<Vec<f64>>> {
    let n = set.theta.len() / theta_dim;
    check_len("simulation set: x rows", n * x_dim, set.x.len())?;
    if !(weight >= 0.0 && weight.is_finite()) {
        return Err(SbiError::Config(format!(
            "{method}: score weight {weight} must be finite and ≥ 0"
        )));
    }
    match (weight > 0.0, &set.joint_score) {
        (false, _) => Ok(None),
        (true, Some(s)) => {
            check_len("joint scores", n * theta_dim, s.len())?;
            Ok(Some(s.clone()))
        }
        (true, None) => Err(SbiError::Config(format!(
            "{method} with a score term needs joint scores in the simulation set"
        ))),
    }
}

/// Value of a scalar loss on the network's tape and its gradient w.r.t. all parameters.
pub(crate) fn loss_value_and_grad(
    net: &Mlp,
    total: Tensor<Rank0, f64, Cpu, OwnedTape<f64, Cpu>>,
) -> Result<(f64, Vec<f64>)> {
    let v = total.array();
    let g = total.backward();
    Ok((v, net.param_gradients(&g)))
}
