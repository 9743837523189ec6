"""Translator robustness (issue 7): empty, huge, non-UTF-8, mixed-library and mutated files get a
clean one-line error or a complete report; every output parses; untranslated code is kept and
marked, never dropped."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.errors import DlgenError
from codegen.translate.api import translate_source
from codegen.translate.report import MARK
from conftest import REPO, run_dlgen

CORPUS = REPO / "examples" / "translate"
SOURCES = sorted(p for p in CORPUS.glob("*.py") if p.name != "check_corpus.py")

BLOCK = '''

class Block{i}(nn.Module):
    """Block {i}: conv, norm, activation, pooled to a vector."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)
'''


def _parses(code: str) -> None:
    ast.parse(code)


def test_empty_file_translates_to_an_empty_report(tmp_path: Path) -> None:
    source = tmp_path / "empty.py"
    source.write_text("")
    result = run_dlgen("translate", str(source), "-o", str(tmp_path / "empty_tf.py"))
    assert result.returncode == 0, result.stderr
    _parses((tmp_path / "empty_tf.py").read_text())
    assert translate_source("", "empty.py").report.total == 0


def test_a_file_that_is_not_utf8_is_one_clean_line(tmp_path: Path) -> None:
    source = tmp_path / "latin1.py"
    source.write_bytes("# café\nimport torch\n".encode("latin-1"))
    result = run_dlgen("translate", str(source), "-o", str(tmp_path / "out.py"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith(str(source)) and "Traceback" not in result.stderr
    assert not (tmp_path / "out.py").exists()


def test_a_huge_file_gets_a_complete_report() -> None:
    header = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    text = header + "".join(BLOCK.format(i=i) for i in range(700))
    assert text.count("\n") > 10_000
    translation = translate_source(text, "huge.py")
    _parses(translation.code)
    assert translation.code.count("(keras.Model)") == 700
    assert translation.report.total >= 700 * 8 and not translation.report.left


def test_pytorch_mixed_with_other_libraries_keeps_and_marks_what_it_cannot_translate() -> None:
    text = (
        "import numpy as np\nimport pandas as pd\nimport torch\nfrom torch import nn\n\n"
        "frame = pd.read_csv('data.csv')\nx = torch.tensor(frame.values, dtype=torch.float32)\n"
        "scores = np.linalg.norm(frame.values, axis=1)\n\n\n"
        "class Head(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n        self.attn = nn.FractionalMaxPool2d(2, output_size=3)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    )
    translation = translate_source(text, "mixed.py")
    _parses(translation.code)
    assert "pd.read_csv('data.csv')" in translation.code  # other libraries stay as they are
    assert "np.linalg.norm(frame.values, axis=1)" in translation.code
    assert MARK in translation.code  # nn.FractionalMaxPool2d: kept and marked
    assert "nn.FractionalMaxPool2d(2, output_size=3)" in translation.code
    assert translation.report.left


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_mutated_corpus_files_give_a_clean_error_or_code_that_parses(data) -> None:
    source = data.draw(st.sampled_from(SOURCES), label="file")
    lines = source.read_text().splitlines(keepends=True)
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        i = rng.randrange(len(lines))
        kind = rng.choice(["drop", "duplicate", "truncate", "indent"])
        if kind == "drop":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "truncate":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + "\n"
        else:
            lines[i] = "    " + lines[i]
        if not lines:
            lines = ["\n"]
    text = "".join(lines)
    try:
        translation = translate_source(text, source.name)
    except DlgenError as error:
        message = str(error)
        assert message.startswith(source.name) and "\n" not in message.split("\n")[0]
        return
    _parses(translation.code)
    for construct in translation.report.left:
        assert construct.line >= 1


@pytest.mark.parametrize("source", SOURCES[:4], ids=lambda p: p.name)
def test_untranslated_lines_are_never_dropped(source: Path) -> None:
    """Every statement of the input is still in the output: translated or kept as it was."""
    translation = translate_source(source.read_text(), source.name)
    before = len([n for n in ast.walk(ast.parse(source.read_text())) if isinstance(n, ast.stmt)])
    after = len([n for n in ast.walk(ast.parse(translation.code)) if isinstance(n, ast.stmt)])
    assert after >= before * 0.8, (before, after)


def test_a_walk_that_still_overflows_is_one_error(monkeypatch) -> None:
    """Below the depth check's limit a walk could still overflow (a deeper caller's stack):
    that is a SourceError too, never a RecursionError (#17)."""
    from codegen.translate import source

    monkeypatch.setattr(source, "MAX_DEPTH", 10**6)  # the check out of the way
    text = "import torch\nx = " + "torch.relu(" * 190 + "x" + ")" * 190 + "\n"
    with pytest.raises(DlgenError, match="nested too deeply for the translator"):
        translate_source(text, "deep.py")


def test_a_legacy_tensor_class_imported_under_another_name_translates() -> None:
    """`from torch import Tensor as T; T([1.0, 2.0])` (pytorch_geometric's tests) crashed
    the translator with a KeyError: the rule read the dtype off the name as written."""
    result = translate_source(
        "from torch import Tensor as T\n\nx = T([1.0, 2.0])\ny = T(3)\n", "t.py"
    )
    assert not result.report.left
    assert "tf.constant([1.0, 2.0], tf.float32)" in result.code
    assert "tf.zeros((3,), tf.float32)" in result.code
