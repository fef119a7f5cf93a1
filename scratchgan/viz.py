"""Pictures of a run: sample grids, the progress GIF, the training curves."""

import json
import os

import numpy as np
from PIL import Image


def grid(images, nrow=8, pad=2, scale=2):
    """images: (N, 28, 28) uint8 -> one uint8 image with the samples tiled in rows
    of ``nrow``, ``pad`` pixels apart, each pixel repeated ``scale`` times."""
    N, H, W = images.shape
    ncol = nrow
    nrows = -(-N // ncol)
    canvas = np.full(
        (nrows * (H + pad) + pad, ncol * (W + pad) + pad), 255, dtype=np.uint8
    )
    for i in range(N):
        r, c = divmod(i, ncol)
        top, left = pad + r * (H + pad), pad + c * (W + pad)
        canvas[top : top + H, left : left + W] = images[i]
    return np.kron(canvas, np.ones((scale, scale), dtype=np.uint8))


def save_png(array, path):
    """Write a uint8 image atomically (temporary name, then rename)."""
    tmp = path + ".tmp"
    Image.fromarray(array).save(tmp, format="PNG")
    os.replace(tmp, path)


def save_gif(paths, out_path, ms_per_frame=300):
    """Animate the PNGs at ``paths`` in order; the last frame lingers."""
    frames = [Image.open(p).convert("L") for p in paths]
    if not frames:
        return
    durations = [ms_per_frame] * (len(frames) - 1) + [1500]
    tmp = out_path + ".tmp"
    frames[0].save(
        tmp,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
    )
    os.replace(tmp, out_path)


def read_metrics(path):
    """The records of a metrics.jsonl file, as a list of dicts.

    A missing file gives no records, and a line that is not JSON is skipped: a
    process killed mid-write leaves a torn last line, which must not make the
    run unreadable.
    """
    records = []
    try:
        with open(path) as f:
            lines = f.readlines()
    except FileNotFoundError:
        return records
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def plot_curves(records, out_path):
    """Losses, and D(x), D(G(z)) against the 0.5 equilibrium, over steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in records if "d_loss" in r]
    if not steps:
        return
    train = [r for r in records if "d_loss" in r]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    ax1.plot(steps, [r["d_loss"] for r in train], label="d_loss (real + fake)")
    ax1.plot(steps, [r["g_loss"] for r in train], label="g_loss")
    ax1.set_ylabel("loss")
    ax1.legend(loc="upper right")
    ax1.grid(alpha=0.3)
    ax2.plot(steps, [r["d_real"] for r in train], label="D(x)")
    ax2.plot(steps, [r["d_fake"] for r in train], label="D(G(z))")
    ax2.axhline(0.5, color="k", linestyle="--", linewidth=1, label="equilibrium 0.5")
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("step")
    ax2.set_ylabel("discriminator output")
    ax2.legend(loc="upper right")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    tmp = out_path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, out_path)
