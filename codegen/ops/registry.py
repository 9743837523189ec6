"""The op registry: one entry per op, the single source of truth for every part of dlgen.

An entry knows its parameters (a pydantic model), its shape rule, how PyTorch spells it
(a module built in ``__init__`` or a functional call in ``forward``) and how Keras spells it.
Entries are checked when they are registered, so a missing spelling fails at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Base of every op's parameter model: strict, frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


@dataclass(frozen=True)
class Tensor:
    """A tensor flowing through the model, described without its batch dimension.

    ``shape`` is in PyTorch layout. ``channels_first`` marks feature maps (C, L) / (C, H, W)
    whose Keras layout moves the channel axis to the end.
    """

    shape: tuple[int, ...]
    channels_first: bool = False
    integer: bool = False
    flat_from: tuple[int, ...] | None = None  # the feature-map shape a flatten came from

    @property
    def keras_shape(self) -> tuple[int, ...]:
        if self.channels_first and len(self.shape) >= 2:
            return (*self.shape[1:], self.shape[0])
        return self.shape

    @property
    def feature_axis(self) -> int:
        """The axis (batch axis 0) whose entries are the features: one statistic each in
        preprocessing. Channels for feature maps, else the last axis (PyTorch layout)."""
        return 1 if self.channels_first else len(self.shape)

    @property
    def feature_count(self) -> int:
        return self.shape[self.feature_axis - 1]

    def __str__(self) -> str:
        return str(self.shape)


@dataclass(frozen=True)
class TorchCode:
    """How one layer appears in a PyTorch ``nn.Module``.

    ``module`` is the constructor expression assigned in ``__init__`` (None for stateless ops,
    which are written as functional calls). ``forward`` holds statement templates where
    ``{out}``, ``{x}`` (the first input), ``{inputs}`` (all inputs, comma separated) and
    ``{self}`` (``self.<attr>``) are filled in by the backend.
    """

    forward: tuple[str, ...]
    module: str | None = None
    imports: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()  # statements run in __init__ right after the module is built


@dataclass(frozen=True)
class KerasCode:
    """How one layer appears in Keras: one or more layers, in order.

    Each entry is (class, argument source texts, name suffix). The layer with weights has the
    empty suffix and so carries the spec's layer name; helpers (padding, cropping, the lower
    layers of a stacked RNN) are named ``<name>_<suffix>``.
    """

    layers: tuple[tuple[str, tuple[str, ...], str], ...]


ShapeRule = Callable[[Any, list[Tensor]], Tensor]
TorchRule = Callable[[Any, list[Tensor]], TorchCode]
KerasRule = Callable[[Any, list[Tensor]], KerasCode]


@dataclass(frozen=True)
class LayerOp:
    """One layer op: parameters, shape rule and both spellings."""

    name: str
    summary: str
    params: type[Params]
    torch_name: str
    keras_name: str
    infer: ShapeRule
    torch: TorchRule
    keras: KerasRule
    min_inputs: int = 1
    max_inputs: int | None = 1
    has_weights: bool = False
    aliases: tuple[str, ...] = ()
    stem: str = ""  # prefix of automatic layer names (conv1, fc2, ...); the op name when empty
    weights: Any = None  # a weights.WeightRule for ops with parameters
    keras_sparse_gradient: bool = False  # TF gives IndexedSlices; PyTorch's default is dense
    # A class the op's code uses that each generated model.py defines: the snippet
    # templates/<framework>/defines/<defines>.py.j2 (empty: the op is a framework class).
    defines: str = ""

    @property
    def name_stem(self) -> str:
        return self.stem or self.name


@dataclass(frozen=True)
class LossOp:
    """A loss: PyTorch constructor and the Keras expression that computes the same number."""

    name: str
    summary: str
    params: type[Params]
    torch: Callable[[Any], str]
    keras: Callable[[Any], str]
    torch_name: str
    keras_name: str
    task: str  # "classification", "binary" or "regression"
    expects: str  # what the model output must be, for messages
    keras_helper: Callable[[Any], str] = lambda p: ""  # a function the Keras code must define


@dataclass(frozen=True)
class OptimizerOp:
    """An optimizer: PyTorch and Keras constructor expressions with every hyperparameter spelled."""

    name: str
    summary: str
    params: type[Params]
    torch: Callable[[Any], str]
    keras: Callable[[Any], str]
    torch_name: str
    keras_name: str
    keras_l2: Callable[[Any], float]  # coupled weight decay the Keras side adds as L2 terms
    # Epsilon enters the two frameworks' updates differently and cannot be mapped exactly;
    # (torch eps, keras epsilon) small enough to vanish, used by `dlgen verify`. None: no eps.
    negligible_eps: tuple[float, float] | None = None
    # Where a per-step PyTorch eps reproduces Keras's placement exactly: step (1-based) → eps.
    torch_eps_matching_keras: Callable[[Any, int], float] | None = None


@dataclass(frozen=True)
class ScheduleOp:
    """A per-epoch learning-rate schedule: a torch scheduler and the closed form for Keras."""

    name: str
    summary: str
    params: type[Params]
    torch: Callable[[Any], str]
    keras_lr: Callable[[Any], str]  # expression of `epoch` and `lr`
    torch_name: str
    keras_name: str


@dataclass
class Registry:
    """All ops by name, filled once at import time."""

    layers: dict[str, LayerOp] = field(default_factory=dict)
    losses: dict[str, LossOp] = field(default_factory=dict)
    optimizers: dict[str, OptimizerOp] = field(default_factory=dict)
    schedules: dict[str, ScheduleOp] = field(default_factory=dict)
    # Layers dlgen inserts itself (from the data section); a spec cannot name them.
    automatic: dict[str, LayerOp] = field(default_factory=dict)

    def add_layer(self, op: LayerOp) -> LayerOp:
        _add(self.layers, op.name, op)
        return op

    def add_automatic_layer(self, op: LayerOp) -> LayerOp:
        if op.name in self.layers:
            raise ValueError(f"op {op.name!r} is registered twice")
        _add(self.automatic, op.name, op)
        return op

    def add_loss(self, op: LossOp) -> LossOp:
        _add(self.losses, op.name, op)
        return op

    def add_optimizer(self, op: OptimizerOp) -> OptimizerOp:
        _add(self.optimizers, op.name, op)
        return op

    def add_schedule(self, op: ScheduleOp) -> ScheduleOp:
        _add(self.schedules, op.name, op)
        return op


def _add(table: dict[str, Any], name: str, op: Any) -> None:
    if name in table:
        raise ValueError(f"op {name!r} is registered twice")
    if getattr(op, "has_weights", False) and op.weights is None:
        raise ValueError(f"op {name!r} has weights but no weight rule")
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"op name {name!r} must be a lower-case identifier")
    for attr in ("torch_name", "keras_name", "summary"):
        if not getattr(op, attr):
            raise ValueError(f"op {name!r} has no {attr}")
    table[name] = op


REGISTRY = Registry()


# Regularizer keyword arguments of each weighted Keras layer class: the TF backend adds them
# when PyTorch's coupled weight decay (an L2 term) must be reproduced.
KERAS_REGULARIZERS: dict[str, tuple[str, ...]] = {
    "layers.Dense": ("kernel_regularizer", "bias_regularizer"),
    "layers.Conv1D": ("kernel_regularizer", "bias_regularizer"),
    "layers.Conv2D": ("kernel_regularizer", "bias_regularizer"),
    "layers.Conv2DTranspose": ("kernel_regularizer", "bias_regularizer"),
    "layers.BatchNormalization": ("gamma_regularizer", "beta_regularizer"),
    "layers.LayerNormalization": ("gamma_regularizer", "beta_regularizer"),
    "layers.Embedding": ("embeddings_regularizer",),
    "CategoricalEmbedding": ("embeddings_regularizer",),
    "layers.LSTM": ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"),
    "layers.GRU": ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"),
}
