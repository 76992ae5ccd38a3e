//! End-to-end optimisation of a summary statistic for the expected CLs of the analysis that uses
//! it — the neos demonstration (N. Simpson, L. Heinrich, "neos: End-to-End-Optimised Summary
//! Statistics for High Energy Physics", J. Phys. Conf. Ser. 2438 (2023) 012105, arXiv:2203.05570)
//! rebuilt on diffhep's pieces:
//!
//! 1. a network `f: ℝ² → ℝ` ([`crate::nn::Mlp`]) maps each event to `p = σ(f(x))`;
//! 2. the events of four samples (signal, background nominal, background up and down
//!    variations) are histogrammed softly in `p` ([`crate::analysis::soft_histogram`], logistic kernel of
//!    bandwidth `h`), and scaled to expected yields;
//! 3. the histograms form a HistFactory model ([`crate::analysis::histfactory`]): a `normfactor` μ on the
//!    signal, a `histosys` on the background from the up/down histograms (pyhf's
//!    `correlated_background`);
//! 4. the loss is the expected CLs at μ = 1 on the background-only Asimov data, with its exact
//!    derivative w.r.t. every histogram bin ([`crate::analysis::histfactory::asimov_cls_gradient`]:
//!    implicit derivatives of the fits, no unrolled optimiser);
//! 5. the chain rule runs back through the soft histogram (a dual number per event) and the
//!    network (one vector–Jacobian product on dfdx's tape), and Adam takes a step.
//!
//! The toy is neos's blobs: two-dimensional unit Gaussians, signal at (−1, 1), background at
//! (1, −1), its up and down variations at (2.5, 2) and (−2.5, −1.5).

use dfdx::prelude::*;
use num_dual::Dual64;

use crate::analysis::histfactory::{asimov_cls_gradient, HistFactoryError, Model, Workspace};
use crate::analysis::{soft_histogram, AnalysisError};
use crate::nn::{Activation, Adam, AdamConfig, Mlp, MlpSpec, NnError};
use crate::sbi::prior::std_normal;
use crate::scalar::sigmoid;

/// Why the demonstration cannot run.
#[derive(Debug, thiserror::Error)]
pub enum NeosError {
    /// A configuration value out of range (named).
    #[error("neos config {field}: {message}")]
    Config {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The network failed.
    #[error("network")]
    Network(#[from] NnError),
    /// The soft histogram refused its input.
    #[error("soft histogram")]
    Histogram(#[from] AnalysisError),
    /// The statistical model or its fits failed.
    #[error("HistFactory")]
    Model(#[from] HistFactoryError),
}

/// Settings of the demonstration (defaults: [`NeosConfig::default`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NeosConfig {
    /// Simulated events per sample (signal, background and its two variations).
    pub events: usize,
    /// Hidden-layer widths of the network.
    pub hidden: Vec<usize>,
    /// Number of equal-width bins of `p` in [0, 1].
    pub bins: usize,
    /// Bandwidth of the soft histogram (in units of `p`).
    pub bandwidth: f64,
    /// Expected signal events (the signal histogram is scaled to this total).
    pub signal_yield: f64,
    /// Expected background events (the three background histograms are scaled by the same
    /// factor, this total over the nominal sample's events).
    pub background_yield: f64,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Training epochs (one full-batch step each).
    pub epochs: usize,
    /// The tested signal strength.
    pub mu: f64,
    /// Seed of the events and of the network's initialisation.
    pub seed: u64,
}

impl Default for NeosConfig {
    fn default() -> Self {
        NeosConfig {
            events: 500,
            hidden: vec![32, 32],
            bins: 4,
            bandwidth: 0.05,
            signal_yield: 10.0,
            background_yield: 50.0,
            learning_rate: 1e-2,
            epochs: 10,
            mu: 1.0,
            seed: 2024,
        }
    }
}

impl NeosConfig {
    fn validate(&self) -> Result<(), NeosError> {
        let bad = |field, message: String| Err(NeosError::Config { field, message });
        if self.events == 0 {
            return bad("events", "must be at least 1".into());
        }
        if self.bins < 2 {
            return bad("bins", format!("{}: need at least 2", self.bins));
        }
        for (field, v) in [
            ("bandwidth", self.bandwidth),
            ("signal_yield", self.signal_yield),
            ("background_yield", self.background_yield),
            ("learning_rate", self.learning_rate),
            ("mu", self.mu),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(field, format!("{v}: must be positive and finite"));
            }
        }
        Ok(())
    }
}

/// The samples, in the order of the histograms.
const CENTRES: [[f64; 2]; 4] = [[-1.0, 1.0], [1.0, -1.0], [2.5, 2.0], [-2.5, -1.5]];

/// One training epoch's record.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// Epoch number (0 = the initial network).
    pub epoch: usize,
    /// Expected CLs at μ before this epoch's step.
    pub cls: f64,
    /// Wall time of the epoch (s).
    pub seconds: f64,
}

/// The toy problem: the events and the statistical model's layout.
pub struct NeosToy {
    config: NeosConfig,
    /// Rows `(x₁, x₂)` of the four samples, flat.
    events: [Vec<f64>; 4],
    model: Model,
    /// For each template entry, (sample, bin).
    layout: Vec<(usize, usize)>,
}

impl NeosToy {
    /// Draw the events (seeded) and build the model.
    pub fn new(config: NeosConfig) -> Result<Self, NeosError> {
        config.validate()?;
        let events = std::array::from_fn(|k| {
            (0..config.events)
                .flat_map(|i| {
                    let c = CENTRES[k];
                    (0..2)
                        .map(move |d| c[d] + std_normal(config.seed, k as u64, (2 * i + d) as u64))
                })
                .collect()
        });
        let flat = vec![1.0; config.bins];
        let spec = serde_json::json!({
            "channels": [{"name": "neos", "samples": [
                {"name": "signal", "data": flat,
                 "modifiers": [{"name": "mu", "type": "normfactor", "data": null}]},
                {"name": "background", "data": flat,
                 "modifiers": [{"name": "shape", "type": "histosys",
                                "data": {"hi_data": flat, "lo_data": flat}}]}]}],
            "observations": [{"name": "neos", "data": flat}],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
            "version": "1.0.0"
        });
        let model = Model::new(&Workspace::from_json(&spec.to_string())?, None)?;
        let layout = model
            .template_labels()
            .iter()
            .map(|label| {
                let sample = if label.starts_with("neos/signal/") {
                    0
                } else if label.contains("/shape/hi") {
                    2
                } else if label.contains("/shape/lo") {
                    3
                } else {
                    1
                };
                let bin = label
                    .rsplit('[')
                    .next()
                    .and_then(|b| b.trim_end_matches(']').parse().ok())
                    .expect("template labels end in [bin]");
                (sample, bin)
            })
            .collect();
        Ok(NeosToy {
            config,
            events,
            model,
            layout,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &NeosConfig {
        &self.config
    }

    /// A freshly initialised network (seeded).
    pub fn network(&self) -> Result<Mlp, NeosError> {
        let mut widths = vec![2];
        widths.extend(&self.config.hidden);
        widths.push(1);
        Ok(Mlp::new(
            MlpSpec::new(&widths, Activation::Relu),
            self.config.seed ^ 0x5eed,
        )?)
    }

    fn edges(&self) -> Vec<f64> {
        let b = self.config.bins;
        let mut e: Vec<f64> = (0..=b).map(|i| i as f64 / b as f64).collect();
        e[0] = f64::NEG_INFINITY;
        e[b] = f64::INFINITY;
        e
    }

    /// Expected yields per bin of the four samples, scaled.
    fn scale(&self, k: usize) -> f64 {
        let total = if k == 0 {
            self.config.signal_yield
        } else {
            self.config.background_yield
        };
        total / self.config.events as f64
    }

    /// The soft histograms (scaled yields) of the four samples for `net`.
    pub fn histograms(&self, net: &Mlp) -> Result<[Vec<f64>; 4], NeosError> {
        let mut out: [Vec<f64>; 4] = Default::default();
        for (k, x) in self.events.iter().enumerate() {
            let p: Vec<f64> = net.forward(x)?.iter().map(|o| sigmoid(*o)).collect();
            let h = soft_histogram(&p, None, &self.edges(), self.config.bandwidth)?;
            out[k] = h.bins.iter().map(|v| v * self.scale(k)).collect();
        }
        Ok(out)
    }

    /// The expected CLs of the analysis built on `net` and its gradient w.r.t. the network's
    /// parameters (flat, [`Mlp::params`] order).
    pub fn cls_and_grad(&self, net: &Mlp) -> Result<(f64, Vec<f64>), NeosError> {
        let hists = self.histograms(net)?;
        let templates: Vec<f64> = self.layout.iter().map(|&(k, b)| hists[k][b]).collect();
        let model = self.model.with_templates(&templates)?;
        let (result, dcls) = asimov_cls_gradient(&model, self.config.mu)?;
        // Cotangent of each sample's bins.
        let mut cot = [(); 4].map(|_| vec![0.0; self.config.bins]);
        for (&(k, b), d) in self.layout.iter().zip(&dcls) {
            cot[k][b] += d * self.scale(k);
        }
        let edges = self.edges();
        let mut grad = vec![0.0; net.num_params()];
        for (k, x) in self.events.iter().enumerate() {
            let out = net.forward(x)?;
            // ∂CLs/∂f(x_e): through the event's own kernel contributions and the sigmoid.
            let mut coeff = Vec::with_capacity(out.len());
            for o in &out {
                let p = sigmoid(*o);
                let h = soft_histogram(
                    &[Dual64::from(p).derivative()],
                    None,
                    &edges,
                    self.config.bandwidth,
                )?;
                let dp: f64 = h.bins.iter().zip(&cot[k]).map(|(v, c)| v.eps * c).sum();
                coeff.push(dp * p * (1.0 - p));
            }
            let rows = coeff.len();
            let c: Tensor<(usize, usize), f64, Cpu> =
                net.device().tensor_from_vec(coeff, (rows, 1));
            let (_, g) = net.value_and_grad(x, move |y| (y * c).sum())?;
            for (a, b) in grad.iter_mut().zip(&g) {
                *a += b;
            }
        }
        Ok((result.cls, grad))
    }

    /// Train a fresh network for the configured epochs (full batch, Adam); `progress` sees each
    /// epoch's record. Returns the records (the last one is the trained network's CLs, with the
    /// time of its evaluation) and the network.
    pub fn train(&self, mut progress: impl FnMut(&Epoch)) -> Result<(Vec<Epoch>, Mlp), NeosError> {
        let mut net = self.network()?;
        let mut adam = Adam::new(
            net.num_params(),
            AdamConfig::with_lr(self.config.learning_rate),
        )?;
        let mut params = net.params_f64();
        let mut records = Vec::with_capacity(self.config.epochs + 1);
        for epoch in 0..=self.config.epochs {
            let start = std::time::Instant::now();
            let (cls, grad) = self.cls_and_grad(&net)?;
            if epoch < self.config.epochs {
                adam.step(&mut params, &grad)?;
                net.set_params_f64(&params)?;
            }
            let record = Epoch {
                epoch,
                cls,
                seconds: start.elapsed().as_secs_f64(),
            };
            progress(&record);
            records.push(record);
        }
        Ok((records, net))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> NeosConfig {
        NeosConfig {
            events: 60,
            hidden: vec![4],
            bins: 3,
            bandwidth: 0.1,
            epochs: 6,
            learning_rate: 0.05,
            ..NeosConfig::default()
        }
    }

    #[test]
    fn cls_gradient_wrt_network_parameters_matches_finite_differences() {
        let toy = NeosToy::new(small()).unwrap();
        let mut net = toy.network().unwrap();
        let (cls, grad) = toy.cls_and_grad(&net).unwrap();
        assert!(cls > 0.0 && cls < 1.0, "{cls}");
        let p0 = net.params_f64();
        let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for i in 0..p0.len() {
            let h = 1e-5;
            let mut at = |d: f64| {
                let mut p = p0.clone();
                p[i] += d;
                net.set_params_f64(&p).unwrap();
                toy.cls_and_grad(&net).unwrap().0
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            // Central differences: O(h²) truncation and ~1e-15/h rounding, far below 1e-6 of
            // the gradient's scale; the ReLU kinks are not crossed at this step for these
            // events (a crossing would show as a disagreement here).
            assert!(
                (fd - grad[i]).abs() < 1e-6 * scale,
                "parameter {i}: {} vs finite differences {fd}",
                grad[i]
            );
        }
    }

    #[test]
    fn training_lowers_the_expected_cls_and_is_deterministic() {
        let toy = NeosToy::new(small()).unwrap();
        let (a, _) = toy.train(|_| {}).unwrap();
        let (b, _) = toy.train(|_| {}).unwrap();
        let cls = |r: &[Epoch]| r.iter().map(|e| e.cls).collect::<Vec<_>>();
        assert_eq!(cls(&a), cls(&b));
        let (first, last) = (a[0].cls, a.last().unwrap().cls);
        assert!(last < 0.5 * first, "CLs {first} → {last}");
    }

    #[test]
    fn bad_settings_are_errors_naming_the_field() {
        for (cfg, field) in [
            (
                NeosConfig {
                    events: 0,
                    ..small()
                },
                "events",
            ),
            (NeosConfig { bins: 1, ..small() }, "bins"),
            (
                NeosConfig {
                    bandwidth: 0.0,
                    ..small()
                },
                "bandwidth",
            ),
            (
                NeosConfig {
                    mu: f64::NAN,
                    ..small()
                },
                "mu",
            ),
        ] {
            let e = NeosToy::new(cfg).err().unwrap();
            assert!(e.to_string().contains(field), "{e}");
        }
    }
}
