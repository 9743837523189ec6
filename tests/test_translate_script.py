"""Training scripts: the translation runs as a program and learns."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "translate" / "train_mnist_script.py"
CASES = REPO / "tests" / "data" / "translate"

pytestmark = pytest.mark.slow


def test_translated_training_script_runs_and_learns(tmp_path: Path) -> None:
    target = tmp_path / "train_tf.py"
    translate = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegen.cli",
            "translate",
            str(SCRIPT),
            "-o",
            str(target),
            "--strict",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert translate.returncode == 0, translate.stdout + translate.stderr
    assert "conversion rate 100.0%" in translate.stdout
    run = subprocess.run(
        [sys.executable, str(target), "--epochs", "3", "--max-steps", "4", "--save-model"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    losses = [float(v) for v in re.findall(r"Test set: Average loss: ([\d.]+)", run.stdout)]
    assert len(losses) == 3, run.stdout
    assert losses[-1] < losses[0], losses
    assert re.search(r"Train Epoch: 1 \[0/256 \(0%\)\]\tLoss: [\d.]+", run.stdout)
    assert (tmp_path / "mnist_cnn.weights.h5").is_file()


def test_translated_loop_case_learns(tmp_path: Path) -> None:
    from codegen.verify.translated import load_module

    os.chdir(tmp_path)  # it saves regressor.weights.h5 in the working folder
    try:
        module = load_module(CASES / "train_loop_tf.py", "_train_loop_case")
        losses = [loss for _, loss in module.main(epochs=4)]
    finally:
        os.chdir(REPO)
    assert losses[-1] < losses[0], losses
    assert (tmp_path / "regressor.weights.h5").is_file()
