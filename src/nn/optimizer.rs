//! Adam, AdamW and SGD over flat `f64` parameter vectors, with learning-rate schedules.
//!
//! dfdx's optimizers need compile-time shapes, so runtime-sized networks and design loops use
//! these. All state is plain data with serde support, so a run can be checkpointed and resumed
//! bit-identically.

use serde::{Deserialize, Serialize};

use super::error::{check_len, NnError};

/// Learning rate as a function of the step number `t = 0, 1, …`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LrSchedule {
    /// The base rate at every step.
    Constant,
    /// Multiply by `factor` every `every` steps.
    Step {
        /// Steps between decays (> 0).
        every: usize,
        /// Decay factor in (0, 1].
        factor: f64,
    },
    /// `lr · gamma^t`.
    Exponential {
        /// Per-step factor in (0, 1].
        gamma: f64,
    },
    /// Linear warm-up over `warmup` steps, then cosine decay to `lr · min_factor` at step `total`
    /// (constant after).
    WarmupCosine {
        /// Warm-up steps.
        warmup: usize,
        /// Step at which the decay ends (> warmup).
        total: usize,
        /// Final rate as a fraction of the base rate, in [0, 1].
        min_factor: f64,
    },
}

impl LrSchedule {
    /// Check the schedule's parameters.
    pub fn validate(&self) -> Result<(), NnError> {
        let bad = |name, value| Err(NnError::BadHyperParameter { name, value });
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Step { every, factor } => {
                if every == 0 {
                    bad("step schedule: every", 0.0)
                } else if !(factor > 0.0 && factor <= 1.0) {
                    bad("step schedule: factor", factor)
                } else {
                    Ok(())
                }
            }
            LrSchedule::Exponential { gamma } => {
                if gamma > 0.0 && gamma <= 1.0 {
                    Ok(())
                } else {
                    bad("exponential schedule: gamma", gamma)
                }
            }
            LrSchedule::WarmupCosine {
                warmup,
                total,
                min_factor,
            } => {
                if total <= warmup {
                    bad(
                        "warm-up cosine schedule: total (must exceed warmup)",
                        total as f64,
                    )
                } else if !(0.0..=1.0).contains(&min_factor) {
                    bad("warm-up cosine schedule: min_factor", min_factor)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Multiplier of the base learning rate at step `t`.
    pub fn factor(&self, t: usize) -> f64 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Step { every, factor } => factor.powi((t / every) as i32),
            LrSchedule::Exponential { gamma } => gamma.powi(t as i32),
            LrSchedule::WarmupCosine {
                warmup,
                total,
                min_factor,
            } => {
                if t < warmup {
                    (t + 1) as f64 / warmup as f64
                } else if t >= total {
                    min_factor
                } else {
                    let p = (t - warmup) as f64 / (total - warmup) as f64;
                    min_factor + (1.0 - min_factor) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
                }
            }
        }
    }
}

fn check_lr(lr: f64) -> Result<(), NnError> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(NnError::BadHyperParameter {
            name: "learning rate",
            value: lr,
        })
    }
}

/// Hyper-parameters of [`Adam`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Base learning rate (> 0).
    pub lr: f64,
    /// Decay of the first moment, in [0, 1).
    pub beta1: f64,
    /// Decay of the second moment, in [0, 1).
    pub beta2: f64,
    /// Added to √v̂ in the denominator (> 0).
    pub eps: f64,
    /// Weight decay (≥ 0).
    pub weight_decay: f64,
    /// `true`: decoupled weight decay `θ ← θ − lr·λ·θ` (AdamW, Loshchilov & Hutter 2019);
    /// `false`: L2 penalty added to the gradient (classic Adam).
    pub decoupled: bool,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: true,
            schedule: LrSchedule::Constant,
        }
    }
}

impl AdamConfig {
    /// Plain Adam with learning rate `lr`.
    pub fn with_lr(lr: f64) -> Self {
        AdamConfig {
            lr,
            ..Default::default()
        }
    }

    /// Check every hyper-parameter.
    pub fn validate(&self) -> Result<(), NnError> {
        check_lr(self.lr)?;
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(NnError::BadHyperParameter { name, value: b });
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(NnError::BadHyperParameter {
                name: "eps",
                value: self.eps,
            });
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(NnError::BadHyperParameter {
                name: "weight_decay",
                value: self.weight_decay,
            });
        }
        self.schedule.validate()
    }
}

/// Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) over a flat parameter vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Hyper-parameters.
    pub config: AdamConfig,
    m: Vec<f64>,
    v: Vec<f64>,
    t: usize,
}

impl Adam {
    /// An optimizer for `n` parameters.
    pub fn new(n: usize, config: AdamConfig) -> Result<Self, NnError> {
        config.validate()?;
        Ok(Adam {
            config,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        })
    }

    /// Number of steps taken.
    pub fn steps(&self) -> usize {
        self.t
    }

    /// Number of parameters the optimizer was made for.
    pub fn num_params(&self) -> usize {
        self.m.len()
    }

    /// Learning rate of the next step.
    pub fn current_lr(&self) -> f64 {
        self.config.lr * self.config.schedule.factor(self.t)
    }

    /// One descent step on `params` with gradient `grad` of the objective to minimise.
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), NnError> {
        check_len("Adam: number of parameters", self.m.len(), params.len())?;
        check_len("Adam: gradient length", self.m.len(), grad.len())?;
        let c = &self.config;
        let lr = self.current_lr();
        self.t += 1;
        let bc1 = 1.0 - c.beta1.powi(self.t as i32);
        let bc2 = 1.0 - c.beta2.powi(self.t as i32);
        for i in 0..params.len() {
            let mut g = grad[i];
            if !c.decoupled {
                g += c.weight_decay * params[i];
            }
            self.m[i] = c.beta1 * self.m[i] + (1.0 - c.beta1) * g;
            self.v[i] = c.beta2 * self.v[i] + (1.0 - c.beta2) * g * g;
            let mhat = self.m[i] / bc1;
            let vhat = self.v[i] / bc2;
            if c.decoupled {
                params[i] -= lr * c.weight_decay * params[i];
            }
            params[i] -= lr * mhat / (vhat.sqrt() + c.eps);
        }
        Ok(())
    }
}

/// Stochastic gradient descent with optional momentum and (L2) weight decay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// Base learning rate (> 0).
    pub lr: f64,
    /// Heavy-ball momentum in [0, 1).
    pub momentum: f64,
    /// L2 weight decay (≥ 0).
    pub weight_decay: f64,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    velocity: Vec<f64>,
    t: usize,
}

impl Sgd {
    /// An optimizer for `n` parameters.
    pub fn new(n: usize, lr: f64, momentum: f64, schedule: LrSchedule) -> Result<Self, NnError> {
        check_lr(lr)?;
        if !(0.0..1.0).contains(&momentum) {
            return Err(NnError::BadHyperParameter {
                name: "momentum",
                value: momentum,
            });
        }
        schedule.validate()?;
        Ok(Sgd {
            lr,
            momentum,
            weight_decay: 0.0,
            schedule,
            velocity: vec![0.0; n],
            t: 0,
        })
    }

    /// Number of steps taken.
    pub fn steps(&self) -> usize {
        self.t
    }

    /// Number of parameters the optimizer was made for.
    pub fn num_params(&self) -> usize {
        self.velocity.len()
    }

    /// One descent step.
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), NnError> {
        check_len(
            "SGD: number of parameters",
            self.velocity.len(),
            params.len(),
        )?;
        check_len("SGD: gradient length", self.velocity.len(), grad.len())?;
        let lr = self.lr * self.schedule.factor(self.t);
        self.t += 1;
        for i in 0..params.len() {
            let g = grad[i] + self.weight_decay * params[i];
            self.velocity[i] = self.momentum * self.velocity[i] + g;
            params[i] -= lr * self.velocity[i];
        }
        Ok(())
    }
}
