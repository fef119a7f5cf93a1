"""Training configuration: one frozen dataclass, presets, JSON round trip.

Every command-line flag of ``python -m scratchgan.train`` maps onto one field.
A preset fills the fields the user did not set; ``resolve`` does that merge.
"""

import dataclasses
import json
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
