"""python -m scratchgan.generate: sample digits from a trained generator."""

import os
import sys

import numpy as np

from .cli import (
    ArgumentParser,
    fail,
    non_negative_int,
    path_arg,
    sample_count,
    setup_logging,
)
from .errors import CheckpointError, ScratchganError

PROG = "scratchgan-generate"


def build_parser():
    p = ArgumentParser(prog=PROG, description="Sample from a trained generator.")
    p.add_argument(
        "source",
        type=path_arg,
        metavar="RUN_OR_CHECKPOINT",
        help="a run folder or its checkpoint.npz",
    )
    p.add_argument(
        "--n",
        type=sample_count,
        default=64,
        help="number of samples (default %(default)s)",
    )
    p.add_argument(
        "--out",
        type=path_arg,
        metavar="FILE",
        required=True,
        help="a .png grid or a .npy of uint8 images (N, 28, 28)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the latent draws (default %(default)s)",
    )
    p.add_argument(
        "--interpolate",
        action="store_true",
        help="rows of linear interpolations between pairs of latent "
        "points instead of independent samples",
    )
    p.add_argument(
        "--steps",
        type=sample_count,
        default=10,
        help="images per interpolation row (default %(default)s)",
    )
    p.add_argument(
        "--nrow",
        type=sample_count,
        default=None,
        help="images per row of the grid (default: 8, or --steps)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    return p


def load_generator(source):
    """The generator of a run folder or checkpoint file, with its weights."""
    from . import checkpoint
    from .config import TrainConfig
    from .trainer import build_models

    path = source
    if os.path.isdir(source):
        path = os.path.join(source, "checkpoint.npz")
    elif not os.path.exists(source):
        raise CheckpointError(f"{source}: no such run folder or checkpoint")
    arrays, meta = checkpoint.load(path)
    try:
        cfg = TrainConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: unusable config in checkpoint ({e})") from None
    checkpoint.check_finite_arrays(arrays, path)
    G, _, _, _ = build_models(cfg, np.random.default_rng(0))
    checkpoint.restore_model(G, arrays, "G", path)
    return G, cfg


def interpolation_latents(rng, rows, steps, latent_dim):
    """(rows * steps, latent_dim): each row walks linearly from one random point
    to another."""
    a = rng.standard_normal((rows, 1, latent_dim), dtype=np.float32)
    b = rng.standard_normal((rows, 1, latent_dim), dtype=np.float32)
    t = np.linspace(0, 1, steps, dtype=np.float32).reshape(1, steps, 1)
    return (a + t * (b - a)).reshape(rows * steps, latent_dim)


def main(argv=None):
    args = build_parser().parse_args(argv)
    setup_logging()
    name = os.path.basename(args.out).lower()
    ext = os.path.splitext(name)[1]
    if ext not in (".png", ".npy") or name == ext:
        return fail(
            PROG, f"--out {args.out}: must be a file name ending in .png or .npy"
        )
    if os.path.isdir(args.out):
        return fail(PROG, f"--out {args.out}: is a folder")
    if os.path.exists(args.out) and not args.overwrite:
        return fail(PROG, f"--out {args.out}: exists; use --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(args.out))
    if os.path.isfile(folder):
        return fail(PROG, f"--out {args.out}: {folder} is a file, not a folder")
    if not os.path.isdir(folder):
        return fail(PROG, f"--out {args.out}: folder {folder} does not exist")
    try:
        from .data import to_uint8
        from .loop import generate_in_batches
        from .viz import grid, save_png

        G, cfg = load_generator(args.source)
        rng = np.random.default_rng(args.seed)
        if args.interpolate:
            rows = max(1, args.n // args.steps)
            z = interpolation_latents(rng, rows, args.steps, cfg.latent_dim)
            nrow = min(args.nrow or args.steps, len(z))
        else:
            z = rng.standard_normal((args.n, cfg.latent_dim), dtype=np.float32)
            nrow = min(args.nrow or 8, len(z))
        images = to_uint8(generate_in_batches(G, z))
        if ext == ".npy":
            tmp = args.out + ".tmp.npy"
            np.save(tmp, images)
            os.replace(tmp, args.out)
        else:
            save_png(grid(images, nrow=nrow), args.out)
    except ScratchganError as e:
        return fail(PROG, e)
    except OSError as e:
        return fail(PROG, f"--out {args.out}: cannot write ({e.strerror})")
    print(f"wrote {len(images)} images to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
