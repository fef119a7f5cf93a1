"""The example scripts still run against the package as it is."""

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.train.conftest import tiny_mnist  # noqa: F401 (a fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_failure_modes_example_runs(tiny_mnist, tmp_path):  # noqa: F811
    out = tmp_path / "fm"
    cmd = [
        sys.executable,
        os.path.join(ROOT, "examples", "failure_modes.py"),
        "--steps",
        "10",
        "--subset",
        "128",
        "--batch-size",
        "16",
        "--data",
        str(tiny_mnist),
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(done.stderr[-2000:])
    assert (out / "failure_modes.png").is_file()
    assert "minimax, strong D" in done.stdout


def load_example(name):
    """An example script as a module, so its main(argv) runs in-process."""
    path = os.path.join(ROOT, "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def refused(capsys, argv):
    """Run failure_modes on argv; assert status 2 and one stderr line, which it
    returns. Bad input may exit through argparse or return from main."""
    try:
        status = load_example("failure_modes").main(argv)
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("failure_modes: error: "), err
    return err


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--steps", "0"], "--steps"),
        (["--steps", "-1"], "--steps"),
        (["--batch-size", "1"], "--batch-size"),
        (["--subset", "0"], "--subset"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_failure_modes_bad_flag_leaves_nothing(capsys, tmp_path, argv, flag):
    out = tmp_path / "fm_bad"
    err = refused(capsys, [*argv, "--out", str(out)])
    assert f"argument {flag}: " in err
    assert not out.exists()


def test_failure_modes_missing_data_leaves_nothing(capsys, tmp_path):
    out = tmp_path / "fm_bad"
    err = refused(capsys, ["--data", str(tmp_path / "nope"), "--out", str(out)])
    assert "nope" in err
    assert not out.exists()


def test_failure_modes_too_few_digits_for_a_step(tiny_mnist, capsys, tmp_path):  # noqa: F811
    # the strong-D runs take 5 batches a step: 5 * 16 > 40 digits
    out = tmp_path / "fm_bad"
    err = refused(
        capsys,
        [
            "--subset",
            "40",
            "--batch-size",
            "16",
            "--data",
            str(tiny_mnist),
            "--out",
            str(out),
        ],
    )
    assert "--subset 40" in err
    assert not out.exists()


def test_failure_modes_out_is_a_file(tiny_mnist, capsys, tmp_path):  # noqa: F811
    out = tmp_path / "results.txt"
    out.write_text("kept")
    err = refused(capsys, ["--data", str(tiny_mnist), "--out", str(out)])
    assert "--out" in err
    assert out.read_text() == "kept"
