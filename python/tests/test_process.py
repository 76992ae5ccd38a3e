"""diffhep.Process: equality with the Rust API (the `diffhep me` and `diffhep xsec` commands),
finite-difference checks of every gradient, sampling against the cross section, and errors."""

import json

import numpy as np
import pytest

import diffhep
from conftest import central

CARD_NAMES = ["MZ", "WZ", "aEWM1", "Gf", "MT", "WT", "MH", "WW", "aS", "MB", "MTA", "WH", "ymb", "ymt", "ymtau"]


def points(process, n, sqrt_s, seed=3, cuts=None):
    mom, w = process.sample(n, sqrt_s, cuts=cuts, seed=seed)
    return mom, w


@pytest.mark.parametrize("text,sqrt_s", [("e+ e- > mu+ mu-", 100.0), ("g g > t t~ g", 600.0), ("u u~ > e+ e- g", 300.0)])
def test_msq_and_gradient_equal_the_rust_api(cli, tmp_path, text, sqrt_s):
    """Same numbers as `diffhep me --gradient --json` to 1e-12 (the CLI calls the Rust API)."""
    proc = diffhep.Process(text)
    mom, _ = points(proc, 3, sqrt_s, cuts={"ptj": 20.0, "ptl": 10.0})
    path = tmp_path / "points.json"
    path.write_text(json.dumps(mom.tolist()))
    ref = cli("me", "--process", text, "--momenta", path, "--gradient")
    v, g = proc.msq_and_grad(mom, wrt=["momenta", *CARD_NAMES])
    assert ref["identical_particle_factor"] == proc.identical_factor
    for i, r in enumerate(ref["points"]):
        assert v[i] == pytest.approx(r["msq"], rel=1e-12, abs=0)
        np.testing.assert_allclose(g["momenta"][i], np.array(r["d_momenta"]), rtol=1e-12, atol=1e-12 * abs(r["msq"]))
        for n in CARD_NAMES:
            assert g[n][i] == pytest.approx(r["d_params"][n], rel=1e-12, abs=1e-12 * abs(r["msq"]))
    # The tape evaluates the same formula; its value may differ from plain f64 in the last bit.
    np.testing.assert_allclose(proc.msq(mom), v, rtol=1e-13)


@pytest.mark.parametrize("text,sqrt_s", [("e+ e- > t t~", 500.0), ("g g > t t~ g", 600.0)])
def test_gradients_match_finite_differences(text, sqrt_s):
    proc = diffhep.Process(text)
    mom, _ = points(proc, 2, sqrt_s, cuts={"ptj": 20.0})
    wrt = ["momenta", "MT", "MZ", "aS", "ymt"]
    v, g = proc.msq_and_grad(mom, wrt=wrt, check=False)
    card = proc.parameters
    for i in range(2):
        for n in wrt[1:]:
            def f(x, n=n, i=i):
                return proc.msq(mom[i], params={n: x}, check=False)

            fd = central(f, card[n], 1e-4 * card[n])
            assert g[n][i] == pytest.approx(fd, rel=1e-6, abs=1e-9 * v[i]), n
        for a in range(proc.n_particles):
            for c in range(4):
                def f(x, a=a, c=c, i=i):
                    q = mom[i].copy()
                    q[a, c] = x
                    return proc.msq(q, check=False)

                fd = central(f, mom[i, a, c], 1e-3)
                scale = abs(v[i]) / sqrt_s
                assert g["momenta"][i, a, c] == pytest.approx(fd, rel=1e-6, abs=1e-9 * scale), (a, c)


def test_single_event_and_parameter_overrides():
    proc = diffhep.Process("e+ e- > mu+ mu-", param_card={"MZ": 91.0})
    assert proc.parameters["MZ"] == 91.0
    mom, _ = points(proc, 2, 91.0)
    one = proc.msq(mom[0])
    assert isinstance(one, float)
    assert one == proc.msq(mom)[0]
    # Overriding MZ per call is the same as a card with that MZ.
    other = diffhep.Process("e+ e- > mu+ mu-", param_card={"MZ": 91.5})
    np.testing.assert_array_equal(proc.msq(mom, params={"MZ": 91.5}), other.msq(mom))
    v, g = proc.msq_and_grad(mom[0], wrt="MZ")
    assert isinstance(g["MZ"], float) and v == pytest.approx(one, rel=1e-13)


def test_param_card_file(tmp_path):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"MT": 172.5}))
    assert diffhep.Process("e+ e- > t t~", param_card=card).parameters["MT"] == 172.5
    with pytest.raises(ValueError, match="param_card"):
        diffhep.Process("e+ e- > t t~", param_card=tmp_path / "missing.dat")


def test_sample_mean_matches_the_cross_section_and_is_deterministic():
    proc = diffhep.Process("e+ e- > mu+ mu-")
    mom, w = proc.sample(20000, 200.0, seed=5)
    mom2, w2 = proc.sample(20000, 200.0, seed=5)
    np.testing.assert_array_equal(mom, mom2)
    np.testing.assert_array_equal(w, w2)
    # Momentum conservation and the beams along ±z.
    np.testing.assert_allclose(mom[:, 0] + mom[:, 1], mom[:, 2] + mom[:, 3], atol=1e-10)
    x = proc.xsec(200.0, events=20000, seed=9)
    mean, se = w.mean(), w.std() / np.sqrt(len(w))
    assert abs(mean - x["sigma_pb"]) < 5 * np.hypot(se, x["error_pb"])


def test_xsec_equals_the_rust_api(cli):
    text = "e+ e- > mu+ mu- a"
    proc = diffhep.Process(text)
    got = proc.xsec(100.0, events=4000, seed=2, cuts={"pta": 5.0})
    ref = cli("xsec", "--process", text, "--sqrt-s", 100, "--events", 4000, "--seed", 2, "--cut", "pta=5")
    assert got["sigma_pb"] == pytest.approx(ref["sigma_pb"], rel=1e-12)
    assert got["error_pb"] == pytest.approx(ref["sigma_err_pb"], rel=1e-12)
    for n, (value, err) in got["gradient"].items():
        assert value == pytest.approx(ref["gradient"][n], rel=1e-12, abs=1e-300)
        assert err == pytest.approx(ref["gradient_err"][n], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: diffhep.Process("e+ e- > x"), "unknown particle"),
        (lambda: diffhep.Process("e+ e- >"), "nothing after"),
        (lambda: diffhep.Process(42), "expected a string"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-", subprocess=3), "subprocess 3"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-", param_card={"MX": 1.0}), "MX"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-", param_card={"MZ": -1.0}), "MZ"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-", param_card=3.0), "param_card"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").msq(np.zeros((2, 3, 4))), r"shape \(n0, 4, 4\)"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").msq(np.zeros(4)), "expected shape"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").msq([["a"]]), "float64"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").msq_and_grad(np.zeros((1, 4, 4)), wrt=["MQ"]), "unknown parameter 'MQ'"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").msq(np.zeros((1, 4, 4)), params={"aS": 2.0}), "aS"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").sample(-1, 100.0), "n: must be at least 0"),
        (lambda: diffhep.Process("e+ e- > t t~").sample(10, 100.0), "threshold"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").sample(10, float("nan")), "sqrt_s"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").sample(10, 100.0, cuts={"ptq": 1.0}), "ptq"),
        (lambda: diffhep.Process("e+ e- > mu+ mu-").xsec(100.0, events=1), "events"),
    ],
)
def test_bad_input_raises_value_error_with_the_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unphysical_and_non_finite_momenta_are_refused():
    proc = diffhep.Process("e+ e- > mu+ mu-")
    mom, _ = points(proc, 3, 100.0)
    bad = mom.copy()
    bad[1, 2, 1] = np.nan
    with pytest.raises(ValueError, match="event 1: momentum 2 \\(mu\\+\\) has a non-finite"):
        proc.msq(bad)
    with pytest.raises(ValueError, match="event 1"):
        proc.msq(bad, check=False)
    off = mom.copy()
    off[2, 3, 3] += 1.0
    with pytest.raises(ValueError, match="event 2"):
        proc.msq(off)
    # Off shell but finite is allowed without the physical checks.
    assert np.isfinite(proc.msq(off, check=False)).all()


def test_non_contiguous_and_integer_inputs_are_accepted():
    proc = diffhep.Process("e+ e- > mu+ mu-")
    mom, _ = points(proc, 4, 100.0)
    fortran = np.asfortranarray(mom)
    np.testing.assert_array_equal(proc.msq(fortran), proc.msq(mom))
    np.testing.assert_array_equal(proc.msq(mom[::2]), proc.msq(mom)[::2])
    assert proc.msq(np.zeros((0, 4, 4))).shape == (0,)


def test_metadata():
    proc = diffhep.Process("p p > e+ e-", subprocess=1)
    assert len(proc.subprocesses) > 1
    assert proc.subprocess == proc.subprocesses[1]
    assert proc.n_particles == 4 and proc.n_initial == 2
    assert proc.particles[2:] == ["e+", "e-"]
    assert diffhep.Process("g g > g g").identical_factor == 0.5
    assert "Process(" in repr(proc)


def test_parameter_gradients_in_forward_mode_equal_the_tape():
    # Up to four parameters without momenta go through forward-mode duals; with momenta, the
    # tape. Both differentiate the same function.
    proc = diffhep.Process("g g > t t~ g")
    mom, _ = points(proc, 3, 600.0, cuts={"ptj": 20.0})
    for names in (["MT"], ["MT", "aS"], ["MT", "aS", "WT", "ymt"], ["MT", "aS", "WT", "ymt", "MZ"]):
        v_fwd, g_fwd = proc.msq_and_grad(mom, wrt=names)
        v_tape, g_tape = proc.msq_and_grad(mom, wrt=["momenta", *names])
        np.testing.assert_allclose(v_fwd, v_tape, rtol=1e-13)
        for n in names:
            np.testing.assert_allclose(g_fwd[n], g_tape[n], rtol=1e-11, atol=1e-14 * np.abs(v_tape).max())


def test_feynman_gauge_gives_the_unitary_gauge_matrix_element():
    # With zero widths the two gauges agree exactly (the Rust suite tests 33 processes).
    card = {"WZ": 0.0, "WW": 0.0, "WT": 0.0, "WH": 0.0}
    for text, sqrt_s in [("e+ e- > z h", 500.0), ("e+ e- > w+ w- z", 800.0)]:
        unitary = diffhep.Process(text, param_card=card)
        feynman = diffhep.Process(text, param_card=card, gauge="feynman")
        assert feynman.gauge == "feynman" and unitary.gauge == "unitary"
        mom, _ = unitary.sample(3, sqrt_s, seed=2)
        np.testing.assert_allclose(feynman.msq(mom), unitary.msq(mom), rtol=1e-10)
    with pytest.raises(ValueError, match="unknown gauge 'axial'"):
        diffhep.Process("e+ e- > z h", gauge="axial")
    # Goldstone bosons are internal only.
    with pytest.raises(ValueError, match="unknown particle 'G0'"):
        diffhep.Process("e+ e- > G0 h", gauge="feynman")
