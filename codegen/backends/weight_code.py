"""The registry's weight rules as plain numpy code, for the tutorial's `compare.py`.

A weight rule (codegen/ops/weights.py) works on numpy arrays only: reshapes, transposes, slices,
sums and concatenations. Running it on symbolic arrays that record what is done to them yields
the expression that moves each PyTorch tensor into its Keras layer, so the generated script
moves weights exactly as `dlgen verify` does without dlgen installed, and cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..check import CheckedModel
from ..ops import weights as weight_rules


class Symbol:
    """An array known only by the expression that computes it."""

    def __init__(self, code: str, atomic: bool = True) -> None:
        self.code = code
        self.atomic = atomic

    def _operand(self) -> str:
        return self.code if self.atomic else f"({self.code})"

    @property
    def T(self) -> Symbol:  # noqa: N802 - numpy's spelling
        return Symbol(f"{self._operand()}.T")

    def reshape(self, *shape: int) -> Symbol:
        return Symbol(f"{self._operand()}.reshape({_args(shape)})")

    def transpose(self, *axes: int) -> Symbol:
        return Symbol(f"{self._operand()}.transpose({_args(axes)})")

    def __getitem__(self, key: Any) -> Symbol:
        return Symbol(f"{self._operand()}[{_index(key)}]")

    def __add__(self, other: Symbol) -> Symbol:
        return Symbol(f"{self.code} + {_code(other)}", atomic=False)

    def __getattr__(self, name: str) -> Any:
        raise TypeError(
            f"a weight rule used `.{name}`, which weight_code.Symbol does not trace; "
            "teach Symbol that operation"
        )


def _code(value: Any) -> str:
    return value.code if isinstance(value, Symbol) else repr(value)


def _args(values: tuple) -> str:
    if len(values) == 1 and isinstance(values[0], tuple | list):
        values = tuple(values[0])
    return ", ".join(_code(v) for v in values)


def _index(key: Any) -> str:
    if isinstance(key, tuple):
        return ", ".join(_index(k) for k in key)
    if isinstance(key, slice):
        start = "" if key.start is None else _code(key.start)
        stop = "" if key.stop is None else _code(key.stop)
        step = "" if key.step is None else f":{_code(key.step)}"
        return f"{start}:{stop}{step}"
    return _code(key)


class _SymbolicNumpy:
    """The few numpy functions weight rules call, applied to symbols."""

    def concatenate(self, arrays: list, axis: int = 0) -> Symbol:
        return Symbol(f"np.concatenate([{_args(tuple(arrays))}], axis={axis})")

    def stack(self, arrays: list, axis: int = 0) -> Symbol:
        return Symbol(f"np.stack([{_args(tuple(arrays))}], axis={axis})")


class _State(dict):
    """A layer's state_dict entries, each a symbol `state["<layer>.<key>"]`."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def __missing__(self, key: str) -> Symbol:
        return Symbol(f"state[{self.prefix + key!r}]")


@contextmanager
def _symbolic_numpy() -> Iterator[None]:
    original = weight_rules._np
    weight_rules._np = lambda: _SymbolicNumpy()
    try:
        yield
    finally:
        weight_rules._np = original


def keras_name(layer: str, suffix: str) -> str:
    """The Keras layer that holds a spec layer's weights (same rule as verify/transfer.py)."""
    return f"{layer}_{suffix}" if suffix else layer


def transfer_statements(checked: CheckedModel) -> list[tuple[str, list[str]]]:
    """(Keras layer name, expressions of its weights in order) for every layer with weights.

    Expressions read `state`, the PyTorch state_dict as numpy arrays, and `np`.
    """
    moves: list[tuple[str, list[str]]] = []
    with _symbolic_numpy():
        for row in checked.rows:
            rule = row.layer.op.weights
            if rule is None:
                continue
            state = _State(row.layer.name + ".")
            converted = rule.to_keras(row.layer.params, list(row.inputs), state)
            for suffix, arrays in converted.items():
                moves.append(
                    (keras_name(row.layer.name, suffix), [_code(array) for array in arrays])
                )
    return moves
