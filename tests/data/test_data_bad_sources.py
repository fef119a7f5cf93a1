"""Sources that are not MNIST files: devices, pipes, huge files, empty splits,
and the one-line messages for a bad $SCRATCHGAN_DATA."""

import gzip
import os

import numpy as np
import pytest

from scratchgan.data import formats, load_mnist
from scratchgan.errors import DataError


def test_a_device_is_refused_before_reading():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(DataError, match="not a regular file") as e:
        load_mnist("/dev/zero")
    assert "/dev/zero" in str(e.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "train-images-idx3-ubyte"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        load_mnist(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        formats.read_npz(fifo, "train")


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "mnist.npz"])
def test_a_file_larger_than_mnist_is_not_read(tmp_path, name):
    path = tmp_path / name
    with open(path, "wb") as f:  # sparse: costs no disk
        f.truncate(formats.MAX_BYTES + 1)
    with pytest.raises(DataError, match="larger than any MNIST"):
        load_mnist(path)


def test_a_gzip_that_unpacks_huge_is_refused(tmp_path, files, monkeypatch):
    data = files.idx_bytes(2051, (20, 28, 28), bytes(20 * 784))
    images_path = files.write(tmp_path / "train-images-idx3-ubyte.gz", data, gz=True)
    monkeypatch.setattr(formats, "MAX_BYTES", 1000)
    with pytest.raises(DataError, match="unpacks to more than"):
        formats.read_idx_images(images_path)


def test_an_npz_that_unpacks_huge_is_refused(tmp_path, files, monkeypatch):
    zeros = np.zeros((20, 28, 28), np.uint8)
    np.savez_compressed(tmp_path / "mnist.npz", x_train=zeros, y_train=zeros[:, 0, 0])
    monkeypatch.setattr(formats, "MAX_BYTES", 1000)
    with pytest.raises(DataError, match="unpacks to"):
        load_mnist(tmp_path / "mnist.npz")


def test_an_npz_without_training_images(tmp_path, files):
    files.write_npz(tmp_path / "mnist.npz", n_train=0, n_test=10)
    with pytest.raises(DataError, match="holds no train images"):
        load_mnist(tmp_path / "mnist.npz")


def test_an_idx_pair_without_images(tmp_path, files):
    files.write_split(tmp_path, n=0)
    with pytest.raises(DataError, match="holds no train images"):
        load_mnist(tmp_path)


def test_a_bad_env_var_is_named(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("SCRATCHGAN_DATA", str(missing))
    with pytest.raises(DataError) as e:
        load_mnist()
    assert str(e.value).startswith(f"$SCRATCHGAN_DATA={str(missing)!r}: ")
    assert "no such file or folder" in str(e.value)


def test_a_newline_in_the_env_path_stays_on_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHGAN_DATA", str(tmp_path / "a\nb"))
    with pytest.raises(DataError) as e:
        load_mnist()
    assert "\n" not in str(e.value) and "a\\nb" in str(e.value)


def test_a_newline_in_a_path_argument_stays_on_one_line(tmp_path):
    bad = tmp_path / "x\ny.gz"
    bad.write_bytes(gzip.compress(b"")[:5])
    for path in (bad, tmp_path / "missing\r\nfolder"):
        with pytest.raises(DataError) as e:
            load_mnist(path)
        assert "\n" not in str(e.value) and "\r" not in str(e.value)


def test_small_real_files_still_load(tmp_path, files):
    images, _, _ = files.write_split(tmp_path, n=3)
    got, labels = load_mnist(tmp_path)
    np.testing.assert_array_equal(got, images)
    assert len(labels) == 3
