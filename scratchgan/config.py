"""Training configuration: one frozen dataclass, presets, JSON round trip.

Every command-line flag of ``python -m scratchgan.train`` maps onto one field.
A preset fills the fields the user did not set; ``resolve`` does that merge.
"""

import dataclasses
import json
import math
from dataclasses import dataclass

# Each preset sets the model and optimiser; flags given by the user win.
PRESETS = {
    # The TensorFlow DCGAN tutorial: Keras LeakyReLU (slope 0.3), Glorot-uniform
    # weights, Adam 1e-4 with Keras's betas, batch 256, 50 epochs. Keras's
    # BatchNormalization momentum 0.99 / eps 1e-3 is PyTorch-style momentum 0.01.
    "tf-tutorial": dict(
        width=1.0,
        negative_slope=0.3,
        init="glorot",
        lr_g=1e-4,
        lr_d=1e-4,
        beta1=0.9,
        beta2=0.999,
        batch_size=256,
        epochs=50,
        bn_momentum=0.01,
        bn_eps=1e-3,
        dropout=0.3,
    ),
    # Radford et al. (2015): N(0, 0.02) weights, LeakyReLU 0.2, Adam 2e-4 with
    # beta1 0.5, batch 128.
    "dcgan-paper": dict(
        width=1.0,
        negative_slope=0.2,
        init="dcgan",
        lr_g=2e-4,
        lr_d=2e-4,
        beta1=0.5,
        beta2=0.999,
        batch_size=128,
        epochs=25,
        bn_momentum=0.1,
        bn_eps=1e-5,
        dropout=0.3,
    ),
    # The default: the paper's optimiser on a half-width network without the
    # discriminator's dropout, which gave the cleanest digits for the time on a
    # 2-core CPU among the settings tried (README, "Choosing the default").
    "default": dict(
        width=0.5,
        negative_slope=0.2,
        init="dcgan",
        lr_g=2e-4,
        lr_d=2e-4,
        beta1=0.5,
        beta2=0.999,
        batch_size=64,
        epochs=45,
        bn_momentum=0.1,
        bn_eps=1e-5,
        dropout=0.0,
    ),
}


class ConfigError(ValueError):
    """A setting outside its range; ``flag_message()`` words it for the CLI."""

    def __init__(self, field, requirement, value):
        self.field = field
        self.requirement = requirement
        self.value = value
        super().__init__(f"{field} must be {requirement}, got {value!r}")

    def flag_message(self):
        flag = "--" + self.field.replace("_", "-")
        return f"argument {flag}: must be {self.requirement}, got {self.value!r}"


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run. See ``python -m scratchgan.train --help``."""

    preset: str = "default"
    width: float = 0.5
    latent_dim: int = 100
    negative_slope: float = 0.2
    dropout: float = 0.0
    init: str = "dcgan"
    bn_momentum: float = 0.1
    bn_eps: float = 1e-5
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    batch_size: int = 64
    epochs: int = 45
    g_loss: str = "non-saturating"
    d_steps: int = 1
    label_smoothing: float = 0.0
    update: str = "alternating"
    seed: int = 1337
    data: str | None = None
    subset: int | None = None
    classes: tuple | None = None
    log_every: int = 10
    eval_every: int = 0
    threads: int | None = None
    dry_run: bool = False

    def __post_init__(self):
        for name, ok, requirement in CHECKS:
            value = getattr(self, name)
            if not ok(value):
                raise ConfigError(name, requirement, value)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        d = dict(d)
        if d.get("classes") is not None:
            d["classes"] = tuple(d["classes"])
        return cls(**d)


def _int(lo, hi=None):
    def ok(v):
        return (
            isinstance(v, int)
            and not isinstance(v, bool)
            and lo <= v
            and (hi is None or v <= hi)
        )

    return ok


def _real(lo, hi, lo_open=False, hi_open=False):
    def ok(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        if not math.isfinite(v):
            return False
        above = v > lo if lo_open else v >= lo
        below = v < hi if hi_open else v <= hi
        return above and below

    return ok


def _optional(check):
    return lambda v: v is None or check(v)


# The range every field must lie in. The upper bounds on width and latent_dim
# keep a typo from asking for terabytes: width 8 is already 16x the default's
# parameters squared in the convolutions.
MAX_WIDTH = 8.0
MAX_LATENT_DIM = 10_000
CHECKS = [
    ("preset", lambda v: v in PRESETS, f"one of {', '.join(PRESETS)}"),
    ("width", _real(0, MAX_WIDTH, lo_open=True), f"in (0, {MAX_WIDTH:g}]"),
    ("latent_dim", _int(1, MAX_LATENT_DIM), f"an integer in [1, {MAX_LATENT_DIM}]"),
    ("negative_slope", _real(0, 1, hi_open=True), "in [0, 1)"),
    ("dropout", _real(0, 1, hi_open=True), "in [0, 1)"),
    ("init", lambda v: v in ("glorot", "dcgan"), "'glorot' or 'dcgan'"),
    ("bn_momentum", _real(0, 1), "in [0, 1]"),
    ("bn_eps", _real(0, 1, lo_open=True), "in (0, 1]"),
    ("lr_g", _real(0, 1e6, lo_open=True), "a positive number up to 1e6"),
    ("lr_d", _real(0, 1e6, lo_open=True), "a positive number up to 1e6"),
    ("beta1", _real(0, 1, hi_open=True), "in [0, 1)"),
    ("beta2", _real(0, 1, hi_open=True), "in [0, 1)"),
    # BatchNorm's batch statistics need at least two samples
    ("batch_size", _int(2), "an integer >= 2"),
    ("epochs", _int(1), "a positive integer"),
    (
        "g_loss",
        lambda v: v in ("non-saturating", "minimax"),
        "'non-saturating' or 'minimax'",
    ),
    ("d_steps", _int(1), "a positive integer"),
    ("label_smoothing", _real(0, 1, hi_open=True), "in [0, 1)"),
    (
        "update",
        lambda v: v in ("alternating", "simultaneous"),
        "'alternating' or 'simultaneous'",
    ),
    ("seed", _int(0), "an integer >= 0"),
    ("data", _optional(lambda v: isinstance(v, str) and v != ""), "a path"),
    ("subset", _optional(_int(1)), "a positive integer"),
    (
        "classes",
        _optional(lambda v: len(v) > 0 and all(_int(0, 9)(d) for d in v)),
        "digits 0-9",
    ),
    ("log_every", _int(1), "a positive integer"),
    ("eval_every", _int(0), "an integer >= 0"),
    ("threads", _optional(_int(1)), "a positive integer"),
    ("dry_run", lambda v: isinstance(v, bool), "true or false"),
]


# fields that decide the networks' shapes: a checkpoint only fits a model that
# agrees on all of them
ARCHITECTURE_FIELDS = ("width", "latent_dim")


def resolve(preset, overrides):
    """A TrainConfig from a preset name and the fields the user set explicitly.

    overrides: dict of field -> value; values of None mean "not given".
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}: choose from {', '.join(PRESETS)}")
    fields = dict(PRESETS[preset])
    fields["preset"] = preset
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.from_dict(fields)
