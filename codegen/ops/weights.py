"""Weight rules: how each op's PyTorch tensors map to its Keras layers' weights, both ways.

A rule works on numpy arrays only. `to_keras` takes the op's state_dict entries (keys relative to
the module, e.g. "weight", "weight_ih_l0") and returns Keras weight lists by layer-name suffix
("" is the layer named after the spec layer; "l0" is `<name>_l0`, ...). `to_torch` is the inverse;
it receives a function suffix → that Keras layer's weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Arrays = dict[str, Any]
KerasWeights = dict[str, list[Any]]


@dataclass(frozen=True)
class WeightRule:
    """Moves one op's weights between PyTorch and Keras."""

    to_keras: Callable[[Any, list, Arrays], KerasWeights]
    to_torch: Callable[[Any, list, Callable[[str], list[Any]]], Arrays]


def _np():
    import numpy

    return numpy


# ---------------------------------------------------------------- dense


def _linear_to_keras(p: Any, inputs: list, state: Arrays) -> KerasWeights:
    weight = state["weight"]
    flat = inputs[0].flat_from
    if flat and len(flat) >= 2:
        # torch flattens (C, *S); Keras flattens (*S, C): reorder the kernel's input rows.
        channels, spatial = flat[0], flat[1:]
        rank = len(spatial)
        kernel = (
            weight.reshape(p.out_features, channels, *spatial)
            .transpose(*range(2, 2 + rank), 1, 0)
            .reshape(-1, p.out_features)
        )
    else:
        kernel = weight.T
    return {"": [kernel, state["bias"]] if p.bias else [kernel]}


def _linear_to_torch(p: Any, inputs: list, get: Callable[[str], list]) -> Arrays:
    weights = get("")
    kernel = weights[0]
    flat = inputs[0].flat_from
    if flat and len(flat) >= 2:
        channels, spatial = flat[0], flat[1:]
        rank = len(spatial)
        weight = (
            kernel.reshape(*spatial, channels, p.out_features)
            .transpose(rank + 1, rank, *range(rank))
            .reshape(p.out_features, -1)
        )
    else:
        weight = kernel.T
    out = {"weight": weight}
    if p.bias:
        out["bias"] = weights[1]
    return out


LINEAR = WeightRule(_linear_to_keras, _linear_to_torch)


# ---------------------------------------------------------------- convolutions


def conv_rule(rank: int) -> WeightRule:
    """Conv{rank}d: (O, I, *k) ↔ Keras (*k, I, O)."""

    def to_keras(p: Any, inputs: list, state: Arrays) -> KerasWeights:
        kernel = state["weight"].transpose(*range(2, 2 + rank), 1, 0)
        return {"": [kernel, state["bias"]] if p.bias else [kernel]}

    def to_torch(p: Any, inputs: list, get: Callable[[str], list]) -> Arrays:
        weights = get("")
        out = {"weight": weights[0].transpose(rank + 1, rank, *range(rank))}
        if p.bias:
            out["bias"] = weights[1]
        return out

    return WeightRule(to_keras, to_torch)


def _convt_to_keras(p: Any, inputs: list, state: Arrays) -> KerasWeights:
    kernel = state["weight"].transpose(2, 3, 1, 0)  # (I, O, kh, kw) → (kh, kw, O, I), no flip
    return {"": [kernel, state["bias"]] if p.bias else [kernel]}


def _convt_to_torch(p: Any, inputs: list, get: Callable[[str], list]) -> Arrays:
    weights = get("")
    out = {"weight": weights[0].transpose(3, 2, 0, 1)}
    if p.bias:
        out["bias"] = weights[1]
    return out


CONV_TRANSPOSE = WeightRule(_convt_to_keras, _convt_to_torch)


# ---------------------------------------------------------------- normalization and lookup


def _bn_to_keras(p: Any, inputs: list, state: Arrays) -> KerasWeights:
    return {"": [state["weight"], state["bias"], state["running_mean"], state["running_var"]]}


def _bn_to_torch(p: Any, inputs: list, get: Callable[[str], list]) -> Arrays:
    gamma, beta, mean, var = get("")
    np = _np()
    return {
        "weight": gamma,
        "bias": beta,
        "running_mean": mean,
        "running_var": var,
        "num_batches_tracked": np.array(0, dtype=np.int64),
    }


BATCHNORM = WeightRule(_bn_to_keras, _bn_to_torch)

LAYERNORM = WeightRule(
    lambda p, inputs, state: {"": [state["weight"], state["bias"]]},
    lambda p, inputs, get: dict(zip(("weight", "bias"), get(""), strict=True)),
)

EMBEDDING = WeightRule(
    lambda p, inputs, state: {"": [state["weight"]]},
    lambda p, inputs, get: {"weight": get("")[0]},
)

# One nn.Embedding per column in a ModuleList ↔ the Keras layer's Embedding sublayers, in order.
CATEGORICAL_EMBEDDING = WeightRule(
    lambda p, inputs, state: {"": [state[f"embeddings.{i}.weight"] for i in range(len(p.sizes))]},
    lambda p, inputs, get: {f"embeddings.{i}.weight": w for i, w in enumerate(get(""))},
)


# ---------------------------------------------------------------- recurrent layers


def _gru_reorder(array: Any, hidden: int) -> Any:
    """Swap the first two gate blocks along axis 0: PyTorch (r, z, n) ↔ Keras (z, r, n)."""
    np = _np()
    r, z, n = array[:hidden], array[hidden : 2 * hidden], array[2 * hidden :]
    return np.concatenate([z, r, n], axis=0)


def rnn_rule(kind: str) -> WeightRule:
    """LSTM / GRU, stacked and bidirectional (EQUIVALENCE.md §5)."""

    def suffix(layer: int, p: Any) -> str:
        return "" if layer == p.num_layers - 1 else f"l{layer}"

    def directions(p: Any) -> tuple[str, ...]:
        return ("", "_reverse") if p.bidirectional else ("",)

    def one_to_keras(p: Any, state: Arrays, key: str) -> list:
        w_ih, w_hh = state[f"weight_ih_{key}"], state[f"weight_hh_{key}"]
        b_ih, b_hh = state[f"bias_ih_{key}"], state[f"bias_hh_{key}"]
        if kind == "lstm":
            return [w_ih.T, w_hh.T, b_ih + b_hh]
        h = p.hidden_size
        np = _np()
        bias = np.stack([_gru_reorder(b_ih, h), _gru_reorder(b_hh, h)])
        return [_gru_reorder(w_ih, h).T, _gru_reorder(w_hh, h).T, bias]

    def one_to_torch(p: Any, weights: list, key: str) -> Arrays:
        kernel, recurrent, bias = weights
        np = _np()
        if kind == "lstm":
            b_ih, b_hh = bias, np.zeros_like(bias)
            w_ih, w_hh = kernel.T, recurrent.T
        else:
            h = p.hidden_size
            w_ih, w_hh = _gru_reorder(kernel.T, h), _gru_reorder(recurrent.T, h)
            b_ih, b_hh = _gru_reorder(bias[0], h), _gru_reorder(bias[1], h)
        return {
            f"weight_ih_{key}": w_ih,
            f"weight_hh_{key}": w_hh,
            f"bias_ih_{key}": b_ih,
            f"bias_hh_{key}": b_hh,
        }

    def to_keras(p: Any, inputs: list, state: Arrays) -> KerasWeights:
        out: KerasWeights = {}
        for layer in range(p.num_layers):
            weights: list = []
            for direction in directions(p):  # Bidirectional: forward weights, then backward
                weights += one_to_keras(p, state, f"l{layer}{direction}")
            out[suffix(layer, p)] = weights
        return out

    def to_torch(p: Any, inputs: list, get: Callable[[str], list]) -> Arrays:
        out: Arrays = {}
        for layer in range(p.num_layers):
            weights = get(suffix(layer, p))
            for index, direction in enumerate(directions(p)):
                out.update(
                    one_to_torch(p, weights[3 * index : 3 * index + 3], f"l{layer}{direction}")
                )
        return out

    return WeightRule(to_keras, to_torch)
