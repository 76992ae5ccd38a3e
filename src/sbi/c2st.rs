//! Classifier two-sample test (C2ST; Lopez-Paz & Oquab, ICLR 2017), following the recipe of
//! sbibm (Lueckmann et al., AISTATS 2021): an MLP with two hidden layers of `10·dim` ReLU units
//! trained with Adam (learning rate 10⁻³, minibatches of 200, stopping when the training loss has
//! not improved by 10⁻⁴ for 10 epochs, like scikit-learn's `MLPClassifier`) to tell reference
//! samples from estimated ones, inputs z-scored with the reference samples' mean and standard
//! deviation, scored by the mean held-out accuracy of 5-fold cross-validation. 0.5 means the
//! classifier cannot tell the samples apart; 1.0 means they are disjoint.

use crate::error::DimensionMismatch;
use rayon::prelude::*;

use super::error::{Result, SbiError};
use super::network::{bce_loss_grad, with_params, Standardizer};
use super::prior::permutation;
use super::train::{train, TrainConfig};
use crate::nn::{Activation, Mlp, MlpSpec};

/// Settings of [`c2st`].
#[derive(Clone, Debug, PartialEq)]
pub struct C2stConfig {
    /// Number of cross-validation folds.
    pub folds: usize,
    /// Maximum training epochs per fold (10 000, sbibm's `max_iter`; the stopping rule on the
    /// training loss usually ends training after a few hundred).
    pub max_epochs: usize,
    /// Seed of the fold split, initialisation and minibatch order.
    pub seed: u64,
}

impl Default for C2stConfig {
    fn default() -> Self {
        C2stConfig {
            folds: 5,
            max_epochs: 10_000,
            seed: 1,
        }
    }
}

/// Result of [`c2st`].
#[derive(Clone, Debug, PartialEq)]
pub struct C2stResult {
    /// Mean held-out accuracy over the folds.
    pub accuracy: f64,
    /// Held-out accuracy of each fold.
    pub fold_accuracies: Vec<f64>,
    /// Binomial standard error of the accuracy, `√(a(1−a)/n)` over all `n` held-out points.
    pub standard_error: f64,
}

/// C2ST between `reference` and `estimate` (flat rows of dimension `dim`).
pub fn c2st(
    reference: &[f64],
    estimate: &[f64],
    dim: usize,
    cfg: &C2stConfig,
) -> Result<C2stResult> {
    let z = Standardizer::fit(reference, dim)?;
    if estimate.is_empty() || !estimate.len().is_multiple_of(dim) {
        return Err(DimensionMismatch {
            what: "estimated samples (a positive multiple of the dimension)",
            expected: dim,
            got: estimate.len(),
        }
        .into());
    }
    if cfg.folds < 2 {
        return Err(SbiError::Config(format!(
            "C2ST needs ≥ 2 folds, got {}",
            cfg.folds
        )));
    }
    if estimate.iter().any(|v| !v.is_finite()) {
        return Err(SbiError::NonFinite("C2ST: estimated samples"));
    }
    let mut x = z.apply(reference);
    x.extend(z.apply(estimate));
    let n_ref = reference.len() / dim;
    let n = x.len() / dim;
    let y: Vec<f64> = (0..n).map(|i| if i < n_ref { 0.0 } else { 1.0 }).collect();
    let perm = permutation(n, cfg.seed);
    let spec = MlpSpec::new(&[dim, 10 * dim, 10 * dim, 1], Activation::Relu);
    let fold_acc: Vec<f64> = (0..cfg.folds)
        .into_par_iter()
        .map(|f| -> Result<f64> {
            let lo = f * n / cfg.folds;
            let hi = (f + 1) * n / cfg.folds;
            let test = &perm[lo..hi];
            let tr: Vec<usize> = perm[..lo].iter().chain(&perm[hi..]).copied().collect();
            let template = Mlp::<f64>::new(spec.clone(), cfg.seed.wrapping_add(f as u64))?;
            let gather = |rows: &[usize]| {
                let xs: Vec<f64> = rows
                    .iter()
                    .flat_map(|&i| x[i * dim..(i + 1) * dim].iter().copied())
                    .collect();
                let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
                (xs, ys)
            };
            let loss = |p: &[f64], rows: &[usize]| {
                let idx: Vec<usize> = rows.iter().map(|&r| tr[r]).collect();
                let (xs, ys) = gather(&idx);
                bce_loss_grad(&template, p, &xs, &ys)
            };
            let tc = TrainConfig {
                epochs: cfg.max_epochs,
                batch_size: 200,
                lr: 1e-3,
                validation_fraction: 0.0,
                patience: 10,
                tol: 1e-4,
                clip_norm: None,
                seed: cfg.seed ^ (0xc257 + f as u64),
            };
            let (p, _) = train(template.params_f64(), tr.len(), &tc, &loss)?;
            let net = with_params(&template, &p)?;
            let (xs, ys) = gather(test);
            let logits = net.forward(&xs)?;
            let correct = logits
                .iter()
                .zip(&ys)
                .filter(|(l, y)| (**l > 0.0) == (**y > 0.5))
                .count();
            Ok(correct as f64 / test.len() as f64)
        })
        .collect::<Result<Vec<f64>>>()?;
    let accuracy = fold_acc.iter().sum::<f64>() / fold_acc.len() as f64;
    Ok(C2stResult {
        accuracy,
        standard_error: (accuracy * (1.0 - accuracy) / n as f64).sqrt(),
        fold_accuracies: fold_acc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbi::prior::std_normal;

    fn gauss(n: usize, shift: f64, seed: u64) -> Vec<f64> {
        (0..2 * n)
            .map(|i| std_normal(seed, 0, i as u64) + if i % 2 == 0 { shift } else { 0.0 })
            .collect()
    }

    #[test]
    fn same_distribution_near_half_disjoint_near_one() {
        // Identical distributions: the accuracy of a classifier that cannot beat chance has mean
        // 0.5 and binomial standard error √(0.25/n); over-fitting can only lower the held-out
        // accuracy, so allow 4 standard errors above and a generous margin below.
        let n = 1000;
        let cfg = C2stConfig {
            max_epochs: 30,
            ..C2stConfig::default()
        };
        let r = c2st(&gauss(n, 0.0, 1), &gauss(n, 0.0, 2), 2, &cfg).unwrap();
        let se = (0.25 / (2 * n) as f64).sqrt();
        assert!(r.accuracy < 0.5 + 4.0 * se && r.accuracy > 0.44, "{r:?}");
        let d = c2st(&gauss(n, 0.0, 1), &gauss(n, 20.0, 2), 2, &cfg).unwrap();
        assert!(d.accuracy > 0.99, "{d:?}");
        // Bayes accuracy for N(0,1) vs N(1,1) in one coordinate is Φ(1/2) = 0.691.
        let m = c2st(&gauss(n, 0.0, 1), &gauss(n, 1.0, 2), 2, &cfg).unwrap();
        assert!((m.accuracy - 0.691).abs() < 0.04, "{m:?}");
        assert!(c2st(&gauss(n, 0.0, 1), &[f64::NAN, 0.0], 2, &cfg).is_err());
        assert!(c2st(&gauss(n, 0.0, 1), &[0.0; 3], 2, &cfg).is_err());
    }
}
