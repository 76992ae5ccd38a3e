//! End-to-end tests of `diffhep xsec` and `diffhep events`.

mod common;
use common::{diffhep, json_with_keys};

#[test]
fn xsec_json_has_the_documented_keys_and_is_deterministic() {
    let args = [
        "xsec",
        "--process",
        "ee_mumu",
        "--sqrt-s",
        "91.188",
        "--events",
        "4000",
        "--seed",
        "5",
        "--json",
    ];
    let v = json_with_keys(
        &args,
        &[
            "process",
            "sqrt_s_gev",
            "sigma_pb",
            "sigma_err_pb",
            "afb",
            "gradient",
        ],
    );
    for p in ["MZ", "WZ", "aEWM1", "Gf", "MT", "WT", "sqrt_s"] {
        assert!(v["gradient"][p].is_number(), "gradient.{p}");
    }
    assert!(v["sigma_pb"].as_f64().unwrap() > 0.0);
    let (first, again) = (diffhep(&args), diffhep(&args));
    assert_eq!(first.stdout, again.stdout);
    // A_FB is null where undefined.
    let w = diffhep(&[
        "xsec",
        "--process",
        "ee_ttbar_wbwb",
        "--sqrt-s",
        "500",
        "--events",
        "200",
        "--json",
    ]);
    let w: serde_json::Value = serde_json::from_slice(&w.stdout).unwrap();
    assert!(w["afb"].is_null());
}

#[test]
fn bad_arguments_exit_nonzero_with_one_line() {
    for args in [
        &["xsec", "--process", "ee_tautau", "--sqrt-s", "91"][..],
        &["xsec", "--process", "ee_ttbar", "--sqrt-s", "200"][..],
        &["xsec", "--process", "ee_mumu", "--sqrt-s", "abc"][..],
        &[
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--param-card",
            "/no/such/card.toml",
        ][..],
        &[
            "events",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--out",
            "/no/such/dir/x.lhe",
        ][..],
    ] {
        let out = diffhep(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error:"), "{err}");
    }
}

#[test]
fn events_writes_a_readable_lhe_file() {
    let path = std::env::temp_dir().join(format!("diffhep-cli-test-{}.lhe", std::process::id()));
    let out = diffhep(&[
        "events",
        "--process",
        "ee_mumu",
        "--sqrt-s",
        "91.188",
        "--events",
        "300",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = diffhep_physics::events::lhe::read_lhe(std::io::BufReader::new(
        std::fs::File::open(&path).unwrap(),
    ))
    .unwrap();
    assert_eq!(f.events.len(), 300);
    assert_eq!(f.init.beam_ids, [11, -11]);
    std::fs::remove_file(path).ok();
}
