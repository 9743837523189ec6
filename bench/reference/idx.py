"""Both reference scripts read the MNIST-format files the same way: numpy, no torchvision
(which does not import beside this machine's torch) and no download."""

import gzip
import struct
from pathlib import Path

import numpy as np


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    shape = struct.unpack(f">{raw[3]}I", raw[4 : 4 + 4 * raw[3]])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(shape)).reshape(shape)


def load(folder: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) float32 in [-1, 1] (the generated projects' scaling) and labels."""
    images = read_idx(Path(folder) / f"{part}-images-idx3-ubyte.gz")
    labels = read_idx(Path(folder) / f"{part}-labels-idx1-ubyte.gz")
    return (images.astype(np.float32) / 255.0 - 0.5) / 0.5, labels.astype(np.int64)
