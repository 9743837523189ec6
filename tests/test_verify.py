"""dlgen verify: every example passes, golden numbers hold, and planted mismatches are caught."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from regen_golden import VERIFY_ARGS

from codegen.backends import generate_all
from codegen.check import check
from codegen.ops import REGISTRY
from codegen.render import write_tree
from codegen.spec import load_spec
from conftest import EXAMPLE_NAMES, EXAMPLES, REGEN_COMMAND, REPO, data_for, run_dlgen

pytestmark = pytest.mark.slow

RTOL, ATOL = 1e-4, 1e-5


def assert_numbers_close(expected: object, actual: object, where: str) -> None:
    """Compare nested lists of numbers; name the output, its shape and the worst element."""
    if isinstance(expected, dict):
        assert set(expected) == set(actual), f"{where}: keys {sorted(expected)} vs {sorted(actual)}"
        for key in expected:
            assert_numbers_close(expected[key], actual[key], f"{where}.{key}")
        return
    want, got = np.asarray(expected, dtype=float), np.asarray(actual, dtype=float)
    assert want.shape == got.shape, f"{where}: shape {want.shape} recorded, {got.shape} now"
    if want.size == 0:
        return
    excess = np.abs(got - want) - (ATOL + RTOL * np.abs(want))
    worst = np.unravel_index(int(np.argmax(excess)), want.shape)
    assert excess[worst] <= 0, (
        f"{where} {want.shape}: worst element {tuple(int(i) for i in worst)} is {got[worst]!r}, "
        f"golden {want[worst]!r} (rtol {RTOL}, atol {ATOL}); if intended, run {REGEN_COMMAND}"
    )


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_verifies_and_matches_golden_numbers(name: str, tmp_path: Path) -> None:
    record = tmp_path / "numbers.json"
    result = run_dlgen("verify", name, *VERIFY_ARGS.get(name, []), "--record", str(record))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "verify: all checks passed" in result.stdout
    golden = json.loads((REPO / "golden" / name / "numbers.json").read_text())
    actual = json.loads(record.read_text())
    assert_numbers_close(golden, actual, f"golden/{name}/numbers.json")


def test_a_plain_mnist_spec_verifies() -> None:
    """The MNIST CNN with no early stopping, checkpoints or extra exports (bench/project_size.py's
    mnist_plain): the project a new user most often gets, fit and all, proven equal."""
    plain = ["--set", "train.early_stopping=null", "--set", "train.checkpoint=null"]
    plain += ["--set", "export.formats=[state_dict,keras]", "--data", data_for("mnist_cnn")]
    result = run_dlgen("verify", "mnist_cnn", *plain)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "PASS: 10 steps agree" in result.stdout
    assert "verify: all checks passed" in result.stdout


def test_sgd_and_adam_are_both_exercised() -> None:
    optimizers = {load_spec(EXAMPLES / f"{n}.yaml").spec.optimizer.type for n in EXAMPLE_NAMES}
    assert {"sgd", "adam"} <= optimizers


def test_planted_default_mismatch_is_named(tmp_path: Path) -> None:
    """A wrong BatchNorm epsilon in the generated Keras model fails at that layer."""
    out = tmp_path / "pair"
    assert run_dlgen("new", "resnet_block", "-o", str(out)).returncode == 0
    model = out / "tensorflow" / "model.py"
    text = model.read_text()
    assert "epsilon=1e-05" in text
    model.write_text(text.replace("epsilon=1e-05", "epsilon=0.001", 1))
    result = run_dlgen("verify", "--project", str(out), "--steps", "2")
    assert result.returncode == 1
    assert "first divergence at layer 'stem_bn'" in result.stdout
    assert "verify: FAILED" in result.stdout


def test_planted_weight_rule_mismatch_is_named(tmp_path: Path, monkeypatch) -> None:
    """A Linear rule that forgets the NCHW/NHWC flatten order fails at the Dense after it."""
    from codegen.ops.weights import WeightRule
    from codegen.verify.run import verify_projects

    linear = REGISTRY.layers["linear"]
    naive = WeightRule(
        lambda p, inputs, state: {"": [state["weight"].T, state["bias"]]},
        linear.weights.to_torch,
    )
    monkeypatch.setitem(REGISTRY.layers, "linear", dataclasses.replace(linear, weights=naive))
    checked = check(load_spec(EXAMPLES / "mnist_cnn.yaml"))
    write_tree(generate_all(checked, "both", "x"), tmp_path / "pair")
    result = verify_projects(
        checked, tmp_path / "pair" / "pytorch", tmp_path / "pair" / "tensorflow", steps=2
    )
    forward = next(c for c in result.checks if c.title.startswith("forward"))
    assert not forward.ok
    assert "first divergence at layer 'fc1'" in forward.summary


def test_weight_rules_round_trip() -> None:
    """PyTorch → Keras → PyTorch gives back every tensor (the LSTM's frozen b_hh stays 0)."""
    import torch

    from codegen.verify.compare import build_pair
    from codegen.verify.transfer import keras_to_torch_state

    for name in ("mnist_cnn", "text_lstm", "resnet_block"):
        checked = check(load_spec(EXAMPLES / f"{name}.yaml"))
        folder = REPO / "golden" / name / "tree"
        pair = build_pair(checked, folder / "pytorch", folder / "tensorflow", seed=0)
        original = {k: v.numpy() for k, v in pair.torch_model.state_dict().items()}
        back = keras_to_torch_state(checked, pair.keras_model)
        for key, value in original.items():
            if key.endswith("num_batches_tracked"):
                continue
            assert np.array_equal(back[key], value), (name, key)
        assert isinstance(pair.torch_model, torch.nn.Module)


VALID = sorted((REPO / "tests" / "data" / "valid").glob("*.yaml"))


@pytest.mark.parametrize("spec", VALID, ids=lambda p: p.stem)
def test_op_zoo_specs_verify(spec: Path) -> None:
    """Specs that exercise every weight rule (conv1d, conv-transpose with crop, stacked
    bidirectional GRU/LSTM, layer norm, concat, reshape after flatten) pass verify."""
    result = run_dlgen("verify", str(spec.relative_to(REPO)))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "verify: all checks passed" in result.stdout
    assert "AutoGraph could not transform" not in result.stderr


def test_device_cuda_runs_on_a_gpu_or_says_there_is_none() -> None:
    import tensorflow as tf
    import torch

    result = run_dlgen("verify", "linear_regression", "--device", "cuda", "--steps", "3")
    if torch.cuda.is_available() and tf.config.list_physical_devices("GPU"):
        assert result.returncode == 0, result.stdout[-3000:]
        assert "verify: all checks passed" in result.stdout
    else:
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1] == (
            "--device: error: no CUDA device is visible to both PyTorch and TensorFlow; "
            "run without --device cuda"
        )


def test_bench_writes_the_comparison_table_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = run_dlgen(
        "verify", "resnet_block", "--steps", "2", "--bench", "--bench-epochs", "2",
        "--bench-steps", "2", "--bench-out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    rows = json.loads((out / "bench.json").read_text())
    assert [row["framework"] for row in rows] == ["pytorch", "tensorflow"]
    for row in rows:
        assert row["train_time_s"] > 0 and row["peak_memory_mb"] > 0
        assert len(row["losses"]) == 2 and row["final_metric"].startswith("val_accuracy")
    table = (out / "bench.md").read_text()
    assert "| framework | train time (s) | process time (s) | peak memory (MB) |" in table
    assert "| pytorch |" in result.stdout and "| tensorflow |" in result.stdout
    assert (out / "loss_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_nan_weight_fails_the_weights_check() -> None:
    """A NaN in any tensor of a layer (here the bias, after a kernel that agrees) fails it."""
    from codegen.verify.compare import _compare_weights, build_pair

    checked = check(load_spec(EXAMPLES / "mnist_cnn.yaml"))
    folder = REPO / "golden" / "mnist_cnn" / "tree"
    pair = build_pair(checked, folder / "pytorch", folder / "tensorflow", seed=0)
    initial = {layer.name: layer.get_weights() for layer in pair.keras_model.layers}
    assert _compare_weights(pair, initial, 1e-6).ok  # same weights in both
    layer = pair.keras_model.get_layer("fc2")
    kernel, bias = layer.get_weights()
    bias[3] = np.nan
    layer.set_weights([kernel, bias])
    weights = _compare_weights(pair, initial, 1e-6)
    assert not weights.ok
    assert "fc2" in weights.summary


def test_bench_asks_for_the_test_file_before_verifying() -> None:
    """A spec with data.test: --bench runs train.py, which evaluates the test file; verify
    cannot know where it is (the spec's path is relative to a project), so it asks first."""
    result = run_dlgen("verify", "text_lstm", "--data", data_for("text_lstm"), "--bench")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "--bench: error: the spec has a test split (data.test): give its file with --test"
    )
    assert "forward" not in result.stdout  # refused before any verification ran
