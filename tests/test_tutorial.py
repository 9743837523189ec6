"""The tutorial layer of `dlgen new --framework both`: README excerpts match the generated files,
notebooks are valid and executable, compare.py moves weights as verify does, --lang, --update."""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
import signal
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import black
import pytest

from codegen import __version__
from codegen.backends import generate_all
from codegen.backends.manifest import MANIFEST, digest
from codegen.backends.tutorial import SAMPLE_KINDS, SAMPLE_SCRIPT
from codegen.backends.tutorial_text import TEXT
from codegen.backends.weight_code import transfer_statements
from codegen.check import check
from codegen.render import black_mode
from codegen.spec import load_spec
from conftest import EXAMPLE_NAMES, EXAMPLES, data_for, held_out_data_for, run_dlgen

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


# An example with a spec override: "mnist_cnn+distributed" sets train.distributed.
VARIANTS = {"distributed": ["train.distributed=true"]}


def _generate(name: str, lang: str = "en") -> dict[str, str]:
    if (name, lang) not in _CACHE:
        example, _, variant = name.partition("+")
        overrides = VARIANTS[variant] if variant else []
        checked = check(load_spec(EXAMPLES / f"{example}.yaml", overrides=overrides))
        _CACHE[name, lang] = generate_all(checked, "both", example, lang)
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


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_readme_explains_only_what_the_project_has(name: str, lang: str) -> None:
    """#15: the linear regression README explained a validation split, shuffling, Conv
    kernels and Adam that its project does not have. Each explanation below is looked up in
    the generated code, not in the spec's facts the prose is chosen by."""
    files = _generate(name, lang)
    readme, text = files["README.md"], TEXT[lang]
    torch_data, torch_model = files["pytorch/data.py"], files["pytorch/model.py"]
    torch_train = files["pytorch/train.py"]
    validation = float(re.search(r"^VALIDATION_SPLIT = (\S+)", torch_data, re.M)[1]) > 0
    loader = "DataLoader(" in torch_data
    conv = "nn.Conv" in torch_model
    adaptive = re.search(r"optim\.(Adam|AdamW|RMSprop)\(", torch_train) is not None

    def says(key: str) -> bool:  # every stretch of the sentence between its placeholders
        return all(part in readme for part in re.split(r"\{\w*\}", text[key]) if part)

    assert says("s1_intro") == validation and says("s1_intro_all") == (not validation)
    assert says("diff_pipeline") == loader and says("diff_order") == loader
    assert says("diff_whole_batch") == (not loader)
    assert says("diff_layout") == conv and says("diff_layout_dense") == (not conv)
    assert says("diff_init") == ("nn.Linear(" in torch_model or conv)
    assert says("diff_defaults") == adaptive and says("diff_defaults_plain") == (not adaptive)
    if "make_datasets" in readme:
        assert "def make_datasets(" in files["tensorflow/data.py"]
    if lang == "zh":  # 卷积核 is a convolution's kernel; a Dense kernel is a 权重矩阵
        assert ("卷积核" in readme) == conv


# Backticked spans that are shell commands of the set-up, not names in the project.
SHELL_SPANS = ("pip ", "cd ", "source ", "bash", "git ", "jupyter", "dlgen ", ".venv", "python3 ")
# Names a README may put in backticks without the project's code spelling them: argparse's own
# flag, and the Keras call that loads the saved model (how to use a file the run writes).
LIBRARY_USE = {"--help", "load_model"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", [*EXAMPLE_NAMES, "mnist_cnn+distributed"])
def test_every_name_a_readme_puts_in_backticks_is_in_the_project(name: str, lang: str) -> None:
    """Each code name in backticks in a README's prose (a call, a class, an option, a file the
    run writes) is spelled somewhere in the project's files: no README describes machinery its
    project lacks (a DistributedSampler in a one-process project, a flag train.py lacks)."""
    files = _generate(name, lang)
    code = "\n".join(text for rel, text in files.items() if not rel.endswith(".md"))
    paths = " ".join(files)
    for rel, text in files.items():
        if not rel.endswith("README.md"):
            continue
        prose = re.sub(r"```.*?```", "", text, flags=re.S)  # excerpts are checked elsewhere
        missing = set()
        for span in re.findall(r"`([^`\n]+)`", prose):
            if span.startswith(SHELL_SPANS):
                continue
            for token in re.findall(r"--[a-z][a-z-]*|[A-Za-z_][A-Za-z0-9_]{2,}", span):
                if token.isupper() or token in LIBRARY_USE:  # FOLDER, PATH: placeholders
                    continue
                if token not in code and token not in paths:
                    missing.add(f"{token!r} in `{span}`")
        assert not missing, f"{rel}: {sorted(missing)}"


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
        pattern = (
            rf"^((async def|def|class) {match['name']}\b|{match['name']} = |# {match['name']}\b)"
        )
        assert re.search(pattern, match["code"], re.MULTILINE), match["name"]
    glance = readme.split("## ", 3)[3]
    for anchor in re.findall(r"\]\(((?:pytorch|tensorflow)/[^)#]+)#L", glance):
        assert anchor in files


@pytest.mark.parametrize("name", [*EXAMPLE_NAMES, "mnist_cnn+distributed"])
def test_notebooks_are_valid_and_quote_the_files(name: str) -> None:
    """Each notebook imports the project's functions and classes (an edit to model.py is what
    the notebook runs) and defines none of them again; its step cells are train.py's code."""
    nbformat = pytest.importorskip("nbformat")
    files = _generate(name)
    for folder in ("pytorch", "tensorflow"):
        notebook = nbformat.reads(files[f"{folder}/tutorial.ipynb"], as_version=4)
        nbformat.validate(notebook)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        assert "parameters" in notebook.cells[1].metadata["tags"]
        modules = {
            m: files[f"{folder}/{m}.py"]
            for m in ("data", "model", "train", "export")
            if f"{folder}/{m}.py" in files
        }
        project = {m: _top_level_definitions(text) for m, text in modules.items()}
        used = set()
        for cell in code:
            assert black.format_str(cell + "\n", mode=black_mode()) == cell + "\n"
            tree = ast.parse(cell)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    assert not any(node.name in names for names in project.values()), node.name
            used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        imported = {
            (node.module, alias.name)
            for cell in code
            for node in ast.parse(cell).body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        for module, names in project.items():
            for taken in names & used:
                assert (module, taken) in imported, f"{folder}: {taken} not from {module}.py"
        model_name = (
            "build_model"
            if folder == "tensorflow"
            else check(load_spec(EXAMPLES / f"{name.split('+')[0]}.yaml")).loaded.model_class
        )
        assert ("model", model_name) in imported, "the notebook runs model.py's model"
        steps = [cell for cell in code if cell.startswith("# Step ")]
        if folder == "tensorflow":
            assert steps, "the TensorFlow notebook runs train.py's steps"
        statements = {
            ast.dump(node)
            for node in ast.walk(ast.parse(files[f"{folder}/train.py"]))
            if isinstance(node, ast.stmt)
        }
        for cell in steps:
            for node in ast.parse(cell).body:
                assert ast.dump(node) in statements, ast.unparse(node)


def _top_level_definitions(text: str) -> set[str]:
    return {
        node.name
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }


@pytest.mark.parametrize("name", [*EXAMPLE_NAMES, "mnist_cnn+distributed"])
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
    assert record["lang"] == "en" and record["spec"] == "mlp"
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


@pytest.mark.parametrize(
    ("name", "chance"),
    [("mnist_cnn", math.log(10)), ("text_lstm", math.log(2)), ("tabular_regression", None)],
)
def test_compare_plot_has_a_chance_line_and_a_log_scale_for_long_runs(
    name: str, chance: float | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """compare.py draws the loss of a blind guess (ln C for C classes, ln 2 for a binary label)
    and switches to a log scale where the loss falls by decades."""
    pyplot = pytest.importorskip("matplotlib.pyplot")
    path = tmp_path / "compare.py"
    path.write_text(_generate(name)["compare.py"], encoding="utf-8")
    module = type(sys)(f"tutorial_compare_{name}")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    assert module.CHANCE_LOSS == (pytest.approx(chance) if chance else None)
    figures = []
    monkeypatch.setattr(pyplot, "close", figures.append)
    falls = [{"epoch": e, "loss": 10.0**-e, "val_loss": 2 * 10.0**-e} for e in range(1, 5)]
    flat = [{"epoch": e, "loss": 1.0 / e} for e in range(1, 5)]
    for records, scale in ((falls, "log"), (flat, "linear")):
        runs = {"pytorch": {"epochs": records}, "tensorflow": {"epochs": records}}
        module.plot_losses(runs, tmp_path / "curves.png", "loss")
        axis = figures[-1].axes[0]
        assert axis.get_yscale() == scale
        labels = [line.get_label() for line in axis.get_lines()]
        assert ("chance" in labels) == (chance is not None), labels
        if chance is not None:
            (level,) = {
                line.get_ydata()[0] for line in axis.get_lines() if line.get_label() == "chance"
            }
            assert level == pytest.approx(chance)


def test_compare_weight_code_traces_gru_and_bidirectional() -> None:
    checked = check(load_spec(VALID / "recurrent_zoo.yaml"))
    moves = dict(transfer_statements(checked))
    assert any("np.concatenate" in e for e in moves["gru"])


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_sample_data_script_where_the_reader_brings_the_data(name: str, tmp_path: Path) -> None:
    """A spec that reads a file the reader brings gets make_sample_data.py, which the README
    shows; it writes the format data.py reads and never overwrites a file."""
    np = pytest.importorskip("numpy")
    files = _generate(name)
    data = load_spec(EXAMPLES / f"{name}.yaml").spec.data
    kind = data.kind
    if kind not in SAMPLE_KINDS:
        assert SAMPLE_SCRIPT not in files and SAMPLE_SCRIPT not in files["README.md"]
        return
    assert f"python {SAMPLE_SCRIPT}" in files["README.md"]
    root = _write(files, tmp_path / name)
    target = tmp_path / "sample" / "data.file"
    for expected in (0, 1):  # the second run refuses to overwrite
        result = subprocess.run(
            [sys.executable, SAMPLE_SCRIPT, str(target), "--count", "8"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert result.returncode == expected, result.stderr
    if kind == "npz":
        arrays = np.load(target)
        assert len(arrays[data.x_key]) == len(arrays[data.y_key]) == 8
    else:
        header = target.read_text(encoding="utf-8").splitlines()[0].split(",")
        for column in header:
            assert repr(column) in files["pytorch/data.py"].replace('"', "'"), column
    _assert_labels_follow_from_inputs(root, data, tmp_path / "sample" / "many.file")


def _assert_labels_follow_from_inputs(root: Path, data: Any, path: Path) -> None:
    """make_sample_data.py's labels are learnable: a least-squares fit on half the samples
    predicts the other half (npz, csv), or each text holds only words of its own label."""
    import numpy as np

    made = subprocess.run(
        [sys.executable, SAMPLE_SCRIPT, str(path), "--count", "2000"], cwd=root, capture_output=True
    )
    assert made.returncode == 0, made.stderr
    if data.kind == "text":
        module = type(sys)("make_sample_data")
        module.__file__ = str(root / SAMPLE_SCRIPT)
        exec(compile((root / SAMPLE_SCRIPT).read_text(), SAMPLE_SCRIPT, "exec"), module.__dict__)
        vocabulary = {word: label for label, words in enumerate(module.WORDS) for word in words}
        for row in path.read_text(encoding="utf-8").splitlines()[1:]:
            text, label = row.rsplit(",", 1)
            telling = [vocabulary[w] for w in text.split() if w in vocabulary]
            assert telling and set(telling) == {int(label)}, row
        return
    if data.kind == "npz":
        arrays = np.load(path)
        x, y = arrays[data.x_key].reshape(2000, -1), arrays[data.y_key]
    else:
        table = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
        x = np.stack([table[name].astype(float) for name in data.features], axis=1)
        y = table[data.target].astype(float)
    x = np.hstack([x, np.ones((len(x), 1))])
    fit, held = slice(0, 1000), slice(1000, None)
    if np.issubdtype(y.dtype, np.integer):  # classes: one-vs-rest least squares
        classes = int(y.max()) + 1
        weights = np.linalg.lstsq(x[fit], np.eye(classes)[y[fit]], rcond=None)[0]
        accuracy = ((x[held] @ weights).argmax(axis=1) == y[held]).mean()
        assert accuracy > 1.5 / classes, accuracy  # chance is 1 / classes
    else:
        y = y.reshape(len(y), -1)
        weights = np.linalg.lstsq(x[fit], y[fit], rcond=None)[0]
        residual = y[held] - x[held] @ weights
        assert residual.var() < 0.3 * y[held].var()


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


def test_update_cuts_the_readme_from_the_files_the_user_edited(tmp_path: Path) -> None:
    """--update keeps an edited model.py and train.py; the README's excerpts and line links,
    and the notebooks' step code, are then cut from the user's versions."""
    target = tmp_path / "tut"
    assert run_dlgen("new", "mnist_cnn", "-o", str(target)).returncode == 0
    model = target / "pytorch" / "model.py"
    edited = model.read_text().replace('    """mnist_cnn', '    # my note\n    """mnist_cnn', 1)
    model.write_text(edited.replace("nn.Linear(128, 10)", "nn.Linear(128, 10)  # my edit"))
    train = target / "tensorflow" / "train.py"
    train.write_text(train.read_text().replace("# Step 3: loss", "# Step 3 (mine): loss"))
    result = run_dlgen("new", "--update", "-o", str(target), "--set", "train.epochs=3")
    assert result.returncode == 0, result.stderr
    assert "model.py" in result.stdout and "kept: changed by you" in result.stdout
    readme = (target / "README.md").read_text()
    assert "# my edit" in readme and "# Step 3 (mine): loss" in readme
    found = list(EXCERPT.finditer(readme))
    assert len(found) >= 11
    for match in found:
        text = (target / match["path"]).read_text()
        lines = text.splitlines()[int(match["first"]) - 1 : int(match["last"])]
        indent = len(lines[0]) - len(lines[0].lstrip())
        assert [line[indent:] for line in lines] == match["code"].splitlines(), match["name"]
    notebook = (target / "tensorflow" / "tutorial.ipynb").read_text()
    assert "# Step 3 (mine): loss" in notebook
    # A file edited past recognition (no model class left) keeps dlgen's excerpts.
    model.write_text("# mine\n")
    result = run_dlgen("new", "--update", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "# my edit" not in (target / "README.md").read_text()


@pytest.mark.parametrize("name", ["mnist_cnn", "text_lstm"])
def test_generated_files_name_no_file_of_dlgens_repo(name: str, tmp_path: Path) -> None:
    """#15: generated READMEs said they came from `examples/NAME.yaml`, a path into dlgen's
    own repository; a built-in example is named as `dlgen new` takes it."""
    assert run_dlgen("new", name, "-o", str(tmp_path / "out")).returncode == 0
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(?<![\w/])(examples|bench)/", text), path
    readme = (tmp_path / "out" / "pytorch" / "README.md").read_text(encoding="utf-8")
    assert f"Generated by dlgen {__version__} from `{name}`." in readme


def test_a_builtin_name_works_beside_a_folder_of_that_name(tmp_path: Path) -> None:
    """#15: the README's commands, in order: `dlgen new` makes ./mnist_cnn, and then
    `dlgen new mnist_cnn -o mnist_zh --lang zh` said "mnist_cnn: is a directory"."""
    assert run_dlgen("new", cwd=tmp_path).returncode == 0
    assert (tmp_path / "mnist_cnn" / "dlgen-spec.yaml").is_file()
    result = run_dlgen("new", "mnist_cnn", "-o", "mnist_zh", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "第 1 步" in (tmp_path / "mnist_zh" / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["pytorch", "tensorflow"])
def test_train_inside_a_tutorial_project_finds_the_tutorials_data(
    folder: str, tmp_path: Path
) -> None:
    """#15: `python train.py` inside pytorch/ looked for data/ in pytorch/, not the tutorial's."""
    root = _write(_generate("text_lstm"), tmp_path)
    sample = subprocess.run([sys.executable, SAMPLE_SCRIPT], cwd=root, capture_output=True)
    assert sample.returncode == 0, sample.stderr
    run = subprocess.run(
        [sys.executable, "train.py", "--epochs", "1", "--max-steps", "2", "--no-export"],
        cwd=root / folder,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "test: " in run.stdout  # trained on ../data/reviews.csv, tested on its test file


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


@pytest.mark.parametrize("named", [True, False])
def test_update_of_a_missing_folder_fails_and_writes_nothing(tmp_path: Path, named: bool) -> None:
    """#15: `dlgen new --update -o FOLDER` on a folder that is not there generated the default
    MNIST project and exited 0; without -o, the folder named after the spec's project."""
    folder = tmp_path / "missing"
    args = ("new", "--update", "-o", str(folder)) if named else ("new", "mlp", "--update")
    result = run_dlgen(*args, cwd=tmp_path)
    where = str(folder) if named else "mlp"
    assert result.returncode == 1, result.stdout
    assert (
        result.stderr == f"{where}: error: no such folder to update; without --update, "
        "dlgen new generates a new one\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_update_through_a_spec_link_to_a_device_is_one_line(tmp_path: Path) -> None:
    """#17: `dlgen-spec.yaml` linked to /dev/zero was read until MemoryError under --update."""
    folder = tmp_path / "project"
    assert run_dlgen("new", "linear_regression", "-o", str(folder)).returncode == 0
    (folder / "dlgen-spec.yaml").unlink()
    (folder / "dlgen-spec.yaml").symlink_to("/dev/zero")
    result = run_dlgen("new", "--update", "-o", str(folder))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{folder / 'dlgen-spec.yaml'}: error: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["parent", "absolute", "dotdot"])
def test_update_refuses_a_manifest_entry_outside_the_project(tmp_path: Path, where: str) -> None:
    """Issue 17: a `../v.txt` entry in the manifest deleted a file outside the project."""
    target = tmp_path / "tut"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    assert run_dlgen("new", "linear_regression", "-o", str(target)).returncode == 0
    entry = {"parent": "../victim.txt", "absolute": str(victim), "dotdot": "tests/../../victim.txt"}
    manifest = json.loads((target / MANIFEST).read_text())
    manifest["files"][entry[where]] = digest("victim.txt", "precious\n")  # "dlgen's": removable
    (target / MANIFEST).write_text(json.dumps(manifest))
    result = run_dlgen("new", "--update", "-o", str(target))
    assert result.returncode == 1
    assert result.stderr == (
        f"{target / MANIFEST}: error: not a dlgen manifest: the entry {entry[where]!r} is not a "
        "file inside the project with its sha256\n"
    )
    assert victim.read_text() == "precious\n"


def test_update_does_not_write_through_a_linked_folder(tmp_path: Path) -> None:
    """Issue 17: a symlinked folder inside the project was written through."""
    target = tmp_path / "tut"
    assert run_dlgen("new", "linear_regression", "-o", str(target)).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    (target / "pytorch").rename(elsewhere)
    (target / "pytorch").symlink_to(elsewhere)
    before = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    result = run_dlgen("new", "--update", "-o", str(target), "--set", "train.epochs=3")
    assert result.returncode == 1
    assert result.stderr.startswith(f"{target / 'pytorch'}: error: is a symbolic link; ")
    assert result.stderr.count("\n") == 1
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before
    assert (target / "pytorch").is_symlink()


def test_new_prints_a_tree_and_next_steps(tmp_path: Path) -> None:
    result = run_dlgen("new", "linear_regression", "-o", str(tmp_path / "lr"))
    assert result.returncode == 0, result.stderr
    assert "├── pytorch/" in result.stdout and "tutorial.ipynb" in result.stdout
    assert "python compare.py" in result.stdout and "next:" in result.stdout
    assert "make_sample_data.py" not in result.stdout  # its data is made in the code


def test_new_says_to_make_sample_data_where_the_spec_reads_a_file(tmp_path: Path) -> None:
    result = run_dlgen("new", "tabular_regression", "-o", str(tmp_path / "tr"))
    assert result.returncode == 0, result.stderr
    steps = result.stdout[result.stdout.index("next:") :]
    assert steps.index("python make_sample_data.py") < steps.index("python compare.py")


# ---------------------------------------------------------------- every tutorial, executed

# How each example's tutorial runs here: image_classifier at 32×32 (64×64 only costs time),
# text_lstm in Chinese and without its data file (the tutorial's tests write a random one).
RUN_OVERRIDES = {"image_classifier": ["--set", "data.input_shape=[3,32,32]"]}
RUN_LANG = {"text_lstm": "zh"}
SAMPLE_DATA = {"text_lstm"}
EXECUTED = (
    "test_compare_agrees_and_writes_the_table",
    "test_notebook_runs_top_to_bottom[pytorch]",
    "test_notebook_runs_top_to_bottom[tensorflow]",
)
ROW = re.compile(r"^\| (pytorch|tensorflow) \| (.*) \|$", re.M)
# The slowest first (LSTM exports, compiled training), so that the last one does not run alone.
RUN_ORDER = sorted(EXAMPLE_NAMES, key=lambda name: name not in ("text_lstm", "image_classifier"))


class TutorialRuns:
    """Each example's tutorial suite (`python -m pytest` in the generated repo), two at once.

    A tutorial spends most of its time starting processes that import torch or TensorFlow,
    which is single-threaded: while a test waits for its example's suite, the next selected
    example's already runs on the other core (each with one math thread, OMP_NUM_THREADS=1,
    so the two do not fight over the cores). The two projects' smoke tests are deselected:
    test_e2e runs them on the same generated files.
    """

    def __init__(self, root: Path, order: list[str]) -> None:
        self.root, self.order = root, order
        self.started: dict[str, tuple[subprocess.Popen | None, Path]] = {}

    def start(self, name: str) -> None:
        if name in self.started:
            return
        folder = self.root / name
        folder.mkdir(parents=True)
        log = folder / "pytest.log"
        lang = RUN_LANG.get(name, "en")
        made = run_dlgen(
            "new", name, "-o", str(folder / "repo"), "--lang", lang, *RUN_OVERRIDES.get(name, [])
        )
        if made.returncode != 0:
            log.write_text(made.stdout + made.stderr)
            self.started[name] = (None, log)
            return
        env = {k: v for k, v in os.environ.items() if k not in ("TUTORIAL_DATA", "TUTORIAL_TEST")}
        if name not in SAMPLE_DATA and data_for(name) != "unused":
            env["TUTORIAL_DATA"] = data_for(name)
            if held_out_data_for(name):
                env["TUTORIAL_TEST"] = held_out_data_for(name)
        command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
        command += ["--basetemp", str(folder / "tmp")]
        command += ["--deselect", "tests/test_tutorial.py::test_project_smoke_tests"]
        with log.open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=folder / "repo",
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**env, "TF_CPP_MIN_LOG_LEVEL": "2", "OMP_NUM_THREADS": "1"},
                start_new_session=True,  # its own process group: stopped whole at teardown
            )
        self.started[name] = (process, log)

    def result(self, name: str) -> tuple[int, str, Path]:
        """Exit status and output of `name`'s suite, and its folder; starts the next one."""
        self.start(name)
        if name in self.order:
            for following in self.order[self.order.index(name) + 1 :][:1]:
                self.start(following)
        process, log = self.started[name]
        status = process.wait(timeout=1200) if process else 1
        return status, log.read_text(), self.root / name

    def stop(self) -> None:
        for process, _ in self.started.values():
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def tutorial_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_tutorial_runs_end_to_end"
    ]
    runs = TutorialRuns(tmp_path_factory.mktemp("tutorials"), selected)
    yield runs
    runs.stop()


@pytest.mark.slow
@pytest.mark.parametrize("name", RUN_ORDER)
def test_tutorial_runs_end_to_end(name: str, tutorial_runs: TutorialRuns) -> None:
    """The tutorial's own tests pass: compare.py fills in the table and draws the plot, both
    notebooks run top to bottom (nbclient), each for one epoch of three batches."""
    pytest.importorskip("nbclient")
    image = pytest.importorskip("matplotlib.image")
    status, log, folder = tutorial_runs.result(name)
    assert status == 0, log[-6000:]
    for test in EXECUTED:
        assert f"tests/test_tutorial.py::{test} PASSED" in log, f"{test} did not pass:\n{log}"
    (readme,) = folder.glob("tmp/test_compare_agrees*0/README.md")  # not pytest's *current link
    rows = dict(ROW.findall(readme.read_text(encoding="utf-8")))
    assert sorted(rows) == ["pytorch", "tensorflow"]
    for framework, row in rows.items():
        seconds, memory, loss, metric = row.split(" | ")
        numbers = [float(seconds), float(memory.replace(",", "")), float(loss)]
        numbers += [] if metric == "-" else [float(metric.split()[-1])]
        assert all(math.isfinite(n) for n in numbers), f"{framework}: {row}"
    plot = readme.parent / "loss_curves.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.imread(plot).shape[2] in (3, 4), "an RGB(A) image that decodes"
