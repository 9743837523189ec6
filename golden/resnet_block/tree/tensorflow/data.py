"""Step 1 — the tf.data pipeline: shuffle, batch, prefetch.
Images move to Keras's channels-last layout (N, H, W, C) once, here: the layout Keras's
layers default to and TensorFlow's CPU kernels are written for."""

import numpy as np
import tensorflow as tf

DEFAULT_DATA = ""
VALIDATION_SPLIT = 0.1


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """Gaussian samples around one random prototype per class, made here (no file needed)."""
    rng = np.random.default_rng(seed)
    shape = (
        3,
        32,
        32,
    )
    prototypes = rng.standard_normal((10, *shape))
    y = rng.integers(0, 10, size=256).astype(np.int64)
    x = prototypes[y] + 1.0 * rng.standard_normal((256, *shape))
    return split(x.astype(np.float32), y, seed)


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val: a seeded split, 0.1 held out."""
    order = np.random.default_rng(seed + 1).permutation(len(x))
    held_out = int(len(x) * VALIDATION_SPLIT)
    train_idx, val_idx = np.sort(order[held_out:]), np.sort(order[:held_out])
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def make_datasets(
    path: str, batch_size: int, seed: int
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """Training batches, reshuffled every epoch; validation batches or None."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    # channels last
    x_train, x_val = np.moveaxis(x_train, 1, -1), np.moveaxis(x_val, 1, -1)
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train = train.shuffle(len(x_train), seed=seed)
    train = train.batch(batch_size)
    train = train.prefetch(tf.data.AUTOTUNE)
    if len(x_val) == 0:
        return train, None
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size)
    return train, val.prefetch(tf.data.AUTOTUNE)
