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
        64,
        64,
    )
    prototypes = rng.standard_normal((10, *shape))
    y = rng.integers(0, 10, size=512).astype(np.int64)
    x = prototypes[y] + 1.0 * rng.standard_normal((512, *shape))
    return split(x.astype(np.float32), y, seed)


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.1 held out)."""
    order = np.random.default_rng(seed + 1).permutation(count)
    held_out = int(count * VALIDATION_SPLIT)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val."""
    train_idx, val_idx = split_indices(len(x), seed)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def make_datasets(
    path: str, batch_size: int, seed: int
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """Training batches, reshuffled every epoch, and validation batches (None
    without a validation split)."""
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
