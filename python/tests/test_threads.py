"""diffhep.pin_threads: the batched functions' pool pinned one worker per CPU. Run in a fresh
interpreter, since the pool is set up once per process at its first use."""

import subprocess
import sys
import textwrap

import pytest

import diffhep

CHILD = textwrap.dedent(
    """
    import os, pathlib
    import numpy as np
    import diffhep

    cpus = sorted(os.sched_getaffinity(0))
    theta = np.tile([91.3, 0.225], (64, 1))
    diffhep.pin_threads(len(cpus))
    # Each worker thread (named diffhep-pin-<i>) may run on exactly one CPU: cpus[i].
    workers = {}
    for task in pathlib.Path("/proc/self/task").iterdir():
        name = (task / "comm").read_text().strip()
        if name.startswith("diffhep-pin-"):
            allowed = os.sched_getaffinity(int(task.name))
            workers[int(name.rsplit("-", 1)[1])] = sorted(allowed)
    assert workers == {i: [c] for i, c in enumerate(cpus)}, workers
    # Batched calls run on it and give the same numbers as before (deterministic per seed).
    a = diffhep.sbi.simulate(theta, seed=3)["x"]
    b = diffhep.sbi.simulate(theta, seed=3)["x"]
    np.testing.assert_array_equal(a, b)
    try:
        diffhep.pin_threads(len(cpus))
    except RuntimeError as e:
        assert "pin_threads" in str(e) and "already" in str(e), str(e)
    else:
        raise AssertionError("a second pin_threads did not raise")
    print("ok")
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pinning is Linux only")
def test_pin_threads_pins_each_worker_once_per_process():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_zero_threads_is_a_value_error():
    with pytest.raises(ValueError, match="at least one thread"):
        diffhep.pin_threads(0)
