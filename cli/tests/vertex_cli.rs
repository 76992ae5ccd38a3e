//! End-to-end checks of `diffhep vertex`: output shape, determinism, and bad arguments.

mod common;
use common::diffhep;

#[test]
fn json_report_is_complete_and_deterministic() {
    let run = || {
        let out = diffhep(&["vertex", "--jets", "30", "--seed", "5", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("one JSON object")
    };
    let (a, b) = (run(), run());
    for key in [
        "residual_3d_mean_mm",
        "residual_3d_rms_mm",
        "mean_chi2_per_ndf",
        "success_rate",
    ] {
        let v = a[key].as_f64().unwrap_or_else(|| panic!("{key} missing"));
        assert!(v.is_finite() && v >= 0.0, "{key} = {v}");
        // Same seed, same sample, same fits.
        assert_eq!(a[key], b[key], "{key}");
    }
    assert!(a["success_rate"].as_f64().unwrap() <= 1.0);
    assert_eq!(a["jets"], 30);
    // RMS ≥ mean for any sample of non-negative numbers.
    assert!(a["residual_3d_rms_mm"].as_f64() >= a["residual_3d_mean_mm"].as_f64());
}

#[test]
fn bad_arguments_give_one_line_errors() {
    for args in [
        &["vertex", "--jets", "0"][..],
        &["vertex", "--jets", "many"],
        &["vertex"],
        &["vertex", "--jets", "3", "--model", "curly"],
        &[],
    ] {
        let out = diffhep(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    let err = String::from_utf8_lossy(&diffhep(&["vertex", "--jets", "0"]).stderr).to_string();
    assert!(err.contains("'0'"), "names the bad value: {err}");
}
