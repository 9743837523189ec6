"""Shared test helpers: paths, the real CLI in a subprocess, and generation in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
DATA = EXAMPLES / "data"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
REGEN_COMMAND = ".venv/bin/python tests/regen_golden.py"


def run_dlgen(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real `dlgen` CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "codegen.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def data_for(example: str) -> str:
    """The --data argument that makes an example's generated project run offline."""
    return {
        "mnist_cnn": str(DATA / "mnist"),
        "mlp": str(DATA / "mnist"),
        "text_lstm": str(DATA / "text" / "reviews.csv"),
    }.get(example, "unused")


@pytest.fixture(scope="session")
def example_names() -> list[str]:
    return EXAMPLE_NAMES
