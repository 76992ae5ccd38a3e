"""diffhep.shower.estimate: equality with `diffhep shower`, agreement of the unbiased estimators
within their standard errors, determinism, and errors."""

import numpy as np
import pytest

import diffhep


def test_equals_the_rust_api(cli):
    got = diffhep.shower.estimate([1.0] * 4, energy=5.0, samples=300, estimator="triple", seed=3)
    ref = cli("shower", "--layers", 4, "--energy", 5, "--thickness", 1, "--samples", 300, "--seed", 3)
    np.testing.assert_allclose(got["deposit"], ref["deposit"], rtol=1e-12)
    np.testing.assert_allclose(got["deposit_se"], ref["deposit_se"], rtol=1e-12)
    np.testing.assert_allclose(got["gradient"], np.array(ref["gradient"]), rtol=1e-12, atol=1e-14)
    assert got["runs"] == ref["runs"] and got["samples"] == ref["samples"]


def test_triples_and_finite_differences_agree_within_errors():
    t = [0.8, 1.0, 1.2]
    a = diffhep.shower.estimate(t, energy=5.0, samples=3000, estimator="triple", seed=1)
    b = diffhep.shower.estimate(t, energy=5.0, samples=3000, estimator="fd", seed=2)
    se = np.hypot(a["gradient_se"], b["gradient_se"])
    # A layer's deposit does not depend on the thickness of the layers behind it: those
    # entries are exactly zero for both estimators (no spread); compare the rest in units of
    # their combined standard error.
    zero = se == 0
    np.testing.assert_array_equal(a["gradient"][zero], 0.0)
    np.testing.assert_array_equal(b["gradient"][zero], 0.0)
    z = (a["gradient"] - b["gradient"])[~zero] / se[~zero]
    assert np.all(np.abs(z) < 5), z
    c = diffhep.shower.estimate(t, energy=5.0, samples=3000, estimator="triple", seed=1)
    np.testing.assert_array_equal(a["gradient"], c["gradient"])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"estimator": "magic"}, "estimator"),
        ({"energy": 1e5}, "energy"),
        ({"energy": -1.0}, "beam energy"),
        ({"samples": 1}, "samples"),
        ({"thickness": [1.0, -1.0]}, "thickness"),
        ({"thickness": [[1.0]]}, "thickness"),
        ({"thickness": [], "samples": 10}, "layers"),
    ],
)
def test_bad_settings_raise_value_error(kwargs, message):
    args = {"thickness": [1.0, 1.0], "energy": 5.0, "samples": 10}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        diffhep.shower.estimate(**args)
