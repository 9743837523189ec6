"""Load a spec from YAML: every problem becomes a DlgenError at the offending key's line."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import DlgenError, Location
from ..files import decode_utf8, read_bounded
from ..ops import REGISTRY, LayerOp, Params
from .model import LayerSpec, Spec
from .names import class_name, suggest

MAX_SPEC_BYTES = 1_000_000
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Layer:
    """A layer after validation: its op entry, typed params, final name and inputs."""

    name: str
    op: LayerOp
    params: Params
    inputs: tuple[str, ...]
    path: PathKey


@dataclass
class LoadedSpec:
    """A validated spec with everything resolved against the registry, plus its source lines."""

    spec: Spec
    file: str
    layers: list[Layer]
    loss_params: Params
    optimizer_params: Params
    schedule_params: Params | None
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the YAML data, overrides applied

    @property
    def is_graph(self) -> bool:
        return self.spec.model.graph is not None

    @property
    def output(self) -> str:
        return self.spec.model.output or self.layers[-1].name

    @property
    def model_class(self) -> str:
        return self.spec.project.model_class or class_name(self.spec.project.name)

    def locate(self, path: PathKey) -> Location:
        return _locate(self.file, self.marks, path)

    def error(self, path: PathKey, message: str) -> DlgenError:
        return DlgenError(message, self.locate(path))


def _locate(file: str, marks: dict[PathKey, tuple[int, int]], path: PathKey) -> Location:
    for end in range(len(path), -1, -1):
        if path[:end] in marks:
            line, col = marks[path[:end]]
            return Location(file, line, col)
    return Location(file, 1, 1)


def _dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------- YAML with line numbers


# A spec is a small tree: deeper nesting, or aliases that expand it past this many values
# (a "billion laughs" file), are refused before they exhaust the stack or the memory.
MAX_DEPTH = 50
MAX_VALUES = 100_000


@dataclass
class _Budget:
    values: int = 0
    open: set[int] = field(default_factory=set)  # ids of the collections being walked


def _walk(
    node: yaml.Node,
    path: PathKey,
    marks: dict[PathKey, tuple[int, int]],
    file: str,
    budget: _Budget | None = None,
) -> Any:
    """Build plain Python data from a composed YAML node, recording each key's line and column."""
    budget = budget if budget is not None else _Budget()
    budget.values += 1
    if budget.values > MAX_VALUES:
        raise DlgenError(
            f"the spec expands to more than {MAX_VALUES:,} values (YAML aliases?); "
            "a spec is a small file",
            _mark(file, node),
        )
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        if id(node) in budget.open:
            raise DlgenError("a YAML alias refers to itself (a recursive value)", _mark(file, node))
        budget.open.add(id(node))
        try:
            return _walk_collection(node, path, marks, file, budget)
        finally:
            budget.open.discard(id(node))
    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        raise
    except Exception:  # PyYAML's own failures on odd scalars: 5000 digits, `!!timestamp x`
        raise DlgenError(f"cannot read value {node.value[:40]!r}", _mark(file, node)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise DlgenError(
            f"{value!r} is not allowed: every number in a spec must be finite", _mark(file, node)
        )
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise DlgenError("integer out of range: a spec's numbers fit in 64 bits", _mark(file, node))
    return value


def _walk_collection(
    node: yaml.Node,
    path: PathKey,
    marks: dict[PathKey, tuple[int, int]],
    file: str,
    budget: _Budget,
) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise DlgenError("mapping keys must be plain names", _mark(file, key_node))
            key = key_node.value
            if key in out:
                raise DlgenError(f"duplicate key '{key}'", _mark(file, key_node))
            marks[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = _walk(value_node, (*path, key), marks, file, budget)
        return out
    items = []
    for index, item in enumerate(node.value):
        marks[(*path, index)] = (
            item.start_mark.line + 1,
            item.start_mark.column + 1,
        )
        items.append(_walk(item, (*path, index), marks, file, budget))
    return items


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _check_depth(text: str, file: str) -> None:
    """Refuse deep nesting before composing (PyYAML's composer recurses once per level)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DlgenError(
                    f"values nested more than {MAX_DEPTH} levels deep; a spec is a shallow file",
                    _mark(file, event),
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_yaml(text: str, file: str) -> tuple[Any, dict[PathKey, tuple[int, int]]]:
    """Parse YAML text into data and a map from key paths to (line, column)."""
    try:
        _check_depth(text, file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise DlgenError(f"YAML syntax error: {problem}", where) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise DlgenError(
            f"YAML syntax error: unacceptable character #x{exc.character:04x}: "
            "control characters are not allowed",
            Location(file, line, col),
        ) from None
    except yaml.YAMLError as exc:
        raise DlgenError(f"YAML error: {exc}", Location(file, 1, 1)) from None
    marks: dict[PathKey, tuple[int, int]] = {}
    if node is None:
        raise DlgenError(
            "the spec is empty; start from `dlgen examples` or `dlgen schema`",
            Location(file, 1, 1),
        )
    try:
        data = _walk(node, (), marks, file)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise DlgenError(
            f"YAML error: {exc.problem}",
            Location(file, mark.line + 1, mark.column + 1) if mark else Location(file),
        ) from None
    return data, marks


# ---------------------------------------------------------------- validation


def _data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """Keep the parts of a pydantic error location that exist in the user's data."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
    return tuple(path)


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        return (
            f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} '{ctx.get('tag')}'"
            f"{suggest(str(ctx.get('tag')), tags)} (expected one of: {', '.join(tags)})"
        )
    if kind == "missing":
        return f"missing required key '{error['loc'][-1]}'"
    message = str(error["msg"])
    if kind == "value_error" and message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    value = error.get("input")
    if kind.endswith(("_type", "_parsing")) or kind in (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "literal_error",
    ):
        if isinstance(value, (str, int, float, bool)) or value is None:
            message += f" (got {value!r})"
    return message


def _raise_first(
    errors: list[tuple[PathKey, str]], file: str, marks: dict[PathKey, tuple[int, int]]
) -> None:
    if not errors:
        return
    located = sorted(
        ((_locate(file, marks, path), path, message) for path, message in errors),
        key=lambda e: (e[0].line or 0, e[0].col or 0),
    )
    where, path, message = located[0]
    more = f" (and {len(located) - 1} more)" if len(located) > 1 else ""
    prefix = f"{_dotted(path)}: " if path else ""
    raise DlgenError(f"{prefix}{message}{more}", where)


def _pydantic_errors(exc: ValidationError, data: Any) -> list[tuple[PathKey, str]]:
    out = []
    for error in exc.errors():
        path = _data_path(data, error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "unknown_key":
            path = (*path, ctx["key"])
        elif error["type"] == "union_tag_invalid":
            path = (*path, str(ctx.get("discriminator", "kind")).strip("'"))
        elif error["type"] == "missing":
            pass
        out.append((path, _message(error)))
    return out


def _validate_params(
    model: type[Params], raw: dict[str, Any], path: PathKey, data: Any, errors: list
) -> Params | None:
    known = set(model.model_fields)
    for key in raw:
        if key not in known:
            hint = suggest(str(key), known)
            allowed = ", ".join(sorted(known)) or "none"
            errors.append(((*path, key), f"unknown parameter '{key}'{hint} (allowed: {allowed})"))
            return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            sub = _data_path(raw, error["loc"])
            message = _message(error)
            if error["type"] == "missing":
                message = f"missing required parameter '{error['loc'][-1]}'"
            errors.append(((*path, *sub), message))
        return None


def _typed(
    table: dict[str, Any], what: str, block: Any, path: PathKey, data: Any, errors: list
) -> Params | None:
    op = table.get(block.type)
    if op is None:
        hint = suggest(block.type, set(table))
        errors.append(
            (
                (*path, "type"),
                f"unknown {what} '{block.type}'{hint} (known: {', '.join(sorted(table))})",
            )
        )
        return None
    params = block.params
    params.pop("schedule", None)
    return _validate_params(op.params, params, path, data, errors)


def _auto_names(specs: list[LayerSpec]) -> list[str]:
    taken = {s.name for s in specs if s.name}
    counts: dict[str, int] = {}
    names = []
    for s in specs:
        if s.name:
            names.append(s.name)
            continue
        stem = REGISTRY.layers[s.op].name_stem
        while True:
            counts[stem] = counts.get(stem, 0) + 1
            candidate = f"{stem}{counts[stem]}"
            if candidate not in taken:
                break
        taken.add(candidate)
        names.append(candidate)
    return names


def _resolve_layers(spec: Spec, data: Any, errors: list) -> list[Layer]:
    graph = spec.model.graph is not None
    specs = spec.model.graph if graph else spec.model.layers
    section = "graph" if graph else "layers"
    assert specs is not None
    names = _auto_names(specs)
    seen: dict[str, int] = {}
    layers = []
    for index, (layer_spec, name) in enumerate(zip(specs, names, strict=True)):
        path: PathKey = ("model", section, index)
        if name in seen:
            errors.append(
                (
                    (*path, "name"),
                    f"duplicate layer name '{name}' (first used by layer {seen[name]})",
                )
            )
            continue
        seen[name] = index
        op = REGISTRY.layers[layer_spec.op]
        params = _validate_params(op.params, layer_spec.params, path, data, errors)
        previous = names[index - 1] if index else "input"
        if not graph:
            if layer_spec.inputs is not None:
                errors.append(
                    (
                        (*path, "inputs"),
                        "`inputs:` belongs to `graph:` models; a `layers:` list is a stack",
                    )
                )
                continue
            inputs: tuple[str, ...] = (previous,)
        else:
            inputs = tuple(layer_spec.inputs) if layer_spec.inputs is not None else (previous,)
            for ref in inputs:
                if ref == "input" or ref in seen and ref != name:
                    continue
                if ref == name or ref in names[index:]:
                    problem = "itself" if ref == name else f"'{ref}', which comes later"
                    errors.append(
                        (
                            (*path, "inputs"),
                            f"node '{name}' reads {problem}: graphs must be listed in order and have no cycles",
                        )
                    )
                else:
                    hint = suggest(ref, ["input", *seen])
                    errors.append(
                        (
                            (*path, "inputs"),
                            f"node '{name}' reads unknown node '{ref}'{hint}",
                        )
                    )
        count = len(inputs)
        if count < op.min_inputs or (op.max_inputs is not None and count > op.max_inputs):
            want = f"at least {op.min_inputs}" if op.max_inputs is None else str(op.max_inputs)
            errors.append(((*path, "inputs"), f"{op.name} takes {want} input(s), got {count}"))
            continue
        if params is not None:
            layers.append(Layer(name=name, op=op, params=params, inputs=inputs, path=path))
    if graph and not errors:
        output = spec.model.output or names[-1]
        if output not in seen:
            errors.append(
                (
                    ("model", "output"),
                    f"output '{output}' is not a node{suggest(output, list(seen))}",
                )
            )
        used = {ref for layer in layers for ref in layer.inputs} | {output}
        for layer in layers:
            if layer.name not in used:
                errors.append(
                    (
                        (*layer.path, "name"),
                        f"node '{layer.name}' is never used; connect it or remove it",
                    )
                )
    return layers


CATEGORICAL_EMBEDDING = "categorical_embedding"


def _insert_automatic_layers(spec: Spec, layers: list[Layer], errors: list) -> list[Layer]:
    """Embedded categorical columns: a `categorical_embedding` layer in front of the model,
    which every layer that read the input now reads."""
    data = spec.data
    embedded = data.embedded
    if not embedded:
        return layers
    for layer in layers:
        if layer.name == CATEGORICAL_EMBEDDING:
            errors.append(
                (
                    (*layer.path, "name"),
                    f"layer name '{CATEGORICAL_EMBEDDING}' is taken by the layer dlgen inserts "
                    "for data.categorical's embedded columns; rename this layer",
                )
            )
            return layers
    op = REGISTRY.automatic[CATEGORICAL_EMBEDDING]
    params = op.params(
        passthrough=data.passthrough,
        sizes=[len(c.categories) for c in embedded],
        dims=[c.dim for c in embedded],
    )
    first = Layer(
        name=CATEGORICAL_EMBEDDING,
        op=op,
        params=params,
        inputs=("input",),
        path=("data", "categorical"),
    )
    rewired = [
        dataclasses.replace(
            layer,
            inputs=tuple(CATEGORICAL_EMBEDDING if ref == "input" else ref for ref in layer.inputs),
        )
        for layer in layers
    ]
    return [first, *rewired]


def apply_override(data: Any, override: str) -> None:
    """Apply one `--set dotted.key=yaml_value` to loaded spec data."""
    where = Location("--set")
    key, sep, raw = override.partition("=")
    if not sep or not key:
        raise DlgenError(f"'{override}' is not KEY=VALUE (e.g. data.input_shape=[3,32,32])", where)
    try:
        value = read_yaml(raw, "--set")[0] if raw.strip() else None
    except DlgenError as exc:
        if exc.message.startswith("YAML"):
            raise DlgenError(f"the value of '{override}' is not valid YAML", where) from None
        raise DlgenError(f"the value of '{override}': {exc.message}", where) from None
    parts = key.split(".")
    current = data
    for part in parts[:-1]:
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict):
            current = current.setdefault(part, {})
        else:
            raise DlgenError(f"'{key}' does not name a value in the spec", where)
    last = parts[-1]
    if isinstance(current, list) and last.isdigit() and int(last) < len(current):
        current[int(last)] = value
    elif isinstance(current, dict):
        current[last] = value
    else:
        raise DlgenError(f"'{key}' does not name a value in the spec", where)


def load_spec_text(text: str, file: str, overrides: list[str] | tuple[str, ...] = ()) -> LoadedSpec:
    """Validate spec text; `file` is the name used in messages."""
    data, marks = read_yaml(text, file)
    for override in overrides:
        if isinstance(data, dict):
            apply_override(data, override)
    if not isinstance(data, dict):
        raise DlgenError(
            "a spec is a mapping with project, data, model, loss and optimizer",
            Location(file, 1, 1),
        )
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        _raise_first(_pydantic_errors(exc, data), file, marks)
        raise  # unreachable: ValidationError always has errors
    errors: list[tuple[PathKey, str]] = []
    layers = _resolve_layers(spec, data, errors)
    if not errors:
        layers = _insert_automatic_layers(spec, layers, errors)
    loss = _typed(REGISTRY.losses, "loss", spec.loss, ("loss",), data, errors)
    optimizer = _typed(
        REGISTRY.optimizers, "optimizer", spec.optimizer, ("optimizer",), data, errors
    )
    schedule = None
    if spec.optimizer.schedule is not None:
        schedule = _typed(
            REGISTRY.schedules,
            "schedule",
            spec.optimizer.schedule,
            ("optimizer", "schedule"),
            data,
            errors,
        )
    _raise_first(errors, file, marks)
    assert loss is not None and optimizer is not None
    return LoadedSpec(spec, file, layers, loss, optimizer, schedule, marks, data)


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> LoadedSpec:
    """Read and validate a spec file."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise DlgenError(
            "no such spec file; `dlgen examples` lists the built-in ones",
            Location(file),
        )
    if path.is_dir():
        raise DlgenError("is a directory; give a spec .yaml file", Location(file))
    too_big = f"spec file is over {MAX_SPEC_BYTES:,} bytes; a spec is a small YAML file"
    raw = read_bounded(path, MAX_SPEC_BYTES, too_big)
    text = decode_utf8(raw, path, "not UTF-8 text; a spec is a YAML file")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DlgenError("binary data (NUL byte); a spec is a YAML file", Location(file, line, 1))
    return load_spec_text(text, file, overrides)
