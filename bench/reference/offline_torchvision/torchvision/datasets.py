"""datasets.MNIST over the IDX files already under root/MNIST/raw (no download)."""

import gzip
from pathlib import Path

import numpy as np
import torch


def _idx(path: Path) -> np.ndarray:
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    dims = data[3]
    sizes = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data[4 + 4 * dims :], np.uint8).reshape(sizes)


class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        part = "train" if train else "t10k"
        raw = Path(root) / "MNIST" / "raw"

        def find(kind):
            return next(raw / (kind + end) for end in ("", ".gz") if (raw / (kind + end)).exists())

        self.data = _idx(find(f"{part}-images-idx3-ubyte"))
        self.targets = _idx(find(f"{part}-labels-idx1-ubyte")).astype(np.int64)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target
