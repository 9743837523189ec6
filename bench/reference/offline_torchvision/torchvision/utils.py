"""utils.save_image: a batch (B, C, H, W) in [0, 1] as one PNG grid (8 per row, 2-pixel
padding), written with matplotlib."""

import math

import numpy as np


def save_image(tensor, fp, nrow=8, padding=2, **unused):
    import matplotlib.image

    images = tensor.detach().cpu().numpy()
    if images.ndim == 3:
        images = images[None]
    count, channels, height, width = images.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    grid = np.zeros(
        (channels, rows * (height + padding) + padding, columns * (width + padding) + padding)
    )
    for i, image in enumerate(images):
        top = (i // columns) * (height + padding) + padding
        left = (i % columns) * (width + padding) + padding
        grid[:, top : top + height, left : left + width] = image
    picture = np.clip(grid, 0, 1).transpose(1, 2, 0)
    matplotlib.image.imsave(fp, picture[..., 0] if channels == 1 else picture, cmap="gray")
