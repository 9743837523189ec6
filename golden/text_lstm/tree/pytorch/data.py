"""Step 1 — data: load the arrays and batch them with a `DataLoader`."""

import collections
import csv

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

DEFAULT_DATA = "../data/reviews.csv"
DEFAULT_TEST = "../data/reviews_test.csv"
VALIDATION_SPLIT = 0.2


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
    """Token ids, the last `length` tokens, padded with 0 at the front (Keras's pad_sequences
    default): the recurrent layer's last step reads the last word, not padding."""
    ids = np.full((len(texts), length), PAD, dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = [vocabulary.get(token, UNKNOWN) for token in tokenize(text)][-length:]
        ids[row, length - len(tokens) :] = tokens
    return ids


def read_texts(path: str) -> tuple[list[str], np.ndarray]:
    """The texts and labels of a CSV file."""
    rows = read_rows(path, ["text", "label"])
    texts = [row["text"] or "" for row in rows]
    try:
        labels = np.array(
            [float(row["label"]) for row in rows], dtype=np.float32
        ).reshape(-1, 1)
    except (TypeError, ValueError) as error:  # an empty cell, or text
        raise SystemExit(f"{path}: a label that is not a number ({error})")
    return texts, labels


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """Token ids and labels, split into x_train, y_train, x_val, y_val; the vocabulary
    comes from the training split only."""
    texts, labels = read_texts(path)
    train_idx, val_idx = split_indices(len(texts), seed)
    vocabulary = build_vocabulary([texts[i] for i in train_idx], 10000)
    x = encode(texts, vocabulary, 40)
    return x[train_idx], labels[train_idx], x[val_idx], labels[val_idx]


def fit_vocabulary(path: str, seed: int) -> dict[str, int]:
    """The vocabulary of the file `path`'s training split, as load_arrays builds it: train.py
    saves it beside the model, and the test split is encoded with it."""
    texts, _ = read_texts(path)
    train_idx, _ = split_indices(len(texts), seed)
    return build_vocabulary([texts[i] for i in train_idx], 10000)


def load_test_arrays(path: str, test: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The test file's token ids (with the training split's vocabulary) and labels."""
    texts, labels = read_texts(test)
    return encode(texts, fit_vocabulary(path, seed), 40), labels


def split_indices(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation index split (0.2 held out)."""
    order = np.random.default_rng(seed + 1).permutation(count)
    held_out = int(count * VALIDATION_SPLIT)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


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


def make_test_loader(test: str, batch_size: int, path: str, seed: int) -> DataLoader:
    """Batches of the test split, the file `test` (token ids from the training split's vocabulary)."""
    x_test, y_test = load_test_arrays(path, test, seed)
    test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    return DataLoader(test_set, batch_size=batch_size)
