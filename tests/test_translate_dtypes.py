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


SCRIPT = """\
import random

import numpy as np
import torch
import torch.nn.functional as F

from helpers import load


def symmetric(n):
    adj = np.eye(n, k=1, dtype=np.float32)
    adj = adj + adj.T.clip(0, 1) - adj.clip(0, 1) * (adj.T > adj)
    return adj.sum(1)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(3, 2))
        self.bias = torch.nn.Parameter(torch.zeros(2))

    def forward(self, x):
        out = x @ self.weight
        if self.bias is not None:
            out = out + self.bias
        return F.log_softmax(out, dim=1)


model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
features, labels, idx_train = load()


def train(epoch):
    output = model(features)
    loss = F.nll_loss(output[idx_train], labels[idx_train])
    pick = random.randint(0, 2)
    return loss, output[pick]
"""


def test_values_another_file_made_index_as_pytorch_does_and_numpy_keeps_its_methods(
    tmp_path, monkeypatch
) -> None:
    """pygcn: `labels` from another file's load_data() (passed to F.nll_loss, so a tensor),
    `output` a module's output, both indexed by an index tensor; an array numpy made keeps
    its methods after it is bound again (pygcn's scipy `adj.T.multiply` became tf.multiply);
    the class's own `self.bias is not None` stays (it became Keras's `use_bias`, which the
    class lacks); an index not known to be an int (random.randint's) reads through
    torch_index, which takes ints as they are."""
    result = translate_source(SCRIPT, "train.py")
    assert not result.report.left, result.report.left
    code = result.code
    assert "adj + adj.T.clip(0, 1) - adj.clip(0, 1)" in code
    assert "self.bias is not None" in code
    assert "torch_index(labels, (idx_train,))" in code
    for name, made in (("torch", "torch.tensor"), ("tf", "tf.constant")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "helpers.py").write_text(
            f"import numpy as np\nimport {'torch' if name == 'torch' else 'tensorflow as tf'}"
            f"\n\n\ndef load():\n    return ({made}(np.eye(4, 3, dtype=np.float32)), "
            f"{made}([0, 1, 2, 1]), {made}([3, 0]))\n"
        )
    spaces = []
    for name, text in (("torch", SCRIPT), ("tf", code)):
        monkeypatch.syspath_prepend(str(tmp_path / name))
        monkeypatch.delitem(__import__("sys").modules, "helpers", raising=False)
        space: dict = {}
        exec(compile(text, f"train_{name}.py", "exec"), space)  # noqa: S102
        spaces.append(space)
    torch_space, tf_space = spaces
    np.testing.assert_array_equal(tf_space["symmetric"](4), torch_space["symmetric"](4))
    want, _ = torch_space["train"](1)
    got, row = tf_space["train"](1)
    np.testing.assert_allclose(float(got), float(want), rtol=1e-6)
    assert tuple(row.shape) == (2,)


HELD = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"a": nn.Linear(3, 2)})
        self.table = nn.Parameter(torch.arange(15.0).reshape(5, 3))

    def forward(self, x, key, idx):
        return self.heads[key](x) + self.table[idx].sum()
"""


def test_a_held_module_indexed_by_name_stays_and_a_parameter_reads_through_torch_index() -> None:
    """`self.heads[key]` (a ModuleDict) is no tensor indexing; the module's own Parameter
    indexed by a name that may hold an index tensor reads through torch_index."""
    result = translate_source(HELD, "held.py")
    assert "self.heads[key](x)" in result.code
    assert "torch_index(self.table, (idx,))" in result.code
    space: dict = {}
    exec(compile(result.code, "held_tf.py", "exec"), space)  # noqa: S102
    net = space["Net"]()
    x = np.ones((2, 3), np.float32)
    rows = tf.constant([0, 4])
    out = net(tf.constant(x), key="a", idx=rows)
    layer = net.heads["a"]
    want = x @ layer.kernel.numpy() + layer.bias.numpy() + (0 + 1 + 2 + 12 + 13 + 14)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
