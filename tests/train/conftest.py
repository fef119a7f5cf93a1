"""Fixtures for the command-line tests: a tiny MNIST on disk, no network."""

import gzip
import struct

import numpy as np
import pytest


def write_idx(path, array, magic):
    header = struct.pack(">I", magic) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """A folder with 256 training digits (random strokes), set as the data source;
    HOME and the cache point into tmp_path so nothing outside it is read."""
    rng = np.random.default_rng(0)
    images = np.zeros((256, 28, 28), np.uint8)
    for i in range(256):
        r = rng.integers(6, 20)
        images[i, r : r + 4, 6:22] = 255
        images[i, 6:22, r : r + 3] = 200
    labels = np.arange(256) % 10
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte.gz", images, 2051)
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels, 2049)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("SCRATCHGAN_DATA", str(folder))
    return folder
