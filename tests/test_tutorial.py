"""The tutorial layer of `dlgen new --framework both`: README excerpts match the generated files,
notebooks are valid and executable, compare.py moves weights as verify does, --lang, --update."""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import black
import pytest

from codegen.backends import generate_all
from codegen.backends.manifest import MANIFEST, digest
from codegen.backends.tutorial_text import TEXT
from codegen.backends.weight_code import transfer_statements
from codegen.check import check
from codegen.render import black_mode
from codegen.spec import load_spec
from conftest import DATA, EXAMPLE_NAMES, EXAMPLES, run_dlgen

VALID = Path(__file__).parent / "data" / "valid"

TUTORIAL_FILES = (
    "README.md",
    "compare.py",
    "requirements.txt",
    "pyproject.toml",
    ".gitignore",
    ".github/workflows/ci.yml",
    "tests/conftest.py",
    "tests/test_tutorial.py",
    "pytorch/tutorial.ipynb",
    "tensorflow/tutorial.ipynb",
    MANIFEST,
)
EXCERPT = re.compile(
    r"\[`(?P<path>[^`]+)` · `(?P<name>[^`]+)` · [^\]]*\]\((?P=path)#L(?P<first>\d+)-L(?P<last>\d+)\)"
    r"\n\n```python\n(?P<code>.*?)\n```",
    re.S,
)
_CACHE: dict[tuple[str, str], dict[str, str]] = {}


def _generate(name: str, lang: str = "en") -> dict[str, str]:
    if (name, lang) not in _CACHE:
        checked = check(load_spec(EXAMPLES / f"{name}.yaml"))
        _CACHE[name, lang] = generate_all(checked, "both", f"examples/{name}.yaml", lang)
    return _CACHE[name, lang]


def _write(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_languages_have_the_same_keys_and_placeholders() -> None:
    assert set(TEXT["en"]) == set(TEXT["zh"])
    for key, english in TEXT["en"].items():
        assert _fields(english) == _fields(TEXT["zh"][key]), key


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_readme_excerpts_are_the_generated_code(name: str) -> None:
    files = _generate(name)
    for rel in TUTORIAL_FILES:
        assert rel in files, rel
    readme = files["README.md"]
    found = list(EXCERPT.finditer(readme))
    assert len(found) >= 11, "every step shows its code"
    for match in found:
        lines = files[match["path"]].splitlines()[int(match["first"]) - 1 : int(match["last"])]
        quoted = match["code"].splitlines()
        indent = len(lines[0]) - len(lines[0].lstrip())
        assert [line[indent:] for line in lines] == quoted, f"{match['path']}:{match['name']}"
        pattern = rf"^((async def|def|class) {match['name']}\b|{match['name']} = )"
        assert re.search(pattern, match["code"], re.MULTILINE), match["name"]
    glance = readme.split("## ", 3)[3]
    for anchor in re.findall(r"\]\(((?:pytorch|tensorflow)/[^)#]+)#L", glance):
        assert anchor in files


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_notebooks_are_valid_and_quote_the_files(name: str) -> None:
    nbformat = pytest.importorskip("nbformat")
    files = _generate(name)
    for folder in ("pytorch", "tensorflow"):
        notebook = nbformat.reads(files[f"{folder}/tutorial.ipynb"], as_version=4)
        nbformat.validate(notebook)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        assert "parameters" in notebook.cells[1].metadata["tags"]
        sources = "\n".join(files[f"{folder}/{m}.py"] for m in ("data", "model", "train"))
        defined = [c for c in code if c.startswith(("def ", "class "))]
        assert defined, "the steps' own code is in the notebook"
        for cell in code:
            assert black.format_str(cell + "\n", mode=black_mode()) == cell + "\n"
            compile(cell, f"{folder}/tutorial.ipynb", "exec")
        for cell in defined:
            for block in cell.split("\n\n\n"):
                first = block.splitlines()[0]
                assert first in sources or first in files[f"{folder}/export.py"], first


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_tutorial_tree_passes_ruff_and_compiles(name: str, tmp_path: Path) -> None:
    root = _write(_generate(name), tmp_path / name)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for rel in ("compare.py", "tests/test_tutorial.py", "tests/conftest.py"):
        text = (root / rel).read_text()
        assert black.format_str(text, mode=black_mode()) == text, rel
        compile(text, rel, "exec")


def test_languages_share_the_code() -> None:
    english, chinese = _generate("resnet_block", "en"), _generate("resnet_block", "zh")
    assert set(english) == set(chinese)
    for rel in english:
        if rel.endswith(".py") or rel.endswith(".yml") or rel.endswith(".txt"):
            assert english[rel] == chinese[rel], rel
    for folder in ("pytorch", "tensorflow"):
        cells = [json.loads(t[f"{folder}/tutorial.ipynb"])["cells"] for t in (english, chinese)]
        code = [[c["source"] for c in cs if c["cell_type"] == "code"] for cs in cells]
        assert code[0] == code[1]
    assert "第 1 步" in chinese["README.md"] and "Step 1" in english["README.md"]
    assert "lang=zh" in chinese["README.md"]


def test_manifest_records_every_file() -> None:
    files = _generate("mlp")
    record = json.loads(files[MANIFEST])
    assert set(record["files"]) == set(files) - {MANIFEST}
    assert record["lang"] == "en" and record["spec"] == "examples/mlp.yaml"
    for rel, value in record["files"].items():
        assert value == digest(rel, files[rel])
    plain = hashlib.sha256(files["compare.py"].encode()).hexdigest()
    assert record["files"]["compare.py"] == plain


def test_compare_moves_weights_as_verify_does() -> None:
    """The weight moves rendered into compare.py give exactly verify's arrays."""
    np = pytest.importorskip("numpy")
    pytest.importorskip("torch")
    from codegen.verify.transfer import torch_state_in_keras_layout

    for name in ("mnist_cnn", "text_lstm", "resnet_block", "image_classifier"):
        checked = check(load_spec(EXAMPLES / f"{name}.yaml"))
        source = generate_all(checked, "torch", name)["model.py"]
        module = type(sys)(f"tutorial_model_{name}")
        exec(compile(source, f"{name}/model.py", "exec"), module.__dict__)
        model = getattr(module, checked.loaded.model_class)()
        expected = torch_state_in_keras_layout(checked, model)
        state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
        moves = transfer_statements(checked)
        assert [layer for layer, _ in moves] == list(expected)
        for layer, expressions in moves:
            arrays = [eval(e, {"np": np, "state": state}) for e in expressions]  # noqa: S307
            for got, want in zip(arrays, expected[layer], strict=True):
                assert got.shape == want.shape and np.array_equal(got, want), layer


def test_compare_weight_code_traces_gru_and_bidirectional() -> None:
    checked = check(load_spec(VALID / "recurrent_zoo.yaml"))
    moves = dict(transfer_statements(checked))
    assert any("np.concatenate" in e for e in moves["gru"])


def test_update_keeps_what_the_user_changed(tmp_path: Path) -> None:
    target = tmp_path / "tut"
    assert run_dlgen("new", "linear_regression", "-o", str(target)).returncode == 0
    (target / "pytorch" / "model.py").write_text("# mine\n")
    (target / "tests" / "conftest.py").unlink()
    (target / "notes.md").write_text("notes\n")
    readme = (target / "README.md").read_text()
    block = "<!-- dlgen:compare:begin lang=en -->\n| real | run |\n<!-- dlgen:compare:end -->"
    readme = re.sub(r"<!-- dlgen:compare:begin.*?compare:end -->", block, readme, flags=re.S)
    (target / "README.md").write_text(readme)
    (target / "compare.py").write_text("stale\n")  # an edit: kept
    manifest = json.loads((target / MANIFEST).read_text())
    old_train = (target / "pytorch" / "train.py").read_text()

    result = run_dlgen(
        "new", "--update", "-o", str(target), "--lang", "zh", "--set", "train.epochs=3"
    )
    assert result.returncode == 0, result.stderr
    assert "kept: changed by you" in result.stdout and "model.py" in result.stdout
    assert "not restored" in result.stdout
    assert (target / "pytorch" / "model.py").read_text() == "# mine\n"
    assert (target / "compare.py").read_text() == "stale\n"
    assert not (target / "tests" / "conftest.py").exists()
    assert (target / "notes.md").read_text() == "notes\n"
    text = (target / "README.md").read_text()
    assert "第 1 步" in text and "| real | run |" in text and "lang=zh" in text
    assert (target / "pytorch" / "train.py").read_text() != old_train  # epochs 3
    record = json.loads((target / MANIFEST).read_text())
    assert record["lang"] == "zh" and record["spec"] == manifest["spec"]
    assert not list(tmp_path.glob(".tut.dlgen-*")), "no staging folder left behind"


def test_update_needs_a_manifest_and_not_force(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    result = run_dlgen("new", "mlp", "--update", "-o", str(folder))
    assert result.returncode == 1
    assert "has no .dlgen-manifest.json" in result.stderr
    result = run_dlgen("new", "mlp", "--update", "--force", "-o", str(folder))
    assert result.returncode == 1 and "pass one" in result.stderr
    result = run_dlgen("new", "mlp", "--lang", "fr", "-o", str(tmp_path / "x"))
    assert result.returncode == 1 and "unknown language 'fr'" in result.stderr


def test_new_prints_a_tree_and_next_steps(tmp_path: Path) -> None:
    result = run_dlgen("new", "linear_regression", "-o", str(tmp_path / "lr"))
    assert result.returncode == 0, result.stderr
    assert "├── pytorch/" in result.stdout and "tutorial.ipynb" in result.stdout
    assert "python compare.py" in result.stdout and "next:" in result.stdout


def _run_tutorial_tests(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


@pytest.mark.slow
def test_mnist_tutorial_passes_its_own_tests(tmp_path: Path) -> None:
    """compare.py (table + plot) and both notebooks, as the tutorial's CI runs them."""
    pytest.importorskip("nbclient")
    root = _write(_generate("mnist_cnn"), tmp_path / "mnist_cnn")
    env = {"TUTORIAL_DATA": str(DATA / "mnist")}
    result = _run_tutorial_tests(root, env, "-k", "not smoke")  # smoke tests: test_e2e.py
    assert "3 passed" in result.stdout


@pytest.mark.slow
def test_text_tutorial_compare_runs_on_sample_data(tmp_path: Path) -> None:
    """Without the data file, the tutorial's tests write a small one of the spec's format."""
    root = _write(_generate("text_lstm", "zh"), tmp_path / "text_lstm")
    env = {k: v for k, v in os.environ.items() if k != "TUTORIAL_DATA"}
    _run_tutorial_tests(root, env, "-k", "compare")
