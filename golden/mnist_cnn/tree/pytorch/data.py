"""Step 1 — data: load the arrays and batch them (in memory, or with a DataLoader and workers).

The loading code and the per-epoch sample order are shared word for word with the TensorFlow
project, so both frameworks train on identical batches.
"""

import gzip
import struct
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Sampler,
    SequentialSampler,
    TensorDataset,
)

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


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the training samples in one epoch, the same in both frameworks."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.1 held out)."""
    order = np.random.default_rng(seed + 1).permutation(count)
    held_out = int(count * VALIDATION_SPLIT)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val."""
    train_idx, val_idx = split_indices(len(x), seed)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


class EpochBatches(Sampler[torch.Tensor]):
    """Index batches of every epoch in turn, each epoch in `epoch_order`.

    One sampler spans the whole run (like the TensorFlow pipeline), so the DataLoader is
    iterated once instead of being restarted every epoch. Under DDP (`world` processes) each
    rank takes DistributedSampler's share, `rank::world`, of every global batch: together the
    ranks train on exactly the batches of a single-process run.
    """

    def __init__(
        self,
        count: int,
        batch_size: int,
        seed: int,
        epochs: int,
        steps: int,
        first_epoch: int = 0,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        self.count, self.batch_size, self.seed = count, batch_size, seed
        self.epochs, self.steps, self.first_epoch = epochs, steps, first_epoch
        self.rank, self.world = rank, world

    def __iter__(self) -> Iterator[torch.Tensor]:
        for epoch in range(self.first_epoch, self.epochs):
            order = epoch_order(self.count, self.seed, epoch)[
                : self.steps * self.batch_size
            ]
            for start in range(0, len(order), self.batch_size):
                yield torch.from_numpy(
                    order[start : start + self.batch_size][self.rank :: self.world]
                )

    def __len__(self) -> int:
        return (self.epochs - self.first_epoch) * self.steps


class InMemoryBatches:
    """The batches `DataLoader(TensorDataset(x, y), sampler=EpochBatches(...))` yields, made
    directly from tensors already on the training device.

    For data held in memory with no per-sample work, DataLoader's per-batch machinery costs
    more than a small model's whole step (bench/linear_regression.py); `--workers N` switches
    back to a DataLoader with N worker processes.
    """

    def __init__(
        self, tensors: tuple[torch.Tensor, ...], sampler: EpochBatches
    ) -> None:
        self.tensors, self.sampler = tensors, sampler

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        device = self.tensors[0].device
        for index in self.sampler:
            index = index.to(device)
            yield tuple(t.index_select(0, index) for t in self.tensors)

    def __len__(self) -> int:
        return len(self.sampler)


class DeviceLoader:
    """A DataLoader whose batches are moved to `device` (pinned memory: an asynchronous copy)."""

    def __init__(self, loader: DataLoader, device: torch.device) -> None:
        self.loader, self.device = loader, device

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        for batch in self.loader:
            yield tuple(t.to(self.device, non_blocking=True) for t in batch)

    def __len__(self) -> int:
        return len(self.loader)


def make_loaders(
    path: str,
    batch_size: int,
    seed: int,
    epochs: int,
    max_steps: int | None = None,
    device: torch.device | None = None,
    workers: int = 0,
    first_epoch: int = 0,
    rank: int = 0,
    world: int = 1,
) -> tuple[Iterable, int, Iterable | None]:
    """Training batches of the epochs from `first_epoch` on (0-based; later when resuming) and
    the batches per epoch; validation batches (or None). `batch_size` is the global batch;
    under DDP this process (`rank` of `world`) gets its share of each.

    Batches come on `device` (default CPU). With `workers` > 0 they come from a DataLoader with
    that many worker processes; either way batches are indexed in one go, not sample by sample.
    """
    device = device or torch.device("cpu")
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    steps = -(-len(x_train) // batch_size)
    if max_steps is not None:
        steps = min(steps, max_steps)
    sampler = EpochBatches(
        len(x_train), batch_size, seed, epochs, steps, first_epoch, rank, world
    )
    train_arrays = (torch.from_numpy(x_train), torch.from_numpy(y_train))
    if workers > 0:
        loader = DataLoader(
            TensorDataset(*train_arrays),
            sampler=sampler,
            batch_size=None,
            num_workers=workers,
            persistent_workers=True,
            pin_memory=device.type == "cuda",
            generator=torch.Generator().manual_seed(
                seed
            ),  # not the global RNG dropout draws from
        )
        train: Iterable = DeviceLoader(loader, device)
    else:
        train = InMemoryBatches(tuple(t.to(device) for t in train_arrays), sampler)
    if len(x_val) == 0:
        return train, steps, None
    val_set = TensorDataset(
        torch.from_numpy(x_val).to(device), torch.from_numpy(y_val).to(device)
    )
    val_batches = BatchSampler(SequentialSampler(val_set), batch_size, drop_last=False)
    return train, steps, DataLoader(val_set, sampler=val_batches, batch_size=None)
