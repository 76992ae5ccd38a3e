//! `diffhep design`: default config, tiny end-to-end run with its results folder, resume,
//! configuration errors naming the field.

use std::path::{Path, PathBuf};
use std::process::Command;

use diffhep_physics::design::detector::StudyConfig;

fn diffhep(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_diffhep"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("diffhep-design-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The default configuration with small samples, written to `dir/tiny.toml`.
fn tiny_config(dir: &Path) -> String {
    let mut c = StudyConfig::default_study();
    c.sample.vertex_events = 200;
    c.sample.shower_samples = 20;
    c.sample.eval_vertex_events = 300;
    c.sample.eval_shower_samples = 200;
    c.optimizer.steps = 3;
    let p = dir.join("tiny.toml");
    std::fs::write(&p, c.to_toml()).unwrap();
    p.to_str().unwrap().to_string()
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn print_default_config_is_the_embedded_default() {
    let out = diffhep(&["design", "--print-default-config"]);
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        StudyConfig::from_toml(&text).unwrap(),
        StudyConfig::default_study()
    );
}

#[test]
fn tiny_study_writes_the_results_folder() {
    let dir = scratch("tiny");
    let cfg = tiny_config(&dir);
    let out_dir = dir.join("out");
    let out = diffhep(&[
        "design",
        "--config",
        &cfg,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("objective") && stdout.contains('%'),
        "{stdout}"
    );
    for f in [
        "history.jsonl",
        "final_design.json",
        "checkpoint.json",
        "config.toml",
        "objective.svg",
        "parameters.svg",
        "resolution.svg",
        "resolution_vs_step.svg",
        "report.md",
    ] {
        assert!(out_dir.join(f).is_file(), "{f} missing");
    }
    let history = std::fs::read_to_string(out_dir.join("history.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    assert_eq!(records[3]["step"], 3);
    let fin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("final_design.json")).unwrap())
            .unwrap();
    let j0 = records[0]["evaluation"]["objective"].as_f64().unwrap();
    let j3 = records[3]["evaluation"]["objective"].as_f64().unwrap();
    let rel = fin["relative_improvement"].as_f64().unwrap();
    assert_eq!(rel, (j0 - j3) / j0.abs());
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(
        report.contains(&format!("{:.1} % lower", 100.0 * rel)),
        "{report}"
    );
    for link in ["(objective.svg)", "(parameters.svg)", "(resolution.svg)"] {
        assert!(report.contains(link), "{link}");
    }
    let svg = std::fs::read_to_string(out_dir.join("resolution.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resumed_run_writes_the_same_history_as_a_straight_run() {
    let dir = scratch("resume");
    let cfg = tiny_config(&dir);
    let path = |n: &str| dir.join(n).to_str().unwrap().to_string();
    ok(&diffhep(&[
        "design",
        "--config",
        &cfg,
        "--steps",
        "1",
        "--out",
        &path("a"),
    ]));
    let ck = path("a/checkpoint.json");
    ok(&diffhep(&[
        "design",
        "--resume",
        &ck,
        "--steps",
        "3",
        "--out",
        &path("b"),
    ]));
    ok(&diffhep(&[
        "design",
        "--config",
        &cfg,
        "--steps",
        "3",
        "--out",
        &path("c"),
    ]));
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    assert_eq!(read("b/history.jsonl").lines().count(), 4);
    assert_eq!(read("b/history.jsonl"), read("c/history.jsonl"));
    assert_eq!(read("b/checkpoint.json"), read("c/checkpoint.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn invalid_config_names_the_field() {
    let dir = scratch("invalid");
    let bad = StudyConfig::default_study().to_toml().replacen(
        "hit_resolution_um = 10.0",
        "hit_resolution_um = -2.0",
        1,
    );
    assert!(bad.contains("-2.0"));
    let p = dir.join("bad.toml");
    std::fs::write(&p, bad).unwrap();
    let out = diffhep(&["design", "--config", p.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tracker.hit_resolution_um"), "{err}");
    let missing = diffhep(&[
        "design",
        "--config",
        dir.join("nope.toml").to_str().unwrap(),
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.toml"));
    let both = diffhep(&["design", "--config", "x.toml", "--resume", "y.json"]);
    assert!(!both.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn objective_flag_selects_the_physics_term_and_refuses_unknown_names() {
    let dir = scratch("objective");
    let cfg = tiny_config(&dir);
    for kind in ["significance", "eig"] {
        let out_dir = dir.join(kind);
        let out = diffhep(&[
            "design",
            "--config",
            &cfg,
            "--objective",
            kind,
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        ok(&out);
        let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        assert!(
            report.contains(&format!("(objective: {kind})"))
                && report.contains("expected significance Z_A"),
            "{report}"
        );
        let toml = std::fs::read_to_string(out_dir.join("config.toml")).unwrap();
        assert!(toml.contains(&format!("kind = \"{kind}\"")), "{toml}");
    }
    let out = diffhep(&[
        "design",
        "--config",
        &cfg,
        "--objective",
        "resolutoin",
        "--out",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown objective 'resolutoin'"), "{err}");
    let bad = StudyConfig::default_study().to_toml().replacen(
        "flight_um = 2000.0",
        "flight_um = -1.0",
        1,
    );
    let p = dir.join("bad_analysis.toml");
    std::fs::write(&p, bad).unwrap();
    let out = diffhep(&["design", "--config", p.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("objective.analysis.flight_um"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compare_runs_every_objective_with_its_baseline_side_by_side() {
    let dir = scratch("compare");
    let cfg = tiny_config(&dir);
    let out_dir = dir.join("out");
    let out = diffhep(&[
        "design",
        "--config",
        &cfg,
        "--compare",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    ok(&out);
    let table = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    for kind in ["resolution", "significance", "eig"] {
        assert!(
            table.contains(&format!("{kind} (Adam)"))
                && table.contains(&format!("{kind} (Nelder–Mead)"))
                && table.contains(&format!("J under {kind}")),
            "{table}"
        );
        let base: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out_dir.join(kind).join("baseline.json")).unwrap(),
        )
        .unwrap();
        // The baseline spends exactly the gradient run's number of steps (3) as evaluations.
        assert_eq!(base["evaluations"], 3, "{base}");
        let report = std::fs::read_to_string(out_dir.join(kind).join("report.md")).unwrap();
        assert!(report.contains("Gradient-free baseline"), "{report}");
    }
    // A second comparison into the same folder is refused: nothing is overwritten.
    let again = diffhep(&[
        "design",
        "--config",
        &cfg,
        "--compare",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
