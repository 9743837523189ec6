"""#28: a spec's `data.test` file (npz, CSV, text) is the test split both projects evaluate on
after training: read with the training split's transform (preprocessing numbers, vocabulary),
and a missing test file is one line before any training."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.errors import DlgenError
from codegen.spec import load_spec
from conftest import EXAMPLES, data_for, held_out_data_for, run_dlgen

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
WITH_TEST = ["augmented_cnn", "tabular_regression", "text_lstm"]

# Run inside a generated project: the test split read from the *training* file must hold every
# validation sample exactly as make_loaders / make_datasets transform it (same preprocessing
# numbers, same vocabulary), and as many samples as the file has.
SAME_TRANSFORM = """
import sys
import numpy as np
import data
train, framework = sys.argv[1], sys.argv[2]
if framework == "torch":
    _, val = data.make_loaders(train, 16, 0)
    test = data.make_test_loader(test=train, batch_size=16, path=train, seed=0)
    rows = lambda loader: np.concatenate([x.numpy() for x, _ in loader])
else:
    _, val = data.make_datasets(train, 16, 0)
    test = data.make_test_dataset(test=train, batch_size=16, path=train, seed=0)
    rows = lambda dataset: np.concatenate([np.asarray(x) for x, _ in dataset])
val_rows, test_rows = rows(val), rows(test)
x, _, x_val, _ = data.load_arrays(train, 0)
assert len(test_rows) == len(x) + len(x_val), (len(test_rows), len(x), len(x_val))
flat = test_rows.reshape(len(test_rows), -1)
for row in val_rows.reshape(len(val_rows), -1):
    assert np.isclose(flat, row, rtol=0, atol=1e-6).all(axis=1).any(), "a validation row differs"
print("same", len(val_rows), len(test_rows))
"""


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("example", WITH_TEST)
def test_test_file_has_the_training_transform(example: str, framework: str, tmp_path: Path):
    out = tmp_path / "project"
    made = run_dlgen("new", example, "-o", str(out), "--framework", framework)
    assert made.returncode == 0, made.stderr
    result = subprocess.run(
        [sys.executable, "-c", SAME_TRANSFORM, data_for(example), framework],
        cwd=out,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert result.stdout.startswith("same "), result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_missing_test_file_is_one_line_before_training(framework: str, tmp_path: Path):
    out = tmp_path / "project"
    made = run_dlgen("new", "text_lstm", "-o", str(out), "--framework", framework)
    assert made.returncode == 0, made.stderr
    missing = tmp_path / "absent.csv"
    command = [sys.executable, "train.py", "--data", data_for("text_lstm"), "--test", str(missing)]
    command += ["--out", str(tmp_path / "runs"), "--epochs", "1"]
    result = subprocess.run(command, cwd=out, capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{missing}: ") and "No such file" in last, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs" / "metrics.json").exists()  # nothing trained


def test_examples_with_a_test_file_ship_it() -> None:
    for example in WITH_TEST:
        spec = load_spec(EXAMPLES / f"{example}.yaml").spec
        assert spec.data.test, example
        assert Path(held_out_data_for(example)).name == Path(spec.data.test).name


def test_test_file_may_not_be_the_training_file(tmp_path: Path) -> None:
    text = (EXAMPLES / "text_lstm.yaml").read_text()
    spec = tmp_path / "same.yaml"
    spec.write_text(text.replace("test: data/reviews_test.csv", "test: ./data/reviews.csv"))
    with pytest.raises(DlgenError, match="test is the training file"):
        load_spec(spec)
