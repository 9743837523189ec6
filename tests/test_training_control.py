"""Training control in both generated projects: kill-and-resume goes on where the run stopped
(PyTorch: with the weights of an uninterrupted run; Keras's BackupAndRestore: with the weights,
optimizer and epoch, in a new data order); gradient accumulation, clipping, the loss threshold
and TensorBoard logs work.

The `mlp` example turns every option on (checkpoint, grad_accumulation, clip_grad_norm,
stop_at_loss, tensorboard) and has dropout, so a resume must also restore the random state.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import READ_KERAS, READ_TORCH, data_for, error_lines, run_dlgen

pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
# Long enough that the kill lands mid-run; stop_at_loss off so every run trains all epochs.
EPOCHS = 12
ARGS = ["--max-steps", "4", "--data", data_for("mlp")]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("control") / "mlp"
    result = run_dlgen("new", "mlp", "-o", str(out), "--set", "train.stop_at_loss=null")
    assert result.returncode == 0, result.stderr
    return out


def _epoch_line(epoch: int) -> tuple[str, ...]:
    """How each project's output starts an epoch's line: PyTorch prints `epoch: N, loss: ...`
    when the epoch ends, Keras's fit `Epoch N/E` when it begins."""
    return (f"epoch: {epoch},", f"Epoch {epoch}/")


def _first_epoch(stdout: str) -> int:
    """The first epoch a run's output reports."""
    for line in stdout.splitlines():
        if line.startswith("epoch: "):
            return int(line.split()[1].rstrip(","))
        if line.startswith("Epoch "):
            return int(line.split()[1].split("/")[0])
    raise AssertionError(stdout)


def _train(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "train.py", "--epochs", str(EPOCHS), "--out", str(out), *ARGS]
        + list(extra),
        cwd=folder,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )


def _kill_during_epoch(folder: Path, out: Path, epoch: int) -> str:
    """Start training and SIGKILL it as soon as it reports `epoch` (PyTorch: the epoch has
    ended, its checkpoint may be being written; Keras: the epoch has begun, the one before
    is backed up)."""
    process = subprocess.Popen(
        [sys.executable, "train.py", "--epochs", str(EPOCHS), "--out", str(out), *ARGS],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=ENV,
    )
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith(_epoch_line(epoch)):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    return "".join(seen)


def _weights(folder: Path, runs: Path, framework: str, tmp_path: Path) -> dict[str, np.ndarray]:
    target = tmp_path / f"{runs.name}.npz"
    script = READ_TORCH if framework == "pytorch" else READ_KERAS
    result = subprocess.run(
        [sys.executable, "-c", script, str(runs), str(target)],
        cwd=folder,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(np.load(target))


def test_kill_and_resume_gives_the_weights_of_an_uninterrupted_run(
    project: Path, tmp_path: Path
) -> None:
    folder = project / "pytorch"
    whole = _train(folder, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-3000:]

    _kill_during_epoch(folder, tmp_path / "killed", epoch=5)
    resumed = _train(folder, tmp_path / "killed", "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stdout
    assert 5 <= _first_epoch(resumed.stdout) <= 7, resumed.stdout  # after the last checkpoint

    a = _weights(folder, tmp_path / "whole", "pytorch", tmp_path)
    b = _weights(folder, tmp_path / "killed", "pytorch", tmp_path)
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    history_a = json.loads((tmp_path / "whole" / "metrics.json").read_text())["epochs"]
    history_b = json.loads((tmp_path / "killed" / "metrics.json").read_text())["epochs"]
    assert [r["epoch"] for r in history_b] == list(range(1, EPOCHS + 1))
    assert [r["loss"] for r in history_a] == [r["loss"] for r in history_b]


def test_keras_backup_and_restore_goes_on_from_the_last_epoch(
    project: Path, tmp_path: Path
) -> None:
    """Keras's BackupAndRestore restores weights, optimizer and epoch; tf.data's shuffle starts
    its sequence of orders again, so the run goes on in other batches than an uninterrupted
    one: its losses continue the curve (close to the uninterrupted run's, far below a fresh
    start's) instead of matching bit for bit."""
    folder = project / "tensorflow"
    whole = _train(folder, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert "resumed from" not in whole.stdout
    assert (tmp_path / "whole" / "backup").exists()  # kept: a finished run stays finished

    _kill_during_epoch(folder, tmp_path / "killed", epoch=7)
    assert (tmp_path / "killed" / "backup").exists()
    resumed = _train(folder, tmp_path / "killed")  # no flag: the backup is picked up
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stdout
    first = _first_epoch(resumed.stdout)
    assert 6 <= first <= 8, resumed.stdout  # after the last backed-up epoch

    history_a = json.loads((tmp_path / "whole" / "metrics.json").read_text())["epochs"]
    history_b = json.loads((tmp_path / "killed" / "metrics.json").read_text())["epochs"]
    assert [r["epoch"] for r in history_b] == list(range(first, EPOCHS + 1))
    resumed_loss, uninterrupted = history_b[0]["loss"], history_a[first - 1]["loss"]
    assert abs(resumed_loss - uninterrupted) < 0.25 * uninterrupted, (history_a, history_b)
    assert resumed_loss < 0.8 * history_a[0]["loss"], (history_a, history_b)


def test_resume_of_a_finished_run_trains_no_more_and_completes_it(
    project: Path, tmp_path: Path
) -> None:
    """#17: `--resume` of a finished run said "raise --epochs" and exited 1, so a run killed
    while saving (metrics.json and the model never written) could never be completed. Now it
    trains no more epochs and runs the steps after training again."""
    folder, runs = project / "pytorch", tmp_path / "runs"
    assert _train(folder, runs).returncode == 0
    before = json.loads((runs / "metrics.json").read_text())
    (runs / "metrics.json").unlink()
    (runs / "model.pt").unlink()  # as if killed while saving
    again = _train(folder, runs, "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"resumed from {runs / 'checkpoint.pt'} after epoch {EPOCHS}" in again.stdout
    assert "epoch: " not in again.stdout  # no epoch trained
    after = json.loads((runs / "metrics.json").read_text())
    assert after["epochs"] == before["epochs"] and (runs / "model.pt").exists()


def test_keras_run_started_again_after_it_finished_changes_nothing(
    project: Path, tmp_path: Path
) -> None:
    """#17: a finished Keras run started again trained from its first epoch (BackupAndRestore
    deleted its backup when fit completed) and overwrote the finished run's files."""
    folder, runs = project / "tensorflow", tmp_path / "runs"
    assert _train(folder, runs).returncode == 0
    files = {path: path.read_bytes() for path in runs.rglob("*") if path.is_file()}
    again = _train(folder, runs)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (
        again.stdout.strip()
        == f"{runs} holds a finished run (metrics.json): another --out trains anew"
    )
    assert {path: path.read_bytes() for path in runs.rglob("*") if path.is_file()} == files


def test_keras_run_killed_after_training_does_the_steps_it_missed(
    project: Path, tmp_path: Path
) -> None:
    """#17: a Keras run killed while evaluating or saving (no metrics.json, no model) could
    never be completed without training again from its first epoch."""
    folder, runs = project / "tensorflow", tmp_path / "runs"
    assert _train(folder, runs).returncode == 0
    (runs / "metrics.json").unlink()
    (runs / "model.keras").unlink()  # as if killed while saving
    again = _train(folder, runs)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"resumed from {runs / 'backup'} after epoch {EPOCHS}" in again.stdout
    assert "Epoch " not in again.stdout  # no epoch trained
    assert (runs / "model.keras").exists()
    assert (
        json.loads((runs / "metrics.json").read_text())["epochs"] == []
    )  # README: resumed epochs only


@pytest.mark.parametrize(
    "damage", ["empty weights", "garbage weights", "truncated weights", "cut metadata"]
)
def test_a_damaged_keras_backup_is_one_line(project: Path, tmp_path: Path, damage: str) -> None:
    """#17: a damaged BackupAndRestore backup was an h5py OSError or JSONDecodeError traceback
    from inside fit."""
    folder, runs = project / "tensorflow", tmp_path / "runs"
    assert _train(folder, runs).returncode == 0
    (runs / "metrics.json").unlink()
    backup = runs / "backup"
    weights = backup / "latest.weights.h5"
    kind, target = damage.split()
    if target == "metadata":
        (backup / "training_metadata.json").write_text('{"epo')
    else:
        data = weights.read_bytes()
        weights.write_bytes(
            {"empty": b"", "garbage": b"garbage", "truncated": data[: len(data) // 2]}[kind]
        )
    again = _train(folder, runs)
    assert again.returncode == 1
    lines = error_lines(again.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"{backup}: cannot resume ("), lines
    assert lines[0].endswith("delete it to start over")
    assert not (runs / "metrics.json").exists()


@pytest.mark.parametrize("damage", [b"", b"garbage, not a checkpoint", "truncated"])
def test_a_damaged_checkpoint_is_one_line(project: Path, tmp_path: Path, damage) -> None:
    folder, runs = project / "pytorch", tmp_path / "runs"
    runs.mkdir()
    checkpoint = runs / "checkpoint.pt"
    if damage == "truncated":
        assert _train(folder, runs).returncode == 0
        damage = checkpoint.read_bytes()[: checkpoint.stat().st_size // 2]
    checkpoint.write_bytes(damage)
    again = _train(folder, runs, "--resume")
    assert again.returncode == 1
    lines = error_lines(again.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"{checkpoint}: cannot resume ("), lines
    assert lines[0].endswith("delete it to start over")


def test_resume_after_stopping_early_stays_stopped(tmp_path: Path) -> None:
    """#17: `--resume` after the loss threshold (or early stopping) ended a run trained one
    more epoch each time."""
    out = tmp_path / "mlp"
    threshold = "train.stop_at_loss=2.2"  # reached within a few epochs of this small run
    result = run_dlgen("new", "mlp", "-o", str(out), "--framework", "torch", "--set", threshold)
    assert result.returncode == 0, result.stderr
    runs = tmp_path / "runs"
    first = _train(out, runs)
    assert first.returncode == 0 and "is below" in first.stdout, first.stdout[-2000:]
    epochs = json.loads((runs / "metrics.json").read_text())["epochs"]
    assert len(epochs) < EPOCHS
    again = _train(out, runs, "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "epoch: " not in again.stdout
    assert json.loads((runs / "metrics.json").read_text())["epochs"] == epochs


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_loss_threshold_stops_training_and_tensorboard_logs(framework: str, tmp_path: Path) -> None:
    out = tmp_path / "mlp"
    threshold = 2.2  # reached within a few epochs of this small run
    result = run_dlgen("new", "mlp", "-o", str(out), "--set", f"train.stop_at_loss={threshold}")
    assert result.returncode == 0, result.stderr
    run = _train(out / framework, tmp_path / "runs")
    assert run.returncode == 0, run.stderr[-3000:]
    history = json.loads((tmp_path / "runs" / "metrics.json").read_text())["epochs"]
    losses = [r["loss"] for r in history]
    assert len(losses) < EPOCHS, losses
    assert losses[-1] < threshold and all(loss >= threshold for loss in losses[:-1])
    assert f"is below {threshold}" in run.stdout
    assert list((tmp_path / "runs" / "tensorboard").rglob("events.out.tfevents.*"))


AMP_TORCH = """
import argparse, contextlib
import torch, train
from model import {cls}
x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
losses = []
autocast = torch.autocast
for mixed in (False, True):
    torch.autocast = autocast if mixed else (lambda *a, **k: contextlib.nullcontext())
    torch.manual_seed(0)
    model = {cls}()
    seen = []
    def criterion(outputs, targets):
        seen.append(float(torch.nn.functional.cross_entropy(outputs, targets)))
        return torch.nn.functional.cross_entropy(outputs, targets)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    settings = argparse.Namespace(max_steps=None, log_interval=10)
    train.train(model, [(x, y)], criterion, optimizer, torch.device("cpu"), settings)
    losses.append(seen[0])
print(losses[0], losses[1])
"""
AMP_KERAS = """
import keras, numpy as np
keras.mixed_precision.set_global_policy("mixed_bfloat16")
from model import build_model
model = build_model()
print(model(np.zeros((2, 32, 32, 3), "float32")).dtype.name, model.trainable_weights[0].dtype)
"""


def test_mixed_precision_is_really_on(tmp_path: Path) -> None:
    """image_classifier turns on bf16: autocast changes the loss by bf16 rounding (not 0, not
    more than a few percent); Keras computes in bfloat16 with float32 weights."""
    out = tmp_path / "ic"
    result = run_dlgen(
        "new", "image_classifier", "-o", str(out), "--set", "data.input_shape=[3,32,32]"
    )
    assert result.returncode == 0, result.stderr
    assert "torch.autocast(" in (out / "pytorch" / "train.py").read_text()
    cls = (out / "pytorch" / "model.py").read_text().split("class ")[1].split("(")[0]
    runs = {}
    for framework, script in (("pytorch", AMP_TORCH.format(cls=cls)), ("tensorflow", AMP_KERAS)):
        run = subprocess.run(
            [sys.executable, "-c", script],
            cwd=out / framework,
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        runs[framework] = run.stdout.split()
    full, mixed = (float(v) for v in runs["pytorch"])
    assert 0 < abs(full - mixed) < 0.05 * abs(full), (full, mixed)
    assert runs["tensorflow"] == ["bfloat16", "float32"]


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_float16_mixed_precision_trains(framework: str, tmp_path: Path) -> None:
    """fp16: GradScaler / LossScaleOptimizer around the float16 forward pass (on CPU here)."""
    out = tmp_path / "mlp"
    flags = ["--set", "train.mixed_precision=fp16", "--set", "train.stop_at_loss=null"]
    result = run_dlgen("new", "mlp", "-o", str(out), *flags)
    assert result.returncode == 0, result.stderr
    code = (out / framework / "train.py").read_text()
    assert ("GradScaler" if framework == "pytorch" else "LossScaleOptimizer") in code
    run = _train(out / framework, tmp_path / "runs")
    assert run.returncode == 0, run.stderr[-3000:]
    losses = [
        r["loss"] for r in json.loads((tmp_path / "runs" / "metrics.json").read_text())["epochs"]
    ]
    assert all(math.isfinite(loss) for loss in losses) and losses[-1] < losses[0], losses


READ_MNIST = "import data, sys; data.read_mnist(sys.argv[1], 'train')"


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_a_damaged_or_missing_mnist_file_is_one_line(
    project: Path, tmp_path: Path, framework: str
) -> None:
    """#17: a truncated MNIST file was an EOFError traceback (and never downloaded again),
    and a run without the files and without a network a URLError traceback."""
    folder = project / framework
    truncated = tmp_path / "truncated"
    shutil.copytree(data_for("mlp"), truncated)
    images = truncated / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[: images.stat().st_size // 2])
    offline = tmp_path / "empty"  # nothing there, and no network in the tests
    for where, expected in (
        (truncated, f"{truncated}: "),
        (offline, f"{offline}: no train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "),
    ):
        result = subprocess.run(
            [sys.executable, "-c", READ_MNIST, str(where)],
            cwd=folder,
            capture_output=True,
            text=True,
            env={**ENV, "https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"},
            timeout=300,
        )
        assert result.returncode == 1, result.stderr[-2000:]
        lines = error_lines(result.stderr)
        assert len(lines) == 1 and lines[0].startswith(expected), lines
