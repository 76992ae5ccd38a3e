//! Interrupted long jobs and their checkpoints, through the `diffhep` binary: SIGINT and SIGKILL
//! mid-run of `fab`, `design calorimeter` and `sbi`, each followed by `--resume`, must give
//! byte-identical results to an uninterrupted run (timings aside); truncated, corrupted,
//! foreign and other-version checkpoints and occupied output folders must be clear errors.
//!
//! Each case states its expected outcome. A run is interrupted once its checkpoint exists (so
//! the signal lands mid-run, not before the first step); a run that finished before the signal
//! arrived fails the test instead of passing vacuously.

mod common;
use common::diffhep;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("diffhep_interrupt_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// How a run is stopped.
#[derive(Clone, Copy, Debug)]
enum Signal {
    /// Ctrl-C: the job stops at its next step boundary, writes its checkpoint, exits 130.
    Int,
    /// `kill -9`: no chance to clean up; the last checkpoint on disk must be whole.
    Kill,
}

/// Start `diffhep args` in `cwd`, wait until `wait_for` exists (and `extra` more), send
/// `signal`, and require that the run was stopped by it.
fn interrupted(cwd: &Path, args: &[&str], wait_for: &Path, extra: Duration, signal: Signal) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diffhep"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !wait_for.exists() {
        assert!(Instant::now() < deadline, "{wait_for:?} never appeared");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(extra);
    match signal {
        Signal::Int => {
            let pid = child.id().to_string();
            let ok = Command::new("kill").args(["-INT", &pid]).status().unwrap();
            assert!(ok.success());
        }
        Signal::Kill => child.kill().unwrap(),
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    match signal {
        Signal::Int => {
            assert_eq!(
                out.status.code(),
                Some(130),
                "not stopped by SIGINT (finished first?): {err}"
            );
            assert!(
                err.contains("interrupted") && err.contains("resume with: diffhep"),
                "{err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
        Signal::Kill => assert_eq!(
            out.status.signal(),
            Some(9),
            "not killed (finished first?): {err}"
        ),
    }
}

/// Run `diffhep args` in `cwd`; its output and its stderr as text.
fn run_in(cwd: &Path, args: &[&str]) -> (std::process::Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_diffhep"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    (out, err)
}

/// Run `diffhep args` in `cwd`, require success and return stdout.
fn ok_in(cwd: &Path, args: &[&str]) -> String {
    let (out, err) = run_in(cwd, args);
    assert!(out.status.success(), "{args:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

/// Run `diffhep args` in `cwd`, require an error containing `needle`.
fn err_in(cwd: &Path, args: &[&str], needle: &str) {
    let (out, err) = run_in(cwd, args);
    assert!(!out.status.success(), "{args:?} was accepted");
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
}

/// A JSON report without its wall-clock fields and paths.
fn without_timings(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let o = v.as_object_mut().unwrap();
    o.retain(|k, _| {
        !(k.contains("seconds")
            || k.ends_with("_s")
            || matches!(
                k.as_str(),
                "samples_per_second" | "checkpoint" | "flow" | "lhe"
            ))
    });
    v
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const FAB: [&str; 9] = [
    "fab", "--target", "ee_mumu", "--iters", "150", "--eval", "1000", "--json", "--out",
];

#[test]
fn fab_interrupted_by_sigint_or_sigkill_resumes_to_the_uninterrupted_results() {
    let d = scratch("fab");
    let mut args = FAB.to_vec();
    args.push("full");
    let full = without_timings(&ok_in(&d, &args));
    for (name, signal, extra) in [
        ("int", Signal::Int, Duration::from_millis(500)),
        // After the first periodic checkpoint (every 2 s), so the resume starts mid-run.
        ("kill", Signal::Kill, Duration::from_millis(2600)),
    ] {
        let mut args = FAB.to_vec();
        args.push(name);
        interrupted(
            &d,
            &args,
            &d.join(name).join("checkpoint.json"),
            extra,
            signal,
        );
        let ck = format!("{name}/checkpoint.json");
        let resumed = without_timings(&ok_in(&d, &["fab", "--resume", &ck, "--json"]));
        assert_eq!(resumed, full, "{name}");
        for f in ["events.lhe", "flow.json", "checkpoint.json", "run.json"] {
            assert!(
                read(&d.join(name).join(f)) == read(&d.join("full").join(f)),
                "{name}: {f} differs from the uninterrupted run's"
            );
        }
    }
    // No temporary file is left behind.
    for e in std::fs::read_dir(d.join("kill")).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        assert!(!n.ends_with(".tmp"), "{n}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

const CALO: [&str; 9] = [
    "design",
    "calorimeter",
    "--steps",
    "12",
    "--runs-per-step",
    "400",
    "--eval-samples",
    "800",
    "--out",
];

#[test]
fn design_calorimeter_interrupted_resumes_to_the_same_history_and_plots() {
    let d = scratch("calo");
    let mut args = CALO.to_vec();
    args.push("full");
    ok_in(&d, &args);
    for (name, signal) in [("int", Signal::Int), ("kill", Signal::Kill)] {
        let mut args = CALO.to_vec();
        args.push(name);
        let ck = d.join(name).join("checkpoint.json");
        interrupted(&d, &args, &ck, Duration::from_millis(300), signal);
        let ck = format!("{name}/checkpoint.json");
        ok_in(
            &d,
            &["design", "calorimeter", "--resume", &ck, "--out", name],
        );
        for f in [
            "history.json",
            "objective_vs_step.svg",
            "objective_vs_runs.svg",
            "checkpoint.json",
        ] {
            assert!(
                read(&d.join(name).join(f)) == read(&d.join("full").join(f)),
                "{name}: {f} differs from the uninterrupted run's"
            );
        }
    }
    // Settings cannot be changed on resume; a second run into a full folder is refused.
    err_in(
        &d,
        &[
            "design",
            "calorimeter",
            "--resume",
            "full/checkpoint.json",
            "--steps",
            "3",
        ],
        "cannot be used with",
    );
    err_in(&d, &args_with(&CALO, "full"), "already holds results");
    let _ = std::fs::remove_dir_all(&d);
}

fn args_with<'a>(base: &[&'a str], last: &'a str) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.push(last);
    v
}

const SBI: [&str; 13] = [
    "sbi",
    "--sims",
    "500",
    "--epochs",
    "30",
    "--observations",
    "1-6",
    "--samples",
    "300",
    "--calibration",
    "10",
    "--json",
    "--checkpoint",
];

#[test]
fn sbi_interrupted_resumes_to_the_same_report() {
    let d = scratch("sbi");
    let full = without_timings(&ok_in(&d, &args_with(&SBI, "full.json")));
    for (name, signal) in [("int.json", Signal::Int), ("kill.json", Signal::Kill)] {
        interrupted(
            &d,
            &args_with(&SBI, name),
            &d.join(name),
            Duration::from_millis(50),
            signal,
        );
        let resumed = without_timings(&ok_in(&d, &["sbi", "--resume", name, "--json"]));
        assert_eq!(resumed, full, "{name}");
    }
    // The checkpoint of a finished run is not overwritten by a new run.
    err_in(&d, &args_with(&SBI, "full.json"), "already exists");
    let _ = std::fs::remove_dir_all(&d);
}

/// Write `text` to `dir/name` and return the path as a string.
fn file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_checkpoints_and_output_folders_are_clear_errors() {
    let d = scratch("bad");
    // A real FAB run to corrupt.
    ok_in(
        &d,
        &[
            "fab", "--target", "ee_mumu", "--iters", "3", "--eval", "200", "--out", "good",
        ],
    );
    let good = String::from_utf8(read(&d.join("good/checkpoint.json"))).unwrap();
    let run_json = String::from_utf8(read(&d.join("good/run.json"))).unwrap();
    let fab_case = |name: &str, text: &str, needle: &str| {
        let ck = file(&d, &format!("{name}/checkpoint.json"), text);
        file(&d, &format!("{name}/run.json"), &run_json);
        err_in(&d, &["fab", "--resume", &ck], needle);
    };
    fab_case("truncated", &good[..good.len() / 2], "checkpoint");
    fab_case("empty", "", "checkpoint");
    fab_case("garbage", "\u{0}\u{1}not json at all", "checkpoint");
    fab_case(
        "newer",
        &good.replacen("\"version\":1,", "\"version\":99,", 1),
        "another diffhep version",
    );
    // A checkpoint without the run.json of its folder.
    let lonely = file(&d, "lonely/checkpoint.json", &good);
    err_in(&d, &["fab", "--resume", &lonely], "run.json");
    // Resumed with another target or energy than it was trained on.
    err_in(
        &d,
        &[
            "fab",
            "--resume",
            "good/checkpoint.json",
            "--target",
            "gmm40",
        ],
        "trained on target ee_mumu",
    );
    err_in(
        &d,
        &["fab", "--resume", "good/checkpoint.json", "--sqrt-s", "200"],
        "trained at √s",
    );
    // Settings of the trainer cannot be changed on resume.
    err_in(
        &d,
        &["fab", "--resume", "good/checkpoint.json", "--seed", "5"],
        "cannot be used with",
    );
    // --iters is the total: below the checkpoint's iteration is an error.
    err_in(
        &d,
        &["fab", "--resume", "good/checkpoint.json", "--iters", "2"],
        "already at iteration 3",
    );
    // Output folder: occupied (refused without --force), or a file.
    err_in(
        &d,
        &[
            "fab", "--target", "ee_mumu", "--iters", "1", "--out", "good",
        ],
        "already holds results",
    );
    let plain = file(&d, "a_file", "x");
    err_in(
        &d,
        &[
            "fab", "--target", "ee_mumu", "--iters", "1", "--out", &plain,
        ],
        "is a file",
    );
    // Design study checkpoints: truncated, another version, and an occupied folder.
    let design_ck = file(&d, "design/checkpoint.json", "{\"config\": {\"sim");
    err_in(
        &d,
        &["design", "--resume", &design_ck, "--out", "design"],
        "checkpoint",
    );
    file(&d, "occupied/report.md", "earlier results");
    err_in(
        &d,
        &["design", "--out", "occupied"],
        "already holds results",
    );
    let calo_ck = file(
        &d,
        "calo/checkpoint.json",
        "{\"version\": 2, \"settings\": {}",
    );
    err_in(
        &d,
        &[
            "design",
            "calorimeter",
            "--resume",
            &calo_ck,
            "--out",
            "calo",
        ],
        "not a calorimeter-study checkpoint",
    );
    // SBI checkpoints: truncated, another version, finished phases that contradict settings.
    let sbi_args = [
        "sbi",
        "--sims",
        "100",
        "--epochs",
        "2",
        "--samples",
        "50",
        "--calibration",
        "0",
        "--checkpoint",
        "s.json",
    ];
    ok_in(&d, &sbi_args);
    let s = String::from_utf8(read(&d.join("s.json"))).unwrap();
    let t = file(&d, "s_trunc.json", &s[..s.len() - 10]);
    err_in(&d, &["sbi", "--resume", &t], "SBI checkpoint");
    let v = file(
        &d,
        "s_version.json",
        &s.replacen("\"version\": 1", "\"version\": 3", 1),
    );
    err_in(&d, &["sbi", "--resume", &v], "another diffhep version");
    let o = file(
        &d,
        "s_obs.json",
        &s.replacen("\"observation\": 1", "\"observation\": 4", 1),
    );
    err_in(&d, &["sbi", "--resume", &o], "do not match");
    // An observation that does not exist is refused before any simulation.
    err_in(&d, &["sbi", "--observations", "0"], "unknown observation 0");
    err_in(
        &d,
        &["sbi", "--observations", "3-11"],
        "unknown observation 11",
    );
    // A checkpoint that does not exist is named.
    err_in(
        &d,
        &["design", "--resume", "/nonexistent/ck.json"],
        "/nonexistent/ck.json",
    );
    let out = diffhep(&["sbi", "--resume", "/nonexistent/s.json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/s.json"));
    let _ = std::fs::remove_dir_all(&d);
}
