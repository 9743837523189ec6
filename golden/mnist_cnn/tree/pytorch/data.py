"""Step 1 — data: load the arrays and batch them with a `DataLoader`."""

import gzip
import hashlib
import struct
import urllib.request
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

DEFAULT_DATA = "../data/mnist"
VALIDATION_SPLIT = 0.1
URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # MNIST's files, and their MD5s there
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def read_idx(path: Path) -> np.ndarray:
    """Read one gzipped IDX file (the MNIST format; byte 3 is the rank) into a numpy array."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    shape = struct.unpack(f">{raw[3]}I", raw[4 : 4 + 4 * raw[3]])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(shape)).reshape(shape)


def download(folder: Path, name: str) -> None:
    """Fetch one file from URL, showing the MB received; kept only if its MD5 is right."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / (name + ".part")

    def report(blocks: int, block_size: int, total: int) -> None:
        print(f"\r{URL}{name}: {blocks * block_size >> 20} MB", end="", flush=True)

    urllib.request.urlretrieve(URL + name, part, report)
    print()
    if hashlib.md5(part.read_bytes()).hexdigest() != MD5[name]:
        raise SystemExit(f"{URL}{name}: not the file expected (MD5); left as {part}")
    part.rename(folder / name)


def read_mnist(path: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    """The "train" or "t10k" files: (N, 1, 28, 28) float32 images in [-1, 1], int64 labels."""
    folder = Path(path)
    if folder.is_file():
        raise SystemExit(f"{folder}: a file; --data is a folder of MNIST files")
    missing = [name for name in MD5 if not (folder / name).exists()]
    try:
        for name in missing:
            download(folder, name)
        images = read_idx(folder / f"{part}-images-idx3-ubyte.gz")
        labels = read_idx(folder / f"{part}-labels-idx1-ubyte.gz")
    except urllib.error.URLError as error:  # offline, or the server is down
        raise SystemExit(
            f"{folder}: no {', '.join(missing)} ({error.reason}): put them there"
        )
    except (OSError, EOFError, ValueError) as error:  # a truncated or damaged file
        raise SystemExit(f"{folder}: {error} (a damaged file: delete it)")
    return to_inputs(images), labels.astype(np.int64)


def to_inputs(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) as the model's inputs (N, 1, 28, 28): float32 in [-1, 1].
    predict.py transforms new images with it too."""
    return ((images.astype(np.float32) / 255.0 - 0.5) / 0.5).reshape(-1, 1, 28, 28)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """The training files, split into x_train, y_train, x_val, y_val."""
    return split(*read_mnist(path, "train"), seed)


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


def make_test_loader(path: str, batch_size: int) -> DataLoader:
    """Batches of the test split."""
    x_test, y_test = read_mnist(path, "t10k")  # the test split
    test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    return DataLoader(test_set, batch_size=batch_size)
