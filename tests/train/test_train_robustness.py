"""Bad input found by trying to break the command-line tools: each case exits
with status 2 and one line on stderr, and leaves what was on disk as it was."""

import hashlib
import json
import os

import numpy as np
import pytest

from scratchgan.generate import main as generate
from scratchgan.train import main
from tests.train.conftest import write_idx
from tests.train.test_train_cli import SMALL, StopAfter, weights


def digest(folder):
    """{relative path: sha256} of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--batch-size", "1"], "--batch-size: must be an integer >= 2"),
        (["--batch-size", "300"], "--batch-size 300: one step takes 300 images"),
        (
            ["--batch-size", "100", "--d-steps", "3"],
            "--batch-size 100 with --d-steps 3: one step takes 300 images",
        ),
        (["--dry-run", "--d-steps", "3"], "--dry-run with --d-steps 3"),
    ],
)
def test_too_little_data_leaves_no_run(tiny_mnist, tmp_path, capsys, flags, fragment):
    out = tmp_path / "run"
    assert main(flags + ["--out", str(out), "--no-progress"]) == 2
    one_line_error(capsys, fragment)
    assert not out.exists()


def interrupted_run(tmp_path, monkeypatch):
    """A run stopped at step 3 of its first epoch (256 images, batch 32)."""
    import scratchgan.trainer as trainer

    run = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(trainer, "StopRequest", lambda: StopAfter(3))
        assert main(SMALL + ["--epochs", "2", "--out", str(run)]) == 130
    _, meta = weights(run)
    assert (meta["epoch"], meta["batch"]) == (0, 3)
    return run


def test_resume_on_changed_data_is_refused(tiny_mnist, tmp_path, capsys, monkeypatch):
    run = interrupted_run(tmp_path, monkeypatch)
    before = digest(run)

    # the data folder now holds 128 digits instead of 256
    images = np.zeros((128, 28, 28), np.uint8)
    write_idx(tiny_mnist / "train-images-idx3-ubyte.gz", images, 2051)
    write_idx(tiny_mnist / "train-labels-idx1-ubyte.gz", np.arange(128) % 10, 2049)
    capsys.readouterr()

    assert main(["--resume", str(run), "--no-progress"]) == 2
    one_line_error(capsys, "stopped mid-epoch on 256 training images", "holds 128")
    assert digest(run) == before


def test_resume_refuses_a_checkpoint_from_other_settings(
    tiny_mnist, tmp_path, capsys, monkeypatch
):
    run = interrupted_run(tmp_path, monkeypatch)
    config = json.loads((run / "config.json").read_text())
    config["lr_g"] = 5.0
    (run / "config.json").write_text(json.dumps(config))
    before = digest(run)
    capsys.readouterr()

    assert main(["--resume", str(run), "--no-progress"]) == 2
    one_line_error(capsys, "does not match the run's config.json in lr_g")
    assert digest(run) == before


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--threads", "4096"], "--threads 4096: this machine has"),
        # a flag set to 0 is still a flag that --resume does not take
        (["--seed", "0"], "drop --seed"),
    ],
)
def test_resume_checks_its_flags(
    tiny_mnist, tmp_path, capsys, monkeypatch, flags, fragment
):
    run = interrupted_run(tmp_path, monkeypatch)
    capsys.readouterr()

    assert main(["--resume", str(run)] + flags) == 2
    one_line_error(capsys, fragment)


def test_overwrite_removes_the_old_runs_outputs(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "2", "--out", str(run)]) == 0
    (run / "eval.json").write_text("{}")
    (run / "notes.txt").write_text("mine")
    assert (run / "samples/epoch_0002.png").is_file()

    assert main(SMALL + ["--epochs", "1", "--out", str(run), "--overwrite"]) == 0
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_0001.png"]
    assert not (run / "eval.json").exists()
    assert (run / "notes.txt").read_text() == "mine"


def test_generate_text_weights_are_refused(tiny_mnist, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["--dry-run", "--out", str(run)]) == 0
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    name = next(k for k in arrays if k.startswith("G/"))
    arrays[name] = np.full(arrays[name].shape, "x")
    np.savez(run / "checkpoint.npz", **arrays)
    capsys.readouterr()

    assert generate([str(run), "--out", str(tmp_path / "s.png")]) == 2
    one_line_error(capsys, f"G {name[2:]} holds <U1 values, not numbers")


def test_generate_in_batches_matches_one_pass(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    assert main(["--dry-run", "--out", str(run)]) == 0
    few, many = tmp_path / "few.npy", tmp_path / "many.npy"
    assert generate([str(run), "--n", "64", "--out", str(few)]) == 0
    assert generate([str(run), "--n", "1100", "--out", str(many)]) == 0

    # the first 64 latents are the same draws; batches of 500 may round
    # differently in the last bit of a float, so allow one grey level
    a, b = np.load(few), np.load(many)
    assert b.shape == (1100, 28, 28)
    assert np.abs(a.astype(int) - b[:64].astype(int)).max() <= 1


def test_a_line_break_in_a_path_stays_on_one_line(tmp_path, capsys):
    assert main(["--resume", str(tmp_path / "no\nsuch")]) == 2
    one_line_error(capsys, "no\\nsuch")


def test_default_folders_are_unique_and_failed_runs_leave_none(
    tiny_mnist, tmp_path, monkeypatch, capsys
):
    from scratchgan.trainer import default_out_dir

    monkeypatch.chdir(tmp_path)

    # made at once, so two runs in the same second cannot share one
    first, second = default_out_dir(), default_out_dir()
    assert first != second
    assert (tmp_path / first).is_dir() and (tmp_path / second).is_dir()

    assert main(["--batch-size", "300", "--no-progress"]) == 2
    capsys.readouterr()
    names = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert names == sorted(os.path.basename(p) for p in (first, second))


def rewrite_checkpoint(run, change):
    """Load run's checkpoint arrays, let ``change`` edit the dict, save it back."""
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(run / "checkpoint.npz", **arrays)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda a: a["G/dense1.W"].__setitem__(0, np.nan), "holds NaN"),
        (lambda a: a.__setitem__("opt_g/t", np.array(-1)), "t is -1"),
        (lambda a: a.__setitem__("fixed_z", a["fixed_z"][0]), "fixed_z has shape"),
    ],
    ids=["nan-weights", "negative-step", "flat-latents"],
)
def test_resume_refuses_damaged_state(
    tiny_mnist, tmp_path, capsys, monkeypatch, change, fragment
):
    run = interrupted_run(tmp_path, monkeypatch)
    rewrite_checkpoint(run, change)
    before = digest(run)
    capsys.readouterr()

    assert main(["--resume", str(run), "--no-progress"]) == 2
    one_line_error(capsys, fragment)
    assert digest(run) == before


def test_an_array_claiming_terabytes_is_refused(tiny_mnist, tmp_path, capsys):
    import io
    import zipfile

    run = tmp_path / "run"
    assert main(["--dry-run", "--out", str(run)]) == 0

    # an .npy header that claims 10^11 float32 values, followed by a few bytes
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**11,)}
    )
    with zipfile.ZipFile(run / "checkpoint.npz") as z:
        members = {name: z.read(name) for name in z.namelist()}
    members["fixed_z.npy"] = header.getvalue() + b"\0" * 64
    with zipfile.ZipFile(run / "checkpoint.npz", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    capsys.readouterr()

    assert generate([str(run), "--out", str(tmp_path / "s.png")]) == 2
    one_line_error(capsys, "claims more memory than this machine has")


def test_other_pictures_in_samples_stay_out_of_the_animation(tiny_mnist, tmp_path):
    from PIL import Image

    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "samples" / "mine.png").write_text("not a picture")
    Image.new("L", (50, 30)).save(run / "samples" / "zz_mine.png")

    assert main(SMALL + ["--epochs", "1", "--out", str(run), "--overwrite"]) == 0
    with Image.open(run / "progress.gif") as gif:
        assert gif.n_frames == 1
    assert (run / "samples" / "mine.png").read_text() == "not a picture"
