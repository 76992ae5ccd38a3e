use super::*;
use crate::events::unweight::{hit_or_miss, unweight};
use crate::phase_space::resonant::TopPairMap;
use crate::phase_space::PhaseSpace;

const MW: f64 = 80.419002;

fn init(strategy: i32) -> LheInit {
    LheInit {
        beam_ids: [11, -11],
        beam_energies: [250.0, 250.0],
        pdf_groups: [0, 0],
        pdf_sets: [0, 0],
        weight_strategy: strategy,
        processes: vec![
            LheProcess {
                xsec: 0.5514,
                xsec_err: 1.2e-3,
                max_weight: 2.75,
                id: 1,
            },
            LheProcess {
                xsec: 0.0312,
                xsec_err: 4.0e-5,
                max_weight: 0.1,
                id: 2,
            },
        ],
    }
}

/// Events from the phase-space maps: e⁺e⁻ → μ⁺μ⁻ (process 1) and e⁺e⁻ → t t̄ → b W⁺ b̄ W⁻
/// (process 2, with the tops as intermediate resonances), with weights that vary.
fn events(n: usize) -> Vec<LheEvent> {
    let sqrt_s = 500.0;
    let beams = |e: f64| {
        [
            LheParticle::new(11, -1, [0, 0], &FourVector::new(e, 0.0, 0.0, e), 0.0),
            LheParticle::new(-11, -1, [0, 0], &FourVector::new(e, 0.0, 0.0, -e), 0.0),
        ]
    };
    let two = PhaseSpace::massless(2).unwrap();
    let tt = TopPairMap::new(173.0, 1.4915, MW).unwrap();
    (0..n)
        .map(|i| {
            let u = (i as f64 + 0.5) / n as f64;
            let mut particles = beams(sqrt_s / 2.0).to_vec();
            if i % 2 == 0 {
                let pt = two.generate(sqrt_s, &[u, 1.0 - u * u]).unwrap();
                particles.push(LheParticle::new(13, 1, [1, 2], &pt.momenta[0], 0.0));
                particles.push(LheParticle::new(-13, 1, [1, 2], &pt.momenta[1], 0.0));
                LheEvent {
                    process_id: 1,
                    weight: pt.weight * (1.0 + u),
                    scale: sqrt_s,
                    alpha_qed: 1.0 / 132.507,
                    alpha_qcd: 0.118,
                    particles,
                }
            } else {
                let x: Vec<f64> = (0..8)
                    .map(|k| (u * (k + 2) as f64).fract().max(1e-3))
                    .collect();
                let pt = tt.generate(sqrt_s, &x).unwrap();
                let p = &pt.momenta;
                let t = p[0].clone() + p[1].clone();
                let tbar = p[2].clone() + p[3].clone();
                let mut top = LheParticle::new(6, 2, [1, 2], &t, t.m());
                top.colors = [501, 0];
                let mut antitop = LheParticle::new(-6, 2, [1, 2], &tbar, tbar.m());
                antitop.colors = [0, 501];
                particles.extend([top, antitop]);
                let mut b = LheParticle::new(5, 1, [3, 3], &p[0], 0.0);
                b.colors = [501, 0];
                b.spin = -1.0;
                let mut bbar = LheParticle::new(-5, 1, [4, 4], &p[2], 0.0);
                bbar.colors = [0, 501];
                particles.push(b);
                particles.push(LheParticle::new(24, 1, [3, 3], &p[1], MW));
                particles.push(bbar);
                particles.push(LheParticle::new(-24, 1, [4, 4], &p[3], MW));
                LheEvent {
                    process_id: 2,
                    weight: pt.weight,
                    scale: 173.0,
                    alpha_qed: 1.0 / 132.507,
                    alpha_qcd: 0.1,
                    particles,
                }
            }
        })
        .collect()
}

fn write_to_string(file: &LheFile) -> String {
    String::from_utf8(write_lhe(Vec::new(), file).unwrap()).unwrap()
}

#[test]
fn weighted_and_unweighted_files_round_trip() {
    let weighted = LheFile {
        init: init(-4),
        events: events(40),
    };
    let text = write_to_string(&weighted);
    assert!(text.starts_with("<LesHouchesEvents version=\"3.0\">\n"));
    assert!(text.trim_end().ends_with("</LesHouchesEvents>"));
    assert_eq!(text.matches("<event>").count(), 40);
    let back = read_lhe(text.as_bytes()).unwrap();
    // 17 significant digits: the same events bit for bit.
    assert_eq!(back, weighted);
    // Momenta read back are the generated ones and still conserve momentum.
    let ev = &back.events[1];
    let sum = ev.particles[4..]
        .iter()
        .fold(FourVector::new(-500.0, 0.0, 0.0, 0.0), |a, p| {
            a + p.four_vector()
        });
    assert!([sum.e, sum.px, sum.py, sum.pz]
        .iter()
        .all(|c| c.abs() < 1e-10));

    let unweighted = LheFile {
        init: init(3),
        events: unweight(&weighted.events, None, 7).unwrap(),
    };
    assert!(!unweighted.events.is_empty());
    let back = read_lhe(write_to_string(&unweighted).as_bytes()).unwrap();
    assert_eq!(back, unweighted);
}

#[test]
fn reads_foreign_conventions() {
    // Version 1.0, a header, comments, Fortran D exponents, an optional block in <init> and
    // <event>, blank lines, and an event tag with attributes.
    let text = "\
<LesHouchesEvents version=\"1.0\">
<header>
<MGVersion> 3.5 </MGVersion>
</header>
<init>
   11   -11  4.5594000D+01  4.5594000D+01 0 0 0 0 3 1
  1.5D+03  2.0D+00  1.0D+00  81
<generator name='X'>v1</generator>
</init>

<event id=\"1\">
 4  81  1.0D+00  9.1188D+01  7.546771D-03  1.3D-01
       11 -1    0    0    0    0  0.0 0.0  4.5594D+01  4.5594D+01  0.0 0.0  1.
      -11 -1    0    0    0    0  0.0 0.0 -4.5594D+01  4.5594D+01  0.0 0.0 -1.
       13  1    1    2    0    0  1.0D+01 2.0D+01  3.0D+01  4.5594D+01  0.0 0.0  9.
      -13  1    1    2    0    0 -1.0D+01 -2.0D+01 -3.0D+01  4.5594D+01  0.0 0.0  9.
# a comment
<rwgt>
<wgt id='1'> 0.9 </wgt>
</rwgt>
</event>
</LesHouchesEvents>
";
    let f = read_lhe(text.as_bytes()).unwrap();
    assert_eq!(f.init.beam_ids, [11, -11]);
    assert_eq!(f.init.beam_energies, [45.594, 45.594]);
    assert_eq!(f.init.weight_strategy, 3);
    assert_eq!(f.init.processes[0].id, 81);
    assert_eq!(f.events.len(), 1);
    let ev = &f.events[0];
    assert_eq!((ev.process_id, ev.scale, ev.alpha_qcd), (81, 91.188, 0.13));
    assert_eq!(ev.particles[3].momentum, [-10.0, -20.0, -30.0, 45.594]);
    assert_eq!(ev.particles[2].mothers, [1, 2]);
    assert_eq!(ev.particles[1].spin, -1.0);
}

/// Replace line `line` (1-based) of `text` by `with` (or delete it when `with` is None).
fn edit(text: &str, line: usize, with: Option<&str>) -> String {
    let mut out: Vec<&str> = text.lines().collect();
    match with {
        Some(w) => out[line - 1] = w,
        None => {
            out.remove(line - 1);
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn malformed_files_name_the_line_and_what_was_expected() {
    let good = write_to_string(&LheFile {
        init: init(-4),
        events: events(2),
    });
    // Layout: 1 <LesHouchesEvents>, 2–4 header, 5 <init>, 6 beams, 7–8 processes, 9 </init>,
    // 10 <event>, 11 event line, 12–15 particles (μμ event), 16 </event>, 17 <event>, …
    let lines: Vec<&str> = good.lines().collect();
    assert_eq!(
        (lines[4], lines[9], lines[15]),
        ("<init>", "<event>", "</event>")
    );
    let cases: Vec<(String, usize, &str)> = vec![
        (
            edit(&good, 1, Some("<html>")),
            1,
            "expected <LesHouchesEvents",
        ),
        (
            edit(&good, 1, Some("<LesHouchesEvents version=\"2.0\">")),
            1,
            "version",
        ),
        (
            edit(&good, 6, Some("11 -11 250 250 0 0 0 0 3")),
            6,
            "expected 10 fields",
        ),
        (
            edit(&good, 6, Some("11 -11 250 250 0 0 0 0 7 2")),
            6,
            "IDWTUP",
        ),
        (edit(&good, 8, None), 8, "process 2"),
        (
            edit(&good, 7, Some("0.55 1e-3 2.75 one")),
            7,
            "integer for LPRUP",
        ),
        (
            edit(&good, 11, Some("4 1 1.0x 500 0.0075 0.118")),
            11,
            "XWGTUP",
        ),
        (
            edit(&good, 11, Some("4 9 1.0 500 0.0075 0.118")),
            16,
            "process id 9",
        ),
        (
            edit(&good, 13, Some("-11 -1 0 0 0 0 0 0 -250 250 0 0")),
            13,
            "13 fields",
        ),
        (
            edit(&good, 14, Some("13 1 1 7 0 0 1 2 3 4 0 0 9")),
            14,
            "mother",
        ),
        (
            edit(&good, 14, Some("13 1 1 2 0 0 1 2 NaN 4 0 0 9")),
            14,
            "pz",
        ),
        (edit(&good, 15, None), 15, "particle 4 of 4"),
        (edit(&good, 16, Some("0 0 0")), 16, "expected </event>"),
    ];
    for (text, line, needle) in cases {
        let err = read_lhe(text.as_bytes()).unwrap_err();
        match &err {
            LheError::Parse { line: l, message } => {
                assert_eq!(*l, line, "{err}");
                assert!(message.contains(needle), "{err} (wanted {needle:?})");
            }
            other => panic!("expected a parse error, got {other}"),
        }
        assert!(err.to_string().starts_with(&format!("line {line}: ")));
    }
    // Truncated: the error points past the last line.
    let cut: String = good.lines().take(20).map(|l| format!("{l}\n")).collect();
    let err = read_lhe(cut.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, LheError::Parse { line: 20, message } if message.contains("end of file")),
        "{err}"
    );
    let err = read_lhe("".as_bytes()).unwrap_err();
    assert!(err.to_string().contains("end of file"), "{err}");
}

#[test]
fn writer_rejects_invalid_values() {
    let mut bad = init(0);
    let err = LheWriter::new(Vec::new(), &bad).err().unwrap();
    assert!(err.to_string().contains("IDWTUP = 0"), "{err}");
    bad.weight_strategy = 3;
    bad.processes.clear();
    assert!(LheWriter::new(Vec::new(), &bad).is_err());
    let mut w = LheWriter::new(Vec::new(), &init(3)).unwrap();
    let mut ev = events(1).remove(0);
    ev.weight = f64::NAN;
    let err = w.write_event(&ev).unwrap_err();
    assert!(err.to_string().contains("event 1: weight = NaN"), "{err}");
    ev.weight = 1.0;
    ev.particles[2].mothers = [1, 9];
    assert!(w
        .write_event(&ev)
        .unwrap_err()
        .to_string()
        .contains("mother"));
    ev.particles[2].mothers = [1, 2];
    w.write_event(&ev).unwrap();
    assert_eq!(w.events_written(), 1);
}

#[test]
fn hit_or_miss_is_unbiased_and_seeded() {
    // Weights wᵢ = (i mod 10 + 1)/10, w_max = 1: expected kept count Σpᵢ with pᵢ = wᵢ, binomial
    // variance Σpᵢ(1 − pᵢ).
    let weights: Vec<f64> = (0..5000).map(|i| ((i % 10) + 1) as f64 / 10.0).collect();
    let kept = hit_or_miss(&weights, None, 3).unwrap();
    let mean: f64 = weights.iter().sum();
    let var: f64 = weights.iter().map(|p| p * (1.0 - p)).sum();
    assert!(
        ((kept.len() as f64) - mean).abs() < 4.0 * var.sqrt(),
        "{}",
        kept.len()
    );
    // Each weight class is kept with its own probability (w = 0.1: 500 trials).
    let low = kept.iter().filter(|&&i| i % 10 == 0).count() as f64;
    assert!(
        (low - 50.0).abs() < 4.0 * (500.0 * 0.1 * 0.9f64).sqrt(),
        "{low}"
    );
    assert_eq!(kept, hit_or_miss(&weights, None, 3).unwrap());
    assert_ne!(kept, hit_or_miss(&weights, None, 4).unwrap());
    // With a max weight below some weights, those events keep their larger weight.
    let evs = events(20);
    let max = evs.iter().map(|e| e.weight).fold(0.0, f64::max);
    let un = unweight(&evs, Some(max / 2.0), 1).unwrap();
    assert!(un.iter().all(|e| e.weight >= max / 2.0));
    // Errors name the value.
    let err = hit_or_miss(&[1.0, -2.0], None, 0).unwrap_err();
    assert!(err.to_string().contains("weight 1 = -2"), "{err}");
    assert!(hit_or_miss(&[0.0, 0.0], None, 0).is_err());
    assert!(hit_or_miss(&[1.0], Some(f64::NAN), 0).is_err());
}

#[test]
fn error_messages_are_unchanged_and_keep_their_sources() {
    use std::error::Error as _;
    let io = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "disk gone");
    let e = LheError::from(io);
    assert_eq!(e.to_string(), "I/O error: disk gone");
    let inner = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(inner.kind(), std::io::ErrorKind::UnexpectedEof);
    let e = LheError::Parse {
        line: 7,
        message: "expected 6 fields (event header), found 5".into(),
    };
    assert_eq!(
        e.to_string(),
        "line 7: expected 6 fields (event header), found 5"
    );
    assert!(e.source().is_none());
    let e = LheError::Invalid {
        message: "weight NaN".into(),
    };
    assert_eq!(e.to_string(), "weight NaN");
}
