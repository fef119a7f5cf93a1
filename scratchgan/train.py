"""python -m scratchgan.train: train the DCGAN on MNIST from the command line."""

import sys

from .cli import (
    ArgumentParser,
    digit_list,
    fail,
    non_negative_int,
    path_arg,
    positive_float,
    positive_int,
    set_threads,
    setup_logging,
    unit_interval,
)
from .config import PRESETS, ConfigError, TrainConfig, resolve
from .errors import ScratchganError
from .loop import Divergence

PROG = "scratchgan-train"
DEFAULTS = TrainConfig()


def build_parser():
    p = ArgumentParser(
        prog=PROG,
        description="Train a DCGAN on MNIST with hand-written backprop. Model and "
        "optimiser flags default to the chosen preset's values.",
    )
    p.add_argument(
        "--preset",
        choices=list(PRESETS),
        default="default",
        help="settings bundle: default (fastest to digits on a CPU), "
        "tf-tutorial, dcgan-paper (default: %(default)s)",
    )

    data = p.add_argument_group("data")
    data.add_argument(
        "--data",
        type=path_arg,
        metavar="PATH",
        help="MNIST folder, IDX file or mnist.npz (default: "
        "$SCRATCHGAN_DATA, the cache, a download, else the "
        "offline 5,000-digit sample)",
    )
    data.add_argument(
        "--subset",
        type=positive_int,
        metavar="N",
        help="train on the first N images only",
    )
    data.add_argument(
        "--classes",
        type=digit_list,
        metavar="D,D,...",
        help="train on these digits only, e.g. 0,1,7",
    )

    model = p.add_argument_group("model (preset decides when not given)")
    model.add_argument(
        "--width",
        type=positive_float,
        help="multiplier for every channel count (preset)",
    )
    model.add_argument(
        "--latent-dim",
        type=positive_int,
        help=f"size of z (default {DEFAULTS.latent_dim})",
    )
    model.add_argument(
        "--negative-slope", type=unit_interval, help="LeakyReLU slope (preset)"
    )
    model.add_argument(
        "--dropout",
        type=unit_interval,
        help="discriminator dropout (preset)",
    )
    model.add_argument(
        "--init",
        choices=["glorot", "dcgan"],
        help="weight init: Glorot-uniform or N(0, 0.02) (preset)",
    )

    opt = p.add_argument_group("optimisation (preset decides when not given)")
    opt.add_argument("--epochs", type=positive_int, help="epochs to train (preset)")
    opt.add_argument("--batch-size", type=positive_int, help="batch size (preset)")
    opt.add_argument(
        "--lr", type=positive_float, help="Adam learning rate of both networks (preset)"
    )
    opt.add_argument("--lr-g", type=positive_float, help="generator learning rate")
    opt.add_argument("--lr-d", type=positive_float, help="discriminator learning rate")
    opt.add_argument("--beta1", type=unit_interval, help="Adam beta1 (preset)")
    opt.add_argument("--beta2", type=unit_interval, help="Adam beta2 (preset)")
    opt.add_argument(
        "--g-loss",
        choices=["non-saturating", "minimax"],
        help="generator loss: -log D(G(z)) or log(1 - D(G(z))) "
        f"(default {DEFAULTS.g_loss})",
    )
    opt.add_argument(
        "--d-steps",
        type=positive_int,
        help="discriminator steps per generator step (default 1)",
    )
    opt.add_argument(
        "--label-smoothing",
        type=unit_interval,
        help="real target becomes 1 - this (default 0)",
    )
    opt.add_argument(
        "--update",
        choices=["alternating", "simultaneous"],
        help="D then G, or both from one forward pass as in the "
        "TensorFlow tutorial (default alternating)",
    )

    run = p.add_argument_group("run")
    run.add_argument(
        "--out",
        type=path_arg,
        metavar="DIR",
        help="run folder (default: a new folder under runs/)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="allow --out to be a folder that already holds files",
    )
    run.add_argument(
        "--resume",
        type=path_arg,
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its checkpoint "
        "(only --epochs may change)",
    )
    run.add_argument(
        "--seed", type=non_negative_int, help=f"random seed (default {DEFAULTS.seed})"
    )
    run.add_argument(
        "--log-every",
        type=positive_int,
        help=f"steps between metrics records (default {DEFAULTS.log_every})",
    )
    run.add_argument(
        "--eval-every",
        type=non_negative_int,
        help="steps between quality metrics (0: never)",
    )
    run.add_argument(
        "--threads",
        type=positive_int,
        help="threads for kernels and BLAS (default: all cores)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="two steps on 64 images in batches of 32, to check the set-up "
        "(overrides --subset, --batch-size, --epochs, --log-every)",
    )
    run.add_argument(
        "--summary",
        action="store_true",
        help="print the layers, output shapes and parameter counts, then exit",
    )
    run.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar, only one line per epoch",
    )
    return p


# flags that are not config fields
RUN_FLAGS = {"preset", "out", "overwrite", "resume", "summary", "no_progress", "lr"}


def config_from_args(args):
    overrides = {k: v for k, v in vars(args).items() if k not in RUN_FLAGS}
    if args.lr is not None:
        overrides["lr_g"] = overrides["lr_g"] or args.lr
        overrides["lr_d"] = overrides["lr_d"] or args.lr
    if args.dry_run:
        overrides.update(epochs=1, subset=64, batch_size=32, log_every=1)
    else:
        overrides["dry_run"] = None
    try:
        return resolve(args.preset, overrides)
    except ConfigError as e:
        raise ScratchganError(e.flag_message()) from None


def resumed_config(args):
    """The config saved in the run folder; only --epochs and --threads may
    change it."""
    from .trainer import read_run_config

    given = [
        k
        for k, v in vars(args).items()
        if k not in ("resume", "epochs", "no_progress", "threads", "preset")
        and v is not None
        and v is not False
    ]
    if given or args.preset != "default":
        names = ", ".join("--" + k.replace("_", "-") for k in given or ["preset"])
        raise ScratchganError(
            f"--resume takes its settings from the run; drop {names} "
            "(only --epochs and --threads may change)"
        )
    cfg = read_run_config(args.resume)
    fields = dict(vars(cfg))
    for name in ("epochs", "threads"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    try:
        return resolve(cfg.preset, fields)
    except ConfigError as e:
        raise ScratchganError(e.flag_message()) from None


def print_summary(cfg):
    import numpy as np

    from .models import IMAGE_SHAPE
    from .trainer import build_models

    G, D, _, _ = build_models(cfg, np.random.default_rng(cfg.seed))
    for title, model, shape in (
        ("Generator", G, (cfg.latent_dim,)),
        ("Discriminator", D, IMAGE_SHAPE),
    ):
        print(f"{title}: input {shape}")
        print(f"  {'layer':<12} {'output shape':<16} {'params':>10}")
        for name, _, out, count in model.summary(shape):
            print(f"  {name:<12} {str(out):<16} {count:>10,}")
        print(f"  {'total':<29} {model.num_params():>10,}")


def main(argv=None):
    args = build_parser().parse_args(argv)
    setup_logging()
    made_dir = None  # the default run folder, made before the run starts
    try:
        if args.resume is not None:
            cfg = resumed_config(args)
            out_dir = args.resume
        else:
            cfg = config_from_args(args)
            out_dir = args.out or None
        if args.summary:
            print_summary(cfg)
            return 0
        if cfg.threads:
            set_threads(cfg.threads)

        from .trainer import check_out_dir, default_out_dir, remove_if_empty, train

        if args.resume is None:
            if out_dir is None:
                out_dir = made_dir = default_out_dir()
            check_out_dir(out_dir, args.overwrite)
        print(f"run folder: {out_dir}  (preset {cfg.preset}, seed {cfg.seed})")
        run = train(
            cfg,
            out_dir,
            resume=args.resume is not None,
            show_progress=not args.no_progress,
        )
    except ScratchganError as e:
        return fail(PROG, e)
    except Divergence as e:
        return fail(PROG, e, status=1)
    except OSError as e:
        # the run folder turned out unwritable mid-run (read-only, full, a
        # file where a folder should be); the last checkpoint stays as it was
        where = e.filename or out_dir
        return fail(PROG, f"{where}: cannot write ({e.strerror or e})")
    except KeyboardInterrupt:
        return fail(
            PROG,
            "stopped by Ctrl-C; nothing after the last checkpoint (if any) was kept",
            status=130,
        )
    finally:
        # a run that failed before writing anything leaves no folder behind
        if made_dir is not None:
            remove_if_empty(made_dir)
    if run.status == "stopped":
        print(
            f"interrupted: checkpoint written; continue with "
            f"python -m scratchgan.train --resume {out_dir}"
        )
        return 130
    print(f"done: samples, curves and checkpoint are in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
