//! Exact gradients: the public gradient passes and the reverse sweep over the coupling layers
//! (element-wise partials, then the conditioner networks through dfdx).

use dfdx::prelude::*;

use super::coupling::output_damping;
use super::{add_into, non_finite, Flow, Layer, LogProbGrad, Pass, PassRecord, Taped};
use crate::error::check_len;
use crate::flows::spec::{Domain, FlowError};

impl Flow {
    /// Value and gradients of `L = Σ_i w_i log q(x_i|c_i)` with respect to the parameters, `x`
    /// and the context. Rows outside the domain contribute nothing (their `log q` is −∞).
    pub fn log_prob_grad(
        &self,
        x: &[f64],
        ctx: &[f64],
        w: &[f64],
    ) -> Result<LogProbGrad, FlowError> {
        let b = self.batch(x, ctx)?;
        check_len("number of weights", b.n, w.len())?;
        if non_finite(w) {
            return Err(FlowError::NonFinite("weights"));
        }
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
        check_len("number of x adjoints", b.n * d, g_x.len())?;
        check_len("number of log q adjoints", b.n, g_logq.len())?;
        if non_finite(g_x) || non_finite(g_logq) {
            return Err(FlowError::NonFinite("upstream adjoints"));
        }
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

    /// [`Flow::log_prob_grad`] on one block of rows.
    pub(super) fn log_prob_grad_rows(
        &self,
        x: &[f64],
        ctx: &[f64],
        w: &[f64],
    ) -> Result<LogProbGrad, FlowError> {
        let b = self.batch(x, ctx)?;
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
    pub(super) fn sample_grad_rows(
        &self,
        z: &[f64],
        ctx: &[f64],
        g_x: &[f64],
        g_logq: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>), FlowError> {
        let b = self.batch(z, ctx)?;
        let d = self.dim();
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

    /// Reverse sweep over the layers of a recorded pass. `gh` holds the adjoint of the pass's
    /// output on entry (of `z` for [`Pass::Normalizing`], of `x` for [`Pass::Generative`]) and
    /// of its input on exit; `gl` is the adjoint of each row's log-determinant sum.
    pub(super) fn backward(
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
    pub(super) fn conditioner_backward(
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
}
