//! The coupling layers' passes: conditioner inputs and evaluations, the normalizing pass
//! `x ↦ z` and the generative pass `z ↦ x`, each optionally recorded for a backward pass.

use std::f64::consts::PI;

use dfdx::prelude::*;

use super::{Batch, Flow, Layer, PassRecord, Taped};
use crate::flows::spec::Domain;

impl Flow {
    fn base_log_prob(&self, z: &[f64]) -> f64 {
        match self.spec.domain {
            Domain::UnitCube => 0.0,
            Domain::Real => {
                -0.5 * z.iter().map(|v| v * v).sum::<f64>() - 0.5 * z.len() as f64 * (2.0 * PI).ln()
            }
        }
    }

    pub(super) fn finish_log_q(&self, z: &[f64], logdet: &[f64], outside: &[bool]) -> Vec<f64> {
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

    pub(super) fn cond_input(&self, layer: &Layer, h: &[f64], cs: &[f64], n: usize) -> Vec<f64> {
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
    pub(super) fn normalize(
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
    pub(super) fn generate(
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
}

/// Damping of the raw conditioner outputs, `1/√(last hidden width)`: it keeps the element-wise
/// transforms as sensitive to the last layer's weights as in the reference implementation of
/// neural spline flows (which divides the bin logits by √hidden), so that Adam's fixed step size
/// does not shake a near-optimal flow about. Only for [`FlowSpec::damped`] flows; 1 otherwise.
pub(super) fn output_damping(layer: &Layer) -> f64 {
    if !layer.damped {
        return 1.0;
    }
    let w = &layer.net.spec().widths;
    1.0 / (w[w.len() - 2] as f64).sqrt()
}

pub(super) fn damp(layer: &Layer, mut theta: Vec<f64>) -> Vec<f64> {
    let k = output_damping(layer);
    if k != 1.0 {
        theta.iter_mut().for_each(|t| *t *= k);
    }
    theta
}

/// Evaluate a layer's conditioner on a batch; with `keep`, on a fresh dfdx tape for a later
/// backward pass.
pub(super) fn conditioner(
    layer: &Layer,
    input: Vec<f64>,
    n: usize,
    keep: bool,
) -> (Vec<f64>, Option<Taped>) {
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
