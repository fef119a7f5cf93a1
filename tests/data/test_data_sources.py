"""Where load_mnist looks, in which order, and the offline default it ends on."""

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from scratchgan.data import cache_dir, load_mnist
from scratchgan.data import download as dl
from scratchgan.errors import DataError


@pytest.fixture
def no_download(monkeypatch):
    """Fail the test if anything tries to download."""

    def refuse(names, folder):
        raise AssertionError(f"unexpected download of {names} into {folder}")

    monkeypatch.setattr(dl, "download_mnist", refuse)


@pytest.fixture
def log(caplog):
    """The INFO records of the "scratchgan" logger, as a list of messages."""
    caplog.set_level(logging.INFO, logger="scratchgan")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "scratchgan"]


def keras_path():
    return Path.home() / ".keras" / "datasets" / "mnist.npz"


# ---------------------------------------------------------- offline default


def test_offline_default_is_the_5k_sample(log):
    images, labels = load_mnist()

    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels), [500] * 10)
    assert images.max() == 255 and images.min() == 0
    assert log() and "5,000 images from the offline default" in log()[-1]
    assert len(log()) == 1


def test_offline_default_prefix_is_class_balanced():
    images, labels = load_mnist(subset=100)

    assert images.shape == (100, 28, 28)
    np.testing.assert_array_equal(labels[:10], np.arange(10))
    np.testing.assert_array_equal(np.bincount(labels), [10] * 10)


def test_offline_default_with_classes():
    _, labels = load_mnist(classes=[7, 1], subset=30)
    assert set(labels) == {1, 7} and len(labels) == 30
    assert np.count_nonzero(labels == 7) == 15


def test_offline_without_download_attempt(no_download, log):
    images, _ = load_mnist(download=False)
    assert len(images) == 5000
    assert "download=False" in log()[-1]


def test_offline_test_split_is_refused():
    with pytest.raises(DataError, match="test") as info:
        load_mnist(split="test")
    assert str(cache_dir()) in str(info.value)


def test_offline_download_fails_fast():
    # the mirrors point at a closed loopback port (see conftest)
    start = time.perf_counter()
    load_mnist()
    assert time.perf_counter() - start < 5


# ---------------------------------------------------------- precedence


def test_explicit_path_beats_env(tmp_path, files, monkeypatch, no_download):
    files.write_split(tmp_path / "given", n=11)
    files.write_split(tmp_path / "env", n=12)
    monkeypatch.setenv("SCRATCHGAN_DATA", str(tmp_path / "env"))

    assert len(load_mnist(tmp_path / "given")[0]) == 11


def test_env_beats_cache(tmp_path, files, monkeypatch, no_download, log):
    files.write_split(tmp_path / "env", n=12)
    files.write_split(cache_dir(), n=13, gz=True)
    monkeypatch.setenv("SCRATCHGAN_DATA", str(tmp_path / "env"))

    assert len(load_mnist()[0]) == 12
    assert "SCRATCHGAN_DATA" in log()[-1]


def test_cache_beats_keras(files, no_download, log):
    files.write_split(cache_dir(), n=13, gz=True)
    files.write_npz(keras_path(), n_train=14)

    assert len(load_mnist()[0]) == 13
    assert "13 images" in log()[-1] and "cache" in log()[-1]


def test_keras_beats_download(files, no_download, log):
    files.write_npz(keras_path(), n_train=14, n_test=4)

    assert len(load_mnist()[0]) == 14
    assert len(load_mnist(split="test")[0]) == 4
    assert "Keras" in log()[-1]


def test_cache_defaults_to_home_without_xdg(files, monkeypatch, no_download):
    monkeypatch.delenv("XDG_CACHE_HOME")
    folder = Path.home() / ".cache" / "scratchgan" / "mnist"
    files.write_split(folder, n=9)

    assert cache_dir() == folder
    assert len(load_mnist()[0]) == 9


def test_cache_without_the_split_is_skipped(files):
    files.write_split(cache_dir(), "test", n=6)

    assert len(load_mnist(split="test")[0]) == 6
    assert len(load_mnist(split="train")[0]) == 5000


def test_env_pointing_nowhere_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHGAN_DATA", str(tmp_path / "missing"))
    with pytest.raises(DataError, match="missing"):
        load_mnist()


def test_corrupt_cache_is_an_error_not_a_fallback(files):
    _, _, (images_path, _) = files.write_split(cache_dir(), n=5, gz=True)
    images_path.write_bytes(images_path.read_bytes()[:40])
    with pytest.raises(DataError, match="cut short"):
        load_mnist()


# ---------------------------------------------------------- options


def test_subset_and_classes_on_files(tmp_path, files, log):
    _, labels, _ = files.write_split(tmp_path, n=40)

    images, got = load_mnist(tmp_path, subset=5, classes=(3, 4))

    np.testing.assert_array_equal(got, [3, 4, 3, 4, 3])
    assert images.shape == (5, 28, 28)
    assert "digits 3,4" in log()[-1]


def test_subset_larger_than_data_keeps_all(tmp_path, files, log):
    files.write_split(tmp_path, n=8)
    assert len(load_mnist(tmp_path, subset=100)[0]) == 8
    assert "only 8 available" in log()[-1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"split": "val"},
        {"subset": 0},
        {"subset": 2.5},
        {"classes": []},
        {"classes": [10]},
        {"classes": ["3"]},
    ],
    ids=["split", "subset-0", "subset-float", "no-classes", "class-10", "class-str"],
)
def test_bad_options(tmp_path, files, kwargs):
    files.write_split(tmp_path, n=4)
    with pytest.raises(DataError):
        load_mnist(tmp_path, **kwargs)
