"""Generated layers compute what `dlgen check` computed, argument by argument.

Two checks of the op registry's spellings, without writing a project:
- every default in `TORCH_DEFAULTS` / `KERAS_DEFAULTS` (a keyword equal to it is left out of
  generated code) is the default of the real callable's signature;
- for drawn parameters and inputs, each op's rendered PyTorch code and Keras layers, executed
  on their own, give exactly the shape the op's shape rule gave `dlgen check`.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import strategies as S
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from codegen.ops import REGISTRY, Tensor
from codegen.ops.layers import KERAS_DEFAULTS, TORCH_DEFAULTS

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

# Callables whose own signature hides the defaults (a dispatch wrapper, a C builtin, `*args`):
# the documented class that takes the same keywords with the same defaults.
_TORCH_SIGNATURE_OF = {
    "F.max_pool2d": torch.nn.MaxPool2d,
    "F.avg_pool2d": torch.nn.AvgPool2d,
    "nn.LSTM": torch.nn.modules.rnn.RNNBase,
    "nn.GRU": torch.nn.modules.rnn.RNNBase,
}
_TORCH_NAMES = {"nn": torch.nn, "F": torch.nn.functional, "torch": torch}
_KERAS_NAMES = {"layers": keras.layers, "keras": keras}


def _resolve(name: str, namespace: dict[str, Any]) -> Any:
    head, _, attr = name.partition(".")
    return getattr(namespace[head], attr)


def _defaults(target: Any) -> dict[str, Any]:
    signature = inspect.signature(target.__init__ if inspect.isclass(target) else target)
    return {
        name: _scalar(param.default)
        for name, param in signature.parameters.items()
        if param.default is not inspect.Parameter.empty
    }


def _scalar(value: Any) -> Any:
    """Keras spells a default stride (1, 1) and reads an int n as (n, n): the same value."""
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return value[0]
    return value


@pytest.mark.parametrize("name", sorted(TORCH_DEFAULTS))
def test_torch_defaults_are_pytorchs(name: str) -> None:
    real = _defaults(_TORCH_SIGNATURE_OF.get(name) or _resolve(name, _TORCH_NAMES))
    for keyword, value in TORCH_DEFAULTS[name].items():
        assert keyword in real, f"{name} has no keyword {keyword}"
        assert real[keyword] == value, f"{name}({keyword}=...) defaults to {real[keyword]!r}"


@pytest.mark.parametrize("name", sorted(KERAS_DEFAULTS))
def test_keras_defaults_are_keras(name: str) -> None:
    real = _defaults(_resolve(name, _KERAS_NAMES))
    for keyword, value in KERAS_DEFAULTS[name].items():
        assert keyword in real, f"{name} has no keyword {keyword}"
        assert real[keyword] == value, f"{name}({keyword}=...) defaults to {real[keyword]!r}"


# ---------------------------------------------------------------- rendered code, run alone

_SIZES = st.integers(1, 9)
TENSORS = st.one_of(
    st.builds(lambda n: Tensor((n,)), _SIZES),
    st.builds(lambda n: Tensor((n,), integer=True), _SIZES),
    st.builds(lambda steps, n: Tensor((steps, n)), _SIZES, _SIZES),  # a sequence
    st.builds(lambda c, n: Tensor((c, n), channels_first=True), st.integers(1, 3), _SIZES),
    st.builds(
        lambda c, h, w: Tensor((c, h, w), channels_first=True),
        st.integers(1, 3),
        st.integers(1, 9),
        st.integers(1, 9),
    ),
)
# Ops whose code uses a class each generated model.py defines (not a framework class).
_SELF_DEFINED = sorted(name for name, op in REGISTRY.layers.items() if op.defines)


def run_torch(op: Any, params: Any, inputs: list[Tensor]) -> tuple[int, ...]:
    code = op.torch(params, inputs)
    namespace: dict[str, Any] = dict(_TORCH_NAMES)
    if code.module:
        namespace["layer"] = eval(code.module, namespace)
        exec("\n".join(code.setup).format(self="layer"), namespace)
    names = [f"x{i}" for i in range(len(inputs))]
    for name, tensor in zip(names, inputs, strict=True):
        dtype = torch.long if tensor.integer else torch.float32
        namespace[name] = torch.zeros((2, *tensor.shape), dtype=dtype)
    fill = {
        "out": "out",
        "x": names[0],
        "inputs": ", ".join(names),
        "plus": " + ".join(names),
        "self": "layer",
    }
    exec("\n".join(line.format(**fill) for line in code.forward), namespace)
    return tuple(namespace["out"].shape)


def run_keras(op: Any, params: Any, inputs: list[Tensor]) -> tuple[int, ...]:
    tensors = [
        keras.Input(shape=t.keras_shape, dtype="int64" if t.integer else "float32") for t in inputs
    ]
    x: Any = tensors if len(tensors) > 1 else tensors[0]
    for cls, args, _suffix in op.keras(params, inputs).layers:
        x = eval(f"{cls}({', '.join(args)})", dict(_KERAS_NAMES))(x)
    return tuple(x.shape)


@pytest.mark.parametrize(
    "name", [name for name in sorted(REGISTRY.layers) if name not in _SELF_DEFINED]
)
def test_rendered_layer_has_the_checked_shape(name: str) -> None:
    """Each op's PyTorch and Keras code, built from drawn parameters, gives the shape rule's
    output (a keyword left out where its default differs from the spec's shows up here)."""
    op = REGISTRY.layers[name]

    @settings(S.RELIABLE, max_examples=25)
    @given(tensor=TENSORS, data=st.data())
    def run(tensor: Tensor, data: st.DataObject) -> None:
        inputs = [tensor] * max(op.min_inputs, 1)
        made = data.draw(S.layer_on(inputs, {}, ops=[name]))
        assume(made is not None)
        layer, expected = made
        params = op.params.model_validate({k: v for k, v in layer.items() if k != "op"})
        assert run_torch(op, params, inputs) == (2, *expected.shape), layer
        assert run_keras(op, params, inputs) == (None, *expected.keras_shape), layer

    run()


@pytest.mark.parametrize("op", ["maxpool2d", "avgpool2d"])
def test_pool_stride_one_is_spelled(op: str) -> None:
    """`stride: 1` under a 3-wide window: both frameworks default to stride 3 when it is
    left out, so it must be written (#17)."""
    entry = REGISTRY.layers[op]
    params = entry.params.model_validate({"kernel_size": 3, "stride": 1})
    inputs = [Tensor((1, 8, 8), channels_first=True)]
    expected = entry.infer(params, inputs)
    assert expected.shape == (1, 6, 6)
    assert run_torch(entry, params, inputs) == (2, 1, 6, 6)
    assert run_keras(entry, params, inputs) == (None, 6, 6, 1)
