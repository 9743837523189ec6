"""Step 1 — the tf.data pipeline: arrays → Dataset → shuffle → batch → prefetch.

The loading code is shared word for word with the PyTorch project, so both frameworks
train on identical numbers.
"""

import numpy as np
import tensorflow as tf

DEFAULT_DATA = ""
VALIDATION_SPLIT = 0.0


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """y = 2.0 * sum(x) + 1.0 + 0.1 * noise, made here (no file needed)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((100, 1)).astype(np.float32)
    noise = rng.standard_normal((100, 1))
    total = x.reshape(len(x), -1).sum(axis=1, keepdims=True)
    y = (2.0 * total + 1.0 + 0.1 * noise).astype(np.float32)
    return split(x, y, seed)


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.0 held out)."""
    order = np.random.default_rng(seed + 1).permutation(count)
    held_out = int(count * VALIDATION_SPLIT)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val."""
    train_idx, val_idx = split_indices(len(x), seed)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, ...) → (N, ..., C) for feature maps; other inputs are unchanged."""
    return x


def make_datasets(
    path: str, batch_size: int, seed: int
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """Training and validation datasets (the validation one is None without a split)."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    train = tf.data.Dataset.from_tensor_slices((to_channels_last(x_train), y_train))
    train = train.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    if len(x_val) == 0:
        return train, None
    val = tf.data.Dataset.from_tensor_slices((to_channels_last(x_val), y_val))
    return train, val.batch(batch_size).prefetch(tf.data.AUTOTUNE)
