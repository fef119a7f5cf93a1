"""Share the tiny on-disk MNIST of the training CLI tests."""

from tests.train.conftest import tiny_mnist  # noqa: F401
