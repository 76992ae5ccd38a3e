//! Bad-input corpus of `diffhep xsec`, `events`, `vertex`, `shower`, `lgso`, `invariants` and
//! `weightnet`: a table of cases, each run in a fresh folder with the files it needs, with its
//! expected outcome. The runner fails a case on a panic (stderr says "panicked" or exit code
//! 101), a hang (60 s), a bad input accepted (exit 0 where an error is expected), an error
//! whose message does not name the problem, a NaN or ∞ printed by a successful run, or an
//! output file that is missing, truncated, or — after an error — created or changed.
//!
//! Run: `cargo test -p diffhep-cli --release --test corpus`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::diffhep_timed;

/// How long one run may take before it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What a case is about (the corpus summary counts cases per category).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    /// The global command line: unknown subcommand, missing flags.
    Global,
    /// `xsec` flags.
    Xsec,
    /// Param cards (TOML and JSON) read by `xsec` and `events`.
    ParamCard,
    /// `events` flags, its output path and the LHE file it writes.
    EventsOutput,
    /// `vertex` flags.
    Vertex,
    /// `shower` flags.
    Shower,
    /// `lgso` flags.
    Lgso,
    /// `invariants` flags.
    Invariants,
    /// `weightnet` flags.
    Weightnet,
}

/// A file a case needs in its folder before the run.
enum Fixture {
    /// A file with this content.
    Text(&'static str, &'static str),
    /// A file with these bytes.
    Bytes(&'static str, &'static [u8]),
    /// A folder.
    Dir(&'static str),
}

/// The expected outcome of a case.
enum Expect {
    /// Exit 0; stdout holds every string of `stdout` and none of `absent`.
    Ok {
        stdout: &'static [&'static str],
        absent: &'static [&'static str],
    },
    /// A non-zero exit (not 101) with a one-line message on stderr holding this substring,
    /// which names the flag or quantity at fault.
    Err(&'static str),
}

/// One row of the corpus.
struct Case {
    /// Name, unique.
    name: &'static str,
    /// What it is about.
    category: Category,
    /// Arguments of `diffhep`.
    args: &'static [&'static str],
    /// Files created in the case's folder first.
    files: &'static [Fixture],
    /// Output files: on success they must exist and be complete (an `.lhe` file is read back);
    /// on an error they must not exist, or keep the content the case gave them.
    outputs: &'static [&'static str],
    /// The expected outcome.
    expect: Expect,
}

use Category::*;

const fn ok(stdout: &'static [&'static str]) -> Expect {
    Expect::Ok {
        stdout,
        absent: &[],
    }
}

const fn err(stderr: &'static str) -> Expect {
    Expect::Err(stderr)
}

const NONE: &[Fixture] = &[];

macro_rules! case {
    ($name:expr, $cat:expr, [$($a:expr),* $(,)?], $expect:expr) => {
        Case { name: $name, category: $cat, args: &[$($a),*], files: NONE, outputs: &[], expect: $expect }
    };
    ($name:expr, $cat:expr, [$($a:expr),* $(,)?], files: $files:expr, outputs: $outs:expr, $expect:expr) => {
        Case { name: $name, category: $cat, args: &[$($a),*], files: $files, outputs: $outs, expect: $expect }
    };
}

/// `xsec --process ee_mumu --sqrt-s 91.188 --events 500 --param-card card` with `card` given.
macro_rules! card_case {
    ($name:expr, $file:expr, $content:expr, $expect:expr) => {
        Case {
            name: $name,
            category: ParamCard,
            args: &[
                "xsec",
                "--process",
                "ee_mumu",
                "--sqrt-s",
                "91.188",
                "--events",
                "500",
                "--param-card",
                $file,
            ],
            files: &[Fixture::Text($file, $content)],
            outputs: &[],
            expect: $expect,
        }
    };
}

const MUMU: [&str; 5] = ["xsec", "--process", "ee_mumu", "--events", "500"];

static CASES: &[Case] = &[
    // ---------------------------------------------------------------- global command line
    case!(
        "unknown subcommand",
        Global,
        ["nosuch"],
        err("unrecognized subcommand 'nosuch'")
    ),
    case!("no subcommand", Global, [], err("missing subcommand")),
    case!(
        "missing --process",
        Global,
        ["xsec", "--sqrt-s", "91"],
        err("--process")
    ),
    case!(
        "missing --sqrt-s",
        Global,
        ["xsec", "--process", "ee_mumu"],
        err("--sqrt-s")
    ),
    case!(
        "missing --out",
        Global,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91"],
        err("--out")
    ),
    case!("missing --jets", Global, ["vertex"], err("--jets")),
    case!(
        "unknown flag",
        Global,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "91", "--bogus"],
        err("'--bogus'")
    ),
    case!(
        "help",
        Global,
        ["--help"],
        ok(&["Usage", "xsec", "weightnet"])
    ),
    // ---------------------------------------------------------------- xsec
    case!(
        "xsec ok",
        Xsec,
        [MUMU[0], MUMU[1], MUMU[2], MUMU[3], MUMU[4], "--sqrt-s", "91.188"],
        Expect::Ok {
            stdout: &["σ ", "A_FB         0.", "∂σ/∂param", "sqrt_s"],
            absent: &["not defined"]
        }
    ),
    case!(
        "xsec ok json",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_ttbar",
            "--sqrt-s",
            "500",
            "--events",
            "500",
            "--json"
        ],
        Expect::Ok {
            stdout: &["\"sigma_pb\":", "\"afb\":0."],
            absent: &["\"afb\":null"]
        }
    ),
    case!(
        "xsec A_FB not defined for wbwb",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_ttbar_wbwb",
            "--sqrt-s",
            "500",
            "--events",
            "200"
        ],
        ok(&["A_FB         (not defined for ee_ttbar_wbwb"])
    ),
    case!(
        "xsec extreme but representable energy",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "1e20",
            "--events",
            "500"
        ],
        ok(&["√s           1e20 GeV", "A_FB"])
    ),
    case!(
        "xsec sigma underflows",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "1e300",
            "--events",
            "500"
        ],
        err("σ underflows to 0")
    ),
    case!(
        "xsec ttbar sigma underflows",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_ttbar",
            "--sqrt-s",
            "1e300",
            "--events",
            "500"
        ],
        err("σ underflows to 0")
    ),
    case!(
        "xsec derivative underflows",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "1e100",
            "--events",
            "500"
        ],
        err("∂σ/∂MZ underflows to 0")
    ),
    case!(
        "xsec integrand overflows",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "1e150",
            "--events",
            "500"
        ],
        err("is not finite at a point")
    ),
    case!(
        "xsec unknown process",
        Xsec,
        ["xsec", "--process", "ee_tautau", "--sqrt-s", "91"],
        err("unknown process 'ee_tautau'")
    ),
    case!(
        "xsec negative energy",
        Xsec,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "-5"],
        err("'--sqrt-s <SQRT_S>': must be a finite number > 0")
    ),
    case!(
        "xsec zero energy",
        Xsec,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "0"],
        err("'--sqrt-s <SQRT_S>'")
    ),
    case!(
        "xsec NaN energy",
        Xsec,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "NaN"],
        err("'--sqrt-s <SQRT_S>'")
    ),
    case!(
        "xsec infinite energy",
        Xsec,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "inf"],
        err("'--sqrt-s <SQRT_S>'")
    ),
    case!(
        "xsec energy not a number",
        Xsec,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "abc"],
        err("'--sqrt-s <SQRT_S>'")
    ),
    case!(
        "xsec below threshold",
        Xsec,
        ["xsec", "--process", "ee_ttbar", "--sqrt-s", "200"],
        err("below the ee_ttbar threshold")
    ),
    case!(
        "xsec one event",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--events",
            "1"
        ],
        err("'--events <EVENTS>'")
    ),
    case!(
        "xsec negative events",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--events",
            "-3"
        ],
        err("'--events <EVENTS>'")
    ),
    case!(
        "xsec huge events",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--events",
            "1000000000000"
        ],
        err("not in 2..=1000000000")
    ),
    case!(
        "xsec negative seed",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--seed",
            "-1"
        ],
        err("'--seed <SEED>'")
    ),
    case!(
        "xsec seed too large",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--seed",
            "99999999999999999999999"
        ],
        err("'--seed <SEED>'")
    ),
    case!(
        "xsec too many vegas iterations",
        Xsec,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--vegas",
            "5000"
        ],
        err("'--vegas <VEGAS>'")
    ),
    // ---------------------------------------------------------------- param cards
    card_case!(
        "card with missing keys takes defaults",
        "card.toml",
        "MZ = 91.0\n",
        ok(&["σ "])
    ),
    card_case!("card integer value", "card.toml", "MZ = 91\n", ok(&["σ "])),
    card_case!(
        "card unknown key",
        "card.toml",
        "MZZ = 91.0\n",
        err("unknown field `MZZ`")
    ),
    card_case!(
        "card negative mass",
        "card.toml",
        "MT = -1.0\n",
        err("parameter MT = -1 must be positive")
    ),
    card_case!(
        "card zero Z mass",
        "card.toml",
        "MZ = 0.0\n",
        err("parameter MZ = 0 must be positive")
    ),
    card_case!(
        "card negative width",
        "card.toml",
        "WZ = -0.1\n",
        err("parameter WZ = -0.1 must be positive")
    ),
    card_case!(
        "card NaN",
        "card.toml",
        "MZ = nan\n",
        err("parameter MZ is not finite")
    ),
    card_case!(
        "card infinite",
        "card.toml",
        "WZ = inf\n",
        err("parameter WZ is not finite")
    ),
    card_case!(
        "card string value",
        "card.toml",
        "MZ = \"heavy\"\n",
        err("--param-card card.toml: invalid param card")
    ),
    card_case!(
        "card truncated TOML",
        "card.toml",
        "MZ = 91.\n",
        err("invalid param card")
    ),
    card_case!(
        "card empty",
        "card.toml",
        "",
        err("param card card.toml is empty")
    ),
    card_case!(
        "card blank JSON",
        "card.json",
        " \n",
        err("param card card.json is empty")
    ),
    card_case!(
        "card no real W mass",
        "card.toml",
        "Gf = 1e-7\n",
        err("no real W mass")
    ),
    card_case!(
        "card JSON ok",
        "card.json",
        "{\"MZ\": 91.1, \"WZ\": 2.5}",
        ok(&["σ "])
    ),
    card_case!(
        "card JSON unknown key",
        "card.json",
        "{\"MQ\": 1.0}",
        err("unknown field `MQ`")
    ),
    card_case!(
        "card JSON string value",
        "card.json",
        "{\"MZ\": \"heavy\"}",
        err("invalid param card")
    ),
    card_case!(
        "card JSON truncated",
        "card.json",
        "{\"MZ\": 91.1",
        err("EOF while parsing")
    ),
    card_case!(
        "card JSON NaN literal",
        "card.json",
        "{\"MZ\": NaN}",
        err("invalid param card")
    ),
    card_case!(
        "card TOML in a .json file",
        "card.json",
        "MZ = 91.1\n",
        err("invalid param card")
    ),
    card_case!(
        "card JSON in a .toml file",
        "card.toml",
        "{\"MZ\": 91.1}",
        err("invalid param card")
    ),
    case!("card binary garbage", ParamCard,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "91", "--param-card", "card.toml"],
        files: &[Fixture::Bytes("card.toml", b"\x00\xff\xfe\x01garbage")], outputs: &[],
        err("valid UTF-8")),
    case!(
        "card missing file",
        ParamCard,
        [
            "xsec",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--param-card",
            "nosuch.toml"
        ],
        err("cannot read param card: nosuch.toml")
    ),
    case!("card is a directory", ParamCard,
        ["xsec", "--process", "ee_mumu", "--sqrt-s", "91", "--param-card", "cards"],
        files: &[Fixture::Dir("cards")], outputs: &[],
        err("--param-card cards: cannot read param card")),
    case!("card moves the threshold above sqrt-s", ParamCard,
        ["xsec", "--process", "ee_ttbar", "--sqrt-s", "500", "--param-card", "card.toml"],
        files: &[Fixture::Text("card.toml", "MT = 300.0\n")], outputs: &[],
        err("below the ee_ttbar threshold of 600 GeV")),
    case!("card bad for events", ParamCard,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91", "--events", "100", "--out", "o.lhe", "--param-card", "card.toml"],
        files: &[Fixture::Text("card.toml", "MT = -1.0\n")], outputs: &["o.lhe"],
        err("parameter MT = -1 must be positive")),
    // ---------------------------------------------------------------- events, output paths, LHE
    case!("events weighted ok", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91.188", "--events", "300", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], ok(&["wrote 300 weighted events of ee_mumu"])),
    case!("events unweighted ok", EventsOutput,
        ["events", "--process", "ee_ttbar_wbwb", "--sqrt-s", "500", "--events", "300", "--unweighted", "--out", "u.lhe"],
        files: NONE, outputs: &["u.lhe"], ok(&["unweighted events of ee_ttbar_wbwb"])),
    case!("events existing file without --force", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91", "--events", "100", "--out", "o.lhe"],
        files: &[Fixture::Text("o.lhe", "keep me\n")], outputs: &["o.lhe"],
        err("--out o.lhe: the file already exists")),
    case!("events existing file with --force", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91", "--events", "100", "--out", "o.lhe", "--force"],
        files: &[Fixture::Text("o.lhe", "old\n")], outputs: &["o.lhe"], ok(&["wrote 100 weighted events"])),
    case!("events out is a directory", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91", "--events", "100", "--out", "d"],
        files: &[Fixture::Dir("d")], outputs: &[], err("--out d: is a folder, not a file")),
    case!(
        "events out unwritable",
        EventsOutput,
        [
            "events",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--events",
            "100",
            "--out",
            "/proc/x.lhe"
        ],
        err("--out /proc/x.lhe")
    ),
    case!(
        "events out in a missing folder",
        EventsOutput,
        [
            "events",
            "--process",
            "ee_mumu",
            "--sqrt-s",
            "91",
            "--events",
            "100",
            "--out",
            "nodir/x.lhe"
        ],
        err("the folder nodir does not exist")
    ),
    case!("events sigma underflows", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "1e300", "--events", "100", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], err("ee_mumu at √s = 1e300 GeV: σ underflows to 0")),
    case!("events below threshold", EventsOutput,
        ["events", "--process", "ee_ttbar", "--sqrt-s", "300", "--events", "100", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], err("below the ee_ttbar threshold")),
    case!("events one event", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91", "--events", "1", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], err("'--events <EVENTS>'")),
    case!("events too many events", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "91", "--events", "100000000", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], err("not in 2..=10000000")),
    case!("events infinite energy", EventsOutput,
        ["events", "--process", "ee_mumu", "--sqrt-s", "inf", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], err("'--sqrt-s <SQRT_S>'")),
    case!("events unknown process", EventsOutput,
        ["events", "--process", "pp_h", "--sqrt-s", "91", "--out", "o.lhe"],
        files: NONE, outputs: &["o.lhe"], err("unknown process 'pp_h'")),
    // ---------------------------------------------------------------- vertex
    case!(
        "vertex ok",
        Vertex,
        ["vertex", "--jets", "50"],
        ok(&["fit success rate", "mean χ²/ndf"])
    ),
    case!(
        "vertex ok json straight",
        Vertex,
        ["vertex", "--jets", "20", "--model", "straight", "--json"],
        ok(&["\"success_rate\":"])
    ),
    case!(
        "vertex zero jets",
        Vertex,
        ["vertex", "--jets", "0"],
        err("'--jets <JETS>'")
    ),
    case!(
        "vertex negative jets",
        Vertex,
        ["vertex", "--jets", "-4"],
        err("'--jets <JETS>'")
    ),
    case!(
        "vertex too many jets",
        Vertex,
        ["vertex", "--jets", "20000000"],
        err("not in 1..=1000000")
    ),
    case!(
        "vertex unknown model",
        Vertex,
        ["vertex", "--jets", "5", "--model", "curly"],
        err("'--model <MODEL>'")
    ),
    case!(
        "vertex seed not a number",
        Vertex,
        ["vertex", "--jets", "5", "--seed", "x"],
        err("'--seed <SEED>'")
    ),
    // ---------------------------------------------------------------- shower
    case!(
        "shower ok",
        Shower,
        ["shower", "--layers", "3", "--samples", "100"],
        ok(&["EM shower, 3 layers", "layer"])
    ),
    case!(
        "shower ok score at zero thickness",
        Shower,
        [
            "shower",
            "--layers",
            "2",
            "--samples",
            "50",
            "--thickness",
            "0",
            "--estimator",
            "score"
        ],
        ok(&["estimator score"])
    ),
    case!(
        "shower zero layers",
        Shower,
        ["shower", "--layers", "0"],
        err("'--layers <LAYERS>'")
    ),
    case!(
        "shower too many layers",
        Shower,
        ["shower", "--layers", "101"],
        err("'--layers <LAYERS>'")
    ),
    case!(
        "shower zero energy",
        Shower,
        ["shower", "--energy", "0"],
        err("'--energy <ENERGY>'")
    ),
    case!(
        "shower NaN energy",
        Shower,
        ["shower", "--energy", "nan"],
        err("'--energy <ENERGY>'")
    ),
    case!(
        "shower huge energy",
        Shower,
        ["shower", "--energy", "1e300"],
        err("--energy 1e300 GeV is above")
    ),
    case!(
        "shower negative thickness",
        Shower,
        ["shower", "--thickness", "-1"],
        err("'--thickness <THICKNESS>'")
    ),
    case!(
        "shower infinite thickness",
        Shower,
        ["shower", "--thickness", "inf"],
        err("'--thickness <THICKNESS>'")
    ),
    case!(
        "shower one sample",
        Shower,
        ["shower", "--samples", "1"],
        err("'--samples <SAMPLES>'")
    ),
    case!(
        "shower samples times layers too large",
        Shower,
        ["shower", "--samples", "10000000", "--layers", "100"],
        err("gradient terms in memory")
    ),
    case!(
        "shower unknown estimator",
        Shower,
        ["shower", "--estimator", "magic"],
        err("--estimator: unknown estimator")
    ),
    case!(
        "shower fd below its step",
        Shower,
        ["shower", "--estimator", "fd", "--thickness", "0.01"],
        err("--estimator fd with --thickness 0.01")
    ),
    // ---------------------------------------------------------------- lgso
    case!(
        "lgso ok",
        Lgso,
        [
            "lgso",
            "--dim",
            "3",
            "--steps",
            "3",
            "--designs",
            "5",
            "--sims",
            "2"
        ],
        ok(&["L-GSO on the 3-D stochastic Rosenbrock", "mean cosine"])
    ),
    case!(
        "lgso dim 1",
        Lgso,
        ["lgso", "--dim", "1"],
        err("'--dim <DIM>'")
    ),
    case!(
        "lgso zero steps",
        Lgso,
        ["lgso", "--steps", "0"],
        err("'--steps <STEPS>'")
    ),
    case!(
        "lgso target with calorimeter",
        Lgso,
        ["lgso", "--calorimeter", "--target", "0.5"],
        err("'--target <TARGET>'")
    ),
    case!(
        "lgso NaN target",
        Lgso,
        ["lgso", "--target", "NaN"],
        err("'--target <TARGET>'")
    ),
    case!(
        "lgso zero radius",
        Lgso,
        ["lgso", "--radius", "0"],
        err("'--radius <RADIUS>'")
    ),
    case!(
        "lgso huge radius",
        Lgso,
        ["lgso", "--radius", "1e300"],
        err("--radius 1e300: at most 1000")
    ),
    case!(
        "lgso negative lr",
        Lgso,
        ["lgso", "--lr", "-0.1"],
        err("'--lr <LR>'")
    ),
    case!(
        "lgso zero designs",
        Lgso,
        ["lgso", "--designs", "0"],
        err("'--designs <DESIGNS>'")
    ),
    case!(
        "lgso zero sims",
        Lgso,
        ["lgso", "--sims", "0"],
        err("'--sims <SIMS>'")
    ),
    case!(
        "lgso call budget",
        Lgso,
        [
            "lgso",
            "--steps",
            "100000",
            "--designs",
            "10000",
            "--sims",
            "1000"
        ],
        err("simulator calls, more than")
    ),
    case!(
        "lgso calorimeter too many layers",
        Lgso,
        ["lgso", "--calorimeter", "--dim", "200"],
        err("--dim 200 with --calorimeter")
    ),
    // ---------------------------------------------------------------- invariants
    case!(
        "invariants ok untrained",
        Invariants,
        [
            "invariants",
            "--hidden",
            "4",
            "--train",
            "50",
            "--test",
            "50",
            "--epochs",
            "0"
        ],
        ok(&["r(pT)", "[4]"])
    ),
    case!(
        "invariants zero width",
        Invariants,
        ["invariants", "--hidden", "0"],
        err("--hidden 0: width 0")
    ),
    case!(
        "invariants width not a number",
        Invariants,
        ["invariants", "--hidden", "4,x"],
        err("--hidden 4,x: \"x\" is not a width")
    ),
    case!(
        "invariants empty widths",
        Invariants,
        ["invariants", "--hidden", ""],
        err("is not a width")
    ),
    case!(
        "invariants one training event",
        Invariants,
        ["invariants", "--train", "1"],
        err("'--train <TRAIN>'")
    ),
    case!(
        "invariants zero lr",
        Invariants,
        ["invariants", "--lr", "0"],
        err("'--lr <LR>'")
    ),
    case!(
        "invariants negative epochs",
        Invariants,
        ["invariants", "--epochs", "-1"],
        err("'--epochs <EPOCHS>'")
    ),
    case!(
        "invariants diverging training",
        Invariants,
        [
            "invariants",
            "--hidden",
            "4",
            "--train",
            "50",
            "--test",
            "50",
            "--epochs",
            "50",
            "--lr",
            "1e300"
        ],
        err("the training MSE of network [4] is NaN")
    ),
    // ---------------------------------------------------------------- weightnet
    case!(
        "weightnet ok",
        Weightnet,
        [
            "weightnet",
            "--train",
            "10",
            "--test",
            "10",
            "--epochs",
            "1",
            "--hidden",
            "4"
        ],
        ok(&[
            "held-out vertex resolution, 10 jets",
            "network, after training"
        ])
    ),
    case!(
        "weightnet zero training jets",
        Weightnet,
        ["weightnet", "--train", "0"],
        err("'--train <TRAIN>'")
    ),
    case!(
        "weightnet zero test jets",
        Weightnet,
        ["weightnet", "--test", "0"],
        err("'--test <TEST>'")
    ),
    case!(
        "weightnet zero width",
        Weightnet,
        ["weightnet", "--hidden", "0"],
        err("'--hidden <HIDDEN>'")
    ),
    case!(
        "weightnet NaN lr",
        Weightnet,
        ["weightnet", "--lr", "nan"],
        err("'--lr <LR>'")
    ),
    case!(
        "weightnet negative epochs",
        Weightnet,
        ["weightnet", "--epochs", "-2"],
        err("'--epochs <EPOCHS>'")
    ),
];

/// A fresh, empty folder for one run.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("diffhep-corpus-{}-{tag}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clear the scratch folder");
    }
    std::fs::create_dir_all(&dir).expect("create the scratch folder");
    dir
}

/// Whether `text` holds the word NaN, nan, inf or infinity (as a number would print).
fn prints_non_finite(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w.to_ascii_lowercase().as_str(), "nan" | "inf" | "infinity"))
}

/// Check one output file of a successful run: present, non-empty, and for LHE complete.
fn check_output(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("output {}: {e}", path.display()))?;
    if bytes.is_empty() {
        return Err(format!("output {} is empty", path.display()));
    }
    if path.extension().is_some_and(|e| e == "lhe") {
        let text = String::from_utf8_lossy(&bytes);
        if !text.trim_end().ends_with("</LesHouchesEvents>") {
            return Err(format!("output {} is truncated", path.display()));
        }
        let f = diffhep_physics::events::lhe::read_lhe(&bytes[..])
            .map_err(|e| format!("output {} does not read back: {e}", path.display()))?;
        if f.events.is_empty() {
            return Err(format!("output {} holds no event", path.display()));
        }
        if prints_non_finite(&text) {
            return Err(format!("output {} holds NaN or inf", path.display()));
        }
    }
    Ok(())
}

/// Run one case; `Err` says how it failed.
fn run_case(index: usize, case: &Case) -> Result<(), String> {
    let dir = scratch(&index.to_string());
    for f in case.files {
        match f {
            Fixture::Text(name, text) => std::fs::write(dir.join(name), text),
            Fixture::Bytes(name, bytes) => std::fs::write(dir.join(name), bytes),
            Fixture::Dir(name) => std::fs::create_dir_all(dir.join(name)),
        }
        .map_err(|e| format!("fixture: {e}"))?;
    }
    let given = |name: &str| {
        case.files.iter().find_map(|f| match f {
            Fixture::Text(n, t) if *n == name => Some(t.as_bytes()),
            Fixture::Bytes(n, b) if *n == name => Some(*b),
            _ => None,
        })
    };
    let run = diffhep_timed(case.args, &dir, &[], TIMEOUT);
    let out = run
        .output
        .ok_or_else(|| format!("hang: still running after {:?}", TIMEOUT))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("panicked") || out.status.code() == Some(101) {
        return Err(format!("panic: {stderr}"));
    }
    let result = match &case.expect {
        Expect::Ok {
            stdout: want,
            absent,
        } => {
            if !out.status.success() {
                Err(format!("expected success, got {:?}: {stderr}", out.status))
            } else if let Some(w) = want.iter().find(|w| !stdout.contains(*w)) {
                Err(format!("stdout lacks {w:?}: {stdout}"))
            } else if let Some(a) = absent.iter().find(|a| stdout.contains(*a)) {
                Err(format!("stdout holds {a:?}: {stdout}"))
            } else if prints_non_finite(&stdout) {
                Err(format!("a successful run printed NaN or inf: {stdout}"))
            } else {
                case.outputs
                    .iter()
                    .try_for_each(|o| check_output(&dir.join(o)))
            }
        }
        Expect::Err(want) => {
            let lines = stderr.trim().lines().count();
            if out.status.success() {
                Err(format!("bad input accepted (exit 0): {stdout}"))
            } else if !stderr.contains(want) {
                Err(format!("stderr lacks {want:?}: {stderr}"))
            } else if lines != 1 || !stderr.starts_with("error: ") {
                Err(format!("expected one line `error: …`, got: {stderr}"))
            } else {
                case.outputs.iter().try_for_each(|o| {
                    let path = dir.join(o);
                    match (given(o), std::fs::read(&path)) {
                        (None, Ok(_)) => Err(format!("a failed run left {o}")),
                        (Some(before), Ok(now)) if now != before => {
                            Err(format!("a failed run changed {o}"))
                        }
                        (Some(_), Err(e)) => Err(format!("a failed run removed {o}: {e}")),
                        _ => Ok(()),
                    }
                })
            }
        }
    };
    std::fs::remove_dir_all(&dir).ok();
    result
}

#[test]
fn every_case_of_the_corpus_behaves() {
    let mut names = std::collections::BTreeSet::new();
    for c in CASES {
        assert!(names.insert(c.name), "duplicate case name {:?}", c.name);
    }
    let mut per_category: BTreeMap<Category, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        *per_category.entry(case.category).or_default() += 1;
        if let Err(why) = run_case(i, case) {
            failures.push(format!(
                "[{:?}] {} (diffhep {}): {why}",
                case.category,
                case.name,
                case.args.join(" ")
            ));
        }
    }
    eprintln!("corpus: {} cases {per_category:?}", CASES.len());
    assert!(CASES.len() >= 45, "the corpus has {} cases", CASES.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Run `args` at 1 and 2 rayon threads in fresh folders; the stdout (through `normalise`) and
/// every file of `outputs` must be byte-identical.
fn same_at_one_and_two_threads(
    tag: &str,
    args: &[&str],
    outputs: &[&str],
    normalise: fn(&[u8]) -> Vec<u8>,
) {
    let mut results = Vec::new();
    for threads in ["1", "2"] {
        let dir = scratch(&format!("{tag}-{threads}"));
        let run = diffhep_timed(args, &dir, &[("RAYON_NUM_THREADS", threads)], TIMEOUT);
        let out = run.output.unwrap_or_else(|| panic!("{tag}: hang"));
        assert!(
            out.status.success(),
            "{tag} at {threads} threads: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!prints_non_finite(&String::from_utf8_lossy(&out.stdout)));
        let files: Vec<Vec<u8>> = outputs
            .iter()
            .map(|o| {
                check_output(&dir.join(o)).unwrap();
                std::fs::read(dir.join(o)).unwrap()
            })
            .collect();
        results.push((normalise(&out.stdout), files));
        std::fs::remove_dir_all(&dir).ok();
    }
    assert!(!results[0].0.is_empty(), "{tag}: no stdout");
    assert!(
        results[0].0 == results[1].0,
        "{tag}: stdout differs between 1 and 2 threads:\n{}\n---\n{}",
        String::from_utf8_lossy(&results[0].0),
        String::from_utf8_lossy(&results[1].0)
    );
    for (k, o) in outputs.iter().enumerate() {
        assert!(
            results[0].1[k] == results[1].1[k],
            "{tag}: {o} differs between 1 and 2 threads"
        );
    }
}

fn as_is(b: &[u8]) -> Vec<u8> {
    b.to_vec()
}

/// `shower --json` without its wall-time field, the one number that may differ between runs.
fn without_seconds(b: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(b).expect("JSON on stdout");
    v.as_object_mut()
        .expect("a JSON object")
        .remove("seconds")
        .expect("a seconds field");
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn xsec_is_identical_at_one_and_two_threads() {
    // 8000 points in blocks of 1000: the blocks really are spread over the threads.
    same_at_one_and_two_threads(
        "xsec",
        &[
            "xsec",
            "--process",
            "ee_ttbar",
            "--sqrt-s",
            "500",
            "--events",
            "8000",
            "--vegas",
            "2",
            "--seed",
            "3",
            "--json",
        ],
        &[],
        as_is,
    );
}

#[test]
fn events_are_identical_at_one_and_two_threads() {
    same_at_one_and_two_threads(
        "events",
        &[
            "events",
            "--process",
            "ee_ttbar_wbwb",
            "--sqrt-s",
            "500",
            "--events",
            "2000",
            "--unweighted",
            "--seed",
            "4",
            "--out",
            "tt.lhe",
        ],
        &["tt.lhe"],
        as_is,
    );
}

#[test]
fn shower_is_identical_at_one_and_two_threads() {
    same_at_one_and_two_threads(
        "shower",
        &[
            "shower",
            "--layers",
            "4",
            "--samples",
            "400",
            "--seed",
            "9",
            "--json",
        ],
        &[],
        without_seconds,
    );
}

#[test]
fn simd_path_from_the_environment_is_checked_and_changes_no_number() {
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
    // An unknown path is refused before any work, with the variable named.
    let dir = scratch("simd-bad");
    let run = diffhep_timed(&args, &dir, &[("DIFFHEP_SIMD", "sse9")], TIMEOUT);
    let out = run.output.expect("no hang");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("DIFFHEP_SIMD") && err.contains("unknown SIMD path 'sse9'"),
        "{err}"
    );
    // Every path this CPU has prints the same numbers as the portable one.
    let mut outputs = Vec::new();
    for path in diffhep::simd::SimdPath::supported() {
        let dir = scratch(&format!("simd-{path}"));
        let run = diffhep_timed(&args, &dir, &[("DIFFHEP_SIMD", path.name())], TIMEOUT);
        let out = run.output.expect("no hang");
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push((path, out.stdout));
        std::fs::remove_dir_all(&dir).ok();
    }
    for (path, o) in &outputs[1..] {
        assert!(
            o == &outputs[0].1,
            "xsec output differs between portable and {path}"
        );
    }
}
