"""Checkpoints: one .npz holding everything a run needs to continue exactly.

Keys, all plain arrays (loaded with allow_pickle=False):

- ``G/<name>``, ``D/<name>``: parameters ("G/convt1.W") and non-parameter state
  such as BatchNorm running statistics ("G/bn1.running_mean");
- ``opt_g/<key>``, ``opt_d/<key>``: optimizer state (Adam's m, v and t);
- ``fixed_z``: the latent batch the sample grids are drawn from;
- ``perm``: the current epoch's shuffle order;
- ``meta``: a JSON string with the config, epoch, step, batch position and the
  random generator's state.

Writes go to a temporary file in the same folder, are flushed to disk, then
renamed over the old checkpoint: a crash leaves the old one or the new one, never
a torn file.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from .errors import CheckpointError

FORMAT = "scratchgan-checkpoint-1"


def save(path, G, D, opt_g, opt_d, fixed_z, perm, meta):
    """Write a checkpoint to ``path`` atomically. meta: a JSON-able dict."""
    arrays = {}
    for prefix, model in (("G", G), ("D", D)):
        for name, p in model.params.items():
            arrays[f"{prefix}/{name}"] = p
        for name, s in model.state().items():
            arrays[f"{prefix}/{name}"] = s
    for prefix, opt in (("opt_g", opt_g), ("opt_d", opt_d)):
        for key, value in opt.state_dict().items():
            arrays[f"{prefix}/{key}"] = value
    arrays["fixed_z"] = fixed_z
    arrays["perm"] = perm
    arrays["meta"] = np.array(json.dumps(dict(meta, format=FORMAT)))

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".npz", dir=folder)
    try:
        # mkstemp makes the file private (0600); give it the mode any other
        # file the user writes gets, as the run's other outputs have
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask():
    # reading the umask means setting it; set it straight back
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_ZIP_START = b"PK\x03\x04"
COUNTERS = ("epoch", "batch", "step")


def load(path):
    """Read a checkpoint into (arrays, meta); CheckpointError if it is unusable."""
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: not a regular file, so not a checkpoint")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read ({e.strerror})") from None
    if head != _ZIP_START:
        # np.load would try to unpickle it and suggest allow_pickle=True
        raise CheckpointError(
            f"{path}: not a scratchgan checkpoint (not an npz archive)"
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
    except ValueError as e:
        if "pickle" in str(e):
            raise CheckpointError(
                f"{path}: not a scratchgan checkpoint: holds pickled objects, "
                "which are never loaded"
            ) from None
        msg = f"{path}: not a readable scratchgan checkpoint ({_one_line(e)})"
        raise CheckpointError(msg) from None
    except (OSError, KeyError, zipfile.BadZipFile, EOFError) as e:
        msg = f"{path}: not a readable scratchgan checkpoint ({_one_line(e)})"
        raise CheckpointError(msg) from None
    except MemoryError:
        # an array header may claim any size; a damaged one claims terabytes
        raise CheckpointError(
            f"{path}: an array in it claims more memory than this machine has; "
            "the file is damaged"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a scratchgan checkpoint")
    for key in COUNTERS:
        value = meta.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CheckpointError(
                f"{path}: meta {key} is {value!r}, expected a non-negative integer"
            )
    return arrays, meta


def _one_line(err):
    return " ".join(str(err).split())


def check_finite_arrays(arrays, path):
    """Raise CheckpointError naming the first float array holding NaN or Inf.

    ``arrays``: a mapping of names to arrays, as from ``load``."""
    for name, value in arrays.items():
        value = np.asarray(value)
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            raise CheckpointError(
                f"{path}: {name} holds NaN or infinite values; the weights are "
                "unusable (the run diverged or the file was damaged)"
            )


def restore_model(model, arrays, prefix, path):
    """Copy ``prefix/<name>`` arrays into ``model``; every shape must match."""
    wanted = dict(model.params)
    wanted.update(model.state())
    have = {k[len(prefix) + 1 :] for k in arrays if k.startswith(prefix + "/")}
    if set(wanted) != have:
        raise CheckpointError(
            f"{path}: its {prefix} has other layers than this architecture"
        )
    for name, target in wanted.items():
        source = arrays[f"{prefix}/{name}"]
        if source.shape != target.shape:
            raise CheckpointError(
                f"{path}: {prefix} {name} has shape {source.shape}, this "
                f"architecture needs {target.shape}"
            )
        if source.dtype.kind not in "fiu":
            raise CheckpointError(
                f"{path}: {prefix} {name} holds {source.dtype} values, not numbers"
            )
        target[...] = source


def restore_optimizer(opt, arrays, prefix, path):
    state = {
        k[len(prefix) + 1 :]: v for k, v in arrays.items() if k.startswith(prefix + "/")
    }
    for key, value in state.items():
        if value.dtype.kind not in "fiu":
            raise CheckpointError(
                f"{path}: optimizer state {prefix}/{key} holds {value.dtype} "
                "values, not numbers"
            )
    try:
        opt.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as e:
        msg = f"{path}: optimizer state {prefix} does not fit ({e})"
        raise CheckpointError(msg) from None
