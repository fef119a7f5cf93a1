"""Milliseconds per full GAN training step: scratchgan vs the same net in PyTorch.

Baseline: ``benchmarks/frameworks/torch_dcgan.py`` (PyTorch CPU, channels-first),
started from the same weights. One step is one discriminator update (real batch
and fake batch) and one generator update through the frozen discriminator, as
``scratchgan.loop.train_step``. The two run alternately in one process.

    python -m benchmarks.bench_train_step --model tf-tutorial --threads 2 \
        --batch-sizes 64 128 256 --json step.json --png step.png
"""

import json
import sys

import numpy as np

from benchmarks.common import (
    batch_size,
    check_threads,
    machine_info,
    optional_torch,
    output_file,
    set_threads,
    summarize,
    time_alternating,
)
from scratchgan.cli import ArgumentParser, non_negative_int, parsed, positive_int

# model presets: builder keyword arguments and the optimizer's
MODELS = {
    "tf-tutorial": {
        "generator": dict(
            width=1.0,
            negative_slope=0.3,
            init_scheme="glorot",
            bn_momentum=0.01,
            bn_eps=1e-3,
        ),
        "discriminator": dict(width=1.0, negative_slope=0.3),
        "lr": 1e-4,
        "betas": (0.9, 0.999),
    },
    "default": {
        "generator": dict(width=0.5, negative_slope=0.2),
        "discriminator": dict(width=0.5, negative_slope=0.2),
        "lr": 2e-4,
        "betas": (0.5, 0.999),
    },
}


def scratchgan_step_fn(preset, batch, seed):
    """A zero-argument callable running one scratchgan step, and its models."""
    from scratchgan.loop import train_step
    from scratchgan.models.dcgan import build_discriminator, build_generator
    from scratchgan.optimizers import Adam

    rng = np.random.default_rng(seed)
    G = build_generator(rng=rng, **preset["generator"])
    D = build_discriminator(rng=rng, **preset["discriminator"])
    opt_g = Adam(G.params, G.grads, lr=preset["lr"], betas=preset["betas"])
    opt_d = Adam(D.params, D.grads, lr=preset["lr"], betas=preset["betas"])
    real = rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)

    def step():
        train_step(G, D, opt_g, opt_d, [real], rng)

    return step, G, D


def torch_step_fn(preset, batch, seed, G_src, D_src):
    """The same step in PyTorch, starting from scratchgan's weights."""
    import torch

    from benchmarks.frameworks import torch_dcgan as T

    gen = dict(preset["generator"])
    gen.pop("init_scheme", None)
    G = T.build_generator(**gen)
    D = T.build_discriminator(**preset["discriminator"])
    T.copy_weights(G_src, G)
    T.copy_weights(D_src, D)
    opt_g, opt_d = T.make_optimizers(G, D, lr=preset["lr"], betas=preset["betas"])
    torch.manual_seed(seed)
    real = torch.rand(batch, 1, 28, 28) * 2 - 1

    def step():
        z = torch.randn(batch, 100)
        T.train_step(G, D, opt_g, opt_d, real, z)

    return step


def cell(row, name):
    """'median [q1-q3]' for one contender of one result row."""
    s = row.get(name)
    if s is None:
        return f"{'-':>22}"
    return f"{s['median_ms']:8.1f} [{s['q1_ms']:5.0f}-{s['q3_ms']:5.0f}]"


def plot(results, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    batches = [r["batch"] for r in results]
    x = np.arange(len(batches))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, key in enumerate(("scratchgan", "torch")):
        if results[0].get(f"{key}_ms") is None:
            continue
        med = [r[f"{key}_ms"] for r in results]
        err = [
            [r[key]["median_ms"] - r[key]["q1_ms"] for r in results],
            [r[key]["q3_ms"] - r[key]["median_ms"] for r in results],
        ]
        ax.bar(x + (i - 0.5) * 0.4, med, 0.4, yerr=err, label=key, capsize=3)
    ax.set_xticks(x, [str(b) for b in batches])
    ax.set_xlabel("batch size")
    ax.set_ylabel("ms per training step (median, IQR)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def seed(text):
    # torch.manual_seed takes at most an unsigned 64-bit integer
    return parsed(text, int, lambda v: 0 <= v < 2**64, "an integer in [0, 2**64)")


def main(argv=None):
    parser = ArgumentParser(
        prog="bench_train_step", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model", choices=sorted(MODELS), default="tf-tutorial")
    parser.add_argument(
        "--batch-sizes",
        type=batch_size,
        nargs="+",
        default=None,
        help="default: 64 128 256 for tf-tutorial, 64 for default",
    )
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--repeats", type=positive_int, default=15)
    parser.add_argument("--warmup", type=non_negative_int, default=3)
    parser.add_argument("--seed", type=seed, default=1337)
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument(
        "--json", type=output_file(), help="write results to this JSON file"
    )
    parser.add_argument(
        "--png", type=output_file(".png"), help="write a bar chart to this PNG file"
    )
    args = parser.parse_args(argv)
    check_threads(parser, [args.threads])

    set_threads(args.threads)
    preset = MODELS[args.model]
    batches = args.batch_sizes or (
        [64, 128, 256] if args.model == "tf-tutorial" else [64]
    )
    torch = None if args.no_torch else optional_torch()
    if torch is None:
        print("PyTorch not used: scratchgan figures only", file=sys.stderr)

    results = []
    print(
        f"model {args.model}, {args.threads} threads, median of {args.repeats} "
        f"steps after {args.warmup} warm-up steps (IQR in brackets)"
    )
    print(f"{'batch':>5} {'scratchgan ms':>22} {'torch ms':>22} {'ratio':>6}")
    for batch in batches:
        fns = {}
        fns["scratchgan"], G, D = scratchgan_step_fn(preset, batch, args.seed)
        if torch is not None:
            fns["torch"] = torch_step_fn(preset, batch, args.seed, G, D)
        times = time_alternating(fns, args.repeats, args.warmup)
        row = {"batch": batch}
        for name, ts in times.items():
            row[name] = summarize(ts)
            row[f"{name}_ms"] = row[name]["median_ms"]
        row.setdefault("torch_ms", None)
        row["ratio"] = (
            row["scratchgan_ms"] / row["torch_ms"] if row["torch_ms"] else None
        )
        results.append(row)

        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        print(
            f"{batch:>5} {cell(row, 'scratchgan'):>22} "
            f"{cell(row, 'torch'):>22} {ratio:>6}",
            flush=True,
        )

    if args.json:
        info = machine_info()
        out = {
            "benchmark": "train_step",
            "model": args.model,
            "threads": args.threads,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "machine": info,
            "results": results,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    if args.png:
        plot(results, args.png, f"{args.model}, {args.threads} threads")


if __name__ == "__main__":
    main()
