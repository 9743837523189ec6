"""The tutorial's own tests: both projects' smoke tests, a short compare.py run, both notebooks.

python -m pytest -q          # everything (a few minutes on CPU)
python -m pytest -q -m "not slow"
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("pytorch", "tensorflow")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


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
def test_compare_agrees_and_writes_the_table(tmp_path: Path, data_path: str) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    plot = tmp_path / "loss_curves.png"
    command = [
        sys.executable,
        str(ROOT / "compare.py"),
        "--epochs",
        "1",
        "--max-steps",
        "3",
    ]
    command += ["--data", data_path, "--out", str(tmp_path / "runs")]
    command += ["--readme", str(readme), "--plot", str(plot)]
    result = subprocess.run(
        command, check=False, capture_output=True, text=True, env=ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = readme.read_text(encoding="utf-8")
    assert "| pytorch |" in text and "| tensorflow |" in text
    assert "(loss_curves.png)" in text
    assert plot.stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_notebook_runs_top_to_bottom(
    framework: str, tmp_path: Path, data_path: str
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / framework / "tutorial.ipynb", as_version=4)
    settings = next(
        c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])
    )
    settings.source += f"\nEPOCHS = 1\nMAX_STEPS = 3\nDATA = {data_path!r}\nOUT = {str(tmp_path / 'out')!r}\n"
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / framework)}},
    )
    client.execute()
