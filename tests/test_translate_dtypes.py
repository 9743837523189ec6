"""PyTorch's type promotion in the translation (codegen/translate/dtypes.py): an integer
tensor meeting a float in arithmetic, or divided, is cast to float32 as PyTorch computes it;
a parameter every call passes an index tensor indexes as PyTorch does (gat's
`output[idx_train]`). Checked against torch; what the source does not show stays as it is."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

SOURCE = """\
import math
from pathlib import Path

import torch


def encodings(n, d_model):
    position = torch.arange(n).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    return position * div_term


def mixed(n):
    half = torch.arange(n) * 0.5
    adjacency = torch.ones(n, n, dtype=torch.int64)
    loops = torch.eye(n) + adjacency
    ratio = torch.arange(n) / 2
    steps, scale = torch.arange(n).to("cpu"), 2.5
    odd = (torch.arange(n)) * (
        1e-1  # written as the source spells it
    )
    return half, loops, ratio, steps * scale, odd


def kept(n):
    folder = Path("data") / "raw"
    return torch.arange(n) + 1, folder


def pick(out, rows):
    return out[rows]


def chosen(x):
    order = torch.randperm(x.shape[0])
    first = order[:3]
    return pick(x, first), first
"""


def _both():
    result = translate_source(SOURCE, "dtypes.py")
    assert not result.report.left, result.report.left
    space: dict = {}
    exec(compile(result.code, "dtypes_tf.py", "exec"), space)  # noqa: S102
    source: dict = {}
    exec(compile(SOURCE, "dtypes.py", "exec"), source)  # noqa: S102
    return result, source, space


def test_integer_tensors_meeting_floats_are_cast_as_pytorch_promotes() -> None:
    result, source, space = _both()
    assert sum(c.name == "type promotion" for c in result.report.constructs) == 7
    want = source["encodings"](7, 6)
    got = space["encodings"](7, 6)
    assert got.dtype == tf.float32 and want.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    for got, want in zip(space["mixed"](4), source["mixed"](4), strict=True):
        assert got.dtype == tf.float32 and want.dtype == torch.float32
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_what_the_source_does_not_show_to_be_float_is_left() -> None:
    """An integer tensor plus an int stays integer (as in PyTorch); a path divided by a
    string is no arithmetic of tensors."""
    result, _, space = _both()
    assert 'Path("data") / "raw"' in result.code
    assert "tf.range(n) + 1" in result.code
    counted, folder = space["kept"](3)
    assert counted.dtype.is_integer and str(folder) == "data/raw"


def test_a_parameter_every_call_passes_an_index_tensor_indexes_as_pytorch_does() -> None:
    result, source, space = _both()
    assert "torch_index(out, (rows,))" in result.code
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    got, order = space["chosen"](tf.constant(x))
    np.testing.assert_array_equal(got.numpy(), x[order.numpy()])
    want, order = source["chosen"](torch.from_numpy(x))
    np.testing.assert_array_equal(want.numpy(), x[order.numpy()])
