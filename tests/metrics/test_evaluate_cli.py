"""python -m scratchgan.evaluate on a dry-run generator and a tiny MNIST."""

import json

import pytest

from scratchgan.evaluate import main
from scratchgan.train import main as train_main


@pytest.fixture
def run_dir(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    assert train_main(["--dry-run", "--out", str(out)]) == 0
    return out


def test_evaluate_writes_json_and_neighbours(run_dir, capsys):
    assert main([str(run_dir), "--n", "300"]) == 0

    r = json.loads((run_dir / "eval.json").read_text())
    # the tiny MNIST has no test split: held-out training digits stand in
    assert r["reference_is_test_set"] is False
    assert "training digits" in r["reference"]
    assert r["n_samples"] == 300 and len(r["histogram"]) == 10
    assert r["fd"] > r["fd_floor"] >= 0
    assert 1 <= r["score"] <= 10 and 0 <= r["covered"] <= 10
    assert r["parzen"]["sigma"] in r["parzen"]["sigmas"]
    assert len(r["neighbours"]) == 8
    assert (run_dir / "neighbours.png").is_file()
    out = capsys.readouterr().out
    assert "FD" in out and "Parzen" in out and "training digits" in out


def test_no_parzen_and_json_path(run_dir, tmp_path):
    path = tmp_path / "e.json"
    assert main([str(run_dir), "--n", "50", "--no-parzen", "--json", str(path)]) == 0
    assert "parzen" not in json.loads(path.read_text())


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing-run"], "no such run folder"),
        (["RUN", "--n", "0"], "--n"),
        (["RUN", "--n", "1"], "at least 2"),
        (["RUN", "--bogus"], "unrecognized"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_dir, tmp_path, capsys, args, message):
    args = [
        str(run_dir) if a == "RUN" else str(tmp_path / a) if a == "missing-run" else a
        for a in args
    ]
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(args))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_folder_without_a_checkpoint(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "checkpoint" in capsys.readouterr().err
