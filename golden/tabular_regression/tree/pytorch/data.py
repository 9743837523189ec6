"""Step 1 — data: load the arrays, preprocess them and batch them with a `DataLoader`."""

import csv

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

DEFAULT_DATA = "../data/houses.csv"
DEFAULT_TEST = "../data/houses_test.csv"
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
COLUMNS = [*FEATURES, *CATEGORIES, *EMBEDDED]  # the input columns, in order


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


def read_rows(path: str, columns: list[str]) -> list[dict[str, str]]:
    """The rows of a CSV file whose header names each of `columns`."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
    except (OSError, ValueError, csv.Error) as error:  # e.g. missing, or not UTF-8
        raise SystemExit(f"{path}: {error}")
    missing = [name for name in columns if name not in (reader.fieldnames or [])]
    if missing:
        raise SystemExit(
            f"{path}: the header has no column {', '.join(map(repr, missing))}"
        )
    if not rows:
        raise SystemExit(f"{path}: no rows after the header")
    return rows


def read_features(path: str, rows: list[dict[str, str]]) -> np.ndarray:
    """The model's inputs from CSV rows: numeric, one-hot and category-code columns    (predict.py reads new rows with it)."""
    try:
        numeric = [[float(row[name]) for name in FEATURES] for row in rows]
    except (TypeError, ValueError) as error:  # an empty cell, or text
        raise SystemExit(f"{path}: a value that is not a number ({error})")
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
    numeric = np.array(numeric, dtype=np.float32).reshape(len(rows), -1)
    return np.concatenate([numeric, *encoded], axis=1)


def read_target(path: str, rows: list[dict[str, str]]) -> np.ndarray:
    """The target column of CSV rows (predict.py reads it where a file has it)."""
    try:
        target = [float(row[TARGET]) for row in rows]
    except (TypeError, ValueError) as error:  # an empty cell, or text
        raise SystemExit(f"{path}: a value that is not a number ({error})")
    return np.array(target, dtype=np.float32).reshape(-1, 1)


def read_arrays(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The inputs and the target column of a CSV file with a header."""
    rows = read_rows(path, [*COLUMNS, TARGET])
    return read_features(path, rows), read_target(path, rows)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """The CSV file's features and target, split into x_train, y_train, x_val, y_val."""
    return split(*read_arrays(path), seed)


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


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val: a seeded split, 0.2 held out."""
    order = np.random.default_rng(seed + 1).permutation(len(x))
    held_out = int(len(x) * VALIDATION_SPLIT)
    train_idx, val_idx = np.sort(order[held_out:]), np.sort(order[:held_out])
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
