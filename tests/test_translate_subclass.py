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
