"""The piece-by-piece translation (codegen/translate/pieces.py) gives exactly what translating
the file as one libcst module gives, while libcst only sees the statements that need it."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codegen.translate import api, formatting, pieces
from codegen.translate.api import translate_pieces, translate_source, translate_whole
from conftest import REPO

CORPUS = REPO / "examples" / "translate"
CASES = REPO / "tests" / "data" / "translate"
FILES = sorted(p for p in CORPUS.glob("*.py") if p.name != "check_corpus.py") + sorted(
    p for p in CASES.glob("*.py") if not p.stem.endswith("_tf")
)


def _same(text: str, name: str = "t.py") -> None:
    fast = translate_pieces(text, name)  # raises pieces.Fallback if it did not take the file
    whole = translate_whole(text, name)
    assert fast.code == whole.code
    assert fast.report.constructs == whole.report.constructs


@pytest.mark.parametrize("source", FILES, ids=lambda p: p.name)
def test_pieces_give_the_whole_module_translation(source: Path) -> None:
    _same(source.read_text(encoding="utf-8"), source.name)


PLAIN = '''"""Data helpers: nothing here uses PyTorch."""

import json
import os


CONFIG = {"a":1,  "b" :[1,2,
      3]}   # odd spacing black would change


def load(path):
    # read a json file
    with open(path) as handle:
        return json.load(handle)


class Registry:
    items = []

    def add(self, item):
        self.items.append(item);  self.items.sort()
        return  item
'''

MODEL = """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return F.relu(self.fc(x))
"""


def test_plain_code_is_copied_byte_for_byte_and_libcst_only_sees_pytorch(monkeypatch) -> None:
    """Lots of plain code, then a PyTorch model: the plain code comes out byte for byte (black
    would change it), the model is translated, and no piece given to libcst holds plain code."""
    plain = "".join(
        PLAIN.replace("load", f"load_{i}").replace("Registry", f"Registry{i}") for i in range(40)
    )
    text = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n" + plain + MODEL
    parsed: list[str] = []
    real = pieces.cst.parse_module

    def spy(source, *args, **kwargs):
        parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pieces.cst, "parse_module", spy)
    result = translate_pieces(text, "mixed.py")
    assert plain in result.code
    assert "class Net(keras.Model):" in result.code
    assert "keras.layers.Dense(2, **torch_init(8))" in result.code
    assert "def call(self, x, training=False):" in result.code
    assert not result.report.left
    assert parsed and not any("json" in source or "Registry" in source for source in parsed)
    assert sum(source.count("\n") for source in parsed) < 40
    monkeypatch.undo()
    assert result.code == translate_whole(text, "mixed.py").code


def test_one_line_bodies_keep_statements_and_lines_in_step() -> None:
    """`def f(x): return x` used to put the statement table one off, so a later statement was
    skipped as if it had nothing to translate (and report lines were wrong)."""
    text = textwrap.dedent("""\
        import torch.nn as nn


        def identity(x): return x


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)
        """)
    for result in (translate_pieces(text), translate_whole(text)):
        assert "self.fc = keras.layers.Dense(2, **torch_init(2))" in result.code
        lines = {c.name: c.line for c in result.report.constructs}
        assert lines["torch.nn.Linear"] == 10 and lines["torch.nn.Module"] == 7


def test_a_statement_line_with_semicolons_that_black_would_split_is_kept() -> None:
    text = "import torch\n\n\ndef f(x):\n    x = x.view(-1); y = 2\n    return x, y\n"
    _same(text)
    assert "x = tf.reshape(x, (-1,)); y = 2" in translate_source(text).code


@pytest.mark.parametrize(
    "text",
    [
        "import torch\n\n\ndef f(x):\n\treturn torch.zeros(3)\n",  # tabs
        "import torch\r\nx = torch.zeros(3)\r\n",  # CRLF
        "import torch\nx = torch.zeros(3)",  # no final newline
    ],
    ids=["tabs", "crlf", "no-final-newline"],
)
def test_files_the_pieces_path_does_not_take_translate_as_one_module(text: str) -> None:
    with pytest.raises(pieces.Fallback):
        translate_pieces(text)
    assert translate_source(text).code == translate_whole(text).code


def test_comments_and_blank_lines_go_where_libcst_puts_them() -> None:
    """Trailing comments belong to the block they are indented into; a removed statement
    takes its leading comments with it, except an import (they go to what follows); an
    emptied block gets `pass`."""
    text = textwrap.dedent("""\
        # header comment
        import torch
        # about nn
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)
                    # deeper than the block
            # at the method level

              # in between
            def helper(self, model):
                # about eval
                model.eval()
        # module level

            # back in the class?
        x = torch.zeros(3)
          # indented, at the end

          \n""")
    _same(text)
    assert "        pass\n" in translate_pieces(text).code


def test_format_snippet_is_black() -> None:
    """format_snippet skips black's second pass when the first added no trailing comma."""
    import black

    statements = set()
    for path in FILES[:8]:
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assign | ast.Expr | ast.Return):
                segment = ast.get_source_segment(source, node) or ""
                if len(segment) > 30:
                    statements.add(textwrap.dedent(segment) + "\n")
    assert len(statements) > 50
    for statement in sorted(statements):
        for width in (40, 64, 88):
            expected = black.format_str(statement, mode=black.Mode(line_length=width))
            assert formatting.format_snippet.__wrapped__(statement, width) == expected


def test_line_length_is_the_generators() -> None:
    from codegen.render import LINE_LENGTH

    assert formatting.LINE_LENGTH == LINE_LENGTH


def test_translation_does_not_load_jinja_or_the_spec_machinery() -> None:
    code = (
        "import sys\nfrom codegen.translate.driver import translate_path\n"
        "print(sorted(m for m in ('jinja2', 'pydantic', 'yaml', 'codegen.render', "
        "'codegen.spec', 'codegen.ops') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------- generated programs

_SIMPLE = [
    "x = F.relu(self.fc(x))",
    "x = x.view(x.size(0), -1)",
    "y = x + 1",
    "return self.fc(x)",
    "self.fc = nn.Linear(4, 2)",
    "self.drop = nn.Dropout(0.5)",
    "self.seq = nn.Sequential(\n    nn.Conv2d(1, 4, 3),\n    # inner comment\n    nn.ReLU(),\n)",
    "model.eval()",
    "x = x.to(device)",
    "print('hello')",
    "total += 1",
    "z = torch.zeros(3, 4)",
    "z[0] = 1.0",
    "if self.training:\n    x = self.drop(x)",
    "pass",
    "import torch.nn as nn2",
    "b = m.bias is not None",
    "k = foo(a,\n    b,\n)",
    "q = x.sum(dim=1)  # trailing",
    "v = torch.cat([x, x], dim=1); u = v * 2",
    "out = self.output(x)",
    "if x: y = F.relu(x)",
    "match x:\n    case 1:\n        y = torch.zeros(3)\n    case _:\n        pass",
]
_HEADS = ["if x > 0:", "for i in range(3):", "with torch.no_grad():", "try:", "while False:"]


def _gaps(rng: random.Random, depth: int) -> list[str]:
    out = []
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        indent = " " * rng.choice([0, 2, 4 * depth, 4 * (depth + 1), 4 * max(depth - 1, 0)])
        out.append(rng.choice([indent + f"# c{rng.randrange(99)}", "", indent]))
    return out


def _block(rng: random.Random, depth: int, count: int, in_class: bool) -> list[str]:
    pad = "    " * depth
    lines: list[str] = []
    for _ in range(count):
        lines += _gaps(rng, depth)
        r = rng.random()
        if r < 0.12 and depth < 4:
            head = rng.choice(_HEADS)
            lines.append(pad + head)
            lines += _block(rng, depth + 1, rng.randint(1, 3), in_class and r < 0.06)
            if head == "try:":
                lines += [pad + "except ValueError:", pad + "    pass"]
        elif (in_class and r < 0.6) or (r < 0.18 and depth < 3):
            lines += _function(rng, depth)
        elif r < 0.24:
            lines.append(pad + "for batch in loader:")
            steps = ["opt.zero_grad()", "loss = crit(model(batch), batch)"]
            steps += ["loss.backward()", "opt.step()"]
            lines += [pad + "    " + step for step in steps]
        else:
            lines += textwrap.indent(rng.choice(_SIMPLE), pad).split("\n")
    return lines


def _function(rng: random.Random, depth: int) -> list[str]:
    pad = "    " * depth
    lines = [pad + "@torch.no_grad()"] if rng.random() < 0.15 else []
    name = rng.choice(["forward", "__init__", "helper", "extra_repr"])
    signature = rng.choice(["(self, x)", "(self, x: torch.Tensor) -> torch.Tensor", "(\n%s)"])
    if "%s" in signature:
        signature = signature % f"{pad}    self,\n{pad}    x,\n{pad}"
    if rng.random() < 0.1:
        return [*lines, f"{pad}def {name}{signature}: return x"]
    lines.append(f"{pad}def {name}{signature}:")
    return lines + _block(rng, depth + 1, rng.randint(1, 5), False)


def _program(rng: random.Random) -> str:
    lines = ['"""Module doc."""', ""] if rng.random() < 0.3 else []
    imports = ["import torch", "import torch.nn as nn", "import torch.nn.functional as F"]
    imports += ["import numpy as np", "import os"]
    rng.shuffle(imports)
    lines += imports[: rng.randint(0, 5)]
    for _ in range(rng.randint(1, 6)):
        lines += [*_gaps(rng, 0), "", ""]
        r = rng.random()
        if r < 0.5:
            base = rng.choice(["nn.Module", "object", "Base", "torch.nn.Module"])
            lines.append(f"class {rng.choice(['Net', 'Base', 'Head'])}({base}):")
            lines += _block(rng, 1, rng.randint(1, 4), True)
        elif r < 0.75:
            lines += _function(rng, 0)
        else:
            lines += _block(rng, 0, rng.randint(1, 3), False)
    return "\n".join(lines + _gaps(rng, 0)) + "\n"


@pytest.mark.parametrize("seed", range(8))
def test_generated_programs_translate_the_same_both_ways(seed: int) -> None:
    """Random classes, methods, blocks, training loops, one-line bodies, comments and blank
    lines at every indentation: both paths agree on the code and the report."""
    taken = 0
    for number in range(seed * 15, seed * 15 + 15):
        text = _program(random.Random(number))
        try:
            fast = translate_pieces(text, f"p{number}.py")
        except pieces.Fallback:  # a `match` before any other block: the whole-module path
            continue
        whole = api.translate_whole(text, f"p{number}.py")
        assert fast.code == whole.code, text
        assert fast.report.constructs == whole.report.constructs, text
        taken += 1
    assert taken >= 10
