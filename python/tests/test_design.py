"""diffhep.design.run: a small study, determinism, resume from a checkpoint to the same
answer, and errors."""

import numpy as np
import pytest

import diffhep

SMALL = {
    "vertex_events": 200,
    "shower_samples": 20,
    "eval_vertex_events": 200,
    "eval_shower_samples": 50,
}


def small_overrides():
    """The default study with small samples (the sizes of the [sample] table)."""
    assert "[sample]" in diffhep.design.default_config()
    return {"sample": dict(SMALL)}


def test_small_study_runs_and_is_deterministic():
    seen = []
    h = diffhep.design.run(overrides=small_overrides(), steps=2, progress=lambda *a: seen.append(a))
    assert [s[0] for s in seen] == [1, 2]
    s, p = h["design"].shape
    assert s == 3 and p == len(h["parameter_names"])
    assert h["gradient"].shape == (2, p)
    assert np.all(np.isfinite(h["objective"]))
    np.testing.assert_array_equal(h["step"], [0, 1, 2])
    again = diffhep.design.run(overrides=small_overrides(), steps=2)
    for k in ("design", "objective", "gradient"):
        np.testing.assert_array_equal(h[k], again[k])


def test_resume_from_checkpoint_reaches_the_same_answer(tmp_path):
    ck = tmp_path / "ck.json"
    full = diffhep.design.run(overrides=small_overrides(), steps=3)
    first = diffhep.design.run(overrides=small_overrides(), steps=1, checkpoint=ck)
    assert ck.exists() and first["design"].shape[0] == 2
    resumed = diffhep.design.run(overrides=small_overrides(), steps=3, checkpoint=ck)
    for k in ("design", "objective", "gradient"):
        np.testing.assert_array_equal(resumed[k], full[k])
    # Another configuration with the same checkpoint is refused, not silently mixed.
    other = small_overrides()
    other["seed"] = 12345
    with pytest.raises(ValueError, match="another configuration"):
        diffhep.design.run(overrides=other, steps=3, checkpoint=ck)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"config": "not toml ["}, "config"),
        ({"overrides": {"no_such_key": 1}}, "config"),
        ({"overrides": [1, 2]}, "overrides"),
        ({"steps": -1}, "steps"),
        ({"progress": 3}, "progress"),
    ],
)
def test_bad_configuration_raises_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diffhep.design.run(**kwargs)


def test_corrupt_checkpoint_is_refused(tmp_path):
    ck = tmp_path / "ck.json"
    ck.write_text('{"version": 1, "config": {')
    with pytest.raises(ValueError, match="checkpoint"):
        diffhep.design.run(overrides=small_overrides(), steps=1, checkpoint=ck)
