"""`optimizer.step(closure)` with torch.optim.LBFGS (time_sequence_prediction): the prelude's
port of PyTorch's algorithm, its tape around the closure (whose zero_grad and backward go),
`model.double()` on a module, `x.split(1, dim=1)` and torch.load of a PyTorch file holding
numpy data. The weights after three steps are PyTorch's, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

SOURCE = """\
import torch
import torch.nn as nn
import torch.optim as optim


class Fit(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)

    def forward(self, x):
        parts = [part * 2.0 for part in x.split(1, dim=1)]
        return self.linear(torch.cat(parts, dim=1))


def train(model, x, y, steps):
    model.double()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(model.parameters(), lr=0.8, history_size=4, max_iter=6)
    losses = []
    for i in range(steps):
        def closure():
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            return loss
        losses.append(float(optimizer.step(closure)))
    return losses


def read(path):
    return torch.load(path, weights_only=False)
"""


def test_lbfgs_with_a_closure_updates_the_weights_as_pytorch_does(tmp_path) -> None:
    result = translate_source(SOURCE, "fit.py")
    assert not result.report.left, result.report.left
    tape = [c for c in result.report.constructs if "LBFGS step's tape" in c.detail]
    assert [c.name for c in tape] == ["zero_grad()", "backward()"]
    assert "optimizer.zero_grad()" not in result.code and "loss.backward()" not in result.code
    source: dict = {}
    space: dict = {}
    exec(compile(SOURCE, "fit.py", "exec"), source)  # noqa: S102
    exec(compile(result.code, "fit_tf.py", "exec"), space)  # noqa: S102
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3))
    y = x @ np.array([[0.5], [-1.0], [2.0]]) + 0.3
    torch.manual_seed(0)
    net = source["Fit"]()
    model = space["Fit"]()
    weight, bias = net.linear.weight.detach().double(), net.linear.bias.detach().double()
    want = source["train"](net, torch.from_numpy(x), torch.from_numpy(y), 3)
    got_losses = _train(space, model, x, y, weight.numpy().T, bias.numpy())
    np.testing.assert_allclose(got_losses, want, rtol=1e-9)
    np.testing.assert_allclose(
        model.linear.kernel.numpy().T, net.linear.weight.detach().numpy(), rtol=1e-8
    )
    assert model.linear.kernel.dtype == "float64"
    torch.save(x, tmp_path / "data.pt")  # PyTorch's file of numpy data, read by torch_load
    np.testing.assert_array_equal(space["read"](str(tmp_path / "data.pt")), x)


def _train(space: dict, model, x, y, kernel, bias) -> list[float]:
    """The translated train(), with PyTorch's initial weights set once the layer is built in
    float64 (module_dtype runs first inside train: build after it)."""
    original = space["module_dtype"]

    def dtype_then_copy(m, dtype):
        out = original(m, dtype)
        m.linear.build((None, 3))
        m.linear.kernel.assign(kernel)
        m.linear.bias.assign(bias)
        return out

    space["module_dtype"] = dtype_then_copy
    return space["train"](model, tf.constant(x), tf.constant(y), 3)
