"""diffhep.jax: gradients through the host callbacks checked by jax.test_util.check_grads, and
the adapters under jit and vmap equal to the NumPy API."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

import diffhep  # noqa: E402
import diffhep.jax as djax  # noqa: E402


@pytest.fixture(scope="module")
def ttbar():
    proc = diffhep.Process("e+ e- > t t~")
    mom, _ = proc.sample(4, 500.0, seed=2)
    return proc, mom


def test_msq_equals_the_numpy_api_under_jit_and_vmap(ttbar):
    proc, mom = ttbar
    f = djax.msq(proc)
    want = proc.msq(mom)
    np.testing.assert_array_equal(np.asarray(f(mom)), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(f)(mom)), want)
    np.testing.assert_array_equal(np.asarray(jax.vmap(f)(mom)), want)
    g = djax.msq(proc, params=["MT"])
    theta = jnp.array([proc.parameters["MT"]])
    np.testing.assert_array_equal(np.asarray(jax.jit(g)(mom, theta)), want)
    # vmap over parameter points: one host call per distinct point.
    thetas = jnp.array([[170.0], [175.0]])
    got = jax.vmap(g, in_axes=(None, 0))(mom, thetas)
    for k, mt in enumerate([170.0, 175.0]):
        np.testing.assert_allclose(np.asarray(got[k]), proc.msq(mom, params={"MT": mt}, check=False), rtol=1e-15)


def test_msq_gradients_pass_check_grads(ttbar):
    proc, mom = ttbar
    g = djax.msq(proc, params=["MT", "MZ"])
    theta = jnp.array([proc.parameters["MT"], proc.parameters["MZ"]])

    def loss(p, th):
        return jnp.sum(jnp.log(g(p, th)))

    check_grads(loss, (jnp.asarray(mom), theta), order=1, modes=["fwd", "rev"], eps=1e-4)
    # jit(grad) equals the NumPy API's gradient.
    dp, dth = jax.jit(jax.grad(lambda p, th: jnp.sum(g(p, th)), argnums=(0, 1)))(jnp.asarray(mom), theta)
    _, grads = proc.msq_and_grad(mom, wrt=["momenta", "MT", "MZ"], check=False)
    np.testing.assert_allclose(np.asarray(dp), grads["momenta"], rtol=1e-13)
    np.testing.assert_allclose(np.asarray(dth), [grads["MT"].sum(), grads["MZ"].sum()], rtol=1e-13)


def test_vertex_fit_gradients_pass_check_grads(vertex_events):
    p, c, w = vertex_events
    f = djax.fit_vertex()
    np.testing.assert_array_equal(np.asarray(f(p, c, w)), diffhep.fit_vertex(p, c, w)["position"])
    np.testing.assert_array_equal(np.asarray(jax.jit(f)(p, c, w)), diffhep.fit_vertex(p, c, w)["position"])

    def loss(params, weights):
        return jnp.sum(f(params, c, weights) ** 2)

    check_grads(loss, (jnp.asarray(p), jnp.asarray(w)), order=1, modes=["rev"], eps=1e-5)
    # vmap over events of a per-event fit.
    np.testing.assert_array_equal(np.asarray(jax.vmap(f)(p, c, w)), diffhep.fit_vertex(p, c, w)["position"])


def test_sbi_log_likelihood_passes_check_grads():
    theta = jnp.array([[91.3, 0.225], [91.0, 0.23]])
    x = diffhep.sbi.simulate(np.asarray(theta), seed=1)["x"]

    def loss(th):
        return jnp.sum(djax.ee_mumu_log_likelihood(th, x))

    check_grads(loss, (theta,), order=1, modes=["fwd", "rev"], eps=1e-5)


def test_errors():
    proc = diffhep.Process("e+ e- > mu+ mu-")
    with pytest.raises(ValueError, match="unknown parameter"):
        djax.msq(proc, params=["MQ"])
    with pytest.raises(ValueError, match="momenta: expected shape"):
        djax.msq(proc)(jnp.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="theta"):
        djax.msq(proc, params=["MZ"])(jnp.zeros((2, 4, 4)), jnp.zeros(3))


def test_parameter_only_gradient_equals_the_numpy_api(ttbar):
    # grad w.r.t. θ alone: the momenta's tangent is a symbolic zero and diffhep differentiates
    # the parameters in forward mode.
    proc, mom = ttbar
    g = djax.msq(proc, params=["MT", "WT"])
    theta = jnp.array([proc.parameters["MT"], proc.parameters["WT"]])
    dth = jax.jit(jax.grad(lambda th: jnp.sum(g(mom, th))))(theta)
    _, grads = proc.msq_and_grad(mom, wrt=["MT", "WT"], check=False)
    np.testing.assert_allclose(np.asarray(dth), [grads["MT"].sum(), grads["WT"].sum()], rtol=1e-13)
    check_grads(lambda th: jnp.sum(jnp.log(g(mom, th))), (theta,), order=1, modes=["fwd", "rev"], eps=1e-4)
