"""Step 1 — data: load the arrays and batch them with a `DataLoader`."""

import gzip
import struct
import urllib.request
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

DEFAULT_DATA = "data/mnist"
VALIDATION_SPLIT = 0.1
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {  # images and labels of each part
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
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
    for name in (name for names in MNIST_FILES.values() for name in names):
        if not (folder / name).exists():
            print(f"downloading {name} ...")
            try:
                urllib.request.urlretrieve(MNIST_URL + name, folder / name)
            except OSError as error:  # offline, or the server is down
                raise SystemExit(f"cannot download {name} ({error}); see --data")


def read_mnist(path: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's "train" or "test" files: (N, 1, 28, 28) float32 images in [-1, 1], int64 labels."""
    folder = Path(path)
    if not all((folder / name).exists() for name in MNIST_FILES[part]):
        download_mnist(folder)
    try:
        images, labels = (read_idx(folder / name) for name in MNIST_FILES[part])
    except (OSError, EOFError, ValueError) as error:  # a truncated or damaged file
        raise SystemExit(f"{folder}: {error} (a damaged file: delete it)")
    x = ((images.astype(np.float32) / 255.0 - 0.5) / 0.5).reshape(-1, 1, 28, 28)
    return x, labels.astype(np.int64)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """The training files, split into x_train, y_train, x_val, y_val."""
    return split(*read_mnist(path, "train"), seed)


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.1 held out)."""
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
    """Training batches, reshuffled every epoch, and validation batches (None without a validation split)."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    if len(x_val) == 0:
        return train_loader, None
    val_set = TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
    return train_loader, DataLoader(val_set, batch_size=batch_size)


def make_test_loader(path: str, batch_size: int) -> DataLoader:
    """Batches of the test split."""
    x_test, y_test = read_mnist(path, "test")  # the t10k files
    test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    return DataLoader(test_set, batch_size=batch_size)
