"""scratchgan: a DCGAN on MNIST with every layer's backward pass written by hand."""

__version__ = "0.1.0"
