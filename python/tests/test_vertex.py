"""diffhep.fit_vertex / vertex_vjp: the closed-form solution for exact tracks, finite-difference
checks of every cotangent, and errors."""

import numpy as np
import pytest

import diffhep
from conftest import straight_tracks


def test_exact_tracks_meet_at_their_vertex():
    # Tracks built through (0.3, −0.2, 1.5) mm with no smearing: the fit returns that point.
    v = np.array([0.3, -0.2, 1.5])
    p, c = straight_tracks(v, [0.1, 1.2, 2.5, -2.0], [0.7, 1.4, 2.0, 1.1])
    out = diffhep.fit_vertex(p, c)
    np.testing.assert_allclose(out["position"], v, atol=1e-9)
    assert out["chi2"] == pytest.approx(0.0, abs=1e-12)
    assert out["ndf"] == 2 * 4 - 3
    np.testing.assert_allclose(out["covariance"], out["covariance"].T, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(out["covariance"]) > 0)


def test_batch_equals_single_fits(vertex_events):
    p, c, w = vertex_events
    batch = diffhep.fit_vertex(p, c, w)
    for e in range(len(p)):
        one = diffhep.fit_vertex(p[e], c[e], w[e])
        np.testing.assert_array_equal(one["position"], batch["position"][e])
        np.testing.assert_array_equal(one["covariance"], batch["covariance"][e])


def test_vjp_matches_finite_differences(vertex_events):
    p, c, w = vertex_events
    rng = np.random.default_rng(3)
    vbar = rng.normal(size=(len(p), 3))
    out = diffhep.vertex_vjp(p, c, w, vbar)
    np.testing.assert_array_equal(out["position"], diffhep.fit_vertex(p, c, w)["position"])

    def f(pp=p, cc=c, ww=w):
        return np.sum(diffhep.fit_vertex(pp, cc, ww)["position"] * vbar, axis=1)

    for e in range(len(p)):
        for t in range(p.shape[1]):
            h = 1e-5
            dw = np.zeros_like(w)
            dw[e, t] = h
            fd = (f(ww=w + dw) - f(ww=w - dw))[e] / (2 * h)
            assert out["weights"][e, t] == pytest.approx(fd, rel=1e-5, abs=1e-8)
            for k in range(5):
                dp = np.zeros_like(p)
                dp[e, t, k] = h
                fd = (f(pp=p + dp) - f(pp=p - dp))[e] / (2 * h)
                assert out["params"][e, t, k] == pytest.approx(fd, rel=1e-5, abs=1e-7), (e, t, k)
            # Covariance entries, moved symmetrically (the fit needs a symmetric matrix): the
            # derivative along C[k,l] = C[l,k] is the sum of the two split cotangents.
            for k, l in [(0, 0), (1, 1), (0, 1), (0, 2), (2, 3)]:
                hc = 1e-3 * c[e, t, k, k]
                dc = np.zeros_like(c)
                dc[e, t, k, l] = hc
                dc[e, t, l, k] = hc
                fd = (f(cc=c + dc) - f(cc=c - dc))[e] / (2 * hc)
                got = out["cov"][e, t, k, l] + (out["cov"][e, t, l, k] if k != l else 0.0)
                assert got == pytest.approx(fd, rel=1e-4, abs=1e-6), (e, t, k, l)


def test_helix_tracks():
    p, c = straight_tracks([0.1, 0.2, 0.3], [0.3, 1.5, 2.9], [0.9, 1.6, 2.2])
    out = diffhep.fit_vertex(p, c, bz=2.0)
    assert np.all(np.isfinite(out["position"]))
    with pytest.raises(ValueError, match="bz"):
        diffhep.fit_vertex(p, c, bz=0.0)


@pytest.mark.parametrize(
    "change,error,message",
    [
        (lambda p, c, w: (p[..., :4], c, w), ValueError, "params: expected an array of shape"),
        (lambda p, c, w: (p, c[:, :2], w), ValueError, "cov: expected"),
        (lambda p, c, w: (p, c, w[:, :3]), ValueError, "weights: expected"),
        (lambda p, c, w: (p, c, -w), ValueError, "negative"),
        (lambda p, c, w: (p, c, 0 * w), ValueError, "at least two tracks"),
        (lambda p, c, w: (np.where(p == p[0, 0, 0], np.nan, p), c, w), ValueError, "params: entry 0"),
        (lambda p, c, w: (p, c * np.array([1, 1, 1, 1, -1])[:, None], w), ValueError, "positive definite|symmetric"),
    ],
)
def test_bad_tracks_raise_value_error(vertex_events, change, error, message):
    p, c, w = vertex_events
    with pytest.raises(error, match=message):
        diffhep.fit_vertex(*change(p, c, w))


def test_parallel_tracks_are_a_runtime_error():
    # Two parallel lines (same direction through different points): the vertex is not
    # determined along them.
    p1, c1 = straight_tracks([0.0, 0.0, 0.0], [0.5], [1.0])
    p2, c2 = straight_tracks([0.0, 0.3, 0.0], [0.5], [1.0])
    p = np.concatenate([p1, p2])
    c = np.concatenate([c1, c2])
    with pytest.raises(RuntimeError, match="event 0: vertex not determined"):
        diffhep.fit_vertex(p, c)
