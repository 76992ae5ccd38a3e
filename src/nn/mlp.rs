//! Runtime-sized multilayer perceptrons on raw dfdx tensors.

use crate::error::DimensionMismatch;
use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::{check_len, NnError};
use crate::stochastic::rng::counter_uniform;

/// Element types a network can use (`f32`, `f64`), with exact conversions to and from `f64`
/// where the type allows.
pub trait NnFloat: Dtype + num_traits::Float + Serialize + 'static {
    /// Name used in weight files (`"f32"` or `"f64"`).
    const NAME: &'static str;
    /// Convert from `f64` (rounding for `f32`).
    fn of_f64(x: f64) -> Self;
    /// Convert to `f64` (exact).
    fn as_f64(self) -> f64;
    /// Bytes per value.
    const BYTES: usize;
    /// Append the little-endian bytes of `self`.
    fn write_le(self, out: &mut Vec<u8>);
    /// Read a value from `Self::BYTES` little-endian bytes.
    fn read_le(bytes: &[u8]) -> Self;
}

impl NnFloat for f64 {
    const NAME: &'static str = "f64";
    const BYTES: usize = 8;
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn read_le(bytes: &[u8]) -> Self {
        f64::from_le_bytes(bytes.try_into().expect("slice of Self::BYTES bytes"))
    }
    fn of_f64(x: f64) -> Self {
        x
    }
    fn as_f64(self) -> f64 {
        self
    }
}

impl NnFloat for f32 {
    const NAME: &'static str = "f32";
    const BYTES: usize = 4;
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn read_le(bytes: &[u8]) -> Self {
        f32::from_le_bytes(bytes.try_into().expect("slice of Self::BYTES bytes"))
    }
    fn of_f64(x: f64) -> Self {
        x as f32
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
}

/// A value and its tangent, both of shape `S` (e.g. the outputs of
/// [`Mlp::forward_with_tangent`], `(batch, outputs)`).
pub type TangentPair<S, E, T> = (Tensor<S, E, Cpu, T>, Tensor<S, E, Cpu, T>);

/// Element-wise non-linearity between layers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `x` for `x > 0`, `slope · x` otherwise.
    LeakyRelu(f64),
    /// `tanh x`.
    Tanh,
    /// `x · σ(x)` (also called swish).
    Silu,
    /// No non-linearity.
    Identity,
}

impl Activation {
    /// Apply to a tensor of any shape, recording on its tape.
    pub fn apply<S: Shape, E: NnFloat, T: Tape<E, Cpu>>(
        self,
        x: Tensor<S, E, Cpu, T>,
    ) -> Tensor<S, E, Cpu, T>
    where
        Cpu: Device<E>,
    {
        match self {
            Activation::Relu => x.relu(),
            Activation::LeakyRelu(a) => x.prelu(E::of_f64(a)),
            Activation::Tanh => x.tanh(),
            Activation::Silu => {
                let s = x.with_empty_tape().sigmoid();
                x * s
            }
            Activation::Identity => x,
        }
    }

    /// Apply to pre-activations `a` and push a tangent `ȧ` through: returns `(σ(a), σ'(a) ⊙ ȧ)`,
    /// both recorded on the tapes (for ReLU-type activations the 0/1 slope mask is a constant).
    pub fn apply_with_tangent<S: Shape, E: NnFloat, T>(
        self,
        a: Tensor<S, E, Cpu, T>,
        a_dot: Tensor<S, E, Cpu, T>,
    ) -> TangentPair<S, E, T>
    where
        Cpu: Device<E>,
        T: Tape<E, Cpu> + Merge<T> + Merge<NoneTape> + Default,
    {
        match self {
            Activation::Relu | Activation::LeakyRelu(_) => {
                let slope = if let Activation::LeakyRelu(s) = self {
                    s
                } else {
                    0.0
                };
                let vals = a.retaped::<NoneTape>();
                let mask_vals: Vec<E> = vals
                    .as_vec()
                    .into_iter()
                    .map(|v| E::of_f64(if v.as_f64() > 0.0 { 1.0 } else { slope }))
                    .collect();
                let mut mask = vals.clone();
                mask.copy_from(&mask_vals);
                (self.apply(a), a_dot * mask)
            }
            Activation::Tanh => {
                let y = a.tanh();
                let d = y.with_empty_tape().square().negate() + E::one();
                (y, a_dot * d)
            }
            Activation::Silu => {
                let s = a.with_empty_tape().sigmoid();
                let one_minus_s = s.with_empty_tape().negate() + E::one();
                let d = s.with_empty_tape() * (a.with_empty_tape() * one_minus_s + E::one());
                (a * s, a_dot * d)
            }
            Activation::Identity => (a, a_dot),
        }
    }

    /// Apply to one `f64` (the reference used by tests and the plain-loop baseline).
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu(a) => {
                if x > 0.0 {
                    x
                } else {
                    a * x
                }
            }
            Activation::Tanh => x.tanh(),
            Activation::Silu => x / (1.0 + (-x).exp()),
            Activation::Identity => x,
        }
    }

    /// Gain used by the initialisation: √2 for the ReLU family, 1 otherwise.
    fn gain(self) -> f64 {
        match self {
            Activation::Relu | Activation::Silu => 2f64.sqrt(),
            Activation::LeakyRelu(a) => (2.0 / (1.0 + a * a)).sqrt(),
            Activation::Tanh | Activation::Identity => 1.0,
        }
    }
}

/// Architecture of an [`Mlp`]: layer widths (inputs first, outputs last) and activations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    /// Widths `[inputs, hidden…, outputs]`; at least two entries, none zero.
    pub widths: Vec<usize>,
    /// Activation after every hidden layer.
    pub hidden: Activation,
    /// Activation after the output layer (usually [`Activation::Identity`]).
    pub output: Activation,
}

impl MlpSpec {
    /// A spec with the given widths, `hidden` activation and a linear output.
    pub fn new(widths: &[usize], hidden: Activation) -> Self {
        MlpSpec {
            widths: widths.to_vec(),
            hidden,
            output: Activation::Identity,
        }
    }

    /// Check widths and activation parameters.
    pub fn validate(&self) -> Result<(), NnError> {
        if self.widths.len() < 2 {
            return Err(NnError::Dimension(DimensionMismatch {
                what: "number of layer widths (inputs and outputs at least)",
                expected: 2,
                got: self.widths.len(),
            }));
        }
        if let Some(layer) = self.widths.iter().position(|&w| w == 0) {
            return Err(NnError::EmptyLayer { layer });
        }
        for a in [self.hidden, self.output] {
            if let Activation::LeakyRelu(s) = a {
                if !s.is_finite() {
                    return Err(NnError::BadHyperParameter {
                        name: "leaky ReLU slope",
                        value: s,
                    });
                }
            }
        }
        Ok(())
    }

    /// Number of weights and biases.
    pub fn num_params(&self) -> usize {
        // Saturating: the widths may come from a file (an absurd spec then fails the size check).
        self.widths
            .windows(2)
            .map(|w| w[0].saturating_mul(w[1]).saturating_add(w[1]))
            .fold(0, usize::saturating_add)
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.widths[0]
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        *self.widths.last().expect("validated spec")
    }
}

/// A multilayer perceptron `y = a_out(W_L · … a(W_1 x + b_1) … + b_L)` on dfdx tensors.
///
/// Layer `l` stores its weight as an `(in, out)` matrix, so a batch `x` of shape `(batch, in)`
/// maps to `x · W + b`. Parameters are also exposed as one flat vector (layer by layer, weight
/// row-major then bias), which is what the optimizers and weight files use.
#[derive(Clone, Debug)]
pub struct Mlp<E: NnFloat = f64>
where
    Cpu: Device<E>,
{
    spec: MlpSpec,
    dev: Cpu,
    weights: Vec<Tensor<(usize, usize), E, Cpu>>,
    biases: Vec<Tensor<(usize,), E, Cpu>>,
}

impl<E: NnFloat> Mlp<E>
where
    Cpu: Device<E>,
{
    /// A network with seeded initialisation: weights uniform in `±gain·√(3/fan_in)` (He/LeCun
    /// variance `gain²/fan_in`), biases uniform in `±1/√fan_in`. The numbers are a pure function
    /// of `seed` (drawn from [`crate::stochastic::rng`]).
    pub fn new(spec: MlpSpec, seed: u64) -> Result<Self, NnError> {
        spec.validate()?;
        let n_layers = spec.widths.len() - 1;
        let mut flat = Vec::with_capacity(spec.num_params());
        for (l, w) in spec.widths.windows(2).enumerate() {
            let (fan_in, fan_out) = (w[0], w[1]);
            let act = if l + 1 == n_layers {
                spec.output
            } else {
                spec.hidden
            };
            let a = act.gain() * (3.0 / fan_in as f64).sqrt();
            for k in 0..fan_in * fan_out {
                flat.push(a * (2.0 * counter_uniform(seed, l as u64, k as u64, 0) - 1.0));
            }
            let ab = 1.0 / (fan_in as f64).sqrt();
            for k in 0..fan_out {
                flat.push(ab * (2.0 * counter_uniform(seed, l as u64, k as u64, 1) - 1.0));
            }
        }
        let mut net = Mlp::zeros(spec)?;
        net.set_params_f64(&flat)?;
        Ok(net)
    }

    /// A network with every parameter zero (to be filled by [`Mlp::set_params_f64`]).
    pub fn zeros(spec: MlpSpec) -> Result<Self, NnError> {
        spec.validate()?;
        let dev = Cpu::default();
        let weights = spec
            .widths
            .windows(2)
            .map(|w| dev.zeros_like(&(w[0], w[1])))
            .collect();
        let biases = spec.widths[1..]
            .iter()
            .map(|&w| dev.zeros_like(&(w,)))
            .collect();
        Ok(Mlp {
            spec,
            dev,
            weights,
            biases,
        })
    }

    /// The architecture.
    pub fn spec(&self) -> &MlpSpec {
        &self.spec
    }

    /// The dfdx device the tensors live on.
    pub fn device(&self) -> &Cpu {
        &self.dev
    }

    /// Number of parameters.
    pub fn num_params(&self) -> usize {
        self.spec.num_params()
    }

    /// Number of layers (weight matrices).
    pub fn num_layers(&self) -> usize {
        self.weights.len()
    }

    /// Weight matrix of layer `l`, shape `(in, out)`.
    pub fn weight(&self, l: usize) -> &Tensor<(usize, usize), E, Cpu> {
        &self.weights[l]
    }

    /// Bias of layer `l`.
    pub fn bias(&self, l: usize) -> &Tensor<(usize,), E, Cpu> {
        &self.biases[l]
    }

    /// All parameters as one flat vector (layer by layer: weight row-major, then bias).
    pub fn params(&self) -> Vec<E> {
        let mut out = Vec::with_capacity(self.num_params());
        for (w, b) in self.weights.iter().zip(&self.biases) {
            out.extend(w.as_vec());
            out.extend(b.as_vec());
        }
        out
    }

    /// [`Mlp::params`] converted to `f64`.
    pub fn params_f64(&self) -> Vec<f64> {
        self.params().into_iter().map(NnFloat::as_f64).collect()
    }

    /// Replace all parameters from a flat vector in the order of [`Mlp::params`].
    pub fn set_params(&mut self, p: &[E]) -> Result<(), NnError> {
        check_len("number of network parameters", self.num_params(), p.len())?;
        let mut at = 0;
        for (l, w) in self.spec.widths.windows(2).enumerate() {
            let (i, o) = (w[0], w[1]);
            self.weights[l] = self.dev.tensor_from_vec(p[at..at + i * o].to_vec(), (i, o));
            at += i * o;
            self.biases[l] = self.dev.tensor_from_vec(p[at..at + o].to_vec(), (o,));
            at += o;
        }
        Ok(())
    }

    /// [`Mlp::set_params`] from `f64` values.
    pub fn set_params_f64(&mut self, p: &[f64]) -> Result<(), NnError> {
        let v: Vec<E> = p.iter().map(|&x| E::of_f64(x)).collect();
        self.set_params(&v)
    }

    /// Forward pass of a batch `(batch, inputs)` on any dfdx tape: with a `NoneTape` input it
    /// records nothing; with an `OwnedTape` input (e.g. from `leaky_trace`) it records the
    /// operations on the input's tape and the parameters' gradients appear in the
    /// `Gradients` after `backward()` (read them with [`Mlp::param_gradients`]).
    pub fn forward_tensor<T: Tape<E, Cpu>>(
        &self,
        x: Tensor<(usize, usize), E, Cpu, T>,
    ) -> Result<Tensor<(usize, usize), E, Cpu, T>, NnError> {
        check_len("network input width", self.spec.inputs(), x.shape().1)?;
        let n = self.weights.len();
        let mut h = x;
        for l in 0..n {
            let z = h.matmul(self.weights[l].retaped::<T>());
            let shape = *z.shape();
            let b = self.biases[l]
                .retaped::<T>()
                .broadcast_like::<_, Axis<0>>(&shape);
            let z = z + b;
            let act = if l + 1 == n {
                self.spec.output
            } else {
                self.spec.hidden
            };
            h = act.apply(z);
        }
        Ok(h)
    }

    /// Forward pass with a tangent (forward-mode directional derivative written as tensor ops):
    /// for inputs `x` and a direction `ẋ` (both `(batch, inputs)`) returns `(f(x), J_f(x)·ẋ)`
    /// via `ȧ_l = ḣ_{l−1}·W_l`, `ḣ_l = σ'(a_l) ⊙ ȧ_l`. Everything is recorded on the tapes, so a
    /// loss of the tangent (e.g. a score-matching term ‖∂f/∂θ − t‖²) can be differentiated
    /// w.r.t. the weights by an ordinary backward pass (reverse-over-forward second order).
    /// The primal output's tape holds the recorded primal operations the tangent depends on,
    /// so a loss must consume both outputs (add `y.sum() * 0.0` if it only uses `ẏ`).
    pub fn forward_with_tangent<T>(
        &self,
        x: Tensor<(usize, usize), E, Cpu, T>,
        x_dot: Tensor<(usize, usize), E, Cpu, T>,
    ) -> Result<TangentPair<(usize, usize), E, T>, NnError>
    where
        T: Tape<E, Cpu> + Merge<T> + Merge<NoneTape> + Default,
    {
        check_len("network input width", self.spec.inputs(), x.shape().1)?;
        check_len("tangent rows", x.shape().0, x_dot.shape().0)?;
        check_len("tangent width", x.shape().1, x_dot.shape().1)?;
        let n = self.weights.len();
        let (mut h, mut h_dot) = (x, x_dot);
        for l in 0..n {
            let z = h.matmul(self.weights[l].retaped::<T>());
            let shape = *z.shape();
            let b = self.biases[l]
                .retaped::<T>()
                .broadcast_like::<_, Axis<0>>(&shape);
            let z_dot = h_dot.matmul(self.weights[l].retaped::<T>());
            let act = if l + 1 == n {
                self.spec.output
            } else {
                self.spec.hidden
            };
            (h, h_dot) = act.apply_with_tangent(z + b, z_dot);
        }
        Ok((h, h_dot))
    }

    /// Forward pass of a batch given as rows of `f64` values (`x.len() = batch · inputs`);
    /// returns `batch · outputs` values, row-major.
    pub fn forward(&self, x: &[f64]) -> Result<Vec<f64>, NnError> {
        let batch = self.batch_of(x)?;
        let xt = self.dev.tensor_from_vec(
            x.iter().map(|&v| E::of_f64(v)).collect(),
            (batch, self.spec.inputs()),
        );
        let y = self.forward_tensor(xt)?;
        Ok(y.as_vec().into_iter().map(NnFloat::as_f64).collect())
    }

    /// Number of rows in a flat batch, checking that it is a whole number of input rows.
    pub(crate) fn batch_of(&self, x: &[f64]) -> Result<usize, NnError> {
        let d = self.spec.inputs();
        if x.is_empty() || !x.len().is_multiple_of(d) {
            return Err(NnError::Dimension(DimensionMismatch {
                what: "flat batch length (a positive multiple of the input width)",
                expected: d * (x.len() / d).max(1),
                got: x.len(),
            }));
        }
        Ok(x.len() / d)
    }

    /// Gradients of all parameters (flat, in the order of [`Mlp::params`]) after a backward
    /// pass through [`Mlp::forward_tensor`] on a leaky `OwnedTape`.
    pub fn param_gradients(&self, grads: &Gradients<E, Cpu>) -> Vec<E> {
        let mut out = Vec::with_capacity(self.num_params());
        for (w, b) in self.weights.iter().zip(&self.biases) {
            out.extend(grads.get(w).as_vec());
            out.extend(grads.get(b).as_vec());
        }
        out
    }

    /// Value and gradient (w.r.t. all parameters, in `f64`) of a loss of the network's outputs:
    /// `loss` receives the traced output `(batch, outputs)` and returns a scalar tensor.
    pub fn value_and_grad<L>(&self, x: &[f64], loss: L) -> Result<(f64, Vec<f64>), NnError>
    where
        L: FnOnce(
            Tensor<(usize, usize), E, Cpu, OwnedTape<E, Cpu>>,
        ) -> Tensor<Rank0, E, Cpu, OwnedTape<E, Cpu>>,
    {
        let batch = self.batch_of(x)?;
        let xt: Tensor<(usize, usize), E, Cpu> = self.dev.tensor_from_vec(
            x.iter().map(|&v| E::of_f64(v)).collect(),
            (batch, self.spec.inputs()),
        );
        let y = self.forward_tensor(xt.leaky_trace())?;
        let l = loss(y);
        let value = l.array().as_f64();
        let grads = l.backward();
        let g = self
            .param_gradients(&grads)
            .into_iter()
            .map(NnFloat::as_f64)
            .collect();
        Ok((value, g))
    }

    /// Mean squared error `mean((f(x) − y)²)` over a batch and its parameter gradient.
    pub fn mse_and_grad(&self, x: &[f64], y: &[f64]) -> Result<(f64, Vec<f64>), NnError> {
        let batch = self.batch_of(x)?;
        let m = self.spec.outputs();
        check_len("number of regression targets", batch * m, y.len())?;
        let target: Tensor<(usize, usize), E, Cpu> = self
            .dev
            .tensor_from_vec(y.iter().map(|&v| E::of_f64(v)).collect(), (batch, m));
        self.value_and_grad(x, |out| (out - target).square().mean())
    }
}

#[cfg(test)]
mod tangent_tests {
    use super::*;
    use crate::gradcheck::ridders;

    fn rows(n: usize, seed: u64) -> Vec<f64> {
        (0..n)
            .map(|i| 2.0 * counter_uniform(seed, 9, i as u64, 0) - 1.0)
            .collect()
    }

    /// Assert that `ad` equals the derivative at 0 of `f` (Ridders' extrapolation, tolerance
    /// ten times its error estimate).
    fn assert_matches_ridders(ad: f64, f: impl FnMut(f64) -> f64, h0: f64, what: &str) {
        let (fd, err) = ridders(f, 0.0, h0);
        assert!((ad - fd).abs() < 1e-7 + 10.0 * err, "{what}: {ad} vs {fd}");
    }

    /// `Σ ẏ²` and its parameter gradient through `forward_with_tangent`.
    fn tangent_loss(net: &Mlp<f64>, x: &[f64], xd: &[f64]) -> (f64, Vec<f64>) {
        let b = x.len() / 3;
        let xt: Tensor<(usize, usize), f64, Cpu> = net.device().tensor_from_vec(x.to_vec(), (b, 3));
        let xdt: Tensor<(usize, usize), f64, Cpu> =
            net.device().tensor_from_vec(xd.to_vec(), (b, 3));
        let (y, yd) = net
            .forward_with_tangent(xt.leaky_trace(), xdt.leaky_trace())
            .unwrap();
        // The output bias does not enter ẏ; the zero-weighted y term gives it a (zero) gradient.
        let l = yd.square().sum() + y.sum() * 0.0;
        let v = l.array();
        let g = l.backward();
        (v, net.param_gradients(&g))
    }

    #[test]
    fn tangent_and_its_weight_gradient_match_finite_differences() {
        for act in [
            Activation::Tanh,
            Activation::Silu,
            Activation::Relu,
            Activation::LeakyRelu(0.1),
        ] {
            let net = Mlp::<f64>::new(MlpSpec::new(&[3, 8, 8, 2], act), 4).unwrap();
            let x = rows(12, 1);
            let xd = rows(12, 2);
            let xt: Tensor<(usize, usize), f64, Cpu> =
                net.device().tensor_from_vec(x.clone(), (4, 3));
            let xdt: Tensor<(usize, usize), f64, Cpu> =
                net.device().tensor_from_vec(xd.clone(), (4, 3));
            let (y, yd) = net.forward_with_tangent(xt, xdt).unwrap();
            assert_eq!(y.as_vec(), net.forward(&x).unwrap());
            let yd = yd.as_vec();
            for k in 0..yd.len() {
                let f = |h: f64| {
                    let xs: Vec<f64> = x.iter().zip(&xd).map(|(a, b)| a + h * b).collect();
                    net.forward(&xs).unwrap()[k]
                };
                assert_matches_ridders(yd[k], f, 1e-3, &format!("{act:?} tangent {k}"));
            }
            if matches!(act, Activation::Tanh | Activation::Silu) {
                let (_, g) = tangent_loss(&net, &x, &xd);
                let p0 = net.params_f64();
                for k in (0..p0.len()).step_by(7) {
                    let f = |h: f64| {
                        let mut p = p0.clone();
                        p[k] += h;
                        let mut n2 = net.clone();
                        n2.set_params_f64(&p).unwrap();
                        tangent_loss(&n2, &x, &xd).0
                    };
                    assert_matches_ridders(g[k], f, 1e-2, &format!("{act:?} weight {k}"));
                }
            }
        }
    }
}
