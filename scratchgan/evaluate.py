"""python -m scratchgan.evaluate RUN_DIR: measure a trained generator.

Draws ``--n`` samples from the run's generator (eval mode, latents from
``--seed``) and compares them with real digits through the classifier of
``scratchgan.classifier`` (see ``scratchgan.metrics`` for each measure):

- FD against the reference set, next to the real-vs-real floor: real training
  digits against the same reference, the best a generator can hope for;
- class coverage and the classifier score, next to the reference set's own;
- optionally (``--parzen``) the Parzen-window log likelihood of Goodfellow et al.;
- the nearest training image of 8 samples, written as ``neighbours.png``: top row
  the samples, bottom row their neighbours.

The reference set is the MNIST test split when it can be loaded. Offline there is
none (the 5,000 shipped digits are all training digits), so the last 1,000
training digits (a fifth of a smaller set) stand in, and every output says so:
the generator has trained on them, which flatters FD and Parzen.
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np

from . import metrics
from .cli import (
    MAX_SAMPLES,
    ArgumentParser,
    fail,
    non_negative_int,
    path_arg,
    sample_count,
    setup_logging,
)
from .data import load_mnist, to_uint8
from .data.formats import is_zip
from .errors import CheckpointError, DataError, ScratchganError
from .loop import generate_in_batches

PROG = "scratchgan-evaluate"
N_NEIGHBOURS = 8
N_HELD_OUT = 1000  # offline reference size, and the Parzen validation size
MIN_SET = 10  # fewest digits in any set (reference, floor, Parzen validation)
MIN_TRAIN = 5 * MIN_SET  # a fifth is held out (twice without a test split)
# the run's own files, never written over
PROTECTED = ("checkpoint.npz", "config.json", "metrics.jsonl")


def has_test_files(folder):
    """True if ``folder`` holds any of the MNIST test split's files."""
    names = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return os.path.isdir(folder) and any(
        os.path.exists(os.path.join(folder, name + ext))
        for name in names
        for ext in ("", ".gz")
    )


def reference_sets(data, classes=None, subset=None):
    """Real digits to compare with: a dict of uint8 image arrays and a label.

    ``train``: what the generator trained on (``subset``, ``classes``), searched
    for neighbours; ``reference``: the test split, else held-out training digits;
    ``floor``: training digits for the real-vs-real FD; ``valid``: training digits
    that choose the Parzen width. Small folders work: a fifth of the training
    digits at most is held out; fewer than ``MIN_TRAIN`` training or ``MIN_SET``
    test digits raise DataError.
    """
    where = f"{data}: " if data else ""
    train, _ = load_mnist(data, split="train", subset=subset, classes=classes)
    full, _ = load_mnist(data, split="train", classes=classes)
    if len(full) < MIN_TRAIN:
        raise DataError(
            f"{where}only {len(full):,} training digits; evaluate needs at least "
            f"{MIN_TRAIN} (to hold {MIN_SET} out for the Parzen width and fit "
            "the real-vs-real floor)"
        )
    # a fifth at most, so that small folders (and tests) still work
    held = min(N_HELD_OUT, len(full) // 5)
    try:
        test, _ = load_mnist(data, split="test", classes=classes)
    except DataError:
        # no test split is fine (the offline digits have none); a damaged one
        # must be reported, not replaced by training digits without a word
        if data and has_test_files(data):
            raise
        return {
            "train": train,
            "reference": full[-held:],
            "floor": full[: -2 * held],
            "valid": full[-2 * held : -held],
            "label": (
                f"the last {held:,} training digits (no test split "
                "available; the generator may have trained on them)"
            ),
            "is_test": False,
        }
    if len(test) < MIN_SET:
        raise DataError(
            f"{where}only {len(test):,} test digits; evaluate needs at least "
            f"{MIN_SET} to fit the reference statistics"
        )
    n_floor = min(len(test), len(full) - held)
    return {
        "train": train,
        "reference": test,
        "floor": full[:n_floor],
        "valid": full[-held:],
        "label": f"the MNIST test set ({len(test):,} digits)",
        "is_test": True,
    }


def generate(G, n, latent_dim, seed):
    """n samples (n, 1, 28, 28) in [-1, 1] from G in eval mode."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim), dtype=np.float32)
    return generate_in_batches(G, z)


def evaluate(G, latent_dim, sets, n=10000, seed=0, parzen=True, classifier=None):
    """All measures of G against ``sets`` (from ``reference_sets``), as a dict
    ready for JSON; ``neighbour_images`` (uint8 (16, 28, 28)) is popped by the
    caller for the picture."""
    from .classifier import load_classifier

    clf = classifier or load_classifier()
    fake = generate(G, n, latent_dim, seed)

    # classifier features of each set; the reference's moments are shared
    ref_features, ref_probs = clf.run(sets["reference"])
    ref_stats = metrics.gaussian_stats(ref_features)
    floor_features, _ = clf.run(sets["floor"])
    quality = metrics.sample_quality(clf, fake, ref_stats)
    ref_coverage = metrics.class_coverage(ref_probs)
    result = {
        "n_samples": n,
        "seed": seed,
        "reference": sets["label"],
        "reference_is_test_set": sets["is_test"],
        "n_reference": len(sets["reference"]),
        "fd": quality["fd"],
        "fd_floor": metrics.frechet_distance(
            *metrics.gaussian_stats(floor_features), *ref_stats
        ),
        "n_floor": len(sets["floor"]),
        "covered": quality["covered"],
        "kl_uniform": quality["kl_uniform"],
        "score": quality["score"],
        "histogram": quality["histogram"],
        "reference_covered": ref_coverage["covered"],
        "reference_score": metrics.classifier_score(ref_probs),
        "diversity": metrics.mean_pairwise_distance(metrics.unit_pixels(fake[:500])),
        "reference_diversity": metrics.mean_pairwise_distance(
            metrics.unit_pixels(sets["reference"][:500])
        ),
    }

    # Parzen windows on pixels in [0, 1], as in Goodfellow et al. (2014)
    if parzen:
        result["parzen"] = metrics.parzen_evaluate(
            metrics.unit_pixels(fake),
            metrics.unit_pixels(sets["valid"]),
            metrics.unit_pixels(sets["reference"]),
        )

    # memorisation check: the nearest training digit of a few samples
    samples = to_uint8(fake[:N_NEIGHBOURS])
    idx, dist = metrics.nearest_neighbours(samples, sets["train"])
    result["neighbours"] = [
        {"sample": i, "train_index": int(j), "distance": float(d) / 255}
        for i, (j, d) in enumerate(zip(idx, dist))
    ]
    result["neighbour_images"] = np.concatenate([samples, sets["train"][idx]])
    return result


def format_table(r):
    """The results as aligned text lines."""
    lines = [
        f"reference: {r['reference']}",
        f"{'measure':<28}{'samples':>12}{'real':>12}",
        f"{'FD (classifier features)':<28}{r['fd']:>12.3f}{r['fd_floor']:>12.3f}"
        f"   (real: {r['n_floor']:,} training digits vs reference)",
        f"{'digits covered (>= 2%)':<28}{r['covered']:>12d}"
        f"{r['reference_covered']:>12d}",
        f"{'KL(p || uniform), nats':<28}{r['kl_uniform']:>12.4f}",
        f"{'classifier score (1-10)':<28}{r['score']:>12.3f}"
        f"{r['reference_score']:>12.3f}",
        f"{'mean pairwise L2 (pixels)':<28}{r['diversity']:>12.3f}"
        f"{r['reference_diversity']:>12.3f}",
    ]
    hist = " ".join(f"{d}:{h:.3f}" for d, h in enumerate(r["histogram"]))
    lines.append(f"predicted digits: {hist}")
    if "parzen" in r:
        p = r["parzen"]
        lines.append(
            f"Parzen log-likelihood: {p['mean']:.1f} +- {p['sem']:.1f} nats "
            f"(sigma {p['sigma']:.3f}; Goodfellow et al. 2014 GAN: 225 +- 2; "
            "unreliable in 784-D, see Theis et al. 2016)"
        )
    dists = " ".join(f"{n['distance']:.2f}" for n in r["neighbours"])
    lines.append(f"nearest training digit, L2 in [0,1] pixels: {dists}")
    return lines


def build_parser():
    p = ArgumentParser(prog=PROG, description="Measure a trained generator.")
    p.add_argument(
        "run_dir",
        type=path_arg,
        metavar="RUN_OR_CHECKPOINT",
        help="a run folder or its checkpoint.npz",
    )
    p.add_argument(
        "--n",
        type=sample_count,
        default=10000,
        help=f"generated samples, at most {MAX_SAMPLES:,} (default %(default)s)",
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        help="MNIST folder for the real digits (default: the run's --data, else "
        "the usual search; offline, held-out training digits replace the test set)",
    )
    p.add_argument(
        "--json",
        type=path_arg,
        metavar="FILE",
        help="results file (default RUN_DIR/eval.json, replaced if there); "
        "never the run's checkpoint, config or metrics",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --json FILE",
    )
    p.add_argument(
        "--parzen",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compute the Parzen-window log likelihood (default on; about a "
        "minute for 10,000 samples)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the latent draws (default %(default)s)",
    )
    return p


def resolve_source(source):
    """(output folder, checkpoint path) of a run folder or a checkpoint file."""
    if os.path.isdir(source):
        return source, os.path.join(source, "checkpoint.npz")
    if not os.path.exists(source):
        raise CheckpointError(f"{source}: no such run folder or checkpoint")
    if os.path.isfile(source) and (source.endswith(".npz") or is_zip(source)):
        return os.path.dirname(os.path.abspath(source)), source
    raise CheckpointError(f"{source}: is not a run folder or checkpoint")


def _same(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(args, run_dir, ckpt, json_path, png):
    """An error message if the outputs cannot or must not be written, else None.

    Runs before the long computation, so a bad --json costs nothing."""
    flag = f"--json {args.json}" if args.json else json_path
    for target in [ckpt] + [os.path.join(run_dir, n) for n in PROTECTED]:
        if _same(json_path, target):
            return (
                f"{flag}: is the run's {os.path.basename(target)}; never written over"
            )
    if _same(json_path, png):
        return f"{flag}: is where the neighbours picture goes; choose another name"
    if os.path.isdir(json_path):
        return f"{flag}: is a folder, expected a file name"
    if args.json and os.path.lexists(json_path) and not args.overwrite:
        return f"{flag}: exists; use --overwrite to replace it"
    for folder, what in (
        (os.path.dirname(os.path.abspath(json_path)), flag),
        (os.path.abspath(run_dir), f"{run_dir} (where neighbours.png goes)"),
    ):
        if not os.path.isdir(folder):
            return f"{what}: folder {folder} does not exist"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"{what}: folder {folder} is not writable"
    return None


def write_json(result, path):
    """Write ``result`` to ``path`` through a temporary file in the same folder."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".eval-", suffix=".json.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    args = build_parser().parse_args(argv)
    setup_logging()

    def error(msg):
        return fail(PROG, msg)

    if args.n < 2:
        return error(f"--n {args.n}: need at least 2 samples to fit a Gaussian")
    try:
        run_dir, ckpt = resolve_source(args.run_dir)
    except ScratchganError as e:
        return error(e)
    json_path = args.json or os.path.join(run_dir, "eval.json")
    png = os.path.join(run_dir, "neighbours.png")
    problem = check_outputs(args, run_dir, ckpt, json_path, png)
    if problem:
        return error(problem)
    try:
        from . import checkpoint
        from .generate import load_generator
        from .viz import grid, save_png

        G, cfg = load_generator(ckpt)
        weights = {**G.params, **G.state()}
        checkpoint.check_finite_arrays({f"G/{k}": v for k, v in weights.items()}, ckpt)
        sets = reference_sets(args.data or cfg.data, cfg.classes, cfg.subset)
        result = evaluate(G, cfg.latent_dim, sets, args.n, args.seed, args.parzen)
        pictures = result.pop("neighbour_images")
        result["run"] = args.run_dir
        for line in format_table(result):
            print(line)
        try:
            write_json(result, json_path)
        except OSError as e:
            flag = f"--json {args.json}" if args.json else json_path
            return error(f"{flag}: cannot write ({e.strerror})")
        save_png(grid(pictures, nrow=N_NEIGHBOURS), png)
    except ScratchganError as e:
        return error(e)
    except OSError as e:
        return error(f"cannot write results ({e.strerror}: {e.filename})")
    print(f"wrote {json_path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
