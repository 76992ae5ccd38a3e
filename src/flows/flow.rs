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

use std::f64::consts::PI;
use std::path::Path;

use dfdx::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::elementwise::{Elementwise, MAX_BINS};
use super::spec::{Domain, FlowError, FlowSpec, Transform};
use crate::nn::{Mlp, MlpSpec};
use crate::stochastic::rng::counter_uniform;

/// Random stream used for base draws (distinct from every other use of a seed).
const BASE_STREAM: u64 = 0xF10E_BA5E;
/// Random stream used for the coordinate permutations.
const PERM_STREAM: u64 = 0xF10E_9E53;
/// Scale applied to the seeded initialisation of each conditioner's last layer, so a new flow
/// starts close to the identity (its base distribution).
const LAST_LAYER_INIT: f64 = 1e-2;
/// Rows per parallel block (fixed, so results do not depend on the number of threads).
const BLOCK_ROWS: usize = 64;

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

#[derive(Serialize, Deserialize)]
struct FlowFile {
    format: String,
    spec: FlowSpec,
    partitions: Vec<(Vec<usize>, Vec<usize>)>,
    standardization: Option<Standardization>,
    params: Vec<f64>,
}

const FILE_FORMAT: &str = "diffhep-flow-1";

fn non_finite(v: &[f64]) -> bool {
    v.iter().any(|x| !x.is_finite())
}

impl Flow {
    /// A new flow with seeded initialisation close to the identity map (so `q` starts as the
    /// base distribution).
    pub fn new(spec: FlowSpec, seed: u64) -> Result<Flow, FlowError> {
        spec.validate()?;
        if let Transform::Spline { bins } = spec.transform {
            if bins > MAX_BINS {
                return Err(FlowError::Config(format!(
                    "spline bins must be at most {MAX_BINS}, got {bins}"
                )));
            }
        }
        let elem = Elementwise::of_spec(&spec);
        let partitions = partitions(spec.dim, spec.layers, seed);
        let mut layers = Vec::with_capacity(spec.layers);
        for (l, (cond, trans)) in partitions.into_iter().enumerate() {
            let net_spec = net_spec(&spec, &elem, cond.len(), trans.len());
            let mut net = Mlp::new(net_spec, seed.wrapping_add(1 + l as u64))?;
            let mut p = net.params_f64();
            let widths = &net.spec().widths;
            let last =
                widths[widths.len() - 2] * widths[widths.len() - 1] + widths[widths.len() - 1];
            let n = p.len();
            for v in p[n - last..].iter_mut() {
                *v *= LAST_LAYER_INIT;
            }
            net.set_params_f64(&p)?;
            layers.push(Layer {
                cond,
                trans,
                net,
                damped: spec.damped,
            });
        }
        Ok(Flow {
            spec,
            elem,
            layers,
            standardization: None,
        })
    }

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
        check("number of flow parameters", self.num_params(), p.len())?;
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
            check("standardisation x_shift", self.dim(), s.x_shift.len())?;
            check("standardisation x_scale", self.dim(), s.x_scale.len())?;
            check(
                "standardisation ctx_shift",
                self.context_dim(),
                s.ctx_shift.len(),
            )?;
            check(
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

    /// Value and gradients of `L = Σ_i w_i log q(x_i|c_i)` with respect to the parameters, `x`
    /// and the context. Rows outside the domain contribute nothing (their `log q` is −∞).
    pub fn log_prob_grad(
        &self,
        x: &[f64],
        ctx: &[f64],
        w: &[f64],
    ) -> Result<LogProbGrad, FlowError> {
        let b = self.batch(x, ctx)?;
        check("number of weights", b.n, w.len())?;
        let parts = self.par_blocks(x, ctx, |xb, cb, rows| {
            self.log_prob_grad_rows(xb, cb, &w[rows])
        })?;
        let mut out = LogProbGrad {
            log_q: Vec::with_capacity(b.n),
            params: vec![0.0; self.num_params()],
            x: Vec::with_capacity(x.len()),
            ctx: if b.broadcast {
                vec![0.0; ctx.len()]
            } else {
                Vec::with_capacity(ctx.len())
            },
        };
        for part in parts {
            out.log_q.extend(part.log_q);
            out.x.extend(part.x);
            add_into(&mut out.params, &part.params);
            if b.broadcast {
                add_into(&mut out.ctx, &part.ctx);
            } else {
                out.ctx.extend(part.ctx);
            }
        }
        Ok(out)
    }

    /// Pathwise gradient with respect to the parameters and the context of
    /// `L = Σ_i [g_x,i · x_i + g_logq,i · log q(x_i|c_i)]` with `x_i = T⁻¹(z_i|c_i)` at fixed base
    /// draws `z`, where `g_x` (`n·dim`) and `g_logq` (`n`) are the upstream adjoints at the current
    /// sample (for reverse KL: `g_x = −∇log p(x_i)/n`, `g_logq = 1/n`). Returns
    /// `(∂L/∂parameters, ∂L/∂context)`.
    pub fn sample_grad(
        &self,
        z: &[f64],
        ctx: &[f64],
        g_x: &[f64],
        g_logq: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let b = self.batch(z, ctx)?;
        let d = self.dim();
        check("number of x adjoints", b.n * d, g_x.len())?;
        check("number of log q adjoints", b.n, g_logq.len())?;
        let parts = self.par_blocks(z, ctx, |zb, cb, rows| {
            let gx = &g_x[rows.start * d..rows.end * d];
            self.sample_grad_rows(zb, cb, gx, &g_logq[rows])
        })?;
        let mut gp = vec![0.0; self.num_params()];
        let mut gc = if b.broadcast {
            vec![0.0; ctx.len()]
        } else {
            Vec::with_capacity(ctx.len())
        };
        for (p, c) in parts {
            add_into(&mut gp, &p);
            if b.broadcast {
                add_into(&mut gc, &c);
            } else {
                gc.extend(c);
            }
        }
        Ok((gp, gc))
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

    /// [`Flow::log_prob_grad`] on one block of rows.
    fn log_prob_grad_rows(
        &self,
        x: &[f64],
        ctx: &[f64],
        w: &[f64],
    ) -> Result<LogProbGrad, FlowError> {
        let b = self.batch(x, ctx)?;
        check("number of weights", b.n, w.len())?;
        if non_finite(w) {
            return Err(FlowError::NonFinite("weights"));
        }
        let d = self.dim();
        let (xs, cs, outside) = self.prepare(x, ctx, &b);
        let (z, logdet, trace) = self.normalize(xs, &cs, &b, true);
        let trace = trace.expect("trace requested");
        let log_q = self.finish_log_q(&z, &logdet, &outside);
        let gl: Vec<f64> = (0..b.n)
            .map(|i| if outside[i] { 0.0 } else { w[i] })
            .collect();
        let mut gh: Vec<f64> = match self.spec.domain {
            Domain::Real => (0..b.n * d).map(|k| -gl[k / d] * z[k]).collect(),
            Domain::UnitCube => vec![0.0; b.n * d],
        };
        let (g_params, g_ctx) = self.backward(trace, b.n, &mut gh, &gl, Pass::Normalizing)?;
        let g_x = self.unstandardize_x_grad(gh, b.n);
        let g_ctx = self.unstandardize_ctx_grad(g_ctx, &b);
        Ok(LogProbGrad {
            log_q,
            params: g_params,
            x: g_x,
            ctx: g_ctx,
        })
    }

    /// [`Flow::sample_grad`] on one block of rows.
    fn sample_grad_rows(
        &self,
        z: &[f64],
        ctx: &[f64],
        g_x: &[f64],
        g_logq: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let b = self.batch(z, ctx)?;
        let d = self.dim();
        check("number of x adjoints", b.n * d, g_x.len())?;
        check("number of log q adjoints", b.n, g_logq.len())?;
        if non_finite(g_x) || non_finite(g_logq) {
            return Err(FlowError::NonFinite("upstream adjoints"));
        }
        let cs = self.prepare_ctx(ctx, &b);
        let (_, _, trace) = self.generate(z, &cs, &b, true);
        let trace = trace.expect("trace requested");
        let mut gh = g_x.to_vec();
        if let Some(s) = &self.standardization {
            for (k, g) in gh.iter_mut().enumerate() {
                *g *= s.x_scale[k % d];
            }
        }
        let (g_params, g_ctx) = self.backward(trace, b.n, &mut gh, g_logq, Pass::Generative)?;
        Ok((g_params, self.unstandardize_ctx_grad(g_ctx, &b)))
    }

    /// The flow as JSON (architecture, partitions, standardisation, parameters).
    pub fn to_json(&self) -> String {
        let file = FlowFile {
            format: FILE_FORMAT.into(),
            spec: self.spec.clone(),
            partitions: self
                .layers
                .iter()
                .map(|l| (l.cond.clone(), l.trans.clone()))
                .collect(),
            standardization: self.standardization.clone(),
            params: self.params(),
        };
        serde_json::to_string(&file).expect("flow serialises")
    }

    /// A flow from [`Flow::to_json`] output.
    pub fn from_json(s: &str) -> Result<Flow, FlowError> {
        let file: FlowFile = serde_json::from_str(s).map_err(|e| FlowError::File(e.to_string()))?;
        if file.format != FILE_FORMAT {
            return Err(FlowError::File(format!(
                "unknown format {:?} (expected {FILE_FORMAT:?})",
                file.format
            )));
        }
        let mut flow = Flow::new(file.spec, 0)?;
        check(
            "number of layer partitions",
            flow.layers.len(),
            file.partitions.len(),
        )?;
        for (layer, (cond, trans)) in flow.layers.iter_mut().zip(file.partitions) {
            let mut all: Vec<usize> = cond.iter().chain(&trans).cloned().collect();
            all.sort_unstable();
            if all != (0..flow.spec.dim).collect::<Vec<_>>() || trans.is_empty() {
                return Err(FlowError::File(
                    "a layer partition is not a split of the coordinates".into(),
                ));
            }
            if cond.len() != layer.cond.len() {
                let net_spec = net_spec(&flow.spec, &flow.elem, cond.len(), trans.len());
                layer.net = Mlp::zeros(net_spec)?;
            }
            layer.cond = cond;
            layer.trans = trans;
        }
        flow.set_params(&file.params)?;
        flow.set_standardization(file.standardization)?;
        Ok(flow)
    }

    /// Write [`Flow::to_json`] to a file.
    pub fn save(&self, path: &Path) -> Result<(), FlowError> {
        std::fs::write(path, self.to_json())
            .map_err(|e| FlowError::File(format!("{}: {e}", path.display())))
    }

    /// Read a flow written by [`Flow::save`].
    pub fn load(path: &Path) -> Result<Flow, FlowError> {
        let s = std::fs::read_to_string(path)
            .map_err(|e| FlowError::File(format!("{}: {e}", path.display())))?;
        Flow::from_json(&s)
    }

    // ----- internals -----

    fn batch(&self, x: &[f64], ctx: &[f64]) -> Result<Batch, FlowError> {
        let d = self.dim();
        if !x.len().is_multiple_of(d) {
            return Err(FlowError::Dimension {
                what: "flat batch length (a multiple of dim)",
                expected: d * (x.len() / d + 1),
                got: x.len(),
            });
        }
        if non_finite(x) {
            return Err(FlowError::NonFinite("flow input"));
        }
        let n = x.len() / d;
        let c = self.context_dim();
        let broadcast = if c == 0 {
            check("context length (flow is unconditional)", 0, ctx.len())?;
            false
        } else if ctx.len() == c && n != 1 {
            true
        } else {
            check(
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

    /// Standardised x, per-row standardised context, and the rows outside the domain (whose
    /// coordinates are replaced by a harmless interior point).
    fn prepare(&self, x: &[f64], ctx: &[f64], b: &Batch) -> (Vec<f64>, Vec<f64>, Vec<bool>) {
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

    fn prepare_ctx(&self, ctx: &[f64], b: &Batch) -> Vec<f64> {
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

    fn std_logdet(&self) -> f64 {
        self.standardization
            .as_ref()
            .map_or(0.0, |s| -s.x_scale.iter().map(|v| v.ln()).sum::<f64>())
    }

    fn base_log_prob(&self, z: &[f64]) -> f64 {
        match self.spec.domain {
            Domain::UnitCube => 0.0,
            Domain::Real => {
                -0.5 * z.iter().map(|v| v * v).sum::<f64>() - 0.5 * z.len() as f64 * (2.0 * PI).ln()
            }
        }
    }

    fn finish_log_q(&self, z: &[f64], logdet: &[f64], outside: &[bool]) -> Vec<f64> {
        let d = self.dim();
        let std_ld = self.std_logdet();
        (0..logdet.len())
            .map(|i| {
                if outside[i] {
                    f64::NEG_INFINITY
                } else {
                    self.base_log_prob(&z[i * d..(i + 1) * d]) + logdet[i] + std_ld
                }
            })
            .collect()
    }

    fn cond_input(&self, layer: &Layer, h: &[f64], cs: &[f64], n: usize) -> Vec<f64> {
        let d = self.dim();
        let c = self.context_dim();
        let width = (layer.cond.len() + c).max(1);
        let mut input = Vec::with_capacity(n * width);
        for i in 0..n {
            if layer.cond.len() + c == 0 {
                input.push(1.0);
                continue;
            }
            input.extend(layer.cond.iter().map(|&j| h[i * d + j]));
            input.extend_from_slice(&cs[i * c..(i + 1) * c]);
        }
        input
    }

    /// Normalizing pass in standardised coordinates: `(z, Σ log τ', trace)`.
    fn normalize(
        &self,
        mut h: Vec<f64>,
        cs: &[f64],
        b: &Batch,
        keep: bool,
    ) -> (Vec<f64>, Vec<f64>, Option<PassRecord>) {
        let d = self.dim();
        let p = self.elem.n_params();
        let mut logdet = vec![0.0; b.n];
        let mut trace = keep.then(|| PassRecord {
            inputs: Vec::new(),
            thetas: Vec::new(),
            data_side: Vec::new(),
        });
        if b.n == 0 {
            return (h, logdet, trace);
        }
        for layer in &self.layers {
            let input = self.cond_input(layer, &h, cs, b.n);
            let (theta, taped) = conditioner(layer, input, b.n, keep);
            let nb = layer.trans.len();
            if let Some(t) = trace.as_mut() {
                t.data_side.push(h.clone());
            }
            for i in 0..b.n {
                for (jj, &j) in layer.trans.iter().enumerate() {
                    let at = (i * nb + jj) * p;
                    let (y, ld) = self.elem.forward(h[i * d + j], &theta[at..at + p]);
                    h[i * d + j] = y;
                    logdet[i] += ld;
                }
            }
            if let Some(t) = trace.as_mut() {
                t.inputs.push(taped);
                t.thetas.push(theta);
            }
        }
        (h, logdet, trace)
    }

    /// Generative pass: `(x, log q(x), trace)` with the trace indexed by layer.
    fn generate(
        &self,
        z: &[f64],
        cs: &[f64],
        b: &Batch,
        keep: bool,
    ) -> (Vec<f64>, Vec<f64>, Option<PassRecord>) {
        let d = self.dim();
        let p = self.elem.n_params();
        let nl = self.layers.len();
        let mut h = z.to_vec();
        let mut log_q: Vec<f64> = (0..b.n)
            .map(|i| self.base_log_prob(&z[i * d..(i + 1) * d]))
            .collect();
        let mut inputs: Vec<Option<Taped>> = (0..nl).map(|_| None).collect();
        let mut thetas = vec![Vec::new(); nl];
        let mut data_side = vec![Vec::new(); nl];
        if b.n > 0 {
            for (l, layer) in self.layers.iter().enumerate().rev() {
                let input = self.cond_input(layer, &h, cs, b.n);
                let (theta, taped) = conditioner(layer, input, b.n, keep);
                let nb = layer.trans.len();
                for i in 0..b.n {
                    for (jj, &j) in layer.trans.iter().enumerate() {
                        let at = (i * nb + jj) * p;
                        let th = &theta[at..at + p];
                        let v = self.elem.inverse(h[i * d + j], th);
                        h[i * d + j] = v;
                        log_q[i] += self.elem.forward(v, th).1;
                    }
                }
                if keep {
                    inputs[l] = taped;
                    thetas[l] = theta;
                    data_side[l] = h.clone();
                }
            }
        }
        let std_ld = self.std_logdet();
        for v in log_q.iter_mut() {
            *v += std_ld;
        }
        if let Some(s) = &self.standardization {
            for (k, v) in h.iter_mut().enumerate() {
                *v = *v * s.x_scale[k % d] + s.x_shift[k % d];
            }
        }
        let trace = keep.then_some(PassRecord {
            inputs,
            thetas,
            data_side,
        });
        (h, log_q, trace)
    }

    /// Reverse sweep over the layers of a recorded pass. `gh` holds the adjoint of the pass's
    /// output on entry (of `z` for [`Pass::Normalizing`], of `x` for [`Pass::Generative`]) and
    /// of its input on exit; `gl` is the adjoint of each row's log-determinant sum.
    fn backward(
        &self,
        mut trace: PassRecord,
        n: usize,
        gh: &mut [f64],
        gl: &[f64],
        pass: Pass,
    ) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let d = self.dim();
        let p = self.elem.n_params();
        let mut g_params = vec![0.0; self.num_params()];
        let mut g_ctx = vec![0.0; n * self.context_dim()];
        let mut offsets = Vec::with_capacity(self.layers.len());
        let mut at_param = 0;
        for layer in &self.layers {
            offsets.push(at_param);
            at_param += layer.net.num_params();
        }
        let mut order: Vec<usize> = (0..self.layers.len()).collect();
        if pass == Pass::Normalizing {
            order.reverse();
        }
        let (mut dy, mut dl) = (vec![0.0; p], vec![0.0; p]);
        for l in order {
            let layer = &self.layers[l];
            let theta = &trace.thetas[l];
            let data = &trace.data_side[l];
            let nb = layer.trans.len();
            let mut g_theta = vec![0.0; n * nb * p];
            for i in 0..n {
                for (jj, &j) in layer.trans.iter().enumerate() {
                    let at = (i * nb + jj) * p;
                    let loc =
                        self.elem
                            .partials(data[i * d + j], &theta[at..at + p], &mut dy, &mut dl);
                    let g = gh[i * d + j];
                    // Adjoint of y = τ(x) (normalizing) or of x = τ⁻¹(y) (generative).
                    let (g_tau, g_in) = match pass {
                        Pass::Normalizing => (g, g * loc.dy_dx + gl[i] * loc.dl_dx),
                        Pass::Generative => {
                            let gu = (g + gl[i] * loc.dl_dx) / loc.dy_dx;
                            (-gu, gu)
                        }
                    };
                    for t in 0..p {
                        g_theta[at + t] = g_tau * dy[t] + gl[i] * dl[t];
                    }
                    gh[i * d + j] = g_in;
                }
            }
            let taped = trace.inputs[l].take().expect("recorded conditioner");
            let k = output_damping(layer);
            g_theta.iter_mut().for_each(|g| *g *= k);
            self.conditioner_backward(
                layer,
                taped,
                n,
                &g_theta,
                offsets[l],
                &mut g_params,
                gh,
                &mut g_ctx,
            )?;
        }
        Ok((g_params, g_ctx))
    }

    /// Back-propagate `g_theta` through a layer's conditioner: parameter gradients go to
    /// `g_params[offset..]`, input gradients to the conditioning coordinates of `gh` and to
    /// `g_ctx`.
    #[allow(clippy::too_many_arguments)]
    fn conditioner_backward(
        &self,
        layer: &Layer,
        taped: Taped,
        n: usize,
        g_theta: &[f64],
        offset: usize,
        g_params: &mut [f64],
        gh: &mut [f64],
        g_ctx: &mut [f64],
    ) -> Result<(), FlowError> {
        let net = &layer.net;
        let dev = net.device();
        let width = net.spec().inputs();
        let out = net.spec().outputs();
        let Taped {
            input: xt,
            output: y,
        } = taped;
        let g: Tensor<(usize, usize), f64, Cpu> = dev.tensor_from_vec(g_theta.to_vec(), (n, out));
        let loss: Tensor<Rank0, f64, Cpu, _> = (y * g).sum();
        let grads = loss.backward();
        for (a, v) in g_params[offset..offset + net.num_params()]
            .iter_mut()
            .zip(net.param_gradients(&grads))
        {
            *a += v;
        }
        let gin = grads.get(&xt).as_vec();
        let d = self.dim();
        let c = self.context_dim();
        let na = layer.cond.len();
        if na + c == 0 {
            return Ok(());
        }
        for i in 0..n {
            for (a, &j) in layer.cond.iter().enumerate() {
                gh[i * d + j] += gin[i * width + a];
            }
            for k in 0..c {
                g_ctx[i * c + k] += gin[i * width + na + k];
            }
        }
        Ok(())
    }

    fn unstandardize_x_grad(&self, mut g: Vec<f64>, _n: usize) -> Vec<f64> {
        let d = self.dim();
        if let Some(s) = &self.standardization {
            for (k, v) in g.iter_mut().enumerate() {
                *v /= s.x_scale[k % d];
            }
        }
        g
    }

    fn unstandardize_ctx_grad(&self, mut g: Vec<f64>, b: &Batch) -> Vec<f64> {
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

/// Damping of the raw conditioner outputs, `1/√(last hidden width)`: it keeps the element-wise
/// transforms as sensitive to the last layer's weights as in the reference implementation of
/// neural spline flows (which divides the bin logits by √hidden), so that Adam's fixed step size
/// does not shake a near-optimal flow about. Only for [`FlowSpec::damped`] flows; 1 otherwise.
fn output_damping(layer: &Layer) -> f64 {
    if !layer.damped {
        return 1.0;
    }
    let w = &layer.net.spec().widths;
    1.0 / (w[w.len() - 2] as f64).sqrt()
}

fn damp(layer: &Layer, mut theta: Vec<f64>) -> Vec<f64> {
    let k = output_damping(layer);
    if k != 1.0 {
        theta.iter_mut().for_each(|t| *t *= k);
    }
    theta
}

/// Evaluate a layer's conditioner on a batch; with `keep`, on a fresh dfdx tape for a later
/// backward pass.
fn conditioner(layer: &Layer, input: Vec<f64>, n: usize, keep: bool) -> (Vec<f64>, Option<Taped>) {
    let net = &layer.net;
    let width = net.spec().inputs();
    let xt: Tensor<(usize, usize), f64, Cpu> = net.device().tensor_from_vec(input, (n, width));
    if keep {
        let output = net
            .forward_tensor(xt.leaky_trace())
            .expect("conditioner input width is consistent");
        (
            damp(layer, output.as_vec()),
            Some(Taped { input: xt, output }),
        )
    } else {
        let y = net
            .forward_tensor(xt)
            .expect("conditioner input width is consistent");
        (damp(layer, y.as_vec()), None)
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

fn check(what: &'static str, expected: usize, got: usize) -> Result<(), FlowError> {
    if expected == got {
        Ok(())
    } else {
        Err(FlowError::Dimension {
            what,
            expected,
            got,
        })
    }
}

/// Per-coordinate mean and standard deviation (zero spreads replaced by 1).
fn moments(v: &[f64], d: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
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

/// Conditioner architecture of a layer with `na` conditioning and `nb` transformed coordinates.
fn net_spec(spec: &FlowSpec, elem: &Elementwise, na: usize, nb: usize) -> MlpSpec {
    let mut widths = vec![(na + spec.context_dim).max(1)];
    widths.extend(&spec.hidden);
    widths.push(nb * elem.n_params());
    MlpSpec::new(&widths, spec.activation)
}

/// Conditioning / transformed coordinate sets per layer: alternating halves of a seeded
/// permutation (re-drawn every second layer), so each coordinate is transformed at least every
/// two layers.
fn partitions(dim: usize, layers: usize, seed: u64) -> Vec<(Vec<usize>, Vec<usize>)> {
    if dim == 1 {
        return vec![(Vec::new(), vec![0]); layers];
    }
    let mut out = Vec::with_capacity(layers);
    let mut perm: Vec<usize> = (0..dim).collect();
    for l in 0..layers {
        if l % 2 == 0 && l > 0 && dim > 2 {
            for i in (1..dim).rev() {
                let u = counter_uniform(seed, PERM_STREAM, l as u64, i as u64);
                let j = ((u * (i + 1) as f64) as usize).min(i);
                perm.swap(i, j);
            }
        }
        let half = dim / 2;
        let (a, b) = (perm[..half].to_vec(), perm[half..].to_vec());
        out.push(if l % 2 == 0 { (a, b) } else { (b, a) });
    }
    out
}
