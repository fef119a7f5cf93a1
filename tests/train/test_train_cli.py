"""python -m scratchgan.train end to end on a tiny dataset."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from scratchgan import checkpoint
from scratchgan.train import main

# a small, quick network: what these tests check does not depend on its size
SMALL = ["--width", "0.125", "--batch-size", "32", "--no-progress"]


def weights(run_dir):
    arrays, meta = checkpoint.load(os.path.join(run_dir, "checkpoint.npz"))
    return arrays, meta


def read_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_dry_run_writes_every_output(tiny_mnist, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--dry-run", "--out", str(out)]) == 0
    for name in (
        "config.json",
        "metrics.jsonl",
        "checkpoint.npz",
        "curves.png",
        "progress.gif",
        "samples/epoch_0001.png",
    ):
        assert (out / name).is_file(), name
    records = [json.loads(line) for line in read_lines(out / "metrics.jsonl")]
    assert [r["step"] for r in records] == [1, 2]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert np.isfinite(records[-1][key])
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 1337 and config["batch_size"] == 32
    assert "numba kernels ready" in capsys.readouterr().out


def test_summary_prints_shapes_and_counts(capsys):
    assert main(["--summary"]) == 0
    text = capsys.readouterr().out
    assert "(1, 28, 28)" in text and "convt3" in text and "total" in text


def test_same_seed_same_metrics_and_weights(tiny_mnist, tmp_path):
    args = SMALL + ["--epochs", "2", "--subset", "96", "--log-every", "1"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    assert read_lines(tmp_path / "a/metrics.jsonl") == read_lines(
        tmp_path / "b/metrics.jsonl"
    )
    wa, _ = weights(tmp_path / "a")
    wb, _ = weights(tmp_path / "b")
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)

    # and another seed gives other weights
    assert main(args + ["--seed", "7", "--out", str(tmp_path / "c")]) == 0
    wc, _ = weights(tmp_path / "c")
    assert not np.array_equal(wa["G/convt1.W"], wc["G/convt1.W"])


class StopAfter:
    """Stands in for the Ctrl-C handler: asks to stop after ``n`` steps."""

    def __init__(self, n):
        self.n = n
        self.checks = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @property
    def requested(self):
        self.checks += 1
        return self.checks >= self.n


def test_interrupt_and_resume_match_a_straight_run(tiny_mnist, tmp_path, monkeypatch):
    args = SMALL + ["--epochs", "2", "--subset", "128", "--log-every", "1"]
    assert main(args + ["--out", str(tmp_path / "straight")]) == 0

    # stop mid-epoch (step 3 of 4 in the first epoch), then resume
    import scratchgan.trainer as trainer

    monkeypatch.setattr(trainer, "StopRequest", lambda: StopAfter(3))
    assert main(args + ["--out", str(tmp_path / "resumed")]) == 130
    _, meta = weights(tmp_path / "resumed")
    assert (meta["epoch"], meta["batch"], meta["step"]) == (0, 3, 3)
    monkeypatch.undo()
    monkeypatch.setenv("SCRATCHGAN_DATA", str(tiny_mnist))
    assert main(["--resume", str(tmp_path / "resumed"), "--no-progress"]) == 0

    straight, _ = weights(tmp_path / "straight")
    resumed, meta = weights(tmp_path / "resumed")
    assert meta["step"] == 8
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)
    assert read_lines(tmp_path / "straight/metrics.jsonl") == read_lines(
        tmp_path / "resumed/metrics.jsonl"
    )


def test_resume_can_extend_epochs(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "1", "--subset", "64", "--out", str(run)]) == 0
    assert main(["--resume", str(run), "--epochs", "2", "--no-progress"]) == 0
    _, meta = weights(run)
    assert meta["epoch"] == 2
    assert (run / "samples/epoch_0002.png").is_file()


def test_ctrl_c_writes_a_checkpoint(tiny_mnist, tmp_path):
    """A real SIGINT to a real process: checkpoint, message, exit status 130."""
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "scratchgan.train",
        *SMALL,
        "--epochs",
        "1000",
        "--log-every",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        deadline = time.time() + 120
        metrics = out / "metrics.jsonl"
        while time.time() < deadline:
            if metrics.exists() and metrics.read_text().count("\n") >= 2:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "--resume" in stdout
    _, meta = weights(out)
    assert meta["step"] >= 2
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--batch-size", "0"], "--batch-size"),
        (["--batch-size", "-3"], "--batch-size"),
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "two"], "--epochs"),
        (["--lr", "-1e-4"], "--lr"),
        (["--lr", "0"], "--lr"),
        (["--lr-g", "nan"], "--lr-g"),
        (["--width", "0"], "--width"),
        (["--beta1", "1.5"], "--beta1"),
        (["--label-smoothing", "1"], "--label-smoothing"),
        (["--g-loss", "wasserstein"], "--g-loss"),
        (["--update", "sometimes"], "--update"),
        (["--preset", "huge"], "--preset"),
        (["--classes", "1,12"], "--classes"),
        (["--threads", "0"], "--threads"),
    ],
)
def test_bad_flags_exit_2_with_one_line(flags, fragment, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(flags + ["--out", str(tmp_path / "run")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
    assert not (tmp_path / "run").exists()


def test_batch_larger_than_data_is_refused(tiny_mnist, tmp_path, capsys):
    code = main(["--batch-size", "512", "--out", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--batch-size 512" in err and len(err.strip().splitlines()) == 1


def test_existing_folder_is_not_touched(tiny_mnist, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["--dry-run", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not a scratchgan run" in err and "--overwrite" in err
    assert sorted(os.listdir(out)) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"

    # a finished run is refused as well, and left as it was
    run = tmp_path / "run"
    assert main(["--dry-run", "--out", str(run)]) == 0
    before = {p: (run / p).read_bytes() for p in ("config.json", "checkpoint.npz")}
    assert main(["--dry-run", "--out", str(run)]) == 2
    assert "is a scratchgan run" in capsys.readouterr().err
    for name, data in before.items():
        assert (run / name).read_bytes() == data

    # unless asked
    assert main(["--dry-run", "--out", str(out), "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "keep me"


def test_unwritable_out_is_refused(tiny_mnist, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--dry-run", "--out", str(blocker / "run")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and str(blocker) in err
    assert blocker.read_text() == "x"


def test_resume_errors(tiny_mnist, tmp_path, capsys):
    # missing folder
    assert main(["--resume", str(tmp_path / "nope")]) == 2
    assert "no such run folder" in capsys.readouterr().err

    # a folder that is not a run
    (tmp_path / "plain").mkdir()
    assert main(["--resume", str(tmp_path / "plain")]) == 2
    assert "not a scratchgan run" in capsys.readouterr().err

    # flags that would change the run
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "1", "--subset", "64", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["--resume", str(run), "--lr", "0.1"]) == 2
    assert "--lr" in capsys.readouterr().err

    # a corrupt checkpoint: refused, and left as it was
    ckpt = run / "checkpoint.npz"
    good = ckpt.read_bytes()
    ckpt.write_bytes(good[: len(good) // 2])
    assert main(["--resume", str(run), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "checkpoint" in err and len(err.strip().splitlines()) == 1
    assert ckpt.read_bytes() == good[: len(good) // 2]

    # a checkpoint of another architecture
    other = tmp_path / "other"
    assert (
        main(
            [
                "--width",
                "0.25",
                "--batch-size",
                "32",
                "--epochs",
                "1",
                "--subset",
                "64",
                "--no-progress",
                "--out",
                str(other),
            ]
        )
        == 0
    )
    capsys.readouterr()
    ckpt.write_bytes((other / "checkpoint.npz").read_bytes())
    metrics_before = (run / "metrics.jsonl").read_bytes()
    assert main(["--resume", str(run), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "width" in err and len(err.strip().splitlines()) == 1
    assert (run / "metrics.jsonl").read_bytes() == metrics_before


def test_bad_data_path_exits_2(tmp_path, capsys):
    assert (
        main(
            [
                "--dry-run",
                "--data",
                str(tmp_path / "missing"),
                "--out",
                str(tmp_path / "run"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert str(tmp_path / "missing") in err and len(err.strip().splitlines()) == 1


def test_divergence_stops_and_keeps_the_last_checkpoint(
    tiny_mnist, tmp_path, capsys, monkeypatch
):
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "1", "--subset", "64", "--out", str(run)]) == 0
    good = (run / "checkpoint.npz").read_bytes()

    # the next step's loss comes out NaN
    import scratchgan.trainer as trainer

    real_step = trainer.train_step
    calls = []

    def poisoned(*args, **kwargs):
        calls.append(1)
        metrics = real_step(*args, **kwargs)
        if len(calls) == 1:
            from scratchgan.loop import Divergence

            raise Divergence("g_loss became nan")
        return metrics

    monkeypatch.setattr(trainer, "train_step", poisoned)
    capsys.readouterr()
    assert main(["--resume", str(run), "--epochs", "2", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "checkpoint" in err
    assert len(err.strip().splitlines()) == 1
    assert (run / "checkpoint.npz").read_bytes() == good


def test_nan_weights_are_caught(tiny_mnist, tmp_path, capsys, monkeypatch):
    import scratchgan.trainer as trainer

    real_step = trainer.train_step

    def corrupting(G, *args, **kwargs):
        metrics = real_step(G, *args, **kwargs)
        G.params["convt1.W"][0, 0, 0, 0] = np.nan
        return metrics

    monkeypatch.setattr(trainer, "train_step", corrupting)
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "1", "--subset", "64", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    # the NaN weight poisons the next step's losses, which stop the run
    assert "diverged at step 2" in err and "no checkpoint" in err
    assert not (run / "checkpoint.npz").exists()


@pytest.mark.parametrize("flag", ["--out", "--resume", "--data"])
def test_empty_paths_are_refused(flag, capsys):
    with pytest.raises(SystemExit) as exc:
        main([flag, ""])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and "empty" in err and len(err.strip().splitlines()) == 1


def test_failed_start_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["--dry-run", "--data", str(tmp_path / "missing"), "--out", str(out)]) == 2
    )
    assert not out.exists()
    capsys.readouterr()

    # so the same --out works once the input is fixed (here: the data)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["--dry-run", "--data", str(bad), "--out", str(out)]) == 2
    assert not out.exists()


@pytest.mark.parametrize(
    "edit, field",
    [
        ({"batch_size": "abc"}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr_g": "abc"}, "lr_g"),
        ({"seed": -1}, "seed"),
        ({"dropout": 7}, "dropout"),
        ({"bn_eps": -1}, "bn_eps"),
        ({"g_loss": "foo"}, "g_loss"),
        ({"preset": "bogus"}, "preset"),
        ({"epochs": -5}, "epochs"),
    ],
)
def test_resume_refuses_a_hand_edited_config(tiny_mnist, tmp_path, capsys, edit, field):
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "1", "--subset", "64", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    config.update(edit)
    (run / "config.json").write_text(json.dumps(config))
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main(["--resume", str(run), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert field in err and len(err.strip().splitlines()) == 1, err
    after = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    assert after == before


def test_resume_survives_a_torn_metrics_line(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    args = SMALL + ["--subset", "64", "--log-every", "1"]
    assert main(args + ["--epochs", "1", "--out", str(run)]) == 0
    with open(run / "metrics.jsonl", "a") as f:
        f.write('{"step": 3, "d_lo')
    assert main(["--resume", str(run), "--epochs", "2", "--no-progress"]) == 0
    steps = [json.loads(line)["step"] for line in read_lines(run / "metrics.jsonl")]
    assert steps == [1, 2, 3, 4]


def test_resume_needs_more_epochs(tiny_mnist, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(SMALL + ["--epochs", "2", "--subset", "64", "--out", str(run)]) == 0
    config = (run / "config.json").read_bytes()
    capsys.readouterr()
    assert main(["--resume", str(run), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "--epochs N" in err and "already trained 2 of 1 epochs" in err
    assert (run / "config.json").read_bytes() == config


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--width", "1000"], "--width"),
        (["--width", "1e30"], "--width"),
        (["--latent-dim", "1000000000"], "--latent-dim"),
    ],
)
def test_huge_models_are_refused(flags, fragment, tmp_path, capsys):
    assert main(flags + ["--summary"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_short_runs_still_draw_curves(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    args = SMALL + ["--epochs", "1", "--subset", "64", "--log-every", "10"]
    assert main(args + ["--out", str(run)]) == 0
    assert (run / "curves.png").is_file()
    assert len(read_lines(run / "metrics.jsonl")) == 1
