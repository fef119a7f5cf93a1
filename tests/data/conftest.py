"""Fixtures for the data tests: isolation from the user's machine, tiny MNIST files.

Every test here runs with HOME and XDG_CACHE_HOME in a temporary folder, no
SCRATCHGAN_DATA, and the download mirrors pointed at a closed loopback port, so no
test can read real caches or reach the internet.
"""

import gzip
import logging
import socket
import struct

import numpy as np
import pytest

from scratchgan.data import download

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049


@pytest.fixture(scope="session")
def closed_port():
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, closed_port):
    """Point every source outside the test's control at empty temporary folders."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("SCRATCHGAN_DATA", raising=False)
    monkeypatch.setattr(download, "MIRRORS", (f"http://127.0.0.1:{closed_port}/",))
    monkeypatch.setattr(download, "TIMEOUT_S", 2)
    # the command-line tests' setup_logging stops propagation, which hides the
    # package's records from caplog when they run first
    monkeypatch.setattr(logging.getLogger("scratchgan"), "propagate", True)
    return home


class MnistFiles:
    """Writers for small IDX and npz files, good and deliberately broken."""

    NAMES = {
        "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    @staticmethod
    def digits(n, seed=0, side=28):
        """Random uint8 images (n, side, side) and labels (n,) cycling 0..9."""
        rng = np.random.default_rng(seed)
        images = rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        return images, labels

    @staticmethod
    def idx_bytes(magic, dims, payload):
        """Big-endian IDX header followed by the payload bytes."""
        header = struct.pack(f">I{len(dims)}I", magic, *dims)
        return header + bytes(payload)

    @staticmethod
    def write(path, data, gz=False):
        """Write bytes, gzip-compressed when `gz`; return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    @classmethod
    def write_split(cls, folder, split="train", n=20, seed=0, gz=False, suffix=None):
        """Write a matching images + labels pair; return (images, labels, paths).

        `suffix` overrides the file name ending (default ".gz" when gz, else "").
        """
        images, labels = cls.digits(n, seed)
        if suffix is None:
            suffix = ".gz" if gz else ""
        images_name, labels_name = cls.NAMES[split]
        images_data = cls.idx_bytes(IMAGE_MAGIC, images.shape, images.tobytes())
        labels_data = cls.idx_bytes(LABEL_MAGIC, labels.shape, labels.tobytes())
        images_path = cls.write(folder / (images_name + suffix), images_data, gz)
        labels_path = cls.write(folder / (labels_name + suffix), labels_data, gz)
        return images, labels, (images_path, labels_path)

    @classmethod
    def write_npz(cls, path, n_train=20, n_test=10, seed=0):
        """Write a Keras-style mnist.npz; return its four arrays as a dict."""
        x_train, y_train = cls.digits(n_train, seed)
        x_test, y_test = cls.digits(n_test, seed + 1)
        arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **arrays)
        return arrays


@pytest.fixture
def files():
    """The MnistFiles writers."""
    return MnistFiles
