//! Training the three SBI estimators (NPE, NLE, NRE) on simulations at one design, for the EIG
//! estimators of this module.

use super::error::Result;
use super::simulator::{simulate_design_set, DesignSimulator};
use crate::flows::Transform;
use crate::nn::Activation;
use crate::sbi::estimator::Estimator;
use crate::sbi::flow_estimators::{FlowEstimatorConfig, NleEstimator, NpeEstimator};
use crate::sbi::ratio::{RatioConfig, RatioEstimator};
use crate::sbi::train::TrainConfig;

/// Simulation budget and architectures of [`train_estimators`].
#[derive(Clone, Debug, PartialEq)]
pub struct EigTrainConfig {
    /// Prior-predictive simulations at the design (shared by the three estimators).
    pub sims: usize,
    /// Seed of the simulations.
    pub seed: u64,
    /// The NPE flow `q(θ|x)`.
    pub npe: FlowEstimatorConfig,
    /// The NLE flow `q(x|θ)`.
    pub nle: FlowEstimatorConfig,
    /// The NRE classifier.
    pub nre: RatioConfig,
}

impl Default for EigTrainConfig {
    /// 4000 simulations; affine flows (4 layers, conditioners [32, 32] with SiLU, so that `log q`
    /// is smooth in x for the design gradients; at most 300 epochs, patience 20); NRE
    /// classifier [64, 64] with 4 negatives, at most 300 epochs.
    fn default() -> Self {
        let mut flow = FlowEstimatorConfig::spline();
        flow.transform = Transform::Affine;
        flow.layers = 4;
        flow.hidden = vec![32, 32];
        flow.fit.epochs = 300;
        flow.activation = Activation::Silu;
        let nre = RatioConfig {
            train: TrainConfig {
                epochs: 300,
                batch_size: 100,
                ..TrainConfig::default()
            },
            ..RatioConfig::default()
        };
        EigTrainConfig {
            sims: 4000,
            seed: 0,
            npe: flow.clone(),
            nle: flow,
            nre,
        }
    }
}

/// NPE, NLE and NRE trained on the same simulations at one design.
#[derive(Clone, Debug)]
pub struct TrainedEstimators {
    /// `q(θ|x)`.
    pub npe: NpeEstimator,
    /// `q(x|θ)`.
    pub nle: NleEstimator,
    /// `s(θ, x) ≈ log p(x|θ)/p(x)`.
    pub nre: RatioEstimator,
}

/// Simulate `cfg.sims` prior-predictive pairs at `design` ([`simulate_design_set`]) and train the
/// three estimators on them.
pub fn train_estimators<D: DesignSimulator + ?Sized>(
    sim: &D,
    design: &[f64],
    cfg: &EigTrainConfig,
) -> Result<TrainedEstimators> {
    let set = simulate_design_set(sim, design, cfg.sims, cfg.seed)?;
    let (prior, dx) = (sim.prior(), sim.x_dim());
    let (npe, _) = NpeEstimator::fit(&set, prior, dx, &cfg.npe)?;
    let (nle, _) = NleEstimator::fit(&set, prior, dx, &cfg.nle)?;
    let (nre, _) = RatioEstimator::fit(&set, prior, dx, &cfg.nre)?;
    Ok(TrainedEstimators { npe, nle, nre })
}
