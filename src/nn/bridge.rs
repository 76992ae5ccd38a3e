//! Exact gradient exchange between the tape ([`crate::tape`]) and dfdx.
//!
//! Three entry points cover both directions:
//!
//! | function | data flow | how the gradient crosses |
//! | --- | --- | --- |
//! | [`map_on_tape`] | tape vars → network → more tape ops | the network's Jacobian becomes the partials of custom tape nodes |
//! | [`dfdx_loss_of_vars`] | tape vars → network → loss (in dfdx) | `∂loss/∂y` from dfdx seeds the tape's reverse sweep (a VJP) |
//! | [`tape_loss_of_tensor`] | network → tape program → loss | `g = ∂loss/∂y` from the tape enters dfdx as the surrogate `sum(y ⊙ g)` |
//!
//! Anything that maps a vector to a vector on dfdx can take part through [`DfdxMap`]: runtime-sized
//! [`Mlp`]s, and compile-time-sized dfdx modules wrapped in [`StaticModule`].

use dfdx::nn::Module;
use dfdx::prelude::*;

use super::error::{check_len, NnError};
use super::mlp::Mlp;
use crate::tape::{ActiveTape, Tape as DTape, Var};

/// A dfdx tape over `f64` on the CPU.
pub type DfTape = OwnedTape<f64, Cpu>;
/// A runtime-length vector recorded on a dfdx tape.
pub type TracedVector = Tensor<(usize,), f64, Cpu, DfTape>;
/// A scalar recorded on a dfdx tape (what `backward()` is called on).
pub type TracedScalar = Tensor<Rank0, f64, Cpu, DfTape>;

/// A differentiable map `ℝⁿ → ℝᵐ` evaluated with dfdx in `f64`.
pub trait DfdxMap {
    /// `n`.
    fn input_dim(&self) -> usize;
    /// `m`.
    fn output_dim(&self) -> usize;
    /// The map on a traced vector of length `n`; returns a traced vector of length `m` on the
    /// same tape.
    fn forward_traced(&self, x: TracedVector) -> TracedVector;
    /// The dfdx device to build inputs on.
    fn device(&self) -> Cpu;

    /// Plain evaluation (no gradient kept).
    fn eval(&self, x: &[f64]) -> Result<Vec<f64>, NnError> {
        check_len("map input length", self.input_dim(), x.len())?;
        let t = self.device().tensor_from_vec(x.to_vec(), (x.len(),));
        Ok(self.forward_traced(t.leaky_trace()).as_vec())
    }
}

impl DfdxMap for Mlp<f64> {
    fn input_dim(&self) -> usize {
        self.spec().inputs()
    }
    fn output_dim(&self) -> usize {
        self.spec().outputs()
    }
    fn forward_traced(&self, x: TracedVector) -> TracedVector {
        let n = x.shape().0;
        let y = self
            .forward_tensor(x.reshape_like(&(1usize, n)))
            .expect("input width checked by the bridge");
        let m = y.shape().1;
        y.reshape_like(&(m,))
    }
    fn device(&self) -> Cpu {
        Mlp::device(self).clone()
    }
}

/// A compile-time-sized dfdx module `M` with `I` inputs and `O` outputs (e.g. built with
/// `dev.build_module::<(Linear<3, 8>, Tanh, Linear<8, 2>), f64>()`), usable by the bridge.
#[derive(Clone, Debug)]
pub struct StaticModule<M, const I: usize, const O: usize> {
    /// The module.
    pub module: M,
    /// Its device.
    pub dev: Cpu,
}

impl<M, const I: usize, const O: usize> DfdxMap for StaticModule<M, I, O>
where
    M: Module<
        Tensor<Rank1<I>, f64, Cpu, DfTape>,
        Output = Tensor<Rank1<O>, f64, Cpu, DfTape>,
        Error = <Cpu as HasErr>::Err,
    >,
{
    fn input_dim(&self) -> usize {
        I
    }
    fn output_dim(&self) -> usize {
        O
    }
    fn forward_traced(&self, x: TracedVector) -> TracedVector {
        let x: Tensor<Rank1<I>, f64, Cpu, DfTape> = x.reshape_like(&(Const::<I>,));
        self.module.forward(x).reshape_like(&(O,))
    }
    fn device(&self) -> Cpu {
        self.dev.clone()
    }
}

/// Gradient of `(y · seed).sum()` w.r.t. the input of `map` at `x` (one vector–Jacobian
/// product through dfdx); also returns `y`.
pub fn dfdx_vjp(
    map: &impl DfdxMap,
    x: &[f64],
    seed: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), NnError> {
    check_len("map input length", map.input_dim(), x.len())?;
    check_len(
        "VJP seed length (map outputs)",
        map.output_dim(),
        seed.len(),
    )?;
    let dev = map.device();
    let xt = dev.tensor_from_vec(x.to_vec(), (x.len(),));
    let y = map.forward_traced(xt.leaky_trace());
    let yv = y.as_vec();
    let g = dev.tensor_from_vec(seed.to_vec(), (seed.len(),));
    let grads = (y * g).sum().backward();
    Ok((yv, grads.get(&xt).as_vec()))
}

/// Evaluate `map` on tape variables: returns one new tape variable per output, recorded as a
/// custom node whose partials are a row of the map's Jacobian, so any tape program can continue
/// from the outputs and its gradient flows back into `xs` exactly. Costs one dfdx forward and
/// backward per output (the Jacobian is built row by row).
pub fn map_on_tape(
    tape: &ActiveTape<'_, f64>,
    map: &impl DfdxMap,
    xs: &[Var],
) -> Result<Vec<Var>, NnError> {
    let x: Vec<f64> = xs.iter().map(|v| v.val()).collect();
    let m = map.output_dim();
    let mut out = Vec::with_capacity(m);
    let mut seed = vec![0.0; m];
    for i in 0..m {
        seed[i] = 1.0;
        let (y, row) = dfdx_vjp(map, &x, &seed)?;
        seed[i] = 0.0;
        let edges: Vec<(Var, f64)> = xs.iter().copied().zip(row).collect();
        out.push(tape.custom(y[i], &edges));
    }
    Ok(out)
}

/// A loss computed in dfdx from tape outputs `ys`: returns the loss and its gradient with
/// respect to the tape variables `wrt`. The dfdx gradient `∂loss/∂y` seeds the tape's reverse
/// sweep (one VJP on each side, exact).
pub fn dfdx_loss_of_vars<L>(
    tape: &ActiveTape<'_, f64>,
    ys: &[Var],
    wrt: &[Var],
    loss: L,
) -> Result<(f64, Vec<f64>), NnError>
where
    L: FnOnce(TracedVector) -> TracedScalar,
{
    let dev = Cpu::default();
    let y: Vec<f64> = ys.iter().map(|v| v.val()).collect();
    let yt = dev.tensor_from_vec(y, (ys.len(),));
    let l = loss(yt.leaky_trace());
    let value = l.array();
    let grads = l.backward();
    let g = grads.get(&yt).as_vec();
    let adj = tape.vjp(ys, &g)?;
    Ok((value, adj.wrt_all(wrt)?))
}

/// A loss computed by a tape program `sim` from a traced dfdx vector `y` (e.g. a network's
/// output). `sim` receives the active tape (for custom nodes such as an implicit fit) and one
/// tape variable per component of `y`, and may fail with its own error type. Returns the loss
/// value and a dfdx scalar whose `backward()` gives, for every tensor upstream of `y` (network
/// weights, inputs), the exact gradient of the loss: the tape's gradient `g = ∂loss/∂y` enters
/// dfdx as the surrogate `sum(y ⊙ g)` (whose value is not the loss).
pub fn tape_loss_of_tensor<F, E>(y: TracedVector, sim: F) -> Result<(f64, TracedScalar), E>
where
    F: FnOnce(&ActiveTape<'_, f64>, &[Var]) -> Result<Var, E>,
    E: From<NnError>,
{
    let vals = y.as_vec();
    let mut tape = DTape::<f64>::new();
    let (value, g) = {
        let t = tape.activate();
        let vs = t.vars(&vals);
        let l = sim(&t, &vs)?;
        let adj = t.gradient(l).map_err(NnError::from)?;
        (l.val(), adj.wrt_all(&vs).map_err(NnError::from)?)
    };
    let gt = y.device().tensor_from_vec(g, (vals.len(),));
    Ok((value, (y * gt).sum()))
}

/// An [`Mlp`] applied to each row of `x` (`batch · inputs` values), its `batch · outputs` outputs
/// (row-major) handed to a tape program `sim` as tape variables; returns the loss and its exact
/// gradient with respect to every network parameter (flat, in the order of [`Mlp::params`]).
/// This is [`tape_loss_of_tensor`] for a whole network, without touching dfdx types.
pub fn mlp_into_tape<F, E>(net: &Mlp<f64>, x: &[f64], sim: F) -> Result<(f64, Vec<f64>), E>
where
    F: FnOnce(&ActiveTape<'_, f64>, &[Var]) -> Result<Var, E>,
    E: From<NnError>,
{
    let batch = net.batch_of(x)?;
    let xt: Tensor<(usize, usize), f64, Cpu> = net
        .device()
        .tensor_from_vec(x.to_vec(), (batch, net.spec().inputs()));
    let y = net.forward_tensor(xt.leaky_trace())?;
    let n = batch * net.spec().outputs();
    let (value, surrogate) = tape_loss_of_tensor(y.reshape_like(&(n,)), sim)?;
    let grads = surrogate.backward();
    Ok((value, net.param_gradients(&grads)))
}
