"""A module's own parameters and the tensors around them, translated and checked against
torch: `nn.init.*_` and `.data.<init>_()` on an `nn.Parameter` (a Keras Variable, assigned in
place, drawn with PyTorch's fans), the legacy constructors (`torch.FloatTensor(n)`: a size or
the data, decided when the code runs, as PyTorch does), sparse tensors (held dense) and
PyTorch's coupled weight decay."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.translate.api import translate_source

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

LAYER = """\
import math
import torch
import torch.nn as nn
from torch.nn.parameter import Parameter


class Graph(nn.Module):
    def __init__(self, n_in, n_out, heads):
        super().__init__()
        self.weight = Parameter(torch.FloatTensor(n_in, n_out))
        self.bias = Parameter(torch.FloatTensor(n_out))
        self.a = nn.Parameter(torch.empty(size=(heads, 2 * n_out, 1)))
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        self.bias.data.normal_(0, stdv)
        {init}

    def forward(self, x, adj):
        support = torch.mm(x, self.weight)
        return torch.spmm(adj, support) + self.bias
"""


def _run(code: str, name: str) -> dict:
    namespace: dict = {}
    exec(compile(code, name, "exec"), namespace)  # noqa: S102
    return namespace


def _translated(source: str) -> str:
    result = translate_source(source, "layer.py")
    assert not result.report.left, [(c.name, c.detail) for c in result.report.left]
    return result.code


def test_parameters_are_variables_initialised_in_place_as_torch_draws_them() -> None:
    """Bounds and spread of each draw follow PyTorch's rule on PyTorch's shape: uniform_ within
    ±1/√out, xavier_uniform_ on a (heads, 2·out, 1) tensor with fan_in 2·out and fan_out heads
    (Keras's own fans for that shape would be 2·out·heads and heads)."""
    init = "nn.init.xavier_uniform_(self.a, gain=2.0)"
    code = _translated(LAYER.format(init=init))
    assert "self.weight.assign(" in code and "init_variable(" in code
    layer = _run(code, "layer_tf.py")["Graph"](64, 128, 32)
    weight = np.asarray(layer.weight)
    assert weight.shape == (64, 128) and np.abs(weight).max() <= 1 / np.sqrt(128)
    assert np.abs(weight).max() > 0.9 / np.sqrt(128)  # drawn, not left at zero
    bias = np.asarray(layer.bias)
    assert abs(bias.std() - 1 / np.sqrt(128)) < 0.3 / np.sqrt(128)
    reference = torch.empty(32, 256, 1)
    torch.nn.init.xavier_uniform_(reference, gain=2.0)
    bound = reference.abs().max().item()
    a = np.asarray(layer.a)
    assert a.shape == (32, 256, 1)
    expected = 2.0 * np.sqrt(6 / (256 + 32))  # PyTorch's bound for this shape
    assert bound <= expected and 0.95 * expected < np.abs(a).max() <= expected


def test_the_translated_layer_computes_what_torch_does_with_the_same_weights() -> None:
    code = _translated(LAYER.format(init="nn.init.zeros_(self.a)"))
    torch.manual_seed(0)
    source = _run(LAYER.format(init="nn.init.zeros_(self.a)"), "layer.py")["Graph"](5, 3, 2)
    layer = _run(code, "layer_tf.py")["Graph"](5, 3, 2)
    layer.weight.assign(source.weight.detach().numpy())
    layer.bias.assign(source.bias.detach().numpy())
    assert np.abs(np.asarray(layer.a)).max() == 0
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    edges = np.array([[0, 1, 1, 3, 3], [1, 0, 2, 3, 3]])  # (3, 3) twice: summed
    sparse = "torch.sparse_coo_tensor(edges, torch.ones(5), (4, 4))"
    make = f"import torch\n\n\ndef make(edges):\n    return {sparse}.to_sparse()\n"
    adj_torch = _run(make, "make.py")["make"](torch.from_numpy(edges))
    adj_tf = _run(_translated(make), "make_tf.py")["make"](edges)
    np.testing.assert_array_equal(np.asarray(adj_tf), adj_torch.to_dense().numpy())
    want = source(torch.from_numpy(x), adj_torch).detach().numpy()
    got = np.asarray(layer(tf.constant(x), adj_tf))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("value", [3, np.int64(3), [1.0, 2.5], np.arange(4.0)])
def test_a_legacy_constructor_of_one_name_decides_as_torch_does(value) -> None:
    source = "import torch\n\n\ndef f(n):\n    return torch.FloatTensor(n), torch.LongTensor(n)\n"
    got = _run(_translated(source), "f_tf.py")["f"](value)
    want = _run(source, "f.py")["f"](value)
    for tf_tensor, torch_tensor in zip(got, want, strict=True):
        assert tf_tensor.dtype.name == str(torch_tensor.dtype).removeprefix("torch.")
        assert tuple(tf_tensor.shape) == tuple(torch_tensor.shape)
        if not isinstance(value, int | np.integer):  # a size: PyTorch's values are garbage
            np.testing.assert_array_equal(np.asarray(tf_tensor), torch_tensor.numpy())


OPTIMIZERS = [
    "torch.optim.Adam(params, lr=0.05, weight_decay=0.1)",
    "torch.optim.Adam(params, 0.02, (0.8, 0.9), weight_decay=1e-2)",
    "torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.05)",
    "torch.optim.SGD(params, lr=0.1, weight_decay=0.05)",
    # eps is added outside the root in PyTorch, inside in Keras: negligible here (EQUIVALENCE.md)
    "torch.optim.RMSprop(params, lr=0.01, eps=1e-12, weight_decay=0.2)",
    "torch.optim.AdamW(params, lr=0.05, weight_decay=0.1)",
]


@pytest.mark.parametrize("spelling", OPTIMIZERS)
def test_weight_decay_updates_as_torch_does(spelling: str) -> None:
    """Five steps on the same start and gradients: PyTorch's coupled L2 (Adam, SGD with
    momentum, RMSprop) and its decoupled AdamW give the same weights in TensorFlow."""
    source = f"import torch\n\n\ndef make(params):\n    return {spelling}\n"
    code = _translated(source)
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(5)]
    weight = torch.nn.Parameter(torch.from_numpy(start.copy()))
    optimizer = _run(source, "make.py")["make"]([weight])
    variable = tf.Variable(start)
    keras_optimizer = _run(code, "make_tf.py")["make"]([variable])
    for grad in grads:
        weight.grad = torch.from_numpy(grad)
        optimizer.step()
        keras_optimizer.apply_gradients([(tf.constant(grad), variable)])
    np.testing.assert_allclose(variable.numpy(), weight.detach().numpy(), rtol=2e-5, atol=2e-6)


INIT_IDIOMS = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)
        self.norm = nn.BatchNorm1d(3)
        self.fc.weight.data.normal_(1.0, 0.5)
        self.fc.bias.data.fill_(0.25)
        self.norm.weight.data.uniform_(2.0, 3.0)
        self.norm.bias.data.zero_()

    def forward(self, x):
        return self.norm(self.fc(x))
"""


def test_the_old_init_idiom_on_a_layers_weight_sets_its_initializer() -> None:
    """`m.weight.data.normal_(...)` (DCGAN's weights_init, written before nn.init): the
    Keras layer draws its kernel so when it builds."""
    code = _translated(INIT_IDIOMS)
    assert code.count("set_initializer(") >= 4
    net = _run(code, "net_tf.py")["Net"]()
    net(tf.zeros((2, 6)))
    kernel = net.fc.kernel.numpy()
    assert abs(kernel.mean() - 1.0) < 0.4 and 0.2 < kernel.std() < 0.9
    np.testing.assert_array_equal(net.fc.bias.numpy(), np.full(3, 0.25, np.float32))
    gamma = net.norm.gamma.numpy()
    assert ((gamma >= 2.0) & (gamma <= 3.0)).all()
    np.testing.assert_array_equal(net.norm.beta.numpy(), np.zeros(3, np.float32))


PARAMETER_LOOP = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(300, 64)
        self.attention = nn.MultiheadAttention(64, 4, batch_first=True)
        self.rnn = nn.LSTM(64, 32, batch_first=True)
        self.conv = nn.Conv1d(32, 48, 5, padding=2)
        self.fc = nn.Linear(48, 200)
        self.scale = nn.Parameter(torch.ones(96, 40))
        self._reset_parameters()

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p, gain=1.5)

    def forward(self, tokens):
        x = self.embed(tokens)
        x, _ = self.attention(x, x, x)
        x, _ = self.rnn(x)
        x = self.conv(x.transpose(1, 2)).mean(2)
        return self.fc(x)
"""


def test_an_initialising_loop_over_parameters_reaches_every_weight_keras_makes_later() -> None:
    """`for p in self.parameters(): if p.dim() > 1: nn.init.xavier_uniform_(p)` in
    __init__ (nn.Transformer's own idiom), where Keras has made none of the layers' weights
    yet: every weight of rank ≥ 2 is drawn within PyTorch's xavier bound for its PyTorch
    shape and reaches it; the biases keep their own initializers."""
    code = _translated(PARAMETER_LOOP)
    assert "init_parameters(" in code and "for p in self" not in code
    net = _run(code, "net_tf.py")["Net"]()
    net(tf.zeros((2, 7), tf.int64))
    source = _run(PARAMETER_LOOP, "net.py")["Net"]()
    bounds = sorted(  # PyTorch's xavier: fans dim 1 and dim 0, times the receptive field
        1.5 * np.sqrt(6 / ((p.shape[0] + p.shape[1]) * p.shape[2:].numel()))
        for p in source.parameters()
        if p.dim() > 1
    )
    drawn = [w for w in net.trainable_weights if len(w.shape) > 1]
    assert len(drawn) == len(bounds) == 8, [w.path for w in drawn]
    got = sorted(np.abs(w.numpy()).max() for w in drawn)
    for value, bound in zip(got, bounds, strict=True):
        assert 0.9 * bound < value <= bound * (1 + 1e-6), (got, bounds)
    biases = [w for w in net.trainable_weights if len(w.shape) == 1]
    assert biases and all(np.abs(b.numpy()).max() <= 1 / np.sqrt(32) + 1e-6 for b in biases)


def test_a_loop_test_on_more_than_the_rank_is_marked() -> None:
    """`p.shape[0]` is layout-dependent (a Keras kernel is transposed): not translated."""
    source = PARAMETER_LOOP.replace("p.dim() > 1", "p.shape[0] > 50")
    result = translate_source(source, "net.py")
    assert [c.name for c in result.report.left] == ["Module.parameters"]


TIED = """\
import torch
import torch.nn as nn


class LanguageModel(nn.Module):
    def __init__(self, kind, vocab, size, tie_weights=True):
        super().__init__()
        self.encoder = nn.Embedding(vocab, size)
        self.source_embedding = nn.Embedding(vocab, size)
        if kind in ["LSTM", "GRU"]:
            self.rnn = getattr(nn, kind)(size, size, batch_first=True)
        self.decoder = nn.Linear(size, vocab)
        self.twin = nn.Linear(size, size)
        self.project = nn.Linear(size, size, bias=False)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
            self.source_embedding.weight = self.encoder.weight
            self.project.weight = self.twin.weight
        self.decoder.bias.data.zero_()

    def forward(self, tokens):
        x = self.encoder(tokens) + self.source_embedding(tokens)
        x, _ = self.rnn(x)
        return self.decoder(self.project(x) + self.twin(x))
"""


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_tied_weights_are_one_variable_and_compute_what_torch_does(kind: str) -> None:
    """`decoder.weight = encoder.weight` (Linear ← Embedding, word_language_model),
    Embedding ← Embedding and Linear ← Linear: one variable each, moved once by
    `dlgen translate --verify`'s transfer; `getattr(nn, kind)` under `if kind in [...]`."""
    from codegen.verify.translated import transfer

    code = _translated(TIED)
    assert code.count(" = weight_tied(") == 3 and '{"LSTM": LSTM, "GRU": GRU}[kind]' in code
    torch.manual_seed(0)
    source = _run(TIED, "lm.py")["LanguageModel"](kind, 30, 8)
    net = _run(code, "lm_tf.py")["LanguageModel"](kind, 30, 8)
    tokens = np.random.default_rng(0).integers(0, 30, (2, 5))
    net(tf.constant(tokens))
    np.testing.assert_array_equal(net.decoder.bias.numpy(), np.zeros(30, np.float32))
    assert net.source_embedding is net.encoder
    shapes = [tuple(w.shape) for w in net.trainable_weights]
    assert shapes.count((30, 8)) == 1 and shapes.count((8, 8)) == 1  # one embedding, one twin
    assert transfer(source, net) > 0
    want = source(torch.from_numpy(tokens)).detach().numpy()
    got = net(tf.constant(tokens)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_a_tensor_kept_on_the_layer_between_calls_is_marked() -> None:
    """A tensor kept on `self` in forward and read back: Keras builds the model by running
    call symbolically, and the kept tensor is out of scope in the next call (word_language_
    model's TransformerModel said 100% and could not run). Stored without a cache-miss test
    (`self.mask is None`, test_translate_cache.py), it is a state and stays marked."""
    source = (
        "import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.mask = None\n\n"
        "    def forward(self, x):\n        if len(x) > 1:\n"
        "            self.mask = torch.ones(len(x), len(x))\n        return self.mask @ x\n"
    )
    result = translate_source(source, "m.py")
    assert [(c.name, c.in_output) for c in result.report.left] == [("self.mask", True)]


WEIGHT_READS = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)
        self.emb = nn.Embedding(5, 3)
        self.norm = nn.BatchNorm1d(4)

    def forward(self, x, tokens):
        x = self.conv(x).mean((2, 3))
        return self.fc(self.norm(x)), self.emb(tokens)


net = Net()
fc = nn.Linear(3, 6)


def weights():
    return net.conv.weight, net.fc.weight, net.emb.weight, net.norm.weight, fc.weight
"""


def test_a_layers_weight_read_is_pytorchs_tensor() -> None:
    """`net.fc.weight` (and `fc.weight`, `self.fc.weight`) read: the Keras weight in
    PyTorch's layout, equal to torch's after --verify's transfer."""
    from codegen.verify.translated import transfer

    code = _translated(WEIGHT_READS)
    assert code.count("torch_weight(") == 6  # five reads and the definition
    torch_ns, keras_ns = _run(WEIGHT_READS, "w.py"), _run(code, "w_tf.py")
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    keras_ns["net"](tf.constant(x), tf.constant([[1, 2]]))
    keras_ns["fc"](tf.zeros((1, 3)))
    transfer(torch_ns["net"], keras_ns["net"])
    transfer(torch_ns["fc"], keras_ns["fc"])
    for got, want in zip(keras_ns["weights"](), torch_ns["weights"](), strict=True):
        np.testing.assert_array_equal(np.asarray(got), want.detach().numpy())
