"""Step 1 — data: load the arrays (train.py trains on all of them as one batch)."""

import numpy as np

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


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val: no validation split, every sample trains."""
    return x, y, x[:0], y[:0]
