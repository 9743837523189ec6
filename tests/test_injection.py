"""Injection safety: strings from a spec reach generated code only as literals and validated names.

For every string a spec can carry (project name, description, model class, layer names, graph
inputs and output, data paths and keys, CSV/text column names, metrics, monitor, loss and
optimizer names, the spec's own file name) and many hostile values (quotes, newlines,
backslashes, `__import__`, Jinja, shell metacharacters, unicode controls, keywords), dlgen
either rejects the spec with one clean line, or generates projects whose Python code has
exactly the syntax tree of a benign spec's, with only string constants changed: the payload
can change what a string says, never what the code does. Finally every accepted payload is
planted at once as code that would create a file, and the generated modules are imported.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import strategies as S
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.backends import generate_all
from codegen.check import check
from codegen.errors import DlgenError
from codegen.spec.loader import load_spec_text
from codegen.translate.api import translate_source
from codegen.translate.context import string_literal

PAYLOADS = [
    "a\"b'c",
    '"""',
    "'''",
    "a\r\nimport os\n",
    "a\\",
    "\\x41\\N{BULLET}",
    "__import__('os').system('echo PWNED')",
    "');__import__('os').system('echo PWNED');('",
    '"""; __import__("os").system("echo PWNED"); """',
    "\n'''\nimport os\n'''",
    "{{ 7 * 7 }}{% if 1 %}x{% endif %}",
    "${HOME}$(echo PWNED)`echo PWNED`; rm -rf ~ | cat & # noqa",
    "\u202eevil\u2066\u200b naïve 😀 \x1b[2J\x07\u2028\x85\t",
    "class",
    "None",
    "self",
    "",
    "a" * 300,
]

CSV_SPEC: dict[str, Any] = {
    "project": {"name": "victim", "description": "benign", "model_class": "Net"},
    "data": {
        "kind": "csv",
        "path": "data/benign.csv",
        "features": ["f1", "f2"],
        "target": "label",
        "num_classes": 3,
    },
    "model": {
        "layers": [
            {"op": "linear", "name": "fc", "out_features": 4},
            "relu",
            {"op": "linear", "name": "head", "out_features": 3},
        ]
    },
    "loss": "cross_entropy",
    "optimizer": {"type": "adam", "lr": 0.01},
    "train": {"metrics": ["accuracy"], "early_stopping": {"monitor": "val_loss"}},
}
TEXT_SPEC: dict[str, Any] = {
    **CSV_SPEC,
    "data": {
        "kind": "text",
        "path": "data/benign.csv",
        "text_column": "text",
        "label_column": "label",
        "vocab_size": 20,
        "max_length": 5,
    },
    "model": {
        "layers": [
            {"op": "embedding", "name": "embed", "num_embeddings": 20, "embedding_dim": 3},
            "flatten",
            {"op": "linear", "name": "head", "out_features": 2},
        ]
    },
    "train": {"metrics": ["accuracy"]},
}
NPZ_SPEC: dict[str, Any] = {
    **CSV_SPEC,
    "data": {"kind": "npz", "path": "benign.npz", "input_shape": [4], "x_key": "x", "y_key": "y"},
    "model": {"layers": [{"op": "linear", "name": "head", "out_features": 2}]},
    "loss": "mse",
    "train": {"metrics": ["mae"]},
}
GRAPH_SPEC: dict[str, Any] = {
    **CSV_SPEC,
    "model": {
        "graph": [
            {"op": "linear", "name": "fc", "out_features": 4, "inputs": ["input"]},
            {"op": "relu", "name": "act"},
            {"op": "linear", "name": "head", "out_features": 3, "inputs": ["act"]},
        ],
        "output": "head",
    },
}

# (name, base spec, path to the string, benign value of the same kind)
FIELDS: list[tuple[str, dict[str, Any], tuple, str]] = [
    ("project.name", CSV_SPEC, ("project", "name"), "victim"),
    ("project.description", CSV_SPEC, ("project", "description"), "benign"),
    ("project.model_class", CSV_SPEC, ("project", "model_class"), "Net"),
    ("layer name", CSV_SPEC, ("model", "layers", 0, "name"), "fc"),
    ("layer op", CSV_SPEC, ("model", "layers", 1), "relu"),
    ("graph inputs", GRAPH_SPEC, ("model", "graph", 2, "inputs", 0), "act"),
    ("graph output", GRAPH_SPEC, ("model", "output"), "head"),
    ("graph node name", GRAPH_SPEC, ("model", "graph", 1, "name"), "act"),
    ("csv path", CSV_SPEC, ("data", "path"), "data/benign.csv"),
    ("csv feature", CSV_SPEC, ("data", "features", 0), "f1"),
    ("csv target", CSV_SPEC, ("data", "target"), "label"),
    ("text path", TEXT_SPEC, ("data", "path"), "data/benign.csv"),
    ("text column", TEXT_SPEC, ("data", "text_column"), "text"),
    ("label column", TEXT_SPEC, ("data", "label_column"), "label"),
    ("npz path", NPZ_SPEC, ("data", "path"), "benign.npz"),
    ("npz x_key", NPZ_SPEC, ("data", "x_key"), "x"),
    ("npz y_key", NPZ_SPEC, ("data", "y_key"), "y"),
    ("metric", CSV_SPEC, ("train", "metrics", 0), "accuracy"),
    ("monitor", CSV_SPEC, ("train", "early_stopping", "monitor"), "val_loss"),
    ("loss", CSV_SPEC, ("loss",), "cross_entropy"),
    ("optimizer", CSV_SPEC, ("optimizer", "type"), "adam"),
]


# Fields that must hold a validated name (or a registry entry); every other field is free text.
NAME_FIELDS = {
    "project.name",
    "project.model_class",
    "layer name",
    "layer op",
    "graph inputs",
    "graph output",
    "graph node name",
    "metric",
    "monitor",
    "loss",
    "optimizer",
}


def _with(base: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    target = spec
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return spec


def _generate(spec: dict[str, Any], file: str = "spec.yaml") -> dict[str, str] | DlgenError:
    try:
        checked = check(load_spec_text(S.dump(spec), file))
        return generate_all(checked, "both", file)
    except DlgenError as error:
        return error


@pytest.fixture
def unformatted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip black for the payload matrix (hundreds of variants; black keeps the syntax tree by
    design, so the check is the same). `test_every_payload_survives_black` formats them all."""
    monkeypatch.setattr("codegen.render.format_python", lambda source, name: source)


class _Shape(ast.NodeTransformer):
    """Blank every string constant: what is left is what the code does."""

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("") if isinstance(node.value, str) else node


def code_shape(source: str) -> str:
    return ast.dump(_Shape().visit(ast.parse(source)), include_attributes=False)


def _code(path: str, text: str) -> str | None:
    """The Python source in a generated file: a .py file, or a notebook's code cells."""
    if path.endswith(".py"):
        return text
    if path.endswith(".ipynb"):
        cells = json.loads(text)["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code").replace(
            "\n%", "\n#"
        )  # notebook magics are not Python
    return None


def _assert_literal_only(files: dict[str, str], baseline: dict[str, str], what: str) -> None:
    assert sorted(files) == sorted(baseline), what
    for path, text in files.items():
        if text == baseline[path]:
            continue
        code = _code(path, text)
        if code is not None:
            before = _code(path, baseline[path])
            assert code_shape(code) == code_shape(before), f"{what}: {path} changed code"
        elif path.endswith("requirements.txt"):
            raise AssertionError(f"{what}: {path} changed")
        elif path.endswith("pyproject.toml"):
            tomllib.loads(text)  # still valid TOML, the name a single string
        elif path.endswith((".yml", ".yaml", ".json")) and "manifest" not in path:
            (json.loads if path.endswith(".json") else yaml.safe_load)(text)


@pytest.mark.parametrize(
    "field",
    [f for f in FIELDS],
    ids=[f[0] for f in FIELDS],
)
def test_strings_reach_code_only_as_literals(field: tuple, unformatted: None) -> None:
    name, base, path, benign = field
    baseline = _generate(_with(base, path, benign))
    assert isinstance(baseline, dict), f"baseline rejected: {baseline}"
    accepted = 0
    for payload in PAYLOADS:
        spec = _with(base, path, payload)
        result = _generate(spec)
        what = f"{name} = {payload!r}"
        if isinstance(result, DlgenError):
            assert str(result).isprintable(), f"{what}: the error is not one printable line"
            continue
        accepted += 1
        _assert_literal_only(result, baseline, what)
        assert yaml.safe_load(result["dlgen-spec.yaml"]) == yaml.safe_load(S.dump(spec)), what
        if name in NAME_FIELDS:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*|", payload), f"{what} was accepted"
    assert accepted or name in NAME_FIELDS, f"{name}: no payload was accepted as plain text"


@pytest.mark.parametrize("payload", ['x"\nimport os #', "x`\n# heading", "\u202eevil"])
def test_spec_file_name_reaches_code_only_as_text(payload: str, unformatted: None) -> None:
    baseline = _generate(CSV_SPEC, "spec.yaml")
    files = _generate(CSV_SPEC, payload + ".yaml")
    assert isinstance(files, dict) and isinstance(baseline, dict)
    _assert_literal_only(files, baseline, payload)


def test_set_overrides_reach_code_only_as_literals(unformatted: None) -> None:
    baseline = _generate(CSV_SPEC)
    assert isinstance(baseline, dict)
    for payload in PAYLOADS:
        value = yaml.safe_dump(payload, default_style='"').strip()
        try:
            loaded = load_spec_text(S.dump(CSV_SPEC), "spec.yaml", [f"data.path={value}"])
        except DlgenError as error:
            assert str(error).isprintable()
            continue
        files = generate_all(check(loaded), "both", "spec.yaml")
        _assert_literal_only(files, baseline, f"--set data.path={value}")


def _everywhere(payloads: list[str]) -> list[dict[str, Any]]:
    """One spec per base with a payload in each of its free-text fields (payloads rotate)."""
    specs = []
    turn = 0
    for base in (CSV_SPEC, TEXT_SPEC, NPZ_SPEC):
        spec = copy.deepcopy(base)
        for name, field_base, path, _ in FIELDS:
            if field_base is base and name not in NAME_FIELDS | {"project.description"}:
                spec = _with(spec, path, payloads[turn % len(payloads)])
                turn += 1
        specs.append(spec)
    return specs


def test_every_payload_survives_black() -> None:
    """With real formatting, every payload in every free-text field gives black-clean code."""
    for shift in range(0, len(PAYLOADS), 3):  # each payload reaches black in some field
        for spec in _everywhere(PAYLOADS[shift:] + PAYLOADS[:shift]):
            files = _generate(spec)
            assert isinstance(files, dict), files


def test_no_spec_runs_code_it_did_not_declare(tmp_path: Path) -> None:
    """Plant code that would create a file in every free-text field; import both projects."""
    from codegen.render import write_tree
    from codegen.verify.projects import load_project

    canary = tmp_path / "PWNED"
    touch = f"__import__('pathlib').Path({str(canary)!r}).touch()"
    attacks = [
        f"');{touch};('",
        f'""";{touch};"""',
        f"\n{touch}\n",
        f"'''\n{touch}\n'''",
        f"{{{{ {touch} }}}}\\",
    ]
    for index, spec in enumerate(_everywhere(attacks)):
        files = _generate(spec)
        assert isinstance(files, dict), files
        out = tmp_path / f"p{index}"
        write_tree(files, out)
        for project in ("pytorch", "tensorflow"):
            modules = load_project(out / project)
            for function in ("load_arrays", "split_indices"):
                if hasattr(modules.data, function):  # data loading is where keys and paths go
                    try:
                        getattr(modules.data, function)("missing-file", 0)
                    except (Exception, SystemExit):  # noqa: BLE001 - the file is missing
                        pass  # (a one-line SystemExit since #17); only the canary counts
        assert not canary.exists(), f"a spec ran code: {spec}"


SAVED_NAMES = [
    'x\', __import__("os").system("echo PWNED"), \'',
    "both'\"quotes",
    "back\\slash",
    "new\\nline",
    'x"); __import__("os").system("echo PWNED"); ("',
]


@pytest.mark.parametrize("name", SAVED_NAMES)
def test_translated_save_paths_stay_string_literals(name: str) -> None:
    """Issue 17: translate re-quoted `torch.save(..., 'x...')` by swapping quote characters,
    so a file name could become code. The name must reach the output as the same text."""
    source = (
        "import torch\nfrom torch import nn\n\nmodel = nn.Linear(2, 1)\n"
        f"torch.save(model.state_dict(), {name + '.pt'!r})\n"
    )
    tree = ast.parse(translate_source(source, "save.py").code)
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "save_weights"
    ]
    assert len(calls) == 1
    (argument,) = calls[0].args
    assert isinstance(argument, ast.Constant) and argument.value == name + ".weights.h5"
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "__import__"]


@settings(deadline=None)
@given(st.text())
def test_translator_string_literals_round_trip(text: str) -> None:
    """Every literal the translator builds evaluates back to exactly its text."""
    assert ast.literal_eval(string_literal(text)) == text
