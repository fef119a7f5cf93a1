"""evaluate's bad input: outputs that must not be written over, huge --n, small
or empty reference data, checkpoint paths, broken checkpoints."""

import json

import numpy as np
import pytest

from scratchgan import checkpoint
from scratchgan.cli import MAX_SAMPLES as MAX_N
from scratchgan.evaluate import PROTECTED, main
from scratchgan.train import main as train_main
from tests.train.conftest import write_idx


@pytest.fixture
def run_dir(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    assert train_main(["--dry-run", "--out", str(out)]) == 0
    return out


def one_line_error(capsys, args):
    """Run evaluate, expecting exit 2; return its stderr."""
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main([str(a) for a in args]))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("name", PROTECTED)
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_the_runs_own_files_are_never_written_over(run_dir, capsys, name, overwrite):
    (run_dir / "metrics.jsonl").touch()
    before = snapshot(run_dir)
    target = run_dir / name
    err = one_line_error(capsys, [run_dir, "--n", "50", "--json", target, *overwrite])
    assert "--json" in err and "never written over" in err
    assert snapshot(run_dir) == before


def test_an_existing_json_needs_overwrite(run_dir, tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("precious\n")
    err = one_line_error(capsys, [run_dir, "--n", "50", "--json", path])
    assert "--json" in err and "--overwrite" in err
    assert path.read_text() == "precious\n"
    args = [run_dir, "--n", "50", "--no-parzen", "--json", path, "--overwrite"]
    assert main([str(a) for a in args]) == 0
    assert json.loads(path.read_text())["n_samples"] == 50


def test_json_into_a_missing_folder_names_the_flag(run_dir, tmp_path, capsys):
    err = one_line_error(capsys, [run_dir, "--json", tmp_path / "nodir" / "x.json"])
    assert "--json" in err and "does not exist" in err and ".tmp" not in err


def test_the_default_outputs_may_be_replaced(run_dir):
    (run_dir / "eval.json").write_text("old")
    assert main([str(run_dir), "--n", "50", "--no-parzen"]) == 0
    assert json.loads((run_dir / "eval.json").read_text())["n_samples"] == 50


@pytest.mark.parametrize("n", ["99999999999999999999999", str(MAX_N + 1)])
def test_a_huge_n_is_a_flag_error(run_dir, capsys, n):
    err = one_line_error(capsys, [run_dir, "--n", n])
    assert "--n" in err and f"{MAX_N:,}" in err


def test_a_checkpoint_path_is_accepted(run_dir):
    assert main([str(run_dir / "checkpoint.npz"), "--n", "50", "--no-parzen"]) == 0
    assert (run_dir / "eval.json").is_file() and (run_dir / "neighbours.png").is_file()


def test_another_file_is_not_a_run(tmp_path, capsys):
    path = tmp_path / "afile"
    path.write_text("hello\n")
    err = one_line_error(capsys, [path])
    assert "is not a run folder or checkpoint" in err


def test_a_garbage_checkpoint_gets_a_plain_message(tmp_path, capsys):
    (tmp_path / "checkpoint.npz").write_bytes(b"\x80\x04garbage")
    err = one_line_error(capsys, [tmp_path])
    assert "not a scratchgan checkpoint" in err and "unsafe" not in err


def test_non_finite_weights_are_refused(run_dir, capsys):
    path = run_dir / "checkpoint.npz"
    arrays, meta = checkpoint.load(path)
    key = next(k for k in arrays if k.startswith("G/") and arrays[k].size > 1)
    arrays[key] = arrays[key].copy()
    arrays[key].flat[1] = np.nan
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    err = one_line_error(capsys, [run_dir, "--n", "50"])
    assert key in err and "NaN" in err


def small_mnist(folder, n_train, n_test):
    rng = np.random.default_rng(1)
    folder.mkdir()
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        if n is None:
            continue
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images, 2051)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, 2049)
    return folder


def test_a_small_mnist_with_a_test_split_works(run_dir, tmp_path):
    data = small_mnist(tmp_path / "small", 200, 50)
    out = tmp_path / "e.json"
    args = [run_dir, "--n", "50", "--no-parzen", "--data", data, "--json", out]
    assert main([str(a) for a in args]) == 0
    r = json.loads(out.read_text())
    assert r["reference_is_test_set"] is True and r["n_reference"] == 50
    assert r["n_floor"] >= 10


@pytest.mark.parametrize(
    "n_train, n_test, message",
    [(30, None, "at least 50"), (200, 5, "at least 10"), (30, 50, "at least 50")],
)
def test_too_small_data_says_how_many_are_needed(
    run_dir, tmp_path, capsys, n_train, n_test, message
):
    data = small_mnist(tmp_path / "small", n_train, n_test)
    err = one_line_error(capsys, [run_dir, "--n", "50", "--data", data])
    assert message in err


def test_an_npz_without_training_images(run_dir, tmp_path, capsys):
    zeros = np.zeros((0, 28, 28), np.uint8)
    path = tmp_path / "mnist.npz"
    np.savez(
        path, x_train=zeros, y_train=zeros[:, 0, 0], x_test=zeros, y_test=zeros[:, 0, 0]
    )
    err = one_line_error(capsys, [run_dir, "--n", "50", "--data", path])
    assert "no train images" in err


def test_a_damaged_test_split_is_reported_not_replaced(run_dir, tiny_mnist, capsys):
    # the tiny folder has no test split: evaluate falls back to training digits
    args = [run_dir, "--n", "50", "--no-parzen", "--data", tiny_mnist]
    assert main([str(a) for a in args]) == 0
    capsys.readouterr()

    # a test images file that is not gzip at all must be named, not skipped
    (tiny_mnist / "t10k-images-idx3-ubyte.gz").write_bytes(b"damaged")
    write_idx(tiny_mnist / "t10k-labels-idx1-ubyte.gz", np.arange(100) % 10, 2049)
    err = one_line_error(capsys, args)
    assert "t10k-images-idx3-ubyte.gz" in err
