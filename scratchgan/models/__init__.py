"""Model builders: the MNIST DCGAN generator and discriminator."""

from .dcgan import IMAGE_SHAPE, build_discriminator, build_generator

__all__ = ["IMAGE_SHAPE", "build_discriminator", "build_generator"]
