"""Step 1 — the tf.data pipeline: arrays → per-epoch index batches → gather → prefetch.

The loading code is shared word for word with the PyTorch project. Feature maps move to
TensorFlow's channels-last layout once, here: TF's CPU convolutions only run channels-last.
"""

import gzip
import struct
import urllib.request
from pathlib import Path

import numpy as np
import tensorflow as tf

DEFAULT_DATA = "data/mnist"
VALIDATION_SPLIT = 0.1
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
}


def read_idx(path: Path) -> np.ndarray:
    """Read one gzipped IDX file (the MNIST format) into a numpy array."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def download_mnist(folder: Path) -> None:
    """Fetch the MNIST files that are missing from `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES.values():
        if not (folder / name).exists():
            print(f"downloading {name} ...")
            urllib.request.urlretrieve(MNIST_URL + name, folder / name)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """MNIST images scaled to [-1, 1] as (N, 1, 28, 28) float32 and int64 labels."""
    folder = Path(path)
    if not all((folder / name).exists() for name in MNIST_FILES.values()):
        download_mnist(folder)
    images = read_idx(folder / MNIST_FILES["train_images"])
    labels = read_idx(folder / MNIST_FILES["train_labels"])
    x = ((images.astype(np.float32) / 255.0 - 0.5) / 0.5).reshape(-1, 1, 28, 28)
    y = labels.astype(np.int64)
    return split(x, y, seed)


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
