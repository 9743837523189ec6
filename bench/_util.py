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


def generate(example: str, *extra: str, revision: str | None = None) -> Path:
    """Generate both projects of an example into a temporary folder, with this checkout's
    dlgen or, given `revision`, with dlgen as it was at that git revision."""
    out = Path(tempfile.mkdtemp(prefix="dlgen-bench-")) / Path(example).stem
    source = REPO
    if revision is not None:  # a throw-away worktree: `python -m codegen.cli` imports its code
        source = Path(tempfile.mkdtemp(prefix="dlgen-rev-")) / "dlgen"
        git = ["git", "-C", str(REPO), "worktree"]
        subprocess.run([*git, "add", "--detach", str(source), revision], check=True)
    try:
        subprocess.run(
            [sys.executable, "-m", "codegen.cli", "new", example, "-o", str(out), *extra],
            cwd=source,
            check=True,
            capture_output=True,
        )
    finally:
        if revision is not None:
            subprocess.run([*git, "remove", "--force", str(source)], check=True)
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
