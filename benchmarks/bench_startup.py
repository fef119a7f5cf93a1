"""Start-up time (Numba cache cold and warm) and memory per training step.

Each measurement runs in a fresh Python process, timed from just before the
process is launched to the end of its first training step of the tf-tutorial
model. "cold" points NUMBA_CACHE_DIR at an empty folder, so every kernel is
compiled; "warm" runs again on that same folder. Numba loads (or compiles) each
kernel at its first call, so that time falls inside the first step; the time of
the third step is printed next to it for comparison. The child then runs more steps
(``--steps``, 30 unless told) and reports its peak resident memory (ru_maxrss) and,
on Linux, its current resident memory after steps 1, 10, 30, 100, 300 and the last:
a per-step leak shows as current memory that keeps growing.

    python -m benchmarks.bench_startup --threads 2 --json startup.json
    python -m benchmarks.bench_startup --warm-runs 1 --steps 300
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks.common import batch_size, check_threads, machine_info, output_file
from scratchgan.cli import ArgumentParser, parsed, positive_int

CHILD = r"""
import os, resource, sys, time
t_import = time.perf_counter()
import numpy as np
from scratchgan.kernels.threads import set_num_threads
threads, batch, steps = (int(a) for a in sys.argv[1:4])
set_num_threads(threads)
from scratchgan.loop import train_step
from scratchgan.models.dcgan import build_discriminator, build_generator
from scratchgan.optimizers import Adam
rng = np.random.default_rng(0)
G = build_generator(width=1.0, negative_slope=0.3, init_scheme="glorot",
                    bn_momentum=0.01, bn_eps=1e-3, rng=rng)
D = build_discriminator(width=1.0, negative_slope=0.3, rng=rng)
opt_g = Adam(G.params, G.grads, lr=1e-4)
opt_d = Adam(D.params, D.grads, lr=1e-4)
real = rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)
ready = time.perf_counter()
ready_wall = time.time()
train_step(G, D, opt_g, opt_d, [real], rng)
first = time.time()
def current_mb():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux
        return None
rss, current = {}, {}
for step in range(1, steps + 1):
    if step > 1:
        t = time.perf_counter()
        train_step(G, D, opt_g, opt_d, [real], rng)
        if step == 3:
            third = time.perf_counter() - t
    if step in (1, 10, 30, 100, 300, steps):
        rss[step] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        current[step] = current_mb()
print(repr({"first_step_end": first, "first_step_start": ready_wall,
            "setup_s": ready - t_import, "third_step_s": third, "rss_mb": rss,
            "current_rss_mb": current}))
"""


def run_child(cache_dir, threads, batch, steps):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads), str(batch), str(steps)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        # the child's own last line says why; the script itself is noise
        lines = out.stderr.strip().splitlines() or ["no message"]
        sys.exit(
            f"bench_startup: error: a measuring process failed "
            f"(exit status {out.returncode}): {lines[-1]}"
        )
    result = eval(out.stdout.strip().splitlines()[-1])  # our own repr of a dict
    result["launch_to_first_step_start_s"] = result.pop("first_step_start") - start
    result["launch_to_first_step_end_s"] = result.pop("first_step_end") - start
    return result


def at_least_3(text):
    # the child times its third step
    return parsed(text, int, lambda v: v >= 3, "at least 3")


def main(argv=None):
    parser = ArgumentParser(prog="bench_startup", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--batch", type=batch_size, default=128)
    # the warm figure is what a user waits for on every launch, so at least one
    parser.add_argument("--warm-runs", type=positive_int, default=3)
    parser.add_argument(
        "--steps", type=at_least_3, default=30, help="training steps per run"
    )
    parser.add_argument(
        "--json", type=output_file(), help="write results to this JSON file"
    )
    args = parser.parse_args(argv)
    check_threads(parser, [args.threads])

    with tempfile.TemporaryDirectory() as cache_dir:
        cold = run_child(cache_dir, args.threads, args.batch, args.steps)
        warm = [
            run_child(cache_dir, args.threads, args.batch, args.steps)
            for _ in range(args.warm_runs)
        ]
    print(f"batch {args.batch}, {args.threads} threads")
    runs = [("cold", cold)] + [(f"warm{i + 1}", w) for i, w in enumerate(warm)]
    print("seconds from launch to the start / end of the first training step")
    for name, r in runs:
        print(
            f"{name}: {r['launch_to_first_step_start_s']:.2f} / "
            f"{r['launch_to_first_step_end_s']:.2f} (a later step: "
            f"{r['third_step_s']:.2f})"
        )
    steps = sorted(cold["rss_mb"])
    print(f"peak RSS, current RSS in brackets (MB), after step {steps}")
    for name, r in runs:
        cells = [
            f"{r['rss_mb'][s]:.0f}"
            + (f" [{r['current_rss_mb'][s]:.0f}]" if r["current_rss_mb"][s] else "")
            for s in steps
        ]
        print(f"{name}: " + "  ".join(cells))
    if args.json:
        # everything is gathered before the file is opened (and so emptied)
        out = {
            "benchmark": "startup",
            "batch": args.batch,
            "threads": args.threads,
            "steps": args.steps,
            "machine": machine_info(),
            "cold": cold,
            "warm": warm,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
