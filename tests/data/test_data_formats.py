"""Reading IDX and npz files, and one clear DataError for each way they break."""

import gzip
import zipfile

import numpy as np
import pytest

from scratchgan.data import load_mnist
from scratchgan.errors import DataError, ScratchganError

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049


def assert_data_error(path_arg, named, *words, **kwargs):
    """Load `path_arg`, expect a one-line DataError naming `named` and `words`."""
    with pytest.raises(DataError) as info:
        load_mnist(path_arg, download=False, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert str(named) in message
    for word in words:
        assert word in message, message
    return message


# ---------------------------------------------------------------- good files


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_reads_idx_folder(tmp_path, files, gz, split):
    images, labels, _ = files.write_split(tmp_path / "d", split, n=23, gz=gz)

    got_images, got_labels = load_mnist(tmp_path / "d", split=split)

    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize(
    "gz, suffix", [(True, ""), (False, ".gz")], ids=["gzip-no-ext", "raw-with-gz"]
)
def test_gzip_detected_by_content_not_name(tmp_path, files, gz, suffix):
    images, labels, _ = files.write_split(tmp_path, n=5, gz=gz, suffix=suffix)

    got_images, got_labels = load_mnist(tmp_path)

    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_images_file_path_finds_labels_beside_it(tmp_path, files):
    images, labels, (images_path, _) = files.write_split(tmp_path, n=7, gz=True)

    got_images, got_labels = load_mnist(images_path)

    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("as_folder", [False, True], ids=["file", "folder"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_reads_npz(tmp_path, files, as_folder, split):
    arrays = files.write_npz(tmp_path / "mnist.npz")
    suffix = "train" if split == "train" else "test"

    images, labels = load_mnist(
        tmp_path if as_folder else tmp_path / "mnist.npz", split
    )

    np.testing.assert_array_equal(images, arrays[f"x_{suffix}"])
    np.testing.assert_array_equal(labels, arrays[f"y_{suffix}"])


def test_data_error_is_a_scratchgan_error():
    assert issubclass(DataError, ScratchganError)


# ------------------------------------------------------- missing things


def test_missing_folder(tmp_path):
    assert_data_error(tmp_path / "nope", tmp_path / "nope", "no such")


def test_missing_images_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    assert_data_error(path, path, "no such")


def test_folder_without_mnist(tmp_path):
    (tmp_path / "d").mkdir()
    assert_data_error(tmp_path / "d", tmp_path / "d", "holds neither")


def test_folder_missing_labels_file(tmp_path, files):
    _, _, (_, labels_path) = files.write_split(tmp_path, n=3)
    labels_path.unlink()
    assert_data_error(tmp_path, tmp_path, "train-labels-idx1-ubyte")


def test_labels_file_missing_beside_images_file(tmp_path, files):
    _, _, (images_path, labels_path) = files.write_split(tmp_path, n=3)
    labels_path.unlink()
    assert_data_error(images_path, images_path, "no labels file")


def test_labels_file_given_as_path(tmp_path, files):
    _, _, (_, labels_path) = files.write_split(tmp_path, n=3)
    assert_data_error(labels_path, labels_path, "labels file")


def test_split_disagrees_with_file_name(tmp_path, files):
    _, _, (images_path, _) = files.write_split(tmp_path, "train", n=3)
    assert_data_error(images_path, images_path, "train split", split="test")


# ------------------------------------------------------- broken IDX files


def test_empty_file(tmp_path, files):
    files.write_split(tmp_path, n=3)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"")
    assert_data_error(tmp_path, path, "empty")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_truncated_images(tmp_path, files, gz):
    # the header promises 60,000 images but only 3 follow
    files.write_split(tmp_path, n=3, gz=gz)
    images, _ = files.digits(3)
    data = files.idx_bytes(IMAGE_MAGIC, (60000, 28, 28), images.tobytes())
    path = files.write(tmp_path / f"train-images-idx3-ubyte{'.gz' * gz}", data, gz)
    assert_data_error(tmp_path, path, "truncated", "60,000")


def test_truncated_labels(tmp_path, files):
    files.write_split(tmp_path, n=3)
    data = files.idx_bytes(LABEL_MAGIC, (60000,), bytes([1, 2, 3]))
    path = files.write(tmp_path / "train-labels-idx1-ubyte", data)
    assert_data_error(tmp_path, path, "truncated", "60,000")


def test_header_cut_short(tmp_path, files):
    files.write_split(tmp_path, n=3)
    path = files.write(tmp_path / "train-images-idx3-ubyte", b"\0\0\x08\x03\0\0")
    assert_data_error(tmp_path, path, "header")


def test_gzip_stream_cut_short(tmp_path, files):
    _, _, (images_path, _) = files.write_split(tmp_path, n=50, gz=True)
    whole = images_path.read_bytes()
    images_path.write_bytes(whole[: len(whole) // 2])
    assert_data_error(tmp_path, images_path, "gzip", "cut short")


def test_gzip_stream_corrupt(tmp_path, files):
    _, _, (images_path, _) = files.write_split(tmp_path, n=50, gz=True)
    whole = bytearray(images_path.read_bytes())
    whole[-8:-4] = bytes(4)  # zero the CRC32 in the trailer
    images_path.write_bytes(bytes(whole))
    assert_data_error(tmp_path, images_path, "gzip")


def test_labels_where_images_belong(tmp_path, files):
    _, _, (images_path, labels_path) = files.write_split(tmp_path, n=3)
    images_path.write_bytes(labels_path.read_bytes())
    assert_data_error(tmp_path, images_path, "labels", "2049")


def test_little_endian_header(tmp_path, files):
    files.write_split(tmp_path, n=3)
    images, _ = files.digits(3)
    header = np.array([IMAGE_MAGIC, 3, 28, 28], dtype="<u4").tobytes()
    path = files.write(tmp_path / "train-images-idx3-ubyte", header + images.tobytes())
    assert_data_error(tmp_path, path, "little-endian")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_html_page_saved_as_idx(tmp_path, files, gz):
    _, _, (path, _) = files.write_split(tmp_path, n=3, gz=gz)
    page = b"<!DOCTYPE html><html><body>403 Forbidden</body></html>\n"
    files.write(path, page, gz)
    assert_data_error(tmp_path, path, "HTML")


def test_not_an_idx_file(tmp_path, files):
    files.write_split(tmp_path, n=3)
    path = files.write(tmp_path / "train-images-idx3-ubyte", b"\x89PNG\r\n\x1a\n" * 8)
    assert_data_error(tmp_path, path, "magic")


def test_image_and_label_counts_differ(tmp_path, files):
    _, _, (images_path, _) = files.write_split(tmp_path, n=5)
    data = files.idx_bytes(LABEL_MAGIC, (4,), bytes([0, 1, 2, 3]))
    files.write(tmp_path / "train-labels-idx1-ubyte", data)
    assert_data_error(tmp_path, images_path, "5 images", "4 labels")


def test_images_not_28x28(tmp_path, files):
    files.write_split(tmp_path, n=3)
    images, _ = files.digits(3, side=32)
    data = files.idx_bytes(IMAGE_MAGIC, images.shape, images.tobytes())
    path = files.write(tmp_path / "train-images-idx3-ubyte", data)
    assert_data_error(tmp_path, path, "32x32", "28x28")


def test_label_above_nine(tmp_path, files):
    files.write_split(tmp_path, n=3)
    data = files.idx_bytes(LABEL_MAGIC, (3,), bytes([1, 12, 3]))
    path = files.write(tmp_path / "train-labels-idx1-ubyte", data)
    assert_data_error(tmp_path, path, "12", "0..9")


def test_extra_bytes_after_data(tmp_path, files):
    files.write_split(tmp_path, n=3)
    data = files.idx_bytes(LABEL_MAGIC, (3,), bytes([1, 2, 3, 4]))
    path = files.write(tmp_path / "train-labels-idx1-ubyte", data)
    assert_data_error(tmp_path, path, "unexpected bytes")


# ------------------------------------------------------- broken npz files


def test_npz_without_expected_keys(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, images=np.zeros((2, 28, 28), np.uint8))
    assert_data_error(path, path, "x_train", "images")


def test_npz_truncated(tmp_path, files):
    path = tmp_path / "mnist.npz"
    files.write_npz(path, n_train=200)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert_data_error(path, path, "npz")


def test_npz_member_corrupt(tmp_path, files):
    # a valid zip directory whose x_train member is not an .npy array
    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", b"not an npy array")
        archive.writestr("y_train.npy", b"nor this")
    assert_data_error(path, path, "corrupt")


def test_npz_that_is_not_a_zip(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(gzip.compress(b"hello"))
    assert_data_error(tmp_path, path, "not an npz")


def test_npz_with_pickled_arrays_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    objects = np.array([np.zeros((28, 28), np.uint8)] * 2 + [None], dtype=object)
    np.savez(path, x_train=objects, y_train=np.zeros(3, np.uint8))
    assert_data_error(path, path, "corrupt")


def test_npz_images_wrong_shape(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((2, 784), np.uint8), y_train=np.zeros(2, np.uint8))
    assert_data_error(path, path, "(N, 28, 28)")


def test_npz_label_above_nine(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([3, 10]))
    assert_data_error(path, path, "10", "0..9")


def test_npz_counts_differ(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(
        path, x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8)
    )
    assert_data_error(path, path, "3 images", "2 labels")
