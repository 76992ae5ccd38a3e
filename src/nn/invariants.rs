//! Demo: learning relativistic invariants. A small MLP regresses the transverse momentum and the
//! invariant mass of two-muon systems from the muons' raw four-vectors `(E, px, py, pz)`; the
//! figure of merit is the Pearson correlation of prediction and truth on a held-out test set.

use crate::error::{check_finite, DimensionMismatch};
use serde::{Deserialize, Serialize};

use super::error::NnError;
use super::{Activation, Adam, AdamConfig, Mlp, MlpSpec};
use crate::stochastic::rng::counter_uniform;

const MUON_MASS: f64 = 0.105_658_375_5;

/// Settings of [`invariants_demo`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvariantsConfig {
    /// Hidden-layer widths of each network to train (one run per entry).
    pub architectures: Vec<Vec<usize>>,
    /// Training events.
    pub train: usize,
    /// Test events.
    pub test: usize,
    /// Full-batch Adam steps.
    pub epochs: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of the events and the initialisation.
    pub seed: u64,
}

impl Default for InvariantsConfig {
    fn default() -> Self {
        InvariantsConfig {
            architectures: vec![vec![10], vec![20], vec![20, 20]],
            train: 4000,
            test: 2000,
            epochs: 3000,
            lr: 3e-3,
            seed: 1,
        }
    }
}

/// One trained network of [`invariants_demo`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvariantsRun {
    /// Hidden-layer widths (LeakyReLU, slope 0.01).
    pub hidden: Vec<usize>,
    /// Number of parameters.
    pub params: usize,
    /// Pearson correlation of predicted and true pair pT on the test set.
    pub pearson_pt: f64,
    /// Pearson correlation of predicted and true pair mass on the test set.
    pub pearson_mass: f64,
    /// The same two correlations before training (the untrained network).
    pub pearson_untrained: [f64; 2],
    /// Final training loss (MSE on standardised targets).
    pub train_mse: f64,
}

/// Pearson correlation coefficient of two equally long samples (NaN if either is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> Result<f64, NnError> {
    super::error::check_len("second sample of the correlation", a.len(), b.len())?;
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    Ok(sab / (saa * sbb).sqrt())
}

/// Two muons with pT ∈ [5, 50] GeV, |η| < 2.5, uniform φ: returns the 8 raw components
/// `(E, px, py, pz)` of both and the pair's `(pT, m)`.
pub fn muon_pair(seed: u64, event: u64) -> ([f64; 8], [f64; 2]) {
    let mut raw = [0.0; 8];
    for mu in 0..2 {
        let u = |k: u64| counter_uniform(seed, event, 3 * mu + k, 7);
        let pt = 5.0 + 45.0 * u(0);
        let eta = -2.5 + 5.0 * u(1);
        let phi = std::f64::consts::TAU * u(2);
        let (px, py, pz) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh());
        let e = (px * px + py * py + pz * pz + MUON_MASS * MUON_MASS).sqrt();
        raw[4 * mu as usize..4 * mu as usize + 4].copy_from_slice(&[e, px, py, pz]);
    }
    let (e, px, py, pz) = (
        raw[0] + raw[4],
        raw[1] + raw[5],
        raw[2] + raw[6],
        raw[3] + raw[7],
    );
    let pt = px.hypot(py);
    let m = (e * e - px * px - py * py - pz * pz).max(0.0).sqrt();
    (raw, [pt, m])
}

fn sample(seed: u64, from: u64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (Vec::with_capacity(8 * n), Vec::with_capacity(2 * n));
    for i in 0..n as u64 {
        let (r, t) = muon_pair(seed, from + i);
        x.extend(r);
        y.extend(t);
    }
    (x, y)
}

/// Column means and standard deviations of a flat row-major table of width `d`.
fn moments(v: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (v.len() / d) as f64;
    let mut m = vec![0.0; d];
    let mut s = vec![0.0; d];
    v.chunks_exact(d)
        .for_each(|r| r.iter().enumerate().for_each(|(j, x)| m[j] += x / n));
    v.chunks_exact(d).for_each(|r| {
        r.iter()
            .enumerate()
            .for_each(|(j, x)| s[j] += (x - m[j]).powi(2) / n)
    });
    (m, s.into_iter().map(f64::sqrt).collect())
}

fn standardise(v: &[f64], m: &[f64], s: &[f64]) -> Vec<f64> {
    let d = m.len();
    v.iter()
        .enumerate()
        .map(|(i, x)| (x - m[i % d]) / s[i % d])
        .collect()
}

fn correlations(net: &Mlp<f64>, x: &[f64], y: &[f64]) -> Result<[f64; 2], NnError> {
    let p = net.forward(x)?;
    let col = |v: &[f64], c: usize| v.iter().skip(c).step_by(2).copied().collect::<Vec<_>>();
    Ok([
        pearson(&col(&p, 0), &col(y, 0))?,
        pearson(&col(&p, 1), &col(y, 1))?,
    ])
}

/// The table of [`invariants_demo`] runs (architecture, parameters, Pearson correlations) that
/// `diffhep invariants` and the example print.
pub struct InvariantsTable<'a>(pub &'a [InvariantsRun]);

impl std::fmt::Display for InvariantsTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<12} {:>7} {:>10} {:>10}",
            "hidden", "params", "r(pT)", "r(mass)"
        )?;
        for r in self.0 {
            write!(
                f,
                "\n{:<12} {:>7} {:>10.4} {:>10.4}",
                format!("{:?}", r.hidden),
                r.params,
                r.pearson_pt,
                r.pearson_mass
            )?;
        }
        Ok(())
    }
}

/// Train one network per architecture and report test-set correlations.
///
/// Every setting (event counts, learning rate, each architecture) is checked before any event
/// is sampled; a training loss or correlation that comes out NaN or infinite (a diverging
/// learning rate, a constant prediction) is [`NnError::NotRepresentable`] naming it.
pub fn invariants_demo(cfg: &InvariantsConfig) -> Result<Vec<InvariantsRun>, NnError> {
    if cfg.train < 2 || cfg.test < 2 {
        return Err(NnError::Dimension(DimensionMismatch {
            what: "training and test events (at least 2 each)",
            expected: 2,
            got: cfg.train.min(cfg.test),
        }));
    }
    AdamConfig::with_lr(cfg.lr).validate()?;
    let specs: Vec<MlpSpec> = cfg
        .architectures
        .iter()
        .map(|hidden| {
            let mut widths = vec![8];
            widths.extend(hidden);
            widths.push(2);
            let spec = MlpSpec::new(&widths, Activation::LeakyRelu(0.01));
            spec.validate().map(|()| spec)
        })
        .collect::<Result<_, _>>()?;
    let (xtr, ytr) = sample(cfg.seed, 0, cfg.train);
    let (xte, yte) = sample(cfg.seed, cfg.train as u64, cfg.test);
    let (xm, xs) = moments(&xtr, 8);
    let (ym, ys) = moments(&ytr, 2);
    let (xtr, xte) = (standardise(&xtr, &xm, &xs), standardise(&xte, &xm, &xs));
    let ytr = standardise(&ytr, &ym, &ys);
    let mut runs = Vec::new();
    for (k, (hidden, spec)) in cfg.architectures.iter().zip(specs).enumerate() {
        let mut net = Mlp::<f64>::new(spec, cfg.seed.wrapping_add(k as u64))?;
        let untrained = correlations(&net, &xte, &yte)?;
        let mut opt = Adam::new(net.num_params(), AdamConfig::with_lr(cfg.lr))?;
        let mut p = net.params_f64();
        let mut mse = f64::NAN;
        for _ in 0..cfg.epochs {
            let (l, g) = net.mse_and_grad(&xtr, &ytr)?;
            mse = l;
            opt.step(&mut p, &g)?;
            net.set_params_f64(&p)?;
        }
        if cfg.epochs == 0 {
            mse = net.mse_and_grad(&xtr, &ytr)?.0;
        }
        let [pt, m] = correlations(&net, &xte, &yte)?;
        let name = format!("{hidden:?}");
        check_finite(format_args!("the training MSE of network {name}"), mse)?;
        check_finite(format_args!("the pT correlation of network {name}"), pt)?;
        check_finite(format_args!("the mass correlation of network {name}"), m)?;
        for (what, r) in ["pT", "mass"].iter().zip(untrained) {
            check_finite(
                format_args!("the untrained {what} correlation of network {name}"),
                r,
            )?;
        }
        runs.push(InvariantsRun {
            hidden: hidden.clone(),
            params: net.num_params(),
            pearson_pt: pt,
            pearson_mass: m,
            pearson_untrained: untrained,
            train_mse: mse,
        });
    }
    Ok(runs)
}
