"""Shared fixtures: the `diffhep` binary for comparisons with the Rust API, and test inputs."""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def diffhep_binary():
    """The CLI built from the same sources (`cargo build --release -p diffhep-cli`).

    `DIFFHEP_BIN` names it explicitly (CI sets it, and then it must exist); otherwise
    target/release/diffhep of this checkout is used if present.
    """
    env = os.environ.get("DIFFHEP_BIN")
    if env:
        path = pathlib.Path(env)
        assert path.exists(), f"DIFFHEP_BIN={env} does not exist"
        return path
    path = ROOT / "target" / "release" / "diffhep"
    if not path.exists():
        pytest.skip("no diffhep binary: build it with cargo build --release -p diffhep-cli or set DIFFHEP_BIN")
    return path


@pytest.fixture
def cli():
    """Run the diffhep CLI with --json and return the parsed output."""
    binary = diffhep_binary()

    def run(*args):
        out = subprocess.run([str(binary), *map(str, args), "--json"], check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    return run


def central(f, x, h):
    """Richardson-extrapolated central difference of a scalar function (error O(h⁴))."""
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + h / 2) - f(x - h / 2)) / h
    return (4 * d2 - d1) / 3


def straight_tracks(vertex, phis, thetas, sigma=0.01):
    """Straight-line perigee parameters (d0, z0, φ, θ, q/p) of tracks through `vertex` (mm),
    and diagonal covariances (`sigma` mm on d0, z0; 1e-6 on the angles and q/p).

    The straight-line perigee: d0 = −x sin φ + y cos φ, z0 = z − (x cos φ + y sin φ) cot θ
    (the closest approach to the z axis in the transverse plane).
    """
    x, y, z = vertex
    params = []
    for phi, theta in zip(phis, thetas):
        d0 = -x * np.sin(phi) + y * np.cos(phi)
        z0 = z - (x * np.cos(phi) + y * np.sin(phi)) / np.tan(theta)
        params.append([d0, z0, phi, theta, 0.01])
    params = np.array(params)
    cov = np.zeros((len(phis), 5, 5))
    for i in range(len(phis)):
        cov[i] = np.diag([sigma**2, sigma**2, 1e-6, 1e-6, 1e-6])
    return params, cov


@pytest.fixture
def vertex_events():
    """Three events of five tracks each, smeared around known vertices, with weights."""
    rng = np.random.default_rng(7)
    ps, cs, ws = [], [], []
    for e in range(3):
        v = rng.normal(0.0, 0.5, 3)
        p, c = straight_tracks(v, rng.uniform(-3, 3, 5), rng.uniform(0.5, 2.6, 5))
        p[:, :2] += rng.normal(0.0, 0.01, (5, 2))
        # Correlate d0 and z0 a little, so off-diagonal covariance entries matter.
        c[:, 0, 1] = c[:, 1, 0] = 2e-5
        ps.append(p)
        cs.append(c)
        ws.append(rng.uniform(0.3, 1.0, 5))
    return np.array(ps), np.array(cs), np.array(ws)
