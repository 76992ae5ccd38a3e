//! Mixture-density NPE and SCANDAL (score-augmented NPE).
//!
//! **MDN-NPE** (Papamakarios & Murray, "Fast ε-free inference", NeurIPS 2016): an MLP of x
//! outputs the weights, means and diagonal log-scales of a K-component Gaussian mixture
//! `q(θ|x)` (in z-scored θ), trained by maximum likelihood `−mean log q(θᵢ|xᵢ)` on prior
//! predictive pairs.
//!
//! **SCANDAL** (Brehmer, Louppe, Pavez & Cranmer, "Mining gold from implicit models", PNAS 2020):
//! the posterior score `∇θ log p(θ|x) = ∇θ log p(x|θ) + ∇θ log π(θ)` has the unbiased
//! regression target `t(x, z|θ) + ∇θ log π(θ)` from the simulator's joint score, so the loss
//! adds `λ·mean‖∇θ log q(θᵢ|xᵢ) − t(xᵢ, zᵢ|θᵢ) − ∇θ log π(θᵢ)‖²`, with θ z-scored (the score
//! multiplied by the prior-sample standard deviation per component) so that λ is dimensionless.
//!
//! Why a mixture and not a flow: the score term needs the derivative w.r.t. the weights of a
//! θ-derivative of the density, i.e. second order. For a Gaussian mixture both `log q` and
//! `∇θ log q = −Σₖ γₖ(θ) (θ − μₖ)/σₖ²` (γ the responsibilities) are closed-form functions of the
//! network outputs, written here as dfdx ops, so one first-order backward pass differentiates
//! the whole loss. The flows' backward pass is first order only.
//!
//! Posterior samples outside the prior's support are rejected (as the `sbi` package does), so
//! sampling targets the mixture truncated to the prior; [`Posterior::log_prob`] returns the
//! untruncated `log q`.

use dfdx::prelude::*;

use super::error::{check_len, Result, SbiError};
use super::estimator::Estimator;
use super::network::{loss_value_and_grad, with_params, NetProblem, StandardisedSet, Standardizer};
use super::posterior::Posterior;
use super::prior::{std_normal, Prior};
use super::task::SimulationSet;
use super::train::{TrainConfig, TrainReport};
use crate::nn::{Activation, Mlp, MlpSpec};
use crate::stochastic::rng::counter_uniform;

/// Settings of [`MdnEstimator::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct MdnConfig {
    /// Number of mixture components.
    pub components: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Weight λ of the score term (0: plain MDN-NPE; > 0: SCANDAL).
    pub score_weight: f64,
    /// Training settings.
    pub train: TrainConfig,
    /// Initialisation seed.
    pub seed: u64,
}

impl Default for MdnConfig {
    fn default() -> Self {
        MdnConfig {
            components: 5,
            hidden: vec![64, 64],
            activation: Activation::Silu,
            score_weight: 0.0,
            train: TrainConfig {
                epochs: 1000,
                batch_size: 100,
                ..TrainConfig::default()
            },
            seed: 0,
        }
    }
}

/// A trained mixture-density posterior `q(θ|x)`.
#[derive(Clone, Debug)]
pub struct MdnEstimator {
    net: Mlp,
    k: usize,
    theta_z: Standardizer,
    x_z: Standardizer,
    prior: Prior,
}

type T2<Tp> = Tensor<(usize, usize), f64, Cpu, Tp>;
type T1<Tp> = Tensor<(usize,), f64, Cpu, Tp>;
/// `log q` per row and the θ_z-score per dimension.
type MixtureTerms<Tp> = (T1<Tp>, Vec<T1<Tp>>);

/// Constant `(rows, cols)` matrix selecting output columns `start + k·stride`, k < cols.
fn selector(dev: &Cpu, rows: usize, cols: usize, start: usize, stride: usize) -> T2<NoneTape> {
    let mut m = vec![0.0; rows * cols];
    for k in 0..cols {
        m[(start + k * stride) * cols + k] = 1.0;
    }
    dev.tensor_from_vec(m, (rows, cols))
}

/// `log q(θ_z|x)` per row (shape `(batch,)`) and the θ_z-scores (one `(batch, K)`-summed tensor
/// per dimension) from raw network outputs. Output layout per row: K logits, then for each
/// dimension j the K means and the K log-scales.
pub(crate) fn mixture_terms<Tp>(
    out: T2<Tp>,
    theta_z: &[f64],
    d: usize,
    k: usize,
    with_score: bool,
) -> MixtureTerms<Tp>
where
    Tp: Tape<f64, Cpu> + Merge<Tp> + Merge<NoneTape> + Default,
{
    let dev = out.device().clone();
    let (b, p) = *out.shape();
    // Every tensor's own tape must end up in the loss (its clones carry empty tapes), so the
    // original `out`, `z` and `1/σ` are consumed by their last use.
    let keep = out.with_empty_tape();
    let logw = out
        .matmul(selector(&dev, p, k, 0, 1))
        .log_softmax::<Axis<1>>();
    let mut a = logw;
    let mut parts = Vec::with_capacity(d);
    for j in 0..d {
        let mu = keep
            .with_empty_tape()
            .matmul(selector(&dev, p, k, k + 2 * j * k, 1));
        let ls = keep
            .with_empty_tape()
            .matmul(selector(&dev, p, k, 2 * k + 2 * j * k, 1));
        let th: T2<NoneTape> = dev.tensor_from_vec(
            (0..b).flat_map(|i| vec![theta_z[i * d + j]; k]).collect(),
            (b, k),
        );
        let inv_s = ls.with_empty_tape().negate().exp();
        let (inv_z, inv_keep) = if with_score {
            (inv_s.with_empty_tape(), Some(inv_s))
        } else {
            (inv_s, None)
        };
        let z = (mu.negate() + th) * inv_z;
        let (z_sq, z_keep) = if with_score {
            (z.with_empty_tape(), Some(z))
        } else {
            (z, None)
        };
        a = a + z_sq.square() * (-0.5) - ls + (-0.5 * (2.0 * std::f64::consts::PI).ln());
        if let (Some(z), Some(i)) = (z_keep, inv_keep) {
            parts.push((z, i));
        }
    }
    let gamma = a.with_empty_tape().softmax::<Axis<1>>();
    // Without scores, γ is unused: its (empty-tape) clone is simply dropped.
    let logq = a.logsumexp::<(usize,), Axis<1>>();
    let mut scores = Vec::new();
    let mut gamma = Some(gamma);
    let last = parts.len();
    for (j, (z, inv_s)) in parts.into_iter().enumerate() {
        // γ's own tape (the softmax) must reach the loss: move it into the last use.
        let g = if j + 1 == last {
            gamma.take().expect("used once")
        } else {
            gamma.as_ref().expect("not yet moved").with_empty_tape()
        };
        {
            // ∂/∂θ_z log q = Σ_k γ_k · (−z_k / σ_k).
            scores.push((g * z * inv_s).negate().sum::<(usize,), Axis<1>>());
        }
    }
    (logq, scores)
}

impl MdnEstimator {
    /// The training problem of [`MdnEstimator::fit`] (validated inputs, network, loss).
    pub(crate) fn problem(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &MdnConfig,
    ) -> Result<NetProblem> {
        let d = prior.dim();
        if cfg.components == 0 {
            return Err(SbiError::Config("MDN: components must be positive".into()));
        }
        let StandardisedSet {
            theta_z,
            x_z,
            theta: tz,
            x: xz,
            joint_score,
            rows,
        } = StandardisedSet::new(set, d, x_dim, cfg.score_weight, "MDN")?;
        // SCANDAL's target: joint score plus the prior's score.
        let target = joint_score.map(|s| {
            let (_, gp) = prior.log_prob_grad_batch(&set.theta);
            s.iter().zip(gp).map(|(a, b)| a + b).collect::<Vec<f64>>()
        });
        let k = cfg.components;
        let mut widths = vec![x_dim];
        widths.extend(&cfg.hidden);
        widths.push(k * (1 + 2 * d));
        let template = Mlp::<f64>::new(MlpSpec::new(&widths, cfg.activation), cfg.seed)?;
        let lam = cfg.score_weight;
        let net0 = template.clone();
        let sd = theta_z.sd.clone();
        let loss = move |p: &[f64], rows: &[usize]| -> Result<(f64, Vec<f64>)> {
            let net = with_params(&net0, p)?;
            let m = rows.len();
            let xs: Vec<f64> = rows
                .iter()
                .flat_map(|&i| xz[i * x_dim..(i + 1) * x_dim].to_vec())
                .collect();
            let ts: Vec<f64> = rows
                .iter()
                .flat_map(|&i| tz[i * d..(i + 1) * d].to_vec())
                .collect();
            let dev = net.device().clone();
            let xt: T2<NoneTape> = dev.tensor_from_vec(xs, (m, x_dim));
            let out = net.forward_tensor(xt.leaky_trace())?;
            let (logq, scores) = mixture_terms(out, &ts, d, k, target.is_some());
            let mut total = logq.mean().negate();
            if let Some(t) = &target {
                for (j, s) in scores.into_iter().enumerate() {
                    // In z-scored units: ∂/∂θ_z = sd_j · ∂/∂θ, so λ is dimensionless.
                    let tg: Tensor<(usize,), f64, Cpu> = dev.tensor_from_vec(
                        rows.iter().map(|&i| t[i * d + j] * sd[j]).collect(),
                        (m,),
                    );
                    total = total + (s - tg).square().mean() * (lam / d as f64);
                }
            }
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

    /// Mixture parameters for one observation: (weights, means, sds) in θ units.
    fn mixture(&self, x: &[f64]) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        check_len("observation dimension", self.x_z.dim(), x.len())?;
        let out = self.net.forward(&self.x_z.apply(x))?;
        let (k, d) = (self.k, self.theta_z.dim());
        let mx = out[..k].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = out[..k].iter().map(|l| (l - mx).exp()).collect();
        let s: f64 = w.iter().sum();
        let w = w.iter().map(|v| v / s).collect();
        let mut mu = vec![0.0; k * d];
        let mut sd = vec![0.0; k * d];
        for j in 0..d {
            for c in 0..k {
                mu[c * d + j] = self.theta_z.mean[j] + self.theta_z.sd[j] * out[k + 2 * j * k + c];
                sd[c * d + j] = self.theta_z.sd[j] * out[2 * k + 2 * j * k + c].exp();
            }
        }
        Ok((w, mu, sd))
    }
}

impl Estimator for MdnEstimator {
    type Config = MdnConfig;
    type Report = TrainReport;

    /// Train on a simulation set (with joint scores when `cfg.score_weight > 0`).
    fn fit(
        set: &SimulationSet,
        prior: &Prior,
        x_dim: usize,
        cfg: &MdnConfig,
    ) -> Result<(Self, TrainReport)> {
        let (t, report) = Self::problem(set, prior, x_dim, cfg)?.solve(&cfg.train)?;
        let e = MdnEstimator {
            net: t.net,
            k: cfg.components,
            theta_z: t.theta_z,
            x_z: t.x_z,
            prior: prior.clone(),
        };
        Ok((e, report))
    }

    fn epochs(report: &TrainReport) -> usize {
        report.epochs
    }
}

impl Posterior for MdnEstimator {
    fn theta_dim(&self) -> usize {
        self.theta_z.dim()
    }
    fn sample(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
        let (w, mu, sd) = self.mixture(x)?;
        let d = self.theta_z.dim();
        let mut out = Vec::with_capacity(n * d);
        let mut i = 0u64;
        let max_tries = 1000 * n as u64 + 10_000;
        while out.len() < n * d {
            if i > max_tries {
                return Err(SbiError::Config(
                    "MDN posterior: almost no mass inside the prior support".into(),
                ));
            }
            let u = counter_uniform(seed, 0x3d40, i, 0);
            let mut c = 0;
            let mut acc = w[0];
            while u > acc && c + 1 < self.k {
                c += 1;
                acc += w[c];
            }
            let t: Vec<f64> = (0..d)
                .map(|j| mu[c * d + j] + sd[c * d + j] * std_normal(seed, 0x3d41 + j as u64, i))
                .collect();
            i += 1;
            if self.prior.contains(&t) {
                out.extend(t);
            }
        }
        Ok(out)
    }
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<Vec<f64>> {
        let (w, mu, sd) = self.mixture(x)?;
        let d = self.theta_z.dim();
        check_len("θ rows", theta.len() / d * d, theta.len())?;
        Ok(theta
            .chunks(d)
            .map(|t| {
                let a: Vec<f64> = (0..self.k)
                    .map(|c| {
                        w[c].ln()
                            + (0..d)
                                .map(|j| {
                                    let z = (t[j] - mu[c * d + j]) / sd[c * d + j];
                                    -0.5 * z * z
                                        - sd[c * d + j].ln()
                                        - 0.5 * (2.0 * std::f64::consts::PI).ln()
                                })
                                .sum::<f64>()
                    })
                    .collect();
                let m = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                m + a.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixture_log_density_and_score_match_closed_form() {
        // The dfdx mixture terms against the plain-f64 log density and a central difference
        // of it in θ (the score), for random network outputs.
        let dev = Cpu::default();
        let (b, d, k) = (3, 2, 3);
        let p = k * (1 + 2 * d);
        let raw: Vec<f64> = (0..b * p)
            .map(|i| counter_uniform(1, 2, i as u64, 0) - 0.5)
            .collect();
        let th: Vec<f64> = (0..b * d)
            .map(|i| counter_uniform(1, 3, i as u64, 0) - 0.5)
            .collect();
        let f = |t: &[f64], r: usize| -> f64 {
            let o = &raw[r * p..(r + 1) * p];
            let mx = o[..k].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lz = mx + o[..k].iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
            let a: Vec<f64> = (0..k)
                .map(|c| {
                    o[c] - lz
                        + (0..d)
                            .map(|j| {
                                let (m, ls) = (o[k + 2 * j * k + c], o[2 * k + 2 * j * k + c]);
                                let z = (t[j] - m) / ls.exp();
                                -0.5 * z * z - ls - 0.5 * (2.0 * std::f64::consts::PI).ln()
                            })
                            .sum::<f64>()
                })
                .collect();
            let m = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            m + a.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
        };
        let out: T2<NoneTape> = dev.tensor_from_vec(raw.clone(), (b, p));
        let (lq, sc) = mixture_terms(out, &th, d, k, true);
        let lq = lq.as_vec();
        for r in 0..b {
            let t = &th[r * d..(r + 1) * d];
            assert!((lq[r] - f(t, r)).abs() < 1e-12);
            for j in 0..d {
                let (fd, err) = crate::gradcheck::ridders(
                    |h| {
                        let mut tt = t.to_vec();
                        tt[j] += h;
                        f(&tt, r)
                    },
                    0.0,
                    0.1,
                );
                let s = sc[j].as_vec()[r];
                assert!((s - fd).abs() < 1e-8 + 10.0 * err, "{s} vs {fd}");
            }
        }
    }
}
