//! The coupling flow: layers, passes in both directions and their gradients.
//!
//! # Layout
//! A flow is a stack of coupling layers. Layer `l` splits the coordinates into a conditioning set
//! `A_l` and a transformed set `B_l` (alternating halves of a seeded permutation, so every
//! coordinate is transformed); its conditioner network maps `(x_A, context)` to the raw parameters
//! `θ` of the element-wise bijections of `x_B`. The normalizing direction `T: x ↦ z` applies
//! layers `0, 1, …, L−1`; then `log q(x|c) = log p_base(T(x)) + Σ_l Σ_{j∈B_l} log τ'(·)`.
//!
//! # Gradients
//! Conditioners are dfdx networks; the element-wise transforms report their exact partials
//! ([`super::elementwise`]). A backward pass walks the layers in reverse, turning the adjoints of
//! each layer's output into adjoints of `θ` (fed into dfdx as the surrogate `Σ θ ⊙ g_θ`) and of its
//! input. Through the inverse (sampling) direction the same local partials suffice:
//! with `v = τ⁻¹(u; θ)` and adjoint `ḡ = g_v + g_ℓ ∂ℓ/∂x`, one has `g_u = ḡ / τ'(v)` and
//! `g_θ = −(ḡ / τ'(v)) ∂τ/∂θ + g_ℓ ∂ℓ/∂θ`.

mod backward;
mod construction;
mod coupling;
mod file;
mod standardize;

pub use standardize::Standardization;

use std::f64::consts::PI;

use dfdx::prelude::*;
use rayon::prelude::*;

use super::elementwise::Elementwise;
use super::spec::{Domain, FlowError, FlowSpec};
use crate::error::{check_len, DimensionMismatch};
use crate::nn::Mlp;
use crate::stochastic::rng::counter_uniform;

/// Random stream used for base draws (distinct from every other use of a seed).
const BASE_STREAM: u64 = 0xF10E_BA5E;

/// Rows per parallel block (fixed, so results do not depend on the number of threads).
const BLOCK_ROWS: usize = 64;

#[derive(Clone, Debug)]
struct Layer {
    cond: Vec<usize>,
    trans: Vec<usize>,
    net: Mlp<f64>,
    /// Raw outputs damped (see [`FlowSpec::damped`]).
    damped: bool,
}

/// A normalizing flow of coupling layers on [`Domain::Real`] or [`Domain::UnitCube`], optionally
/// conditioned on a context vector.
///
/// All batches are flat and row-major: `x` holds `n·dim` values; a context holds `n·context_dim`
/// values, or exactly `context_dim` values (one context for every row), or nothing when the flow
/// is unconditional.
#[derive(Clone, Debug)]
pub struct Flow {
    spec: FlowSpec,
    elem: Elementwise,
    layers: Vec<Layer>,
    standardization: Option<Standardization>,
}

/// Value and gradients of `L = Σ_i w_i log q(x_i | c_i)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogProbGrad {
    /// `log q(x_i | c_i)` per row (−∞ outside the domain).
    pub log_q: Vec<f64>,
    /// `∂L/∂(parameters)`, in the order of [`Flow::params`].
    pub params: Vec<f64>,
    /// `∂L/∂x`, `n·dim` values (zero for rows outside the domain).
    pub x: Vec<f64>,
    /// `∂L/∂context`, in the shape the context was given (summed over rows if broadcast).
    pub ctx: Vec<f64>,
}

/// Intermediate values of a pass, kept for its backward pass.
struct PassRecord {
    /// Conditioner input and recorded output of each layer.
    inputs: Vec<Option<Taped>>,
    /// Raw conditioner outputs of each layer (`n × |B|·P`).
    thetas: Vec<Vec<f64>>,
    /// State on the data side of each layer (`n × dim`).
    data_side: Vec<Vec<f64>>,
}

/// Direction of a recorded pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// `x ↦ z`.
    Normalizing,
    /// `z ↦ x`.
    Generative,
}

/// A conditioner evaluation recorded on its own dfdx tape, ready for a backward pass.
struct Taped {
    input: Tensor<(usize, usize), f64, Cpu>,
    output: Tensor<(usize, usize), f64, Cpu, OwnedTape<f64, Cpu>>,
}

/// The checked shape of a batch.
struct Batch {
    n: usize,
    /// Context given once for all rows.
    broadcast: bool,
}

fn non_finite(v: &[f64]) -> bool {
    v.iter().any(|x| !x.is_finite())
}

impl Flow {
    /// The architecture.
    pub fn spec(&self) -> &FlowSpec {
        &self.spec
    }

    /// Dimension of the modelled variable.
    pub fn dim(&self) -> usize {
        self.spec.dim
    }

    /// Dimension of the context (0 if unconditional).
    pub fn context_dim(&self) -> usize {
        self.spec.context_dim
    }

    /// Number of trainable parameters.
    pub fn num_params(&self) -> usize {
        self.layers.iter().map(|l| l.net.num_params()).sum()
    }

    /// All parameters, layer by layer (each in the order of [`Mlp::params`]).
    pub fn params(&self) -> Vec<f64> {
        self.layers
            .iter()
            .flat_map(|l| l.net.params_f64())
            .collect()
    }

    /// Replace all parameters (order of [`Flow::params`]).
    pub fn set_params(&mut self, p: &[f64]) -> Result<(), FlowError> {
        check_len("number of flow parameters", self.num_params(), p.len())?;
        if non_finite(p) {
            return Err(FlowError::NonFinite("flow parameters"));
        }
        let mut at = 0;
        for l in &mut self.layers {
            let m = l.net.num_params();
            l.net.set_params_f64(&p[at..at + m])?;
            at += m;
        }
        Ok(())
    }

    /// [`Flow::log_prob`] on one block of rows.
    fn log_prob_rows(&self, x: &[f64], ctx: &[f64]) -> Result<Vec<f64>, FlowError> {
        let b = self.batch(x, ctx)?;
        let (xs, cs, outside) = self.prepare(x, ctx, &b);
        let (z, logdet, _) = self.normalize(xs, &cs, &b, false);
        Ok(self.finish_log_q(&z, &logdet, &outside))
    }

    /// [`Flow::inverse`] on one block of rows.
    fn inverse_rows(&self, x: &[f64], ctx: &[f64]) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let b = self.batch(x, ctx)?;
        let (xs, cs, outside) = self.prepare(x, ctx, &b);
        let (z, mut logdet, _) = self.normalize(xs, &cs, &b, false);
        let std_ld = self.std_logdet();
        for (i, l) in logdet.iter_mut().enumerate() {
            *l = if outside[i] {
                f64::NEG_INFINITY
            } else {
                *l + std_ld
            };
        }
        Ok((z, logdet))
    }

    /// [`Flow::forward`] on one block of rows.
    fn forward_rows(&self, z: &[f64], ctx: &[f64]) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let b = self.batch(z, ctx)?;
        let cs = self.prepare_ctx(ctx, &b);
        let (x, log_q, _) = self.generate(z, &cs, &b, false);
        Ok((x, log_q))
    }

    /// `log q(x|c)` per row; rows outside the domain give −∞.
    ///
    /// Rows are processed in fixed blocks of 64 in parallel (rayon); block results are joined in
    /// order, so the numbers do not depend on the number of threads.
    pub fn log_prob(&self, x: &[f64], ctx: &[f64]) -> Result<Vec<f64>, FlowError> {
        let parts = self.par_blocks(x, ctx, |xb, cb, _| self.log_prob_rows(xb, cb))?;
        Ok(parts.concat())
    }

    /// The normalizing map `z = T(x|c)` and `log|det ∂T/∂x|` per row (rows outside the domain
    /// get a placeholder `z` and a log-determinant of −∞).
    pub fn inverse(&self, x: &[f64], ctx: &[f64]) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let parts = self.par_blocks(x, ctx, |xb, cb, _| self.inverse_rows(xb, cb))?;
        Ok(unzip_concat(parts))
    }

    /// The generative map `x = T⁻¹(z|c)` and `log q(x|c)` per row.
    pub fn forward(&self, z: &[f64], ctx: &[f64]) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let parts = self.par_blocks(z, ctx, |zb, cb, _| self.forward_rows(zb, cb))?;
        Ok(unzip_concat(parts))
    }

    /// Run `f` on fixed blocks of [`BLOCK_ROWS`] rows in parallel, results in block order.
    fn par_blocks<T: Send>(
        &self,
        x: &[f64],
        ctx: &[f64],
        f: impl Fn(&[f64], &[f64], std::ops::Range<usize>) -> Result<T, FlowError> + Sync,
    ) -> Result<Vec<T>, FlowError> {
        let b = self.batch(x, ctx)?;
        let (d, c) = (self.dim(), self.context_dim());
        let starts: Vec<usize> = (0..b.n.max(1)).step_by(BLOCK_ROWS).collect();
        starts
            .par_iter()
            .map(|&s| {
                let e = (s + BLOCK_ROWS).min(b.n);
                let cb = if b.broadcast || c == 0 {
                    ctx
                } else {
                    &ctx[s * c..e * c]
                };
                f(&x[s * d..e * d], cb, s..e)
            })
            .collect()
    }

    /// `n` base draws: `N(0, 1)` (Box–Muller) on ℝ, `U(0, 1)` on the unit cube; a pure function of
    /// `seed`.
    pub fn sample_base(&self, n: usize, seed: u64) -> Vec<f64> {
        let m = n * self.dim();
        match self.spec.domain {
            Domain::UnitCube => (0..m)
                .map(|k| counter_uniform(seed, BASE_STREAM, k as u64, 0))
                .collect(),
            Domain::Real => (0..m)
                .map(|k| {
                    let pair = (k / 2) as u64;
                    let u1 = counter_uniform(seed, BASE_STREAM, pair, 0);
                    let u2 = counter_uniform(seed, BASE_STREAM, pair, 1);
                    let r = (-2.0 * u1.ln()).sqrt();
                    let phi = 2.0 * PI * u2;
                    if k % 2 == 0 {
                        r * phi.cos()
                    } else {
                        r * phi.sin()
                    }
                })
                .collect(),
        }
    }

    /// `n` samples `x ~ q(·|c)` with their `log q`; a pure function of `seed`.
    pub fn sample(
        &self,
        n: usize,
        ctx: &[f64],
        seed: u64,
    ) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let z = self.sample_base(n, seed);
        if n == 0 {
            self.batch(&z, ctx).map(|_| (Vec::new(), Vec::new()))
        } else {
            self.forward(&z, ctx)
        }
    }

    fn batch(&self, x: &[f64], ctx: &[f64]) -> Result<Batch, FlowError> {
        let d = self.dim();
        if !x.len().is_multiple_of(d) {
            return Err(FlowError::Dimension(DimensionMismatch {
                what: "flat batch length (a multiple of dim)",
                expected: d * (x.len() / d + 1),
                got: x.len(),
            }));
        }
        if non_finite(x) {
            return Err(FlowError::NonFinite("flow input"));
        }
        let n = x.len() / d;
        let c = self.context_dim();
        let broadcast = if c == 0 {
            check_len("context length (flow is unconditional)", 0, ctx.len())?;
            false
        } else if ctx.len() == c && n != 1 {
            true
        } else {
            check_len(
                "context length (n·context_dim or context_dim)",
                n * c,
                ctx.len(),
            )?;
            false
        };
        if non_finite(ctx) {
            return Err(FlowError::NonFinite("context"));
        }
        Ok(Batch { n, broadcast })
    }
}

fn add_into(acc: &mut [f64], v: &[f64]) {
    for (a, b) in acc.iter_mut().zip(v) {
        *a += b;
    }
}

fn unzip_concat(parts: Vec<(Vec<f64>, Vec<f64>)>) -> (Vec<f64>, Vec<f64>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (x, y) in parts {
        a.extend(x);
        b.extend(y);
    }
    (a, b)
}
