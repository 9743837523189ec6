"""End to end: the real CLI generates each example, its train.py runs a few steps in a
subprocess, writes metrics.json, and every export loads back and predicts what the model does."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.check import check
from codegen.spec import load_spec
from conftest import EXAMPLE_NAMES, EXAMPLES, data_for, run_dlgen

pytestmark = pytest.mark.slow

OVERRIDES = {"image_classifier": ["--set", "data.input_shape=[3,32,32]"]}
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}

TORCH_RELOAD = """
import json, sys, torch
from export import load_state_dict, load_torchscript
from model import {cls}
metrics = json.load(open(sys.argv[1] + "/metrics.json"))
torch.manual_seed(0)
x = {sample}
model = load_state_dict(sys.argv[1] + "/model.pt")
scripted = load_torchscript(sys.argv[1] + "/model.torchscript.pt")
with torch.no_grad():
    a, b = model(x), scripted(x)
assert a.shape == b.shape, (a.shape, b.shape)
print("max_abs_diff", float((a - b).abs().max()))
"""

TF_RELOAD = """
import sys
import numpy as np
from export import load_keras, load_saved_model
from model import build_model
x = {sample}
model = load_keras(sys.argv[1] + "/model.keras")
loaded = load_saved_model(sys.argv[1] + "/saved_model")
a = np.asarray(model(x, training=False))
b = np.asarray(loaded.serve(x))
assert a.shape == b.shape, (a.shape, b.shape)
print("max_abs_diff", float(np.abs(a - b).max()))
"""


def _torch_sample(shape: list[int], integer: bool) -> str:
    dims = ", ".join(str(d) for d in [2, *shape])
    return f"torch.randint(0, 50, ({dims},))" if integer else f"torch.randn({dims})"


def _tf_sample(shape: list[int], integer: bool) -> str:
    dims = ", ".join(str(d) for d in [2, *shape])
    rng = "np.random.default_rng(0)"
    if integer:
        return f"{rng}.integers(0, 50, size=({dims},)).astype('int32')"
    return f"{rng}.standard_normal(({dims},)).astype('float32')"


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def generated(request, tmp_path_factory) -> tuple[str, Path]:
    name = request.param
    out = tmp_path_factory.mktemp(name) / "project"
    result = run_dlgen("new", name, "-o", str(out), *OVERRIDES.get(name, []))
    assert result.returncode == 0, result.stderr
    return name, out


def _shapes(name: str) -> tuple[list[int], list[int], bool]:
    """Input shapes (PyTorch and Keras layout) and integer-ness, from dlgen's own checker."""
    checked = check(load_spec(EXAMPLES / f"{name}.yaml", overrides=OVERRIDES.get(name, [])[1::2]))
    return list(checked.input.shape), list(checked.input.keras_shape), checked.input.integer


def _train(project_dir: Path, name: str, out: Path) -> dict:
    args = ["--epochs", "2", "--max-steps", "3", "--data", data_for(name), "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=project_dir,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((out / "metrics.json").read_text())


def _check_metrics(metrics: dict, framework: str) -> None:
    assert metrics["framework"] == framework
    assert len(metrics["epochs"]) == 2
    for record in metrics["epochs"]:
        assert math.isfinite(record["loss"])
    assert metrics["wall_time_s"] > 0
    assert metrics["peak_memory_mb"] > 0


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_train_metrics_and_exports(generated, framework: str, tmp_path: Path) -> None:
    name, project = generated
    project_dir = project / framework
    runs = tmp_path / "runs"
    metrics = _train(project_dir, name, runs)
    _check_metrics(metrics, framework)
    torch_shape, keras_shape, integer = _shapes(name)
    if framework == "pytorch":
        assert metrics["exports"] == {
            "state_dict": "model.pt",
            "torchscript": "model.torchscript.pt",
        }
        cls = (project_dir / "model.py").read_text().split("class ")[1].split("(")[0]
        script = TORCH_RELOAD.format(cls=cls, sample=_torch_sample(torch_shape, integer))
    else:
        assert metrics["exports"] == {"keras": "model.keras", "savedmodel": "saved_model"}
        script = TF_RELOAD.format(sample=_tf_sample(keras_shape, integer))
    result = subprocess.run(
        [sys.executable, "-c", script, str(runs)],
        cwd=project_dir,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    diff = float(result.stdout.strip().splitlines()[-1].split()[-1])
    assert diff <= 1e-5


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_generated_smoke_tests_pass(generated, framework: str) -> None:
    _, project = generated
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project / framework,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed" in result.stdout
