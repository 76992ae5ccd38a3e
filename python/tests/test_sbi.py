"""diffhep.sbi: simulations with joint scores and ratios (score identity, ratio identity,
consistency), the exact likelihood's gradient against finite differences, and errors."""

import numpy as np
import pytest

import diffhep
from conftest import central

THETA = np.array([91.3, 0.225])


def test_simulations_are_deterministic_and_bins_are_fractions():
    t = np.tile(THETA, (5, 1))
    a = diffhep.sbi.simulate(t, seed=4)
    b = diffhep.sbi.simulate(t, seed=4)
    np.testing.assert_array_equal(a["x"], b["x"])
    assert a["x"].shape == (5, 6) and a["joint_score"].shape == (5, 2)
    assert np.all((a["x"] >= 0) & (a["x"] <= 1))
    # Simulation i depends on (seed, i) only: a sub-batch gives the same rows.
    np.testing.assert_array_equal(diffhep.sbi.simulate(t[:2], seed=4)["x"], a["x"][:2])
    one = diffhep.sbi.simulate(THETA, seed=4)
    np.testing.assert_array_equal(one["x"], a["x"][0])


def test_joint_score_has_zero_mean():
    n = 400
    s = diffhep.sbi.simulate(np.tile(THETA, (n, 1)), seed=8)["joint_score"]
    m = s.mean(axis=0)
    se = s.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(m) < 5 * se), (m, se)


def test_joint_ratio_has_unit_expectation_and_the_score_as_derivative():
    n = 1000
    ref = THETA + np.array([0.04, 0.001])
    out = diffhep.sbi.simulate(np.tile(ref, (n, 1)), seed=2, reference=THETA)
    r = np.exp(-out["joint_log_ratio"])  # p(z|θ)/p(z|θ_ref) with z drawn at θ_ref
    assert abs(r.mean() - 1) < 5 * r.std() / np.sqrt(n)
    # −∂/∂θ₁ log r(θ, θ₁) at θ₁ = θ is the joint score (same latent z).
    base = diffhep.sbi.simulate(THETA, seed=6)
    for j, h in enumerate([1e-4, 1e-6]):
        up = THETA.copy()
        up[j] += h
        dn = THETA.copy()
        dn[j] -= h
        lu = diffhep.sbi.simulate(THETA, seed=6, reference=up)["joint_log_ratio"]
        ld = diffhep.sbi.simulate(THETA, seed=6, reference=dn)["joint_log_ratio"]
        assert -(lu - ld) / (2 * h) == pytest.approx(base["joint_score"][j], rel=1e-5)


def test_log_likelihood_gradient_matches_finite_differences():
    x = diffhep.sbi.simulate(THETA, seed=1)["x"]
    v, g = diffhep.sbi.log_likelihood(THETA, x)
    for j, h in enumerate([1e-3, 1e-5]):
        def f(t, j=j):
            th = THETA.copy()
            th[j] = t
            return diffhep.sbi.log_likelihood(th, x)[0]

        assert g[j] == pytest.approx(central(f, THETA[j], h), rel=1e-7)
    vb, gb = diffhep.sbi.log_likelihood(np.tile(THETA, (3, 1)), np.tile(x, (3, 1)))
    np.testing.assert_array_equal(vb, [v] * 3)


def test_info():
    info = diffhep.sbi.info()
    assert info["prior_low"] == [90.0, 0.18] and info["sqrt_s"] == [89.0, 93.0]


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: diffhep.sbi.simulate(np.zeros((2, 3))), "theta"),
        (lambda: diffhep.sbi.simulate([np.nan, 0.2]), "theta: entry 0"),
        (lambda: diffhep.sbi.simulate(THETA, reference=[1.0]), "reference"),
        (lambda: diffhep.sbi.simulate(THETA, seed=-1), "seed"),
        (lambda: diffhep.sbi.log_likelihood(THETA, np.zeros(5)), "x: expected"),
        (lambda: diffhep.sbi.log_likelihood(THETA, np.full(6, 2.0)), r"\[0, 1\]"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
