"""Step 1 — data: load the arrays, wrap them in a Dataset and batch them with a DataLoader.

The loading code is shared word for word with the TensorFlow project, so both frameworks
train on identical numbers.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

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


def make_loaders(
    path: str, batch_size: int, seed: int
) -> tuple[DataLoader, DataLoader | None]:
    """Training and validation DataLoaders (the validation one is None without a split)."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(
        TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)),
        batch_size=batch_size,
        shuffle=False,
        generator=generator,
    )
    if len(x_val) == 0:
        return train, None
    val = DataLoader(
        TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val)),
        batch_size=batch_size,
    )
    return train, val
