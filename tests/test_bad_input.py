"""Hostile and careless input: every bad spec ends in exactly one `file:line:col: error: ...` line,
exit status 1, no traceback, and nothing written (not even a staging folder).

Drawn mutations of valid specs run the real CLI in-process (fast; a crash is caught as an
exception); a list of named cases also runs it as a subprocess, as a user would.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import strategies as S
import yaml
from hypothesis import given, settings

from conftest import run_dlgen

# Mutations that can never leave a valid spec: these must be rejected, not just handled.
ALWAYS_INVALID = {
    "unknown_key",
    "unknown_op",
    "negative_size",
    "impossible_shape",
    "empty_model",
    "graph_cycle",
    "duplicate_name",
    "missing_section",
    "binary",
}


def _spec_file(folder: Path, raw: bytes, name: str = "spec.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(raw)
    return path


@settings(S.RELIABLE, max_examples=60)
@given(case=S.mutated_specs())
def test_mutated_specs_fail_cleanly(case: tuple[str, bytes], tmp_path_factory) -> None:
    kind, raw = case
    folder = tmp_path_factory.mktemp(kind)
    outcome = S.run_new(_spec_file(folder, raw), folder)
    assert outcome.clean, f"{kind}: {outcome.kind}\n{outcome.detail}\n--- spec:\n{raw[:3000]!r}"
    if kind in ALWAYS_INVALID:
        assert outcome.kind == "rejected", f"{kind} was accepted:\n{raw.decode(errors='replace')}"


@pytest.mark.parametrize("kind", S.MUTATIONS)
def test_each_mutation_kind(kind: str, tmp_path_factory) -> None:
    """Every kind of mutation is drawn on purpose, a few times each."""

    @settings(S.RELIABLE, max_examples=4)
    @given(case=S.mutated_specs(kind))
    def run(case: tuple[str, bytes]) -> None:
        _, raw = case
        folder = tmp_path_factory.mktemp(kind)
        outcome = S.run_new(_spec_file(folder, raw), folder)
        assert outcome.clean, f"{outcome.kind}\n{outcome.detail}\n--- spec:\n{raw[:3000]!r}"
        if kind in ALWAYS_INVALID:
            assert outcome.kind == "rejected", raw.decode(errors="replace")

    run()


# ---------------------------------------------------------------- named cases

VALID = """\
project: {name: ok}
data: {kind: synthetic_classification, input_shape: [4], num_classes: 3}
model:
  layers:
    - {op: linear, name: fc, out_features: 8}
    - relu
    - {op: linear, out_features: 3}
loss: cross_entropy
optimizer: {type: sgd, lr: 0.1}
"""


def _variant(old: str, new: str) -> bytes:
    assert old in VALID
    return VALID.replace(old, new, 1).encode()


def _deep(levels: int) -> bytes:
    return ("project: " + "[" * levels + "]" * levels + "\n").encode()


def _laughs() -> bytes:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    return ("\n".join(lines) + "\nproject: *i\n").encode()


# name → (file bytes, line the error must point at; None: any line)
CASES: dict[str, tuple[bytes, int | None]] = {
    "wrong_type_int": (_variant("out_features: 8", "out_features: eight"), 5),
    "wrong_type_list": (_variant("input_shape: [4]", "input_shape: four"), 2),
    "wrong_type_layers": (_variant("  layers:\n", "  layers: 3\n  junk:\n"), None),
    "wrong_type_bool": (_variant("out_features: 8", "out_features: 8, bias: maybe"), 5),
    "unknown_key": (_variant("loss:", "los:"), 8),
    "unknown_param": (_variant("out_features: 8", "out_feature: 8"), 5),
    "unknown_op": (_variant("- relu", "- relu6"), 6),
    "unknown_loss": (_variant("loss: cross_entropy", "loss: crossentropy"), 8),
    "unknown_optimizer": (_variant("type: sgd", "type: sgdd"), 9),
    "unknown_schedule": (_variant("lr: 0.1}", "lr: 0.1, schedule: {type: warmup}}"), 9),
    "unknown_metric": (_variant("lr: 0.1}", "lr: 0.1}\ntrain: {metrics: [f1]}"), 10),
    "impossible_shape": (_variant("out_features: 3}", "out_features: 3, in_features: 9}"), 7),
    "head_mismatch": (_variant("out_features: 3}", "out_features: 5}"), 7),
    "negative_size": (_variant("out_features: 8", "out_features: -8"), 5),
    "zero_size": (_variant("input_shape: [4]", "input_shape: [0]"), 2),
    "negative_batch": (_variant("num_classes: 3}", "num_classes: 3, batch_size: -1}"), 2),
    "empty_layers": (_variant("  layers:\n", "  layers: []\n  x:\n"), None),
    "empty_model": (
        b"project: {name: ok}\ndata: {kind: synthetic_regression}\nmodel: {}\n"
        b"loss: mse\noptimizer: sgd\n",
        3,
    ),
    "null_model": (
        b"project: {name: ok}\ndata: {kind: synthetic_regression}\nmodel:\n"
        b"loss: mse\noptimizer: sgd\n",
        None,
    ),
    "self_cycle": (
        _variant(
            "  layers:\n    - {op: linear, name: fc,", "  graph:\n    - {op: linear, name: fc,"
        )
        .decode()
        .replace("name: fc,", "name: fc, inputs: [fc],")
        .encode(),
        5,
    ),
    "forward_cycle": (
        b"project: {name: ok}\ndata: {kind: synthetic_regression}\nmodel:\n  graph:\n"
        b"    - {op: relu, name: a, inputs: [b]}\n    - {op: linear, name: b, out_features: 1}\n"
        b"loss: mse\noptimizer: sgd\n",
        5,
    ),
    "duplicate_layer_name": (_variant("- relu", "- {op: relu, name: fc}"), 6),
    "duplicate_yaml_key": (_variant("loss: cross_entropy", "loss: cross_entropy\nloss: mse"), 9),
    "yaml_tab": (_variant("    - relu", "\t- relu"), 6),
    "yaml_unclosed": (_variant("input_shape: [4]", "input_shape: [4"), None),
    "yaml_bad_mapping": (_variant("loss: cross_entropy", "loss: a: b"), 8),
    "yaml_python_tag": (_variant("loss: cross_entropy", "loss: !!python/object:os.system x"), 8),
    "yaml_complex_key": (_variant("loss: cross_entropy", "? [a]\n: b"), 8),
    "not_utf8": (b"project:\n  name: \xff\xfe\n", 2),
    "nul_byte": (b"project:\n  name: x\x00\n", 2),
    "control_char": (b"project: {name: \x07}\n", 1),
    "utf16": ("project: {name: ok}\n".encode("utf-16"), 1),
    "top_level_list": (b"- project\n- data\n", 1),
    "top_level_scalar": (b"just words\n", 1),
    "only_comments": (b"# nothing here\n", 1),
    "empty_file": (b"", 1),
    "deep_nesting": (_deep(5000), 1),
    "recursive_alias": (b"project: &a\n  name: *a\n", None),
    "billion_laughs": (_laughs(), None),
    "infinity": (_variant("lr: 0.1", "lr: .inf"), 9),
    "nan": (_variant("lr: 0.1", "lr: .nan"), 9),
    "huge_int": (_variant("out_features: 8", f"out_features: {'9' * 5000}"), None),
    "newline_in_op": (_variant("- relu", '- "re\\nlu\\u2028\\x1b[2J"'), 6),
    "newline_in_key": (_variant("loss:", '"lo\\nss":'), 8),
    "embedding_smaller_than_vocabulary": (
        b"project: {name: ok}\n"
        b"data: {kind: text, path: r.csv, vocab_size: 50, max_length: 4, num_classes: 2}\n"
        b"model:\n  layers:\n    - {op: embedding, num_embeddings: 10, embedding_dim: 2}\n"
        b"    - flatten\n    - {op: linear, out_features: 2}\n"
        b"loss: cross_entropy\noptimizer: sgd\n",
        5,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_named_case_in_process(name: str, tmp_path: Path) -> None:
    raw, line = CASES[name]
    spec = _spec_file(tmp_path, raw)
    started = time.perf_counter()
    outcome = S.run_new(spec, tmp_path)
    assert outcome.kind == "rejected", f"{outcome.kind}: {outcome.detail}"
    assert time.perf_counter() - started < 10, "a bad spec must be refused quickly"
    if line is not None:
        assert re.match(rf"^{re.escape(str(spec))}:{line}:\d+: ", outcome.detail), outcome.detail


@pytest.mark.parametrize("name", ["yaml_tab", "newline_in_op", "deep_nesting", "billion_laughs"])
def test_named_case_as_a_user_runs_it(name: str, tmp_path: Path) -> None:
    """The same through a real `dlgen` process: exit 1, one line, no traceback, no files."""
    spec = _spec_file(tmp_path, CASES[name][0])
    for command in (["check"], ["new", "-o", str(tmp_path / "out")]):
        result = run_dlgen(command[0], str(spec), *command[1:])
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert result.stderr.count("\n") == 1 and S.ERROR_LINE.match(result.stderr), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_fifty_megabyte_file(tmp_path: Path) -> None:
    """Refused from its size alone (a whole-file problem: `file: error: ...`), without reading it."""
    spec = tmp_path / "huge.yaml"
    with open(spec, "w") as handle:
        chunk = (
            VALID + "# padding padding padding padding padding padding padding padding\n" * 16000
        )
        while handle.tell() < 50 * 2**20:
            handle.write(chunk)
    started = time.perf_counter()
    result = run_dlgen("new", str(spec), "-o", str(tmp_path / "out"))
    assert time.perf_counter() - started < 30
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert re.fullmatch(
        rf"{re.escape(str(spec))}:1:1: error: spec file is over [\d,]+ bytes.*\n", result.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.yaml"]
    outcome = S.run_new(spec, tmp_path, file_level=True)
    assert outcome.kind == "rejected", outcome.detail


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.input_shape", "is not KEY=VALUE"),
        ("data.input_shape=[4", "is not valid YAML"),
        ("optimizer.lr=.inf", "must be finite"),
        ("model.layers.9.out_features=3", "does not name a value"),
        ("project.name.x=1", "does not name a value"),
        ("model.layers.0.out_features=-1", "greater than 0"),
        ("data.input_shape=" + "[" * 200 + "]" * 200, "nested more than"),
    ],
)
def test_bad_overrides(override: str, message: str, tmp_path: Path) -> None:
    spec = _spec_file(tmp_path, VALID.encode())
    result = S.invoke(["new", str(spec), "-o", str(tmp_path / "out"), "--set", override])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_paths(tmp_path: Path) -> None:
    spec = _spec_file(tmp_path, VALID.encode())
    cases = [
        (["check", str(tmp_path / "missing.yaml")], "no such spec file"),
        (["check", str(tmp_path)], "is a directory"),
        (["new", str(spec), "-o", str(spec / "out")], "cannot write"),
        (["new", str(spec), "-o", str(spec), "--force"], "not a folder"),
        (["new", str(spec), "-o", str(tmp_path)], "already exists"),
        (["new", str(spec), "-o", "/", "--force"], "will not replace"),
        (["new", str(spec), "-o", str(Path.home()), "--force"], "will not replace"),
    ]
    for args, message in cases:
        result = S.invoke(args)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (args, result)
        assert result.stderr.count("\n") == 1 and message in result.stderr, (args, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_every_accepted_mutation_round_trips(tmp_path: Path) -> None:
    """The spec copy written beside an accepted project loads back to the same data."""
    spec = _spec_file(tmp_path, VALID.encode())
    outcome = S.run_new(spec, tmp_path)
    assert outcome.kind == "generated", outcome.detail
    copy = yaml.safe_load((tmp_path / "out" / "dlgen-spec.yaml").read_text(encoding="utf-8"))
    assert copy == yaml.safe_load(VALID)
