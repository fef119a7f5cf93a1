"""The benchmark scripts refuse bad flags before they time anything.

Each script's timing entry points are replaced by functions that fail the test,
so a flag that slips through shows as "benchmark started" at once instead of a
run of minutes. None of this needs PyTorch: the scripts leave it out with
--no-torch, and thread counts are never applied (``set_threads`` is replaced).
"""

import json
import os

import pytest

from benchmarks import bench_layers, bench_startup, bench_train_step
from scratchgan.kernels.threads import available_cores

SCRIPTS = {
    "bench_train_step": bench_train_step,
    "bench_layers": bench_layers,
    "bench_startup": bench_startup,
}

# the functions each script reaches only once its flags have been accepted
TIMING = {
    "bench_train_step": ["set_threads", "scratchgan_step_fn", "time_alternating"],
    "bench_layers": ["set_threads", "sgemm_gflops", "conv_layers"],
    "bench_startup": ["run_child"],
}


@pytest.fixture
def no_timing(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("benchmark started despite a bad flag")

    for name, module in SCRIPTS.items():
        for fn in TIMING[name]:
            monkeypatch.setattr(module, fn, started)


def refused(capsys, name, argv):
    """Run script ``name`` on argv; assert exit status 2 and return its one
    stderr line."""
    if name != "bench_startup":  # the one script that never loads torch
        argv = [*argv, "--no-torch"]
    with pytest.raises(SystemExit) as exc:
        SCRIPTS[name].main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"{name}: error: "), err
    return err


@pytest.mark.parametrize(
    "name, argv, flag",
    [
        ("bench_train_step", ["--threads", "0"], "--threads"),
        ("bench_train_step", ["--threads", "-1"], "--threads"),
        ("bench_train_step", ["--repeats", "0"], "--repeats"),
        ("bench_train_step", ["--warmup", "-1"], "--warmup"),
        ("bench_train_step", ["--batch-sizes", "0"], "--batch-sizes"),
        ("bench_train_step", ["--batch-sizes", "64", "1"], "--batch-sizes"),
        ("bench_train_step", ["--batch-sizes", "-4"], "--batch-sizes"),
        ("bench_train_step", ["--seed", "-1"], "--seed"),
        ("bench_train_step", ["--png", "chart.jpg"], "--png"),
        ("bench_layers", ["--threads", "1", "0"], "--threads"),
        ("bench_layers", ["--repeats", "-1"], "--repeats"),
        ("bench_layers", ["--ref-repeats", "0"], "--ref-repeats"),
        ("bench_startup", ["--threads", "0"], "--threads"),
        ("bench_startup", ["--batch", "1"], "--batch"),
        ("bench_startup", ["--batch", "-1"], "--batch"),
        ("bench_startup", ["--warm-runs", "0"], "--warm-runs"),
        ("bench_startup", ["--steps", "2"], "--steps"),
    ],
)
def test_bad_flag_is_one_line_and_status_2(no_timing, capsys, name, argv, flag):
    err = refused(capsys, name, argv)
    assert f"argument {flag}: " in err
    assert argv[-1] in err  # the value at fault is named


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_more_threads_than_cores_is_refused(no_timing, capsys, name):
    cores = available_cores()
    err = refused(capsys, name, ["--threads", str(cores + 1)])
    # worded as scratchgan's own train command words it (scratchgan.cli)
    expected = f"--threads {cores + 1}: this machine has {cores} cores"
    assert err == f"{name}: error: {expected}\n"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_json_in_missing_folder_is_refused_before_timing(
    no_timing, capsys, tmp_path, name
):
    path = tmp_path / "no-such-folder" / "out.json"
    err = refused(capsys, name, ["--json", str(path)])
    assert "argument --json: " in err and "does not exist" in err
    assert not path.parent.exists()


@pytest.mark.parametrize(
    "flag, make",
    [
        ("--json", lambda tmp: tmp / "a-file" / "out.json"),  # folder is a file
        ("--json", lambda tmp: tmp),  # the path is a folder
        ("--png", lambda tmp: tmp / "a-file" / "chart.png"),
    ],
)
def test_unwritable_output_is_refused_before_timing(
    no_timing, capsys, tmp_path, flag, make
):
    (tmp_path / "a-file").write_text("results of an earlier run")
    err = refused(capsys, "bench_train_step", [flag, str(make(tmp_path))])
    assert f"argument {flag}: " in err
    # nothing already written is touched
    assert (tmp_path / "a-file").read_text() == "results of an earlier run"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root may write anywhere",
)
def test_read_only_folder_is_refused_before_timing(no_timing, capsys, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        err = refused(capsys, "bench_layers", ["--json", str(folder / "x.json")])
    finally:
        folder.chmod(0o755)
    assert "cannot write" in err


def test_good_outputs_are_accepted_and_written(monkeypatch, tmp_path, capsys):
    # a step that does nothing: this checks the flags and the files, not speed
    monkeypatch.setattr(bench_train_step, "set_threads", lambda n: None)
    monkeypatch.setattr(
        bench_train_step,
        "scratchgan_step_fn",
        lambda preset, batch, seed: (lambda: None, None, None),
    )
    out_json, out_png = tmp_path / "step.json", tmp_path / "step.png"
    bench_train_step.main(
        [
            "--no-torch",
            "--batch-sizes",
            "2",
            "--repeats",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
            "--json",
            str(out_json),
            "--png",
            str(out_png),
        ]
    )
    results = json.loads(out_json.read_text())
    assert results["repeats"] == 1 and results["results"][0]["batch"] == 2
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in capsys.readouterr().err


def test_failed_child_is_one_line_without_its_script(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(
        bench_startup, "CHILD", "import sys\nsys.exit('child ran out of memory')"
    )
    with pytest.raises(SystemExit) as exc:
        bench_startup.run_child(str(tmp_path), 1, 2, 3)
    message = str(exc.value.code)
    assert "\n" not in message
    assert message.endswith("child ran out of memory")
    assert "import sys" not in message
