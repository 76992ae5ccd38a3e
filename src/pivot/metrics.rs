//! What a pivot run is judged by: the area under the ROC curve, the two-sample
//! Kolmogorov–Smirnov distance between score distributions at different nuisance values, and
//! sample means with their standard errors.

use super::error::{PivotError, Result};

/// Area under the ROC curve of `scores` for labels `y ∈ {0, 1}`: the Mann–Whitney probability
/// `P(s₁ > s₀) + ½ P(s₁ = s₀)` for a random signal (`y = 1`) and background (`y = 0`) event.
pub fn auc(scores: &[f64], y: &[f64]) -> Result<f64> {
    crate::error::check_len("AUC: labels (one per score)", scores.len(), y.len())?;
    if scores.iter().any(|s| !s.is_finite()) {
        return Err(PivotError::Data("AUC: a score is not finite".into()));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (tie-averaged, 1-based) ranks of the signal events.
    let (mut rank_sum, mut n1) = (0.0, 0usize);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y[k] == 1.0 {
                rank_sum += mid_rank;
                n1 += 1;
            }
        }
        i = j + 1;
    }
    let n0 = scores.len() - n1;
    if n1 == 0 || n0 == 0 {
        return Err(PivotError::Data("AUC: needs events of both classes".into()));
    }
    Ok((rank_sum - (n1 * (n1 + 1)) as f64 / 2.0) / (n1 as f64 * n0 as f64))
}

/// Two-sample Kolmogorov–Smirnov distance `sup_t |F_a(t) − F_b(t)|` of the empirical
/// distribution functions.
pub fn ks_distance(a: &[f64], b: &[f64]) -> Result<f64> {
    if a.is_empty() || b.is_empty() {
        return Err(PivotError::Data("KS distance: empty sample".into()));
    }
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return Err(PivotError::Data(
            "KS distance: a value is not finite".into(),
        ));
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        // Step past every value equal to the smaller head in both samples, then compare.
        let t = a[i].min(b[j]);
        while i < a.len() && a[i] == t {
            i += 1;
        }
        while j < b.len() && b[j] == t {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    Ok(d)
}

/// Mean of a sample and its standard error `sd/√n` (sample standard deviation; 0 for `n = 1`).
pub fn mean_and_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// How much the distribution of the classifier's output changes with the nuisance: scores of
/// samples generated at fixed nuisance values `z₁, z₂, …` (the paper's figure 2 shows
/// `z = −σ, 0, +σ`), compared pairwise by their Kolmogorov–Smirnov distance.
#[derive(Clone, Debug, PartialEq)]
pub struct Independence {
    /// The nuisance values.
    pub z: Vec<f64>,
    /// Mean score at each value.
    pub mean_score: Vec<f64>,
    /// Standard error of each mean.
    pub mean_score_se: Vec<f64>,
    /// Median score at each value.
    pub median_score: Vec<f64>,
    /// KS distance of every pair `(i, j)`, `i < j`.
    pub ks: Vec<(usize, usize, f64)>,
    /// The largest pairwise KS distance.
    pub ks_max: f64,
    /// The KS distance that two samples of these sizes from one distribution exceed with
    /// probability 5 % (asymptotic: `1.358·√((nᵢ + nⱼ)/(nᵢ nⱼ))`, for the smallest pair).
    pub ks_critical_95: f64,
}

impl Independence {
    /// Compare score samples `(zₖ, scoresₖ)` (at least two, none empty).
    pub fn new(samples: &[(f64, Vec<f64>)]) -> Result<Self> {
        if samples.len() < 2 {
            return Err(PivotError::Data(
                "independence: needs samples at two nuisance values at least".into(),
            ));
        }
        let mut ks = Vec::new();
        let mut ks_critical_95 = 0.0f64;
        for i in 0..samples.len() {
            for j in i + 1..samples.len() {
                let (a, b) = (&samples[i].1, &samples[j].1);
                ks.push((i, j, ks_distance(a, b)?));
                let (na, nb) = (a.len() as f64, b.len() as f64);
                ks_critical_95 = ks_critical_95.max(1.358 * ((na + nb) / (na * nb)).sqrt());
            }
        }
        let mut mean_score = Vec::new();
        let mut mean_score_se = Vec::new();
        let mut median_score = Vec::new();
        for (_, s) in samples {
            let (m, se) = mean_and_se(s);
            mean_score.push(m);
            mean_score_se.push(se);
            let mut v = s.clone();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            median_score.push(if n % 2 == 1 {
                v[n / 2]
            } else {
                0.5 * (v[n / 2 - 1] + v[n / 2])
            });
        }
        Ok(Independence {
            z: samples.iter().map(|(z, _)| *z).collect(),
            mean_score,
            mean_score_se,
            median_score,
            ks_max: ks.iter().map(|p| p.2).fold(0.0, f64::max),
            ks,
            ks_critical_95,
        })
    }
}
