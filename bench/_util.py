"""Helpers shared by the benchmark scripts: generate an example, run a script, take medians."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codegen.verify.bench import run_project  # noqa: E402

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def generate(example: str, *extra: str) -> Path:
    """Generate both projects of an example into a temporary folder."""
    out = Path(tempfile.mkdtemp(prefix="dlgen-bench-")) / example
    subprocess.run(
        [sys.executable, "-m", "codegen.cli", "new", example, "-o", str(out), *extra],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return out


def run_generated(project: Path, *args: str) -> dict:
    """Run a generated train.py (the same runner as `dlgen verify --bench`); its metrics.json."""
    metrics, _ = run_project(project, list(args), Path(tempfile.mkdtemp(prefix="dlgen-run-")))
    return metrics


def run_seed(script: str, *args: str) -> dict[str, float]:
    """Run a seed program; it prints `key value` lines (wall_time_s, peak_memory_mb, ...)."""
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "seeds" / script), *args],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\w+) ([-\d.e+]+)$", result.stdout, re.MULTILINE)
    }


def median(values: list[float]) -> float:
    return statistics.median(values)
