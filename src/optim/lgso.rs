//! Local generative surrogate optimisation (L-GSO; Shirobokov, Belavin, Kagan, Ustyuzhanin,
//! Baydin, "Black-Box Optimization with Local Generative Surrogates", NeurIPS 2020).
//!
//! Each step samples designs uniformly in a trust region `ψ ± ε` around the current point, calls
//! the black-box simulator at each (reusing earlier calls that still lie inside the region),
//! trains a conditional generative model `p(y | ψ, x)` of the simulator output — here a Gaussian
//! mixture-density network with one component, `y = μ(ψ, x) + σ(ψ, x)·ε` — and takes an Adam step
//! on `ψ` with the model's gradient of the objective `E[y]`, `∇ψ E_x μ(ψ, x)`, averaged over the
//! observed conditioning inputs `x`.

use crate::error::DimensionMismatch;
use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::{check_len, OptimError};
use super::surrogate::Standardiser;
use crate::nn::{Activation, Adam, AdamConfig, Mlp, MlpSpec};
use crate::stochastic::rng::counter_uniform;
use crate::Scalar;

/// A stochastic simulator seen as a black box: each call draws its conditioning inputs `x` and
/// returns them with the output `y`.
pub trait BlackBox {
    /// Number of design parameters `ψ`.
    fn design_dim(&self) -> usize;
    /// Number of conditioning inputs `x` per call.
    fn input_dim(&self) -> usize;
    /// One call at `psi`; all randomness comes from `(seed, call)`.
    fn simulate(&self, psi: &[f64], seed: u64, call: u64) -> (Vec<f64>, f64);
}

/// The Rosenbrock function `Σ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²`, generic over the number type.
pub fn rosenbrock<S: Scalar>(x: &[S]) -> S {
    let mut s = S::from_f64(0.0);
    for i in 0..x.len().saturating_sub(1) {
        let a = x[i + 1].clone() - x[i].clone() * x[i].clone();
        let b = S::from_f64(1.0) - x[i].clone();
        s = s + a.clone() * a * 100.0 + b.clone() * b;
    }
    s
}

fn normal(seed: u64, call: u64, k: u64) -> f64 {
    let u1 = counter_uniform(seed, call, k, 0);
    let u2 = counter_uniform(seed, call, k, 1);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The L-GSO paper's stochastic Rosenbrock benchmark: `x ~ U(−10, 10)`, `x′ ~ N(x, 1)`,
/// `y ~ N(x′ + g(ψ), (0.1 + 0.5|x′|)²)` with `g` the Rosenbrock function, so that
/// `E[y] = g(ψ)`, minimal (0) at `ψ = 1`.
#[derive(Clone, Debug)]
pub struct RosenbrockSim {
    /// Number of design parameters.
    pub dim: usize,
}

impl RosenbrockSim {
    /// The exact objective `E[y] = g(ψ)`.
    pub fn exact_objective(&self, psi: &[f64]) -> f64 {
        rosenbrock(psi)
    }

    /// The exact gradient `∇ψ E[y] = ∇g(ψ)` (reverse mode on the tape).
    pub fn exact_gradient(&self, psi: &[f64]) -> Vec<f64> {
        crate::tape::gradient(rosenbrock, psi).1
    }
}

impl BlackBox for RosenbrockSim {
    fn design_dim(&self) -> usize {
        self.dim
    }
    fn input_dim(&self) -> usize {
        1
    }
    fn simulate(&self, psi: &[f64], seed: u64, call: u64) -> (Vec<f64>, f64) {
        let x = -10.0 + 20.0 * counter_uniform(seed, call, 0, 2);
        let xp = x + normal(seed, call, 1);
        let y = xp + rosenbrock(psi) + (0.1 + 0.5 * xp.abs()) * normal(seed, call, 2);
        (vec![x], y)
    }
}

/// Settings of [`Lgso`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LgsoConfig {
    /// Trust-region half-width `ε` (per coordinate).
    pub radius: f64,
    /// New designs sampled per step.
    pub designs_per_step: usize,
    /// Simulator calls per design.
    pub sims_per_design: usize,
    /// Hidden widths of the generative model.
    pub hidden: Vec<usize>,
    /// Full-batch training steps of the model per design step.
    pub epochs_per_step: usize,
    /// Adam settings of the model.
    pub model_adam: AdamConfig,
    /// Adam settings of the design parameters.
    pub design_adam: AdamConfig,
    /// Seed of the simulator calls and the model's initialisation.
    pub seed: u64,
}

impl Default for LgsoConfig {
    fn default() -> Self {
        LgsoConfig {
            radius: 0.2,
            designs_per_step: 10,
            sims_per_design: 5,
            hidden: vec![32, 32],
            epochs_per_step: 100,
            model_adam: AdamConfig::with_lr(5e-3),
            design_adam: AdamConfig::with_lr(0.05),
            seed: 0,
        }
    }
}

/// One L-GSO step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LgsoStep {
    /// Step number.
    pub step: usize,
    /// Design at which the surrogate gradient was taken.
    pub psi: Vec<f64>,
    /// The surrogate's gradient of `E[y]` there.
    pub surrogate_grad: Vec<f64>,
    /// Training loss (negative log-likelihood per sample, standardised units) after the step.
    pub nll: f64,
    /// Simulator calls so far.
    pub sim_calls: u64,
    /// Training samples inside the trust region.
    pub samples_used: usize,
}

/// The L-GSO optimiser state.
pub struct Lgso<B: BlackBox> {
    sim: B,
    cfg: LgsoConfig,
    psi: Vec<f64>,
    model: Mlp<f64>,
    model_opt: Adam,
    design_opt: Adam,
    data: Vec<(Vec<f64>, Vec<f64>, f64)>,
    calls: u64,
    history: Vec<LgsoStep>,
}

/// Model inputs and targets for the samples inside the region around `center`.
struct Batch {
    x: Vec<f64>,
    y: Vec<f64>,
    rows: usize,
}

impl<B: BlackBox> Lgso<B> {
    /// Start at `psi0`.
    pub fn new(sim: B, psi0: &[f64], cfg: LgsoConfig) -> Result<Self, OptimError> {
        check_len(
            "L-GSO start (design dimension)",
            sim.design_dim(),
            psi0.len(),
        )?;
        if !(cfg.radius.is_finite() && cfg.radius > 0.0) {
            return Err(OptimError::Optimizer(
                crate::nn::NnError::BadHyperParameter {
                    name: "trust-region radius",
                    value: cfg.radius,
                },
            ));
        }
        if cfg.designs_per_step == 0 || cfg.sims_per_design == 0 {
            return Err(OptimError::Dimension(DimensionMismatch {
                what: "designs per step and simulator calls per design (at least one)",
                expected: 1,
                got: 0,
            }));
        }
        let mut widths = vec![sim.design_dim() + sim.input_dim()];
        widths.extend(&cfg.hidden);
        widths.push(2);
        let model = Mlp::new(MlpSpec::new(&widths, Activation::Tanh), cfg.seed)?;
        let model_opt = Adam::new(model.num_params(), cfg.model_adam.clone())?;
        let design_opt = Adam::new(psi0.len(), cfg.design_adam.clone())?;
        Ok(Lgso {
            sim,
            cfg,
            psi: psi0.to_vec(),
            model,
            model_opt,
            design_opt,
            data: Vec::new(),
            calls: 0,
            history: Vec::new(),
        })
    }

    /// Current design.
    pub fn psi(&self) -> &[f64] {
        &self.psi
    }

    /// Simulator calls so far.
    pub fn sim_calls(&self) -> u64 {
        self.calls
    }

    /// The steps so far.
    pub fn history(&self) -> &[LgsoStep] {
        &self.history
    }

    /// The simulator.
    pub fn simulator(&self) -> &B {
        &self.sim
    }

    fn in_region(&self, p: &[f64]) -> bool {
        p.iter()
            .zip(&self.psi)
            .all(|(a, c)| (a - c).abs() <= self.cfg.radius)
    }

    fn batch(&self) -> (Batch, Standardiser, Standardiser) {
        let k = self.sim.input_dim();
        let inside: Vec<&(Vec<f64>, Vec<f64>, f64)> = self
            .data
            .iter()
            .filter(|(p, _, _)| self.in_region(p))
            .collect();
        let xflat: Vec<f64> = inside.iter().flat_map(|(_, x, _)| x.clone()).collect();
        let xs = Standardiser::fit(&xflat, k);
        let yv: Vec<f64> = inside.iter().map(|(_, _, y)| *y).collect();
        let ys = Standardiser::fit(&yv, 1);
        let mut x = Vec::with_capacity(inside.len() * (self.psi.len() + k));
        for (p, xi, _) in &inside {
            x.extend(
                p.iter()
                    .zip(&self.psi)
                    .map(|(a, c)| (a - c) / self.cfg.radius),
            );
            x.extend(xs.apply(xi));
        }
        let batch = Batch {
            x,
            y: ys.apply(&yv),
            rows: inside.len(),
        };
        (batch, xs, ys)
    }

    /// Selection matrix picking column `c` of the model's two outputs.
    fn column(&self, c: usize) -> Tensor<(usize, usize), f64, Cpu> {
        let v = if c == 0 {
            vec![1.0, 0.0]
        } else {
            vec![0.0, 1.0]
        };
        self.model.device().tensor_from_vec(v, (2, 1))
    }

    /// One training pass: mean Gaussian negative log-likelihood and its parameter gradient.
    fn nll_and_grad(&self, b: &Batch) -> Result<(f64, Vec<f64>), OptimError> {
        let dev = self.model.device().clone();
        let yt: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(b.y.clone(), (b.rows, 1));
        let (c0, c1) = (self.column(0), self.column(1));
        Ok(self.model.value_and_grad(&b.x, move |out| {
            let mu = out.with_empty_tape().matmul(c0);
            let s = out.matmul(c1);
            let z = (mu - yt) * s.with_empty_tape().negate().exp();
            (z.square() * 0.5 + s).mean()
        })?)
    }

    /// The model's gradient of `E[y]` w.r.t. `ψ` at the current design, averaged over the
    /// conditioning inputs of the samples in the region (`None` if the region is empty).
    pub fn surrogate_gradient(&self) -> Result<Option<Vec<f64>>, OptimError> {
        let (b, _, ys) = self.batch();
        if b.rows == 0 {
            return Ok(None);
        }
        let d = self.psi.len();
        let w = b.x.len() / b.rows;
        // Evaluate at the current design itself: local coordinates 0, observed x kept.
        let mut x = b.x.clone();
        for r in 0..b.rows {
            x[r * w..r * w + d].iter_mut().for_each(|v| *v = 0.0);
        }
        let dev = self.model.device().clone();
        let xt: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(x, (b.rows, w));
        let out = self.model.forward_tensor(xt.leaky_trace())?;
        let mu = out.matmul(self.column(0));
        let grads = mu.mean().backward();
        let gx = grads.get(&xt).as_vec();
        let mut g = vec![0.0; d];
        for r in 0..b.rows {
            for j in 0..d {
                g[j] += gx[r * w + j] * ys.scale[0] / self.cfg.radius;
            }
        }
        Ok(Some(g))
    }

    /// The model's estimate of `E[y]` at design `at`, averaged over the conditioning inputs of the
    /// samples in the current region (`None` if the region is empty); its gradient at `at = ψ`
    /// is [`Lgso::surrogate_gradient`].
    pub fn surrogate_mean(&self, at: &[f64]) -> Result<Option<f64>, OptimError> {
        check_len("design length", self.psi.len(), at.len())?;
        let (b, _, ys) = self.batch();
        if b.rows == 0 {
            return Ok(None);
        }
        let d = self.psi.len();
        let w = b.x.len() / b.rows;
        let mut x = b.x.clone();
        for r in 0..b.rows {
            for j in 0..d {
                x[r * w + j] = (at[j] - self.psi[j]) / self.cfg.radius;
            }
        }
        let out = self.model.forward(&x)?;
        let mu: f64 = out.iter().step_by(2).sum::<f64>() / b.rows as f64;
        Ok(Some(ys.mean[0] + ys.scale[0] * mu))
    }

    /// Sample the region, retrain the model, and step the design.
    pub fn step(&mut self) -> Result<LgsoStep, OptimError> {
        let d = self.psi.len();
        let step = self.history.len();
        for i in 0..self.cfg.designs_per_step {
            let key = (step * self.cfg.designs_per_step + i) as u64;
            let p: Vec<f64> = (0..d)
                .map(|j| {
                    let u = counter_uniform(self.cfg.seed ^ 0x5EED, key, j as u64, 3);
                    self.psi[j] + self.cfg.radius * (2.0 * u - 1.0)
                })
                .collect();
            for _ in 0..self.cfg.sims_per_design {
                let (x, y) = self.sim.simulate(&p, self.cfg.seed, self.calls);
                self.calls += 1;
                self.data.push((p.clone(), x, y));
            }
        }
        let (b, _, _) = self.batch();
        let mut params = self.model.params_f64();
        let mut nll = f64::NAN;
        for _ in 0..self.cfg.epochs_per_step {
            let (l, g) = self.nll_and_grad(&b)?;
            nll = l;
            self.model_opt.step(&mut params, &g)?;
            self.model.set_params_f64(&params)?;
        }
        let g = self
            .surrogate_gradient()?
            .expect("the region holds the samples just drawn");
        let record = LgsoStep {
            step,
            psi: self.psi.clone(),
            surrogate_grad: g.clone(),
            nll,
            sim_calls: self.calls,
            samples_used: b.rows,
        };
        self.design_opt.step(&mut self.psi, &g)?;
        self.history.push(record.clone());
        Ok(record)
    }
}

/// Result of [`rosenbrock_demo`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosenbrockDemo {
    /// Dimension of ψ.
    pub dim: usize,
    /// Starting design.
    pub psi0: Vec<f64>,
    /// Final design.
    pub psi: Vec<f64>,
    /// Exact objective `g(ψ)` at the start.
    pub objective0: f64,
    /// Exact objective at the end.
    pub objective: f64,
    /// Steps run.
    pub steps: usize,
    /// Simulator calls in total.
    pub sim_calls: u64,
    /// Target on the exact objective.
    pub target: f64,
    /// Simulator calls when the exact objective first fell below `target` (None: not reached).
    pub calls_to_target: Option<u64>,
    /// Mean cosine between surrogate and exact gradients over the steps.
    pub mean_cosine: f64,
    /// Mean `‖g_sur − g_exact‖ / ‖g_exact‖` over the steps.
    pub mean_relative_bias: f64,
}

/// L-GSO on the stochastic Rosenbrock benchmark of the L-GSO paper, starting at `ψ₀ = 2·1`,
/// for at most `steps` steps (stopping once `g(ψ) < target`); measures the surrogate-gradient
/// bias against the exact gradient at every step.
pub fn rosenbrock_demo(
    dim: usize,
    steps: usize,
    target: f64,
    cfg: LgsoConfig,
) -> Result<RosenbrockDemo, OptimError> {
    if dim < 2 {
        return Err(OptimError::Dimension(DimensionMismatch {
            what: "Rosenbrock dimension (at least 2)",
            expected: 2,
            got: dim,
        }));
    }
    let sim = RosenbrockSim { dim };
    let psi0 = vec![2.0; dim];
    let mut opt = Lgso::new(sim.clone(), &psi0, cfg)?;
    let (mut cos_sum, mut rel_sum, mut calls_to_target) = (0.0, 0.0, None);
    let mut n = 0;
    while n < steps {
        let rec = opt.step()?;
        n += 1;
        let bias = super::GradientBias::new(&rec.surrogate_grad, &sim.exact_gradient(&rec.psi))?;
        cos_sum += bias.cosine;
        rel_sum += bias.relative_norm;
        if sim.exact_objective(opt.psi()) < target {
            calls_to_target = Some(opt.sim_calls());
            break;
        }
    }
    Ok(RosenbrockDemo {
        dim,
        objective0: sim.exact_objective(&psi0),
        objective: sim.exact_objective(opt.psi()),
        psi0,
        psi: opt.psi().to_vec(),
        steps: n,
        sim_calls: opt.sim_calls(),
        target,
        calls_to_target,
        mean_cosine: cos_sum / n.max(1) as f64,
        mean_relative_bias: rel_sum / n.max(1) as f64,
    })
}
