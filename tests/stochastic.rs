//! Stochastic AD and the baseline estimators against exact derivatives of expectations.
//!
//! Every tolerance is `4σ̂`, σ̂ the estimator's own standard error. Exact expectations are sums
//! over the pmfs of statrs (an independent implementation) or closed forms; their derivatives are
//! taken by Ridders' extrapolated finite differences of those exact (smooth) sums.

use diffhep::gradcheck::ridders;
use diffhep::stochastic::{
    derivative_estimate, plain_run, EstimatorKind, FiniteDifferences, GradientEstimator,
    GumbelSoftmax, Result, Sampler, ScoreFunction, StochasticError, StochasticProgram,
    StochasticTriples, StraightThrough,
};
use diffhep::RealScalar;
use statrs::distribution::{Binomial, Discrete, Poisson};

/// The three test functions f(x) of the reference: 7x − 3, (x + 1)², √(x + 1).
fn fs<S: RealScalar>(x: S) -> Vec<S> {
    vec![
        x.clone() * 7.0 - 3.0,
        (x.clone() + 1.0).powi(2),
        (x + 1.0).sqrt(),
    ]
}

fn f64s(x: f64) -> [f64; 3] {
    [7.0 * x - 3.0, (x + 1.0).powi(2), (x + 1.0).sqrt()]
}

#[derive(Clone, Copy, Debug)]
enum Dist {
    Bernoulli,
    Binomial6,
    Geometric,
    /// Poisson(3p).
    Poisson3,
    /// Categorical [p/2, 1 − p, p/2] (both jump directions occur).
    Categorical,
}

const ALL: [Dist; 5] = [
    Dist::Bernoulli,
    Dist::Binomial6,
    Dist::Geometric,
    Dist::Poisson3,
    Dist::Categorical,
];

impl Dist {
    /// P(X = x) at parameter p (statrs where it has the distribution).
    fn pmf(self, x: u64, p: f64) -> f64 {
        match self {
            Dist::Bernoulli => [1.0 - p, p].get(x as usize).copied().unwrap_or(0.0),
            Dist::Binomial6 => Binomial::new(p, 6).unwrap().pmf(x),
            Dist::Geometric => (1.0 - p).powi(x as i32) * p,
            Dist::Poisson3 => Poisson::new(3.0 * p).unwrap().pmf(x),
            Dist::Categorical => [p / 2.0, 1.0 - p, p / 2.0]
                .get(x as usize)
                .copied()
                .unwrap_or(0.0),
        }
    }

    /// Exact E[f_i(X)] by summing the pmf (tails below 1e-16 dropped).
    fn exact_mean(self, p: f64, i: usize) -> f64 {
        (0..200u64)
            .map(|x| self.pmf(x, p) * f64s(x as f64)[i])
            .sum()
    }
}

/// One draw from `Dist` at θ = p, outputs the three f(x).
struct OneDraw(Dist);

impl StochasticProgram for OneDraw {
    fn num_params(&self) -> usize {
        1
    }
    fn num_outputs(&self) -> usize {
        3
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let p = theta[0].clone();
        let x = match self.0 {
            Dist::Bernoulli => rng.bernoulli(&p)?,
            Dist::Binomial6 => rng.binomial(&S::from_f64(6.0), &p)?,
            Dist::Geometric => rng.geometric(&p)?,
            Dist::Poisson3 => rng.poisson(&(p * 3.0))?,
            Dist::Categorical => {
                let half = p.clone() * 0.5;
                rng.categorical(&[half.clone(), p.rsub(1.0), half])?
            }
        };
        Ok(fs(x))
    }
}

fn assert_within(what: &str, est: f64, se: f64, exact: f64) {
    assert!(se >= 0.0 && se.is_finite(), "{what}: standard error {se}");
    // A zero-variance estimate (e.g. the triple for a linear f of a Poisson draw, w·Δ = const)
    // must be exact up to rounding.
    assert!(
        (est - exact).abs() < 4.0 * se + 1e-10 * exact.abs().max(1.0),
        "{what}: estimate {est} ± {se}, exact {exact} ({:.1}σ)",
        (est - exact) / se
    );
}

#[test]
fn every_distribution_unbiased_for_three_functions() {
    for dist in ALL {
        for &p in &[0.3, 0.65] {
            let exact: Vec<f64> = (0..3)
                .map(|i| ridders(|q| dist.exact_mean(q, i), p, 0.05).0)
                .collect();
            let tr = StochasticTriples
                .estimate(&OneDraw(dist), &[p], 4000, 17)
                .unwrap();
            let sc = ScoreFunction::default()
                .estimate(&OneDraw(dist), &[p], 4000, 18)
                .unwrap();
            for (i, &exact_i) in exact.iter().enumerate() {
                let what = format!("{dist:?} p={p} f{i}");
                assert_within(
                    &format!("triple {what}"),
                    tr.gradient[i][0],
                    tr.gradient_se[i][0],
                    exact_i,
                );
                assert_within(
                    &format!("score {what}"),
                    sc.gradient[i][0],
                    sc.gradient_se[i][0],
                    exact_i,
                );
                assert_within(
                    &format!("mean {what}"),
                    tr.value[i],
                    tr.value_se[i],
                    dist.exact_mean(p, i),
                );
            }
        }
    }
}

/// Binomial(Binomial(10, p), p) = Binomial(10, p²): d E/dp = 20p (stochastic-ad.md).
struct NestedBinomial;

impl StochasticProgram for NestedBinomial {
    fn num_params(&self) -> usize {
        1
    }
    fn num_outputs(&self) -> usize {
        1
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let n = rng.binomial(&S::from_f64(10.0), &theta[0])?;
        Ok(vec![rng.binomial(&n, &theta[0])?])
    }
}

#[test]
fn nested_binomial_derivative_is_20p() {
    for &p in &[0.3, 0.6] {
        let est = StochasticTriples
            .estimate(&NestedBinomial, &[p], 4000, 5)
            .unwrap();
        assert_within(
            "nested binomial",
            est.gradient[0][0],
            est.gradient_se[0][0],
            20.0 * p,
        );
    }
}

#[test]
fn branch_free_propagation_equals_rerun() {
    // Without branches the re-run alternative path gives exactly the propagated Δ.
    for sample in 0..300 {
        let d = derivative_estimate(&NestedBinomial, &[0.45], &[1.0], 9, sample).unwrap();
        assert!(
            (d.derivative[0] - d.propagated[0]).abs() <= 1e-12 * d.derivative[0].abs().max(1.0),
            "sample {sample}: {d:?}"
        );
    }
}

/// `if hit { n ~ Binomial(4, p); Σ_{i<n} Bernoulli(p) } else { 2 }`:
/// E[Y] = 4p³ + 2(1 − p), dE/dp = 12p² − 2.
struct Branching;

impl StochasticProgram for Branching {
    fn num_params(&self) -> usize {
        1
    }
    fn num_outputs(&self) -> usize {
        1
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let p = &theta[0];
        if rng.bernoulli(p)?.value() > 0.5 {
            let n = rng.binomial(&S::from_f64(4.0), p)?.value().round() as usize;
            let mut y = S::zero();
            for _ in 0..n {
                y += rng.bernoulli(p)?;
            }
            Ok(vec![y])
        } else {
            Ok(vec![S::from_f64(2.0)])
        }
    }
}

#[test]
fn branching_program_matches_exact_derivative() {
    let n = 6000;
    for p in [0.3, 0.7] {
        let exact = 12.0 * p * p - 2.0;
        let est = StochasticTriples.estimate(&Branching, &[p], n, 21).unwrap();
        assert_within(
            "branching (triple)",
            est.gradient[0][0],
            est.gradient_se[0][0],
            exact,
        );
        let sc = ScoreFunction::default()
            .estimate(&Branching, &[p], n, 22)
            .unwrap();
        assert_within(
            "branching (score)",
            sc.gradient[0][0],
            sc.gradient_se[0][0],
            exact,
        );
        let value = 4.0 * p * p * p + 2.0 * (1.0 - p);
        assert_within("branching mean", est.value[0], est.value_se[0], value);
    }
    // Propagating Δ through arithmetic alone misses the branches: its expectation is the
    // derivative at fixed branch decisions, 4p² (0.36 at p = 0.3), not 12p² − 2 (−0.92).
    let p = 0.3;
    let exact = 12.0 * p * p - 2.0;
    let prop: Vec<f64> = (0..n as u64)
        .map(|i| {
            derivative_estimate(&Branching, &[p], &[1.0], 21, i)
                .unwrap()
                .propagated[0]
        })
        .collect();
    let m = prop.iter().sum::<f64>() / n as f64;
    let se =
        (prop.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0) / n as f64).sqrt();
    assert_within("propagation only vs 4p²", m, se, 4.0 * p * p);
    assert!(
        (m - exact).abs() > 4.0 * se,
        "propagation only: {m} ± {se} vs {exact}"
    );
}

/// Continuous draws at θ: Normal(θ, θ), Exponential(θ), Uniform(0, θ), Gamma(θ, 2).
struct Continuous;

impl StochasticProgram for Continuous {
    fn num_params(&self) -> usize {
        1
    }
    fn num_outputs(&self) -> usize {
        5
    }
    fn run<S: RealScalar, R: Sampler<S>>(&self, theta: &[S], rng: &mut R) -> Result<Vec<S>> {
        let t = &theta[0];
        let n = rng.normal(t, t)?;
        let e = rng.exponential(t)?;
        let u = rng.uniform(&S::zero(), t)?;
        let g = rng.gamma(t, &S::from_f64(2.0))?;
        Ok(vec![n.powi(2), e.powi(2), u.powi(2), g.clone(), g.powi(2)])
    }
}

#[test]
fn continuous_reparameterisation_unbiased() {
    let t: f64 = 1.3;
    // d/dθ of E[N²] = 2θ², E[E²] = 2/θ², E[U²] = θ²/3, E[G] = 2θ, E[G²] = 4θ(θ + 1).
    let exact = [4.0 * t, -4.0 / t.powi(3), 2.0 * t / 3.0, 2.0, 8.0 * t + 4.0];
    let est = StochasticTriples
        .estimate(&Continuous, &[t], 4000, 3)
        .unwrap();
    for (k, &e) in exact.iter().enumerate() {
        assert_within(
            &format!("continuous output {k}"),
            est.gradient[k][0],
            est.gradient_se[k][0],
            e,
        );
    }
}

#[test]
fn finite_differences_with_crn_unbiased_for_linear_f() {
    // For f(x) = 7x − 3 the expectation is linear in the mean, so central differences of a
    // Bernoulli/Binomial/Poisson mean have no step bias.
    for dist in [Dist::Bernoulli, Dist::Binomial6, Dist::Poisson3] {
        let p = 0.4;
        let exact = ridders(|q| dist.exact_mean(q, 0), p, 0.05).0;
        let est = FiniteDifferences { step: 0.05 }
            .estimate(&OneDraw(dist), &[p], 4000, 8)
            .unwrap();
        assert_within(
            &format!("fd {dist:?}"),
            est.gradient[0][0],
            est.gradient_se[0][0],
            exact,
        );
    }
}

#[test]
fn gumbel_softmax_derivative_is_the_derivative_of_the_relaxed_program() {
    // The relaxation is biased for E[f(X)], but its derivative must be exact for the relaxed
    // (smooth) program on fixed uniforms: compare with Ridders on the relaxed sample mean.
    for dist in [Dist::Bernoulli, Dist::Binomial6, Dist::Categorical] {
        let g = GumbelSoftmax { temperature: 0.7 };
        let p = 0.45;
        let est = g.estimate(&OneDraw(dist), &[p], 64, 4).unwrap();
        for k in 0..3 {
            let (fd, err) = ridders(
                |q| g.estimate(&OneDraw(dist), &[q], 64, 4).unwrap().value[k],
                p,
                0.02,
            );
            let ad = est.gradient[k][0];
            assert!(
                (ad - fd).abs() < 1e-7 * fd.abs().max(1.0) + 10.0 * err,
                "{dist:?} f{k}: {ad} vs {fd}"
            );
        }
    }
}

#[test]
fn straight_through_keeps_exact_values() {
    let st = StraightThrough::default()
        .estimate(&OneDraw(Dist::Binomial6), &[0.35], 50, 12)
        .unwrap();
    let tr = StochasticTriples
        .estimate(&OneDraw(Dist::Binomial6), &[0.35], 50, 12)
        .unwrap();
    // Same seed: the straight-through forward pass is an exact Binomial draw, but it sums n
    // Bernoulli draws instead of inverting one uniform, so compare distributions via means.
    for k in 0..3 {
        let se = (st.value_se[k].powi(2) + tr.value_se[k].powi(2)).sqrt();
        assert!((st.value[k] - tr.value[k]).abs() < 4.0 * se);
        let exact = Dist::Binomial6.exact_mean(0.35, k);
        assert_within("straight-through mean", st.value[k], st.value_se[k], exact);
    }
}

fn run_with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn same_seed_same_numbers_at_one_and_two_threads() {
    for kind in EstimatorKind::ALL {
        let a = run_with_threads(1, || kind.estimate(&Branching, &[0.4], 500, 77).unwrap());
        let b = run_with_threads(2, || kind.estimate(&Branching, &[0.4], 500, 77).unwrap());
        assert_eq!(a.value, b.value, "{}", kind.name());
        assert_eq!(a.gradient, b.gradient, "{}", kind.name());
        assert_eq!(a.gradient_se, b.gradient_se, "{}", kind.name());
        let c = kind.estimate(&Branching, &[0.4], 500, 78).unwrap();
        assert_ne!(a.gradient, c.gradient, "{}: seeds must matter", kind.name());
    }
}

#[test]
fn bad_input_is_reported_with_the_value() {
    let e = plain_run(&OneDraw(Dist::Bernoulli), &[1.5], 1, 0).unwrap_err();
    assert!(
        matches!(e, StochasticError::Probability { value, .. } if value == 1.5),
        "{e}"
    );
    assert!(e.to_string().contains("1.5"));
    let e = StochasticTriples
        .estimate(&OneDraw(Dist::Geometric), &[-0.2], 10, 1)
        .unwrap_err();
    assert!(e.to_string().contains("-0.2"), "{e}");
    // Poisson(3p) with p < 0: negative rate.
    let e = plain_run(&OneDraw(Dist::Poisson3), &[-1.0], 1, 0).unwrap_err();
    assert!(
        matches!(e, StochasticError::Parameter { value, .. } if value == -3.0),
        "{e}"
    );
    let e = ScoreFunction::default()
        .estimate(&OneDraw(Dist::Bernoulli), &[0.5], 0, 1)
        .unwrap_err();
    assert!(
        matches!(e, StochasticError::Setting { value, .. } if value == 0.0),
        "{e}"
    );
    let e = EstimatorKind::Triple
        .estimate(&OneDraw(Dist::Bernoulli), &[0.5, 0.1], 10, 1)
        .unwrap_err();
    assert!(e.to_string().contains('2'), "{e}");
    let e = FiniteDifferences { step: 0.0 }
        .estimate(&OneDraw(Dist::Bernoulli), &[0.5], 10, 1)
        .unwrap_err();
    assert!(matches!(e, StochasticError::Setting { .. }), "{e}");
    let e = plain_run(&Continuous, &[-1.0], 1, 0).unwrap_err();
    assert!(e.to_string().contains("-1"), "{e}");
    assert!("bogus".parse::<EstimatorKind>().is_err());
}

/// Long sweep (`cargo test --release -- --ignored`): every distribution, every f, p from 0.2 to
/// 0.8 in steps of 0.1, 40 000 samples, triples and score function.
#[test]
#[ignore]
fn long_sweep_every_distribution_every_p() {
    for dist in ALL {
        for step in 0..7 {
            let p = 0.2 + 0.1 * step as f64;
            let tr = StochasticTriples
                .estimate(&OneDraw(dist), &[p], 40_000, 100 + step)
                .unwrap();
            let sc = ScoreFunction::default()
                .estimate(&OneDraw(dist), &[p], 40_000, 200 + step)
                .unwrap();
            for i in 0..3 {
                let exact = ridders(|q| dist.exact_mean(q, i), p, 0.05).0;
                let what = format!("{dist:?} p={p:.1} f{i}");
                assert_within(
                    &format!("triple {what}"),
                    tr.gradient[i][0],
                    tr.gradient_se[i][0],
                    exact,
                );
                assert_within(
                    &format!("score {what}"),
                    sc.gradient[i][0],
                    sc.gradient_se[i][0],
                    exact,
                );
            }
        }
    }
}

#[test]
fn straight_through_derivative_is_the_relaxed_derivative() {
    // For f(x) = 7x − 3 both relaxations differentiate 7·soft(p) on the same uniforms, so the
    // straight-through derivative (checked against Ridders above through Gumbel-softmax) must
    // equal the Gumbel-softmax one at the same temperature, sample by sample.
    for dist in [Dist::Bernoulli, Dist::Binomial6, Dist::Categorical] {
        let st = StraightThrough { temperature: 0.8 }
            .estimate(&OneDraw(dist), &[0.4], 64, 6)
            .unwrap();
        let gs = GumbelSoftmax { temperature: 0.8 }
            .estimate(&OneDraw(dist), &[0.4], 64, 6)
            .unwrap();
        let (a, b) = (st.gradient[0][0], gs.gradient[0][0]);
        assert!(
            (a - b).abs() <= 1e-12 * a.abs().max(1.0),
            "{dist:?}: {a} vs {b}"
        );
        assert!(a != 0.0);
    }
}
