"""Step 1 — data: load the arrays and batch them (in memory, or with a DataLoader and workers).

The loading code and the per-epoch sample order are shared word for word with the TensorFlow
project, so both frameworks train on identical batches.
"""

import csv
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Sampler,
    SequentialSampler,
    TensorDataset,
)

DEFAULT_DATA = "data/houses.csv"
VALIDATION_SPLIT = 0.2
FEATURES = ["rooms", "area", "age"]
# One-hot columns after the numeric ones; a value not listed encodes as all zeros.
CATEGORIES = {
    "district": ["north", "south", "east", "west"],
}
# Embedded columns come last, one category code each: 0 for a value not listed, i + 1 for
# categories[i]. The model's CategoricalEmbedding layer looks the codes up.
EMBEDDED = {
    "heating": ["gas", "electric", "oil", "heat_pump", "wood"],
}
TARGET = "price"


def one_hot(values: list[str], categories: list[str]) -> np.ndarray:
    """(N, len(categories)) float32 indicator columns."""
    index = {category: position for position, category in enumerate(categories)}
    encoded = np.zeros((len(values), len(categories)), dtype=np.float32)
    for row, value in enumerate(values):
        if value in index:
            encoded[row, index[value]] = 1.0
    return encoded


def category_codes(values: list[str], categories: list[str]) -> np.ndarray:
    """(N, 1) float32 codes: i + 1 for categories[i], 0 for a value not listed."""
    index = {category: position + 1 for position, category in enumerate(categories)}
    return np.array([[index.get(value, 0)] for value in values], dtype=np.float32)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """Numeric, one-hot and category-code feature columns and the target column of a CSV file with a header."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    numeric = np.array(
        [[float(row[name]) for name in FEATURES] for row in rows], dtype=np.float32
    )
    encoded = [
        *(
            one_hot([row[name] for row in rows], values)
            for name, values in CATEGORIES.items()
        ),
        *(
            category_codes([row[name] for row in rows], values)
            for name, values in EMBEDDED.items()
        ),
    ]
    x = np.concatenate([numeric.reshape(len(rows), -1), *encoded], axis=1)
    target = [float(row[TARGET]) for row in rows]
    y = np.array(target, dtype=np.float32).reshape(-1, 1)
    return split(x, y, seed)


def feature_names() -> list[str]:
    """The input columns' names; a one-hot column is `column=value`; a category-code column is the column's name."""
    return [
        *FEATURES,
        *(f"{name}={value}" for name, values in CATEGORIES.items() for value in values),
        *EMBEDDED,
    ]


SCALE = 1.0  # inputs are multiplied by this first
FEATURE_AXIS = 1  # one mean and std per entry of this axis (batch axis 0)


def preprocessing_statistics(x_train: np.ndarray) -> dict:
    """The transform's numbers: `scale`, and per feature the `mean` and `std` of the scaled
    training split only (validation data must not leak into them), saved with the model.
    """
    scaled = x_train.astype(np.float64) * SCALE
    axes = tuple(axis for axis in range(scaled.ndim) if axis != FEATURE_AXIS)
    mean, std = scaled.mean(axis=axes), np.maximum(scaled.std(axis=axes), 1e-7)
    mean[len(FEATURES) :], std[len(FEATURES) :] = (
        0.0,
        1.0,
    )  # category columns stay as they are
    return {"scale": SCALE, "mean": mean.tolist(), "std": std.tolist()}


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the training samples in one epoch, the same in both frameworks."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.2 held out)."""
    order = np.random.default_rng(seed + 1).permutation(count)
    held_out = int(count * VALIDATION_SPLIT)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val."""
    train_idx, val_idx = split_indices(len(x), seed)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


class Preprocess(nn.Module):
    """The input transform, x * scale, then (x - mean) / std per feature.

    The Dataset transform of training and validation data (applied to each whole array once:
    the same numbers as per sample in __getitem__), and the first module of the traced exports,
    which therefore take raw inputs.
    """

    def __init__(self, statistics: dict) -> None:
        super().__init__()
        shape = (-1,)
        self.scale = statistics["scale"]
        self.register_buffer("mean", torch.tensor(statistics["mean"]).reshape(shape))
        self.register_buffer("std", torch.tensor(statistics["std"]).reshape(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.scale - self.mean) / self.std


def fit_preprocessing(path: str, seed: int) -> dict:
    """The transform's numbers for the data at `path` (see preprocessing_statistics)."""
    return preprocessing_statistics(load_arrays(path, seed)[0])


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
    that many worker processes; either way batches are indexed in one go, not sample by sample.    Inputs are transformed by `Preprocess` with the training split's numbers.
    """
    device = device or torch.device("cpu")
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    with torch.no_grad():
        preprocess = Preprocess(preprocessing_statistics(x_train))
        x_train, x_val = (
            preprocess(torch.from_numpy(x)).numpy() for x in (x_train, x_val)
        )
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
