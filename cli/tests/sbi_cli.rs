//! `diffhep sbi`: JSON keys, determinism and one-line errors (tiny budgets; the C2ST tables are
//! produced by `examples/sbi_table.rs`).

mod common;
use common::diffhep;

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = diffhep(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sbi_json_has_the_documented_keys_and_is_deterministic() {
    let args = [
        "sbi",
        "--task",
        "galton",
        "--method",
        "scandal",
        "--sims",
        "200",
        "--samples",
        "500",
        "--calibration",
        "10",
        "--epochs",
        "5",
        "--json",
    ];
    let v = run_json(&args);
    for key in [
        "task",
        "method",
        "sims",
        "c2st",
        "train_seconds",
        "coverage_error",
        "sbc_ks",
    ] {
        assert!(!v[key].is_null(), "missing {key}: {v}");
    }
    assert_eq!(v["task"], "galton");
    assert_eq!(v["method"], "scandal");
    let c = v["c2st"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&c));
    let w = run_json(&args);
    assert_eq!(v["c2st"], w["c2st"]);
    assert_eq!(v["coverage"], w["coverage"]);
}

#[test]
fn sbi_text_output_and_errors() {
    let out = diffhep(&[
        "sbi",
        "--task",
        "two_moons",
        "--method",
        "npe",
        "--sims",
        "200",
        "--samples",
        "300",
        "--calibration",
        "0",
        "--epochs",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("C2ST"), "{text}");
    assert!(text.contains("flow kept by validation loss"), "{text}");
    for (args, needle) in [
        (vec!["sbi", "--task", "nope"], "unknown task"),
        (vec!["sbi", "--method", "nope"], "unknown method"),
        (
            vec!["sbi", "--method", "rascal", "--sims", "100"],
            "joint scores",
        ),
        (vec!["sbi", "--observations", "0-2"], "--observations"),
        (vec!["sbi", "--sims", "3"], "at least 10 simulations"),
    ] {
        let out = diffhep(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}
