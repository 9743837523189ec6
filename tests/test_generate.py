"""Generation: golden trees, determinism, and generated code that compiles, lints and is black-stable."""

from __future__ import annotations

import difflib
import py_compile
import subprocess
import sys
from pathlib import Path

import black
import pytest

from codegen.backends import generate_all
from codegen.check import check
from codegen.render import black_mode
from codegen.spec import load_spec
from conftest import EXAMPLE_NAMES, EXAMPLES, REGEN_COMMAND, REPO, run_dlgen

GOLDEN = REPO / "golden"


def _generate(name: str) -> dict[str, str]:
    spec = EXAMPLES / f"{name}.yaml"
    return generate_all(check(load_spec(spec)), "both", name)  # as `dlgen new` names it


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_examples_exist() -> None:
    assert {
        "linear_regression",
        "mnist_cnn",
        "mlp",
        "text_lstm",
        "image_classifier",
        "resnet_block",
    } <= set(EXAMPLE_NAMES)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_golden_tree(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    result = run_dlgen("new", f"examples/{name}.yaml", "--framework", "both", "-o", str(out))
    assert result.returncode == 0, result.stderr
    expected = _tree(GOLDEN / name / "tree")
    actual = _tree(out)
    assert expected, f"golden/{name}/tree is missing; run {REGEN_COMMAND}"
    problems = []
    for path in sorted(set(expected) | set(actual)):
        if expected.get(path) != actual.get(path):
            diff = difflib.unified_diff(
                expected.get(path, "").splitlines(),
                actual.get(path, "").splitlines(),
                f"golden/{name}/tree/{path}",
                f"generated/{path}",
                lineterm="",
            )
            problems.append("\n".join(list(diff)[:60]))
    assert not problems, (
        "\n".join(problems)
        + f"\n\ngenerated output differs from golden/: review, then run {REGEN_COMMAND}"
    )


def test_schema_file_is_current() -> None:
    result = run_dlgen("schema")
    assert result.returncode == 0
    saved = (EXAMPLES / "dlgen.schema.json").read_text(encoding="utf-8")
    assert result.stdout == saved, f"examples/dlgen.schema.json is stale; run {REGEN_COMMAND}"


def test_examples_point_at_the_schema() -> None:
    for spec in [*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("broken/*.yaml")]:
        first = spec.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), spec
        target = (spec.parent / first.split("=", 1)[1]).resolve()
        assert target == (EXAMPLES / "dlgen.schema.json").resolve(), spec


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_generated_python_compiles_and_is_black_stable(name: str, tmp_path: Path) -> None:
    files = _generate(name)
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        assert black.format_str(text, mode=black_mode()) == text, path
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        py_compile.compile(str(target), doraise=True)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_generated_projects_pass_ruff(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    assert run_dlgen("new", name, "-o", str(out)).returncode == 0
    for project in ("pytorch", "tensorflow"):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
            cwd=out / project,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_same_output_under_different_hash_seeds_and_folders(tmp_path: Path) -> None:
    trees = []
    for seed, cwd in (("1", REPO), ("98765", tmp_path)):
        out = tmp_path / f"out{seed}"
        spec = str(EXAMPLES / "resnet_block.yaml")
        result = run_dlgen("new", spec, "-o", str(out), cwd=cwd, env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        trees.append(_tree(out))
    assert trees[0] == trees[1]
    assert all(str(tmp_path) not in text for text in trees[0].values())


def test_generation_never_imports_torch_or_tensorflow(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from codegen.cli import app\n"
        f"try:\n    app(['new', 'mnist_cnn', '-o', {str(tmp_path / 'x')!r}])\n"
        "except SystemExit:\n    pass\n"
        "bad = [m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules]\n"
        "print('IMPORTED=' + ','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "IMPORTED="
    assert (tmp_path / "x" / "pytorch" / "model.py").exists()


def test_framework_choice_and_default_folder(tmp_path: Path) -> None:
    assert run_dlgen("new", "mlp", "--framework", "torch", cwd=tmp_path).returncode == 0
    assert run_dlgen("new", "mlp", "--framework", "tf", cwd=tmp_path).returncode == 0
    assert run_dlgen("new", cwd=tmp_path).returncode == 0
    assert (tmp_path / "mlp-pytorch" / "model.py").exists()
    assert (tmp_path / "mlp-tensorflow" / "model.py").exists()
    assert (tmp_path / "mnist_cnn" / "pytorch" / "train.py").exists()
    assert (tmp_path / "mnist_cnn" / "tensorflow" / "train.py").exists()
    assert not (tmp_path / "mlp-pytorch" / "pytorch").exists()


def test_new_prints_tree_and_next_steps(tmp_path: Path) -> None:
    result = run_dlgen("new", "linear_regression", "-o", str(tmp_path / "lr"))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    files = [p for p in (tmp_path / "lr").rglob("*") if p.is_file()]
    assert lines[0] == f"wrote {len(files)} files:"
    assert lines[1] == str(tmp_path / "lr")
    assert "├── pytorch/" in lines and any(line.endswith("── model.py") for line in lines)
    assert f"  cd {tmp_path / 'lr'}" in lines and "next:" in lines


def test_override_changes_the_generated_input(tmp_path: Path) -> None:
    out = tmp_path / "ic"
    result = run_dlgen(
        "new", "image_classifier", "--set", "data.input_shape=[3,32,32]", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    torch_model = (out / "pytorch" / "model.py").read_text()
    keras_model = (out / "tensorflow" / "model.py").read_text()
    assert "nn.Linear(8192, 512)" in torch_model
    assert "shape=(32, 32, 3)" in keras_model


@pytest.mark.parametrize(
    "tamper",
    [
        lambda text: text + "import os; os.system('echo injected')\n",  # an appended line
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: text.replace("x = 1", "x = 2"),  # edited
        lambda text: "not a digest\n" + text,
    ],
)
def test_a_tampered_format_cache_entry_is_not_used(tamper, tmp_path: Path, monkeypatch) -> None:
    """The format cache (#17) is keyed by the source's hash and each entry checked against
    the hash of its own text: a changed entry is formatted anew, never copied into a project."""
    from codegen import render

    monkeypatch.setenv("DLGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("DLGEN_NO_CACHE", raising=False)
    render._cache_root.cache_clear()
    render._cache_dir.cache_clear()
    try:
        source = "x  =  1\n"
        assert render.format_python(source, "m.py") == "x = 1\n"
        (entry,) = render._cache_dir().glob("*.py")
        entry.write_text(tamper(entry.read_text(encoding="utf-8")), encoding="utf-8")
        assert render.format_python(source, "m.py") == "x = 1\n"
        assert render._read_cached(entry) == "x = 1\n"  # written anew
    finally:
        render._cache_root.cache_clear()
        render._cache_dir.cache_clear()
