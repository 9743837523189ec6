"""Data pipelines (#27 point 4): a custom map-style Dataset, random_split, Subset and the
DataLoader's options (batch_size, shuffle, drop_last, collate_fn) translate and give the
batches PyTorch gives; a sampler is refused."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

SOURCE = """\
import torch
import torch.utils.data as data
from torch.utils.data import DataLoader, Subset, TensorDataset, random_split


class Squares(data.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return torch.ones(2) * i * i, i, {"half": i / 2}


def pad(batch):
    longest = max(len(seq) for seq in batch)
    rows = [torch.cat([seq, torch.zeros(longest - len(seq))]) for seq in batch]
    return torch.stack(rows), torch.tensor([len(seq) for seq in batch])


class Sequences(data.Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return torch.arange(i + 1) * 1.0


def batches(shuffle=False, drop_last=False):
    loader = DataLoader(Squares(7), batch_size=3, shuffle=shuffle, drop_last=drop_last)
    return [batch for batch in loader], len(loader)


def padded():
    return list(DataLoader(Sequences(), batch_size=2, collate_fn=pad))


def picked():
    return [Subset(Squares(7), [5, 1, 3])[i][1] for i in range(3)]


def split():
    parts = random_split(Squares(10), [0.7, 0.3])
    tensors = TensorDataset(torch.arange(10.0), torch.arange(10))
    train, test = random_split(tensors, [6, 4])
    seen = [int(y) for _, ys in DataLoader(train, batch_size=4) for y in ys]
    return [len(p) for p in parts], len(train), len(test), seen, [len(p) for p in (train, test)]
"""


def _both() -> tuple[dict, dict]:
    result = translate_source(SOURCE, "data.py")
    assert not result.report.left, result.report.left
    assert "torch" not in result.code.split("# ---- dlgen prelude")[0]
    source: dict = {}
    space: dict = {}
    exec(compile(SOURCE, "data.py", "exec"), source)  # noqa: S102
    exec(compile(result.code, "data_tf.py", "exec"), space)  # noqa: S102
    return source, space


def _same(got, want) -> None:
    if isinstance(want, tuple | list):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    elif isinstance(want, dict):
        assert set(got) == set(want)
        for key in want:
            _same(got[key], want[key])
    else:
        got, want = np.asarray(got), want.numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("drop_last", [False, True])
def test_a_custom_dataset_batches_as_pytorch_collates_it(drop_last: bool) -> None:
    """Tensors stacked, Python ints to int64, floats to float64, dicts field by field."""
    source, space = _both()
    want, want_len = source["batches"](drop_last=drop_last)
    got, got_len = space["batches"](drop_last=drop_last)
    assert got_len == want_len == (2 if drop_last else 3)
    _same(got, want)
    assert got[0][1].dtype == tf.int64 and got[0][2]["half"].dtype == tf.float64


def test_shuffled_batches_cover_every_sample_once_per_epoch_in_a_new_order() -> None:
    _, space = _both()
    epochs = [[int(i) for batch in space["batches"](shuffle=True)[0] for i in batch[1]]]
    epochs += [[int(i) for batch in space["batches"](shuffle=True)[0] for i in batch[1]]]
    assert all(sorted(order) == list(range(7)) for order in epochs)


def test_a_collate_fn_and_a_subset_are_pytorchs() -> None:
    source, space = _both()
    _same(space["padded"](), source["padded"]())
    assert space["picked"]() == source["picked"]() == [5, 1, 3]


def test_random_split_of_a_custom_and_a_tensor_dataset() -> None:
    """Fractions cut as PyTorch cuts them (7 and 3 of 10); a TensorDataset (a tf.data data
    set) split into two parts whose samples are disjoint and together all of it."""
    source, space = _both()
    got, want = space["split"](), source["split"]()
    assert got[0] == want[0] == [7, 3] and got[1:3] == want[1:3] == (6, 4)
    assert len(got[3]) == 6 and len(set(got[3])) == 6 and got[4] == [6, 4]


def test_a_sampler_is_refused() -> None:
    result = translate_source(
        "import torch\n\nloader = torch.utils.data.DataLoader(data, sampler=sampler)\n", "s.py"
    )
    assert [c.name for c in result.report.left] == ["torch.utils.data.DataLoader"]
