"""Convert between stored uint8 pixels and the [-1, 1] floats the networks use.

The generator ends in tanh, so real images are scaled to the same range:
0 -> -1.0 and 255 -> 1.0, i.e. x / 127.5 - 1.
"""

import numpy as np

SCALE = 127.5


def to_float(images):
    """Scale uint8 digits to float32 in [-1, 1] and add the channel axis.

    images: (N, 28, 28) or (N, 1, 28, 28) uint8 -> out: (N, 1, 28, 28) float32
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"to_float expects uint8 images, got {images.dtype}")
    if images.ndim == 3:
        images = images[:, None]  # (N, 1, H, W)
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(
            f"to_float expects (N, H, W) or (N, 1, H, W), got {images.shape}"
        )

    # 255 / 127.5 is exactly 2 in float32, so the ends land on -1 and 1 exactly
    return images.astype(np.float32) / np.float32(SCALE) - np.float32(1.0)


def to_uint8(x):
    """Turn generator output in [-1, 1] back into uint8 pixels.

    x: (N, 1, H, W) or (N, H, W) float -> out: (N, H, W) uint8

    Values are clipped to [-1, 1] first, so -1.5 gives 0 and 1.5 gives 255; a
    negative never wraps round to a bright pixel. NaN (a diverged generator) gives
    0, since a cast of NaN to uint8 is undefined.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"to_uint8 expects one channel, got shape {x.shape}")
        x = x[:, 0]  # (N, H, W)
    if x.ndim != 3:
        raise ValueError(f"to_uint8 expects (N, 1, H, W) or (N, H, W), got {x.shape}")

    # clip before scaling; rint then gives exact integers 0..255
    x = np.clip(np.nan_to_num(x, nan=-1.0), -1.0, 1.0)
    return np.rint((x + 1.0) * SCALE).astype(np.uint8)
