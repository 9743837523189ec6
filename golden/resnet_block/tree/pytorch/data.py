"""Step 1 — data: load the arrays and batch them with a `DataLoader`."""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

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


def make_loaders(
    path: str, batch_size: int, seed: int
) -> tuple[DataLoader, DataLoader | None]:
    """Training batches, reshuffled every epoch; validation batches or None."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    if len(x_val) == 0:
        return train_loader, None
    val_set = TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
    return train_loader, DataLoader(val_set, batch_size=batch_size)
