//! Writes the seed files that come from the library API rather than the CLI: param cards (the
//! default card as TOML and JSON, and partial cards), FAB checkpoints of small trained flows,
//! saved flows, saved networks (f64 and f32) and process/method names. Run by `fuzz/seed.sh` as `seedgen <seeds dir>`.

use std::fs;
use std::path::{Path, PathBuf};

use diffhep::fab::{BufferConfig, Method, Trainer};
use diffhep::flows::{Domain, Flow, FlowSpec, Transform};
use diffhep::nn::{Activation, Mlp, MlpSpec};
use diffhep_physics::collider::sm::{ParamCard, PARAM_NAMES};
use diffhep_physics::targets::fab::FabProblem;
use diffhep_physics::Process;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).expect("create the seed folder");
    fs::write(d.join(name), bytes).expect("write a seed");
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: seedgen <seeds dir>"));

    // Param cards: the first byte selects the parser (even, written T: TOML; odd, written K: JSON).
    let card = ParamCard::default();
    // Every parameter, from the list of names (so that a new parameter is written too).
    let toml: String = PARAM_NAMES
        .iter()
        .map(|name| {
            format!(
                "{name} = {:?}\n",
                card.get(name).expect("a listed parameter")
            )
        })
        .collect();
    let json = serde_json::to_string_pretty(&card).expect("the default card serialises");
    write(
        &dir,
        "param_card",
        "default.toml",
        format!("T{toml}").as_bytes(),
    );
    write(
        &dir,
        "param_card",
        "default.json",
        format!("K{json}").as_bytes(),
    );
    write(
        &dir,
        "param_card",
        "partial.toml",
        b"TMT = 172.5\nMH = 125.25\n",
    );
    write(
        &dir,
        "param_card",
        "partial.json",
        b"K{\"MZ\": 91.1876, \"WZ\": 2.4952}",
    );

    // Flows: a spline flow on the unit cube, an affine and a spline flow on R (conditional).
    let flows = [
        (
            "unit_spline.json",
            FlowSpec::new(2, Transform::Spline { bins: 4 }, Domain::UnitCube)
                .with_layers(2)
                .with_hidden(vec![4]),
        ),
        (
            "real_affine_ctx.json",
            FlowSpec::new(3, Transform::Affine, Domain::Real)
                .with_layers(2)
                .with_hidden(vec![5])
                .with_context(1),
        ),
        (
            "real_spline.json",
            FlowSpec::new(1, Transform::Spline { bins: 3 }, Domain::Real)
                .with_layers(1)
                .with_hidden(vec![3, 3]),
        ),
    ];
    for (name, spec) in flows {
        let flow = Flow::new(spec, 7).expect("a valid flow spec");
        write(&dir, "flow", name, flow.to_json().as_bytes());
    }

    // FAB checkpoints: small flows trained for three iterations, as `Trainer::save` writes them.
    let fab_runs = [
        ("gmm40_fab_buffer.json", FabProblem::Gmm40, "fab_buffer"),
        ("ee_mumu_fab.json", FabProblem::EeMuMu, "fab"),
        ("gmm40_reverse_kl.json", FabProblem::Gmm40, "reverse_kl"),
    ];
    for (name, problem, method) in fab_runs {
        let method = match method.parse().expect("a FAB method") {
            Method::FabBuffer(_) => Method::FabBuffer(BufferConfig {
                max_len: 48,
                min_len: 16,
                ..BufferConfig::default()
            }),
            m => m,
        };
        let mut cfg = problem.train_config(method, 5);
        cfg.batch = 16;
        let spec = problem.flow_spec().with_layers(2).with_hidden(vec![6]);
        let flow = Flow::new(spec, 5).expect("a valid flow spec");
        let target = problem
            .target(&ParamCard::default(), problem.default_sqrt_s())
            .expect("a FAB target");
        let mut trainer = Trainer::new(flow, cfg).expect("a valid trainer");
        for _ in 0..3 {
            trainer.step(&*target).expect("a training step");
        }
        let json = serde_json::to_string(&trainer.checkpoint()).expect("a checkpoint serialises");
        write(&dir, "fab_checkpoint", name, json.as_bytes());
        write(
            &dir,
            "flow",
            &format!("trained_{name}"),
            trainer.flow().to_json().as_bytes(),
        );
    }

    // Networks.
    let spec = MlpSpec::new(&[3, 4, 2], Activation::Tanh);
    let net = Mlp::<f64>::new(spec.clone(), 1).expect("a valid network");
    write(
        &dir,
        "network",
        "mlp_f64.safetensors",
        &net.to_safetensors().expect("serialise"),
    );
    let net = Mlp::<f32>::new(spec, 2).expect("a valid network");
    write(
        &dir,
        "network",
        "mlp_f32.safetensors",
        &net.to_safetensors().expect("serialise"),
    );
    let spec = MlpSpec::new(&[1, 2], Activation::LeakyRelu(0.1));
    let net = Mlp::<f64>::new(spec, 3).expect("a valid network");
    write(
        &dir,
        "network",
        "linear_f64.safetensors",
        &net.to_safetensors().expect("serialise"),
    );

    // Names: first byte (mod 5; written as A to E) selects Process, sbi Method, fab Method, EstimatorKind, FabProblem.
    let mut names: Vec<(u8, String)> = Vec::new();
    names.extend(Process::ALL.iter().map(|p| (0, p.name().to_string())));
    names.extend(
        diffhep::sbi::Method::ALL
            .iter()
            .map(|m| (1, m.name().to_string())),
    );
    names.extend(
        diffhep::fab::Method::NAMES
            .iter()
            .map(|m| (2, m.to_string())),
    );
    names.extend(
        diffhep::stochastic::EstimatorKind::ALL
            .iter()
            .map(|k| (3, k.name().to_string())),
    );
    names.push((3, "st".into()));
    names.extend(FabProblem::ALL.iter().map(|p| (4, p.name().to_string())));
    for (sel, name) in names {
        let mut bytes = vec![b'A' + sel];
        bytes.extend(name.as_bytes());
        write(&dir, "names", &format!("{sel}_{name}"), &bytes);
    }
}
