"""Step 1 — the tf.data pipeline: arrays → per-epoch index batches → gather → prefetch.

The loading code is shared word for word with the PyTorch project."""

import collections
import csv

import numpy as np
import tensorflow as tf

DEFAULT_DATA = "data/reviews.csv"
VALIDATION_SPLIT = 0.2
PAD, UNKNOWN = 0, 1


def tokenize(text: str) -> list[str]:
    """Lower-case whitespace tokens."""
    return text.lower().split()


def build_vocabulary(texts: list[str], size: int) -> dict[str, int]:
    """The `size - 2` most frequent tokens (ties alphabetical); 0 pads, 1 is unknown."""
    counts = collections.Counter(token for text in texts for token in tokenize(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: size - 2]
    return {token: index + 2 for index, (token, _) in enumerate(ranked)}


def encode(texts: list[str], vocabulary: dict[str, int], length: int) -> np.ndarray:
    """Token ids, truncated or padded with 0 to `length`."""
    ids = np.full((len(texts), length), PAD, dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = [vocabulary.get(token, UNKNOWN) for token in tokenize(text)][:length]
        ids[row, : len(tokens)] = tokens
    return ids


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """Texts and labels from a CSV file; the vocabulary comes from the training split only."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    labels = np.array([float(row["label"]) for row in rows], dtype=np.float32).reshape(
        -1, 1
    )
    train_idx, val_idx = split_indices(len(texts), seed)
    vocabulary = build_vocabulary([texts[i] for i in train_idx], 10000)
    x = encode(texts, vocabulary, 40)
    return x[train_idx], labels[train_idx], x[val_idx], labels[val_idx]


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.2 held out)."""
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
    return x


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
