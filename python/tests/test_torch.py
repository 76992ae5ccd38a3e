"""diffhep.torch: torch.autograd.gradcheck on the matrix element, the vertex fit and the SBI
likelihood, and equality with the NumPy API."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import diffhep  # noqa: E402
import diffhep.torch as dtorch  # noqa: E402


def test_msq_gradcheck_and_equality():
    proc = diffhep.Process("e+ e- > t t~")
    mom, _ = proc.sample(3, 500.0, seed=4)
    f = dtorch.msq(proc, params=["MT", "WZ"])
    p = torch.tensor(mom, requires_grad=True)
    theta = torch.tensor([proc.parameters["MT"], proc.parameters["WZ"]], dtype=torch.float64, requires_grad=True)
    out = f(p, theta)
    # With gradients the value comes from the tape: equal to the plain value up to the last bit.
    np.testing.assert_allclose(out.detach().numpy(), proc.msq(mom), rtol=1e-13)
    assert torch.autograd.gradcheck(lambda a, b: torch.log(f(a, b)), (p, theta), eps=1e-6, atol=1e-6, rtol=1e-5)
    out.sum().backward()
    _, g = proc.msq_and_grad(mom, wrt=["momenta", "MT", "WZ"], check=False)
    np.testing.assert_allclose(p.grad.numpy(), g["momenta"], rtol=1e-13)
    np.testing.assert_allclose(theta.grad.numpy(), [g["MT"].sum(), g["WZ"].sum()], rtol=1e-13)
    # No gradient needed: no gradient computed, same values.
    with torch.no_grad():
        np.testing.assert_array_equal(dtorch.msq(proc)(torch.tensor(mom)).numpy(), proc.msq(mom))


def test_vertex_gradcheck(vertex_events):
    p, c, w = vertex_events
    pt = torch.tensor(p, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    ct = torch.tensor(c)
    pos = dtorch.fit_vertex(pt, ct, wt)
    np.testing.assert_array_equal(pos.detach().numpy(), diffhep.fit_vertex(p, c, w)["position"])
    assert torch.autograd.gradcheck(lambda a, b: dtorch.fit_vertex(a, ct, b), (pt, wt), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_vertex_covariance_gradient_along_symmetric_moves(vertex_events):
    # gradcheck moves one entry at a time, which makes a covariance asymmetric (refused by the
    # fit); check the covariance gradient along a symmetric direction instead.
    p, c, w = vertex_events
    ct = torch.tensor(c, requires_grad=True)
    loss = dtorch.fit_vertex(torch.tensor(p), ct, torch.tensor(w)).pow(2).sum()
    loss.backward()
    d = np.zeros_like(c)
    d[:, :, 0, 1] = d[:, :, 1, 0] = 1e-6
    d[:, :, 0, 0] = 1e-6
    h = 1e-2

    def f(x):
        return float(np.sum(diffhep.fit_vertex(p, x, w)["position"] ** 2))

    fd = (f(c + h * d) - f(c - h * d)) / (2 * h)
    assert float((ct.grad.numpy() * d).sum()) == pytest.approx(fd, rel=1e-5)


def test_sbi_log_likelihood_gradcheck():
    theta = torch.tensor([[91.3, 0.225], [91.0, 0.23]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor(diffhep.sbi.simulate(theta.detach().numpy(), seed=3)["x"])
    assert torch.autograd.gradcheck(lambda t: dtorch.ee_mumu_log_likelihood(t, x), (theta,), eps=1e-6, atol=1e-5, rtol=1e-5)


def test_errors():
    proc = diffhep.Process("e+ e- > mu+ mu-")
    with pytest.raises(ValueError, match="unknown parameter"):
        dtorch.msq(proc, params=["MQ"])
    with pytest.raises(ValueError, match="theta"):
        dtorch.msq(proc, params=["MZ"])(torch.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="shape"):
        dtorch.msq(proc)(torch.zeros(1, 3, 4))
