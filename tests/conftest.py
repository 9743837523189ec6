"""Shared test helpers: paths, the real CLI in a subprocess, and generation in-process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
DATA = EXAMPLES / "data"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
REGEN_COMMAND = ".venv/bin/python tests/regen_golden.py"

# Run inside a generated project: the weights train.py exported to --out (argv[1]) → .npz (argv[2]).
READ_TORCH = """
import sys, numpy as np, torch
state = torch.load(sys.argv[1] + "/model.pt", weights_only=True)
np.savez(sys.argv[2], **{k: v.numpy() for k, v in state.items()})
"""
READ_KERAS = """
import sys, keras, numpy as np
model = keras.models.load_model(sys.argv[1] + "/model.keras")
np.savez(sys.argv[2], **{v.path: np.asarray(v) for v in model.weights})
"""


# TensorFlow's own start-up notices: on CPUs with AVX-512 it announces its oneDNN kernels on
# stderr through absl, before any log level (TF_CPP_MIN_LOG_LEVEL) applies. Every TensorFlow
# program prints them there; they are not the generated program's output.
TF_NOTICE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IWE]\d{4} [\d:.]+ +\d+ \S+\.cc:\d+\]"
    r"|To enable the following instructions"
)


def error_lines(stderr: str) -> list[str]:
    """A program's stderr lines without TensorFlow's start-up notices."""
    return [line for line in stderr.strip().splitlines() if not TF_NOTICE.match(line)]


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


def held_out_data_for(example: str) -> str | None:
    """The --test argument (a spec's `data.test` file) that makes an example's project run
    offline; None where the example has no test file."""
    return {
        "text_lstm": str(DATA / "text" / "reviews_test.csv"),
        "augmented_cnn": str(DATA / "npz" / "shapes_test.npz"),
        "tabular_regression": str(DATA / "tabular" / "houses_test.csv"),
    }.get(example)


def data_for(example: str) -> str:
    """The --data argument that makes an example's generated project run offline."""
    return {
        "mnist_cnn": str(DATA / "mnist"),
        "mlp": str(DATA / "mnist"),
        "text_lstm": str(DATA / "text" / "reviews.csv"),
        "augmented_cnn": str(DATA / "npz" / "shapes.npz"),
        "tabular_regression": str(DATA / "tabular" / "houses.csv"),
    }.get(example, "unused")


@pytest.fixture(scope="session")
def example_names() -> list[str]:
    return EXAMPLE_NAMES
