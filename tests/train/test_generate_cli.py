"""python -m scratchgan.generate: grids, arrays, interpolations and bad input."""

import numpy as np
import pytest
from PIL import Image

from scratchgan.generate import main as generate
from scratchgan.train import main as train


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import os

    tmp = tmp_path_factory.mktemp("gen")
    from tests.train.conftest import write_idx

    rng = np.random.default_rng(0)
    folder = tmp / "mnist"
    folder.mkdir()
    images = rng.integers(0, 256, (64, 28, 28)).astype(np.uint8)
    write_idx(folder / "train-images-idx3-ubyte.gz", images, 2051)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(64) % 10, 2049)
    run = tmp / "run"
    old = os.environ.get("SCRATCHGAN_DATA")
    os.environ["SCRATCHGAN_DATA"] = str(folder)
    try:
        assert train(["--dry-run", "--out", str(run)]) == 0
    finally:
        if old is None:
            del os.environ["SCRATCHGAN_DATA"]
        else:
            os.environ["SCRATCHGAN_DATA"] = old
    return run


def test_npy_holds_uint8_images(run_dir, tmp_path):
    out = tmp_path / "s.npy"
    assert generate([str(run_dir), "--n", "10", "--out", str(out)]) == 0
    images = np.load(out, allow_pickle=False)
    assert images.shape == (10, 28, 28) and images.dtype == np.uint8


def test_png_grid_and_seed(run_dir, tmp_path):
    a, b, c = (tmp_path / f"{k}.png" for k in "abc")
    ckpt = str(run_dir / "checkpoint.npz")
    assert generate([str(run_dir), "--n", "16", "--out", str(a)]) == 0
    assert generate([ckpt, "--n", "16", "--out", str(b)]) == 0
    assert generate([ckpt, "--n", "16", "--seed", "5", "--out", str(c)]) == 0
    pa, pb, pc = (np.asarray(Image.open(p)) for p in (a, b, c))
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(pa, pc)


def test_interpolation_rows_move_smoothly(run_dir, tmp_path):
    out = tmp_path / "walk.npy"
    assert (
        generate(
            [
                str(run_dir),
                "--interpolate",
                "--n",
                "20",
                "--steps",
                "10",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    images = np.load(out).astype(float)
    assert images.shape == (20, 28, 28)
    # neighbours along a row differ less than the two ends of that row
    row = images[:10]
    step = np.abs(np.diff(row, axis=0)).mean()
    assert step < np.abs(row[-1] - row[0]).mean()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["{missing}", "--out", "{tmp}/x.png"], "no such run"),
        (["{run}", "--out", "{tmp}/x.jpg"], ".png or .npy"),
        (["{run}", "--out", "{tmp}/nofolder/x.png"], "does not exist"),
        (["{run}", "--n", "0", "--out", "{tmp}/x.png"], "--n"),
        (["{tmp}", "--out", "{tmp}/x.png"], "checkpoint"),
    ],
)
def test_bad_input_exits_2(run_dir, tmp_path, capsys, args, fragment):
    args = [
        a.format(run=run_dir, tmp=tmp_path, missing=tmp_path / "missing") for a in args
    ]
    try:
        code = generate(args)
    except SystemExit as e:
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1, err


def test_existing_file_is_kept(run_dir, tmp_path, capsys):
    out = tmp_path / "x.png"
    out.write_bytes(b"precious")
    assert generate([str(run_dir), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert generate([str(run_dir), "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() != b"precious"


def test_more_columns_than_samples_are_capped(run_dir, tmp_path):
    out = tmp_path / "x.png"
    assert (
        generate([str(run_dir), "--n", "4", "--nrow", "1000", "--out", str(out)]) == 0
    )
    width, height = Image.open(out).size
    assert width < 4 * 70 and height < 70


@pytest.mark.parametrize("flag", ["--n", "--nrow", "--steps"])
def test_huge_counts_are_refused(run_dir, tmp_path, capsys, flag):
    with pytest.raises(SystemExit) as exc:
        generate(
            [str(run_dir), flag, "99999999999999", "--out", str(tmp_path / "x.png")]
        )
    assert exc.value.code == 2
    assert flag in capsys.readouterr().err


def test_odd_out_paths(run_dir, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert generate([str(run_dir), "--out", str(afile / "x.png")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert generate([str(run_dir), "--out", str(tmp_path / ".png")]) == 2
    assert "file name ending in .png" in capsys.readouterr().err


def test_a_checkpoint_with_nan_weights_is_refused(run_dir, tmp_path, capsys):
    arrays = dict(np.load(run_dir / "checkpoint.npz", allow_pickle=False))
    arrays["G/convt1.W"] = arrays["G/convt1.W"].copy()
    arrays["G/convt1.W"][0, 0, 0, 0] = np.nan
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    assert generate([str(bad), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "convt1.W" in err and not (tmp_path / "x.png").exists()
