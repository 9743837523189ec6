"""The tutorial's own tests: both projects' smoke tests, a short compare.py run, both notebooks.

    python -m pytest -q                 # everything (a few minutes on CPU)
    python -m pytest -q -m "not slow"   # the smoke tests only

compare.py and the notebooks run for EPOCHS epochs of MAX_STEPS batches: enough to show that
every step runs and that the two frameworks agree, not what the model learns. Run by hand,
both train with their full settings.
"""

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("pytorch", "tensorflow")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
EPOCHS, MAX_STEPS = 1, 3
ROW = re.compile(r"^\| (pytorch|tensorflow) \| (.*) \|$", re.MULTILINE)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_project_smoke_tests(framework: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        check=False,
        cwd=ROOT / framework,
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_compare_agrees_and_writes_the_table(
    tmp_path: Path, data_path: str, test_path: str
) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    plot = tmp_path / "loss_curves.png"
    command = [sys.executable, str(ROOT / "compare.py"), "--epochs", str(EPOCHS)]
    command += ["--max-steps", str(MAX_STEPS), "--data", data_path]
    command += ["--test", test_path]
    command += [
        "--out",
        str(tmp_path / "runs"),
        "--readme",
        str(readme),
        "--plot",
        str(plot),
    ]
    result = subprocess.run(
        command, check=False, capture_output=True, text=True, env=ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = readme.read_text(encoding="utf-8")
    rows = dict(ROW.findall(text))
    assert sorted(rows) == sorted(FRAMEWORKS), text
    for framework, row in rows.items():
        seconds, memory, loss, metric = row.split(" | ")
        numbers = [float(seconds), float(memory.replace(",", "")), float(loss)]
        numbers += [] if metric == "-" else [float(metric.split()[-1])]
        assert all(math.isfinite(n) for n in numbers), f"{framework}: {row}"
    assert "(loss_curves.png)" in text
    assert_png(plot)


def assert_png(path: Path) -> None:
    """A PNG that decodes to an image (matplotlib reads it pixel by pixel)."""
    import matplotlib.image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    height, width = matplotlib.image.imread(path).shape[:2]
    assert height > 0 and width > 0


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_notebook_runs_top_to_bottom(
    framework: str, tmp_path: Path, data_path: str, test_path: str
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / framework / "tutorial.ipynb", as_version=4)
    settings = next(
        c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])
    )
    settings.source += f"\nEPOCHS = {EPOCHS}\nMAX_STEPS = {MAX_STEPS}\n"
    settings.source += f"DATA = {data_path!r}\nOUT = {str(tmp_path / 'out')!r}\n"
    settings.source += f"TEST = {test_path!r}\n"
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / framework)}},
    )
    client.execute()
