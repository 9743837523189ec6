"""Step 1 — data: load the arrays, preprocess them and batch them with a `DataLoader`(training images augmented)."""

import math
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

DEFAULT_DATA = "../data/shapes.npz"
DEFAULT_TEST = "../data/shapes_test.npz"
VALIDATION_SPLIT = 0.1


def read_arrays(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays 'x' and 'y' from a .npz file."""
    try:
        with np.load(path) as arrays:
            x = arrays["x"].astype(np.float32)
            y = arrays["y"]
        x = x.reshape(len(x), 3, 16, 16)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        # missing or damaged file, no such array, or the wrong number of values
        raise SystemExit(f"{path}: cannot read the arrays ({error})")
    if len(x) != len(y):
        raise SystemExit(f"{path}: {len(x)} inputs but {len(y)} labels")
    return x, y.astype(np.int64).reshape(-1)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """The .npz file's arrays, split into x_train, y_train, x_val, y_val."""
    return split(*read_arrays(path), seed)


SCALE = 0.00392156862745098  # inputs are multiplied by this first
FEATURE_AXIS = 1  # one mean and std per entry of this axis (batch axis 0)
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]


def preprocessing_statistics(x_train: np.ndarray) -> dict:
    """The transform's numbers: `scale`, and the spec's fixed `mean` and `std` per channel."""
    return {"scale": SCALE, "mean": MEAN, "std": STD}


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val: a seeded split, 0.1 held out."""
    order = np.random.default_rng(seed + 1).permutation(len(x))
    held_out = int(len(x) * VALIDATION_SPLIT)
    train_idx, val_idx = np.sort(order[held_out:]), np.sort(order[:held_out])
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


def augment(
    images: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
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


class Augmented(Dataset):
    """The training set, each image randomly transformed every time it is read (validation
    and prediction inputs never are)."""

    def __init__(self, dataset: TensorDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, target = self.dataset[index]
        return augment(image[None])[0], target


def make_loaders(
    path: str, batch_size: int, seed: int
) -> tuple[DataLoader, DataLoader | None]:
    """Training batches, reshuffled every epoch; validation batches or None.
    Inputs go through `Preprocess` with the training split's numbers.
    """
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    with torch.no_grad():
        preprocess = Preprocess(preprocessing_statistics(x_train))
        x_train, x_val = (
            preprocess(torch.from_numpy(x)).numpy() for x in (x_train, x_val)
        )
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    train_set = Augmented(train_set)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    if len(x_val) == 0:
        return train_loader, None
    val_set = TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
    return train_loader, DataLoader(val_set, batch_size=batch_size)


def make_test_loader(test: str, batch_size: int, path: str, seed: int) -> DataLoader:
    """Batches of the test split, the file `test`, through `Preprocess` with the training split's numbers."""
    x_test, y_test = read_arrays(test)
    with torch.no_grad():
        x_test = Preprocess(fit_preprocessing(path, seed))(
            torch.from_numpy(x_test)
        ).numpy()
    test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    return DataLoader(test_set, batch_size=batch_size)
