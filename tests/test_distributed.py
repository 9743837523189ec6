"""Distributed training on the real engines, two processes on this machine, against a single
process on the same global batches: PyTorch DDP under torchrun (gloo), TensorFlow
MultiWorkerMirroredStrategy with two workers on localhost (TF_CONFIG, train_multiworker.py's
loop) and MirroredStrategy on two logical CPUs (train.py's fit), both against one process's fit.

Tolerance: losses to 1e-5 relative, final weights to 1e-4 absolute. Splitting a batch changes
only the order of floating-point sums (each rank's mean, then the mean of the ranks), so gradients
agree to float32 rounding; Adam (this example's optimizer) divides each gradient by the root of
its running square, which turns rounding-level differences on near-zero gradients into weight
differences of up to about 3e-5 after six steps (measured).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import READ_KERAS, READ_TORCH, data_for, run_dlgen

pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
ARGS = ["--epochs", "2", "--max-steps", "3", "--data", data_for("mnist_cnn")]
# Keras 3's fit and evaluate under MirroredStrategy fail when the first batch of a dataset does
# not split evenly between the replicas (an AddN of unequal shapes; measured with Keras 3.15):
# the 51 validation samples of the test data in one batch of 64 do. With 32, the first batch
# splits 16/16 and the last, 19 samples, 10/9, which works.
TF_ARGS = [*ARGS, "--batch-size", "32"]
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("distributed") / "mnist_cnn"
    formats = "export.formats=[state_dict,keras]"  # the other exports are tested in test_e2e
    # In file order: tf.data's shuffle draws another order once a strategy distributes the
    # dataset (measured), and the comparison needs the same global batches in every run.
    flags = ["--set", formats, "--set", "train.distributed=true", "--set", "data.shuffle=false"]
    result = run_dlgen("new", "mnist_cnn", "-o", str(out), *flags)
    assert result.returncode == 0, result.stderr
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _run(folder: Path, command: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**ENV, **(env or {})},
    )


def _finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-4000:]
    return output


def _weights(folder: Path, runs: Path, script: str) -> dict[str, np.ndarray]:
    target = runs / "weights.npz"
    _finish(_run(folder, [sys.executable, "-c", script, str(runs), str(target)]))
    return dict(np.load(target))


def _losses(runs: Path) -> list[float]:
    return [r["loss"] for r in json.loads((runs / "metrics.json").read_text())["epochs"]]


def _same(single: dict, parallel: dict, what: str) -> None:
    assert sorted(single) == sorted(parallel)
    for key in single:
        diff = float(np.abs(single[key] - parallel[key]).max())
        assert diff <= TOLERANCE, f"{what}: {key} differs by {diff}"


def test_ddp_two_processes_match_one(project: Path, tmp_path: Path) -> None:
    folder = project / "pytorch"
    one, two = tmp_path / "one", tmp_path / "two"
    _finish(_run(folder, [sys.executable, "train.py", "--out", str(one), *ARGS]))
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    torchrun += ["--master_port", str(_free_port()), "train.py", "--out", str(two), *ARGS]
    _finish(_run(folder, torchrun))
    assert json.loads((two / "metrics.json").read_text())["processes"] == 2
    np.testing.assert_allclose(_losses(one), _losses(two), rtol=1e-5)
    _same(_weights(folder, one, READ_TORCH), _weights(folder, two, READ_TORCH), "DDP")


def test_tensorflow_strategies_match_one_process(project: Path, tmp_path: Path) -> None:
    folder = project / "tensorflow"
    one, mirrored, workers = tmp_path / "one", tmp_path / "mirrored", tmp_path / "workers"
    _finish(_run(folder, [sys.executable, "train.py", "--out", str(one), *TF_ARGS]))
    _finish(
        _run(
            folder,
            [sys.executable, "train.py", "--out", str(mirrored), *TF_ARGS]
            + ["--strategy", "mirrored", "--cpu-replicas", "2"],
        )
    )
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes = [
        _run(
            folder,
            [sys.executable, "train_multiworker.py", "--out", str(workers), *TF_ARGS],
            {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})},
        )
        for i in range(2)
    ]
    outputs = [_finish(p) for p in processes]
    assert "epoch: 2," in outputs[0] and "epoch: 2," not in outputs[1]  # only the chief prints
    for runs in (mirrored, workers):
        assert json.loads((runs / "metrics.json").read_text())["replicas"] == 2
        np.testing.assert_allclose(_losses(one), _losses(runs), rtol=1e-5)
    single = _weights(folder, one, READ_KERAS)
    _same(single, _weights(folder, mirrored, READ_KERAS), "MirroredStrategy")
    _same(single, _weights(folder, workers, READ_KERAS), "MultiWorkerMirroredStrategy")
