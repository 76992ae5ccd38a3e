//! End-to-end tests of `diffhep me` and `diffhep processes`.

mod common;
use common::{diffhep, json_with_keys};

/// A temporary file with `text`, removed on drop.
struct Temp(std::path::PathBuf);

impl Temp {
    fn new(name: &str, text: &str) -> Temp {
        let p = std::env::temp_dir().join(format!("diffhep-me-{}-{name}", std::process::id()));
        std::fs::write(&p, text).unwrap();
        Temp(p)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// e+e- → μ+μ- at √s = 500 GeV, cos θ = 0.3, as the points file.
fn mumu_points() -> String {
    let (e, c) = (250.0f64, 0.3f64);
    let s = (1.0 - c * c).sqrt();
    format!(
        "[[[{e},0,0,{e}],[{e},0,0,-{e}],[{e},{},0,{}],[{e},{},0,{}]]]",
        e * s,
        e * c,
        -e * s,
        -e * c
    )
}

#[test]
fn me_matches_the_point_like_qed_limit_shape_and_its_card_gradient_matches_finite_differences() {
    let pts = Temp::new("mumu.json", &mumu_points());
    let args = [
        "me",
        "--process",
        "e+ e- > mu+ mu-",
        "--momenta",
        pts.path(),
        "--gradient",
        "--json",
    ];
    let v = json_with_keys(
        &args,
        &[
            "process",
            "subprocess",
            "identical_particle_factor",
            "points",
        ],
    );
    let p = &v["points"][0];
    let msq = p["msq"].as_f64().unwrap();
    // γ + Z at 500 GeV: same order as the pure-QED e⁴(1 + cos²θ) (e² = 4π/132.507).
    let e2 = 4.0 * std::f64::consts::PI / 132.507;
    let qed = e2 * e2 * (1.0 + 0.09);
    assert!(msq > 0.5 * qed && msq < 2.0 * qed, "{msq} vs {qed}");
    assert_eq!(v["identical_particle_factor"].as_f64(), Some(1.0));
    // ∂|M|²/∂MZ against a central difference of two runs with changed cards.
    let d_mz = p["d_params"]["MZ"].as_f64().unwrap();
    let h = 1e-3;
    let run = |mz: f64| {
        let card = Temp::new(&format!("card-{mz}.toml"), &format!("MZ = {mz}\n"));
        let v = json_with_keys(
            &[
                "me",
                "--process",
                "e+ e- > mu+ mu-",
                "--momenta",
                pts.path(),
                "--param-card",
                card.path(),
                "--json",
            ],
            &["points"],
        );
        v["points"][0]["msq"].as_f64().unwrap()
    };
    let fd = (run(91.188 + h) - run(91.188 - h)) / (2.0 * h);
    assert!((d_mz - fd).abs() < 1e-5 * d_mz.abs(), "{d_mz} vs {fd}");
    assert_eq!(p["d_momenta"].as_array().unwrap().len(), 4);
    // The complex-mass scheme changes |M|² at O(Γ_Z/M_Z) here.
    let mut cms_args = args.to_vec();
    cms_args.push("--complex-mass");
    let v = json_with_keys(&cms_args, &["points"]);
    let cms = v["points"][0]["msq"].as_f64().unwrap();
    assert!(
        (cms - msq).abs() > 1e-8 * msq && (cms - msq).abs() < 0.1 * msq,
        "{cms} vs {msq}"
    );
}

#[test]
fn processes_lists_subprocesses_flows_and_orders() {
    let v = json_with_keys(
        &["processes", "--process", "g g > g g g", "--json"],
        &["subprocesses"],
    );
    let s = &v["subprocesses"][0];
    assert_eq!(s["subprocess"], "g g > g g g");
    assert_eq!(
        s["colour_flows"], 24,
        "(n − 1)! colour orderings of 5 gluons"
    );
    assert_eq!(s["orders_qcd_qed"], serde_json::json!([[3, 0]]));
    let v = json_with_keys(
        &["processes", "--process", "e+ e- > j j", "--json"],
        &["subprocesses"],
    );
    assert_eq!(v["subprocesses"].as_array().unwrap().len(), 4);
}

#[test]
fn bad_processes_and_momenta_are_refused_with_the_reason() {
    let pts = Temp::new("ok.json", &mumu_points());
    let fail = |args: &[&str], needle: &str| {
        let out = diffhep(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    };
    fail(
        &["me", "--process", "e+ e- > mu+ x", "--momenta", pts.path()],
        "unknown particle 'x'",
    );
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu+",
            "--momenta",
            pts.path(),
        ],
        "charge is not conserved",
    );
    fail(
        &[
            "me",
            "--process",
            "u u~ > g g QCD=1",
            "--momenta",
            pts.path(),
        ],
        "no diagram",
    );
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu- a",
            "--momenta",
            pts.path(),
        ],
        "4 momenta given",
    );
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu-",
            "--momenta",
            "/nonexistent.json",
        ],
        "--momenta /nonexistent.json",
    );
    let truncated = Temp::new("trunc.json", &mumu_points()[..40]);
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu-",
            "--momenta",
            truncated.path(),
        ],
        "expected a JSON list of points",
    );
    let off = Temp::new(
        "off.json",
        "[[[250,0,0,250],[250,0,0,-250],[250,100,0,200],[250,-100,0,-200]]]",
    );
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu-",
            "--momenta",
            off.path(),
        ],
        "off shell",
    );
    let unbalanced = Temp::new(
        "unb.json",
        "[[[250,0,0,250],[250,0,0,-250],[250,0,0,250],[250,0,0,250]]]",
    );
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu-",
            "--momenta",
            unbalanced.path(),
        ],
        "not conserved",
    );
    fail(
        &[
            "me",
            "--process",
            "e+ e- > mu+ mu-",
            "--momenta",
            pts.path(),
            "--subprocess",
            "3",
        ],
        "has 1 subprocesses",
    );
}

#[test]
fn events_of_a_process_string_carry_colour_flows_and_optional_helicities() {
    let dir = std::env::temp_dir().join(format!("diffhep-me-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let run = |file: &str, extra: &[&str]| {
        let mut args = vec![
            "events",
            "--process",
            "e+ e- > u u~ g",
            "--sqrt-s",
            "500",
            "--events",
            "50",
            "--out",
            file,
        ];
        args.extend_from_slice(extra);
        let o = diffhep(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(file).unwrap()
    };
    // SPINUP is the last column of a particle line (13 columns).
    let spins = |text: &str| -> Vec<f64> {
        text.lines()
            .filter(|l| l.split_whitespace().count() == 13)
            .map(|l| l.split_whitespace().last().unwrap().parse().unwrap())
            .collect()
    };
    let plain = run(&out("plain.lhe"), &[]);
    assert!(spins(&plain).iter().all(|&s| s == 9.0));
    assert!(plain.contains(" 501 "), "colour tags written");
    let hel = run(&out("hel.lhe"), &["--helicities", "--cut", "ptj=30"]);
    let s = spins(&hel);
    assert!(
        !s.is_empty() && s.iter().all(|&x| x == 1.0 || x == -1.0),
        "{s:?}"
    );
    let o = diffhep(&[
        "events",
        "--process",
        "ee_mumu",
        "--sqrt-s",
        "91",
        "--events",
        "10",
        "--helicities",
        "--out",
        &out("x.lhe"),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--helicities applies to process strings"));
    let o = diffhep(&[
        "xsec",
        "--process",
        "ee_mumu",
        "--sqrt-s",
        "91",
        "--cut",
        "ptj=3",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("--cut, --run-card and --complex-mass apply to process strings"));
    let o = diffhep(&[
        "xsec",
        "--process",
        "e+ e- > u u~ g",
        "--sqrt-s",
        "91",
        "--cut",
        "ptq=3",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown cut 'ptq'"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_gauge_is_refused_naming_the_choices() {
    let pts = Temp::new("gauge.json", &mumu_points());
    for args in [
        vec![
            "me",
            "--process",
            "e+ e- > mu+ mu-",
            "--momenta",
            pts.path(),
            "--gauge",
            "axial",
        ],
        vec![
            "processes",
            "--process",
            "e+ e- > mu+ mu-",
            "--gauge",
            "axial",
        ],
    ] {
        let out = diffhep(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("unknown gauge 'axial' (expected unitary or feynman)"),
            "{args:?}: {err}"
        );
    }
    // Feynman gauge builds and evaluates the same |M|² for a process without Goldstone couplings
    // to its external states.
    let unitary = diffhep(&[
        "me",
        "--process",
        "e+ e- > mu+ mu-",
        "--momenta",
        pts.path(),
        "--json",
    ]);
    let feynman = diffhep(&[
        "me",
        "--process",
        "e+ e- > mu+ mu-",
        "--momenta",
        pts.path(),
        "--json",
        "--gauge",
        "feynman",
    ]);
    assert!(unitary.status.success() && feynman.status.success());
    let u: serde_json::Value = serde_json::from_slice(&unitary.stdout).unwrap();
    let f: serde_json::Value = serde_json::from_slice(&feynman.stdout).unwrap();
    let (a, b) = (
        u["points"][0]["msq"].as_f64().unwrap(),
        f["points"][0]["msq"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-12 * a, "{a} vs {b}");
}
