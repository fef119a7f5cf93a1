"""A training run on disk: its folder, the epoch loop, samples, checkpoints, resume.

Layout of a run folder:

    config.json          every resolved setting, the seed and the version
    metrics.jsonl        one JSON record per logged step (no wall-clock fields, so
                         the same seed gives the same file)
    samples/epoch_0001.png ...   8x8 grids from one fixed latent batch, G in eval
    progress.gif         the grids in order
    curves.png           losses, D(x) and D(G(z)), gradient norms and (with
                         --eval-every) sample quality over steps; alarms marked
    checkpoint.npz       the latest checkpoint (see scratchgan.checkpoint)

Besides the losses, each logged record carries the per-layer gradient norms of
G and D (``grad_norm_g``: {layer: norm}, ``grad_norm_g_total``, the same for d)
and ``diversity``: the mean pairwise distance of the 64 fixed-latent samples over
that of 64 real digits. Every ``--eval-every`` steps a record also gets ``fd``,
``covered``, ``kl_uniform`` and ``score`` of 2,000 samples against 2,000 training
digits (see ``scratchgan.metrics``). Alarms (``scratchgan.metrics.alarms``) are
printed once and written as their own records, {"step", "alarm", "detail"}, just
before the record of the step that raised them.
"""

import json
import logging
import os
import signal
import sys
import time

import numpy as np
from tqdm import tqdm

from . import __version__, checkpoint, viz
from .config import ARCHITECTURE_FIELDS, TrainConfig
from .data import load_mnist, to_float, to_uint8
from .errors import CheckpointError, ScratchganError
from .kernels import warmup
from .loop import Divergence, check_finite, draw_noise, grad_norms, train_step
from .metrics import gaussian_stats, mean_pairwise_distance, sample_quality
from .metrics.alarms import Alarms
from .metrics.curves import plot_training_curves
from .models import build_discriminator, build_generator
from .optimizers import Adam

logger = logging.getLogger("scratchgan")

N_FIXED = 64  # samples in each grid: 8 x 8
N_EVAL = 2000  # samples (and reference digits) of the in-training quality check


def significant(x, digits=6):
    """x rounded to ``digits`` significant digits: gradient norms of a vanishing
    generator are far below 1e-6, which rounding to 6 decimals would zero."""
    return float(f"{x:.{digits}g}")


class Probe:
    """The extra measurements of a run at log and eval steps (none consume the
    training Generator, so they leave the training trajectory unchanged)."""

    def __init__(self, run, images):
        self.run = run
        self.real_diversity = mean_pairwise_distance(images[:N_FIXED])
        self.reference = images[:N_EVAL]
        self.classifier = None
        self.reference_stats = None
        self.eval_z = None

    def log_extras(self):
        """Gradient norms and fixed-sample diversity, at log steps only.

        The norms cost under a millisecond; the diversity needs one generator
        forward pass on the 64 fixed latents, about a tenth of a training step,
        so a few percent of training time at the default --log-every 10.
        """
        record = {}
        for net, model in (("g", self.run.G), ("d", self.run.D)):
            per_layer, total = grad_norms(model)
            record[f"grad_norm_{net}"] = {
                k: significant(v) for k, v in per_layer.items()
            }
            record[f"grad_norm_{net}_total"] = significant(total)
        fake = self.run.G.forward(self.run.fixed_z, training=False)
        ratio = mean_pairwise_distance(fake) / max(self.real_diversity, 1e-12)
        record["diversity"] = round(ratio, 6)
        return record

    def evaluate(self):
        """FD, coverage and score of N_EVAL samples from fixed latents."""
        from .classifier import load_classifier

        if self.classifier is None:
            self.classifier = load_classifier()
            features, _ = self.classifier.run(self.reference)
            self.reference_stats = gaussian_stats(features)
            rng = np.random.default_rng([self.run.cfg.seed, 1])
            self.eval_z = draw_noise(rng, N_EVAL, self.run.cfg.latent_dim)
        fake = np.concatenate(
            [
                self.run.G.forward(self.eval_z[lo : lo + 500], training=False)
                for lo in range(0, N_EVAL, 500)
            ]
        )
        q = sample_quality(self.classifier, fake, self.reference_stats)
        return {
            "fd": round(q["fd"], 6),
            "covered": q["covered"],
            "kl_uniform": round(q["kl_uniform"], 6),
            "score": round(q["score"], 6),
        }


def build_models(cfg, rng):
    """G, D and their Adam optimizers for ``cfg``, initialised from ``rng``."""
    G = build_generator(
        latent_dim=cfg.latent_dim,
        width=cfg.width,
        negative_slope=cfg.negative_slope,
        bn_momentum=cfg.bn_momentum,
        bn_eps=cfg.bn_eps,
        init_scheme=cfg.init,
        rng=rng,
    )
    D = build_discriminator(
        width=cfg.width,
        negative_slope=cfg.negative_slope,
        dropout=cfg.dropout,
        init_scheme=cfg.init,
        rng=rng,
    )
    betas = (cfg.beta1, cfg.beta2)
    opt_g = Adam(G.params, G.grads, lr=cfg.lr_g, betas=betas)
    opt_d = Adam(D.params, D.grads, lr=cfg.lr_d, betas=betas)
    return G, D, opt_g, opt_d


def is_run_dir(path):
    """True if ``path`` holds a config.json written by scratchgan."""
    try:
        with open(os.path.join(path, "config.json")) as f:
            d = json.load(f)
        return isinstance(d, dict) and "scratchgan_version" in d
    except (OSError, ValueError, TypeError):
        return False


def read_run_config(run_dir):
    """The TrainConfig saved in a run folder."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isdir(run_dir):
        raise CheckpointError(f"{run_dir}: no such run folder")
    if not is_run_dir(run_dir):
        raise CheckpointError(f"{run_dir}: not a scratchgan run (no valid config.json)")
    with open(path) as f:
        d = json.load(f)
    d.pop("scratchgan_version", None)
    try:
        return TrainConfig.from_dict(d)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: unusable config ({e})") from None


def check_out_dir(path, overwrite):
    """Refuse an --out that holds other files or cannot be written; creates
    nothing, so a run that fails before training leaves no folder behind."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ScratchganError(f"--out {path}: exists and is not a folder")
        if os.listdir(path) and not overwrite:
            kind = "a scratchgan run" if is_run_dir(path) else "not a scratchgan run"
            raise ScratchganError(
                f"--out {path}: folder exists, is not empty and is {kind}; "
                "use --resume to continue a run or --overwrite to reuse the folder"
            )
    parent = os.path.abspath(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ScratchganError(f"--out {path}: cannot write there ({parent} is a file)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ScratchganError(f"--out {path}: cannot write there (no permission)")


def create_out_dir(path):
    """Make the run folder and its samples/ folder, and prove it is writable."""
    try:
        os.makedirs(os.path.join(path, "samples"), exist_ok=True)
        probe = os.path.join(path, ".write-test")
        with open(probe, "w") as f:
            f.write("ok")
        os.unlink(probe)
    except OSError as e:
        raise ScratchganError(
            f"--out {path}: cannot write there ({e.strerror})"
        ) from None


# what a run and its evaluation write; a fresh run in a reused (--overwrite)
# folder deletes these first, so no old sample or score mixes with the new run's
RUN_OUTPUTS = (
    "checkpoint.npz",
    "config.json",
    "curves.png",
    "eval.json",
    "metrics.jsonl",
    "neighbours.png",
    "progress.gif",
)


def remove_run_outputs(path):
    """Delete the files a previous run left in ``path``; other files stay."""
    samples = os.path.join(path, "samples")
    old = [os.path.join(path, name) for name in RUN_OUTPUTS]
    old += [
        os.path.join(samples, name)
        for name in os.listdir(samples)
        if name.startswith("epoch_") and name.endswith(".png")
    ]
    for name in old:
        if os.path.isfile(name):
            os.unlink(name)


def default_out_dir():
    """Make and return runs/YYYYmmdd-HHMMSS (with a suffix if taken).

    The folder is made here, in one step that fails if it exists, so two runs
    started in the same second get a folder each. Remove it with
    ``remove_if_empty`` if the run fails before writing anything.
    """
    base = os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))
    path, i = base, 1
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            i += 1
            path = f"{base}-{i}"
        except OSError as e:
            raise ScratchganError(
                f"--out: cannot make the default run folder {path} ({e.strerror})"
            ) from None


def remove_if_empty(path):
    """Delete the folder ``path`` if it holds nothing (or only an empty
    samples/)."""
    try:
        os.rmdir(os.path.join(path, "samples"))
    except OSError:
        pass
    try:
        os.rmdir(path)
    except OSError:
        pass


class StopRequest:
    """Turns the first Ctrl-C into a flag the loop checks between steps, so the
    checkpoint it writes holds a consistent state; a second Ctrl-C aborts."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        sys.stderr.write(
            "\nstopping after this step to write a checkpoint "
            "(Ctrl-C again to abort without one)\n"
        )

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)


class Run:
    """One training run in ``out_dir``: fresh from ``cfg``, or resumed."""

    def __init__(self, cfg, out_dir, echo=print):
        self.cfg = cfg
        self.out_dir = out_dir
        self.echo = echo
        self.rng = np.random.default_rng(cfg.seed)
        self.G, self.D, self.opt_g, self.opt_d = build_models(cfg, self.rng)
        self.fixed_z = draw_noise(self.rng, N_FIXED, cfg.latent_dim)
        self.epoch = 0  # epochs finished
        self.batch = 0  # batches done in the current epoch
        self.step = 0  # training steps done in all
        self.perm = None  # the current epoch's shuffle order
        n_classes = len(cfg.classes) if cfg.classes else 10
        self.alarms = Alarms(n_classes)
        self.probe = None  # made in fit, which has the images

    def path(self, *parts):
        return os.path.join(self.out_dir, *parts)

    # checkpoints

    def save(self):
        meta = {
            "config": json.loads(self.cfg.to_json()),
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "rng": self.rng.bit_generator.state,
        }
        perm = self.perm if self.perm is not None else np.zeros(0, np.int64)
        checkpoint.save(
            self.path("checkpoint.npz"),
            self.G,
            self.D,
            self.opt_g,
            self.opt_d,
            self.fixed_z,
            perm,
            meta,
        )

    def restore(self, path):
        """Load a checkpoint; the config's architecture must match this run's."""
        arrays, meta = checkpoint.load(path)
        saved = meta.get("config", {})
        if not isinstance(saved, dict):
            raise CheckpointError(f"{path}: its config is not a set of fields")
        for field in ARCHITECTURE_FIELDS:
            if saved.get(field) != getattr(self.cfg, field):
                raise CheckpointError(
                    f"{path}: built with {field}={saved.get(field)!r}, "
                    f"this run has {field}={getattr(self.cfg, field)!r}"
                )

        # the run's config.json must describe the checkpoint: only the epoch
        # count and the thread count may change on resuming
        current = json.loads(self.cfg.to_json())
        differ = [
            f
            for f in sorted(set(current) | set(saved))
            if f not in ("epochs", "threads") and saved.get(f) != current.get(f)
        ]
        if differ:
            f = differ[0]
            raise CheckpointError(
                f"{path}: does not match the run's config.json in "
                f"{', '.join(differ)} ({f} is {saved.get(f)!r} in the checkpoint, "
                f"{current.get(f)!r} in config.json)"
            )
        checkpoint.restore_model(self.G, arrays, "G", path)
        checkpoint.restore_model(self.D, arrays, "D", path)
        checkpoint.restore_optimizer(self.opt_g, arrays, "opt_g", path)
        checkpoint.restore_optimizer(self.opt_d, arrays, "opt_d", path)
        checkpoint.check_finite_arrays(arrays, path)
        try:
            if arrays["fixed_z"].shape != self.fixed_z.shape:
                raise ValueError(
                    f"fixed_z has shape {arrays['fixed_z'].shape}, expected "
                    f"{self.fixed_z.shape}"
                )
            self.fixed_z[...] = arrays["fixed_z"]
            perm = arrays["perm"]
            if perm.ndim != 1 or perm.dtype.kind not in "iu":
                raise ValueError("the shuffle order is not a list of indices")
            self.perm = perm if perm.size else None
            self.epoch = int(meta["epoch"])
            self.batch = int(meta["batch"])
            self.step = int(meta["step"])
            self.rng.bit_generator.state = meta["rng"]
        except (KeyError, ValueError, TypeError) as e:
            raise CheckpointError(f"{path}: incomplete checkpoint ({e})") from None

    def check_position(self, n_images, steps):
        """Refuse to resume mid-epoch on other data than the checkpoint's.

        The checkpoint holds the epoch's shuffle order of the images it was
        trained on and how many batches of it are done; if --data or the MNIST
        cache changed since, that order no longer fits.
        """
        if self.batch == 0:
            return  # a new epoch draws a new order for whatever data there is
        path = self.path("checkpoint.npz")
        if self.perm is None or len(self.perm) != n_images:
            had = 0 if self.perm is None else len(self.perm)
            raise CheckpointError(
                f"{path}: stopped mid-epoch on {had} training images, the data "
                f"now holds {n_images}; resume with the data the run started on"
            )
        if not np.array_equal(np.sort(self.perm), np.arange(n_images)):
            raise CheckpointError(f"{path}: its shuffle order is damaged")
        if self.batch >= steps:
            raise CheckpointError(
                f"{path}: {self.batch} batches done, more than an epoch of "
                f"{steps} steps"
            )

    # outputs

    def write_config(self):
        d = json.loads(self.cfg.to_json())
        d["scratchgan_version"] = __version__
        tmp = self.path("config.json.tmp")
        with open(tmp, "w") as f:
            json.dump(d, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path("config.json"))

    def truncate_metrics(self):
        """Drop records past the checkpoint's step, so that a resumed run's file
        equals the one an uninterrupted run writes."""
        path = self.path("metrics.jsonl")
        if not os.path.exists(path):
            return
        keep = [r for r in viz.read_metrics(path) if r.get("step", 0) <= self.step]
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            for r in keep:
                f.write(json.dumps(r) + "\n")
        os.replace(tmp, path)

    def log_metrics(self, record):
        with open(self.path("metrics.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")

    def save_samples(self):
        fake = self.G.forward(self.fixed_z, training=False)
        name = f"epoch_{self.epoch:04d}.png"
        viz.save_png(viz.grid(to_uint8(fake)), self.path("samples", name))
        frames = sorted(os.listdir(self.path("samples")))
        frames = [
            self.path("samples", f)
            for f in frames
            if f.startswith("epoch_") and f.endswith(".png")
        ]
        viz.save_gif(frames, self.path("progress.gif"))
        plot_training_curves(
            viz.read_metrics(self.path("metrics.jsonl")), self.path("curves.png")
        )

    # the loop

    def fit(self, images, show_progress=True):
        """Train until cfg.epochs epochs are done, or until Ctrl-C.

        images: float32 (N, 1, 28, 28) in [-1, 1]. Returns "done" or "stopped".
        """
        cfg = self.cfg
        self.probe = Probe(self, images)
        per_step = images_per_step(cfg)
        steps = steps_per_epoch(cfg, len(images))
        with StopRequest() as stop:
            while self.epoch < cfg.epochs:
                if self.batch == 0:
                    self.perm = self.rng.permutation(len(images))
                bar = tqdm(
                    total=steps,
                    initial=self.batch,
                    desc=f"epoch {self.epoch + 1}/{cfg.epochs}",
                    disable=not show_progress,
                    leave=False,
                    dynamic_ncols=True,
                )
                start, done = time.perf_counter(), 0
                while self.batch < steps:
                    last = self.batch + 1 == steps
                    metrics = self._one_step(images, per_step, last)
                    done += 1
                    self.batch += 1
                    rate = done * cfg.batch_size / (time.perf_counter() - start)
                    bar.set_postfix_str(
                        f"d_loss {metrics['d_loss']:.3f} g_loss "
                        f"{metrics['g_loss']:.3f} D(x) {metrics['d_real']:.2f} "
                        f"D(G(z)) {metrics['d_fake']:.2f} {rate:.0f} img/s"
                    )
                    bar.update(1)
                    if stop.requested:
                        bar.close()
                        self.save()
                        return "stopped"
                bar.close()
                elapsed = time.perf_counter() - start
                self.epoch += 1
                self.batch = 0
                try:
                    check_finite(self.G, "generator")
                    check_finite(self.D, "discriminator")
                except Divergence as e:
                    raise Divergence(f"after step {self.step}: {e}") from None
                self.save_samples()
                self.save()
                self.echo(
                    f"epoch {self.epoch:4d}/{cfg.epochs}  step {self.step:6d}  "
                    f"d_loss {metrics['d_loss']:.3f}  g_loss {metrics['g_loss']:.3f}  "
                    f"D(x) {metrics['d_real']:.3f}  D(G(z)) {metrics['d_fake']:.3f}  "
                    f"{done * cfg.batch_size / elapsed:6.0f} img/s  {elapsed:6.1f} s"
                )
        return "done"

    def _one_step(self, images, per_step, last_of_epoch=False):
        cfg = self.cfg
        lo = self.batch * per_step
        idx = self.perm[lo : lo + per_step]
        reals = [
            images[idx[i : i + cfg.batch_size]]
            for i in range(0, per_step, cfg.batch_size)
        ]
        try:
            metrics = train_step(
                self.G,
                self.D,
                self.opt_g,
                self.opt_d,
                reals,
                self.rng,
                latent_dim=cfg.latent_dim,
                g_loss=cfg.g_loss,
                label_smoothing=cfg.label_smoothing,
                update=cfg.update,
            )
        except Divergence as e:
            raise Divergence(f"at step {self.step + 1}: {e}") from None
        self.step += 1
        # the epoch's last step is always logged, so even a short run has curves
        log = self.step % cfg.log_every == 0 or last_of_epoch
        evaluate = cfg.eval_every and self.step % cfg.eval_every == 0
        if not (log or evaluate):
            return metrics
        record = {"step": self.step, "epoch": self.epoch + 1}
        if log:
            record.update({k: round(v, 6) for k, v in metrics.items()})
            record.update(self.probe.log_extras())
        if evaluate:
            record.update(self.probe.evaluate())
        for alarm in self.alarms.check(record):
            self.echo(
                f"ALARM step {alarm['step']}: {alarm['alarm']}: {alarm['detail']}"
            )
            self.log_metrics(alarm)
        self.log_metrics(record)
        return metrics


def images_per_step(cfg):
    """Real images one training step takes: a batch per discriminator step."""
    return cfg.batch_size * (1 if cfg.update == "simultaneous" else cfg.d_steps)


def steps_per_epoch(cfg, n_images):
    """Training steps in one epoch over ``n_images``; ScratchganError if none."""
    per_step = images_per_step(cfg)
    if n_images < per_step:
        # --dry-run sets the batch size itself, so name it rather than a flag
        # the user never gave
        flags = "--dry-run" if cfg.dry_run else f"--batch-size {cfg.batch_size}"
        if per_step != cfg.batch_size:
            flags += f" with --d-steps {cfg.d_steps}"
        raise ScratchganError(
            f"{flags}: one step takes {per_step} images, the training data "
            f"holds {n_images}"
        )
    return n_images // per_step


def load_training_images(cfg):
    """The training images of ``cfg`` as float32 (N, 1, 28, 28) in [-1, 1]."""
    images, _ = load_mnist(
        cfg.data, split="train", subset=cfg.subset, classes=cfg.classes
    )
    return to_float(images)


def train(cfg, out_dir, resume=False, show_progress=True, echo=print):
    """Run (or resume) training in ``out_dir``; returns the Run.

    A fresh run's folder is created only once the data and the models are
    ready, so bad input leaves nothing behind. Raises ScratchganError
    subclasses for bad input and Divergence if the losses or weights stop being
    finite (the last checkpoint is left as it was).
    """
    run = Run(cfg, out_dir, echo)
    if resume:
        run.restore(run.path("checkpoint.npz"))
        if run.epoch >= cfg.epochs:
            raise ScratchganError(
                f"--resume {out_dir}: already trained {run.epoch} of "
                f"{cfg.epochs} epochs; add --epochs N with N > {run.epoch} to "
                "train it further"
            )
    images = load_training_images(cfg)
    steps = steps_per_epoch(cfg, len(images))
    if resume:
        run.check_position(len(images), steps)

    # compile (or load) the kernels before writing anything, so a first run
    # stopped while compiling leaves no half-made folder, and no step's timing
    # includes it
    seconds = warmup()
    echo(f"numba kernels ready in {seconds:.1f} s")
    if resume:
        run.truncate_metrics()
        run.alarms.replay(viz.read_metrics(run.path("metrics.jsonl")))
        echo(f"resuming {out_dir} at epoch {run.epoch + 1}, step {run.step}")
    else:
        create_out_dir(out_dir)
        remove_run_outputs(out_dir)
        open(run.path("metrics.jsonl"), "w").close()
    run.write_config()
    try:
        # a diverging run overflows on its way to NaN; the finite checks in
        # the loop report that once, so numpy's warnings would only be noise
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            status = run.fit(images, show_progress)
    except Divergence as e:
        run.log_metrics({"step": run.step, "alarm": "divergence", "detail": str(e)})
        ckpt = run.path("checkpoint.npz")
        if os.path.exists(ckpt):
            kept = f"the last good checkpoint is {ckpt}"
        else:
            kept = "no checkpoint had been written yet"
        raise Divergence(f"training diverged {e}; {kept}") from None
    run.status = status
    return run
