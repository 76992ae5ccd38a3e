#!/usr/bin/env python3
"""JAX side of two Rust benches, printed in the table format of the Rust batch bench.

What it measures (float64, jit; ns/event is the median of 15 timed samples after a warm-up, each
sample repeating the call until it lasts >= 2 ms, as the Rust bench's ``ns_per_event`` does; every
call ends in ``.block_until_ready()``, and JAX's per-call dispatch cost, ~8 us here, is included):

1. ``physics/benches/batch.rs``: e+e- -> gamma/Z -> mu+mu- |M|^2 (``couplings`` + ``msq_with`` of
   ``physics/src/collider/ee_mumu.rs``, same operation order, s = rs*rs per event) over the same
   100_000 events (the bench's fixed 64-bit LCG, reproduced bit for bit) at
   ``EwParams::madgraph_sm()`` = [MZ, WZ, sw2, alpha] = [91.188, 2.441404, 0.22224649, 1/132.507]:
     (a) fused primal: per-event |M|^2 (jit + vmap);
     (b) fit grad: value and gradient of sum_e |M|^2 w.r.t. (MZ, sw2) (jit value_and_grad);
     (c) jac4: per-event value and the 4 partials w.r.t. (rs, cos theta, MZ, sw2); both
         jit(vmap(jacfwd)) and jit(vmap(4 explicit jvps)) are timed, the faster goes in the table.
   "/ primal" divides by JAX's own primal; JAX has no hand adjoint, so the last column is "-".
   The fit value and gradient and the first event's value and partials are printed for
   cross-checking against the Rust engines.
2. ``benches/tape.rs`` part (b): the ~65-op |M|^2-like ``me(s, c, mz, sw2)`` over
   ``events(10_000)``, parameters (mz, sw2) = (91.1876, 0.2312): the jitted primal sum and the
   jitted value_and_grad of the sum w.r.t. (mz, sw2); compare with the "(b)" rows of
   ``cargo bench --bench tape`` (f64 primal, batched tape value+grad).

Rounding: the events are bit-identical to the Rust bench's, and the source keeps the Rust
operation order, but XLA's CPU compiler contracts a*b + c into FMA instructions where the CPU has
them (Rust does not), so per-event |M|^2 differs from the Rust f64 values in the last bits (up to
~2e-13 relative on this data; the sum and the fit gradient agree to ~2e-15). For bit-identical
primal values, append ``--xla_cpu_max_isa=AVX`` to ``XLA_FLAGS`` (no FMA; the script keeps
existing XLA_FLAGS); the timings are then no longer JAX's default.

Before timing, the script checks the jac4 partials against central differences of its own JAX
primal on the first 3 events (relative agreement 1e-6; prints "fd check ok"), that the jacfwd and
jvp versions agree, and that the summed (MZ, sw2) partials equal the fit gradient.

Threads: by default JAX is held to one CPU for a one-core comparison with the Rust 1-thread rows.
Before jax is imported, ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` is
added to ``XLA_FLAGS``, and the process restricts itself to one CPU with ``os.sched_setaffinity``
(Linux; no taskset needed). The flags alone are not enough with jaxlib 0.10: XLA still splits the
100_000-event loop fusions over its intra-op thread pool, which is sized from the CPUs the
process may use (``outer_dimension_partitions=2`` on a 2-core machine); with one allowed CPU the
pool has one thread. ``--threads all`` changes neither. The ratio of process CPU time to wall
time over the timed samples is printed as a check (<= 1 means one busy thread).

Run (from the repository root; needs ``pip install "jax[cpu]"``, Python 3.9+):

    python3 benches/jax_batch.py               # one thread
    python3 benches/jax_batch.py --threads all

Rust and JAX back to back, from one session (``benches/batch_vs_jax.sh`` runs the same):

    cargo bench --bench batch -- --warm-up-time 1 --measurement-time 2 summary && python3 benches/jax_batch.py
"""

import argparse
import math
import os
import statistics
import sys
import time

EVENTS = 100_000
TAPE_EVENTS = 10_000
REPS = 15
MASK64 = (1 << 64) - 1


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--threads",
        choices=["1", "all"],
        default="1",
        help="1 (default): one CPU (XLA_FLAGS + CPU affinity); all: XLA's default threading",
    )
    return ap.parse_args()


# ------------------------------------------------------------------------------ data
def batch_data():
    """`data(EVENTS)` of physics/benches/batch.rs: rs uniform in [60, 120] GeV, then cos theta."""
    state = 0x2545F4914F6CDD1D

    def u():
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK64
        return (state >> 11) / float(1 << 53)

    rs = [60.0 + 60.0 * u() for _ in range(EVENTS)]
    c = [2.0 * u() - 1.0 for _ in range(EVENTS)]
    return rs, c


def tape_events(n):
    """`events(n)` of benches/tape.rs."""
    s = [8000.0 + 10.0 * (i % 97) for i in range(n)]
    c = [-0.95 + 1.9 * ((i * 31) % 1000) / 1000.0 for i in range(n)]
    return s, c


# ------------------------------------------------------------------------------ functions
def couplings(mz, wz, sw2, alpha):
    """`couplings` of ee_mumu.rs, same operation order."""
    e2 = alpha * (4.0 * math.pi)
    cw2 = 1.0 - sw2
    norm = 1.0 / (sw2 * cw2)
    c_l = sw2 - 0.5
    c_r = sw2
    k_ll = c_l * c_l * norm
    k_rr = c_r * c_r * norm
    k_opp = c_l * c_r * norm
    mzwz = mz * wz
    return dict(
        e4_quarter=e2 * e2 * 0.25,
        mz2=mz * mz,
        mzwz2=mzwz * mzwz,
        k_same=k_ll + k_rr,
        k_same2=k_ll * k_ll + k_rr * k_rr,
        k_opp=k_opp,
    )


def msq_with(g, s, cos_theta):
    """`msq_with` of ee_mumu.rs, same operation order."""
    d = s - g["mz2"]
    inv_den = 1.0 / (d * d + g["mzwz2"])
    s_over = s * inv_den
    re_chi = s_over * d
    abs_chi2 = s_over * s
    same = (g["k_same"] * re_chi + 1.0) * 2.0 + g["k_same2"] * abs_chi2
    ko = g["k_opp"]
    opp = (ko * re_chi * 2.0 + 1.0 + ko * ko * abs_chi2) * 2.0
    plus = cos_theta + 1.0
    minus = 1.0 - cos_theta
    return (plus * plus * same + minus * minus * opp) * g["e4_quarter"]


def ee_event(rs, c, mz, wz, sw2, alpha):
    """`EeMuMuEvents::eval`: |M|^2 of one event with columns (rs, cos theta)."""
    return msq_with(couplings(mz, wz, sw2, alpha), rs * rs, c)


def me(s, c, mz, sw2):
    """`me` of benches/tape.rs, same operation order (~65 ops)."""
    gz = 2.4952
    mz2 = mz * mz
    kappa = 1.0 / (sw2 * (1.0 - sw2) * 4.0)
    gv = sw2 * 2.0 - 0.5
    ga = -0.5
    gv2 = gv * gv
    sm = s - mz2
    den = sm * sm + mz2 * (gz * gz)
    re_chi = kappa * s * sm / den
    abs_chi2 = kappa * kappa * s * s / den
    a0 = (gv2 * re_chi) * 2.0 + 1.0 + (gv2 + ga * ga) * (gv2 + ga * ga) * abs_chi2
    a1 = re_chi * (4.0 * ga * ga) + gv2 * abs_chi2 * (8.0 * ga * ga)
    c2 = c * c
    return (a0 * (c2 + 1.0) + a1 * c) * 16.0


# ------------------------------------------------------------------------------ timing
class Clock:
    """Median ns/event of timed samples; also adds up CPU and wall time of all timed samples."""

    def __init__(self):
        self.cpu = 0.0
        self.wall = 0.0

    def ns_per_event(self, f, n_events, reps=REPS, min_run_s=2e-3):
        f()  # warm-up (the first call compiles)
        t = time.perf_counter()
        f()
        one = max(time.perf_counter() - t, 1e-9)
        calls = min(max(1, math.ceil(min_run_s / one)), 10_000)
        runs = []
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(reps):
            t = time.perf_counter_ns()
            for _ in range(calls):
                f()
            runs.append((time.perf_counter_ns() - t) / (calls * n_events))
        self.cpu += time.process_time() - c0
        self.wall += time.perf_counter() - w0
        return statistics.median(runs)


def header():
    print("{:<52} {:>9} {:>12} {:>12}".format("engine", "ns/event", "/ primal", "/ hand adj."))


def row(name, ns, primal):
    print("{:<52} {:>9.2f} {:>12.2f} {:>12}".format(name, ns, ns / primal, "-"))


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# ------------------------------------------------------------------------------ main
def main():
    args = parse_args()
    threads = "XLA default threads"
    if args.threads == "1":
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
        threads = "1 thread: XLA_FLAGS"
        if hasattr(os, "sched_setaffinity"):
            cpu = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cpu})
            threads += " + affinity to CPU %d" % cpu
        else:
            threads += " only (no sched_setaffinity here: XLA may still split loops)"
    try:
        import jax
    except ImportError:
        print('jax not installed: pip install "jax[cpu]" (skipping the JAX side)')
        return 0
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np

    # ---------------------------------------------------------------- e+e- -> mu+mu-, 1e5 events
    rs_l, c_l = batch_data()
    rs = jnp.asarray(np.array(rs_l, dtype=np.float64))
    c = jnp.asarray(np.array(c_l, dtype=np.float64))
    mz, wz, sw2, alpha = 91.188, 2.441404, 0.22224649, 1.0 / 132.507
    p4 = jnp.array([mz, wz, sw2, alpha], dtype=jnp.float64)
    theta = jnp.array([mz, sw2], dtype=jnp.float64)

    per_event = jax.vmap(ee_event, in_axes=(0, 0, None, None, None, None))

    @jax.jit
    def primal(p, rs, c):
        return per_event(rs, c, p[0], p[1], p[2], p[3])

    def fit_sum(th, p, rs, c):
        return jnp.sum(per_event(rs, c, th[0], p[1], th[1], p[3]))

    fit = jax.jit(jax.value_and_grad(fit_sum))

    def ev4(rs, c, mz, sw2, wz, alpha):
        y = ee_event(rs, c, mz, wz, sw2, alpha)
        return y, y

    jac_one = jax.jacfwd(ev4, argnums=(0, 1, 2, 3), has_aux=True)

    @jax.jit
    def jac_jacfwd(p, rs, c):
        d, y = jax.vmap(jac_one, in_axes=(0, 0, None, None, None, None))(
            rs, c, p[0], p[2], p[1], p[3]
        )
        return (y,) + tuple(d)

    def jvp4_one(rs, c, mz, sw2, wz, alpha):
        f = lambda a, b, m, w: ee_event(a, b, m, wz, w, alpha)  # noqa: E731
        x = (rs, c, mz, sw2)
        outs = []
        for k in range(4):
            t = tuple(jnp.ones_like(v) if i == k else jnp.zeros_like(v) for i, v in enumerate(x))
            y, dy = jax.jvp(f, x, t)
            outs.append(dy)
        return (y,) + tuple(outs)

    @jax.jit
    def jac_jvp(p, rs, c):
        return jax.vmap(jvp4_one, in_axes=(0, 0, None, None, None, None))(
            rs, c, p[0], p[2], p[1], p[3]
        )

    # Checks before timing.
    vals = primal(p4, rs, c)
    fv, fg = fit(theta, p4, rs, c)
    jf = jac_jacfwd(p4, rs, c)
    jv = jac_jvp(p4, rs, c)
    fv, fg = float(fv), [float(x) for x in fg]
    assert fv > 0.0 and math.isfinite(fv), fv
    for a, b in zip(jf, jv):
        scale = jnp.maximum(jnp.maximum(jnp.abs(a), jnp.abs(b)), 1e-300)
        r = float(jnp.max(jnp.abs(a - b) / scale))
        assert r < 1e-12, "jacfwd and jvp differ: %g" % r
    # Not bit-identical: XLA contracts different a*b + c pairs into FMAs in the two programs.
    r = float(jnp.max(jnp.abs(jf[0] - vals) / jnp.abs(vals)))
    assert r < 1e-11, "jac4 values differ from the primal: %g" % r
    assert rel(float(jnp.sum(vals)), fv) < 1e-12
    assert rel(float(jnp.sum(jf[3])), fg[0]) < 1e-9 and rel(float(jnp.sum(jf[4])), fg[1]) < 1e-9

    # Central differences of the JAX primal on the first 3 events, w.r.t. (rs, c, MZ, sw2).
    one = jax.jit(lambda x: ee_event(x[0], x[1], x[2], wz, x[3], alpha))
    worst = 0.0
    for e in range(3):
        x0 = np.array([rs_l[e], c_l[e], mz, sw2])
        for k in range(4):
            h = 1e-6 * max(abs(x0[k]), 1.0)
            xp, xm = x0.copy(), x0.copy()
            xp[k] += h
            xm[k] -= h
            fd = (float(one(xp)) - float(one(xm))) / (xp[k] - xm[k])
            worst = max(worst, rel(fd, float(jf[1 + k][e])))
    assert worst < 1e-6, "jac4 partials disagree with central differences: %g" % worst
    print("fd check ok (first 3 events, 4 partials, worst relative difference %.1e)" % worst)

    clock = Clock()
    t_primal = clock.ns_per_event(lambda: primal(p4, rs, c).block_until_ready(), EVENTS)
    t_fit = clock.ns_per_event(lambda: jax.block_until_ready(fit(theta, p4, rs, c)), EVENTS)
    t_jacfwd = clock.ns_per_event(lambda: jax.block_until_ready(jac_jacfwd(p4, rs, c)), EVENTS)
    t_jvp = clock.ns_per_event(lambda: jax.block_until_ready(jac_jvp(p4, rs, c)), EVENTS)
    if t_jacfwd <= t_jvp:
        jac_rows = [("JAX jac4: jit vmap jacfwd", t_jacfwd), ("jit vmap 4 jvps", t_jvp)]
    else:
        jac_rows = [("JAX jac4: jit vmap 4 jvps", t_jvp), ("jit vmap jacfwd", t_jacfwd)]

    # ---------------------------------------------------------------- tape bench (b), 1e4 events
    s_l, ct_l = tape_events(TAPE_EVENTS)
    st = jnp.asarray(np.array(s_l, dtype=np.float64))
    ct = jnp.asarray(np.array(ct_l, dtype=np.float64))
    tmz, tsw2 = jnp.float64(91.1876), jnp.float64(0.2312)

    def me_sum(mz, sw2, s, c):
        return jnp.sum(me(s, c, mz, sw2))

    me_primal = jax.jit(me_sum)
    me_vg = jax.jit(jax.value_and_grad(me_sum, argnums=(0, 1)))
    tv, tg = me_vg(tmz, tsw2, st, ct)
    assert rel(float(tv), float(me_primal(tmz, tsw2, st, ct))) < 1e-13
    t_me = clock.ns_per_event(lambda: me_primal(tmz, tsw2, st, ct).block_until_ready(), TAPE_EVENTS)
    t_me_vg = clock.ns_per_event(
        lambda: jax.block_until_ready(me_vg(tmz, tsw2, st, ct)), TAPE_EVENTS
    )

    # ---------------------------------------------------------------- report
    print()
    print(
        "JAX %s, e+e- -> mu+mu- |M|^2, %d events (median of %d timed samples, %s)"
        % (jax.__version__, EVENTS, REPS, threads)
    )
    header()
    row("JAX jit+vmap fused f64 primal", t_primal, t_primal)
    row("JAX fit grad: jit value_and_grad", t_fit, t_primal)
    row(jac_rows[0][0], jac_rows[0][1], t_primal)
    print("(jac4, the slower JAX variant: %s %.2f ns/event)" % jac_rows[1])
    print(
        "fit: sum |M|^2 = %.14e, d/dMZ = %.14e, d/dsw2 = %.14e" % (fv, fg[0], fg[1])
    )
    print(
        "event 0 (rs = %.17g, cos = %.17g): |M|^2 = %.14e" % (rs_l[0], c_l[0], float(jf[0][0]))
    )
    print(
        "  d/d(rs, cos, MZ, sw2) = %.14e, %.14e, %.14e, %.14e"
        % tuple(float(jf[1 + k][0]) for k in range(4))
    )
    print()
    print(
        "tape bench (b): |M|^2-like 65-op me(s, c, mz, sw2), %d events, "
        "value + grad of the sum w.r.t. (mz, sw2) = (91.1876, 0.2312)" % TAPE_EVENTS
    )
    header()
    row("JAX jit f64 primal sum", t_me, t_me)
    row("JAX jit value_and_grad of the sum", t_me_vg, t_me)
    print(
        "sum me = %.14e, d/dmz = %.14e, d/dsw2 = %.14e" % (float(tv), float(tg[0]), float(tg[1]))
    )
    print("(process CPU time / wall time over all timed samples: %.2f)" % (clock.cpu / clock.wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
