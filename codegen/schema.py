"""The JSON Schema of a spec file, with one entry per registered op for editor completion."""

from __future__ import annotations

import copy
from typing import Any

from .ops import REGISTRY
from .spec import Spec


def _op_schema(name: str, params: type) -> dict[str, Any]:
    schema = copy.deepcopy(params.model_json_schema())
    schema.pop("title", None)
    properties = schema.setdefault("properties", {})
    properties["op"] = {"const": name}
    properties["name"] = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}
    properties["inputs"] = {"type": "array", "items": {"type": "string"}}
    schema["required"] = ["op", *schema.get("required", [])]
    schema["additionalProperties"] = False
    schema["title"] = name
    return schema


def _typed_schema(table: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    options: list[dict[str, Any]] = [{"enum": sorted(table)}]
    for name, op in sorted(table.items()):
        schema = _op_schema(name, op.params)
        props = schema["properties"]
        del props["op"], props["name"], props["inputs"]
        props["type"] = {"const": name}
        props.update(extra or {})
        schema["required"] = ["type", *[r for r in schema["required"] if r != "op"]]
        options.append(schema)
    return {"anyOf": options}


def spec_schema() -> dict[str, Any]:
    """JSON Schema for spec files (draft 2020-12)."""
    schema = Spec.model_json_schema()
    defs = schema.setdefault("$defs", {})
    layer_options: list[dict[str, Any]] = [{"enum": sorted(REGISTRY.layers)}]
    layer_options += [_op_schema(name, op.params) for name, op in sorted(REGISTRY.layers.items())]
    defs["LayerSpec"] = {
        "anyOf": layer_options,
        "description": "a layer: a bare op name or {op: ..., params}",
    }
    schedule = _typed_schema(REGISTRY.schedules)
    defs["Typed"] = {"anyOf": [_typed_schema(REGISTRY.losses)]}
    defs["Optimizer"] = _typed_schema(REGISTRY.optimizers, {"schedule": schedule})
    schema["properties"]["loss"] = _typed_schema(REGISTRY.losses)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dlgen spec"
    return schema
