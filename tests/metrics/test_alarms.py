"""Alarms on hand-made records, and on a generator that ignores z."""

import math

import numpy as np
import pytest

from scratchgan.config import TrainConfig
from scratchgan.data import to_float
from scratchgan.data.mnist import load_offline_default
from scratchgan.layers import Dense, Sequential, Tanh
from scratchgan.loop import grad_norms
from scratchgan.metrics.alarms import ALARM_AFTER, Alarms
from scratchgan.trainer import Probe, Run


def healthy(step, **extra):
    r = {
        "step": step,
        "d_fake_g": 0.4,
        "grad_norm_g_total": 1.0,
        "grad_norm_d_total": 2.0,
        "diversity": 0.9,
    }
    r.update(extra)
    return r


def names(alarms):
    return [a["alarm"] for a in alarms]


def test_healthy_records_raise_nothing():
    alarms = Alarms()
    for step in range(10, 500, 10):
        assert alarms.check(healthy(step)) == []


def test_nothing_fires_during_warm_up():
    alarms = Alarms()
    alarms.check(healthy(10))
    assert alarms.check(healthy(ALARM_AFTER, diversity=0.01)) == []
    fired = alarms.check(healthy(ALARM_AFTER + 1, diversity=0.01))
    assert names(fired) == ["mode_collapse"]
    assert fired[0]["step"] == ALARM_AFTER + 1 and "0.01" in fired[0]["detail"]


def test_low_diversity_that_never_was_higher_is_not_collapse():
    # early samples are grey blurs: low diversity, but nothing has collapsed
    alarms = Alarms()
    for step in range(10, 300, 10):
        assert alarms.check(healthy(step, diversity=0.3 if step < 100 else 0.05)) == []


def test_each_alarm_fires_once():
    alarms = Alarms()
    alarms.check(healthy(90))
    assert names(alarms.check(healthy(100, diversity=0.1))) == ["mode_collapse"]
    assert alarms.check(healthy(110, diversity=0.1)) == []


def test_lost_coverage_is_mode_collapse():
    alarms = Alarms()
    assert alarms.check(healthy(90, covered=4)) == []  # low, but never higher
    assert alarms.check(healthy(100, covered=7)) == []
    assert names(alarms.check(healthy(110, covered=3))) == ["mode_collapse"]


def test_coverage_counts_only_the_trained_digits():
    # a run on 3 digits that generates all 3 is fine
    alarms = Alarms(n_classes=3)
    assert alarms.check(healthy(100, covered=3)) == []
    assert alarms.check(healthy(110, covered=1)) == []  # lost 2: not 3 yet
    alarms = Alarms(n_classes=5)
    alarms.check(healthy(100, covered=5))
    assert names(alarms.check(healthy(110, covered=2))) == ["mode_collapse"]


def test_vanishing_gradient_needs_d_winning_and_a_collapsed_norm():
    alarms = Alarms()
    for step in range(10, 100, 10):
        alarms.check(healthy(step))

    # the norm collapses but D(G(z)) is healthy: not this alarm
    assert alarms.check(healthy(100, grad_norm_g_total=1e-3)) == []
    # D wins but G still gets a gradient (the non-saturating loss): not either
    assert alarms.check(healthy(110, d_fake_g=1e-3)) == []
    fired = alarms.check(healthy(120, d_fake_g=1e-3, grad_norm_g_total=1e-4))
    assert names(fired) == ["vanishing_gradient"]


def test_divergence_on_a_jump_or_a_non_finite_norm():
    alarms = Alarms()
    for step in range(10, 100, 10):
        alarms.check(healthy(step))
    assert alarms.check(healthy(100, grad_norm_d_total=50.0)) == []
    assert names(alarms.check(healthy(110, grad_norm_d_total=1e4))) == ["divergence"]
    again = Alarms()
    again.check(healthy(10))
    nan = again.check(healthy(ALARM_AFTER + 1, grad_norm_g_total=math.nan))
    assert names(nan) == ["divergence"]


def test_replay_restores_fired_alarms_and_history():
    records = [healthy(step) for step in range(10, 100, 10)]
    records.append({"step": 100, "alarm": "mode_collapse", "detail": "x"})
    alarms = Alarms()
    alarms.replay(records)
    assert alarms.check(healthy(110, diversity=0.0)) == []
    assert names(alarms.check(healthy(120, grad_norm_g_total=1e4))) == ["divergence"]


def test_grad_norms_per_layer_and_total():
    model = Sequential([Dense(2, 3), Tanh(), Dense(3, 1)])
    model.zero_grad()
    model.grads["dense1.W"][...] = 1.0  # 6 ones
    model.grads["dense1.b"][...] = 1.0  # 3 ones -> norm 3
    model.grads["dense2.W"][0, 0] = 4.0  # norm 4

    per_layer, total = grad_norms(model)

    assert per_layer == pytest.approx({"dense1": 3.0, "dense2": 4.0})
    assert total == pytest.approx(5.0)


def test_generator_that_ignores_z_raises_mode_collapse(tmp_path):
    run = Run(TrainConfig(width=0.125), str(tmp_path), echo=lambda s: None)
    run.G.params["dense1.W"][...] = 0  # the only layer that sees z
    real = to_float(load_offline_default()[0][:64])
    probe = Probe(run, real)
    run.alarms.check({"step": 10, "diversity": 0.9})  # it was diverse once

    fake = run.G.forward(run.fixed_z, training=False)
    assert np.ptp(fake, axis=0).max() == 0  # one image, whatever z is
    record = {"step": ALARM_AFTER + 1, "d_fake_g": 0.5}
    record.update(probe.log_extras())

    assert record["diversity"] == 0
    assert set(record["grad_norm_g"]) >= {"dense1", "bn1", "convt1"}
    fired = run.alarms.check(record)
    assert names(fired) == ["mode_collapse"]


def test_real_digits_as_samples_are_fully_diverse(tmp_path):
    # the contrast to the test above: the same probe on real digits gives ~1
    run = Run(TrainConfig(width=0.125), str(tmp_path), echo=lambda s: None)
    images = to_float(load_offline_default()[0][:128])
    probe = Probe(run, images[:64])
    run.G.forward = lambda z, training=False: images[64 : 64 + len(z)]
    assert 0.8 < probe.log_extras()["diversity"] < 1.25
