"""The example scripts still run against the package as it is."""

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
