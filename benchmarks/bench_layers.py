"""Per-layer timings of every convolution in the DCGAN: scratchgan vs PyTorch.

For each Conv2D / Conv2DTranspose of the generator and discriminator of a model
preset, times three operations: the forward pass, the gradient w.r.t. the input
(dx) and the gradient w.r.t. the weights (dW). Contenders:

- scratchgan: the layer itself (forward; backward with ``frozen`` for dx only,
  with ``input_grad=False`` for dW only), on x and dout laid out in memory as a
  training step hands them to it (``training_orders``);
- reference: ``scratchgan.kernels.reference`` (plain NumPy; fewer repeats);
- torch: the layer of ``benchmarks/frameworks/torch_dcgan.py`` on NCHW arrays,
  its own layout (backward timed alone, on a graph built before the clock
  starts).

Achieved GFLOP/s count 2 * N * OH * OW * C_out * C_in * K * K per operation (the
dense im2col count, padding taps included, so a method that skips the padding
can exceed the machine's SGEMM rate) and are set against a large SGEMM timed in
the same run.

    python -m benchmarks.bench_layers --threads 1 2 --json layers.json
"""

import json
import time

import numpy as np

from benchmarks.bench_train_step import MODELS
from benchmarks.common import (
    check_threads,
    machine_info,
    optional_torch,
    output_file,
    set_threads,
    summarize,
)
from scratchgan.cli import ArgumentParser, positive_int
from scratchgan.kernels import reference as ref
from scratchgan.kernels.threads import matmul
from scratchgan.layers import Conv2D, Conv2DTranspose
from scratchgan.models.dcgan import build_discriminator, build_generator

BATCH = {"tf-tutorial": 128, "default": 64}


def time_fn(fn, repeats, warmup=1):
    """Seconds per call of fn(), each call timed alone, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def sgemm_gflops(n=2048, repeats=5):
    """GFLOP/s of an n x n x n float32 matrix product on the current threads.

    scratchgan keeps BLAS itself on one thread and splits products between its
    own threads (``scratchgan.kernels.threads.matmul``); this is that product.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    times = time_fn(lambda: matmul(a, b), repeats)
    return 2 * n**3 / np.median(times) / 1e9


def build_nets(model_name):
    """The preset's generator and discriminator, from seed 0."""
    preset = MODELS[model_name]
    rng = np.random.default_rng(0)
    G = build_generator(rng=rng, **preset["generator"])
    D = build_discriminator(rng=rng, **preset["discriminator"])
    return G, D


def convolutions(G, D):
    """(name, layer, input shape) for every conv layer of G and D."""
    found = []
    for net, model, shape in (("G", G, (100,)), ("D", D, (1, 28, 28))):
        for name, layer in zip(model.names, model.layers):
            if isinstance(layer, (Conv2D, Conv2DTranspose)):
                found.append((f"{net}.{name}", layer, shape))
            shape = layer.output_shape(shape)
    return found


def conv_layers(model_name):
    """(name, layer, input shape) for every conv layer of the preset's G and D."""
    return convolutions(*build_nets(model_name))


def storage_order(a):
    """The axes of ``a`` from the slowest-varying in memory to the fastest."""
    return tuple(int(i) for i in np.argsort(-np.array(a.strides), kind="stable"))


def stored_as(a, order):
    """A copy of ``a`` with the same values, laid out in memory in ``order``."""
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


def training_orders(model_name):
    """{layer name: (storage order of x, of dout)} as a training step hands them.

    Between layers scratchgan keeps feature maps channels-last, or in the tap
    kernels' (H, W, N, C) order; timing a layer on NCHW input would add a copy
    that training never makes. One forward and backward pass of G and D (D fed
    G's images, as in G's step) records what each conv layer receives.
    """
    G, D = build_nets(model_name)
    N = BATCH[model_name]
    orders = {}
    for name, layer, _ in convolutions(G, D):

        def forward(x, training=True, name=name, f=layer.forward):
            orders[name] = (storage_order(x),)
            return f(x, training)

        def backward(dout, name=name, b=layer.backward):
            orders[name] += (storage_order(dout),)
            return b(dout)

        layer.forward, layer.backward = forward, backward

    z = np.random.default_rng(0).standard_normal((N, 100), dtype=np.float32)
    fake = G.forward(z)
    p = D.forward(fake)
    G.backward(D.backward(np.ones_like(p)), input_grad=False)
    return orders


def geometry(layer, in_shape):
    """(out_shape, pt, pl, conv_weight_is_transposed, dense FLOPs per image)."""
    C, H, W = in_shape
    H_out, W_out, pt, pl = layer.geometry(H, W)
    K = layer.kernel_size
    if isinstance(layer, Conv2D):
        flops = 2 * H_out * W_out * layer.out_channels * C * K * K
    else:
        # the adjoint convolution maps the output back to the input
        flops = 2 * H * W * C * layer.out_channels * K * K
    return (layer.out_channels, H_out, W_out), pt, pl, flops


def scratchgan_ops(layer, x, dout):
    """Callables for forward, dx only and dW only."""

    def forward():
        layer.forward(x)

    def dx():
        layer.frozen = True
        layer.backward(dout)
        layer.frozen = False

    def dW():
        layer.input_grad = False
        layer.backward(dout)
        layer.input_grad = True

    layer.forward(x)
    return {"forward": forward, "dx": dx, "dW": dW}


def reference_ops(layer, x, dout, pt, pl):
    """The NumPy reference for each operation."""
    Wt = layer.params["W"]
    K, S = layer.kernel_size, layer.stride
    H, W = x.shape[2:]
    OH, OW = dout.shape[2:]
    if isinstance(layer, Conv2D):
        return {
            "forward": lambda: ref.conv2d_forward_ref(x, Wt, S, pt, pl, OH, OW),
            "dx": lambda: ref.conv2d_backward_input_ref(dout, Wt, H, W, S, pt, pl),
            "dW": lambda: ref.conv2d_backward_weight_ref(dout, x, K, S, pt, pl),
        }
    # a transposed conv is the adjoint conv run backwards: swap the roles
    return {
        "forward": lambda: ref.conv2d_backward_input_ref(x, Wt, OH, OW, S, pt, pl),
        "dx": lambda: ref.conv2d_forward_ref(dout, Wt, S, pt, pl, H, W),
        "dW": lambda: ref.conv2d_backward_weight_ref(x, dout, K, S, pt, pl),
    }


def torch_ops(layer, x, dout):
    """The matching torch module's forward, and its backward for dx or dW."""
    import torch

    from benchmarks.frameworks import torch_dcgan as T

    K, S = layer.kernel_size, layer.stride
    bias = "b" in layer.params
    if isinstance(layer, Conv2D):
        m = T.SameConv2d(layer.in_channels, layer.out_channels, K, S, bias=bias)
    else:
        m = T.SameConvTranspose2d(layer.in_channels, layer.out_channels, K, S, bias)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(layer.params["W"]))
    xt = torch.from_numpy(x)
    dt = torch.from_numpy(dout)

    def forward():
        with torch.no_grad():
            m(xt)

    def backward_of(wrt):
        # build the graph outside the timed call; time the backward alone
        xg = xt.clone().requires_grad_(wrt == "dx")
        m.weight.requires_grad_(wrt == "dW")
        y = m(xg)
        target = xg if wrt == "dx" else m.weight
        return lambda: torch.autograd.grad(y, target, dt, retain_graph=True)

    return {"forward": forward, "dx": backward_of("dx"), "dW": backward_of("dW")}


def main(argv=None):
    parser = ArgumentParser(prog="bench_layers", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["default", "tf-tutorial"], choices=MODELS
    )
    parser.add_argument("--threads", type=positive_int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=positive_int, default=20)
    parser.add_argument("--ref-repeats", type=positive_int, default=3)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--json", type=output_file(), help="write results to this JSON file"
    )
    args = parser.parse_args(argv)
    check_threads(parser, args.threads)
    torch = None if args.no_torch else optional_torch()

    rows = []
    sgemm = {}
    orders = {}
    for threads in args.threads:
        set_threads(threads)  # holds until the next call changes it
        sgemm[threads] = sgemm_gflops()
        print(
            f"\n{threads} thread(s): SGEMM 2048^3 reaches {sgemm[threads]:.0f} "
            "GFLOP/s; ms per call (median), GFLOP/s, torch ratio"
        )
        print(
            f"{'model':<11} {'layer':<8} {'op':<7} {'scratchgan':>10} "
            f"{'GF/s':>5} {'reference':>9} {'torch':>8} {'GF/s':>5} {'ratio':>5}"
        )
        for model_name in args.models:
            N = BATCH[model_name]
            rng = np.random.default_rng(0)
            layers = conv_layers(model_name)
            if model_name not in orders:
                orders[model_name] = training_orders(model_name)
            for name, layer, in_shape in layers:
                out_shape, pt, pl, flops = geometry(layer, in_shape)
                x = rng.standard_normal((N,) + tuple(in_shape), dtype=np.float32)
                dout = rng.standard_normal((N,) + out_shape, dtype=np.float32)
                gflop = N * flops / 1e9
                x_order, dout_order = orders[model_name][name]
                ops = {
                    "scratchgan": scratchgan_ops(
                        layer, stored_as(x, x_order), stored_as(dout, dout_order)
                    )
                }
                if not args.no_reference:
                    ops["reference"] = reference_ops(layer, x, dout, pt, pl)
                if torch is not None:
                    ops["torch"] = torch_ops(layer, x, dout)
                for op in ("forward", "dx", "dW"):
                    row = {
                        "model": model_name,
                        "layer": name,
                        "op": op,
                        "threads": threads,
                        "batch": N,
                        "gflop": gflop,
                        "input": [N, *in_shape],
                        "output": [N, *out_shape],
                        "x_storage_order": list(x_order),
                        "dout_storage_order": list(dout_order),
                    }
                    # alternate the contenders call by call
                    for who in ops:
                        reps = args.ref_repeats if who == "reference" else args.repeats
                        row[who] = summarize(time_fn(ops[who][op], reps))
                        row[f"{who}_ms"] = row[who]["median_ms"]
                        row[f"{who}_gflops"] = gflop / row[who]["median_ms"] * 1e3
                    row["ratio"] = (
                        row["scratchgan_ms"] / row["torch_ms"]
                        if "torch" in row
                        else None
                    )
                    rows.append(row)
                    print(
                        f"{model_name:<11} {name:<8} {op:<7} "
                        f"{row['scratchgan_ms']:10.2f} {row['scratchgan_gflops']:5.0f} "
                        f"{row.get('reference_ms', float('nan')):9.1f} "
                        f"{row.get('torch_ms', float('nan')):8.2f} "
                        f"{row.get('torch_gflops', float('nan')):5.0f} "
                        f"{row['ratio'] if row['ratio'] else float('nan'):5.2f}",
                        flush=True,
                    )

    if args.json:
        # everything is gathered before the file is opened (and so emptied)
        out = {
            "benchmark": "layers",
            "machine": machine_info(),
            "sgemm_gflops": sgemm,
            "results": rows,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
