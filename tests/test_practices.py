"""Issue #8's practices in the generated projects of both frameworks: preprocessing (Z-score from
the training split, image scaling and Normalize, one-hot columns) and exports that take raw
inputs, embedded categorical columns, training-only augmentation, gradient checkpointing, inspection and --debug.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.backends import generate_all
from codegen.check import check
from codegen.spec import load_spec
from codegen.verify.projects import frameworks, load_project
from conftest import DATA, EXAMPLES

pytestmark = pytest.mark.slow

SHAPES = str(DATA / "npz" / "shapes.npz")
HOUSES = str(DATA / "tabular" / "houses.csv")
HOUSES_TEST = str(DATA / "tabular" / "houses_test.csv")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("practices")
    for name in ("augmented_cnn", "tabular_regression"):
        files = generate_all(check(load_spec(EXAMPLES / f"{name}.yaml")), "both", name)
        for rel, text in files.items():
            (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / name / rel).write_text(text, encoding="utf-8")
    return {
        "augmented_cnn": root / "augmented_cnn",
        "tabular_regression": root / "tabular_regression",
    }


@pytest.fixture(scope="module")
def fw():
    return frameworks()


def _first_batch(loader) -> np.ndarray:
    return next(iter(loader))[0].numpy()


# ---------------------------------------------------------------- preprocessing


def test_standardize_statistics_come_from_the_training_split(projects, fw) -> None:
    tp = load_project(projects["tabular_regression"] / "pytorch")
    x_train, _, x_val, _ = tp.data.load_arrays(HOUSES, 0)
    stats = tp.data.preprocessing_statistics(x_train)
    numeric = x_train[:, :3].astype(np.float64)
    np.testing.assert_allclose(stats["mean"][:3], numeric.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats["std"][:3], numeric.std(axis=0), rtol=1e-12)
    # one-hot columns and the heating column's category codes are kept as they are
    assert stats["mean"][3:] == [0.0] * 5 and stats["std"][3:] == [1.0] * 5
    everything = np.concatenate([x_train, x_val])[:, :3].mean(axis=0)
    assert not np.allclose(stats["mean"][:3], everything, rtol=1e-6), "validation leaked in"
    # The batches are standardized with those numbers, in both frameworks alike.
    loader, _ = tp.data.make_loaders(HOUSES, 10_000, 0)
    batch = _first_batch(loader)
    np.testing.assert_allclose(batch[:, :3].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(batch[:, :3].std(axis=0), 1.0, atol=1e-5)
    kp = load_project(projects["tabular_regression"] / "tensorflow")
    dataset, _ = kp.data.make_datasets(HOUSES, 10_000, 0)
    keras_batch = next(iter(dataset))[0].numpy()
    # the whole training split in one batch, each framework in its own order
    np.testing.assert_allclose(
        np.sort(keras_batch, axis=0), np.sort(batch, axis=0), rtol=1e-6, atol=1e-6
    )


def test_categorical_columns_are_one_hot_or_category_codes(projects, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "rooms,area,age,district,heating,price\n1,2,3,east,oil,1.0\n"
        "4,5,6,north,gas,2.0\n7,8,9,harbour,coal,3.0\n"
    )
    tp = load_project(projects["tabular_regression"] / "pytorch")
    tp.data.VALIDATION_SPLIT = 0.0
    x, y, _, _ = tp.data.load_arrays(str(table), 0)
    # north, south, east, west after the three numeric columns (an unlisted value is all
    # zeros), then heating's code: i + 1 for categories[i] (gas, electric, oil, ...), 0 unlisted
    expected = [[1, 2, 3, 0, 0, 1, 0, 3], [4, 5, 6, 1, 0, 0, 0, 1], [7, 8, 9, 0, 0, 0, 0, 0]]
    np.testing.assert_array_equal(x, np.array(expected, dtype=np.float32))
    assert tp.data.feature_names()[3:] == [
        "district=north",
        "district=south",
        "district=east",
        "district=west",
        "heating",
    ]


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_embedded_column_codes_look_up_their_rows(projects, fw, framework: str) -> None:
    """Code i + 1 reads row i + 1; 0 and every code outside 1..size read the unknown row 0; a
    code that preprocessing left a rounding error away from an integer still reads its row."""
    project = load_project(projects["tabular_regression"] / framework)
    codes = [2.0, 0.0, 7.0, -1.0, np.nextafter(np.float32(3), np.float32(0))]
    x = np.array([[0.5 * i, -1.0, code] for i, code in enumerate(codes)], "f4")
    layer = project.model.CategoricalEmbedding(2, sizes=[3], dims=[4])
    if framework == "pytorch":
        out = layer(fw.torch.from_numpy(x)).detach().numpy()
        table = layer.embeddings[0].weight.detach().numpy()
    else:
        out = np.asarray(layer(x))
        table = layer.embeddings[0].get_weights()[0]
    assert table.shape == (4, 4) and np.ptp(table, axis=0).min() > 0  # distinct rows
    np.testing.assert_array_equal(out[:, :2], x[:, :2])
    np.testing.assert_array_equal(out[:, 2:], table[[2, 0, 0, 0, 3]])


def test_images_are_scaled_and_normalized_per_channel(projects, fw) -> None:
    tp = load_project(projects["augmented_cnn"] / "pytorch")
    x_train, _, _, _ = tp.data.load_arrays(SHAPES, 0)
    assert x_train.max() > 200  # raw 8-bit values
    _, x_val = x_train, tp.data.load_arrays(SHAPES, 0)[2]
    _, val_loader = tp.data.make_loaders(SHAPES, 32, 0)  # validation: never augmented
    expected = (x_val[:32] * np.float32(1 / 255) - 0.5) / 0.25
    np.testing.assert_allclose(_first_batch(val_loader), expected, rtol=1e-6, atol=1e-6)
    kp = load_project(projects["augmented_cnn"] / "tensorflow")
    _, val_dataset = kp.data.make_datasets(SHAPES, 32, 0)
    keras_batch = next(iter(val_dataset))[0].numpy()
    np.testing.assert_allclose(keras_batch, np.moveaxis(expected, 1, -1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_exports_include_the_preprocessing(projects, fw, framework: str, tmp_path: Path) -> None:
    """Every export takes raw inputs: its outputs are the model's on transformed inputs."""
    project = load_project(projects["tabular_regression"] / framework)
    x_train, _, _, _ = project.data.load_arrays(HOUSES, 0)
    stats = project.data.preprocessing_statistics(x_train)
    raw = x_train[:5]
    transformed = ((raw * stats["scale"] - stats["mean"]) / np.array(stats["std"])).astype("f4")
    if framework == "pytorch":
        torch = fw.torch
        torch.manual_seed(0)
        model = project.model.TabularRegression().eval()
        project.export.export_model(model, torch.from_numpy(raw[:2]), tmp_path, stats)
        with torch.no_grad():
            expected = model(torch.from_numpy(transformed)).numpy()
    else:
        model = project.model.build_model()
        project.export.export_model(model, tmp_path, stats)
        expected = np.asarray(model(transformed, training=False))
    assert json.loads((tmp_path / "preprocessing.json").read_text()) == stats
    for fmt in project.export.FILES:
        got = project.export.load_predictor(fmt, tmp_path)(raw)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4, err_msg=fmt)


# ---------------------------------------------------------------- augmentation


def test_torch_augmentation_is_exact_flips_and_shifts(projects, fw, monkeypatch) -> None:
    torch = fw.torch
    data = load_project(projects["augmented_cnn"] / "pytorch").data
    images = torch.rand(64, 3, 16, 16)
    generator = torch.Generator().manual_seed(1)
    monkeypatch.setattr(data, "ROTATION", 0.0)
    monkeypatch.setattr(data, "CROP_PADDING", 0)
    flipped = data.augment(images, generator)
    same = [(flipped[i] - images[i]).abs().max() < 1e-6 for i in range(64)]
    mirrored = [(flipped[i] - images[i].flip(-1)).abs().max() < 1e-6 for i in range(64)]
    assert all(a or b for a, b in zip(same, mirrored, strict=True))
    assert 10 < sum(mirrored) < 54  # about half
    monkeypatch.setattr(data, "HORIZONTAL_FLIP", False)
    monkeypatch.setattr(data, "CROP_PADDING", 2)
    shifted = data.augment(images, generator)
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    offsets = set()
    for i in range(64):
        crops = {
            (dy, dx): (shifted[i] - padded[i, :, dy : dy + 16, dx : dx + 16]).abs().max()
            for dy in range(5)
            for dx in range(5)
        }
        best = min(crops, key=crops.get)
        assert crops[best] < 1e-5, f"image {i} is no crop of the padded image"
        offsets.add(best)
    assert len(offsets) > 5
    monkeypatch.setattr(data, "CROP_PADDING", 0)
    monkeypatch.setattr(data, "ROTATION", 10.0)
    flat = torch.ones(4, 3, 16, 16)
    rotated = data.augment(flat, generator)
    assert torch.allclose(rotated[:, :, 4:12, 4:12], flat[:, :, 4:12, 4:12], atol=1e-5)
    assert (rotated[:, :, 0, 0] < 1).any()  # corners rotate in zeros


def test_torch_augmentation_only_in_training_and_repeatable(projects, fw) -> None:
    torch = fw.torch
    data = load_project(projects["augmented_cnn"] / "pytorch").data
    batches = []
    for _ in range(2):
        torch.manual_seed(0)  # train.py's seed: shuffles and augmentation draw from it
        train_loader, val_loader = data.make_loaders(SHAPES, 32, 0)
        batches.append(_first_batch(train_loader))
    np.testing.assert_array_equal(batches[0], batches[1])  # the same seed, the same batches
    augmented = train_loader.dataset
    assert isinstance(augmented, data.Augmented)
    changed = [not torch.allclose(augmented[i][0], augmented.dataset[i][0]) for i in range(16)]
    assert sum(changed) >= 12  # rotation moves nearly every image
    x_val = data.load_arrays(SHAPES, 0)[2]
    with torch.no_grad():
        preprocess = data.Preprocess(data.preprocessing_statistics(data.load_arrays(SHAPES, 0)[0]))
        expected = preprocess(torch.from_numpy(x_val))
    got = torch.cat([x for x, _ in val_loader])
    assert torch.equal(got, expected)  # validation batches are never augmented


def test_keras_augmentation_layers_only_in_training(projects, fw) -> None:
    data = load_project(projects["augmented_cnn"] / "tensorflow").data
    augmentation = data.augmentation_layers(0)
    kinds = [type(layer).__name__ for layer in augmentation.layers]
    assert kinds == ["RandomFlip", "RandomRotation", "RandomTranslation"]
    images = np.random.default_rng(0).random((16, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(augmentation(images, training=False)), images)
    assert not np.allclose(np.asarray(augmentation(images, training=True)), images)
    flipped = np.asarray(augmentation.layers[0](images, training=True))
    for got, image in zip(flipped, images, strict=True):
        assert np.array_equal(got, image) or np.array_equal(got, image[:, ::-1])


# ---------------------------------------------------------------- gradient checkpointing


def test_torch_gradient_checkpointing_same_gradients(projects, fw, monkeypatch) -> None:
    torch = fw.torch
    model_module = load_project(projects["augmented_cnn"] / "pytorch").model
    calls = []
    real = model_module.checkpoint
    monkeypatch.setattr(
        model_module, "checkpoint", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    torch.manual_seed(0)
    model = model_module.AugmentedCnn().train()
    x = torch.randn(8, 3, 16, 16)

    def gradients(on: bool) -> list:
        model.gradient_checkpointing = on
        model.zero_grad()
        torch.manual_seed(1)  # the same dropout mask
        model(x).pow(2).sum().backward()
        return [p.grad.clone() for p in model.parameters()]

    plain, checkpointed = gradients(False), gradients(True)
    assert calls, "no segment ran under torch.utils.checkpoint"
    for a, b in zip(plain, checkpointed, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_keras_gradient_checkpointing_same_gradients(projects, fw, monkeypatch) -> None:
    tf, keras = fw.tf, fw.keras
    model_module = load_project(projects["augmented_cnn"] / "tensorflow").model
    calls = []
    real = tf.recompute_grad
    monkeypatch.setattr(tf, "recompute_grad", lambda f: calls.append(1) or real(f))
    keras.utils.set_random_seed(0)
    model = model_module.build_model()
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0  # one mask per call: the comparison needs none
    x = tf.constant(np.random.default_rng(0).standard_normal((8, 16, 16, 3)), tf.float32)

    def gradients(on: bool) -> list:
        with tf.GradientTape() as tape:
            out = model_module.call_checkpointed(model, x, True) if on else model(x, training=True)
            loss = tf.reduce_sum(out**2)
        return tape.gradient(loss, model.trainable_variables)

    plain, checkpointed = gradients(False), gradients(True)
    assert calls, "no segment ran under tf.recompute_grad"
    for a, b in zip(plain, checkpointed, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- inspection and --debug

RUN_DEBUG = """
import sys
import train
train.main(sys.argv[1:])
if {torch!r}:
    import torch
    assert torch.is_anomaly_enabled(), "--debug did not turn on anomaly detection"
else:
    import tensorflow as tf
    assert tf.config.functions_run_eagerly(), "--debug did not run functions eagerly"
print("debug mode checked")
"""


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_inspection_files_and_debug_mode(projects, framework: str, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    args = ["--epochs", "2", "--max-steps", "3", "--no-export", "--debug"]
    result = subprocess.run(
        [sys.executable, "-c", RUN_DEBUG.format(torch=framework == "pytorch"), *args]
        + ["--data", HOUSES, "--test", HOUSES_TEST, "--out", str(out)],
        cwd=projects["tabular_regression"] / framework,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "debug mode checked" in result.stdout
    folder = out / "inspection"
    for name in ("weights.png", "loss_curves.png", "intervals.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    intervals = json.loads((folder / "intervals.json").read_text())
    assert intervals["confidence"] == 0.9 and intervals["coverage"] >= 0.8
    weights = json.loads((folder / "weights.json").read_text())
    # heating's embedding table, and two linear layers' weight and bias each
    assert len(weights["tensors"]) == 5
    try:
        import shap  # noqa: F401
    except ImportError:
        assert "shap is not installed" in result.stdout
    else:
        assert (folder / "shap.json").exists()
