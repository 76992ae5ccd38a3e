"""Cost of the Python layer: diffhep.Process.msq against the same computation timed inside Rust,
and the JAX adapter against a pure-JAX e+e- → μ+μ- matrix element.

1. ``Process("e+ e- > mu+ mu-").msq`` on 1 event and on 10⁴ events: the Python call (array
   conversion, argument checks, GIL release, result array) against ``_rust_msq_seconds``, which
   times the identical batched Rust computation from inside Rust in the same process (no Python
   in the timed loop). Printed: µs per call, the overhead per call, ns per event and the ratio.
   Targets (issue "pip install diffhep"): overhead ≤ 5 µs per call, per-event cost within 1.2×
   of Rust at 10⁴ events.
2. ``msq_and_grad`` (momenta and MZ) at 10⁴ events, ns per event.
3. JAX, 10⁴ events: ``jit(grad(Σ |M|²))`` w.r.t. M_Z through ``diffhep.jax.msq`` against the
   same through the pure-JAX |M|² of ``benches/jax_batch.py`` (``ee_event``: the same physics
   written in jax.numpy, jit-compiled by XLA). Both include JAX's dispatch.

Times are the median of repeated runs after a warm-up. Run from the repository root:
``python python/bench/overhead.py`` (needs numpy; the JAX rows need jax).
"""

import pathlib
import statistics
import sys
import time

import numpy as np

import diffhep

ROOT = pathlib.Path(__file__).resolve().parents[2]


def median_seconds(f, min_time=0.2, reps=7):
    """Median seconds per call over `reps` samples, each repeating `f` for ≥ min_time/reps."""
    f()
    samples = []
    for _ in range(reps):
        n = 0
        t0 = time.perf_counter()
        while True:
            f()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time / reps:
                break
        samples.append(dt / n)
    return statistics.median(samples)


def main():
    proc = diffhep.Process("e+ e- > mu+ mu-")
    mom, _ = proc.sample(10_000, 91.0, seed=1)
    print(f"diffhep {diffhep.__version__}, Python {sys.version.split()[0]}, e+e- -> mu+mu- at sqrt(s) = 91 GeV")
    print(f"{'measurement':<44} {'python':>12} {'rust':>12} {'overhead':>12} {'ratio':>7}")
    one = np.ascontiguousarray(mom[:1])
    t_py = median_seconds(lambda: proc.msq(one))
    t_rs = statistics.median(proc._native._rust_msq_seconds(one, 2000) for _ in range(7))
    print(f"{'msq, 1 event (us per call)':<44} {1e6 * t_py:12.2f} {1e6 * t_rs:12.2f} {1e6 * (t_py - t_rs):12.2f} {t_py / t_rs:7.2f}")
    t_py = median_seconds(lambda: proc.msq(mom), min_time=1.0)
    t_rs = statistics.median(proc._native._rust_msq_seconds(mom, 5) for _ in range(7))
    n = len(mom)
    print(f"{'msq, 10^4 events (ns per event)':<44} {1e9 * t_py / n:12.1f} {1e9 * t_rs / n:12.1f} {1e6 * (t_py - t_rs):10.1f}us {t_py / t_rs:7.2f}")
    t_g = median_seconds(lambda: proc.msq_and_grad(mom, wrt=["momenta", "MZ"]), min_time=1.0)
    print(f"{'msq_and_grad (momenta, MZ), 10^4 (ns/event)':<44} {1e9 * t_g / n:12.1f} {'':>12} {'':>12} {'':>7}")
    try:
        import jax
    except ImportError:
        print("jax not installed: JAX rows skipped")
        return
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import diffhep.jax as djax

    sys.path.insert(0, str(ROOT / "benches"))
    from jax_batch import ee_event

    f = djax.msq(proc, params=["MZ"])
    p = jnp.asarray(mom)
    g_diffhep = jax.jit(jax.grad(lambda mz: jnp.sum(f(p, jnp.reshape(mz, (1,))))))
    # The same events as (sqrt(s), cos θ of the μ+ w.r.t. the e+ beam) for the pure-JAX |M|²;
    # its electroweak inputs are diffhep's card values (sw2 derived from MZ, aEWM1, Gf).
    rs = jnp.asarray(mom[:, 0, 0] + mom[:, 1, 0])
    c = jnp.asarray(mom[:, 2, 3] / np.linalg.norm(mom[:, 2, 1:], axis=1))
    card = proc.parameters
    mw2 = card["MZ"] ** 2 / 2 + np.sqrt(card["MZ"] ** 4 / 4 - np.pi / card["aEWM1"] * card["MZ"] ** 2 / (np.sqrt(2) * card["Gf"]))
    sw2 = 1 - mw2 / card["MZ"] ** 2
    pure = jax.jit(jax.grad(lambda mz: jnp.sum(ee_event(rs, c, mz, card["WZ"], sw2, 1.0 / card["aEWM1"]))))
    mz = jnp.asarray(card["MZ"])
    t_d = median_seconds(lambda: g_diffhep(mz).block_until_ready(), min_time=1.0)
    t_j = median_seconds(lambda: pure(mz).block_until_ready(), min_time=1.0)
    print(f"{'JAX jit(grad) w.r.t. MZ, 10^4 events (ns/ev)':<44} {1e9 * t_d / n:12.1f} {'pure JAX:':>12} {1e9 * t_j / n:10.1f} {t_d / t_j:7.1f}")


if __name__ == "__main__":
    main()
