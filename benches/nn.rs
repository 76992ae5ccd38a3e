//! Network benchmarks (issue 6). Prints, measured in this run:
//! (a) MLP forward + backward (MSE loss, gradient of every weight) time per sample on dfdx, at
//!     hidden widths 64 and 256 (network 8 → W → W → 1, tanh, batch 256), against a hand-written
//!     f64 loop that computes the same loss and gradient;
//! (b) bridge overhead: a network's input gradient obtained through the tape (tape inputs →
//!     `map_on_tape` → tape reverse sweep) over the same gradient from dfdx alone (`dfdx_vjp`),
//!     and the network → tape direction (`tape_loss_of_tensor` + backward) over the same loss
//!     written in dfdx.
//!
//! Run: `cargo bench --bench nn`.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use dfdx::prelude::*;
use diffhep::nn::bridge::{dfdx_vjp, map_on_tape, tape_loss_of_tensor, DfdxMap};
use diffhep::nn::{Activation, Mlp, MlpSpec};
use diffhep::tape::Tape as DTape;
use diffhep::Scalar;

const BATCH: usize = 256;
const N_IN: usize = 8;

fn data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..BATCH * N_IN).map(|i| (i as f64 * 0.37).sin()).collect();
    let y: Vec<f64> = (0..BATCH).map(|i| (i as f64 * 0.11).cos()).collect();
    (x, y)
}

/// Hand-written baseline: forward and backward of the tanh MLP with MSE loss, plain f64 loops
/// over the flat parameter layout of [`Mlp::params`] (per layer: weight `(in, out)` row-major,
/// then bias). Returns the loss; the gradient goes to `grad`.
fn plain_mse_and_grad(widths: &[usize], p: &[f64], x: &[f64], y: &[f64], grad: &mut [f64]) -> f64 {
    let n_layers = widths.len() - 1;
    let mut offs = Vec::with_capacity(n_layers);
    let mut at = 0;
    for w in widths.windows(2) {
        offs.push(at);
        at += w[0] * w[1] + w[1];
    }
    grad.iter_mut().for_each(|g| *g = 0.0);
    let mut loss = 0.0;
    let inv_b = 1.0 / (x.len() / widths[0]) as f64;
    let mut acts: Vec<Vec<f64>> = widths.iter().map(|&w| vec![0.0; w]).collect();
    let mut deltas: Vec<Vec<f64>> = widths.iter().map(|&w| vec![0.0; w]).collect();
    for (r, xr) in x.chunks_exact(widths[0]).enumerate() {
        acts[0].copy_from_slice(xr);
        for l in 0..n_layers {
            let (i, o) = (widths[l], widths[l + 1]);
            let (w, b) = (
                &p[offs[l]..offs[l] + i * o],
                &p[offs[l] + i * o..offs[l] + i * o + o],
            );
            let (lo, hi) = acts.split_at_mut(l + 1);
            let (inp, out) = (&lo[l], &mut hi[0]);
            out.copy_from_slice(b);
            for j in 0..i {
                let a = inp[j];
                let row = &w[j * o..(j + 1) * o];
                for k in 0..o {
                    out[k] += a * row[k];
                }
            }
            if l + 1 < n_layers {
                out.iter_mut().for_each(|v| *v = v.tanh());
            }
        }
        let e = acts[n_layers][0] - y[r];
        loss += e * e * inv_b;
        deltas[n_layers][0] = 2.0 * e * inv_b;
        for l in (0..n_layers).rev() {
            let (i, o) = (widths[l], widths[l + 1]);
            let off = offs[l];
            let (dlo, dhi) = deltas.split_at_mut(l + 1);
            let (din, dout) = (&mut dlo[l], &dhi[0]);
            for k in 0..o {
                grad[off + i * o + k] += dout[k];
            }
            for j in 0..i {
                let a = acts[l][j];
                let row = &p[off + j * o..off + (j + 1) * o];
                let grow = &mut grad[off + j * o..off + (j + 1) * o];
                let mut s = 0.0;
                for k in 0..o {
                    grow[k] += a * dout[k];
                    s += row[k] * dout[k];
                }
                // Derivative of the tanh that produced the layer's input (none for the inputs).
                din[j] = if l > 0 { s * (1.0 - a * a) } else { s };
            }
        }
    }
    loss
}

fn downstream<S: Scalar + Copy>(y: &[S]) -> S {
    (y[0] - y[1].sin()) * y[0] + y[1].exp()
}

fn main() {
    let mut crit = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let (x, y) = data();
    let mut rows = Vec::new();
    let ms = 60.0;
    for width in [64usize, 256] {
        let widths = [N_IN, width, width, 1];
        let net = Mlp::<f64>::new(MlpSpec::new(&widths, Activation::Tanh), 1).unwrap();
        let p = net.params_f64();
        let mut g = vec![0.0; p.len()];
        // Same numbers both ways (checked here so the ratio compares like with like).
        let (l_dfdx, g_dfdx) = net.mse_and_grad(&x, &y).unwrap();
        let l_plain = plain_mse_and_grad(&widths, &p, &x, &y, &mut g);
        let max_diff = g
            .iter()
            .zip(&g_dfdx)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            (l_dfdx - l_plain).abs() < 1e-12 && max_diff < 1e-12,
            "baseline disagrees"
        );

        let mut grp = crit.benchmark_group(format!("mlp_w{width}"));
        grp.bench_function("dfdx_fwd_bwd_batch", |b| {
            b.iter(|| net.mse_and_grad(black_box(&x), &y).unwrap())
        });
        grp.bench_function("plain_f64_fwd_bwd_batch", |b| {
            b.iter(|| plain_mse_and_grad(&widths, &p, black_box(&x), &y, &mut g))
        });
        grp.finish();

        let t_dfdx =
            common::ns_per_call(ms, || net.mse_and_grad(black_box(&x), &y).unwrap()) / BATCH as f64;
        let t_plain = common::ns_per_call(ms, || {
            plain_mse_and_grad(&widths, &p, black_box(&x), &y, &mut g)
        }) / BATCH as f64;
        rows.push((
            format!("plain f64 loop fwd+bwd, width {width}"),
            t_plain,
            "ns/sample",
            None,
            "",
        ));
        rows.push((
            format!("dfdx MLP fwd+bwd, width {width}"),
            t_dfdx,
            "ns/sample",
            Some(t_dfdx / t_plain),
            "ratio vs plain loop",
        ));
    }

    // Bridge overhead, network 3 → 64 → 1 (tanh): input gradient by dfdx alone vs through the tape.
    let net = Mlp::<f64>::new(MlpSpec::new(&[3, 64, 1], Activation::Tanh), 2).unwrap();
    let x0 = [0.3, -0.2, 0.5];
    let direct = || dfdx_vjp(&net, black_box(&x0), &[1.0]).unwrap();
    let mut tape = DTape::<f64>::with_capacity(64);
    let mut via_tape = || {
        tape.clear();
        let t = tape.activate();
        let xs = t.vars(black_box(&x0));
        let ys = map_on_tape(&t, &net, &xs).unwrap();
        t.gradient(ys[0]).unwrap().wrt_all(&xs).unwrap()
    };
    let t_direct = common::ns_per_call(ms, direct);
    let t_tape = common::ns_per_call(ms, &mut via_tape);
    rows.push((
        "dfdx input gradient (dfdx_vjp), 3-64-1".into(),
        t_direct,
        "ns/call",
        None,
        "",
    ));
    rows.push((
        "same through the tape (map_on_tape + reverse sweep)".into(),
        t_tape,
        "ns/call",
        Some(t_tape / t_direct),
        "bridge overhead",
    ));

    // Network → tape: a downstream loss of the network output, in dfdx vs on the tape.
    let net2 = Mlp::<f64>::new(MlpSpec::new(&[3, 64, 2], Activation::Tanh), 3).unwrap();
    let dev = net2.device().clone();
    let in_dfdx = || {
        let xt: Tensor<(usize,), f64, Cpu> = dev.tensor_from_vec(x0.to_vec(), (3,));
        let y = net2.forward_traced(xt.leaky_trace());
        let y0 = y.with_empty_tape().slice((0..1,)).sum::<Rank0, _>();
        let y1 = y.slice((1..2,)).sum::<Rank0, _>();
        let l = (y0.with_empty_tape() - y1.with_empty_tape().sin()) * y0 + y1.exp();
        net2.param_gradients(&l.backward())
    };
    let on_tape = || {
        let xt: Tensor<(usize,), f64, Cpu> = dev.tensor_from_vec(x0.to_vec(), (3,));
        let y = net2.forward_traced(xt.leaky_trace());
        let (_, s) =
            tape_loss_of_tensor(y, |_t, v| Ok::<_, diffhep::nn::NnError>(downstream(v))).unwrap();
        net2.param_gradients(&s.backward())
    };
    let (ga, gb) = (in_dfdx(), on_tape());
    let md = ga
        .iter()
        .zip(&gb)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        md < 1e-12,
        "network → tape gradient disagrees with dfdx ({md:e})"
    );
    let t_a = common::ns_per_call(ms, in_dfdx);
    let t_b = common::ns_per_call(ms, on_tape);
    rows.push((
        "loss of net output written in dfdx, 3-64-2".into(),
        t_a,
        "ns/call",
        None,
        "",
    ));
    rows.push((
        "same loss on the tape (tape_loss_of_tensor)".into(),
        t_b,
        "ns/call",
        Some(t_b / t_a),
        "bridge overhead",
    ));
    common::print_table("networks on dfdx and the tape bridge", &rows);
}
