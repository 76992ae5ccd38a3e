//! Neural ratio estimation (NRE) and its gradient-augmented version (RASCAL/ALICES-style
//! score regression).
//!
//! **NRE** (Hermans, Begy & Louppe, ICML 2020; the `sbi` package's NRE_A): a classifier
//! `d(θ, x) = σ(s(θ, x))` is trained with binary cross-entropy to tell joint pairs `(θᵢ, xᵢ)`
//! (label 1) from marginal pairs `(θⱼ, xᵢ)` (label 0, θ taken from the next row of the
//! minibatch). At the optimum `s(θ, x) = log p(x|θ)/p(x)`, so `log π(θ) + s(θ, x_o)` is the
//! unnormalised log posterior, sampled here by SMC with MALA moves using the network's input
//! gradient ([`super::sampler`]).
//!
//! **Score-augmented NRE** (Brehmer, Louppe, Pavez & Cranmer, "Mining gold from implicit
//! models", PNAS 2020, the CASCAL/ALICES family): since `∇θ s = ∇θ log p(x|θ)` at the optimum
//! and the joint score `t(x, z|θ) = ∇θ log p(x, z|θ)` of a differentiable simulator is an
//! unbiased regression target for it (`E[t | x, θ] = ∇θ log p(x|θ)`), the loss adds
//! `λ·mean‖∇θ s(θᵢ, xᵢ) − t(xᵢ, zᵢ|θᵢ)‖²` over joint pairs (θ z-scored, so λ is dimensionless). `∇θ s` is computed by forward-mode
//! tangents written as dfdx ops ([`crate::nn::Mlp::forward_with_tangent`]), so the combined loss
//! is differentiated w.r.t. the weights by one backward pass. The network needs a smooth
//! activation (SiLU by default). We regress the score only, not the joint likelihood ratio of
//! RASCAL proper: with the marginal `p(x)` as the amortised reference, the joint ratio
//! `p(x, z|θ)/p(x, z)` would need `p(z) = ∫ p(z|θ) π(θ) dθ` per path, which is intractable in
//! general.

use dfdx::prelude::*;

use super::error::{check_len, Result, SbiError};
use super::estimator::Estimator;
use super::network::{
    loss_value_and_grad, output_and_input_gradient, with_params, NetProblem, StandardisedSet,
    Standardizer,
};
use super::posterior::Posterior;
use super::prior::Prior;
use super::sampler::{smc_posterior, unnormalised_log_posterior, SmcConfig};
use super::task::SimulationSet;
use super::train::{TrainConfig, TrainReport};
use crate::nn::{Activation, Mlp, MlpSpec};

/// Settings of [`RatioEstimator::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct RatioConfig {
    /// Hidden widths of the classifier.
    pub hidden: Vec<usize>,
    /// Hidden activation (smooth for the score term).
    pub activation: Activation,
    /// Weight λ of the score-regression term (0: plain NRE).
    pub score_weight: f64,
    /// Marginal (label-0) pairs per joint pair: row `i`'s x with the θ of rows `i+1, …, i+K`
    /// of the minibatch. Both classes enter the loss with equal total weight, so the optimum
    /// stays `log p(x|θ)/p(x)`; more negatives lower the variance of the gradient.
    pub negatives: usize,
    /// Training settings.
    pub train: TrainConfig,
    /// Initialisation seed.
    pub seed: u64,
}

impl Default for RatioConfig {
    fn default() -> Self {
        RatioConfig {
            hidden: vec![64, 64],
            activation: Activation::Silu,
            score_weight: 0.0,
            negatives: NEGATIVES,
            train: TrainConfig {
                epochs: 1000,
                batch_size: 100,
                lr: 1e-3,
                ..TrainConfig::default()
            },
            seed: 0,
        }
    }
}

/// Default [`RatioConfig::negatives`].
const NEGATIVES: usize = 4;

/// A trained ratio estimator `s(θ, x) ≈ log p(x|θ)/p(x)`.
#[derive(Clone, Debug)]
pub struct RatioEstimator {
    net: Mlp,
    theta_z: Standardizer,
    x_z: Standardizer,
    prior: Prior,
    /// SMC settings used by [`Posterior::sample`] (its `particles` and `seed` are overridden).
    pub smc: SmcConfig,
}

/// Rows `[θ_z | x_z]` of the classifier input.
fn stack(theta_z: &[f64], x_z: &[f64], dt: usize, dx: usize, rows: &[(usize, usize)]) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len() * (dt + dx));
    for &(i, j) in rows {
        out.extend_from_slice(&theta_z[j * dt..(j + 1) * dt]);
        out.extend_from_slice(&x_z[i * dx..(i + 1) * dx]);
    }
    out
}

impl RatioEstimator {
    /// The training problem of [`RatioEstimator::fit`].
    pub(crate) fn problem(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &RatioConfig,
    ) -> Result<NetProblem> {
        if cfg.negatives == 0 {
            return Err(SbiError::Config(
                "NRE needs at least one marginal pair per joint pair".into(),
            ));
        }
        let dt = prior.dim();
        let StandardisedSet {
            theta_z,
            x_z,
            theta: tz,
            x: xz,
            joint_score: score,
            rows,
        } = StandardisedSet::new(set, dt, x_dim, cfg.score_weight, "NRE")?;
        let mut widths = vec![dt + x_dim];
        widths.extend(&cfg.hidden);
        widths.push(1);
        let template = Mlp::<f64>::new(MlpSpec::new(&widths, cfg.activation), cfg.seed)?;
        let lam = cfg.score_weight;
        let negatives = cfg.negatives;
        let net0 = template.clone();
        let sd = theta_z.sd.clone();
        let loss = move |p: &[f64], rows: &[usize]| -> Result<(f64, Vec<f64>)> {
            let net = with_params(&net0, p)?;
            let m = rows.len();
            let dev = net.device().clone();
            let joint: Vec<(usize, usize)> = rows.iter().map(|&i| (i, i)).collect();
            let marginal: Vec<(usize, usize)> = (1..=negatives.min(m.saturating_sub(1)))
                .flat_map(|shift| (0..m).map(move |k| (rows[k], rows[(k + shift) % m])))
                .collect();
            let class_loss = |pairs: &[(usize, usize)], label: f64| {
                let inp = stack(&tz, &xz, dt, x_dim, pairs);
                let xt: Tensor<(usize, usize), f64, Cpu> =
                    dev.tensor_from_vec(inp, (pairs.len(), dt + x_dim));
                let target: Tensor<(usize, usize), f64, Cpu> =
                    dev.tensor_from_vec(vec![label; pairs.len()], (pairs.len(), 1));
                let logits = net.forward_tensor(xt.leaky_trace())?;
                Ok::<_, SbiError>(dfdx::losses::binary_cross_entropy_with_logits_loss(
                    logits, target,
                ))
            };
            // Mean BCE of each class, so both classes weigh equally (with one minibatch row there
            // is no marginal pair).
            let bce = if marginal.is_empty() {
                class_loss(&joint, 1.0)?
            } else {
                (class_loss(&joint, 1.0)? + class_loss(&marginal, 0.0)?) * 0.5
            };
            let total = if let Some(s) = &score {
                // One tangent per θ component: rows (j, i) with direction e_j in z-scored θ.
                let base = stack(&tz, &xz, dt, x_dim, &joint);
                let mut inp = Vec::with_capacity(dt * base.len());
                let mut dir = Vec::with_capacity(dt * base.len());
                let mut tgt = Vec::with_capacity(dt * m);
                for j in 0..dt {
                    inp.extend_from_slice(&base);
                    for &i in rows {
                        let mut e = vec![0.0; dt + x_dim];
                        e[j] = 1.0;
                        dir.extend(e);
                        // In z-scored units (∂/∂θ_z = sd_j ∂/∂θ), so λ is dimensionless.
                        tgt.push(s[i * dt + j] * sd[j]);
                    }
                }
                let xt: Tensor<(usize, usize), f64, Cpu> =
                    dev.tensor_from_vec(inp, (dt * m, dt + x_dim));
                let dt_: Tensor<(usize, usize), f64, Cpu> =
                    dev.tensor_from_vec(dir, (dt * m, dt + x_dim));
                let tg: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(tgt, (dt * m, 1));
                let (y, sd) = net.forward_with_tangent(xt.leaky_trace(), dt_.leaky_trace())?;
                // `y` carries the recorded primal ops that the tangent depends on: consume it.
                bce + (sd - tg).square().mean() * lam + y.sum() * 0.0
            } else {
                bce
            };
            loss_value_and_grad(&net, total)
        };
        Ok(NetProblem {
            theta_z,
            x_z,
            template,
            rows,
            loss: Box::new(loss),
        })
    }

    /// `s(θ, x)` for rows θ and one observation x, with its θ-gradient.
    pub fn log_ratio_grad(&self, theta: &[f64], x: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        check_len("observation dimension", self.x_z.dim(), x.len())?;
        let n = theta.len() / self.theta_z.dim();
        let xs: Vec<f64> = (0..n).flat_map(|_| x.iter().copied()).collect();
        let (v, g, _) = self.log_ratio_pairs_grad(theta, &xs)?;
        Ok((v, g))
    }

    /// `s(θᵢ, xᵢ)` for paired rows θᵢ, xᵢ, with its gradients w.r.t. θ and w.r.t. x (rows as
    /// the inputs): `(values, ∇θ s, ∇ₓ s)`.
    pub fn log_ratio_pairs_grad(
        &self,
        theta: &[f64],
        x: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let dt = self.theta_z.dim();
        let dx = self.x_z.dim();
        let n = theta.len() / dt;
        check_len("θ rows", n * dt, theta.len())?;
        check_len("x rows (one per θ row)", n * dx, x.len())?;
        let tz = self.theta_z.apply(theta);
        let xz = self.x_z.apply(x);
        let mut inp = Vec::with_capacity(n * (dt + dx));
        for i in 0..n {
            inp.extend_from_slice(&tz[i * dt..(i + 1) * dt]);
            inp.extend_from_slice(&xz[i * dx..(i + 1) * dx]);
        }
        let (v, gi) = output_and_input_gradient(&self.net, &inp)?;
        let mut gt = Vec::with_capacity(n * dt);
        let mut gx = Vec::with_capacity(n * dx);
        for row in gi.chunks(dt + dx) {
            gt.extend((0..dt).map(|j| row[j] / self.theta_z.sd[j]));
            gx.extend((0..dx).map(|j| row[dt + j] / self.x_z.sd[j]));
        }
        Ok((v, gt, gx))
    }

    /// Dimension of x.
    pub fn x_dim(&self) -> usize {
        self.x_z.dim()
    }
}

impl Estimator for RatioEstimator {
    type Config = RatioConfig;
    type Report = TrainReport;

    /// Train on a simulation set (with `set.joint_score` when `cfg.score_weight > 0`).
    fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &RatioConfig,
    ) -> Result<(Self, TrainReport)> {
        let (t, report) = Self::problem(set, prior, x_dim, cfg)?.solve(&cfg.train)?;
        let e = RatioEstimator {
            net: t.net,
            theta_z: t.theta_z,
            x_z: t.x_z,
            prior: prior.clone(),
            smc: SmcConfig::default(),
        };
        Ok((e, report))
    }

    fn epochs(report: &TrainReport) -> usize {
        report.epochs
    }
}

impl Posterior for RatioEstimator {
    fn theta_dim(&self) -> usize {
        self.theta_z.dim()
    }
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        check_len("observation dimension", self.x_z.dim(), x.len())?;
        smc_posterior(&self.prior, &self.smc, n, seed, &|t: &[f64]| {
            self.log_ratio_grad(t, x)
        })
    }
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<Vec<f64>> {
        let (v, _) = self.log_ratio_grad(theta, x)?;
        Ok(unnormalised_log_posterior(&self.prior, theta, &v))
    }
}
