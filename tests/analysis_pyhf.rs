//! The Asimov discovery significance of `diffhep::analysis` against pyhf: the stored numbers of
//! `tests/reference/pyhf_asimov.json` were produced by `tests/reference/pyhf_asimov.py` (pyhf
//! 0.7.6, √q₀ on the Asimov data of one- and three-bin models with a `normfactor` signal and a
//! `shapesys` background uncertainty).

use diffhep::analysis::asimov_significance_binned;

#[test]
fn asimov_significance_with_background_uncertainty_matches_pyhf() {
    let text = include_str!("reference/pyhf_asimov.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    let list = |c: &serde_json::Value, k: &str| -> Vec<f64> {
        c[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for c in cases {
        let (s, b, sig) = (list(c, "s"), list(c, "b"), list(c, "sigma_b"));
        let want = c["z"].as_f64().unwrap();
        let got = asimov_significance_binned(&s, &b, Some(&sig)).unwrap();
        assert!(
            (got - want).abs() < 1e-9 * want,
            "s {s:?} b {b:?} σ {sig:?}: {got} vs pyhf {want}"
        );
    }
}
