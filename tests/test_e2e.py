"""End to end: the real CLI generates each example, its train.py runs a few steps in a
subprocess, writes metrics.json, and every export loads back and predicts what the model does."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from codegen.check import check
from codegen.spec import load_spec
from codegen.spec.model import FRAMEWORK_FORMATS
from conftest import EXAMPLE_NAMES, EXAMPLES, data_for, held_out_data_for, run_dlgen

pytestmark = pytest.mark.slow

OVERRIDES = {"image_classifier": ["--set", "data.input_shape=[3,32,32]"]}
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}

# Runs in a generated project: every export through predict.py's loader, against the reference
# (the trained weights in the model class: state_dict for PyTorch, the .keras file for Keras).
PREDICT_ALL = """
import json, sys
import numpy as np
from export import FILES, load_predictor
runs, sample = sys.argv[1], np.load(sys.argv[2])
exports = json.load(open(runs + "/metrics.json"))["exports"]
assert sorted(exports) == sorted(FILES), (exports, FILES)
reference = load_predictor(sys.argv[3], runs)(sample)
for fmt in exports:
    out = load_predictor(fmt, runs)(sample)
    assert out.shape == reference.shape, (fmt, out.shape, reference.shape)
    print(fmt, float(np.abs(out - reference).max()))
"""


def _sample(shape: list[int], integer: bool, framework: str) -> np.ndarray:
    """Three inputs (token ids or normal floats), seeded, in the dtype predict.py feeds."""
    rng = np.random.default_rng(0)
    if integer:
        ids = rng.integers(0, 50, size=(3, *shape))
        return ids.astype("int64" if framework == "pytorch" else "int32")
    return rng.standard_normal((3, *shape)).astype("float32")


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


# A PyTorch project without export.py saves the state_dict alone: it loads back into the class.
LOAD_STATE_DICT = """
import sys
import numpy as np
import torch
import model
cls = next(v for k, v in vars(model).items() if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == "model" and k[0].isupper() and k != "CategoricalEmbedding")
net = cls()
net.load_state_dict(torch.load(sys.argv[1] + "/model.pt", weights_only=True))
print(tuple(net.eval()(torch.from_numpy(np.load(sys.argv[2]))).shape))
"""

# A Keras project without export.py saves model.keras alone: keras.saving loads it back.
LOAD_KERAS = """
import sys
import numpy as np
import keras
import model, train  # register the project's custom layers and optimizer
net = keras.saving.load_model(sys.argv[1] + "/model.keras")
print(tuple(net.predict(np.load(sys.argv[2]), verbose=0).shape))
"""


def _python(folder: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python ARGS` run in a generated project's folder, its output captured."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


def _train(project_dir: Path, name: str, out: Path) -> dict:
    args = ["--epochs", "2", "--data", data_for(name), "--out", str(out)]
    if held_out_data_for(name):
        args += ["--test", held_out_data_for(name)]
    code = (project_dir / "train.py").read_text()
    batched = "--max-steps" in code  # not in full-batch projects
    if batched:
        args += ["--max-steps", "3"]
    if "--log-interval" in code:  # PyTorch: a progress line every N batches
        args += ["--log-interval", "2"]
    result = _python(project_dir, "train.py", *args, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    if "--log-interval" in args:
        assert result.stdout.count("  batch 2/") == 2, result.stdout  # once per epoch
        assert "  batch 3/" not in result.stdout, result.stdout
        assert all(record["samples_per_s"] > 0 for record in metrics["epochs"])
    elif batched:  # Keras: fit's own progress bar, which reaches 3/3 in each epoch
        plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # colours, even off a terminal
        assert plain.count("Epoch ") == 2 and "3/3 ━" in plain, plain
        # never past the epoch's end (steps_per_execution above an epoch's batches showed 50/3)
        assert {int(done) for done in re.findall(r"(\d+)/3 ━", plain)} == {3}, plain
        # each epoch's line ends with its training samples/s, as PyTorch's lines carry it
        assert len(re.findall(r"samples_per_s: [0-9.]+\n", plain)) == 2, plain
    if batched:
        assert all(record["samples_per_s"] > 0 for record in metrics["epochs"])
    return metrics


def _check_metrics(metrics: dict, framework: str, name: str, batched: bool) -> None:
    assert metrics["framework"] == framework
    assert len(metrics["epochs"]) == 2
    # Both frameworks' records have the same keys: the spec's metrics, for the training
    # batches and the validation split, and samples/s where training is in mini-batches.
    spec = load_spec(EXAMPLES / f"{name}.yaml").spec
    names = ["loss", *spec.train.metrics]
    keys = {"epoch", *names}
    if spec.data.validation_split > 0:
        keys |= {f"val_{metric}" for metric in names}
    if batched:
        keys.add("samples_per_s")
    if spec.optimizer.schedule:  # Keras's LearningRateScheduler logs the epoch's rate
        keys.add("learning_rate")
    assert {key for record in metrics["epochs"] for key in record} == keys
    for record in metrics["epochs"]:
        assert math.isfinite(record["loss"])
    assert metrics["wall_time_s"] > 0
    # A test split (MNIST's t10k files, or the spec's data.test file): both frameworks evaluate on it.
    data = load_spec(EXAMPLES / f"{name}.yaml").spec.data
    if data.kind == "mnist" or getattr(data, "test", None):  # t10k files, or a test file
        assert math.isfinite(metrics["test"]["loss"])
        if "accuracy" in metrics["epochs"][0]:
            assert 0 <= metrics["test"]["accuracy"] <= 1
    else:
        assert "test" not in metrics


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_train_metrics_and_exports(generated, framework: str, tmp_path: Path) -> None:
    name, project = generated
    project_dir = project / framework
    runs = tmp_path / "runs"
    metrics = _train(project_dir, name, runs)
    batched = "--max-steps" in (project_dir / "train.py").read_text()  # not full-batch
    _check_metrics(metrics, framework, name, batched)
    torch_shape, keras_shape, integer = _shapes(name)
    formats = load_spec(EXAMPLES / f"{name}.yaml").spec.export.formats
    own = FRAMEWORK_FORMATS["torch" if framework == "pytorch" else "tf"]
    shape = torch_shape if framework == "pytorch" else keras_shape
    sample = tmp_path / "sample.npy"
    np.save(sample, _sample(shape, integer, framework))
    if not (project_dir / "export.py").exists():
        assert [f for f in formats if f in own] == [own[0]] and "exports" not in metrics
        loader = LOAD_STATE_DICT if framework == "pytorch" else LOAD_KERAS
        result = _python(project_dir, "-c", loader, str(runs), str(sample))
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.startswith("(3,"), result.stdout
        return
    assert sorted(metrics["exports"]) == sorted(f for f in formats if f in own)
    reference = "state_dict" if framework == "pytorch" else "keras"
    result = _python(project_dir, "-c", PREDICT_ALL, str(runs), str(sample), reference)
    assert result.returncode == 0, result.stderr[-3000:]
    diffs = dict(line.split() for line in result.stdout.strip().splitlines())
    assert sorted(diffs) == sorted(metrics["exports"])
    for fmt, diff in diffs.items():
        assert (
            float(diff) <= 1e-4
        ), f"{name}/{framework}: {fmt} differs from the trained model by {diff}"
    # predict.py takes inputs as a user has them: raw pixels, lines of text, or inputs as
    # load_arrays returns them (the PyTorch layout, in both frameworks).
    data = load_spec(EXAMPLES / f"{name}.yaml").spec.data
    raw = tmp_path / "raw.npy"
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    if data.kind == "mnist":
        np.save(raw, pixels)
    elif data.kind == "text":
        raw = tmp_path / "texts.txt"
        raw.write_text("a fine film\nnot good at all\nword\n", encoding="utf-8")
    else:
        np.save(raw, _sample(torch_shape, integer, "pytorch"))
    saved = tmp_path / "outputs.npy"
    predict = _python(
        project_dir, "predict.py", str(raw), "--runs", str(runs), "--save", str(saved)
    )
    assert predict.returncode == 0, predict.stderr[-3000:]
    rows = [line for line in predict.stdout.splitlines() if re.match(r" {4}[0-2]  ", line)]
    assert len(rows) == 3, predict.stdout  # one table row per input
    assert np.load(saved).shape[0] == 3
    if data.kind == "mnist":  # the same pixels as image files: a folder of them, and one
        images = tmp_path / "images"
        images.mkdir()
        for i, image in enumerate(pixels):
            Image.fromarray(image).save(images / f"digit{i}.png")
        (images / "notes.txt").write_text("not an image\n")  # left out
        for source, expected in (
            (images, np.load(saved)),
            (images / "digit1.png", np.load(saved)[1:2]),
        ):
            from_files = tmp_path / "from_files.npy"
            result = _python(
                project_dir,
                "predict.py",
                str(source),
                "--runs",
                str(runs),
                "--save",
                str(from_files),
            )
            assert result.returncode == 0, result.stderr[-3000:]
            np.testing.assert_allclose(np.load(from_files), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_generated_smoke_tests_pass(generated, framework: str) -> None:
    _, project = generated
    result = _python(project / framework, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed" in result.stdout
