"""Move weights between a PyTorch model and its Keras twin with the registry's weight rules."""

from __future__ import annotations

from typing import Any

from ..check import CheckedModel


def keras_name(layer: str, suffix: str) -> str:
    return f"{layer}_{suffix}" if suffix else layer


def weighted_rows(checked: CheckedModel) -> list:
    return [row for row in checked.rows if row.layer.op.weights is not None]


def torch_to_keras(checked: CheckedModel, torch_model: Any, keras_model: Any) -> None:
    """Copy every parameter and buffer of `torch_model` into `keras_model`."""
    state = {k: v.detach().cpu().numpy() for k, v in torch_model.state_dict().items()}
    for row in weighted_rows(checked):
        name = row.layer.name
        prefix = name + "."
        own = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        converted = row.layer.op.weights.to_keras(row.layer.params, list(row.inputs), own)
        for suffix, arrays in converted.items():
            keras_model.get_layer(keras_name(name, suffix)).set_weights(arrays)


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


def keras_to_torch(checked: CheckedModel, keras_model: Any, torch_model: Any) -> None:
    """Copy the Keras weights into `torch_model` (the reverse direction)."""
    import torch

    state = {k: torch.as_tensor(v) for k, v in keras_to_torch_state(checked, keras_model).items()}
    torch_model.load_state_dict(state)
