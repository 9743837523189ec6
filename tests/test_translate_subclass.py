"""A user's class derived from a PyTorch layer (#27 §2): its base becomes the prelude's class
of that layer, with PyTorch's arguments, and `super().forward` the base's `call`; a mixin
module class (snli's Bottle) is a Keras Layer so the layer after it in the bases is reached.
Checked against torch with the same weights; a base with no prelude class is marked."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

SOURCE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Scaled(nn.Linear):
    def forward(self, input):
        return super().forward(input) * 2


class Bottle(nn.Module):
    def forward(self, input):
        if len(input.size()) <= 2:
            return super(Bottle, self).forward(input)
        size = input.size()[:2]
        out = super(Bottle, self).forward(input.view(size[0] * size[1], -1))
        return out.view(size[0], size[1], -1)


class Linear(Bottle, nn.Linear):
    pass


class GatedConv(nn.Conv1d):
    def __init__(self, channels):
        super().__init__(channels, 2 * channels, 3, padding=1)

    def forward(self, x):
        return F.glu(super().forward(x), dim=1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GatedConv(4)
        self.a = Scaled(4, 3)
        self.b = Linear(3, 5)

    def forward(self, x):
        return self.b(self.a(self.conv(x).transpose(1, 2)))
"""


def test_subclasses_of_pytorch_layers_compute_what_torch_does() -> None:
    result = translate_source(SOURCE, "net.py")
    assert not result.report.left, [(c.name, c.detail) for c in result.report.left]
    code = result.code
    assert "class Scaled(TorchLinear):" in code and "class Bottle(keras.layers.Layer):" in code
    assert "class Linear(Bottle, TorchLinear):" in code and "class GatedConv(Conv1d):" in code
    assert ".forward(" not in code.split("class Scaled")[1]
    torch_ns: dict = {}
    keras_ns: dict = {}
    exec(compile(SOURCE, "net.py", "exec"), torch_ns)  # noqa: S102
    exec(compile(code, "net_tf.py", "exec"), keras_ns)  # noqa: S102
    torch.manual_seed(0)
    source, net = torch_ns["Net"](), keras_ns["Net"]()
    x = np.random.default_rng(0).standard_normal((2, 4, 6)).astype(np.float32)
    net(tf.constant(x))
    net.conv.conv.kernel.assign(source.conv.weight.detach().numpy().transpose(2, 1, 0))
    net.conv.conv.bias.assign(source.conv.bias.detach().numpy())
    for name in ("a", "b"):
        layer, reference = getattr(net, name), getattr(source, name)
        layer.kernel.assign(reference.weight.detach().numpy().T)
        layer.bias.assign(reference.bias.detach().numpy())
    want = source(torch.from_numpy(x)).detach().numpy()
    got = np.asarray(net(tf.constant(x)))
    assert got.shape == want.shape == (2, 6, 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_a_base_with_no_prelude_class_is_marked() -> None:
    source = "import torch.nn as nn\n\n\nclass Block(nn.Sequential):\n    pass\n"
    result = translate_source(source, "block.py")
    assert [(c.name, c.detail) for c in result.report.left][:1] == [
        ("torch.nn.Sequential", "a subclass of nn.Sequential: no prelude class")
    ]
    assert "# dlgen: not translated" in result.code


FORWARD_FORWARD = """\
import torch
import torch.nn as nn


class Layer(nn.Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features)
        self.relu = nn.ReLU()

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def goodness(self, x):
        return self.forward(x).pow(2).mean(1)


def run(layer, x):
    return layer.forward(x), layer.goodness(x)
"""


def test_a_layer_subclass_reads_its_own_weight_and_forward_is_a_call() -> None:
    """pytorch/examples' mnist_forward_forward: `class Layer(nn.Linear)` reads `self.weight.T`
    (PyTorch's layout: torch_weight, then tf.transpose: tf.Tensor has no .T) and calls
    `self.forward(x)` (Keras: the layer called, which builds it); both were left as they were
    and counted translated."""
    result = translate_source(FORWARD_FORWARD, "ff.py")
    assert not result.report.left, [(c.name, c.detail) for c in result.report.left]
    assert "tf.transpose(torch_weight(self))" in result.code
    assert ".forward(" not in result.code.split("class Layer")[1]
    torch_ns: dict = {}
    keras_ns: dict = {}
    exec(compile(FORWARD_FORWARD, "ff.py", "exec"), torch_ns)  # noqa: S102
    exec(compile(result.code, "ff_tf.py", "exec"), keras_ns)  # noqa: S102
    source, layer = torch_ns["Layer"](5, 3), keras_ns["Layer"](5, 3)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    keras_ns["run"](layer, tf.constant(x))  # builds it
    layer.kernel.assign(source.weight.detach().numpy().T)
    layer.bias.assign(source.bias.detach().numpy())
    got_all = keras_ns["run"](layer, tf.constant(x))
    for got, want in zip(got_all, torch_ns["run"](source, torch.from_numpy(x)), strict=True):
        np.testing.assert_allclose(np.asarray(got), want.detach().numpy(), rtol=1e-5, atol=1e-6)


ADVANCED = """\
import torch


def overlay(x, y):
    x_ = x.clone()
    x_[:, :3] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


def bump(x, r, c):
    rows = torch.as_tensor(r)
    cols = torch.as_tensor(c)
    out = x.clone()
    out[rows, cols] += 1.0
    return out


def pick(a, r, c):
    x = torch.as_tensor(a)
    rows = torch.as_tensor(r)
    cols = torch.as_tensor(c)
    return x[rows], x[:, cols], x[rows, 1:3, cols], x[..., [0, 2]], x[[True, False, True, False]]


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [torch.nn.Linear(4, 2)]

    def train(self, x_pos, x_neg):
        return x_pos - x_neg
"""


def test_advanced_indexing_reads_and_writes_as_pytorch_does() -> None:
    """mnist_forward_forward's `x_[range(n), y] = v` and `t[torch.randint(...)]`: tf.Tensor's
    [] takes ints and slices only (they were marked). Reads → torch_index, writes into a
    local tensor → index_put, both by numpy's rules: checked against torch on ranges, lists,
    index tensors broadcast together, indices split by a slice (their axes first), Ellipsis,
    negative indices and a boolean list; `net.train(a, b)` is the user's method, not
    nn.Module.train (the translation dropped the call, and with it the training)."""
    result = translate_source(ADVANCED, "ff.py")
    assert not result.report.left, result.report.left
    assert "net.train(a, b)" in translate_source(
        ADVANCED + "\n\nnet = Net()\nout = net.train(a, b)\nnet.train()\n", "ff.py"
    ).code.replace("out = ", "")
    space: dict = {}
    exec(compile(result.code, "ff_tf.py", "exec"), space)  # noqa: S102
    tspace: dict = {}
    exec(compile(ADVANCED, "ff.py", "exec"), tspace)  # noqa: S102
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, 6)).astype("float32")
    y = np.array([1, 4, 0, 2])
    rows, cols = np.array([[0], [3], [-1]]), np.array([2, -1])
    want = tspace["overlay"](torch.tensor(x[:, :, 0]), torch.tensor(y)).numpy()
    got = np.asarray(space["overlay"](tf.constant(x[:, :, 0]), tf.constant(y)))
    np.testing.assert_allclose(got, want)
    repeated = np.array([0, 0, 3])  # index_put without accumulate: one write per element
    want = tspace["bump"](torch.tensor(x), torch.tensor(repeated), torch.tensor(2)).numpy()
    got = np.asarray(space["bump"](tf.constant(x), tf.constant(repeated), tf.constant(2)))
    np.testing.assert_allclose(got, want)
    wants = tspace["pick"](torch.tensor(x), torch.tensor(rows), torch.tensor(cols))
    gots = space["pick"](tf.constant(x), tf.constant(rows), tf.constant(cols))
    for want, got in zip(wants, gots, strict=True):
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_allclose(np.asarray(got), want.numpy())


MASKS = """\
import torch


def normalise(features):
    scale = torch.sum(features, dim=1)
    scale = 1 / scale
    scale[scale == float("inf")] = 0
    rows = features.clone()
    rows[rows.sum(1) > 2] = -1.0
    return scale, rows, features[features > 0]
"""


def test_a_boolean_mask_write_is_a_where_and_a_read_is_tensorflows_own() -> None:
    """pytorch/examples' gcn and gat: `scale[scale == inf] = 0` became a Variable's
    `scale[mask].assign(0)`, which TensorFlow refuses (a Variable's slice takes no mask):
    masked_put (tf.where) now; a row mask over a 2-D tensor; a mask read is tf's own [];
    `x[mask] += v` is index_put's (it was marked)."""
    result = translate_source(MASKS, "masks.py")
    assert not result.report.left, [(c.name, c.detail) for c in result.report.left]
    torch_ns: dict = {}
    keras_ns: dict = {}
    exec(compile(MASKS, "masks.py", "exec"), torch_ns)  # noqa: S102
    exec(compile(result.code, "masks_tf.py", "exec"), keras_ns)  # noqa: S102
    x = np.array([[0, 0, 0], [1, 2, 0], [0.5, 0, 0.25]], np.float32)
    got = keras_ns["normalise"](tf.constant(x))
    want = torch_ns["normalise"](torch.from_numpy(x))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), w.numpy())
    augmented = MASKS.replace("rows[rows.sum(1) > 2] =", "rows[rows.sum(1) > 2] +=")
    added = translate_source(augmented, "m.py")
    assert not added.report.left and "index_put(" in added.code
    exec(compile(augmented, "m.py", "exec"), torch_ns)  # noqa: S102
    exec(compile(added.code, "m_tf.py", "exec"), keras_ns)  # noqa: S102
    got = keras_ns["normalise"](tf.constant(x))[1]
    np.testing.assert_array_equal(np.asarray(got), torch_ns["normalise"](torch.from_numpy(x))[1])
