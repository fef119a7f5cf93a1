"""What training writes for the diagnostics: gradient norms, diversity, quality."""

import json

from scratchgan.train import main

SMALL = ["--width", "0.125", "--batch-size", "32", "--no-progress"]


def test_records_carry_norms_and_eval_steps_carry_quality(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    args = SMALL + ["--subset", "96", "--epochs", "1", "--log-every", "1"]
    assert main(args + ["--eval-every", "2", "--out", str(out)]) == 0

    lines = (out / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["step"] for r in records] == [1, 2, 3]
    for r in records:
        assert set(r["grad_norm_g"]) == {
            "dense1",
            "bn1",
            "convt1",
            "bn2",
            "convt2",
            "bn3",
            "convt3",
        }
        assert set(r["grad_norm_d"]) == {"conv1", "conv2", "dense1"}
        assert r["grad_norm_g_total"] > 0 and r["grad_norm_d_total"] > 0
        assert 0 <= r["diversity"] < 2
    assert "fd" not in records[0] and "fd" not in records[2]
    assert records[1]["fd"] > 0 and 1 <= records[1]["score"] <= 10
    assert 0 <= records[1]["covered"] <= 10
    assert (out / "curves.png").is_file()
