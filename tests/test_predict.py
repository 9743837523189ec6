"""#28: predict.py takes inputs as a user has them (an MNIST folder, raw pixels, a line of
text), transforms them as training did, runs the export in batches and prints a short table,
with the accuracy where labels come with the inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import data_for, held_out_data_for, run_dlgen

pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
FRAMEWORKS = {"torch": "state_dict", "tf": "keras"}  # the basic save: the model as trained
ACCURACY = re.compile(r"^accuracy: ([0-9.]+) \((\d+) of (\d+)\)$", re.M)


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=folder, capture_output=True, text=True, env=ENV, timeout=600
    )


def _trained(example: str, framework: str, tmp_path: Path, *flags: str) -> tuple[Path, Path]:
    project = tmp_path / "project"
    made = run_dlgen("new", example, "-o", str(project), "--framework", framework)
    assert made.returncode == 0, made.stderr
    train = _run(project, "train.py", "--epochs", "1", "--data", data_for(example), *flags)
    assert train.returncode == 0, train.stderr[-3000:]
    return project, Path(project / "runs")


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_mnist_folder_prints_the_test_accuracy(framework: str, tmp_path: Path) -> None:
    project, runs = _trained("mnist_cnn", framework, tmp_path, "--max-steps", "4")
    metrics = json.loads((runs / "metrics.json").read_text())
    fmt = FRAMEWORKS[framework]
    result = _run(
        project, "predict.py", data_for("mnist_cnn"), "--format", fmt, "--batch-size", "16"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    accuracy, correct, total = ACCURACY.search(result.stdout).groups()
    assert int(total) == 128  # the repo's t10k stand-in, all of it, in batches of 16
    # train.py evaluated the same 128 images (4 batches of 64 cover them): the same count.
    assert int(correct) == round(metrics["test"]["accuracy"] * 128), (result.stdout, metrics)
    assert "... 118 more" in result.stdout  # a short table, not 128 rows


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_text_project_predicts_a_line_of_text(framework: str, tmp_path: Path) -> None:
    test_file = held_out_data_for("text_lstm")
    project, runs = _trained("text_lstm", framework, tmp_path, "--test", test_file)
    vocabulary = json.loads((runs / "vocabulary.json").read_text())
    assert vocabulary["great"] >= 2 and 0 not in vocabulary.values()  # 0 pads, 1 is unknown
    one = _run(project, "predict.py", "--text", "a great film, I loved it")
    assert one.returncode == 0, one.stderr[-3000:]
    rows = re.findall(r"^ {4}0  ([01]) \((0\.\d+)\)$", one.stdout, re.M)
    assert len(rows) == 1 and 0.5 <= float(rows[0][1]) <= 1, one.stdout
    labelled = _run(project, "predict.py", test_file)
    assert labelled.returncode == 0, labelled.stderr[-3000:]
    assert ACCURACY.search(labelled.stdout).group(3) == "100", labelled.stdout
    neither = _run(project, "predict.py")
    assert neither.returncode == 2 and "give INPUTS or --text" in neither.stderr


def test_missing_inputs_are_one_line(tmp_path: Path) -> None:
    project, _ = _trained("mnist_cnn", "torch", tmp_path, "--max-steps", "1")
    missing = tmp_path / "absent.npy"
    result = _run(project, "predict.py", str(missing))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{missing}: ") and "No such file" in last, result.stderr[-2000:]
    untrained = _run(project, "predict.py", data_for("mnist_cnn"), "--runs", str(tmp_path / "no"))
    assert untrained.returncode == 1 and "Traceback" not in untrained.stderr
    assert "no such export (train.py writes it into its --out)" in untrained.stderr
    # #15: --help says which inputs it takes and that data.py's functions transform them
    usage = _run(project, "predict.py", "--help")
    assert usage.returncode == 0 and "a .npy of uint8 pixels (N, 28, 28)" in usage.stdout
    assert "transformed by the same functions as the training data" in usage.stdout


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_csv_rows_with_and_without_the_target(framework: str, tmp_path: Path) -> None:
    test_file = held_out_data_for("tabular_regression")
    project, runs = _trained("tabular_regression", framework, tmp_path, "--test", test_file)
    metrics = json.loads((runs / "metrics.json").read_text())
    fmt = FRAMEWORKS[framework]
    labelled = _run(project, "predict.py", test_file, "--format", fmt, "--batch-size", "7")
    assert labelled.returncode == 0, labelled.stderr[-3000:]
    error = re.search(r"^mean absolute error: ([0-9.e+-]+) \(100 inputs\)$", labelled.stdout, re.M)
    assert error and float(error.group(1)) == pytest.approx(metrics["test"]["mae"], rel=1e-3)
    rows = Path(test_file).read_text().splitlines()[:4]
    new = tmp_path / "new.csv"  # the rows a user wants priced: no price column
    new.write_text("\n".join(",".join(r.split(",")[:-1]) for r in rows) + "\n")
    unlabelled = _run(project, "predict.py", str(new), "--format", fmt)
    assert unlabelled.returncode == 0, unlabelled.stderr[-3000:]
    assert len(re.findall(r"^ {4}[0-2]  \[-?[0-9.]+\]$", unlabelled.stdout, re.M)) == 3
    assert "mean absolute error" not in unlabelled.stdout


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_npz_file_like_the_training_file(framework: str, tmp_path: Path) -> None:
    test_file = held_out_data_for("augmented_cnn")
    project, runs = _trained("augmented_cnn", framework, tmp_path, "--test", test_file)
    metrics = json.loads((runs / "metrics.json").read_text())
    result = _run(project, "predict.py", test_file, "--format", FRAMEWORKS[framework])
    assert result.returncode == 0, result.stderr[-3000:]
    _, correct, total = ACCURACY.search(result.stdout).groups()
    assert int(total) == 96 and int(correct) == round(metrics["test"]["accuracy"] * 96)
