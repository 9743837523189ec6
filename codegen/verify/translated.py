"""`dlgen translate --verify`: prove a translated file computes what the PyTorch file computes.

Both files are imported, `CLASS(**kwargs)` is built from each, the Keras model is called once
(Keras builds its weights on the first call), every PyTorch parameter and buffer is moved across
by walking the two module trees by attribute name, and the inference-mode outputs are compared.
The numpy weight rules of `codegen/ops/weights.py` do the per-layer conversion.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from ..errors import DlgenError, Location
from ..ops import weights
from ..translate.names import keras_attr

_SHAPE = re.compile(r"^(\d+(?:x\d+)*)(?::(int|float)(?::(\d+))?)?$")


@dataclass(frozen=True)
class InputSpec:
    """`2x1x28x28` (standard normal floats) or `4x20:int:1000` (integers in [0, 1000))."""

    shape: tuple[int, ...]
    integer: bool = False
    high: int = 2

    @classmethod
    def parse(cls, text: str) -> InputSpec:
        match = _SHAPE.match(text.strip())
        if not match:
            raise DlgenError(
                f"bad input shape {text!r}; write it like 2x1x28x28 or 4x20:int:1000",
                Location("--input"),
            )
        shape = tuple(int(d) for d in match.group(1).split("x"))
        integer = match.group(2) == "int"
        high = int(match.group(3)) if match.group(3) else 2
        if 0 in shape:
            raise DlgenError(
                f"input shape {text!r} has a zero-sized axis: there would be nothing to compare",
                Location("--input"),
            )
        if match.group(3) and not integer:
            raise DlgenError(
                f"bad input shape {text!r}: an upper bound goes with int (4x20:int:1000)",
                Location("--input"),
            )
        if high < 1:
            raise DlgenError(
                f"bad input shape {text!r}: integers are drawn from [0, {high}), which is empty",
                Location("--input"),
            )
        return cls(shape, integer, high)

    def make(self, seed: int = 0) -> Any:
        import numpy as np

        rng = np.random.default_rng(seed)
        if self.integer:
            return rng.integers(0, self.high, size=self.shape, dtype=np.int64)
        return rng.standard_normal(self.shape).astype(np.float32)


@dataclass
class VerifyResult:
    """Outputs of both models and how far apart they are."""

    max_abs_diff: float
    atol: float
    outputs: list[tuple[str, tuple[int, ...], float]] = field(default_factory=list)
    moved: int = 0  # PyTorch tensors moved into the Keras model

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= self.atol


def load_module(path: Path, name: str) -> ModuleType:
    """Import a Python file under a private module name (its __main__ block does not run)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DlgenError("cannot import this file", Location(str(path)))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: one line, not a traceback
        sys.modules.pop(name, None)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise DlgenError(
            f"importing it failed: {type(exc).__name__}: {first}", Location(str(path))
        ) from exc
    return module


def _instantiate(module: ModuleType, class_name: str, kwargs: dict, path: Path) -> Any:
    cls = getattr(module, class_name, None)
    if cls is None:
        raise DlgenError(f"no class {class_name} in this file", Location(str(path)))
    return cls(**kwargs)


def _cause(exc: Exception) -> str:
    """The informative line of an exception (Keras wraps the cause in a paragraph of its own)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if len(paragraphs) > 1 and paragraphs[0].startswith("Exception encountered"):
        paragraphs = paragraphs[1:]
    return paragraphs[0].splitlines()[0][:300] if paragraphs else ""


# ---------------------------------------------------------------- weight transfer


def _np(tensor: Any) -> Any:
    return tensor.detach().cpu().numpy().copy()


def _state(module: Any) -> dict[str, Any]:
    return {k: _np(v) for k, v in module.state_dict().items()}


def _bias(module: Any) -> SimpleNamespace:
    return SimpleNamespace(bias=getattr(module, "bias", None) is not None)


def _linear(tm: Any, ko: Any) -> None:
    p = SimpleNamespace(bias=tm.bias is not None, out_features=tm.out_features)
    ko.set_weights(weights.LINEAR.to_keras(p, [SimpleNamespace(flat_from=None)], _state(tm))[""])


def _conv(rank: int):
    def move(tm: Any, ko: Any) -> None:
        state = _state(tm)
        inner = ko.conv
        if type(inner).__name__ == "DepthwiseConv2D":
            w = state["weight"]
            channels = tm.in_channels
            kernel = w.reshape(channels, w.shape[0] // channels, *w.shape[2:]).transpose(2, 3, 0, 1)
            inner.set_weights([kernel, state["bias"]] if tm.bias is not None else [kernel])
            return
        inner.set_weights(weights.conv_rule(rank).to_keras(_bias(tm), [], state)[""])

    return move


def _conv_transpose(tm: Any, ko: Any) -> None:
    ko.conv.set_weights(weights.CONV_TRANSPOSE.to_keras(_bias(tm), [], _state(tm))[""])


def _batchnorm(tm: Any, ko: Any) -> None:
    state = _state(tm)
    if tm.affine:
        ko.set_weights(weights.BATCHNORM.to_keras(None, [], state)[""])
    else:
        ko.set_weights([state["running_mean"], state["running_var"]])


def _affine_norm(tm: Any, ko: Any) -> None:
    state = _state(tm)
    if "weight" in state:
        ko.set_weights([state["weight"], state["bias"]])


def _embedding(tm: Any, ko: Any) -> None:
    ko.set_weights(weights.EMBEDDING.to_keras(None, [], _state(tm))[""])


def _recurrent(tm: Any, ko: Any) -> None:
    kind = type(tm).__name__
    state = _state(tm)
    p = SimpleNamespace(
        num_layers=tm.num_layers, bidirectional=tm.bidirectional, hidden_size=tm.hidden_size
    )
    if kind in ("LSTM", "GRU"):
        converted = weights.rnn_rule(kind.lower()).to_keras(p, [], state)
    else:  # plain RNN: one kernel, one recurrent kernel, the two biases summed
        converted = {}
        for layer in range(tm.num_layers):
            arrays: list = []
            for direction in ("", "_reverse") if tm.bidirectional else ("",):
                key = f"l{layer}{direction}"
                arrays += [
                    state[f"weight_ih_{key}"].T,
                    state[f"weight_hh_{key}"].T,
                    state[f"bias_ih_{key}"] + state[f"bias_hh_{key}"],
                ]
            converted["" if layer == tm.num_layers - 1 else f"l{layer}"] = arrays
    for suffix, arrays in converted.items():
        index = len(ko.rnns) - 1 if suffix == "" else int(suffix[1:])
        ko.rnns[index].set_weights(arrays)


def _cell(tm: Any, ko: Any) -> None:
    kind = "lstm" if type(tm).__name__ == "LSTMCell" else "gru"
    state = {f"{k}_l0": v for k, v in _state(tm).items()}
    p = SimpleNamespace(num_layers=1, bidirectional=False, hidden_size=tm.hidden_size)
    ko.cell.set_weights(weights.rnn_rule(kind).to_keras(p, [], state)[""])


CONVERTERS = {
    "Linear": _linear,
    "Conv1d": _conv(1),
    "Conv2d": _conv(2),
    "ConvTranspose2d": _conv_transpose,
    "BatchNorm1d": _batchnorm,
    "BatchNorm2d": _batchnorm,
    "InstanceNorm2d": _affine_norm,
    "GroupNorm": _affine_norm,
    "LayerNorm": _affine_norm,
    "Embedding": _embedding,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "RNN": _recurrent,
    "LSTMCell": _cell,
    "GRUCell": _cell,
}


def _child(tm: Any, ko: Any, name: str) -> Any:
    import torch

    if isinstance(tm, torch.nn.Sequential):  # by position (OrderedDict names are dropped)
        return ko.layers[[n for n, _ in tm.named_children()].index(name)]
    if isinstance(tm, torch.nn.ModuleList):
        return ko[int(name)]
    if isinstance(tm, torch.nn.ModuleDict):
        return ko[name]
    attr = keras_attr(name)
    if not hasattr(ko, attr):
        raise DlgenError(f"the Keras model has no attribute {attr} to receive {name}")
    return getattr(ko, attr)


def transfer(torch_module: Any, keras_object: Any, path: str = "") -> int:
    """Copy every parameter and buffer of `torch_module` into the built `keras_object`;
    returns how many PyTorch modules with weights were moved."""
    kind = type(torch_module).__name__
    if kind in CONVERTERS:
        if any(True for _ in torch_module.parameters()) or any(
            True for _ in torch_module.buffers()
        ):
            CONVERTERS[kind](torch_module, keras_object)
            return 1
        return 0
    moved = 0
    for name, tensor in [
        *torch_module.named_parameters(recurse=False),
        *torch_module.named_buffers(recurse=False),
    ]:
        target = getattr(keras_object, keras_attr(name), None)
        if target is None or not hasattr(target, "assign"):
            raise DlgenError(f"no Keras variable for {path}{name}")
        target.assign(_np(tensor))
        moved += 1
    for name, child in torch_module.named_children():
        if not any(True for _ in child.parameters()) and not any(True for _ in child.buffers()):
            continue
        moved += transfer(child, _child(torch_module, keras_object, name), f"{path}{name}.")
    return moved


# ---------------------------------------------------------------- comparison


def _flatten(value: Any) -> list:
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _to_numpy(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def verify_files(
    torch_file: Path,
    tf_file: Path,
    class_name: str,
    input_spec: InputSpec,
    atol: float = 1e-5,
    dump: Path | None = None,
    kwargs: dict | None = None,
    compare: list[int] | None = None,
) -> VerifyResult:
    """Instantiate `class_name` from both files, move the weights, compare outputs (all, or
    the indices in `compare` for models with random outputs even in inference mode)."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    import torch

    kwargs = kwargs or {}
    stem = re.sub(r"\W", "_", Path(torch_file).stem)
    torch_module = load_module(Path(torch_file), f"_dlgen_torch_{stem}_{id(torch_file)}")
    tf_module = load_module(Path(tf_file), f"_dlgen_tf_{stem}_{id(tf_file)}")
    torch.manual_seed(0)
    torch_model = _instantiate(torch_module, class_name, kwargs, Path(torch_file))
    torch_model.eval()
    keras_model = _instantiate(tf_module, class_name, kwargs, Path(tf_file))
    x = input_spec.make()
    try:
        keras_model(tf.constant(x), training=False)  # builds the weights
    except Exception as exc:  # noqa: BLE001 - reported as the translated model's failure
        first = _cause(exc)
        raise DlgenError(
            f"the translated {class_name} fails on input {input_spec.shape}: "
            f"{type(exc).__name__}: {first}",
            Location(str(tf_file)),
        ) from exc
    moved = transfer(torch_model, keras_model)
    with torch.no_grad():
        torch_out = _flatten(torch_model(torch.from_numpy(x)))
    tf_out = _flatten(keras_model(tf.constant(x), training=False))
    if len(torch_out) != len(tf_out):
        raise DlgenError(
            f"PyTorch returned {len(torch_out)} outputs, TensorFlow {len(tf_out)}",
            Location(str(tf_file)),
        )
    result = VerifyResult(0.0, atol, moved=moved)
    arrays: dict[str, Any] = {"input": x}
    for index, (a, b) in enumerate(zip(torch_out, tf_out, strict=True)):
        ta, tb = _to_numpy(a), _to_numpy(b)
        label = "output" if len(torch_out) == 1 else f"output/{index}"
        if ta.shape != tb.shape:
            raise DlgenError(
                f"{label}: PyTorch shape {ta.shape}, TensorFlow shape {tb.shape}",
                Location(str(tf_file)),
            )
        diff = (
            float(np.max(np.abs(ta.astype(np.float64) - tb.astype(np.float64)))) if ta.size else 0.0
        )
        shown = label
        if compare is not None and index not in compare:
            shown, diff = f"{label} (random, not compared)", 0.0
        result.outputs.append((shown, tuple(ta.shape), diff))
        result.max_abs_diff = max(result.max_abs_diff, diff)
        arrays[f"torch_{label}"] = ta
        arrays[f"tf_{label}"] = tb
    if dump is not None:
        for key, value in torch_model.state_dict().items():
            arrays[f"torch/{key}"] = _np(value)
        for variable in keras_model.variables:
            arrays[f"tf/{variable.path}"] = np.asarray(variable.numpy())
        np.savez(dump, **arrays)
    return result
