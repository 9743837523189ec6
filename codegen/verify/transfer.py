"""Move weights between a PyTorch model and its Keras twin with the registry's weight rules."""

from __future__ import annotations

from typing import Any

from ..check import CheckedModel


def keras_name(layer: str, suffix: str) -> str:
    return f"{layer}_{suffix}" if suffix else layer


def weighted_rows(checked: CheckedModel) -> list:
    return [row for row in checked.rows if row.layer.op.weights is not None]


def torch_state_in_keras_layout(checked: CheckedModel, torch_model: Any) -> dict[str, list]:
    """The PyTorch model's parameters and buffers converted by the weight rules, keyed by the
    Keras layer that holds them."""
    # copies: .numpy() shares memory with the parameters, which training then changes
    state = {k: v.detach().cpu().numpy().copy() for k, v in torch_model.state_dict().items()}
    out: dict[str, list] = {}
    for row in weighted_rows(checked):
        name = row.layer.name
        prefix = name + "."
        own = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        converted = row.layer.op.weights.to_keras(row.layer.params, list(row.inputs), own)
        for suffix, arrays in converted.items():
            out[keras_name(name, suffix)] = arrays
    return out


def torch_to_keras(checked: CheckedModel, torch_model: Any, keras_model: Any) -> None:
    """Copy every parameter and buffer of `torch_model` into `keras_model`."""
    for layer_name, arrays in torch_state_in_keras_layout(checked, torch_model).items():
        keras_model.get_layer(layer_name).set_weights(arrays)


def keras_to_torch_state(checked: CheckedModel, keras_model: Any) -> dict[str, Any]:
    """The Keras model's weights as a PyTorch state_dict of numpy arrays."""
    state: dict[str, Any] = {}
    for row in weighted_rows(checked):
        name = row.layer.name

        def get(suffix: str, name: str = name) -> list:
            return keras_model.get_layer(keras_name(name, suffix)).get_weights()

        converted = row.layer.op.weights.to_torch(row.layer.params, list(row.inputs), get)
        state.update({f"{name}.{k}": v for k, v in converted.items()})
    return state
