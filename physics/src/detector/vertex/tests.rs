//! Vertex-fit tests: exact geometry, error paths, and the three-way validation of the implicit
//! derivatives (finite differences, the unrolled iterations on the tape, the closed-form weighted
//! least-squares solution for linearised straight tracks) for straight and helical tracks and
//! 2 to 30 tracks.

use diffhep::gradcheck::ridders;
use diffhep::implicit::{ImplicitOptions, Linearization};
use diffhep::tape::{Tape, Var};
use nalgebra::{DMatrix, DVector, Matrix2, Matrix2x3, Matrix3, Vector2, Vector3};
use num_dual::{Dual64, DualStruct, HyperDual64};
use rand::rngs::ChaCha12Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::*;
use crate::detector::toy::resolution;
use crate::detector::tracks::{perigee_through, TrackModel};

const TRUE_V: [f64; 3] = [1.2, -0.8, 3.0];
const HELIX: TrackModel = TrackModel::Helix { bz: 2.0 };
const MODELS: [TrackModel; 2] = [TrackModel::StraightLine, HELIX];
const SIZES: [usize; 3] = [2, 5, 30];

fn tight() -> FitConfig {
    FitConfig {
        tol: 1e-12,
        ..FitConfig::default()
    }
}

/// `n` smeared tracks from `TRUE_V` with resolutions from the toy generator, and weights in
/// [0.2, 1).
fn sample(model: TrackModel, n: usize, seed: u64, smear: bool) -> (Vec<Track<f64>>, Vec<f64>) {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let g = Normal::new(0.0, 1.0).unwrap();
    let mut tracks = Vec::new();
    let mut weights = Vec::new();
    for _ in 0..n {
        let phi = 0.7 + 0.4 * g.sample(&mut rng);
        let theta = 1.2 + 0.3 * g.sample(&mut rng);
        let p: f64 = rng.random_range(1.0..10.0);
        let q = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let mut params = perigee_through(TRUE_V, phi, theta, q / p, model);
        let cov = resolution(p, theta, q / p);
        if smear {
            for k in 0..4 {
                params[k] += cov[k][k].sqrt() * g.sample(&mut rng);
            }
        }
        tracks.push(Track::new(params, cov, model).unwrap());
        weights.push(rng.random_range(0.2..1.0));
    }
    (tracks, weights)
}

/// Scale-aware comparison: `|a − b| ≤ rel·max(|a|, |b|) + abs`.
fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

fn max_abs<'a>(it: impl Iterator<Item = &'a f64>) -> f64 {
    it.fold(0.0f64, |m, v| m.max(v.abs()))
}

#[test]
fn exact_tracks_give_the_true_vertex() {
    for model in MODELS {
        for n in SIZES {
            let (tracks, weights) = sample(model, n, 1, false);
            let f = fit(&tracks, &weights, &tight()).unwrap();
            for k in 0..3 {
                assert!(
                    (f.position[k] - TRUE_V[k]).abs() < 1e-9,
                    "{model:?} n={n}: {:?}",
                    f.position
                );
            }
            assert!(f.chi2 < 1e-12, "χ² {}", f.chi2);
            let wsum: f64 = weights.iter().sum();
            assert!((f.ndf - (2.0 * wsum - 3.0)).abs() < 1e-12);
            assert!(f.iterations >= 1 && f.iterations < 20);
            // Covariance is the inverse of the normal matrix: symmetric positive diagonal.
            for a in 0..3 {
                assert!(f.covariance[a][a] > 0.0);
                for b in 0..3 {
                    assert_eq!(f.covariance[a][b], f.covariance[b][a]);
                }
            }
        }
    }
}

#[test]
fn chi2_pull_is_sensible_on_smeared_tracks() {
    // With unit weights, χ²/ndf averages to ≈ 1 over many fits (the toy smears with the stored
    // covariance); 200 fits of 5 tracks, 4σ bound from the χ² variance 2·ndf.
    let mut sum = 0.0;
    let mut ndf = 0.0;
    for seed in 0..200 {
        let (tracks, _) = sample(TrackModel::StraightLine, 5, 100 + seed, true);
        let f = fit(&tracks, &[1.0; 5], &FitConfig::default()).unwrap();
        sum += f.chi2;
        ndf += f.ndf;
    }
    assert!(
        (sum - ndf).abs() < 4.0 * (2.0 * ndf).sqrt(),
        "Σχ² {sum} vs Σndf {ndf}"
    );
}

#[test]
fn bad_inputs_are_errors() {
    let (tracks, weights) = sample(HELIX, 3, 2, true);
    let cfg = FitConfig::default();
    assert_eq!(
        fit(&tracks, &weights[..2], &cfg).unwrap_err(),
        VertexError::LengthMismatch {
            tracks: 3,
            weights: 2
        }
    );
    assert_eq!(
        fit(&tracks[..1], &weights[..1], &cfg).unwrap_err(),
        VertexError::TooFewTracks { usable: 1 }
    );
    assert_eq!(
        fit(&tracks, &[1.0, 0.0, 0.0], &cfg).unwrap_err(),
        VertexError::TooFewTracks { usable: 1 }
    );
    assert_eq!(
        fit(&tracks, &[1.0, -0.5, 1.0], &cfg).unwrap_err(),
        VertexError::NegativeWeight {
            track: 1,
            value: -0.5
        }
    );
    assert!(matches!(
        fit(&tracks, &[1.0, f64::NAN, 1.0], &cfg),
        Err(VertexError::NonFinite {
            what: "weight",
            index: 1,
            ..
        })
    ));
    let mut bad = tracks.clone();
    bad[2].params[0] = f64::NAN;
    let e = fit(&bad, &weights, &cfg).unwrap_err();
    assert!(matches!(e, VertexError::Track { track: 2, .. }), "{e}");
    assert!(e.to_string().contains("track 2"));
    let mut bad = tracks.clone();
    bad[0].cov[1][1] = -1.0;
    assert!(matches!(
        fit(&bad, &weights, &cfg),
        Err(VertexError::Track {
            track: 0,
            error: TrackError::CovarianceNotPositiveDefinite { .. }
        })
    ));
    let e = fit(
        &tracks,
        &weights,
        &FitConfig {
            start: [0.0, f64::INFINITY, 0.0],
            ..cfg.clone()
        },
    )
    .unwrap_err();
    assert!(matches!(
        e,
        VertexError::NonFinite {
            what: "start coordinate",
            index: 1,
            ..
        }
    ));
    let e = fit(
        &tracks,
        &weights,
        &FitConfig {
            tol: 1e-30,
            max_iter: 3,
            ..cfg.clone()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, VertexError::NotConverged { iterations: 3, .. }),
        "{e}"
    );
    // Two identical straight tracks: the vertex position along them is undetermined.
    let p = perigee_through(TRUE_V, 0.3, 1.0, 0.5, TrackModel::StraightLine);
    let t = Track::new(p, resolution(2.0, 1.0, 0.5), TrackModel::StraightLine).unwrap();
    let e = fit(&[t.clone(), t], &[1.0, 1.0], &cfg).unwrap_err();
    assert_eq!(e, VertexError::Degenerate { iteration: 1 });
}

#[test]
fn derivatives_reject_unconverged_points() {
    let (tracks, weights) = sample(HELIX, 4, 3, true);
    let f = fit(&tracks, &weights, &tight()).unwrap();
    let off = [f.position[0] + 1e-3, f.position[1], f.position[2]];
    let e = derivatives(
        &tracks,
        &weights,
        &off,
        Wrt::ALL,
        &ImplicitOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, VertexError::Implicit(_)), "{e}");
    assert!(e.to_string().contains("not a solution"));
}

/// Every implicit derivative as a flat list `(label, θ index in VertexSystem layout, output a,
/// value)`.
fn flat(jac: &VertexJacobian, n: usize) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    for i in 0..n {
        for a in 0..3 {
            out.push((i, a, jac.weights[i][a]));
            for k in 0..5 {
                out.push((n + 5 * i + k, a, jac.params[i][a][k]));
            }
            for e in 0..15 {
                out.push((6 * n + 15 * i + e, a, jac.covariance[i][a][e]));
            }
        }
    }
    out
}

/// Largest magnitude per block (weights / parameter k / covariance entry e), used as the scale of
/// the absolute tolerance: entries of one block share units.
fn block_scale(entries: &[(usize, usize, f64)], n: usize) -> impl Fn(usize) -> f64 {
    let mut scale = [0.0f64; 21];
    let block = move |j: usize| {
        if j < n {
            0
        } else if j < 6 * n {
            1 + (j - n) % 5
        } else {
            6 + (j - 6 * n) % 15
        }
    };
    for &(j, _, v) in entries {
        scale[block(j)] = scale[block(j)].max(v.abs());
    }
    move |j| scale[block(j)]
}

#[test]
fn structured_derivatives_match_generic_implicit_layer() {
    for model in MODELS {
        for n in SIZES {
            let (tracks, weights) = sample(model, n, 10 + n as u64, true);
            let f = fit(&tracks, &weights, &tight()).unwrap();
            let opts = ImplicitOptions::default();
            let jac = derivatives(&tracks, &weights, &f.position, Wrt::ALL, &opts)
                .unwrap()
                .jacobian();
            let sys = VertexSystem::new(vec![model; n]);
            let theta = VertexSystem::theta(&tracks, &weights);
            let lin = Linearization::of_root(&sys, &f.position, &theta, &opts).unwrap();
            let full = lin.jacobian();
            let entries = flat(&jac, n);
            let scale = block_scale(&entries, n);
            for (j, a, v) in entries {
                assert!(
                    close(v, full[(a, j)], 1e-9, 1e-12 * scale(j)),
                    "{model:?} n={n} θ{j} v{a}: {v} vs {}",
                    full[(a, j)]
                );
            }
        }
    }
}

/// Finite-difference step for θ index `j` (keeps the covariance positive definite).
fn fd_step(theta: &[f64], j: usize, n: usize) -> f64 {
    if j < n {
        0.05
    } else if j < 6 * n {
        match (j - n) % 5 {
            0 | 1 => 1e-3,
            2 | 3 => 1e-3,
            _ => 0.05 * theta[j].abs(),
        }
    } else {
        let (k, l) = COV_ENTRIES[(j - 6 * n) % 15];
        let i = (j - 6 * n) / 15;
        let diag = |m: usize| {
            let e = COV_ENTRIES.iter().position(|&p| p == (m, m)).unwrap();
            theta[6 * n + 15 * i + e]
        };
        // Large enough that the change of v dwarfs the fit's convergence noise (≈10⁻¹³ mm),
        // small enough to keep the covariance positive definite (correlations stay < 0.6).
        0.2 * (diag(k) * diag(l)).sqrt()
    }
}

#[test]
fn implicit_derivatives_match_finite_differences() {
    for model in MODELS {
        for n in SIZES {
            let (tracks, weights) = sample(model, n, 20 + n as u64, true);
            let cfg = tight();
            let f = fit(&tracks, &weights, &cfg).unwrap();
            let jac = derivatives(
                &tracks,
                &weights,
                &f.position,
                Wrt::ALL,
                &ImplicitOptions::default(),
            )
            .unwrap()
            .jacobian();
            let sys = VertexSystem::new(vec![model; n]);
            let theta = VertexSystem::theta(&tracks, &weights);
            let entries = flat(&jac, n);
            let scale = block_scale(&entries, n);
            // Weights of (up to) four tracks, all parameters and covariance entries of the first
            // and last track.
            let last = n - 1;
            let chosen = |j: usize| {
                j < n.min(4)
                    || (j >= n && j < 6 * n && ((j - n) / 5 == 0 || (j - n) / 5 == last))
                    || (j >= 6 * n && ((j - 6 * n) / 15 == 0 || (j - 6 * n) / 15 == last))
            };
            for (j, a, ad) in entries.into_iter().filter(|e| chosen(e.0)) {
                let (fd, err) = ridders(
                    |h| {
                        let mut th = theta.clone();
                        th[j] = h;
                        let (t, w) = sys.unpack(&th);
                        fit(&t, &w, &cfg).unwrap().position[a]
                    },
                    theta[j],
                    fd_step(&theta, j, n),
                );
                assert!(
                    close(ad, fd, 1e-6, 10.0 * err + 1e-9 * scale(j)),
                    "{model:?} n={n} θ{j} v{a}: implicit {ad} vs FD {fd} ± {err}"
                );
            }
        }
    }
}

/// Tracks whose parameters and upper-triangle covariance entries are tape variables (one
/// variable per symmetric pair), plus weight variables.
fn on_tape(
    t: &diffhep::tape::ActiveTape<'_, f64>,
    tracks: &[Track<f64>],
    weights: &[f64],
) -> (Vec<Track<Var>>, Vec<Var>) {
    let tv = tracks
        .iter()
        .map(|tr| {
            let mut cov = [[Var::constant(0.0); 5]; 5];
            for &(k, l) in COV_ENTRIES.iter() {
                let c = t.var(tr.cov[k][l]);
                cov[k][l] = c;
                cov[l][k] = c;
            }
            Track {
                params: tr.params.map(|p| t.var(p)),
                cov,
                model: tr.model,
            }
        })
        .collect();
    (tv, t.vars(weights))
}

#[test]
fn implicit_derivatives_match_unrolled_iterations_on_tape() {
    for model in MODELS {
        for n in SIZES {
            let (tracks, weights) = sample(model, n, 30 + n as u64, true);
            let cfg = tight();
            let f = fit(&tracks, &weights, &cfg).unwrap();
            let d = derivatives(
                &tracks,
                &weights,
                &f.position,
                Wrt::ALL,
                &ImplicitOptions::default(),
            )
            .unwrap();
            let jac = d.jacobian();
            let entries = flat(&jac, n);
            let scale = block_scale(&entries, n);
            let mut tape = Tape::new();
            let t = tape.activate();
            let (tv, wv) = on_tape(&t, &tracks, &weights);
            // The unrolled Gauss–Newton iterations recorded on the tape.
            let unrolled = fit(&tv, &wv, &cfg).unwrap();
            // The implicit vertex as custom nodes.
            let custom = fit_on_tape(&t, &tv, &wv, &cfg, &ImplicitOptions::default()).unwrap();
            for a in 0..3 {
                // Same iterations; tape elementary functions may round differently in the last bit.
                assert!((unrolled.position[a].val() - custom.position[a].val()).abs() < 1e-12);
                let g_unrolled = t.gradient(unrolled.position[a]).unwrap();
                let g_custom = t.gradient(custom.position[a]).unwrap();
                for &(j, b, ad) in entries.iter().filter(|e| e.1 == a) {
                    let var = if j < n {
                        wv[j]
                    } else if j < 6 * n {
                        tv[(j - n) / 5].params[(j - n) % 5]
                    } else {
                        let (k, l) = COV_ENTRIES[(j - 6 * n) % 15];
                        tv[(j - 6 * n) / 15].cov[k][l]
                    };
                    let u = g_unrolled.get(var);
                    let c = g_custom.get(var);
                    // The unrolled derivative converges with the iterations (rate = the
                    // contraction of the Gauss–Newton map); 1e-7 relative is far below it after
                    // the ≥ 3 iterations to 1e-12 mm.
                    assert!(
                        close(ad, u, 1e-7, 1e-10 * scale(j)),
                        "{model:?} n={n} θ{j} v{b}: implicit {ad} vs unrolled {u}"
                    );
                    assert!(
                        close(ad, c, 1e-12, 1e-14 * scale(j)),
                        "custom node {c} vs {ad}"
                    );
                }
            }
            // Reverse mode: one adjoint solve gives v̄ᵀ dv/dθ.
            let vbar = [0.3, -1.2, 0.7];
            let ct = d.vjp(vbar);
            for i in 0..n {
                let e: f64 = (0..3).map(|a| vbar[a] * jac.weights[i][a]).sum();
                assert!(close(ct.weights[i], e, 1e-12, 1e-14 * scale(0)));
                for k in 0..5 {
                    let e: f64 = (0..3).map(|a| vbar[a] * jac.params[i][a][k]).sum();
                    assert!(close(ct.params[i][k], e, 1e-12, 1e-14 * scale(n + k)));
                }
                for q in 0..15 {
                    let e: f64 = (0..3).map(|a| vbar[a] * jac.covariance[i][a][q]).sum();
                    assert!(close(
                        ct.covariance[i][q],
                        e,
                        1e-12,
                        1e-14 * scale(6 * n + q)
                    ));
                }
            }
        }
    }
}

#[test]
fn forward_mode_duals_match_and_give_second_derivatives() {
    for model in MODELS {
        let n = 5;
        let (tracks, weights) = sample(model, n, 40, true);
        let cfg = tight();
        let opts = ImplicitOptions::default();
        let f = fit(&tracks, &weights, &cfg).unwrap();
        let jac = derivatives(&tracks, &weights, &f.position, Wrt::ALL, &opts)
            .unwrap()
            .jacobian();
        // First order: a Dual64 tangent on the φ of track 2.
        let td: Vec<Track<Dual64>> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| Track {
                params: std::array::from_fn(|k| {
                    let d = Dual64::from(t.params[k]);
                    if i == 2 && k == 2 {
                        d.derivative()
                    } else {
                        d
                    }
                }),
                cov: t.cov.map(|r| r.map(Dual64::from)),
                model,
            })
            .collect();
        let wd: Vec<Dual64> = weights.iter().map(|&w| Dual64::from(w)).collect();
        let (_, v) = fit_forward(&td, &wd, &cfg, &opts, 1).unwrap();
        for a in 0..3 {
            assert!(close(v[a].eps, jac.params[2][a][2], 1e-10, 1e-14));
        }
        // Second order: ∂²v/∂w₀∂w₁ with hyper-duals, against Ridders on the implicit first
        // derivative ∂v/∂w₀ as a function of w₁.
        let th: Vec<Track<HyperDual64>> = tracks
            .iter()
            .map(|t| Track {
                params: t.params.map(HyperDual64::from),
                cov: t.cov.map(|r| r.map(HyperDual64::from)),
                model,
            })
            .collect();
        let mut wh: Vec<HyperDual64> = weights.iter().map(|&w| HyperDual64::from(w)).collect();
        wh[0] = wh[0].derivative1();
        wh[1] = wh[1].derivative2();
        let (_, vh) = fit_forward(&th, &wh, &cfg, &opts, 2).unwrap();
        for a in 0..3 {
            assert!(close(vh[a].eps1, jac.weights[0][a], 1e-10, 1e-14));
            let (fd, err) = ridders(
                |h| {
                    let mut w = weights.clone();
                    w[1] = h;
                    let f = fit(&tracks, &w, &cfg).unwrap();
                    derivatives(&tracks, &w, &f.position, Wrt::WEIGHTS, &opts)
                        .unwrap()
                        .jacobian()
                        .weights[0][a]
                },
                weights[1],
                0.05,
            );
            assert!(
                close(vh[a].eps1eps2, fd, 1e-6, 10.0 * err + 1e-12),
                "{model:?} ∂²v{a}/∂w0∂w1: {} vs {fd} ± {err}",
                vh[a].eps1eps2
            );
            // The chord steps move the value by at most the fit tolerance.
            assert!((vh[a].re() - f.position[a]).abs() < cfg.tol);
        }
    }
}

/// The closed-form weighted least-squares vertex of linearised straight tracks: with no
/// direction uncertainty the impact parameters are linear in v, `ε = ε₀ + A v`, with constant
/// `W`, so `v* = −(Σ wAᵀWA)⁻¹ Σ wAᵀWε₀`, and by differentiating the normal equations
/// `∂v/∂wᵢ = −M⁻¹AᵢᵀWᵢεᵢ(v*)`, `∂v/∂ε₀ᵢ = −wᵢM⁻¹AᵢᵀWᵢ`, `∂v/∂Σᵢ = wᵢM⁻¹AᵢᵀWᵢ dΣ Wᵢεᵢ(v*)`
/// (Björck, *Numerical Methods for Least Squares Problems*, SIAM 1996, §1.1).
#[test]
fn linearised_straight_tracks_match_closed_form_least_squares() {
    for n in SIZES {
        let (mut tracks, weights) = sample(TrackModel::StraightLine, n, 50 + n as u64, true);
        for t in tracks.iter_mut() {
            // Direction and curvature variances negligible (10⁻²⁴), correlations removed: the
            // transported covariance is the (d0, z0) block to 10⁻¹⁸ relative.
            let (c00, c11) = (t.cov[0][0], t.cov[1][1]);
            let c01 = 0.2 * (c00 * c11).sqrt();
            t.cov = [[0.0; 5]; 5];
            t.cov[0][0] = c00;
            t.cov[1][1] = c11;
            t.cov[0][1] = c01;
            t.cov[1][0] = c01;
            for k in 2..5 {
                t.cov[k][k] = 1e-24;
            }
        }
        let f = fit(&tracks, &weights, &tight()).unwrap();
        let jac = derivatives(
            &tracks,
            &weights,
            &f.position,
            Wrt::ALL,
            &ImplicitOptions::default(),
        )
        .unwrap()
        .jacobian();
        // Closed form with nalgebra.
        let parts: Vec<(Matrix2x3<f64>, Matrix2<f64>, Vector2<f64>)> = tracks
            .iter()
            .map(|t| {
                let (s, c) = t.params[2].sin_cos();
                let cot = 1.0 / t.params[3].tan();
                let a = Matrix2x3::new(s, -c, 0.0, c * cot, s * cot, -1.0);
                let w = Matrix2::new(t.cov[0][0], t.cov[0][1], t.cov[1][0], t.cov[1][1])
                    .try_inverse()
                    .unwrap();
                (a, w, Vector2::new(t.params[0], t.params[1]))
            })
            .collect();
        let mut m = Matrix3::zeros();
        let mut r = Vector3::zeros();
        for ((a, w, e0), wi) in parts.iter().zip(&weights) {
            m += *wi * a.transpose() * w * a;
            r += *wi * a.transpose() * w * e0;
        }
        let minv = m.try_inverse().unwrap();
        let v = -minv * r;
        for a in 0..3 {
            assert!(
                close(f.position[a], v[a], 1e-12, 1e-12),
                "{:?} vs {v}",
                f.position
            );
        }
        let scale_w = max_abs(jac.weights.iter().flatten());
        for (i, ((a, w, e0), wi)) in parts.iter().zip(&weights).enumerate() {
            let eps = e0 + a * v;
            let dw = -minv * a.transpose() * w * eps;
            let de0 = -minv * a.transpose() * w * *wi;
            for c in 0..3 {
                assert!(close(jac.weights[i][c], dw[c], 1e-9, 1e-12 * scale_w));
                for k in 0..2 {
                    assert!(close(jac.params[i][c][k], de0[(c, k)], 1e-9, 1e-12));
                }
            }
            // Covariance entries (0,0), (0,1), (1,1): dW = −W dΣ W.
            for (e, (k, l)) in [(0usize, (0usize, 0usize)), (1, (0, 1)), (5, (1, 1))] {
                let mut ds = Matrix2::zeros();
                ds[(k, l)] = 1.0;
                ds[(l, k)] = 1.0;
                let dv = *wi * minv * a.transpose() * w * ds * w * eps;
                let scale = max_abs(
                    jac.covariance
                        .iter()
                        .flat_map(|b| b.iter().map(move |r| &r[e])),
                );
                for c in 0..3 {
                    assert!(
                        close(jac.covariance[i][c][e], dv[c], 1e-9, 1e-12 * scale),
                        "n={n} track {i} C{k}{l} v{c}: {} vs {}",
                        jac.covariance[i][c][e],
                        dv[c]
                    );
                }
            }
        }
        // Also the full implicit Jacobian through the generic layer against the closed form
        // with respect to the weights (DMatrix path).
        let sys = VertexSystem::new(vec![TrackModel::StraightLine; n]);
        let theta = VertexSystem::theta(&tracks, &weights);
        let lin =
            Linearization::of_root(&sys, &f.position, &theta, &ImplicitOptions::default()).unwrap();
        let full: DMatrix<f64> = lin.jacobian();
        let w0 = DVector::from_iterator(3, (0..3).map(|c| jac.weights[0][c]));
        for c in 0..3 {
            assert!(close(full[(c, 0)], w0[c], 1e-9, 1e-12 * scale_w));
        }
    }
}

#[test]
fn combined_fit_and_derivatives_agree_with_separate_calls() {
    let (tracks, weights) = sample(HELIX, 6, 60, true);
    let opts = ImplicitOptions::default();
    let (f, d) = fit_with_derivatives(&tracks, &weights, &tight(), Wrt::ALL, &opts).unwrap();
    let f2 = fit(&tracks, &weights, &tight()).unwrap();
    assert_eq!(f.position, f2.position);
    let (a, b) = (
        d.jacobian(),
        derivatives(&tracks, &weights, &f.position, Wrt::ALL, &opts)
            .unwrap()
            .jacobian(),
    );
    for i in 0..6 {
        for c in 0..3 {
            assert!(close(a.weights[i][c], b.weights[i][c], 1e-12, 1e-15));
            assert_eq!(a.params[i][c], b.params[i][c]);
            assert_eq!(a.covariance[i][c], b.covariance[i][c]);
        }
    }
    assert!(d.condition() >= 1.0);
    // Errors of the fit come through the combined call.
    assert_eq!(
        fit_with_derivatives(&tracks[..1], &weights[..1], &tight(), Wrt::ALL, &opts).unwrap_err(),
        VertexError::TooFewTracks { usable: 1 }
    );
}

#[test]
fn error_messages_are_unchanged_and_keep_their_sources() {
    use std::error::Error as _;
    let cases = [
        (
            VertexError::LengthMismatch {
                tracks: 3,
                weights: 2,
            },
            "3 tracks but 2 weights",
        ),
        (
            VertexError::TooFewTracks { usable: 1 },
            "a vertex needs at least two tracks with positive weight, got 1",
        ),
        (
            VertexError::NegativeWeight {
                track: 1,
                value: -0.5,
            },
            "weight of track 1 is negative: -0.5",
        ),
        (
            VertexError::NonFinite {
                what: "weight",
                index: 2,
                value: f64::NAN,
            },
            "weight 2 is NaN",
        ),
        (
            VertexError::ImpactCovariance { track: 4 },
            "track 4: transported impact-parameter covariance is not positive definite",
        ),
        (
            VertexError::Degenerate { iteration: 1 },
            "vertex not determined at iteration 1: normal matrix not positive definite \
             (parallel tracks?)",
        ),
        (
            VertexError::NotConverged {
                iterations: 50,
                last_step: 0.0015,
            },
            "vertex fit did not converge in 50 iterations (last step 1.5e-3 mm)",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
        assert!(e.source().is_none());
    }
    let track = TrackError::ThetaOutOfRange { value: 4.0 };
    let e = VertexError::Track {
        track: 2,
        error: track.clone(),
    };
    assert_eq!(e.to_string(), "track 2: track θ = 4 is outside (0, π)");
    assert_eq!(
        e.source().unwrap().downcast_ref::<TrackError>(),
        Some(&track)
    );
    let implicit = ImplicitError::Singular {
        condition: f64::INFINITY,
    };
    let e = VertexError::from(implicit.clone());
    assert_eq!(e.to_string(), format!("vertex derivatives: {implicit}"));
    assert_eq!(
        e.source().unwrap().downcast_ref::<ImplicitError>(),
        Some(&implicit)
    );
}
