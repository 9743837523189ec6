"""A tensor a module caches on itself (word_language_model's `self.src_mask`) is computed in
each call of the translation (codegen/translate/cache.py): equal outputs to torch's, calls
with other sequence lengths inside one traced function, and a state that is not a cache stays
marked."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

SOURCE = """\
import torch
import torch.nn as nn


class Masked(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.mask = None
        self.fc = nn.Linear(width, width)

    def forward(self, x, masked=True):
        if masked:
            if self.mask is None or self.mask.size(0) != x.size(1):
                mask = torch.tril(torch.ones(x.size(1), x.size(1)))
                self.mask = mask
        else:
            self.mask = None
        h = self.fc(x)
        if self.mask is not None:
            h = torch.matmul(self.mask, h)
        return h
"""


TWO = """\
import torch
import torch.nn as nn


class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = None
        self.b = None

    def forward(self, x):
        if self.a is None:
            self.a = torch.ones(x.size(1))
        if self.b is None:
            self.b = torch.zeros(x.size(1))
        return x * self.a + self.b
"""


def test_a_cached_mask_is_computed_in_each_call_and_gives_torchs_outputs() -> None:
    result = translate_source(SOURCE, "masked.py")
    assert not result.report.left, result.report.left
    assert any(c.name == "self.mask (a cache)" for c in result.report.constructs)
    both = translate_source(TWO, "two.py")  # two caches in one layer: both start empty
    assert not both.report.left
    assert "a = None  # self.a, a cache" in both.code
    assert "b = None  # self.b, a cache" in both.code
    space: dict = {}
    exec(compile(result.code, "masked_tf.py", "exec"), space)  # noqa: S102
    torch.manual_seed(0)
    source = {}
    exec(compile(SOURCE, "masked.py", "exec"), source)  # noqa: S102
    net = source["Masked"](4)
    model = space["Masked"](4)
    model(tf.zeros((1, 3, 4)))
    model.fc.kernel.assign(net.fc.weight.detach().numpy().T)
    model.fc.bias.assign(net.fc.bias.detach().numpy())
    traced = tf.function(lambda x: model(x))
    rng = np.random.default_rng(0)
    for length, masked in ((3, True), (5, True), (5, False), (2, True)):
        x = rng.normal(size=(2, length, 4)).astype("float32")
        want = net(torch.from_numpy(x), masked).detach().numpy()
        got = model(tf.constant(x), masked=False) if not masked else traced(tf.constant(x))
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def test_a_state_kept_across_calls_is_not_a_cache_and_stays_marked() -> None:
    """`self.h = f(self.h)` outside a miss test is a state: computing it per call would
    change the result, so it stays, marked by the output check."""
    state = SOURCE.replace(
        "        h = self.fc(x)\n", "        h = self.fc(x)\n        self.mask = self.mask * 2\n"
    )
    result = translate_source(state, "state.py")
    assert {c.name for c in result.report.left} == {"self.mask"}
    assert "self.mask = None" in result.code.split("def call")[1]
