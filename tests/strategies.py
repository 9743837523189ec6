"""Hypothesis strategies shared by the reliability tests and `bench/fuzz.py`.

Valid specs are drawn from the op registry itself: each layer's parameters come from its
pydantic parameter model (types and bounds read from the fields), and a layer is kept only
when the registry's own shape rule accepts it. Nothing here knows an op by name except the
few parameter *fields* whose useful values depend on the incoming tensor (`FIELD_HINTS`).
Invalid inputs are mutations of valid specs (wrong types, unknown keys and ops, impossible
shapes, negative sizes, empty models, cycles, duplicate names) and broken YAML or bytes.
"""

from __future__ import annotations

import copy
import keyword
import math
import os
import re
import traceback
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from codegen.check import _HEAD_RULES
from codegen.errors import ShapeError
from codegen.ops import REGISTRY, Tensor
from codegen.spec.model import FRAMEWORK_FORMATS
from codegen.spec.names import RESERVED, check_layer_name

# Keep drawn models small: every draw is built in both frameworks.
MAX_ELEMENTS = 2048
MAX_BODY = 5
NICE_FLOATS = (0.0, 1e-8, 1e-5, 1e-3, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0, 1.5, 2.0)

# Known bugs outside the reliability files, each with an xfail(strict) test showing it; the
# valid-spec strategies steer around them so the property tests keep testing everything else.
# Remove an entry once its bug is fixed (the xfail test then fails as XPASS to remind you).
# Ops the strategy lets read integer token ids (everything else is skipped on token ids):
# several ops' shape rules accept token ids and the generated code then fails (see
# test_bad_input.py::test_known_bug_*).
TOKEN_OPS = ("embedding", "flatten")
# Ops whose shape rule accepts a rank-2/3 tensor that is not channels-first (a sequence, or a
# reshape without `image: true`), where Keras then works on other axes than PyTorch
# (test_bad_input.py::test_known_bug_spatial_op_on_sequence). Only drawn on feature maps.
FEATURE_MAP_OPS = (
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "maxpool2d",
    "avgpool2d",
    "global_avg_pool2d",
    "adaptive_avg_pool2d",
)


def steer_clear(op: str, params: Any) -> bool:
    """Parameter combinations with a known bug (an xfail test each): not drawn as valid."""
    # Keras's Conv2DTranspose makes (H-1)*s + k + (s-k) where k < s: test_known_bug_conv_transpose
    return op == "conv_transpose2d" and params.kernel_size < params.stride


# ---------------------------------------------------------------- parameters from the registry


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None, bool, bool]:
    lo = hi = None
    lo_open = hi_open = False
    for item in metadata:
        if isinstance(item, annotated_types.Gt):
            lo, lo_open = item.gt, True
        elif isinstance(item, annotated_types.Ge):
            lo, lo_open = item.ge, False
        elif isinstance(item, annotated_types.Lt):
            hi, hi_open = item.lt, True
        elif isinstance(item, annotated_types.Le):
            hi, hi_open = item.le, False
    return lo, hi, lo_open, hi_open


def _in_bounds(value: float, lo, hi, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (value <= lo if lo_open else value < lo):
        return False
    return not (hi is not None and (value >= hi if hi_open else value > hi))


def _ints(metadata: list[Any]) -> st.SearchStrategy[int]:
    lo, hi, lo_open, hi_open = _bounds(metadata)
    low = -2 if lo is None else int(lo) + (1 if lo_open else 0)
    high = low + 6 if hi is None else int(hi) - (1 if hi_open else 0)
    return st.integers(low, max(low, min(high, low + 6)))


def _floats(metadata: list[Any]) -> st.SearchStrategy[float]:
    lo, hi, lo_open, hi_open = _bounds(metadata)
    nice = [v for v in NICE_FLOATS if _in_bounds(v, lo, hi, lo_open, hi_open)]
    low = -2.0 if lo is None else float(lo)
    high = 2.0 if hi is None else float(hi)
    anywhere = st.floats(
        low,
        high,
        exclude_min=lo_open,
        exclude_max=hi_open,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,  # a subnormal weight_decay: see test_known_bug_subnormal_l2
    )
    return st.one_of(st.sampled_from(nice), anywhere) if nice else anywhere


def type_strategy(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """Values of a pydantic field type, within its bounds."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_strategy(args[0], [*metadata, *args[1:]])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        options = [type_strategy(a, metadata) for a in inner]
        if len(inner) < len(args):
            options.insert(0, st.none())
        return st.one_of(*options)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.tuples(*(type_strategy(a, []) for a in args))
    if origin is list:
        return st.lists(type_strategy(args[0], []), min_size=1, max_size=3)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return _ints(metadata)
    if annotation is float:
        if not metadata:  # unbounded (a tuple of betas, a softmax-free float): keep it tame
            return st.sampled_from((0.0, 0.5, 0.9, 0.99, 0.999))
        return _floats(metadata)
    if annotation is str:
        return st.text("abcxyz_", min_size=1, max_size=6)
    raise NotImplementedError(f"no strategy for parameter type {annotation!r}")


def _factorizations(size: int) -> list[list[int]]:
    out = [[size]]
    for a in range(2, size):
        if size % a == 0:
            out.append([a, size // a])
            rest = size // a
            for b in range(2, rest):
                if rest % b == 0:
                    out.append([a, b, rest // b])
    return out


def _reshape_targets(t: Tensor, ctx: dict[str, Any]) -> st.SearchStrategy[list[int]]:
    size = math.prod(t.shape)
    shapes = _factorizations(size)[:12]
    return st.sampled_from(shapes).flatmap(
        lambda s: st.sampled_from([s, *([[*s[:i], -1, *s[i + 1 :]] for i in range(len(s))])])
    )


# Parameter fields whose useful values depend on the incoming tensor or the data section.
FIELD_HINTS: dict[str, Any] = {
    "in_features": lambda t, ctx: st.sampled_from([None, t.shape[-1] if t.shape else 1]),
    "in_channels": lambda t, ctx: st.sampled_from([None, t.shape[0] if t.shape else 1]),
    "num_embeddings": lambda t, ctx: st.integers(
        ctx.get("vocab_size", 8), ctx.get("vocab_size", 8) + 6
    ),
    "shape": _reshape_targets,
    "out_features": lambda t, ctx: st.integers(1, 8),
    "out_channels": lambda t, ctx: st.integers(1, 6),
    "hidden_size": lambda t, ctx: st.integers(1, 6),
    "embedding_dim": lambda t, ctx: st.integers(1, 6),
    "num_layers": lambda t, ctx: st.integers(1, 2),
    "kernel_size": lambda t, ctx: st.integers(1, 4),
    "stride": lambda t, ctx: st.one_of(st.none(), st.integers(1, 3)),
    "padding": lambda t, ctx: st.integers(0, 2),
    "output_padding": lambda t, ctx: st.integers(0, 1),
    "dim": lambda t, ctx: st.integers(-len(t.shape) - 1, len(t.shape)),
}


@st.composite
def params_for(draw, model: type, tensor: Tensor, ctx: dict[str, Any]) -> dict[str, Any]:
    """A dict of parameters for a registry parameter model (required ones always, others often)."""
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if not field.is_required() and not draw(st.booleans()):
            continue
        hint = FIELD_HINTS.get(name)
        strategy = (
            hint(tensor, ctx) if hint else type_strategy(field.annotation, list(field.metadata))
        )
        value = draw(strategy)
        if value is None and field.is_required():
            continue
        if value is None and field.default is None:
            continue
        if value is None:
            value = field.default
        out[name] = value
    return out


def _validated(model: type, params: dict[str, Any]) -> Any | None:
    try:
        return model.model_validate(params)
    except ValidationError:
        return None


def _small(t: Tensor) -> bool:
    return 0 < math.prod(t.shape) <= MAX_ELEMENTS and all(d >= 1 for d in t.shape)


@st.composite
def layer_on(
    draw, tensors: list[Tensor], ctx: dict[str, Any], ops: list[str] | None = None, tries: int = 6
) -> tuple[dict[str, Any], Tensor] | None:
    """One layer (YAML form, output tensor) whose shape rule accepts `tensors`, or None."""
    candidates = ops or sorted(
        name
        for name, op in REGISTRY.layers.items()
        if op.min_inputs <= len(tensors) and (op.max_inputs or 99) >= len(tensors)
    )
    if any(t.integer for t in tensors):
        candidates = [c for c in candidates if c in TOKEN_OPS]
    if any(len(t.shape) >= 2 and not t.channels_first for t in tensors):
        candidates = [c for c in candidates if c not in FEATURE_MAP_OPS]
    if not candidates:
        return None
    for _ in range(tries):
        name = draw(st.sampled_from(candidates))
        op = REGISTRY.layers[name]
        raw = draw(params_for(op.params, tensors[0], ctx))
        params = _validated(op.params, raw)
        if params is None or steer_clear(name, params):
            continue
        try:
            out = op.infer(params, list(tensors))
        except ShapeError:
            continue
        if not _small(out):
            continue
        return {"op": name, **raw}, out
    return None


# ---------------------------------------------------------------- data sections

_IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


def layer_names() -> st.SearchStrategy[str]:
    return _IDENT.filter(lambda n: check_layer_name(n) is None)


def _shape(rank: int, channels: bool) -> st.SearchStrategy[list[int]]:
    if rank == 1:
        return st.lists(st.integers(1, 12), min_size=1, max_size=1)
    if rank == 2:
        return st.tuples(st.integers(1, 4), st.integers(3, 12)).map(list)
    return st.tuples(st.integers(1, 3), st.integers(3, 9), st.integers(3, 9)).map(list)


def input_shapes() -> st.SearchStrategy[list[int]]:
    return st.integers(1, 3).flatmap(lambda r: _shape(r, True))


@st.composite
def data_sections(draw) -> dict[str, Any]:
    """A data section of any kind, with small sizes."""
    kind = draw(
        st.sampled_from(
            ["synthetic_regression", "synthetic_classification", "mnist", "npz", "csv", "text"]
        )
    )
    data: dict[str, Any] = {"kind": kind}
    if draw(st.booleans()):
        data["batch_size"] = draw(st.integers(1, 16))
    if draw(st.booleans()):
        data["validation_split"] = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5]))
    if draw(st.booleans()):
        data["shuffle"] = draw(st.booleans())
    classes = st.integers(2, 4)
    if kind == "synthetic_regression":
        data.update(samples=draw(st.integers(4, 64)), input_shape=draw(input_shapes()))
        if draw(st.booleans()):
            data.update(weight=draw(st.floats(-3, 3)), bias=draw(st.floats(-3, 3)))
    elif kind == "synthetic_classification":
        data.update(
            samples=draw(st.integers(4, 64)),
            input_shape=draw(input_shapes()),
            num_classes=draw(classes),
        )
        if len(data["input_shape"]) == 2 and draw(st.booleans()):
            data["sequence"] = True
    elif kind == "mnist":
        data.update(path=draw(st.sampled_from(["data/mnist", "mnist"])), limit=100)
    elif kind == "npz":
        data.update(path="data/arrays.npz", input_shape=draw(input_shapes()))
        if draw(st.booleans()):
            data["num_classes"] = draw(classes)
        if len(data["input_shape"]) == 2 and draw(st.booleans()):
            data["sequence"] = True
        if draw(st.booleans()):
            data.update(x_key=draw(_IDENT), y_key=draw(_IDENT))
    elif kind == "csv":
        features = draw(st.lists(_IDENT, min_size=1, max_size=4, unique=True))
        data.update(path="data/table.csv", features=features, target="target")
        if draw(st.booleans()):
            data["num_classes"] = draw(classes)
        if draw(st.booleans()):  # categorical columns, one-hot or embedded
            columns = []
            for index in range(draw(st.integers(1, 2))):
                column = {
                    "column": f"cat{index}",
                    "categories": ["a", "b", "c"][: draw(st.integers(2, 3))],
                }
                if draw(st.booleans()):
                    column.update(encoding="embedding", dim=draw(st.integers(1, 3)))
                columns.append(column)
            data["categorical"] = columns
    else:
        data.update(
            path="data/reviews.csv",
            vocab_size=draw(st.integers(3, 40)),
            max_length=draw(st.integers(1, 10)),
            num_classes=draw(classes),
        )
    return data


def input_of(data: dict[str, Any]) -> Tensor:
    """The model input the data section gives (the checker's rule, restated for drawing)."""
    if data["kind"] == "text":
        return Tensor((data["max_length"],), integer=True)
    if data["kind"] == "csv":  # what the first drawn layer reads: after the embedded columns
        widths = [
            column.get("dim") or len(column["categories"]) for column in data.get("categorical", [])
        ]
        return Tensor((len(data["features"]) + sum(widths),))
    shape = tuple(data.get("input_shape", [1, 28, 28] if data["kind"] == "mnist" else [1]))
    return Tensor(shape, channels_first=len(shape) >= 2 and not data.get("sequence", False))


def _task_losses(data: dict[str, Any]) -> list[str]:
    classes = data.get("num_classes", 10 if data["kind"] == "mnist" else None)
    if data["kind"] == "text":
        classes = data["num_classes"]
    out = []
    for name, loss in sorted(REGISTRY.losses.items()):
        if loss.task == "regression" and classes is None:
            out.append(name)
        elif loss.task == "classification" and classes is not None:
            out.append(name)
        elif loss.task == "binary" and classes == 2:
            out.append(name)
    return out


# ---------------------------------------------------------------- whole specs


@st.composite
def _body(draw, start: Tensor, ctx: dict[str, Any], graph: bool, require: str | None):
    """Layers (YAML form) from `start`; graph bodies add residual/concat blocks."""
    nodes: list[tuple[dict[str, Any], Tensor]] = []
    names: list[str] = []
    placed = require is None
    length = draw(st.integers(0, MAX_BODY))

    def last() -> tuple[str, Tensor]:
        return (names[-1], nodes[-1][1]) if nodes else ("input", start)

    def fresh() -> str:
        return f"n{len(names)}"

    for _step in range(length + 4):
        if _step >= length and placed:
            break
        source, tensor = last()
        if not placed and (draw(st.booleans()) or _step >= length):
            op = REGISTRY.layers[require]
            if op.min_inputs >= 2:
                # a merge: branch from the current node and merge the branch back in
                got = draw(_branch_and_merge(source, tensor, ctx, require, fresh, names, nodes))
                placed = got or placed
                continue
            made = draw(layer_on([tensor], ctx, ops=[require], tries=10))
            if made is not None:
                placed = True
                layer, out = made
                if graph:
                    layer["inputs"] = [source]
                nodes.append((layer, out))
                names.append(fresh())
                continue
        if graph and nodes and draw(st.integers(0, 3)) == 0:
            merge = draw(st.sampled_from(["add", "concat"]))
            draw(_branch_and_merge(source, tensor, ctx, merge, fresh, names, nodes))
            continue
        made = draw(layer_on([tensor], ctx))
        if made is None:
            continue
        layer, out = made
        if graph and draw(st.booleans()):
            layer["inputs"] = [source]
        nodes.append((layer, out))
        names.append(fresh())
    if not placed:
        return None
    return names, nodes


@st.composite
def _branch_and_merge(draw, source, tensor, ctx, merge, fresh, names, nodes) -> bool:
    """Append a branch read from `source` and a `merge` node joining it with `source`."""
    branch: list[tuple[dict[str, Any], Tensor]] = []
    branch_names: list[str] = []
    current, current_name = tensor, source
    for _ in range(draw(st.integers(0, 2))):
        made = draw(layer_on([current], ctx))
        if made is None:
            break
        layer, out = made
        layer["inputs"] = [current_name]
        branch_names.append(f"n{len(names) + len(branch_names)}")
        branch.append((layer, out))
        current, current_name = out, branch_names[-1]
    if not branch:
        return False
    inputs = [current_name, source]
    made = draw(layer_on([current, tensor], ctx, ops=[merge], tries=4))
    if made is None:
        return False
    layer, out = made
    layer["inputs"] = inputs
    names.extend(branch_names)
    nodes.extend(branch)
    names.append(f"n{len(names)}")
    nodes.append((layer, out))
    return True


@st.composite
def _head(draw, tensor: Tensor, data: dict[str, Any], loss: str, ctx, has_body: bool):
    """Layers that turn `tensor` into what `loss` needs, using the registry's shape rules."""
    loss_op = REGISTRY.losses[loss]
    classes = data.get("num_classes", 10 if data["kind"] == "mnist" else None)
    if loss_op.task == "classification":
        want: tuple[int, ...] | None = (classes,)
    elif loss_op.task == "binary":
        want = (1,)
    elif data["kind"] in ("synthetic_regression", "csv"):
        want = (1,)
    else:
        want = None  # npz regression: any output shape
    required = _HEAD_RULES.get(loss, (set(), None, ""))[1]
    out: list[dict] = []

    def step(spec: dict[str, Any]) -> bool:
        nonlocal tensor
        op = REGISTRY.layers[spec["op"]]
        try:
            tensor = op.infer(op.params.model_validate(_plain(spec)), [tensor])
        except (ShapeError, ValidationError):
            return False
        out.append(spec)
        return True

    if tensor.integer:
        step({"op": "embedding", "num_embeddings": ctx["vocab_size"], "embedding_dim": 3})
    if want is None and not tensor.channels_first and draw(st.booleans()):
        pass
    else:
        if len(tensor.shape) > 1:
            step({"op": "flatten"})
        target = want[0] if want else draw(st.integers(1, 3))
        if tensor.shape != (target,) or draw(st.booleans()) or not out:
            step({"op": "linear", "out_features": target})
    if required:
        step({"op": required})
    if not out and not has_body:
        step({"op": "linear", "out_features": want[0] if want else 1})
    if want is not None and tensor.shape != want:
        return None
    return out


def _plain(layer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in layer.items() if k not in ("op", "name", "inputs")}


@st.composite
def valid_specs(
    draw, require_op: str | None = None, graph: bool | None = None, plain_project: bool = False
) -> dict[str, Any]:
    """A spec (YAML data) that the loader and checker should accept.

    `plain_project` keeps the project section fixed (`bench/fuzz.py`: files that do not depend
    on the model then hit dlgen's formatting cache, so hundreds of specs run quickly).
    """
    data = draw(data_sections())
    start = input_of(data)
    ctx = {"vocab_size": data.get("vocab_size", 8)}
    is_graph = draw(st.booleans()) if graph is None else graph
    if require_op is not None and REGISTRY.layers[require_op].min_inputs >= 2:
        is_graph = True
    body = draw(_body(start, ctx, is_graph, require_op))
    if body is None:
        from hypothesis import reject

        reject()
    names, nodes = body
    tensor = nodes[-1][1] if nodes else start
    loss = draw(st.sampled_from(_task_losses(data)))
    head = draw(_head(tensor, data, loss, ctx, bool(nodes)))
    if head is None:
        from hypothesis import reject

        reject()
    layers = [layer for layer, _ in nodes] + head
    explicit = draw(
        st.lists(layer_names(), min_size=len(layers), max_size=len(layers), unique=True)
    )
    all_names = list(names) + [f"n{len(names) + i}" for i in range(len(head))]
    rename = {}
    for index, layer in enumerate(layers):
        if is_graph or draw(st.booleans()):
            rename[all_names[index]] = explicit[index]
            layer["name"] = explicit[index]
    rename["input"] = "input"
    if is_graph:
        for index, layer in enumerate(layers):
            if "inputs" in layer:
                layer["inputs"] = [rename[n] for n in layer["inputs"]]
            elif index and draw(st.booleans()):
                layer["inputs"] = [layer_name_of(layers[index - 1])]
    else:
        for layer in layers:
            layer.pop("inputs", None)
    model_key = "graph" if is_graph else "layers"
    yaml_layers = [
        layer["op"] if set(layer) == {"op"} and draw(st.booleans()) else layer for layer in layers
    ]
    spec: dict[str, Any] = {
        "project": {"name": "fuzz"} if plain_project else draw(projects()),
        "data": data,
        "model": {model_key: yaml_layers},
        "loss": draw(typed_block(REGISTRY.losses, loss)),
        "optimizer": draw(optimizers()),
    }
    _avoid_bidirectional_l2(spec, layers)
    if is_graph and draw(st.booleans()):
        spec["model"]["output"] = layer_name_of(layers[-1])
    train = draw(trains(REGISTRY.losses[loss].task, data))
    if train:
        spec["train"] = train
    if draw(st.booleans()):
        spec["export"] = {"formats": draw(export_formats())}
    return spec


def _avoid_bidirectional_l2(spec: dict[str, Any], layers: list[dict[str, Any]]) -> None:
    """PyTorch's coupled weight decay on a bidirectional RNN has no Keras spelling: dlgen
    rejects that pair, so valid draws leave such RNNs one-directional."""
    block = spec["optimizer"]
    block = block if isinstance(block, dict) else {"type": block}
    op = REGISTRY.optimizers[block["type"]]
    params = op.params.model_validate(
        {k: v for k, v in block.items() if k not in ("type", "schedule")}
    )
    if op.keras_l2(params):
        for layer in layers:
            layer.pop("bidirectional", None)


@st.composite
def export_formats(draw) -> list[str]:
    """At least one format of each framework, in any order, from the Spec's own table."""
    chosen = [draw(st.sampled_from(own)) for own in FRAMEWORK_FORMATS.values()]
    every = [f for own in FRAMEWORK_FORMATS.values() for f in own]
    chosen += draw(st.lists(st.sampled_from(every), max_size=3))
    return draw(st.permutations(list(dict.fromkeys(chosen))))


def layer_name_of(layer: dict[str, Any]) -> str:
    return layer["name"]


def projects() -> st.SearchStrategy[dict[str, Any]]:
    name = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
    description = st.text(
        st.characters(
            exclude_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn", "Cf", "Zs"),
            include_characters=" ",
            exclude_characters='\\"`',
        ),
        max_size=30,
    )
    model_class = st.from_regex(r"[A-Z][A-Za-z0-9]{1,10}", fullmatch=True).filter(
        lambda n: not keyword.iskeyword(n) and n not in RESERVED
    )
    return st.fixed_dictionaries(
        {"name": name},
        optional={"description": description, "model_class": model_class},
    )


@st.composite
def typed_block(draw, table: dict[str, Any], name: str) -> Any:
    op = table[name]
    params = draw(params_for(op.params, Tensor(()), {}))
    params = params if _validated(op.params, params) is not None else {}
    if not params and draw(st.booleans()):
        return name
    return {"type": name, **params}


@st.composite
def optimizers(draw) -> Any:
    name = draw(st.sampled_from(sorted(REGISTRY.optimizers)))
    block = draw(typed_block(REGISTRY.optimizers, name))
    if draw(st.integers(0, 3)) == 0:
        block = block if isinstance(block, dict) else {"type": block}
        block["schedule"] = draw(
            st.sampled_from(sorted(REGISTRY.schedules)).flatmap(
                lambda s: typed_block(REGISTRY.schedules, s)
            )
        )
    return block


@st.composite
def trains(draw, task: str, data: dict[str, Any]) -> dict[str, Any]:
    train: dict[str, Any] = {}
    if draw(st.booleans()):
        train["epochs"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        train["seed"] = draw(st.integers(0, 2**31 - 1))
    if draw(st.booleans()):
        train["device"] = draw(st.sampled_from(["auto", "cpu", "cuda"]))
    allowed = ["accuracy"] if task != "regression" else ["mae", "mse"]
    if draw(st.booleans()):
        train["metrics"] = draw(st.lists(st.sampled_from(allowed), unique=True, max_size=2))
    if draw(st.booleans()):
        monitors = ["loss"]
        if data.get("validation_split", 0.1) > 0:
            monitors.append("val_loss")
            if "accuracy" in train.get("metrics", []):
                monitors.append("val_accuracy")
        train["early_stopping"] = {
            "monitor": draw(st.sampled_from(monitors)),
            "patience": draw(st.integers(1, 4)),
        }
    if draw(st.booleans()):
        train["checkpoint"] = {"save_best_only": draw(st.booleans())}
    return train


def dump(spec: dict[str, Any]) -> str:
    """Spec data as YAML text, the way a user would write it."""
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


# ---------------------------------------------------------------- invalid inputs

MUTATIONS = (
    "wrong_type",
    "unknown_key",
    "unknown_op",
    "negative_size",
    "impossible_shape",
    "empty_model",
    "graph_cycle",
    "duplicate_name",
    "missing_section",
    "yaml_syntax",
    "binary",
    "truncate",
)

_OTHER_TYPES = st.one_of(
    st.text(max_size=5),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.sampled_from(["a", "op", "type"]), st.integers(), max_size=2),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _paths(value, (*prefix, index))
    return out


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: tuple, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _layers(spec: dict[str, Any]) -> list[Any]:
    model = spec["model"]
    return model.get("graph") or model.get("layers")


@st.composite
def mutated_specs(draw, kind: str | None = None) -> tuple[str, bytes]:
    """(mutation, file bytes): a valid spec broken in one of `MUTATIONS`' ways.

    Some mutations can leave a spec valid (a new integer that still fits); tests accept a
    clean success for those, and demand a clean one-line error otherwise.
    """
    spec = copy.deepcopy(draw(valid_specs()))
    kind = kind or draw(st.sampled_from(MUTATIONS))
    layers = _layers(spec)
    if kind == "wrong_type":
        path = draw(st.sampled_from([p for p in _paths(spec) if p]))
        _set(spec, path, draw(_OTHER_TYPES))
    elif kind == "unknown_key":
        mappings = [p for p in _paths(spec) if isinstance(_get(spec, p), dict)]
        path = draw(st.sampled_from(mappings))
        key = draw(st.sampled_from(["optimiser", "lyers", "kernal_size", "nmae", "extra", "Op"]))
        _get(spec, path)[key] = draw(st.integers(0, 3))
    elif kind == "unknown_op":
        index = draw(st.integers(0, len(layers) - 1))
        bad = draw(
            st.one_of(
                st.sampled_from(["conv3d", "Linear", "relu6", "lstmm", "", " relu", "dense2"]),
                st.text(max_size=8),
            ).filter(lambda s: s not in REGISTRY.layers and not _alias(s))
        )
        layer = layers[index]
        if isinstance(layer, str):
            layers[index] = bad
        else:
            layer["op"] = bad
    elif kind == "negative_size":
        ints = [p for p in _paths(spec) if type(_get(spec, p)) is int and p[:1] != ("train",)]
        ints = [p for p in ints if not (p[-1] == "dim")]
        if not ints:
            _layers(spec).insert(0, {"op": "linear", "out_features": -1})
        else:
            _set(spec, draw(st.sampled_from(ints)), draw(st.integers(-(10**6), 0)))
    elif kind == "impossible_shape":
        choice = draw(st.integers(0, 2))
        if choice == 0:
            layers.insert(0, {"op": "conv2d", "out_channels": 2, "kernel_size": 99})
        elif choice == 1:
            layers.append({"op": "linear", "out_features": 3, "in_features": 12345})
        else:
            spec["data"]["input_shape"] = [1, 2, 2, 2, 2]
    elif kind == "empty_model":
        spec["model"] = draw(
            st.sampled_from([{}, {"layers": []}, {"graph": []}, {"layers": None}, None, []])
        )
    elif kind == "graph_cycle":
        layers = [layer if isinstance(layer, dict) else {"op": layer} for layer in layers]
        names = [f"g{i}" for i in range(len(layers))]
        for index, layer in enumerate(layers):
            layer["name"] = names[index]
            layer.pop("inputs", None)
        index = draw(st.integers(0, len(layers) - 1))
        layers[index]["inputs"] = [names[draw(st.integers(index, len(layers) - 1))]]
        spec["model"] = {"graph": layers}
    elif kind == "duplicate_name":
        layers.append(copy.deepcopy(layers[-1]) if isinstance(layers[-1], dict) else "relu")
        for layer in layers[-2:]:
            if isinstance(layer, dict):
                layer["name"] = "same"
        layers[-2:] = [
            layer if isinstance(layer, dict) else {"op": layer, "name": "same"}
            for layer in layers[-2:]
        ]
    elif kind == "missing_section":
        del spec[draw(st.sampled_from(["project", "data", "model", "loss", "optimizer"]))]
    text = dump(spec) if isinstance(spec, dict) else ""
    raw = text.encode("utf-8")
    if kind == "yaml_syntax":
        raw = draw(_broken_yaml(text))
    elif kind == "binary":
        raw = draw(
            st.one_of(
                st.binary(min_size=1, max_size=200),
                st.binary(min_size=1, max_size=40).map(lambda b: raw[: len(raw) // 2] + b),
            )
        )
    elif kind == "truncate":
        cut = draw(st.integers(0, max(0, len(raw) - 1)))
        raw = raw[:cut]
    return kind, raw


def _alias(name: str) -> bool:
    return any(name in op.aliases for op in REGISTRY.layers.values())


@st.composite
def _broken_yaml(draw, text: str) -> bytes:
    lines = text.splitlines()
    index = draw(st.integers(0, len(lines) - 1))
    junk = draw(
        st.sampled_from(
            [
                ": :",
                "\t- x",
                "[unclosed",
                "{a: 1",
                '"unterminated',
                "key: 'open",
                "- - -: ]",
                "&a *b",
                "!!python/object:os.system x",
                "%YAML 9.9",
                "? [a, b]\n: c",
                "a: &x [*x]",
                "  bad indent: [",
                "@reserved",
                "`tick",
            ]
        )
    )
    where = draw(st.sampled_from(["replace", "insert", "append"]))
    if where == "replace":
        lines[index] = junk
    elif where == "insert":
        lines.insert(index, junk)
    else:
        lines[index] += " " + junk
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------- settings

# Fixed seed, bounded examples, no deadline (a draw builds models in two frameworks), and no
# example database, so CI and every machine run the same draws. Tests set max_examples.
# Shrinking a failure can take minutes (each try builds models): it runs only with
# DLGEN_HYPOTHESIS_SHRINK=1; CI reports the failing draw as found.
RELIABLE = settings(
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("DLGEN_HYPOTHESIS_SHRINK") else []),
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


# ---------------------------------------------------------------- running the CLI in-process

ERROR_LINE = re.compile(r"^(?P<where>.+?)(?P<pos>:\d+:\d+)?: error: \S.*$")
PROJECT_FILES = ("dlgen-spec.yaml", "pytorch/model.py", "tensorflow/model.py", "README.md")


@dataclass
class Outcome:
    """What one `dlgen` run did: generated, rejected (cleanly), crash, partial or bad-message."""

    kind: str
    detail: str = ""

    @property
    def clean(self) -> bool:
        return self.kind in ("generated", "rejected")


def invoke(args: list[str]) -> Any:
    """Run the real CLI in this process (typer's CliRunner): fast, and a crash is caught."""
    from typer.testing import CliRunner

    from codegen.cli import app

    return CliRunner().invoke(app, args)


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def run_new(
    spec: Path, workdir: Path, extra: tuple[str, ...] = (), file_level: bool = False
) -> Outcome:
    """`dlgen new SPEC -o WORKDIR/out` and the invariants every run must keep.

    Success: the whole tree is there. Failure: exit 1, exactly one `file:line:col: error: ...`
    line on stderr naming the spec (`file: error:` only when `file_level`, for whole-file
    problems such as the size limit), no traceback, nothing written (not even a staging folder).
    """
    out = workdir / "out"
    before = {p.name for p in workdir.iterdir()}
    result = invoke(["new", str(spec), "-o", str(out), *extra])
    stray = leftovers(workdir, before | {"out"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text = "".join(traceback.format_exception(*result.exc_info))
        return Outcome("crash", text[-3000:])
    if "Traceback" in result.stdout + result.stderr:
        return Outcome("crash", result.stderr[-3000:])
    if result.exit_code == 0:
        missing = [f for f in PROJECT_FILES if not (out / f).is_file()]
        if missing or stray:
            return Outcome("partial", f"missing {missing}, stray {stray}")
        return Outcome("generated")
    if out.exists() or stray:
        return Outcome("partial", f"exit {result.exit_code}; out exists: {out.exists()}; {stray}")
    lines = result.stderr.splitlines()
    match = ERROR_LINE.match(lines[0]) if len(lines) == 1 else None
    if (
        result.exit_code != 1
        or match is None
        or not match["where"].startswith(str(spec))
        or (match["pos"] is None and not file_level)
    ):
        return Outcome("bad-message", f"exit {result.exit_code}: {result.stderr!r}")
    return Outcome("rejected", lines[0])
