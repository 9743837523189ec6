"""The op registry (floor 1): layers, losses, optimizers and schedules."""

# Importing these modules registers their ops.
from . import layers, training
from .registry import REGISTRY, KerasCode, LayerOp, Params, Tensor, TorchCode

__all__ = [
    "REGISTRY",
    "KerasCode",
    "LayerOp",
    "Params",
    "Tensor",
    "TorchCode",
    "layers",
    "training",
]
