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

/// What a run with a deadline gave: the output, or `None` if the binary was still running at
/// the deadline (it is then killed).
#[allow(dead_code)] // not every test binary uses it
pub struct Timed {
    /// The captured output; `None` on a hang.
    pub output: Option<Output>,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
}

/// Run `diffhep` with `args` in `dir`, with the extra environment `env`, and kill it if it has
/// not finished after `timeout`. Stdout and stderr are read on their own threads, so a chatty
/// run cannot block on a full pipe.
#[allow(dead_code)] // not every test binary uses it
pub fn diffhep_timed(
    args: &[&str],
    dir: &std::path::Path,
    env: &[(&str, &str)],
    timeout: std::time::Duration,
) -> Timed {
    use std::io::Read;
    use std::process::Stdio;
    let start = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_diffhep"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the diffhep binary starts");
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            pipe.read_to_end(&mut buf).map(|_| buf)
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let err = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for diffhep") {
            break Some(status);
        }
        if start.elapsed() > timeout {
            // Kill only the child this helper started, by its handle.
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let stdout = out.join().expect("stdout reader").unwrap_or_default();
    let stderr = err.join().expect("stderr reader").unwrap_or_default();
    Timed {
        output: status.map(|status| Output {
            status,
            stdout,
            stderr,
        }),
        elapsed: start.elapsed(),
    }
}
