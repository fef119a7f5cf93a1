"""MNIST for scratchgan: loading, pixel scaling and minibatches.

    images, labels = load_mnist()            # uint8 (N, 28, 28), uint8 (N,)
    x = to_float(images)                     # float32 (N, 1, 28, 28) in [-1, 1]
    for idx in iterate_minibatches(len(x), 64, rng):
        ...                                  # x[idx]: (64, 1, 28, 28)

See `mnist.py` for where the data comes from, in order.
"""

from scratchgan.data.batches import iterate_minibatches
from scratchgan.data.mnist import cache_dir, load_mnist
from scratchgan.data.pixels import to_float, to_uint8

__all__ = ["cache_dir", "iterate_minibatches", "load_mnist", "to_float", "to_uint8"]
