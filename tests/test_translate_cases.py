"""Translator cases: each tests/data/translate/NAME.py must translate to NAME_tf.py exactly.

Regenerate the expected files (then review them with `git diff tests/data/translate`):

    .venv/bin/python tests/test_translate_cases.py
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codegen.translate import formatting  # noqa: E402
from codegen.translate.api import translate_source  # noqa: E402
from codegen.translate.source import SourceError  # noqa: E402

CASES = REPO / "tests" / "data" / "translate"
REGEN = ".venv/bin/python tests/test_translate_cases.py"
# Translations are formatted at black's 88 columns and must also be left alone by the repo's
# `black --check .` at 100: keep case statements either short or long enough to split anyway.
INPUTS = sorted(p for p in CASES.glob("*.py") if not p.stem.endswith("_tf"))


def expected_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}_tf.py")


def translate_case(source: Path):
    return translate_source(source.read_text(encoding="utf-8"), source.relative_to(REPO).as_posix())


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.stem)
def test_case_matches_expected(source: Path) -> None:
    expected = expected_path(source).read_text(encoding="utf-8")
    actual = translate_case(source).code
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), "expected", "actual"
            )
        )
        pytest.fail(f"{source.name} translates differently; if intended, run {REGEN}\n{diff}")


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.stem)
def test_case_output_is_black_stable(source: Path) -> None:
    """Formatting the translation again changes nothing (black's assert_stable)."""
    actual = translate_case(source).code
    assert formatting.whole(actual) == actual


def test_expected_outputs_pass_ruff_and_compile() -> None:
    files = [str(expected_path(p)) for p in INPUTS]
    for path in files:
        compile(Path(path).read_text(encoding="utf-8"), path, "exec")
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", *files], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_untranslated_constructs_are_marked_and_reported() -> None:
    result = translate_case(CASES / "untranslated.py")
    left = [(c.line, c.name, c.detail) for c in result.report.left]
    assert left == [
        (10, "torch.nn.FractionalMaxPool2d", "torch.nn.FractionalMaxPool2d has no translation"),
        (14, "torch.fft.rfft", "torch.fft.rfft has no translation"),
    ]
    assert result.report.total == 7
    assert round(result.report.rate, 4) == 0.7143
    lines = result.code.splitlines()
    marker = lines.index(
        "        # dlgen: not translated: torch.nn.FractionalMaxPool2d has no translation"
    )
    assert lines[marker + 1] == "        self.act = nn.FractionalMaxPool2d(2, output_size=3)"
    # the imports the kept code needs stay, marked
    assert "import torch.nn as nn  # dlgen: not translated: used by untranslated code" in lines


def test_every_case_is_fully_translated_except_the_untranslated_one() -> None:
    for source in INPUTS:
        report = translate_case(source).report
        if source.stem != "untranslated":
            assert not report.left, (source.name, report.left)


# Inputs that do not parse are stored as .py.txt so that linters and formatters skip them.
INVALID = {
    "unclosed_paren.py.txt": (
        "tests/data/translate/invalid/unclosed_paren.py.txt:4:26: cannot parse: invalid syntax",
        "    class Net(torch.nn.Module:\n                             ^",
    ),
    "bad_indent.py.txt": (
        "tests/data/translate/invalid/bad_indent.py.txt:4:3: cannot parse: unexpected indent",
        "      y = x\n      ^",
    ),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_parse_errors_point_at_the_problem(name: str) -> None:
    source = CASES / "invalid" / name
    with pytest.raises(SourceError) as caught:
        translate_case(source)
    message, excerpt = INVALID[name]
    assert str(caught.value) == message
    assert caught.value.excerpt == excerpt


def test_translation_never_imports_torch_or_tensorflow() -> None:
    """The whole CLI process: translate a model, then list the heavy modules it loaded."""
    code = (
        "import sys\n"
        "from codegen.cli import app\n"
        "try:\n"
        f"    app(['translate', {str(CASES / 'import_styles.py')!r}, '-o', sys.argv[1]])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'tensorflow', 'keras', 'numpy'))\n"
        "print('HEAVY', heavy)\n"
    )
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"dlgen-import-check-{os.getpid()}.py"
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(out)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )
    finally:
        out.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout, result.stdout


def test_same_input_gives_byte_identical_output_under_two_hash_seeds() -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from codegen.translate.api import translate_source\n"
        "for p in sorted(Path(sys.argv[1]).glob('*.py')):\n"
        "    if not p.stem.endswith('_tf'):\n"
        "        sys.stdout.write(translate_source(p.read_text(), p.name).code)\n"
    )
    outputs = []
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script, str(CASES)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def regenerate() -> None:
    """Write NAME_tf.py for every case input."""
    for source in INPUTS:
        target = expected_path(source)
        target.write_text(translate_case(source).code, encoding="utf-8")
        print(f"wrote {target.relative_to(REPO)}")


if __name__ == "__main__":
    regenerate()


SNIPPETS = [
    (
        "opt = Adam(model.parameters(), lr=0.01, betas=(0.5, 0.99))",
        "opt = keras.optimizers.Adam(learning_rate=0.01, beta_1=0.5, beta_2=0.99, epsilon=1e-08)",
    ),
    (
        "opt = torch.optim.AdamW(model.parameters())",
        "opt = keras.optimizers.AdamW(learning_rate=0.001, epsilon=1e-08, weight_decay=0.01)",
    ),
    (
        "opt = optim.Adadelta(model.parameters(), lr=args.lr)",
        "opt = keras.optimizers.Adadelta(learning_rate=args.lr, rho=0.9, epsilon=1e-06)",
    ),
    (
        "opt = optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4)",
        "opt = keras.optimizers.SGD(learning_rate=0.1, weight_decay=1e-4)",
    ),
    ("h = torch.zeros(2, n, 8, device=x.device)", "h = tf.zeros((2, n, 8))"),
    (
        "y = x.to(device).float().mean(1, keepdim=True)",
        "y = tf.reduce_mean(tf.cast(x, tf.float32), axis=1, keepdims=True)",
    ),
    (
        "n = (pred == y).sum().item()",
        "n = tf.reduce_sum(tf.cast((pred == y), tf.int64)).numpy().item()",
    ),
    (
        "k = x.argmax(1).eq(y).float().mean()",
        "k = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(x, axis=1), y), tf.float32))",
    ),
    (
        "loss = F.cross_entropy(out, y, label_smoothing=0.1)",
        "loss = cross_entropy(out, y, label_smoothing=0.1)",
    ),
    ("sched = StepLR(opt, 30, gamma=0.1)", "sched = StepLR(opt, 30, gamma=0.1)"),
    # #26 point 2: a bare int size is a shape of one axis (tf.random.normal(1) is an error)
    ("noise = torch.randn(1)", "noise = tf.random.normal((1,))"),
    ("noise = torch.rand(n)", "noise = tf.random.uniform(as_shape(n))"),
    (
        "k = torch.randint(n, size=(1,))",
        "k = tf.random.uniform((1,), 0, n, dtype=tf.int64)",
    ),
    (
        "k = torch.randint(2, n, (3,), dtype=torch.int32)",
        "k = tf.random.uniform((3,), 2, n, dtype=tf.int32)",
    ),
    (
        "k = torch.randint(low=2, high=9, size=(3,))",
        "k = tf.random.uniform((3,), 2, 9, dtype=tf.int64)",
    ),
    # numpy's own .item(): what a numpy function returned is not a tensor, nor a local
    # assigned it (until it is assigned a tensor)
    (
        "def f(x):\n    acc = np.mean(x)\n    a = acc.item()\n    acc = torch.ones(1)\n"
        "    return a, acc.item()",
        "def f(x):\n    acc = np.mean(x)\n    a = acc.item()\n    acc = tf.ones((1,))\n"
        "    return a, acc.numpy().item()",
    ),
    (
        "v = np.float32(x).item() + np.array(y)[0].item()",
        "v = np.float32(x).item() + np.array(y)[0].item()",
    ),
    # #26 point 2: a name only ever bound to what numpy made, or to a tensor's .numpy(), is
    # numpy's, at module level and in a function, even where its binding needs no translating
    (
        "a = np.ones((3, 4))\nprint(a.sum(), a.argmax(1), a.nonzero(), a.mean(axis=0))",
        "a = np.ones((3, 4))\nprint(a.sum(), a.argmax(1), a.nonzero(), a.mean(axis=0))",
    ),
    (
        "def f(t):\n    a = np.ones(3)\n    return a.sum(), t.sum(dim=0)",
        "def f(t):\n    a = np.ones(3)\n    return a.sum(), tf.reduce_sum(t, axis=0)",
    ),
    (
        "def f(x):\n    p = x.argmax(1).numpy()\n    return p.sum(), p.max(0)",
        "def f(x):\n    p = tf.argmax(x, axis=1).numpy()\n    return p.sum(), p.max(0)",
    ),
    # ... but not what the user's own module returns (it may be a tensor), nor a name bound to
    # a tensor as well
    (
        "from loaders import load_batch\nx = load_batch()\ny = x.sum(dim=1)",
        "from loaders import load_batch\nx = load_batch()\ny = tf.reduce_sum(x, axis=1)",
    ),
    ("b = np.ones(3)\nb = torch.ones(3)\nc = b.sum()", "b = tf.ones((3,))\nc = tf.reduce_sum(b)"),
    # cuDNN switches: TensorFlow picks its kernels itself; determinism has a switch
    ("torch.backends.cudnn.deterministic = True", "tf.config.experimental.enable_op_determinism()"),
    (
        "def f():\n    torch.backends.cudnn.benchmark = True\n    return 1",
        "def f():\n    return 1",
    ),
    # a tensor method's receiver and arguments are tensors: their .data is PyTorch's
    (
        "k = x.data.argmax(1).eq(y.data)",
        "k = tf.equal(tf.argmax(tf.stop_gradient(x), axis=1), tf.stop_gradient(y))",
    ),
    # a receiver of unknown type (a parameter) may be numpy's: np.asarray serves both
    (
        "def f(stats):\n    return stats.item(), stats[0].tolist()",
        "def f(stats):\n    return np.asarray(stats).item(), np.asarray(stats[0]).tolist()",
    ),
]
PREAMBLE = (
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import optim\n"
    "from torch.optim import Adam\nfrom torch.optim.lr_scheduler import StepLR\n\n"
)


@pytest.mark.parametrize("source,expected", SNIPPETS, ids=[s[0][:40] for s in SNIPPETS])
def test_statement_translation(source: str, expected: str) -> None:
    result = translate_source(PREAMBLE + source + "\n", "snippet.py")
    assert not result.report.left, result.report.left
    assert result.code.rstrip("\n").endswith("\n" + expected), result.code[-400:]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# a comment\n",
        '"""doc"""\nimport os\n\nprint(os.sep)\n',
        "x = 1\n\n\ndef f():\n    return x\n",
    ],
)
def test_a_file_without_pytorch_comes_out_unchanged(text: str) -> None:
    result = translate_source(text, "plain.py")
    assert result.code == text
    assert result.report.total == 0 and result.report.rate == 1.0


def test_recurrent_options_the_prelude_lacks_are_refused_at_translation() -> None:
    source = (
        "import torch.nn as nn\n\n\n"
        "class R(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.a = nn.LSTM(3, 4, bias=False)\n"
        "        self.b = nn.GRU(3, 4, 1, False)\n"
        "        self.c = nn.LSTM(3, 4, proj_size=2)\n"
        "        self.d = nn.LSTM(3, 4, 2, True, batch_first=True)\n"
        "        self.e = nn.GRUCell(3, 4, bias=False)\n"
    )
    report = translate_source(source, "r.py").report
    assert [(c.line, c.detail) for c in report.left] == [
        (7, "nn.LSTM bias=False has no translation"),
        (8, "nn.GRU bias=False has no translation"),
        (9, "nn.LSTM proj_size=2 has no translation"),
        (11, "nn.GRUCell bias=False has no translation"),
    ]


def test_an_import_the_file_already_has_is_not_added_again() -> None:
    """Found on the corpus: a rule that needs numpy added `import numpy as np` at the top
    while the file's own, under its own comment, stayed: a duplicate import (ruff F811)."""
    source = (
        "# Model\nimport torch\n\n# Data helpers\nimport numpy as np\n\n\n"
        "def f(x):\n    return x.detach().cpu().numpy(), torch.from_numpy(np.zeros(3))\n"
    )
    code = translate_source(source, "f.py").code
    assert code.count("import numpy as np") == 1, code
    assert "# Data helpers\nimport numpy as np\n" in code  # the user's, by its comment


def test_the_prelude_follows_a_late_torch_import() -> None:
    """Found by trying a script style: with `import torch` after module-level code, the prelude
    (classes subclassing keras.layers.Layer) went above the translated `import keras`, and the
    output raised NameError on import. Both translation paths."""
    from codegen.translate.api import translate_whole

    source = (
        'import os\n\nDEBUG = os.environ.get("DEBUG")\n\nimport torch  # noqa: E402\n'
        "from torch import nn  # noqa: E402\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.conv = nn.Conv2d(1, 2, 3)\n\n"
        "    def forward(self, x):\n        return torch.flatten(self.conv(x), 1)\n"
    )
    for translate in (translate_source, translate_whole):
        code = translate(source, "late.py").code
        keras_import = "\nimport keras  # noqa: E402\n"  # the torch import's noqa carried over
        assert code.index(keras_import) < code.index("(keras.layers.Layer):"), code
        assert code.index('DEBUG = os.environ.get("DEBUG")') < code.index(keras_import)
        compile(code, "late_tf.py", "exec")


CLASHES = {
    # the file's own `topk` at module level would replace dlgen's (or be replaced by it)
    "def topk(values, k):\n    return sorted(values)[-k:]\n\n\nv, i = x.topk(2)\n": "topk",
    # a parameter named like the prelude function, used in its own function
    "def accuracy(output, topk=(1,)):\n    return output.topk(max(topk), 1, True, True)\n": "topk",
    # a local assigned later in the same function makes the name local throughout
    "def f(a, b):\n    mse_loss = F.mse_loss(a, b)\n    return mse_loss\n": "mse_loss",
    # a definition the prelude function needs, taken at module level
    "reduce_loss = 3\n\n\ndef f(a, b):\n    return F.mse_loss(a, b)\n": "reduce_loss",
}


@pytest.mark.parametrize("source", sorted(CLASHES))
def test_a_prelude_name_the_file_binds_itself_is_refused_not_clobbered(source: str) -> None:
    """Translating would bring a prelude definition under a name the user's code binds where
    the translated call looks it up: the construct stays, marked, and the output defines the
    name once (the user's); both translation paths agree."""
    from codegen.translate.api import translate_whole

    for translate in (translate_source, translate_whole):
        result = translate(PREAMBLE + source, "clash.py")
        assert [c.detail for c in result.report.left] == [
            f"its translation needs dlgen's {CLASHES[source]}, a name this file defines or "
            "assigns itself there: rename yours"
        ]
        own = f"def {CLASHES[source]}("
        assert result.code.count(own) == source.count(own)  # the user's alone, if any


def test_a_prelude_name_bound_only_in_another_function_is_no_clash() -> None:
    """pytorch/examples' fast_neural_style: `mse_loss = torch.nn.MSELoss()` in one function
    does not hide the prelude's mse_loss that the translated MSELoss calls elsewhere."""
    source = "def train():\n    mse_loss = torch.nn.MSELoss()\n    return mse_loss\n"
    result = translate_source(PREAMBLE + source, "style.py")
    assert not result.report.left, result.code
    assert "def mse_loss(" in result.code


def test_an_argument_spanning_lines_keeps_its_parentheses() -> None:
    """jindongwang/transferlearning: `torch.device("cuda:0"\\n if ... else "cpu")` crashed
    the translator (the argument's text, without the call's parentheses, does not parse);
    `Variable(...)` and `DataParallel(...)` take their argument's place the same way."""
    source = (
        "import torch\n\n"
        'device = torch.device("cuda:0"\n                      if torch.cuda.is_available() '
        'else "cpu")\n'
        "x = torch.autograd.Variable(torch.zeros(2)\n                            + 1)\n"
        "net = torch.nn.DataParallel(torch.nn.Linear(2,\n    3))\n"
    )
    result = translate_source(source, "dev.py")
    assert not result.report.left, result.report.left
    compile(result.code, "dev_tf.py", "exec")
    assert 'device = "cuda:0" if bool(tf.config.list_physical_devices("GPU")) else "cpu"' in (
        result.code
    )
