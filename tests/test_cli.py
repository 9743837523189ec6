"""The informational commands: check, ops, schema, examples."""

from __future__ import annotations

import json

from codegen.ops import REGISTRY
from conftest import EXAMPLE_NAMES, run_dlgen


def test_check_prints_every_layer_with_its_shape() -> None:
    result = run_dlgen("check", "examples/mnist_cnn.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name, shape in [
        ("conv1", "(N, 32, 26, 26)"),
        ("pool1", "(N, 32, 13, 13)"),
        ("flatten1", "(N, 5408)"),
        ("fc2", "(N, 10)"),
    ]:
        line = next(line for line in out.splitlines() if f" {name} " in line)
        assert shape in line
    assert (
        out.strip().splitlines()[-1]
        == "ok: 7 layers, 693,962 parameters, output (N, 10) fits loss cross_entropy"
    )


def test_ops_lists_every_op_with_both_spellings() -> None:
    result = run_dlgen("ops")
    assert result.returncode == 0
    for name, op in REGISTRY.layers.items():
        line = next(
            (line for line in result.stdout.splitlines() if line.startswith(f"│ {name} ")), None
        )
        assert line is not None, name
        assert op.torch_name in line and op.keras_name.split("(")[0] in line


def test_schema_is_json_schema_with_every_op() -> None:
    result = run_dlgen("schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    layer_titles = {o.get("title") for o in schema["$defs"]["LayerSpec"]["anyOf"]}
    assert set(REGISTRY.layers) <= layer_titles
    assert set(schema["required"]) == {"project", "data", "model", "loss", "optimizer"}


def test_examples_lists_every_builtin() -> None:
    result = run_dlgen("examples")
    assert result.returncode == 0
    for name in EXAMPLE_NAMES:
        assert f"│ {name} " in result.stdout


def test_every_example_checks() -> None:
    for name in EXAMPLE_NAMES:
        result = run_dlgen("check", name)
        assert result.returncode == 0, (name, result.stderr)
