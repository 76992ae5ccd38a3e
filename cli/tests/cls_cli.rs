//! `diffhep cls` on the pyhf reference workspaces (`tests/reference/pyhf_histfactory.json` of
//! the engine crate, made by pyhf 0.7.6): CLs and its expected band as pyhf's `hypotest`, and
//! bad input.

mod common;
use common::{diffhep, json_with_keys};

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../tests/reference/pyhf_histfactory.json")).unwrap()
}

#[test]
fn cls_of_the_reference_workspaces_matches_pyhf() {
    let v = reference();
    for (k, m) in v["models"].as_array().unwrap().iter().enumerate() {
        let path =
            std::env::temp_dir().join(format!("diffhep_cls_{}_{k}.json", std::process::id()));
        std::fs::write(&path, m["workspace"].to_string()).unwrap();
        let want = &m["cls"]["1.0"];
        let got = json_with_keys(
            &["cls", path.to_str().unwrap(), "--mu", "1", "--json"],
            &[
                "CLs_obs",
                "CLs_exp",
                "CLsb",
                "CLb",
                "best_fit",
                "conditional_fit",
                "poi",
            ],
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1e-3);
        assert!(
            close(
                got["CLs_obs"].as_f64().unwrap(),
                want["cls"].as_f64().unwrap()
            ),
            "{got}"
        );
        for (a, b) in got["CLs_exp"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["expected"].as_array().unwrap())
        {
            assert!(
                close(a.as_f64().unwrap(), b.as_f64().unwrap()),
                "{a} vs {b}"
            );
        }
        let poi = &m["workspace"]["measurements"][0]["config"]["poi"];
        assert_eq!(&got["poi"], poi);
        assert_eq!(got["conditional_fit"][poi.as_str().unwrap()], 1.0);
        // The text output names the best fit and the profiled nuisance parameters.
        let out = diffhep(&["cls", path.to_str().unwrap()]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("CLs observed") && text.contains("profiled"),
            "{text}"
        );
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn bad_workspaces_and_values_exit_nonzero_with_one_line() {
    let dir = std::env::temp_dir();
    let broken = dir.join(format!("diffhep_cls_broken_{}.json", std::process::id()));
    std::fs::write(&broken, "{\"channels\": [").unwrap();
    let good = dir.join(format!("diffhep_cls_good_{}.json", std::process::id()));
    std::fs::write(&good, reference()["models"][1]["workspace"].to_string()).unwrap();
    for (args, message) in [
        (vec!["cls", "/nonexistent/ws.json"], "No such file"),
        (vec!["cls", broken.to_str().unwrap()], "workspace JSON"),
        (
            vec!["cls", good.to_str().unwrap(), "--mu", "-1"],
            "must be finite and ≥ 0",
        ),
        (
            vec!["cls", good.to_str().unwrap(), "--measurement", "x"],
            "no measurement named 'x'",
        ),
    ] {
        let out = diffhep(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let _ = std::fs::remove_file(&broken);
    let _ = std::fs::remove_file(&good);
}
