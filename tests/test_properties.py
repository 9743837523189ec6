"""Property tests: any valid spec drawn from the op registry generates two projects that compile,
pass ruff, are black-stable, build models of exactly the shape `dlgen check` predicts, and (on a
sample of draws) agree in the forward pass to 1e-5.

Draws come from `strategies.valid_specs` (fixed seed, bounded counts); every op of the registry
is drawn on purpose at least twice (`test_every_op`). Models are built in-process: torch and
TensorFlow are imported once per pytest process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import black
import pytest
import strategies as S
import yaml
from hypothesis import given, settings

from codegen.backends import FOLDERS, generate_all
from codegen.check import CheckedModel, check
from codegen.errors import DlgenError
from codegen.ops import REGISTRY
from codegen.render import black_mode, write_tree
from codegen.spec.loader import load_spec_text

pytestmark = pytest.mark.slow


def generate(spec: dict[str, Any]) -> tuple[CheckedModel, dict[str, str]]:
    """The spec through the real loader, checker and both backends (as `dlgen new` does)."""
    checked = check(load_spec_text(S.dump(spec), "spec.yaml"))
    return checked, generate_all(checked, "both", "spec.yaml")


def static_checks(files: dict[str, str], root: Path) -> None:
    """Every Python file compiles and is black-stable; both projects pass `ruff check`."""
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        compile(text, path, "exec")
        assert black.format_str(text, mode=black_mode()) == text, f"{path} is not black-stable"
    write_tree(files, root)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet", *FOLDERS.values()],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def build_and_measure(checked: CheckedModel, root: Path) -> Any:
    """Build both models from the generated code and check every shape against `dlgen check`."""
    from codegen.verify.compare import build_pair, keras_input, synthetic_batches

    pair = build_pair(checked, root / FOLDERS["torch"], root / FOLDERS["tf"], seed=0)
    torch = pair.fw.torch
    x = synthetic_batches(checked, 1, 3, 0)[0][0]
    captured: dict[str, tuple[int, ...]] = {}
    modules = dict(pair.torch_model.named_children())
    hooks = [
        modules[row.layer.name].register_forward_hook(
            lambda _m, _i, out, name=row.layer.name: captured.__setitem__(
                name, tuple(out.shape) if isinstance(out, torch.Tensor) else None
            )
        )
        for row in checked.rows
        if row.layer.name in modules
    ]
    with torch.no_grad():
        torch_out = pair.torch_model.eval()(torch.from_numpy(x))
    for hook in hooks:
        hook.remove()
    keras_out = pair.keras_model(keras_input(checked, x), training=False)
    assert tuple(torch_out.shape) == (3, *checked.output.shape), "PyTorch output shape"
    assert tuple(keras_out.shape) == (3, *checked.output.keras_shape), "Keras output shape"
    for row in checked.rows:
        name = row.layer.name
        if captured.get(name) is not None and not _returns_state(row):
            assert captured[name] == (3, *row.output.shape), f"PyTorch layer {name}"
        last = row.layer.op.keras(row.layer.params, list(row.inputs)).layers[-1][2]
        keras_layer = pair.keras_model.get_layer(f"{name}_{last}" if last else name)
        assert tuple(keras_layer.output.shape) == (
            None,
            *row.output.keras_shape,
        ), f"Keras layer {keras_layer.name}"
    return pair


def _returns_state(row: Any) -> bool:
    """Recurrent modules return (output, state) tuples; their hook sees no single tensor."""
    return row.layer.op.name in ("lstm", "gru")


def _release(pair: Any) -> None:
    pair.fw.keras.backend.clear_session()


@settings(S.RELIABLE, max_examples=12)
@given(spec=S.valid_specs())
def test_valid_specs_generate_lint_and_build_with_checked_shapes(
    spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    checked, files = generate(spec)
    root = tmp_path_factory.mktemp("draw") / "out"
    static_checks(files, root)
    _release(build_and_measure(checked, root))


@pytest.mark.parametrize("op", sorted(REGISTRY.layers))
def test_every_op(op: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each registry op, drawn into specs on purpose: generates, lints and builds to shape."""

    @settings(S.RELIABLE, max_examples=2)
    @given(spec=S.valid_specs(require_op=op))
    def run(spec: dict[str, Any]) -> None:
        checked, files = generate(spec)
        assert any(row.layer.op.name == op for row in checked.rows)
        root = tmp_path_factory.mktemp(op) / "out"
        static_checks(files, root)
        _release(build_and_measure(checked, root))

    run()


@settings(S.RELIABLE, max_examples=8)
@given(spec=S.valid_specs())
def test_forward_pass_agrees_on_sampled_draws(
    spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`dlgen verify`'s forward comparison (PyTorch weights moved into Keras) holds to 1e-5."""
    from codegen.verify.compare import compare_forward, synthetic_batches

    checked, files = generate(spec)
    root = tmp_path_factory.mktemp("forward") / "out"
    write_tree(files, root)
    pair = build_and_measure(checked, root)
    x = synthetic_batches(checked, 1, 4, 1)[0][0]
    forward, _ = compare_forward(pair, x, atol=1e-5)
    assert forward.ok, forward.summary + "\n" + "\n".join(map(str, forward.rows))
    _release(pair)


# ---------------------------------------------------------------- bugs found by these tests
# Specs that `dlgen check` once accepted but whose projects failed or disagreed. Each must now be
# rejected cleanly or give projects that agree; a newly found bug goes here with its fix.

FIXED_BUGS = {
    "spatial_op_on_sequence": (
        "ops/layers.py: pooling/conv shape rules accept a (steps, features) sequence or a reshape "
        "without image: true; Keras pools/convolves other axes than PyTorch",
        """
data: {kind: synthetic_classification, input_shape: [2, 4, 5], num_classes: 3, sequence: true}
model:
  layers: [global_avg_pool2d, {op: linear, out_features: 3}]
""",
    ),
    "conv1d_on_sequence": (
        "ops/layers.py: conv1d accepts a (steps, features) sequence: PyTorch convolves over "
        "features with steps as channels, Keras the other way round",
        """
data: {kind: synthetic_classification, input_shape: [4, 6], num_classes: 3, sequence: true}
model:
  layers: [{op: conv1d, out_channels: 2, kernel_size: 3}, flatten, {op: linear, out_features: 3}]
""",
    ),
    "activation_on_token_ids": (
        "ops/layers.py: activations accept integer token ids (sigmoid on int64 fails in "
        "PyTorch); only embedding (and flatten) should read token ids",
        """
data: {kind: text, path: r.csv, vocab_size: 20, max_length: 8, num_classes: 2}
model:
  layers:
    - sigmoid
    - {op: embedding, num_embeddings: 20, embedding_dim: 4}
    - flatten
    - {op: linear, out_features: 2}
""",
    ),
    "reshape_forgets_token_ids": (
        "ops/layers.py: reshape drops Tensor.integer, so linear then reads int64 token ids "
        "(PyTorch: mat1 and mat2 must have the same dtype)",
        """
data: {kind: text, path: r.csv, vocab_size: 20, max_length: 8, num_classes: 2}
model:
  layers: [{op: reshape, shape: [8]}, {op: linear, out_features: 2}]
""",
    ),
    "conv_transpose_kernel_below_stride": (
        "ops/layers.py: Conv2DTranspose(k=1, strides=2, padding='valid') makes H*2 rows, "
        "PyTorch (H-1)*2+1; Keras needs output_padding=0 spelled out",
        """
data: {kind: synthetic_classification, input_shape: [1, 6, 5], num_classes: 3}
model:
  layers:
    - {op: conv_transpose2d, out_channels: 2, kernel_size: 1, stride: 2}
    - flatten
    - {op: linear, out_features: 3}
""",
    ),
    "subnormal_weight_decay": (
        "backends/tf_backend.py: keras_l2 is 5e-324 (regularizers added) but l2/2 underflows to "
        "0.0, so templates/tf/model.py.j2 never defines l2_penalty (NameError)",
        """
data: {kind: synthetic_classification, input_shape: [4], num_classes: 3}
model:
  layers: [{op: linear, out_features: 3}]
optimizer: {type: rmsprop, weight_decay: 5.0e-324}
""",
    ),
    "model_class_keyword": (
        "spec/model.py: model_class None/True/False passes (a keyword: `class None(nn.Module)`)",
        """
project: {name: bug, model_class: None}
data: {kind: synthetic_classification, input_shape: [4], num_classes: 3}
model:
  layers: [{op: linear, out_features: 3}]
""",
    ),
    "model_class_shadows_imports": (
        "spec/model.py: model_class F shadows `import torch.nn.functional as F` in model.py "
        "(forward: type object 'F' has no attribute 'relu'); also Path, Any, nn-level names",
        """
project: {name: bug, model_class: F}
data: {kind: synthetic_classification, input_shape: [4], num_classes: 3}
model:
  layers: [{op: linear, out_features: 4}, relu, {op: linear, out_features: 3}]
""",
    ),
}


def _complete(fragment: str) -> str:
    spec = yaml.safe_load(fragment)
    spec.setdefault("project", {"name": "bug"})
    spec.setdefault("loss", "cross_entropy")
    spec.setdefault("optimizer", "sgd")
    return S.dump(spec)


def rejects_or_agrees(text: str, root: Path) -> None:
    """The contract for any spec: a clean rejection, or projects that build and agree."""
    from codegen.verify.compare import compare_forward, synthetic_batches

    try:
        checked = check(load_spec_text(text, "spec.yaml"))
        files = generate_all(checked, "both", "spec.yaml")
    except DlgenError:
        return
    static_checks(files, root)
    pair = build_and_measure(checked, root)
    try:
        forward, _ = compare_forward(pair, synthetic_batches(checked, 1, 4, 1)[0][0], atol=1e-5)
        assert forward.ok, forward.summary
    finally:
        _release(pair)


@pytest.mark.parametrize("name", sorted(FIXED_BUGS))
def test_fixed_bug_stays_fixed(name: str, tmp_path: Path) -> None:
    rejects_or_agrees(_complete(FIXED_BUGS[name][1]), tmp_path / "out")


def test_the_contract_holds_for_a_fixed_twin_of_each_known_bug(tmp_path: Path) -> None:
    """Nearby specs without the bug still generate, build and agree (the fixes reject only
    what is wrong)."""
    twins = [
        "data: {kind: synthetic_classification, input_shape: [2, 4, 5], num_classes: 3}\n"
        "model: {layers: [global_avg_pool2d, {op: linear, out_features: 3}]}\n",
        "data: {kind: text, path: r.csv, vocab_size: 20, max_length: 8, num_classes: 2}\n"
        "model: {layers: [{op: embedding, num_embeddings: 20, embedding_dim: 4}, flatten,"
        " {op: linear, out_features: 2}]}\n",
        "data: {kind: synthetic_classification, input_shape: [1, 6, 5], num_classes: 3}\n"
        "model: {layers: [{op: conv_transpose2d, out_channels: 2, kernel_size: 2, stride: 2},"
        " flatten, {op: linear, out_features: 3}]}\n",
        "project: {name: bug, model_class: Fnet}\n"
        "data: {kind: synthetic_classification, input_shape: [4], num_classes: 3}\n"
        "model: {layers: [{op: linear, out_features: 4}, relu, {op: linear, out_features: 3}]}\n"
        "optimizer: {type: rmsprop, weight_decay: 1.0e-3}\n",
    ]
    for index, twin in enumerate(twins):
        rejects_or_agrees(_complete(twin), tmp_path / f"twin{index}")
