"""Step 1 — data: load the arrays and batch them (in memory, or with a DataLoader and workers).

The loading code and the per-epoch sample order are shared word for word with the TensorFlow
project, so both frameworks train on identical batches.
"""

import math
from collections.abc import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Sampler,
    SequentialSampler,
    TensorDataset,
)

DEFAULT_DATA = "data/shapes.npz"
VALIDATION_SPLIT = 0.1


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """Arrays 'x' and 'y' from a .npz file."""
    with np.load(path) as arrays:
        x = arrays["x"].astype(np.float32)
        y = arrays["y"]
    x = x.reshape(len(x), 3, 16, 16)
    y = y.astype(np.int64).reshape(-1)
    return split(x, y, seed)


SCALE = 0.00392156862745098  # inputs are multiplied by this first
FEATURE_AXIS = 1  # one mean and std per entry of this axis (batch axis 0)
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]


def preprocessing_statistics(x_train: np.ndarray) -> dict:
    """The transform's numbers: `scale`, and the spec's fixed `mean` and `std` per channel."""
    return {"scale": SCALE, "mean": MEAN, "std": STD}


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


class Preprocess(nn.Module):
    """The input transform, x * scale, then (x - mean) / std per channel.

    The Dataset transform of training and validation data (applied to each whole array once:
    the same numbers as per sample in __getitem__), and the first module of the traced exports,
    which therefore take raw inputs.
    """

    def __init__(self, statistics: dict) -> None:
        super().__init__()
        shape = (
            -1,
            1,
            1,
        )
        self.scale = statistics["scale"]
        self.register_buffer("mean", torch.tensor(statistics["mean"]).reshape(shape))
        self.register_buffer("std", torch.tensor(statistics["std"]).reshape(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.scale - self.mean) / self.std


def fit_preprocessing(path: str, seed: int) -> dict:
    """The transform's numbers for the data at `path` (see preprocessing_statistics)."""
    return preprocessing_statistics(load_arrays(path, seed)[0])


HORIZONTAL_FLIP = True
ROTATION = 10.0  # degrees, at most, either way
CROP_PADDING = 2  # pixels: zero padding, then a crop back at a random offset


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flip, rotation and shift of each image (N, C, H, W), torchvision-free.

    The three are one affine map per image, resampled with `grid_sample`; an integer shift
    with zero fill is exactly a crop of the zero-padded image. Without rotation, every output
    pixel is an input pixel (or 0): no interpolation blur.
    """
    count, _, height, width = images.shape
    draw = {"device": images.device, "generator": generator}
    angle = (torch.rand(count, **draw) * 2 - 1) * math.radians(ROTATION)
    flip = (
        torch.rand(count, **draw) < 0.5
        if HORIZONTAL_FLIP
        else torch.zeros(count, dtype=torch.bool, device=images.device)
    )
    mirror = 1.0 - 2.0 * flip.float()
    shift = torch.randint(-CROP_PADDING, CROP_PADDING + 1, (count, 2), **draw).float()
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack(  # output pixel → input pixel, in [-1, 1] coordinates
        [
            torch.stack([cos * mirror, -sin, shift[:, 0] * 2 / width], dim=1),
            torch.stack([sin * mirror, cos, shift[:, 1] * 2 / height], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(
        images, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )


class Augmented:
    """Training batches with `augment` applied (never validation or prediction batches).

    Batch i's random draws are seeded by (seed, i), so a resumed run repeats them exactly.
    """

    def __init__(self, batches: Iterable, seed: int, first_batch: int = 0) -> None:
        self.batches, self.seed, self.first_batch = batches, seed, first_batch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        generator = None
        for index, (images, targets) in enumerate(self.batches, self.first_batch):
            if generator is None:
                generator = torch.Generator(images.device)
            generator.manual_seed(self.seed * 1_000_003 + index)
            yield augment(images, generator), targets

    def __len__(self) -> int:
        return len(self.batches)


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
    augment: bool = False,
) -> tuple[Iterable, int, Iterable | None]:
    """Training batches of the epochs from `first_epoch` on (0-based; later when resuming) and
    the batches per epoch; validation batches (or None). `batch_size` is the global batch;
    under DDP this process (`rank` of `world`) gets its share of each.

    Batches come on `device` (default CPU). With `workers` > 0 they come from a DataLoader with
    that many worker processes; either way batches are indexed in one go, not sample by sample.    Inputs are transformed by `Preprocess` with the training split's numbers.    With `augment`, training batches are augmented (train.py asks for it; comparisons do not).
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
    if augment:
        train = Augmented(train, seed, first_epoch * steps)
    if len(x_val) == 0:
        return train, steps, None
    val_set = TensorDataset(
        torch.from_numpy(x_val).to(device), torch.from_numpy(y_val).to(device)
    )
    val_batches = BatchSampler(SequentialSampler(val_set), batch_size, drop_last=False)
    return train, steps, DataLoader(val_set, sampler=val_batches, batch_size=None)
