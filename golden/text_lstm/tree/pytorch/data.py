"""Step 1 — data: load the arrays and batch them (in memory, or with a DataLoader and workers).

The loading code and the per-epoch sample order are shared word for word with the TensorFlow
project, so both frameworks train on identical batches.
"""

import collections
import csv
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Sampler,
    SequentialSampler,
    TensorDataset,
)

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
