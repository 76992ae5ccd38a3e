//! End-to-end tests of `diffhep fab` with tiny settings.

mod common;
use common::{diffhep, json_with_keys};

fn out_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("diffhep_fab_cli_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn fab_ee_mumu_writes_flow_metrics_and_lhe_and_is_deterministic() {
    let dir = out_dir("mumu");
    let d = dir.to_str().unwrap();
    let args = [
        "fab", "--target", "ee_mumu", "--iters", "3", "--eval", "400", "--seed", "3", "--method",
        "fab", "--out", d, "--json",
    ];
    let v = json_with_keys(
        &args,
        &[
            "target",
            "method",
            "iterations",
            "training_target_evals",
            "log_z",
            "log_z_err",
            "sampling_efficiency",
            "unweighting_efficiency",
            "sigma_pb",
            "sigma_err_pb",
            "unweighted_events",
        ],
    );
    assert_eq!(v["iterations"], 3);
    assert!(v["sigma_pb"].as_f64().unwrap() > 0.0);
    for f in ["flow.json", "checkpoint.json", "metrics.json", "events.lhe"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let lhe = std::fs::read_to_string(dir.join("events.lhe")).unwrap();
    assert!(lhe.contains("<LesHouchesEvents") && lhe.contains("<event>"));
    // The results folder is not overwritten by a second run without --force.
    let refused = diffhep(&args);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("already holds results") && err.contains("--resume"),
        "{err}"
    );
    // Same seed, same numbers (wall time aside).
    let mut forced = args.to_vec();
    forced.push("--force");
    let again: serde_json::Value = serde_json::from_slice(&diffhep(&forced).stdout).unwrap();
    for key in [
        "log_z",
        "sampling_efficiency",
        "training_target_evals",
        "sigma_pb",
    ] {
        assert_eq!(v[key], again[key], "{key}");
    }
    // Resuming the checkpoint continues to --iters in total, in the checkpoint's folder.
    let ck = dir.join("checkpoint.json");
    let r = diffhep(&[
        "fab",
        "--target",
        "ee_mumu",
        "--iters",
        "4",
        "--eval",
        "200",
        "--resume",
        ck.to_str().unwrap(),
        "--json",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let r: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(r["iterations"], 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fab_bad_arguments_exit_nonzero_with_one_line() {
    let dir = out_dir("bad");
    let d = dir.to_str().unwrap();
    for args in [
        vec!["fab", "--target", "nope", "--out", d],
        vec!["fab", "--target", "gmm40", "--method", "nope", "--out", d],
        vec!["fab", "--target", "ee_mumu", "--sqrt-s", "-1", "--out", d],
    ] {
        let out = diffhep(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("error:"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fab_takes_a_process_string_and_its_sigma_agrees_with_xsec() {
    // A 5-dimensional phase space (2 → 3 with MadGraph's default photon cut): the flow's
    // importance-sampled σ is unbiased whatever the training, so it must agree with VEGAS-free
    // `diffhep xsec` within the combined errors.
    let dir = out_dir("string");
    let d = dir.to_str().unwrap();
    let process = "e+ e- > mu+ mu- a";
    let v = json_with_keys(
        &[
            "fab", "--target", process, "--sqrt-s", "100", "--iters", "2", "--eval", "4000",
            "--out", d, "--json",
        ],
        &["target", "sigma_pb", "sigma_err_pb", "unweighted_events"],
    );
    assert_eq!(v["target"], process);
    let lhe = std::fs::read_to_string(dir.join("events.lhe")).unwrap();
    assert!(lhe.contains("<event>"));
    let x = json_with_keys(
        &[
            "xsec",
            "--process",
            process,
            "--sqrt-s",
            "100",
            "--events",
            "40000",
            "--json",
        ],
        &["sigma_pb", "sigma_err_pb"],
    );
    let (a, ea) = (
        v["sigma_pb"].as_f64().unwrap(),
        v["sigma_err_pb"].as_f64().unwrap(),
    );
    let (b, eb) = (
        x["sigma_pb"].as_f64().unwrap(),
        x["sigma_err_pb"].as_f64().unwrap(),
    );
    assert!(
        (a - b).abs() < 5.0 * ea.hypot(eb),
        "FAB {a} ± {ea} vs xsec {b} ± {eb}"
    );
    // The default folder name of a string target is a file-name stem.
    let bad = diffhep(&["fab", "--target", "e+ e- > x", "--out", d]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("unknown particle 'x'"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
