"""Train a small PyTorch network through diffhep's vertex fit (the NDIVE pattern).

Each event has a primary vertex with 8 well-measured tracks and 3 tracks from a displaced decay
a few mm away. A fit with equal weights is pulled by the displaced tracks. A per-track network
(features: d0, z0 relative to the event's median z0, and their significances) outputs a weight
in (0, 1); the loss is the mean squared distance between the weighted-fit vertex and the true
primary vertex. The gradient of the loss w.r.t. the weights is the implicit derivative of the
fit (``diffhep.torch.fit_vertex``: one 3×3 adjoint solve per event, no unrolled iterations),
and PyTorch carries it into the network's parameters. Prints the vertex resolution per epoch
against the equal-weight fit and writes torch_vertex_net.png (training curve and the learned
weights of primary vs displaced tracks).

Run: ``python python/examples/torch_vertex_net.py`` (``--quick`` for a smaller, faster run).
"""

import argparse
import time

import numpy as np
import torch

import diffhep
import diffhep.torch as dtorch

N_PRIMARY = 8
N_DISPLACED = 3
SIGMA = 0.02  # mm, impact-parameter resolution


def perigee(vertex, phi, theta):
    """Straight-line perigee (d0, z0, φ, θ, q/p) of a track through `vertex` with direction (φ, θ)."""
    x, y, z = vertex
    d0 = -x * np.sin(phi) + y * np.cos(phi)
    z0 = z - (x * np.cos(phi) + y * np.sin(phi)) / np.tan(theta)
    return np.stack([d0, z0, phi, theta, np.full_like(phi, 0.01)], axis=-1)


def events(n, rng):
    """Tracks (n, 11, 5), covariances, true primary vertices (n, 3) and labels (1 = primary)."""
    params, truth = [], []
    for _ in range(n):
        pv = rng.normal(0.0, [0.01, 0.01, 30.0])
        sv = pv + rng.normal(0.0, 2.0, 3)
        phi = rng.uniform(-np.pi, np.pi, N_PRIMARY + N_DISPLACED)
        theta = rng.uniform(0.4, np.pi - 0.4, N_PRIMARY + N_DISPLACED)
        t = np.concatenate([perigee(pv, phi[:N_PRIMARY], theta[:N_PRIMARY]), perigee(sv, phi[N_PRIMARY:], theta[N_PRIMARY:])])
        t[:, :2] += rng.normal(0.0, SIGMA, (len(t), 2))
        params.append(t)
        truth.append(pv)
    params = np.array(params)
    cov = np.zeros(params.shape[:2] + (5, 5))
    cov[..., 0, 0] = cov[..., 1, 1] = SIGMA**2
    cov[..., 2, 2] = cov[..., 3, 3] = cov[..., 4, 4] = 1e-8
    label = np.concatenate([np.ones(N_PRIMARY), np.zeros(N_DISPLACED)])
    return params, cov, np.array(truth), np.broadcast_to(label, params.shape[:2])


def features(params):
    """Per-track inputs: d0 and z0 − median z0 of the event, in mm and in units of σ (log-scaled)."""
    d0 = params[..., 0]
    dz = params[..., 1] - params[..., 1].median(dim=-1, keepdim=True).values
    return torch.stack([d0, dz, torch.log1p(d0.abs() / SIGMA), torch.log1p(dz.abs() / SIGMA)], dim=-1)


def resolution(net, params, cov, truth):
    with torch.no_grad():
        w = torch.sigmoid(net(features(params))).squeeze(-1)
        v = dtorch.fit_vertex(params, cov, w)
    return float(((v - truth) ** 2).sum(-1).mean().sqrt())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="fewer events and epochs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="torch_vertex_net.png")
    args = ap.parse_args()
    n_train, n_test, epochs = (256, 256, 8) if args.quick else (2048, 1024, 30)
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    to = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    p_tr, c_tr, v_tr, _ = map(to, events(n_train, rng))
    p_te, c_te, v_te, lab_te = map(to, events(n_test, rng))

    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    equal = diffhep.fit_vertex(p_te.numpy(), c_te.numpy())["position"]
    equal_res = float(np.sqrt(((equal - v_te.numpy()) ** 2).sum(-1).mean()))
    print(f"vertex resolution (rms distance to the true primary vertex), {n_test} test events:")
    oracle = diffhep.fit_vertex(p_te.numpy(), c_te.numpy(), lab_te.numpy())["position"]
    oracle_res = float(np.sqrt(((oracle - v_te.numpy()) ** 2).sum(-1).mean()))
    print(f"  equal weights       {1e3 * equal_res:8.1f} um")
    print(f"  oracle (primaries)  {1e3 * oracle_res:8.1f} um")
    curve = []
    batch = 128
    t0 = time.perf_counter()
    for epoch in range(epochs):
        perm = torch.randperm(n_train)
        for b in range(0, n_train, batch):
            idx = perm[b : b + batch]
            w = torch.sigmoid(net(features(p_tr[idx]))).squeeze(-1)
            v = dtorch.fit_vertex(p_tr[idx], c_tr[idx], w)
            loss = ((v - v_tr[idx]) ** 2).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        res = resolution(net, p_te, c_te, v_te)
        curve.append(res)
        print(f"  epoch {epoch + 1:3d}           {1e3 * res:8.1f} um")
    seconds = time.perf_counter() - t0
    print(
        f"  learned weights: {1e3 * curve[-1]:.1f} um vs {1e3 * equal_res:.1f} um with equal weights and {1e3 * oracle_res:.1f} um for the oracle; "
        f"{seconds:.1f} s, {1e3 * seconds / epochs:.0f} ms per epoch"
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with torch.no_grad():
        w = torch.sigmoid(net(features(p_te))).squeeze(-1).numpy()
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(np.arange(1, epochs + 1), 1e3 * np.array(curve), marker=".", label="learned weights")
    ax[0].axhline(1e3 * equal_res, color="k", ls="--", label="equal weights")
    ax[0].axhline(1e3 * oracle_res, color="g", ls=":", label="oracle: primary tracks only")
    ax[0].set_yscale("log")
    ax[0].set_xlabel("epoch")
    ax[0].set_ylabel("vertex resolution [um]")
    ax[0].legend()
    lab = lab_te.numpy().astype(bool)
    ax[1].hist(w[lab], bins=40, range=(0, 1), histtype="step", label="primary tracks")
    ax[1].hist(w[~lab], bins=40, range=(0, 1), histtype="step", label="displaced tracks")
    ax[1].set_xlabel("learned track weight")
    ax[1].set_yscale("log")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"  plot: {args.out}")


if __name__ == "__main__":
    main()
