//! Shared helper of the CLI tests: run the `diffhep` binary.

use std::process::{Command, Output};

/// Run `diffhep` with `args` and capture its output.
pub fn diffhep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_diffhep"))
        .args(args)
        .output()
        .expect("the diffhep binary runs")
}

/// Run `diffhep` with `args`, require success, parse stdout as JSON and require every key.
#[allow(dead_code)] // not every test binary uses it
pub fn json_with_keys(args: &[&str], keys: &[&str]) -> serde_json::Value {
    let out = diffhep(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for key in keys {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    v
}
