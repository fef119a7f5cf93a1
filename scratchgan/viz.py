"""Pictures of a run: sample grids and the progress GIF; metrics.jsonl reading.

The training curves are drawn by ``scratchgan.metrics.curves``.
"""

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
