//! Track-model tests: exact geometry identities and finite differences.

use super::*;
use diffhep::gradcheck::ridders;

const HELIX: TrackModel = TrackModel::Helix { bz: 2.0 };

fn diag_cov() -> [[f64; 5]; 5] {
    let sig = [0.02, 0.05, 1e-3, 1e-3, 1e-3];
    std::array::from_fn(|i| std::array::from_fn(|j| if i == j { sig[i] * sig[i] } else { 0.0 }))
}

fn track_through(point: [f64; 3], phi: f64, theta: f64, qop: f64, model: TrackModel) -> Track<f64> {
    Track::new(
        perigee_through(point, phi, theta, qop, model),
        diag_cov(),
        model,
    )
    .unwrap()
}

#[test]
fn track_through_a_point_has_zero_impact_there() {
    let p = [1.3, -0.7, 4.2];
    for model in [TrackModel::StraightLine, HELIX] {
        for (phi, qop) in [(0.4, 0.5), (2.9, -0.8), (-2.0, 0.1)] {
            let t = track_through(p, phi, 1.1, qop, model);
            let imp = t.impact(&p);
            assert!(
                imp.eps[0].abs() < 1e-12 && imp.eps[1].abs() < 1e-12,
                "{model:?} {imp:?}"
            );
            let x = t.position_at(&imp.s);
            for k in 0..3 {
                assert!((x[k] - p[k]).abs() < 1e-12, "{model:?} position {x:?}");
            }
            let (pca, dist) = t.closest_approach(&p);
            assert!(dist < 1e-12 && (pca[2] - p[2]).abs() < 1e-12);
        }
    }
}

#[test]
fn impact_jacobian_matches_ridders() {
    let v = [0.8, 1.5, -2.0];
    for model in [TrackModel::StraightLine, HELIX] {
        let t = Track::new([0.05, 1.0, 0.7, 1.2, 0.9], diag_cov(), model).unwrap();
        let a = t.impact(&v).dv;
        for k in 0..3 {
            for row in 0..2 {
                let (fd, _) = ridders(
                    |h| {
                        let mut w = v;
                        w[k] = h;
                        t.impact(&w).eps[row]
                    },
                    v[k],
                    0.1,
                );
                assert!(
                    (a[row][k] - fd).abs() < 1e-9,
                    "{model:?} A[{row}][{k}] {} vs {fd}",
                    a[row][k]
                );
            }
        }
    }
}

#[test]
fn pca_minimises_transverse_distance() {
    let v = [2.0, -1.0, 0.5];
    for model in [TrackModel::StraightLine, HELIX] {
        let t = Track::new([0.1, -0.3, 2.2, 0.8, -0.4], diag_cov(), model).unwrap();
        let s0 = t.impact(&v).s;
        let dist2 = |s: f64| {
            let p = t.position_at(&s);
            (p[0] - v[0]).powi(2) + (p[1] - v[1]).powi(2)
        };
        let (slope, _) = ridders(dist2, s0, 0.1);
        assert!(slope.abs() < 1e-10, "{model:?}: slope {slope}");
        // |d0(v)| is that minimal transverse distance.
        let d = t.impact(&v).eps[0];
        assert!((d * d - dist2(s0)).abs() < 1e-12);
    }
}

#[test]
fn straight_transport_jacobian_matches_ridders() {
    // For a straight line the transport Jacobian is exact in (d0, z0, φ, θ).
    let v = [0.6, -1.1, 0.3];
    let p0 = [0.05, 1.0, 0.7, 1.2, 0.9];
    let t = Track::new(p0, diag_cov(), TrackModel::StraightLine).unwrap();
    let j = t.transport_jacobian(&v, &t.impact(&v).s);
    for k in 0..5 {
        for row in 0..2 {
            let (fd, _) = ridders(
                |h| {
                    let mut p = p0;
                    p[k] = h;
                    Track::new(p, diag_cov(), TrackModel::StraightLine)
                        .unwrap()
                        .impact(&v)
                        .eps[row]
                },
                p0[k],
                0.01,
            );
            assert!(
                (j[row][k] - fd).abs() < 1e-9,
                "J[{row}][{k}] {} vs {fd}",
                j[row][k]
            );
        }
    }
}

#[test]
fn weak_field_helix_tends_to_straight_line() {
    // Differences are O(s²/R) with R ≈ 5·10⁶ mm here, i.e. below 10⁻⁶ mm for s ≈ 2 mm.
    let v = [1.0, 1.5, -0.5];
    let p = [0.05, 1.0, 0.7, 1.2, 0.9];
    let weak = Track::new(p, diag_cov(), TrackModel::Helix { bz: 1e-3 }).unwrap();
    let line = Track::new(p, diag_cov(), TrackModel::StraightLine).unwrap();
    let (a, b) = (weak.impact(&v), line.impact(&v));
    for k in 0..2 {
        assert!((a.eps[k] - b.eps[k]).abs() < 1e-6, "{a:?} vs {b:?}");
    }
    assert!((a.s - b.s).abs() < 1e-6);
}

#[test]
fn invalid_tracks_are_errors() {
    let p = [0.0, 0.0, 0.1, 1.0, 0.5];
    let mut bad = p;
    bad[Z0] = f64::NAN;
    assert!(matches!(
        Track::new(bad, diag_cov(), HELIX),
        Err(TrackError::NonFinite {
            what: "parameter",
            index: 1,
            ..
        })
    ));
    bad = p;
    bad[THETA] = 3.5;
    assert_eq!(
        Track::new(bad, diag_cov(), HELIX).unwrap_err(),
        TrackError::ThetaOutOfRange { value: 3.5 }
    );
    bad = p;
    bad[QOP] = 0.0;
    assert!(matches!(
        Track::new(bad, diag_cov(), HELIX),
        Err(TrackError::ZeroCurvature { .. })
    ));
    assert!(Track::new(bad, diag_cov(), TrackModel::StraightLine).is_ok());
    let mut c = diag_cov();
    c[0][2] = 1e-5;
    assert!(matches!(
        Track::new(p, c, HELIX),
        Err(TrackError::CovarianceNotSymmetric { row: 0, col: 2, .. })
    ));
    c = diag_cov();
    c[4][1] = f64::NAN;
    assert!(matches!(
        Track::new(p, c, HELIX),
        Err(TrackError::NonFinite {
            what: "covariance",
            index: 21,
            ..
        })
    ));
    c = diag_cov();
    c[3][3] = -1e-6;
    let e = Track::new(p, c, HELIX).unwrap_err();
    assert_eq!(
        e,
        TrackError::CovarianceNotPositiveDefinite {
            index: 3,
            pivot: -1e-6
        }
    );
    assert!(e.to_string().contains("not positive definite"));
}

#[test]
fn first_order_lift_equals_dual_evaluation() {
    use num_dual::Dual64;
    let v = [0.8, 1.5, -2.0].map(Dual64::from);
    for model in [TrackModel::StraightLine, HELIX] {
        let t = Track::new([0.05, 1.0, 0.7, 1.2, 0.9], diag_cov(), model).unwrap();
        for k in [PHI, THETA, QOP] {
            let td = Track {
                params: std::array::from_fn(|i| {
                    let d = Dual64::from(t.params[i]);
                    if i == k {
                        d.derivative()
                    } else {
                        d
                    }
                }),
                cov: t.cov.map(|r| r.map(Dual64::from)),
                model,
            };
            let (a, b) = (t.prepare().lift_first_order(&td).impact(&v), td.impact(&v));
            for r in 0..2 {
                assert!((a.eps[r].re - b.eps[r].re).abs() < 1e-15);
                assert!(
                    (a.eps[r].eps - b.eps[r].eps).abs() <= 1e-12 * b.eps[r].eps.abs().max(1.0),
                    "{model:?} param {k}: {} vs {}",
                    a.eps[r].eps,
                    b.eps[r].eps
                );
            }
        }
    }
}

#[test]
fn error_messages_are_unchanged() {
    let e = TrackError::NonFinite {
        what: "parameter",
        index: 3,
        value: f64::INFINITY,
    };
    assert_eq!(e.to_string(), "track parameter 3 is inf");
    let e = TrackError::ThetaOutOfRange { value: 4.0 };
    assert_eq!(e.to_string(), "track θ = 4 is outside (0, π)");
    let e = TrackError::ZeroCurvature { bz: 0.0, qop: 0.5 };
    assert_eq!(
        e.to_string(),
        "helix needs non-zero field and q/p (B_z = 0 T, q/p = 0.5 1/GeV)"
    );
    let e = TrackError::CovarianceNotSymmetric {
        row: 0,
        col: 2,
        upper: 1.0,
        lower: 2.0,
    };
    assert_eq!(
        e.to_string(),
        "track covariance not symmetric: C[0][2] = 1 but C[2][0] = 2"
    );
    let e = TrackError::CovarianceNotPositiveDefinite {
        index: 4,
        pivot: -0.5,
    };
    assert_eq!(
        e.to_string(),
        "track covariance not positive definite: Cholesky pivot 4 is -0.5"
    );
}
