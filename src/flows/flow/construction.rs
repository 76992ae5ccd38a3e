//! Building a flow: seeded coupling partitions, conditioner architectures and the near-identity
//! initialisation.

use super::{Flow, Layer};
use crate::flows::elementwise::{Elementwise, MAX_BINS};
use crate::flows::spec::{FlowError, FlowSpec, Transform};
use crate::nn::{Mlp, MlpSpec};
use crate::stochastic::rng::counter_uniform;

/// Random stream used for the coordinate permutations.
const PERM_STREAM: u64 = 0xF10E_9E53;

/// Scale applied to the seeded initialisation of each conditioner's last layer, so a new flow
/// starts close to the identity (its base distribution).
const LAST_LAYER_INIT: f64 = 1e-2;

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
}

/// Conditioner architecture of a layer with `na` conditioning and `nb` transformed coordinates.
pub(super) fn net_spec(spec: &FlowSpec, elem: &Elementwise, na: usize, nb: usize) -> MlpSpec {
    let mut widths = vec![(na + spec.context_dim).max(1)];
    widths.extend(&spec.hidden);
    widths.push(nb * elem.n_params());
    MlpSpec::new(&widths, spec.activation)
}

/// Conditioning / transformed coordinate sets per layer: alternating halves of a seeded
/// permutation (re-drawn every second layer), so each coordinate is transformed at least every
/// two layers.
pub(super) fn partitions(dim: usize, layers: usize, seed: u64) -> Vec<(Vec<usize>, Vec<usize>)> {
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
