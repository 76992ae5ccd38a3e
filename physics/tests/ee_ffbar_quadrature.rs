//! Cross-check between layers: Gauss–Legendre quadrature (`integrate`) of the helicity-amplitude
//! dσ/dcos θ (`collider`) reproduces the closed-form σ and A_FB. It lives here because a collider
//! module may not import the integration layer above it.

use diffhep_physics::collider::ee_ffbar::{
    afb, dsigma_dcos_amplitudes, sigma, Exchange, MUON, TOP,
};
use diffhep_physics::collider::sm::{ParamCard, SmParams};
use diffhep_physics::integrate::quadrature::integrate;

fn card() -> SmParams<f64> {
    ParamCard::default().to_params()
}

const ENERGIES_MU: [f64; 5] = [10.0, 60.0, 91.188, 130.0, 500.0];

#[test]
fn quadrature_of_amplitudes_reproduces_sigma_and_afb() {
    let p = card();
    for (f, mf, energies) in [
        (MUON, 0.0, &ENERGIES_MU[..]),
        (TOP, 173.0, &[360.0, 500.0][..]),
    ] {
        for &rs in energies {
            let s = rs * rs;
            let g = |c: f64| dsigma_dcos_amplitudes(&f, mf, &p, Exchange::FULL, rs, c, 0.0);
            let fwd = integrate(g, 0.0, 1.0, 8).unwrap();
            let bwd = integrate(g, -1.0, 0.0, 8).unwrap();
            let sig = sigma(&f, &mf, &p, Exchange::FULL, &s);
            assert!(
                (fwd + bwd - sig).abs() < 1e-10 * sig,
                "σ at {rs}: {} vs {sig}",
                fwd + bwd
            );
            let a = afb(&f, &mf, &p, Exchange::FULL, &s);
            assert!(
                ((fwd - bwd) / (fwd + bwd) - a).abs() < 1e-10,
                "A_FB at {rs}"
            );
        }
    }
    // Sanity of the physics: A_FB(μ) changes sign near the Z pole and is small and positive on it
    // (≈ 0.017 with sin²θW ≈ 0.222 at tree level).
    let a = |rs: f64| afb(&MUON, &0.0, &p, Exchange::FULL, &(rs * rs));
    assert!(a(60.0) < -0.2 && a(130.0) > 0.2);
    assert!(a(91.188) > 0.0 && a(91.188) < 0.05, "{}", a(91.188));
}
