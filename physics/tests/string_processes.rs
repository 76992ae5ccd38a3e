//! Processes given as strings, end to end: |M|² at a phase-space point, σ with its Monte Carlo
//! error and gradient, and LHE events (written, read back, four-momentum and colour checked)
//! for more than twenty processes of the general amplitude engine.

use diffhep_physics::collider::cuts::Cuts;
use diffhep_physics::collider::process::Process;
use diffhep_physics::collider::sm::ParamCard;
use diffhep_physics::events::generate::generate;
use diffhep_physics::events::lhe::{read_lhe, write_lhe};
use diffhep_physics::integrate::xsec::{cross_section, XsecConfig};

/// (process, √s in GeV, Monte Carlo points for σ).
const PROCESSES: [(&str, f64, usize); 24] = [
    ("e+ e- > mu+ mu-", 91.188, 2000),
    ("e+ e- > mu+ mu- a", 250.0, 2000),
    ("e+ e- > u u~ g", 250.0, 2000),
    ("e+ e- > j j", 91.188, 2000),
    ("e+ e- > w+ w-", 500.0, 2000),
    ("e+ e- > z h", 500.0, 2000),
    ("e+ e- > z z", 500.0, 2000),
    ("e+ e- > t t~", 500.0, 2000),
    ("e+ e- > t t~, t > w+ b, t~ > w- b~", 500.0, 2000),
    ("e+ e- > b b~ h", 500.0, 2000),
    ("e+ e- > ve ve~ h", 500.0, 2000),
    ("e+ e- > e+ e-", 100.0, 2000),
    ("e+ e- > a a", 100.0, 2000),
    ("e- a > e- a", 100.0, 2000),
    ("u u~ > e+ e- g", 500.0, 2000),
    ("u u~ > w+ w-", 500.0, 2000),
    ("u u~ > z a", 500.0, 2000),
    ("u d~ > w+ g", 500.0, 2000),
    ("g g > u u~", 500.0, 2000),
    ("g g > t t~", 1000.0, 2000),
    ("g g > t t~ g", 1000.0, 300),
    ("g g > g g g", 1000.0, 300),
    ("g g > g g g g", 1000.0, 100),
    ("u g > u g", 500.0, 2000),
];

#[test]
fn string_processes_integrate_and_write_consistent_events() {
    let card = ParamCard::default();
    for (text, sqrt_s, points) in PROCESSES {
        let process = Process::from_string(text, Cuts::default()).unwrap();
        let cfg = XsecConfig {
            events: points,
            seed: 7,
            ..XsecConfig::default()
        };
        let r = cross_section(process.clone(), &card, sqrt_s, &cfg, None)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(
            r.sigma_pb > 0.0 && r.sigma_err_pb > 0.0 && r.sigma_err_pb < r.sigma_pb,
            "{text}: σ = {} ± {}",
            r.sigma_pb,
            r.sigma_err_pb
        );
        let grad_sqrt_s = r.gradient.iter().find(|(n, _)| *n == "sqrt_s").unwrap().1;
        assert!(
            grad_sqrt_s.value.is_finite() && grad_sqrt_s.error.is_finite(),
            "{text}"
        );
        let file = generate(process.clone(), &card, sqrt_s, 20, 3, false)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let bytes = write_lhe(Vec::new(), &file).unwrap();
        let back = read_lhe(&bytes[..]).unwrap();
        assert_eq!(back.events.len(), file.events.len(), "{text}");
        assert_eq!(back.init.beam_ids.to_vec(), process.pdg_initial(), "{text}");
        for ev in &back.events {
            let mut balance = [0.0f64; 4];
            let mut tags: Vec<i32> = Vec::new();
            for p in &ev.particles {
                let sign = if p.status == -1 { 1.0 } else { -1.0 };
                for (b, x) in balance.iter_mut().zip(p.momentum) {
                    *b += sign * x;
                }
                tags.extend(p.colors.iter().filter(|&&c| c != 0));
            }
            assert!(
                balance.iter().all(|b| b.abs() < 1e-9 * sqrt_s),
                "{text}: {balance:?}"
            );
            // every colour line starts and ends: each tag appears exactly twice
            tags.sort();
            for pair in tags.chunks(2) {
                assert!(
                    pair.len() == 2 && pair[0] == pair[1],
                    "{text}: tags {tags:?}"
                );
            }
        }
    }
}

#[test]
fn a_process_string_is_the_same_fab_target_as_the_hand_written_process() {
    // "e- e+ > mu- mu+" without cuts has the hand-written ee_mumu's beams, final state and
    // phase-space map, so its FAB target (log density and its gradient on the unit square) must
    // be the same function.
    use diffhep::fab::Target;
    use diffhep_physics::targets::fab::ProcessTarget;
    let card = ParamCard::default();
    let string = Process::from_string("e- e+ > mu- mu+", Cuts::none()).unwrap();
    let a = ProcessTarget::new(string, &card, 91.188).unwrap();
    let b = ProcessTarget::new(Process::EeMuMu, &card, 91.188).unwrap();
    assert_eq!(a.dim(), b.dim());
    for k in 0..50 {
        let x = [
            (0.013 + 0.618_034 * k as f64).fract(),
            (0.5 + 0.414_214 * k as f64).fract(),
        ];
        let (mut ga, mut gb) = ([0.0; 2], [0.0; 2]);
        let (la, lb) = (
            a.log_prob_and_grad(&x, &mut ga),
            b.log_prob_and_grad(&x, &mut gb),
        );
        assert!(
            (la - lb).abs() < 1e-12 * lb.abs().max(1.0),
            "{x:?}: {la} vs {lb}"
        );
        for (u, v) in ga.iter().zip(&gb) {
            assert!(
                (u - v).abs() < 1e-9 * v.abs().max(1.0),
                "{x:?}: {ga:?} vs {gb:?}"
            );
        }
    }
}
