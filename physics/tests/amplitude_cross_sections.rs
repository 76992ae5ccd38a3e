//! Cross sections of the general amplitude engine against closed forms and unitarity, by
//! Gauss–Legendre quadrature of 2 → 2 subprocesses (exact to rounding for these smooth |M|²).

use diffhep_physics::collider::amplitude::model::Model;
use diffhep_physics::collider::amplitude::program::Selection;
use diffhep_physics::collider::amplitude::subprocess::Subprocess;
use diffhep_physics::collider::ee_ffbar;
use diffhep_physics::collider::sm::{ParamCard, SmParams};
use diffhep_physics::lorentz::FourVector;

fn params() -> SmParams<f64> {
    ParamCard::default().to_params()
}

fn sub(model: &Model, text: &str, sel: &Selection) -> Subprocess {
    let (i, f) = text.split_once('>').unwrap();
    let i: Vec<&str> = i.split_whitespace().collect();
    let f: Vec<&str> = f.split_whitespace().collect();
    Subprocess::new(model, &i, &f, sel).unwrap()
}

/// Beams along ±z at √s, final masses m3, m4 at polar angle θ (cos θ = `c`) and azimuth φ.
fn two_to_two(sqrt_s: f64, m3: f64, m4: f64, c: f64, phi: f64) -> Vec<FourVector<f64>> {
    let s = sqrt_s * sqrt_s;
    let q = ((s - (m3 + m4).powi(2)) * (s - (m3 - m4).powi(2))).sqrt() / (2.0 * sqrt_s);
    let e3 = (s + m3 * m3 - m4 * m4) / (2.0 * sqrt_s);
    let st = (1.0 - c * c).sqrt() * q;
    let (px, py, pz) = (st * phi.cos(), st * phi.sin(), c * q);
    let e = sqrt_s / 2.0;
    vec![
        FourVector::new(e, 0.0, 0.0, e),
        FourVector::new(e, 0.0, 0.0, -e),
        FourVector::new(e3, px, py, pz),
        FourVector::new(sqrt_s - e3, -px, -py, -pz),
    ]
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{what}: {got} vs {want}"
    );
}

/// σ in pb of a 2 → 2 subprocess at √s by Gauss–Legendre quadrature over cos θ (|M|² does not
/// depend on the azimuth): σ = (ħc)²/(2s) · |p|/(4π√s) · ½∫|M|² dcos θ.
fn sigma_2to2(
    sp: &Subprocess,
    model: &Model,
    p: &SmParams<f64>,
    sqrt_s: f64,
    m3: f64,
    m4: f64,
) -> f64 {
    let s = sqrt_s * sqrt_s;
    let q = ((s - (m3 + m4).powi(2)) * (s - (m3 - m4).powi(2))).sqrt() / (2.0 * sqrt_s);
    let integral = diffhep_physics::integrate::quadrature::integrate(
        |c| sp.msq(model, p, &two_to_two(sqrt_s, m3, m4, c, 0.3)),
        -1.0,
        1.0,
        64,
    )
    .unwrap();
    ee_ffbar::HBARC2_PB / (2.0 * s) * q / (4.0 * std::f64::consts::PI * sqrt_s) * 0.5 * integral
}

#[test]
fn higgsstrahlung_cross_section_matches_the_closed_form() {
    // σ(e+e- → ZH) = G_F² M_Z⁴/(96π s) (v_e² + a_e²) √λ (λ + 12 M_Z²/s)/(1 − M_Z²/s)²,
    // v_e = −1 + 4 s_W², a_e = −1 (Djouadi, Phys. Rept. 457 (2008) 1, eq. 3.4), for a stable Z.
    let model = Model::sm();
    let mut p = params();
    p.wz = 0.0;
    let d = p.derived();
    let sp = sub(&model, "e+ e- > z h", &Selection::default());
    for sqrt_s in [250.0, 500.0, 1000.0] {
        let s: f64 = sqrt_s * sqrt_s;
        let (mz, mh) = (p.mz, p.mh);
        let lam = (1.0 - (mh + mz).powi(2) / s) * (1.0 - (mh - mz).powi(2) / s);
        let ve = -1.0 + 4.0 * d.sw2;
        let want = p.gf.powi(2) * mz.powi(4) / (96.0 * std::f64::consts::PI * s)
            * (ve * ve + 1.0)
            * lam.sqrt()
            * (lam + 12.0 * mz * mz / s)
            / (1.0 - mz * mz / s).powi(2)
            * ee_ffbar::HBARC2_PB;
        let got = sigma_2to2(&sp, &model, &p, sqrt_s, mz, mh);
        close(got, want, 1e-10, &format!("σ(ZH) at {sqrt_s} GeV"));
    }
}

#[test]
fn w_pair_production_respects_unitarity() {
    // The t-channel ν and the s-channel γ/Z diagrams of e+e- → W⁺W⁻ each grow like s; only
    // their gauge cancellation makes σ fall (∝ ln s/s). A wrong sign or size of the WWγ/WWZ
    // vertices shows as σ rising with energy.
    let model = Model::sm();
    let p = params();
    let mw = p.derived().mw;
    let sp = sub(&model, "e+ e- > w+ w-", &Selection::default());
    let sig: Vec<f64> = [200.0, 1000.0, 5000.0]
        .iter()
        .map(|&rs| sigma_2to2(&sp, &model, &p, rs, mw, mw))
        .collect();
    // LEP2: the Born σ(e+e- → WW) at 200 GeV is about 18–19 pb.
    assert!(sig[0] > 15.0 && sig[0] < 22.0, "{sig:?}");
    assert!(sig[1] < sig[0] / 3.0 && sig[2] < sig[1] / 4.0, "{sig:?}");
    // Dropping the Z leaves the γ–ν cancellation incomplete: σ then grows again.
    let no_z = Selection {
        excluded_any: vec![model.find("z").unwrap()],
        ..Selection::default()
    };
    let broken = sub(&model, "e+ e- > w+ w-", &no_z);
    let b: Vec<f64> = [1000.0, 5000.0]
        .iter()
        .map(|&rs| sigma_2to2(&broken, &model, &p, rs, mw, mw))
        .collect();
    assert!(b[1] > b[0], "{b:?}");
}
