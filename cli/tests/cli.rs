//! The `diffhep` binary: output formats and one-line errors with a non-zero exit.

mod common;
use common::diffhep;

#[test]
fn shower_json_has_deposits_and_gradients_per_layer() {
    let out = diffhep(&[
        "shower",
        "--layers",
        "3",
        "--energy",
        "5",
        "--samples",
        "200",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["deposit"].as_array().unwrap().len(), 3);
    assert_eq!(v["gradient"].as_array().unwrap().len(), 3);
    assert_eq!(v["gradient_se"][2].as_array().unwrap().len(), 3);
    assert_eq!(v["estimator"], "triple");
    // The same seed gives the same numbers (and the default seed is fixed).
    let again = diffhep(&[
        "shower",
        "--layers",
        "3",
        "--energy",
        "5",
        "--samples",
        "200",
        "--json",
    ]);
    let w: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["gradient"], w["gradient"]);
}

#[test]
fn bad_arguments_exit_non_zero_with_one_line() {
    for args in [
        vec!["shower", "--layers", "0"],
        vec!["shower", "--estimator", "magic"],
        vec!["shower", "--samples", "1"],
        vec!["shower", "--energy", "-3"],
        vec!["shower", "--samples", "many"],
        vec![
            "design",
            "calorimeter",
            "--steps",
            "0",
            "--out",
            "/nonexistent-never",
        ],
        vec!["design", "calorimeter", "--estimator", "triple,nope"],
        vec!["frobnicate"],
    ] {
        let out = diffhep(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

#[test]
fn design_writes_history_and_plots() {
    let dir = std::env::temp_dir().join(format!("diffhep-design-test-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let out = diffhep(&[
        "design",
        "calorimeter",
        "--layers",
        "3",
        "--energy",
        "5",
        "--steps",
        "3",
        "--runs-per-step",
        "120",
        "--eval-samples",
        "200",
        "--estimator",
        "triple,score",
        "--out",
        d,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ests = v["estimators"].as_array().unwrap();
    assert_eq!(ests.len(), 2);
    assert_eq!(ests[0]["history"].as_array().unwrap().len(), 4);
    let svg = std::fs::read_to_string(dir.join("objective_vs_runs.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 2);
    assert!(dir.join("history.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lgso_json_reports_calls_and_gradient_bias() {
    let out = diffhep(&[
        "lgso",
        "--dim",
        "2",
        "--steps",
        "3",
        "--designs",
        "4",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dim"], 2);
    assert_eq!(v["steps"], 3);
    assert_eq!(v["sim_calls"], 3 * 4 * 5);
    assert!(v["mean_cosine"].as_f64().unwrap().abs() <= 1.0);
    let bad = diffhep(&["lgso", "--dim", "1"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--dim") && err.contains("1 is not in"),
        "{err}"
    );
}

#[test]
fn invariants_json_reports_correlations_per_network() {
    let out = diffhep(&[
        "invariants",
        "--hidden",
        "4;3,3",
        "--train",
        "100",
        "--test",
        "50",
        "--epochs",
        "20",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["hidden"], serde_json::json!([3, 3]));
    assert!(runs[0]["pearson_mass"].as_f64().unwrap().abs() <= 1.0);
    let bad = diffhep(&["invariants", "--hidden", "4,x"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--hidden 4,x"));
    let bad = diffhep(&["invariants", "--hidden", "0"]);
    assert!(!bad.status.success());
}

#[test]
fn weightnet_json_reports_resolution_before_and_after() {
    let out = diffhep(&[
        "weightnet",
        "--train",
        "10",
        "--test",
        "10",
        "--epochs",
        "2",
        "--hidden",
        "4",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["train_loss"].as_array().unwrap().len(), 2);
    for k in ["unit_weights", "truth_tracks", "before", "after"] {
        assert!(v[k]["median_mm"].as_f64().unwrap() >= 0.0, "{k}");
    }
    let bad = diffhep(&["weightnet", "--train", "0"]);
    assert!(!bad.status.success());
}

#[test]
fn lgso_calorimeter_json_has_bias_per_step() {
    let out = diffhep(&[
        "lgso",
        "--calorimeter",
        "--dim",
        "3",
        "--steps",
        "2",
        "--designs",
        "3",
        "--sims",
        "2",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(v["sim_calls"], 2 * 3 * 2);
    assert!(steps[0]["bias"]["cosine"].as_f64().unwrap().abs() <= 1.0 + 1e-12);
}
