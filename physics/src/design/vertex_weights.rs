//! Demo: a per-track weight network trained through the implicit vertex fit.
//!
//! A small MLP maps each track's features (transverse and longitudinal impact-parameter
//! significances, log momentum) to a weight `w = σ(out)`; the weighted vertex fit
//! ([`crate::detector::vertex::fit_on_tape`]) turns the weights into a vertex whose implicit
//! derivatives enter the tape, and the loss `|v − v_true|²` (true decay vertex) is minimised over
//! the network's parameters with Adam. Gradients cross from the tape into dfdx through
//! [`diffhep::nn::bridge::mlp_into_tape`].

use diffhep::error::{check_finite, DimensionMismatch, NotRepresentable};
use diffhep::implicit::ImplicitOptions;
use diffhep::nn::bridge::mlp_into_tape;
use diffhep::nn::{Activation, Adam, AdamConfig, Mlp, MlpSpec, NnError};
use diffhep::tape::Var;
use diffhep::Scalar;
use serde::{Deserialize, Serialize};

use crate::detector::toy::{ToyConfig, ToyGenerator, ToyJet};
use crate::detector::tracks::{Track, D0, QOP, Z0};
use crate::detector::vertex::fit_on_tape;
use crate::detector::vertex::{fit, FitConfig, VertexError};
use diffhep::scalar::sigmoid;

/// Errors of the demo: a vertex fit or the network.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WeightNetError {
    /// A vertex fit failed; the [`VertexError`] is the source (the message shows it with
    /// `{:?}`, as it always has).
    #[error("vertex fit: {0:?}")]
    Vertex(#[from] VertexError),
    /// The network rejected its input; the [`NnError`] is the source.
    #[error("network: {0}")]
    Nn(#[from] NnError),
    /// A resolution or training loss is NaN or overflowed (e.g. every held-out fit failed, or
    /// the training diverged); printed as the [`NotRepresentable`] itself.
    #[error(transparent)]
    NotRepresentable(#[from] NotRepresentable),
}

/// Number of features per track.
pub const FEATURES: usize = 3;

/// Features of each track, `FEATURES` per track: `d0/σ(d0)`, `(z0 − median z0)/σ(z0)` and
/// `ln p` — prompt tracks point back to the beam line, decay tracks do not.
pub fn track_features(tracks: &[Track<f64>]) -> Vec<f64> {
    let mut z: Vec<f64> = tracks.iter().map(|t| t.params[Z0]).collect();
    z.sort_by(|a, b| a.total_cmp(b));
    let zmed = z[z.len() / 2];
    tracks
        .iter()
        .flat_map(|t| {
            [
                t.params[D0] / t.cov[D0][D0].sqrt(),
                (t.params[Z0] - zmed) / t.cov[Z0][Z0].sqrt(),
                (1.0 / t.params[QOP].abs()).ln(),
            ]
        })
        .collect()
}

/// Weights the network gives the tracks of one jet.
pub fn track_weights(net: &Mlp<f64>, tracks: &[Track<f64>]) -> Result<Vec<f64>, NnError> {
    Ok(net
        .forward(&track_features(tracks))?
        .into_iter()
        .map(sigmoid)
        .collect())
}

/// Squared distance of the weighted fit from the true decay vertex, in `f64`.
pub fn jet_loss(net: &Mlp<f64>, jet: &ToyJet, cfg: &FitConfig) -> Result<f64, WeightNetError> {
    let w = track_weights(net, &jet.tracks)?;
    let v = fit(&jet.tracks, &w, cfg)?.position;
    Ok((0..3).map(|k| (v[k] - jet.secondary[k]).powi(2)).sum())
}

/// [`jet_loss`] and its gradient with respect to every network parameter: network (dfdx) →
/// weights → implicit vertex fit (tape) → loss.
pub fn jet_loss_and_grad(
    net: &Mlp<f64>,
    jet: &ToyJet,
    cfg: &FitConfig,
) -> Result<(f64, Vec<f64>), WeightNetError> {
    let tracks: Vec<Track<Var>> = jet
        .tracks
        .iter()
        .map(|t| Track {
            params: t.params.map(Var::constant),
            cov: t.cov.map(|r| r.map(Var::constant)),
            model: t.model,
        })
        .collect();
    mlp_into_tape(net, &track_features(&jet.tracks), |tape, out| {
        let w: Vec<Var> = out.iter().map(|&o| 1.0 / ((-o).exp() + 1.0)).collect();
        let v = fit_on_tape(tape, &tracks, &w, cfg, &ImplicitOptions::default())?;
        let d: Vec<Var> = (0..3).map(|k| v.position[k] - jet.secondary[k]).collect();
        Ok::<_, WeightNetError>(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    })
}

/// Settings of [`train_weight_net`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightNetConfig {
    /// Training jets.
    pub train_jets: usize,
    /// Held-out jets.
    pub test_jets: usize,
    /// Passes over the training jets (one Adam step per pass, gradient averaged over jets).
    pub epochs: usize,
    /// Hidden width of the network (one tanh layer).
    pub hidden: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of the jets and the initialisation.
    pub seed: u64,
}

impl Default for WeightNetConfig {
    fn default() -> Self {
        WeightNetConfig {
            train_jets: 300,
            test_jets: 300,
            epochs: 60,
            hidden: 16,
            lr: 0.05,
            seed: 1,
        }
    }
}

/// Vertex resolution on a set of jets: distance of the fit from the true decay vertex.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// Median distance (mm).
    pub median_mm: f64,
    /// Root-mean-square distance (mm).
    pub rms_mm: f64,
    /// Fits that failed (left out).
    pub failed: usize,
}

/// Result of [`train_weight_net`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightNetReport {
    /// The settings.
    pub config: WeightNetConfig,
    /// Held-out resolution with every weight 1.
    pub unit_weights: Resolution,
    /// Held-out resolution with only the true decay tracks (the oracle).
    pub truth_tracks: Resolution,
    /// Held-out resolution with the untrained network's weights.
    pub before: Resolution,
    /// Held-out resolution after training.
    pub after: Resolution,
    /// Mean training loss (mm²) per epoch.
    pub train_loss: Vec<f64>,
}

fn resolution(
    jets: &[ToyJet],
    weights: impl Fn(&ToyJet) -> Vec<f64>,
    cfg: &FitConfig,
) -> Resolution {
    let mut d = Vec::with_capacity(jets.len());
    let mut failed = 0;
    for j in jets {
        match fit(&j.tracks, &weights(j), cfg) {
            Ok(f) => d.push(
                (0..3)
                    .map(|k| (f.position[k] - j.secondary[k]).powi(2))
                    .sum::<f64>()
                    .sqrt(),
            ),
            Err(_) => failed += 1,
        }
    }
    d.sort_by(|a, b| a.total_cmp(b));
    let n = d.len().max(1) as f64;
    Resolution {
        median_mm: d.get(d.len() / 2).copied().unwrap_or(f64::NAN),
        rms_mm: (d.iter().map(|x| x * x).sum::<f64>() / n).sqrt(),
        failed,
    }
}

/// Train the weight network on toy jets and report held-out resolutions before and after.
pub fn train_weight_net(cfg: &WeightNetConfig) -> Result<WeightNetReport, WeightNetError> {
    if cfg.train_jets == 0 || cfg.test_jets == 0 {
        return Err(NnError::from(DimensionMismatch {
            what: "training and held-out jets (at least one each)",
            expected: 1,
            got: 0,
        })
        .into());
    }
    // The settings the network and the optimiser would reject, before any jet is generated.
    let spec = MlpSpec::new(&[FEATURES, cfg.hidden, 1], Activation::Tanh);
    spec.validate()?;
    AdamConfig::with_lr(cfg.lr).validate()?;
    let fcfg = FitConfig::default();
    let mut gen = ToyGenerator::new(ToyConfig::default(), cfg.seed);
    let train = gen.jets(cfg.train_jets);
    let test = gen.jets(cfg.test_jets);
    let mut net = Mlp::<f64>::new(spec, cfg.seed)?;
    let unit_weights = resolution(&test, |j| vec![1.0; j.tracks.len()], &fcfg);
    let truth_tracks = resolution(
        &test,
        |j| {
            j.from_secondary
                .iter()
                .map(|&s| if s { 1.0 } else { 0.0 })
                .collect()
        },
        &fcfg,
    );
    let weights_of = |net: &Mlp<f64>| {
        let net = net.clone();
        move |j: &ToyJet| track_weights(&net, &j.tracks).expect("features have the network's width")
    };
    let before = resolution(&test, weights_of(&net), &fcfg);
    let mut opt = Adam::new(net.num_params(), AdamConfig::with_lr(cfg.lr))?;
    let mut p = net.params_f64();
    let mut train_loss = Vec::with_capacity(cfg.epochs);
    for _ in 0..cfg.epochs {
        let mut g = vec![0.0; p.len()];
        let (mut loss, mut used) = (0.0, 0usize);
        for j in &train {
            // A jet whose fit fails under the current weights contributes nothing this epoch.
            if let Ok((l, gj)) = jet_loss_and_grad(&net, j, &fcfg) {
                loss += l;
                used += 1;
                g.iter_mut().zip(&gj).for_each(|(a, b)| *a += b);
            }
        }
        let n = used.max(1) as f64;
        g.iter_mut().for_each(|a| *a /= n);
        train_loss.push(loss / n);
        opt.step(&mut p, &g)?;
        net.set_params_f64(&p)?;
    }
    let after = resolution(&test, weights_of(&net), &fcfg);
    for (what, r) in [
        ("all tracks, weight 1", &unit_weights),
        ("true decay tracks only", &truth_tracks),
        ("network before training", &before),
        ("network after training", &after),
    ] {
        check_finite(
            format_args!(
                "the median held-out distance ({what}; {} fits failed)",
                r.failed
            ),
            r.median_mm,
        )?;
        check_finite(format_args!("the RMS held-out distance ({what})"), r.rms_mm)?;
    }
    for (epoch, l) in train_loss.iter().enumerate() {
        check_finite(format_args!("the training loss of epoch {epoch}"), *l)?;
    }
    Ok(WeightNetReport {
        config: cfg.clone(),
        unit_weights,
        truth_tracks,
        before,
        after,
        train_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffhep::gradcheck::ridders;

    #[test]
    fn jet_loss_gradient_through_the_fit_matches_finite_differences() {
        let mut gen = ToyGenerator::new(ToyConfig::default(), 11);
        let jet = gen.jet();
        let net = Mlp::<f64>::new(MlpSpec::new(&[FEATURES, 4, 1], Activation::Tanh), 5).unwrap();
        let cfg = FitConfig::default();
        let (l, g) = jet_loss_and_grad(&net, &jet, &cfg).unwrap();
        assert!((l - jet_loss(&net, &jet, &cfg).unwrap()).abs() <= 1e-12 * l.max(1.0));
        let p0 = net.params_f64();
        for i in 0..p0.len() {
            let mut probe = net.clone();
            let (fd, err) = ridders(
                |t| {
                    let mut p = p0.clone();
                    p[i] = t;
                    probe.set_params_f64(&p).unwrap();
                    jet_loss(&probe, &jet, &cfg).unwrap()
                },
                p0[i],
                1e-2,
            );
            let tol = 1e-8 + 1e-6 * fd.abs().max(g[i].abs()) + 10.0 * err;
            assert!((g[i] - fd).abs() <= tol, "param {i}: {} vs {fd}", g[i]);
        }
    }

    #[test]
    fn training_improves_held_out_resolution_and_is_reproducible() {
        let cfg = WeightNetConfig {
            train_jets: 40,
            test_jets: 60,
            epochs: 15,
            hidden: 8,
            lr: 0.1,
            seed: 3,
        };
        let r = train_weight_net(&cfg).unwrap();
        assert_eq!(r.train_loss.len(), 15);
        assert!(r.train_loss[14] < r.train_loss[0], "{:?}", r.train_loss);
        assert!(r.after.median_mm < r.before.median_mm, "{r:?}");
        assert_eq!(train_weight_net(&cfg).unwrap(), r);
        let bad = WeightNetConfig {
            train_jets: 0,
            ..cfg
        };
        assert!(train_weight_net(&bad).is_err());
    }

    #[test]
    fn error_messages_are_unchanged_and_keep_their_sources() {
        use std::error::Error as _;
        let vertex = VertexError::TooFewTracks { usable: 1 };
        let e = WeightNetError::from(vertex.clone());
        assert_eq!(e.to_string(), "vertex fit: TooFewTracks { usable: 1 }");
        assert_eq!(
            e.source().unwrap().downcast_ref::<VertexError>(),
            Some(&vertex)
        );
        let bad = WeightNetConfig {
            train_jets: 0,
            ..WeightNetConfig::default()
        };
        let e = train_weight_net(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "network: training and held-out jets (at least one each): expected 1, got 0"
        );
        assert_eq!(
            e.source().unwrap().downcast_ref::<NnError>(),
            Some(&NnError::Dimension(DimensionMismatch {
                what: "training and held-out jets (at least one each)",
                expected: 1,
                got: 0,
            }))
        );
    }
}
