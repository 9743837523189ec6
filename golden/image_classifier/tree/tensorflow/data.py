"""Step 1 — the tf.data pipeline: arrays → per-epoch index batches → gather → prefetch.

The loading code is shared word for word with the PyTorch project. Feature maps move to
TensorFlow's channels-last layout once, here: TF's CPU convolutions only run channels-last.
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


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the training samples in one epoch."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, ...) → (N, ..., C) for feature maps; other inputs are unchanged."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def make_datasets(
    path: str,
    batch_size: int,
    seed: int,
    epochs: int,
    max_steps: int | None = None,
    first_epoch: int = 0,
) -> tuple[tf.data.Dataset, int, tf.data.Dataset | None, int]:
    """The training batches of the epochs from `first_epoch` on (0-based; later when resuming)
    in one pipeline, so no per-epoch set-up cost, and the batches per epoch; the validation
    batches (None without a split) and their count."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    steps = -(-len(x_train) // batch_size)
    if max_steps is not None:
        steps = min(steps, max_steps)
    orders = np.stack(
        [
            epoch_order(len(x_train), seed, epoch)[: steps * batch_size]
            for epoch in range(first_epoch, epochs)
        ]
    )
    x, y = tf.constant(to_channels_last(x_train)), tf.constant(y_train)
    train = (
        tf.data.Dataset.from_tensor_slices(orders)
        .flat_map(
            lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        )
        .map(
            lambda idx: (tf.gather(x, idx), tf.gather(y, idx)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .prefetch(tf.data.AUTOTUNE)
    )
    if len(x_val) == 0:
        return train, steps, None, 0
    val_steps = -(-len(x_val) // batch_size)
    if max_steps is not None:
        val_steps = min(val_steps, max_steps)
    val = tf.data.Dataset.from_tensor_slices((to_channels_last(x_val), y_val)).batch(
        batch_size
    )
    return train, steps, val.cache().prefetch(tf.data.AUTOTUNE), val_steps
