"""checkpoint.load refuses garbage, pickles and impossible counters with plain
messages; check_finite_arrays refuses NaN/Inf weights."""

import json
import pickle

import numpy as np
import pytest

from scratchgan import checkpoint
from scratchgan.errors import CheckpointError


def write(path, meta=None, **arrays):
    meta = {
        "format": checkpoint.FORMAT,
        "epoch": 1,
        "batch": 2,
        "step": 3,
        **(meta or {}),
    }
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return path


def test_a_valid_file_loads(tmp_path):
    path = write(tmp_path / "c.npz", **{"G/w": np.ones(3, np.float32)})
    arrays, meta = checkpoint.load(path)
    assert meta["step"] == 3 and list(arrays) == ["G/w"]


@pytest.mark.parametrize(
    "content", [pickle.dumps({"a": 1}), b"garbage bytes, not a checkpoint\n"]
)
def test_garbage_gets_a_plain_message(tmp_path, content):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as e:
        checkpoint.load(path)
    msg = str(e.value)
    assert str(path) in msg and "not a scratchgan checkpoint" in msg
    assert "unsafe" not in msg and "allow_pickle" not in msg and "\n" not in msg


def test_pickled_arrays_are_never_loaded(tmp_path):
    path = tmp_path / "checkpoint.npz"
    np.savez(path, meta=np.array([{"format": checkpoint.FORMAT}], dtype=object))
    with pytest.raises(CheckpointError) as e:
        checkpoint.load(path)
    msg = str(e.value)
    assert "holds pickled objects, which are never loaded" in msg
    assert "unsafe" not in msg and "allow_pickle" not in msg


@pytest.mark.parametrize(
    "key, value",
    [
        ("step", -1),
        ("epoch", -5),
        ("batch", 1.5),
        ("step", True),
        ("epoch", "3"),
        ("batch", None),
    ],
)
def test_impossible_counters_are_refused(tmp_path, key, value):
    path = write(tmp_path / "c.npz", meta={key: value})
    with pytest.raises(CheckpointError, match=f"meta {key} is"):
        checkpoint.load(path)


def test_a_meta_that_is_not_an_object(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, meta=np.array(json.dumps([1, 2])))
    with pytest.raises(CheckpointError, match="not a scratchgan checkpoint"):
        checkpoint.load(path)


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="not a regular file"):
        checkpoint.load(tmp_path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_named(bad):
    arrays = {"G/a": np.zeros(3), "perm": np.arange(3), "G/b": np.array([0.0, bad])}
    with pytest.raises(CheckpointError, match="G/b holds NaN or infinite"):
        checkpoint.check_finite_arrays(arrays, "c.npz")
    checkpoint.check_finite_arrays({"G/a": np.zeros(3), "perm": np.arange(3)}, "x")
