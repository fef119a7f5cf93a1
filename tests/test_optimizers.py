"""Adam and SGD against values worked out by hand from their update formulas."""

import copy
import math

import numpy as np
import pytest

from scratchgan.layers import Dense
from scratchgan.optimizers import SGD, Adam
from tests.conftest import EXACT_RTOL

# two parameters of different shapes and, per step, their gradients
START = {"a": [1.0, -2.0], "b": [0.5]}
GRADS = [
    {"a": [0.1, -0.3], "b": [2.0]},
    {"a": [-0.2, -0.1], "b": [0.0]},
    {"a": [0.4, 0.05], "b": [-1.0]},
]


def as_arrays(values, dtype=np.float64):
    return {k: np.array(v, dtype=dtype) for k, v in values.items()}


def run(optimizer_cls, grads_per_step, **kwargs):
    """Step an optimizer over START with the given gradients; return it."""
    params = as_arrays(START)
    grads = {k: np.zeros_like(p) for k, p in params.items()}
    opt = optimizer_cls(params, grads, **kwargs)
    for step_grads in grads_per_step:
        for k, g in step_grads.items():
            grads[k][...] = g
        opt.step()
    return opt


def adam_by_hand(lr, beta1, beta2, eps):
    """Adam on plain floats, each element on its own, one shared t."""
    expected = {}
    for k, values in START.items():
        expected[k] = []
        for i, p in enumerate(values):
            m = v = 0.0
            for t, step_grads in enumerate(GRADS, start=1):
                g = step_grads[k][i]
                m = beta1 * m + (1 - beta1) * g
                v = beta2 * v + (1 - beta2) * g * g
                m_hat = m / (1 - beta1**t)
                v_hat = v / (1 - beta2**t)
                p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
            expected[k].append(p)
    return expected


def test_adam_matches_hand_computed_steps():
    opt = run(Adam, GRADS, lr=0.1, betas=(0.5, 0.999), eps=1e-8)

    expected = adam_by_hand(lr=0.1, beta1=0.5, beta2=0.999, eps=1e-8)
    for k in START:
        np.testing.assert_allclose(
            opt.params[k], expected[k], rtol=EXACT_RTOL, err_msg=k
        )


def test_adam_keeps_one_step_counter_for_all_params():
    opt = run(Adam, GRADS)

    # three steps over two parameters: t is 3, not 6, and stored once
    assert opt.t == 3
    assert [k for k in opt.state_dict() if k.startswith("t")] == ["t"]


def test_adam_first_step_moves_each_element_by_lr():
    # at t = 1 the bias corrections make m_hat / sqrt(v_hat) = sign(g)
    opt = run(Adam, GRADS[:1], lr=0.01, eps=1e-12)

    np.testing.assert_allclose(opt.params["a"], [1.0 - 0.01, -2.0 + 0.01], rtol=1e-9)
    np.testing.assert_allclose(opt.params["b"], [0.5 - 0.01], rtol=1e-9)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_hand_computed_steps(momentum):
    lr = 0.1
    opt = run(SGD, GRADS, lr=lr, momentum=momentum)

    # v = momentum * v + g; p -= lr * v, element by element
    for k, values in START.items():
        expected = []
        for i, p in enumerate(values):
            v = 0.0
            for step_grads in GRADS:
                v = momentum * v + step_grads[k][i]
                p = p - lr * v
            expected.append(p)
        np.testing.assert_allclose(opt.params[k], expected, rtol=EXACT_RTOL, err_msg=k)


def resume_matches(optimizer_cls, **kwargs):
    """Run 3 steps straight, and 1 step + save/load + 2 steps; compare bitwise."""
    straight = run(optimizer_cls, GRADS, **kwargs)

    # a checkpoint after one step: copies, as a file would hold
    first = run(optimizer_cls, GRADS[:1], **kwargs)
    saved_params = copy.deepcopy(first.params)
    saved_state = copy.deepcopy(first.state_dict())

    # a fresh optimizer over the restored params continues from there
    grads = {k: np.zeros_like(p) for k, p in saved_params.items()}
    resumed = optimizer_cls(saved_params, grads, **kwargs)
    resumed.load_state_dict(saved_state)
    for step_grads in GRADS[1:]:
        for k, g in step_grads.items():
            grads[k][...] = g
        resumed.step()

    for k in START:
        np.testing.assert_array_equal(resumed.params[k], straight.params[k], err_msg=k)
    return straight, resumed


def test_adam_state_dict_round_trip_continues_identically():
    straight, resumed = resume_matches(Adam, lr=0.05, betas=(0.5, 0.999))

    assert resumed.t == straight.t == 3


def test_sgd_state_dict_round_trip_continues_identically():
    resume_matches(SGD, lr=0.05, momentum=0.9)


@pytest.mark.parametrize("optimizer_cls", [Adam, SGD])
def test_updates_the_model_arrays_in_place(rng, optimizer_cls):
    layer = Dense(3, 2, rng=rng)
    W = layer.params["W"]
    before = W.copy()
    opt = optimizer_cls(layer.params, layer.grads, lr=0.01)
    out = layer(rng.standard_normal((4, 3)).astype(np.float32))
    layer.backward(np.ones_like(out))

    opt.step()

    assert layer.params["W"] is W
    assert W.dtype == np.float32
    assert np.all(W != before)


@pytest.mark.parametrize(
    "make",
    [
        lambda p, g: Adam(p, g, lr=0.0),
        lambda p, g: Adam(p, g, betas=(1.0, 0.999)),
        lambda p, g: Adam(p, g, betas=(0.9, -0.1)),
        lambda p, g: SGD(p, g, lr=-1.0),
        lambda p, g: SGD(p, {}),
    ],
    ids=["adam-lr0", "adam-beta1", "adam-beta2", "sgd-lr", "sgd-keys"],
)
def test_bad_configuration_refused(make):
    params = as_arrays(START)
    grads = {k: np.zeros_like(p) for k, p in params.items()}
    with pytest.raises(ValueError):
        make(params, grads)
