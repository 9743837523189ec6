"""`dlgen translate model.py --to yaml`: a model that is a stack of registry ops becomes a spec.

The model class's `__init__` must assign layers (`self.fc1 = nn.Linear(...)`, possibly inside an
`nn.Sequential`) with literal arguments, and its `forward` must pass one tensor through them
and through functional ops in order. Anything else (branches, residuals, loops, non-literal
arguments) raises a DlgenError naming the construct and its line, so the user knows why the
model does not fit a `layers:` spec and can use `--to tf` instead.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import PositionProvider

from ..errors import DlgenError, Location
from ..ops import REGISTRY
from ..spec.names import check_layer_name
from .analysis import analyze_text
from .context import code
from .report import Report
from .source import parse

NN = "torch.nn."
F = "torch.nn.functional."

Layer = dict[str, Any]


class _Misfit(Exception):
    def __init__(self, message: str, node: cst.CSTNode) -> None:
        super().__init__(message)
        self.node = node


def _literal(node: cst.BaseExpression, constants: dict[str, Any]) -> Any:
    text = code(node)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    try:  # module-level constants and arithmetic on them (64 * 12 * 12, nz * 2)
        tree = ast.parse(text, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if names <= set(constants) and all(
            isinstance(n, ast.Expression | ast.BinOp | ast.Constant | ast.Name | ast.Load)
            or isinstance(n, ast.operator)
            for n in ast.walk(tree)
        ):
            return eval(compile(tree, "<spec>", "eval"), {"__builtins__": {}}, dict(constants))
    except Exception:  # noqa: BLE001 - not a constant expression
        pass
    raise _Misfit(f"argument {text} is not a literal", node)


def _bind(call: cst.Call, params: tuple[str, ...], constants: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            raise _Misfit("*args / **kwargs", arg)
        key = arg.keyword.value if arg.keyword else (params[index] if index < len(params) else None)
        if key is None or key not in params:
            raise _Misfit(f"argument {code(arg).strip(', ')}", arg)
        if key in ("training", "inplace"):  # the spec decides these itself
            continue
        out[key] = _literal(arg.value, constants)
    return out


def _int(value: Any, what: str, node: cst.CSTNode) -> int:
    if isinstance(value, tuple | list):
        if len(set(value)) != 1:
            raise _Misfit(f"{what} {tuple(value)} differs per axis", node)
        value = value[0]
    if not isinstance(value, int):
        raise _Misfit(f"{what} {value!r}", node)
    return value


def _only(params: dict[str, Any], defaults: dict[str, Any], node: cst.CSTNode, what: str) -> None:
    for key, default in defaults.items():
        if key in params and params[key] != default:
            raise _Misfit(f"{what} {key}={params[key]!r} has no spec parameter", node)


def _conv(op: str):
    def make(p: dict[str, Any], node: cst.CSTNode) -> Layer:
        _only(p, {"dilation": 1, "groups": 1, "padding_mode": "zeros"}, node, op)
        layer = {
            "op": op,
            "in_channels": p["in_channels"],
            "out_channels": p["out_channels"],
            "kernel_size": _int(p["kernel_size"], "kernel_size", node),
        }
        for key, default in (("stride", 1), ("padding", 0)):
            value = _int(p.get(key, default), key, node)
            if value != default:
                layer[key] = value
        if p.get("bias", True) is False:
            layer["bias"] = False
        return layer

    return make


def _pool(op: str):
    def make(p: dict[str, Any], node: cst.CSTNode) -> Layer:
        _only(p, {"ceil_mode": False, "dilation": 1, "count_include_pad": True}, node, op)
        layer: Layer = {"op": op, "kernel_size": _int(p["kernel_size"], "kernel_size", node)}
        if p.get("stride") is not None:
            layer["stride"] = _int(p["stride"], "stride", node)
        padding = _int(p.get("padding", 0), "padding", node)
        if padding and op == "maxpool2d":
            raise _Misfit("max pooling with padding", node)
        if padding:
            layer["padding"] = padding
        return layer

    return make


def _bn(op: str):
    def make(p: dict[str, Any], node: cst.CSTNode) -> Layer:
        _only(p, {"affine": True, "track_running_stats": True}, node, op)
        layer: Layer = {"op": op}
        for key, default in (("eps", 1e-5), ("momentum", 0.1)):
            if p.get(key, default) != default:
                layer[key] = p[key]
        return layer

    return make


def _simple(op: str, **fixed: Any):
    def make(p: dict[str, Any], node: cst.CSTNode) -> Layer:
        layer: Layer = {"op": op, **fixed}
        return layer

    return make


def _adaptive(p: dict[str, Any], node: cst.CSTNode) -> Layer:
    if _int(p.get("output_size"), "output_size", node) != 1:
        raise _Misfit("adaptive pooling to a size other than 1", node)
    return {"op": "adaptive_avg_pool2d"}


def _dim(op: str):
    def make(p: dict[str, Any], node: cst.CSTNode) -> Layer:
        return {"op": op, "dim": p.get("dim", 1)} if p.get("dim", 1) != 1 else {"op": op}

    return make


# canonical PyTorch constructor → (parameter names, layer maker)
MODULES: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any], cst.CSTNode], Layer]]] = {
    NN
    + "Linear": (
        ("in_features", "out_features", "bias"),
        lambda p, n: {
            "op": "linear",
            "in_features": p["in_features"],
            "out_features": p["out_features"],
            **({"bias": False} if p.get("bias", True) is False else {}),
        },
    ),
    NN
    + "Conv1d": (
        (
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "dilation",
            "groups",
            "bias",
            "padding_mode",
        ),
        _conv("conv1d"),
    ),
    NN
    + "Conv2d": (
        (
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "dilation",
            "groups",
            "bias",
            "padding_mode",
        ),
        _conv("conv2d"),
    ),
    NN
    + "MaxPool2d": (
        ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
        _pool("maxpool2d"),
    ),
    NN
    + "AvgPool2d": (
        ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
        _pool("avgpool2d"),
    ),
    NN
    + "BatchNorm1d": (
        ("num_features", "eps", "momentum", "affine", "track_running_stats"),
        _bn("batchnorm1d"),
    ),
    NN
    + "BatchNorm2d": (
        ("num_features", "eps", "momentum", "affine", "track_running_stats"),
        _bn("batchnorm2d"),
    ),
    NN
    + "Dropout": (
        ("p", "inplace"),
        lambda p, n: {"op": "dropout", **({"p": p["p"]} if "p" in p else {})},
    ),
    NN + "ReLU": (("inplace",), _simple("relu")),
    NN + "Sigmoid": ((), _simple("sigmoid")),
    NN + "Tanh": ((), _simple("tanh")),
    NN + "GELU": (("approximate",), _simple("gelu")),
    NN + "Flatten": (("start_dim", "end_dim"), _simple("flatten")),
    NN
    + "LeakyReLU": (
        ("negative_slope", "inplace"),
        lambda p, n: {"op": "leaky_relu", "negative_slope": p.get("negative_slope", 0.01)},
    ),
    NN + "Softmax": (("dim",), _dim("softmax")),
    NN + "LogSoftmax": (("dim",), _dim("log_softmax")),
    NN + "AdaptiveAvgPool2d": (("output_size",), _adaptive),
    NN
    + "LayerNorm": (
        ("normalized_shape", "eps"),
        lambda p, n: {"op": "layernorm", **({"eps": p["eps"]} if "eps" in p else {})},
    ),
    NN
    + "Embedding": (
        ("num_embeddings", "embedding_dim"),
        lambda p, n: {
            "op": "embedding",
            "num_embeddings": p["num_embeddings"],
            "embedding_dim": p["embedding_dim"],
        },
    ),
}

# functional op in forward → (parameter names after the input, layer maker)
FUNCTIONS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any], cst.CSTNode], Layer]]] = {
    **{name: (("inplace",), _simple("relu")) for name in (F + "relu", "torch.relu")},
    **{name: ((), _simple("sigmoid")) for name in (F + "sigmoid", "torch.sigmoid")},
    **{name: ((), _simple("tanh")) for name in (F + "tanh", "torch.tanh")},
    F + "gelu": (("approximate",), _simple("gelu")),
    F
    + "leaky_relu": (
        ("negative_slope", "inplace"),
        lambda p, n: {"op": "leaky_relu", "negative_slope": p.get("negative_slope", 0.01)},
    ),
    F
    + "max_pool2d": (
        ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
        _pool("maxpool2d"),
    ),
    F
    + "avg_pool2d": (
        ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
        _pool("avgpool2d"),
    ),
    F + "adaptive_avg_pool2d": (("output_size",), _adaptive),
    F
    + "dropout": (
        ("p", "training", "inplace"),
        lambda p, n: {"op": "dropout", **({"p": p["p"]} if "p" in p else {})},
    ),
    **{
        name: (("dim", "_stacklevel", "dtype"), _dim("softmax"))
        for name in (F + "softmax", "torch.softmax")
    },
    **{
        name: (("dim", "_stacklevel", "dtype"), _dim("log_softmax"))
        for name in (F + "log_softmax", "torch.log_softmax")
    },
}


@dataclass
class _Extractor:
    imports: Any
    constants: dict[str, Any]
    modules: dict[str, tuple[list[tuple[Layer, cst.CSTNode]], cst.CSTNode]] = field(
        default_factory=dict
    )
    used: set[str] = field(default_factory=set)
    layers: list[Layer] = field(default_factory=list)
    nodes: list[cst.CSTNode] = field(default_factory=list)  # where each layer comes from

    def add(self, layer: Layer, node: cst.CSTNode) -> None:
        self.layers.append(layer)
        self.nodes.append(node)

    def module_layers(self, attr: str, call: cst.BaseExpression) -> list[tuple[Layer, cst.CSTNode]]:
        if not isinstance(call, cst.Call):
            raise _Misfit(f"self.{attr} is not a layer constructor", call)
        name = self.imports.qualify(call.func)
        if name == NN + "Sequential":
            out: list[tuple[Layer, cst.CSTNode]] = []
            for index, arg in enumerate(call.args):
                if arg.star or arg.keyword:
                    raise _Misfit("nn.Sequential(*layers)", arg)
                out += self.module_layers(f"{attr}_{index}", arg.value)
            return out
        if name not in MODULES:
            raise _Misfit(f"{name or code(call.func)} is not a spec op", call)
        params, make = MODULES[name]
        layer = make(_bind(call, params, self.constants), call)
        if REGISTRY.layers[layer["op"]].has_weights:  # named after the attribute, as in PyTorch
            layer = {
                "op": layer["op"],
                "name": attr,
                **{k: v for k, v in layer.items() if k != "op"},
            }
        return [(layer, call)]

    def apply(self, node: cst.BaseExpression, x: str) -> None:
        """Append the ops that `node` applies to the tensor named `x`, innermost first."""
        if isinstance(node, cst.Name):
            if node.value != x:
                raise _Misfit(f"{node.value} is not the tensor flowing through the model", node)
            return
        if not isinstance(node, cst.Call):
            raise _Misfit(f"{code(node)} is not a chain of layers", node)
        func = node.func
        if isinstance(func, cst.Attribute) and code(func.value) == "self":
            attr = func.attr.value
            if attr not in self.modules:
                raise _Misfit(f"self.{attr} is not a layer assigned in __init__", node)
            self._single(node)
            self.apply(node.args[0].value, x)
            layers, _ = self.modules[attr]
            if attr in self.used and any("name" in layer for layer, _ in layers):
                raise _Misfit(f"self.{attr} is used twice (shared weights)", node)
            self.used.add(attr)
            for layer, origin in layers:
                self.add(layer, origin)
            return
        name = self.imports.qualify(func)
        if isinstance(func, cst.Attribute) and name is None:
            self._method(node, func, x)
            return
        if name in ("torch.flatten",):
            self.apply(node.args[0].value, x)
            self._flatten_args(node, node.args[1:])
            return
        if name not in FUNCTIONS:
            raise _Misfit(f"{name or code(func)} is not a spec op", node)
        if not node.args or node.args[0].keyword:
            raise _Misfit(f"{name} without its input", node)
        self.apply(node.args[0].value, x)
        params, make = FUNCTIONS[name]
        rest = node.with_changes(args=node.args[1:])
        bound = _bind(rest, params, self.constants | {"training": False})
        self.add(make(bound, node), node)

    def _single(self, node: cst.Call) -> None:
        if len(node.args) != 1 or node.args[0].keyword or node.args[0].star:
            raise _Misfit(f"{code(node.func)} called with more than one input", node)

    def _flatten_args(self, node: cst.Call, args: Any) -> None:
        values = [code(a.value) for a in args]
        if values not in ([], ["1"]) or any(a.keyword for a in args):
            raise _Misfit("flatten other than from dim 1", node)
        self.add({"op": "flatten"}, node)

    def _method(self, node: cst.Call, func: cst.Attribute, x: str) -> None:
        self.apply(func.value, x)
        method = func.attr.value
        args = [code(a.value) for a in node.args]
        if method in ("view", "reshape") and (
            args == [f"{code(func.value)}.size(0)", "-1"] or (len(args) == 2 and args[0] == "-1")
        ):
            self.add({"op": "flatten"}, node)
            return
        if method == "flatten" and args in ([], ["1"]):
            self.add({"op": "flatten"}, node)
            return
        raise _Misfit(f"Tensor.{method}({', '.join(args)})", node)


def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) else repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    return repr(value)


def _layer_yaml(layer: Layer) -> str:
    if len(layer) == 1:
        return layer["op"]
    return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in layer.items()) + "}"


def _loss(layers: list[Layer]) -> tuple[str, str]:
    last = layers[-1]["op"]
    if last == "log_softmax":
        return "nll", "classification"
    if last == "sigmoid":
        return "bce", "binary"
    if last == "softmax":
        raise DlgenError(
            "the model ends with softmax; a spec trains logits with cross_entropy or "
            "log-probabilities with nll (end with log_softmax)"
        )
    return "cross_entropy", "classification"


def spec_yaml(
    text: str, name: str, class_name: str | None = None, input_shape: list[int] | None = None
) -> tuple[str, Report]:
    """A spec (YAML text) for the model class of a PyTorch file, and a report of its layers."""
    module = parse(text, name)
    info = analyze_text(text)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    classes = {
        n.name.value: n
        for n in module.body
        if isinstance(n, cst.ClassDef) and n.name.value in info.module_classes
    }
    top = [c for c in classes if c not in info.submodule_classes]
    if class_name is None:
        if len(top) != 1:
            raise DlgenError(
                f"{'no model class' if not top else 'several model classes: ' + ', '.join(top)}; "
                "name one with --class",
                Location(name),
            )
        class_name = top[0]
    if class_name not in classes:
        raise DlgenError(f"no nn.Module class {class_name}", Location(name))
    constants = {}
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if isinstance(target, cst.Name):
                        try:
                            constants[target.value] = ast.literal_eval(code(small.value))
                        except (ValueError, SyntaxError):
                            pass
    report = Report(name)
    try:
        layers, nodes = _extract(classes[class_name], info, constants)
    except _Misfit as misfit:
        position = positions.get(misfit.node)
        line = position.start.line if position else None
        col = position.start.column + 1 if position else None
        raise DlgenError(
            f"does not fit a dlgen spec: {misfit} (use --to tf for this model)",
            Location(name, line, col),
        ) from None
    for layer, node in zip(layers, nodes, strict=True):
        position = positions.get(node)
        report.add(position.start.line if position else 0, layer["op"], True, layer.get("name", ""))
    try:
        return _render(name, class_name, layers, input_shape), report
    except DlgenError as error:
        raise DlgenError(error.message, error.location or Location(name)) from None


def _extract(
    cls: cst.ClassDef, info: Any, constants: dict[str, Any]
) -> tuple[list[Layer], list[cst.CSTNode]]:
    extractor = _Extractor(info.imports, constants)
    methods = {
        s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)  # type: ignore[union-attr]
    }
    if "forward" not in methods:
        raise _Misfit(f"class {cls.name.value} has no forward", cls)
    init = methods.get("__init__")
    for statement in init.body.body if init else ():  # type: ignore[union-attr]
        if not isinstance(statement, cst.SimpleStatementLine):
            raise _Misfit("a branch or loop in __init__", statement)
        for small in statement.body:
            if isinstance(small, cst.Expr) and "__init__" in code(small):
                continue
            if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                raise _Misfit(code(small).strip(), small)
            target = small.targets[0].target
            if not (isinstance(target, cst.Attribute) and code(target.value) == "self"):
                raise _Misfit(code(small).strip(), small)
            attr = target.attr.value
            if isinstance(small.value, cst.Call):
                problem = check_layer_name(attr)
                if problem:
                    raise _Misfit(f"layer name {attr}: {problem}", small)
                extractor.modules[attr] = (extractor.module_layers(attr, small.value), small)
    forward = methods["forward"]
    params = [p.name.value for p in forward.params.params]
    if len(params) != 2:
        raise _Misfit("forward takes more than one input", forward)
    x = params[1]  # the name of the one tensor flowing through, as it is reassigned
    body = forward.body.body  # type: ignore[union-attr]
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            raise _Misfit("a branch or loop in forward", statement)
        small = statement.body[0]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
        ):
            extractor.apply(small.value, x)
            x = small.targets[0].target.value
        elif isinstance(small, cst.Return) and small.value is not None and index == len(body) - 1:
            extractor.apply(small.value, x)
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
            continue
        else:
            raise _Misfit(code(small).strip(), small)
    if not extractor.layers:
        raise _Misfit("forward applies no layers", forward)
    return extractor.layers, extractor.nodes


def _render(name: str, class_name: str, layers: list[Layer], input_shape: list[int] | None) -> str:
    stem = re.sub(r"[^a-z0-9_]+", "_", name.rsplit("/", 1)[-1].removesuffix(".py").lower()).strip(
        "_"
    )
    project = stem if re.fullmatch(r"[a-z][a-z0-9_]*", stem) else "translated_model"
    loss, task = _loss(layers)
    first = layers[0]
    if input_shape is None:
        if first["op"] == "linear":
            input_shape = [first["in_features"]]
        else:
            raise DlgenError(
                "give the input shape with --input (e.g. 2x1x28x28) to write the data section",
                Location("--input"),
            )
    outputs = next((lay["out_features"] for lay in reversed(layers) if lay["op"] == "linear"), None)
    data = [
        "data:",
        "  kind: synthetic_classification",
        f"  input_shape: {_yaml_value(input_shape)}",
    ]
    if task == "binary":
        data.append("  num_classes: 2")
    elif outputs is None or outputs < 2:
        raise DlgenError("the model's last linear layer gives fewer than 2 classes")
    else:
        data.append(f"  num_classes: {outputs}")
    lines = [
        f"# Extracted by `dlgen translate {name} --to yaml` from class {class_name}.",
        "# The data section is synthetic: point it at your data (see examples/*.yaml).",
        "project:",
        f"  name: {project}",
        f"  description: {class_name} translated from {name.rsplit('/', 1)[-1]}.",
        f"  model_class: {class_name}",
        *data,
        "model:",
        "  layers:",
        *(f"    - {_layer_yaml(layer)}" for layer in layers),
        f"loss: {loss}",
        "optimizer: {type: adam, lr: 0.001}",
        "train:",
        "  epochs: 5",
        "  seed: 0",
        "  metrics: [accuracy]",
    ]
    return "\n".join(lines) + "\n"
