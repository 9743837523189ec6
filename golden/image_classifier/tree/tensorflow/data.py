"""Step 1 — the tf.data pipeline: arrays → Dataset → shuffle → batch → prefetch.

The loading code is shared word for word with the PyTorch project, so both frameworks
train on identical numbers. Feature maps are moved to TensorFlow's channels-last layout once,
here, because TF's CPU convolutions only run channels-last.
"""

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


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, ...) → (N, ..., C) for feature maps; other inputs are unchanged."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def make_datasets(
    path: str, batch_size: int, seed: int
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """Training and validation datasets (the validation one is None without a split)."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    train = tf.data.Dataset.from_tensor_slices((to_channels_last(x_train), y_train))
    train = train.shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
    train = train.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    if len(x_val) == 0:
        return train, None
    val = tf.data.Dataset.from_tensor_slices((to_channels_last(x_val), y_val))
    return train, val.batch(batch_size).prefetch(tf.data.AUTOTUNE)
