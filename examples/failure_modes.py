"""Why the non-saturating generator loss: the same GAN trained four ways.

The generator's original minimax loss, log(1 - D(G(z))), has a gradient
proportional to D(G(z)): once the discriminator confidently rejects the fakes it
goes to zero, and the generator stops learning. Goodfellow et al. (2014)
suggested -log D(G(z)) instead, whose gradient is largest exactly then. This
script trains one small DCGAN four times on a subset of MNIST:

    non-saturating                  the default
    minimax                         log(1 - D(G(z)))
    minimax, strong D               5 D steps per G step, D's lr 5x: D wins
    non-saturating, strong D        the same strong D, the other loss

and prints, per run, D(x), D(G(z)), the generator's gradient norm at the start
and the end, FD and digit coverage (``scratchgan.metrics``), and the alarms the
trainer raised. It writes ``failure_modes.png``: G's gradient norm and D(G(z))
over steps for all runs, and each run's final samples.

    python examples/failure_modes.py                # offline: 5,000 digits
    python examples/failure_modes.py --data path/to/mnist --steps 300

It takes a few minutes on 2 cores with the defaults (width 0.25, batch 32). Note
that Adam divides each update by a running RMS of the gradient, which hides much
of a shrinking gradient from the weights: the raw norm still shows it, and the
alarms watch the raw norm.
"""

import dataclasses
import math
import os
import sys

from PIL import Image

from scratchgan.cli import ArgumentParser, path_arg, positive_int, setup_logging
from scratchgan.config import ConfigError, TrainConfig
from scratchgan.errors import ScratchganError
from scratchgan.loop import Divergence
from scratchgan.trainer import (
    check_out_dir,
    images_per_step,
    load_training_images,
    train,
)
from scratchgan.viz import read_metrics

RUNS = [
    ("non-saturating", dict(g_loss="non-saturating")),
    ("minimax", dict(g_loss="minimax")),
    ("minimax, strong D", dict(g_loss="minimax", d_steps=5, lr_d=1e-3)),
    ("non-saturating, strong D", dict(g_loss="non-saturating", d_steps=5, lr_d=1e-3)),
]


def plan(args):
    """(name, config, run folder, steps per epoch) for each run.

    Everything a run would refuse is checked here, before the first run starts,
    so that bad input fails at once and leaves no folder behind: the flags by
    the config's own checks, the data by loading it, the folders by
    ``check_out_dir`` (which creates nothing).
    """
    common = dict(
        width=0.25,
        batch_size=args.batch_size,
        subset=args.subset,
        data=args.data,
        seed=args.seed,
        log_every=5,
        eval_every=max(5, args.steps // 4 // 5 * 5),
    )
    # the config words its errors for the flag they came from (--batch-size...)
    base = TrainConfig(**common)
    check_out_dir(args.out, overwrite=True)
    count = len(load_training_images(base))
    runs = []
    for name, overrides in RUNS:
        cfg = TrainConfig(**common, **overrides)
        per_step = images_per_step(cfg)
        steps_per_epoch = count // per_step
        if steps_per_epoch == 0:
            raise ScratchganError(
                f"--subset {args.subset}: the {count} training digits loaded make "
                f"no step of the {name!r} run, which takes {per_step} a step "
                f"({cfg.d_steps} D steps of --batch-size {args.batch_size})"
            )
        epochs = math.ceil(args.steps / steps_per_epoch)
        cfg = dataclasses.replace(cfg, epochs=epochs)
        out = os.path.join(args.out, name.replace(", ", "-").replace(" ", "-"))
        check_out_dir(out, overwrite=True)
        runs.append((name, cfg, out, steps_per_epoch))
    return runs


def run_one(name, cfg, out, steps_per_epoch):
    """Train one variant (about --steps G steps); returns its folder and records."""
    print(f"\n== {name}: {cfg.epochs} epochs of {steps_per_epoch} steps -> {out}")
    try:
        train(cfg, out, show_progress=False, echo=lambda s: print("  " + s))
    except Divergence as e:
        print(f"  stopped: {e}")
    return out, read_metrics(os.path.join(out, "metrics.jsonl"))


def summary_row(name, records):
    train_records = [r for r in records if "d_loss" in r]
    quality = [r for r in records if "fd" in r]
    alarms = [f"{r['alarm']}@{r['step']}" for r in records if "alarm" in r]
    first, last = train_records[0], train_records[-1]
    return (
        f"{name:<26}{last['d_real']:>7.3f}{last['d_fake_g']:>9.4f}"
        f"{first['grad_norm_g_total']:>11.3g}{last['grad_norm_g_total']:>11.3g}"
        f"{quality[-1]['fd'] if quality else float('nan'):>9.2f}"
        f"{quality[-1]['covered'] if quality else 0:>5d}   "
        f"{', '.join(alarms) or '-'}"
    )


def figure(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(results)
    fig = plt.figure(figsize=(4 * n, 8.5))
    grid = fig.add_gridspec(3, n, height_ratios=[1, 1, 1.4])
    ax_norm = fig.add_subplot(grid[0, :])
    ax_fake = fig.add_subplot(grid[1, :], sharex=ax_norm)
    for i, (name, out, records) in enumerate(results):
        train_records = [r for r in records if "d_loss" in r]
        steps = [r["step"] for r in train_records]
        norms = [max(r["grad_norm_g_total"], 1e-30) for r in train_records]
        ax_norm.semilogy(steps, norms, label=name, color=f"C{i}")
        ax_fake.plot(steps, [r["d_fake_g"] for r in train_records], color=f"C{i}")
        for r in records:
            if "alarm" in r:
                ax_norm.axvline(r["step"], color=f"C{i}", linestyle=":", linewidth=1)

        # the last sample grid of the run
        ax = fig.add_subplot(grid[2, i])
        frames = sorted(os.listdir(os.path.join(out, "samples")))
        ax.imshow(Image.open(os.path.join(out, "samples", frames[-1])), cmap="gray")
        ax.set_title(name, fontsize=10)
        ax.axis("off")
    ax_norm.set_ylabel("G gradient norm")
    ax_norm.set_title("generator gradient norm (dotted: alarms)")
    ax_norm.legend(fontsize=8)
    ax_norm.grid(alpha=0.3)
    ax_fake.set_ylabel("D(G(z)) in G's step")
    ax_fake.set_xlabel("step")
    ax_fake.set_ylim(0, 1)
    ax_fake.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    p = ArgumentParser(prog="failure_modes", description=__doc__.split("\n")[0])
    p.add_argument(
        "--data", type=path_arg, metavar="PATH", help="MNIST folder (default: offline)"
    )
    p.add_argument(
        "--out", type=path_arg, default="runs/failure_modes", help="output folder"
    )
    p.add_argument("--steps", type=positive_int, default=150, help="G steps per run")
    p.add_argument("--subset", type=positive_int, default=1600, help="training digits")
    # range checks of --batch-size and --seed are the config's (see plan)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=1337)
    args = p.parse_args(argv)
    setup_logging()
    try:
        runs = plan(args)
    except ConfigError as e:
        p.error(e.flag_message())
    except ScratchganError as e:
        p.error(str(e))
    try:
        results = [(name, *run_one(name, *rest)) for name, *rest in runs]
    except ScratchganError as e:
        print(f"failure_modes: error: {e}", file=sys.stderr)
        return 2
    print(
        f"\n{'run':<26}{'D(x)':>7}{'D(G(z))':>9}{'|g_G| 1st':>11}{'|g_G| end':>11}"
        f"{'FD':>9}{'cov':>5}   alarms"
    )
    for name, _, records in results:
        print(summary_row(name, records))
    path = os.path.join(args.out, "failure_modes.png")
    figure(results, path)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
