"""The inspection module both generated projects share (templates/common/inspection.py.j2):
rendered with dlgen's own Jinja environment, imported from a file, and run on numpy data with
numpy "models", so no framework is needed."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import black
import numpy as np
import pytest

from codegen.render import environment

TEMPLATE = "common/inspection.py.j2"
SHAP_MISSING = "shap is not installed: pip install shap for SHAP values (skipped)"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BLACK_MODE = black.Mode(line_length=88, target_versions={black.TargetVersion.PY311})
NOISE = 0.5


def render(
    *,
    framework: str = "pytorch",
    task: str = "regression",
    project: str = "demo",
    histograms: bool = False,
    loss_curves: bool = False,
    intervals: str = "none",
    confidence: float = 0.9,
    shap: bool = False,
) -> str:
    inspect = {
        "histograms": histograms,
        "loss_curves": loss_curves,
        "intervals": intervals,
        "confidence": confidence,
        "shap": shap,
    }
    template = environment().get_template(TEMPLATE)
    return template.render(project=project, framework=framework, task=task, inspect=inspect)


def load(folder: Path, **context: Any) -> ModuleType:
    """Render the template with `context`, write it as inspection.py and import that file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inspection.py"
    path.write_text(render(**context), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"inspection_{folder.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_json(path: Path) -> Any:
    def reject(name: str) -> None:
        raise AssertionError(f"{path} holds {name}, which is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=reject)


def png_size(path: Path) -> tuple[int, int]:
    """Check `path` is a real, non-blank PNG; return its (width, height) in pixels."""
    import matplotlib.image

    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert len(data) > 5_000, f"{path} is only {len(data)} bytes"
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels[..., :3].std() > 0.01, f"{path} is blank"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (pixels.shape[1], pixels.shape[0]) == (width, height)
    return width, height


W_TRUE = np.array([1.5, -2.0, 0.5, 0.0, 3.0], dtype=np.float32)


def linear_gaussian(
    n: int, seed: int, features: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x ~ N(0, I), y = x @ w + 1 + NOISE * N(0, 1): inputs, targets (n, 1), weights."""
    rng = np.random.default_rng(1000 + features)
    w = W_TRUE if features == len(W_TRUE) else rng.normal(0, 0.2, features).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = (x @ w + 1.0 + NOISE * rng.standard_normal(n)).astype(np.float32)
    return x, y.reshape(-1, 1), w


def linear_model(w: np.ndarray, slope: float = 1.0, offset: float = 0.0):
    """A numpy "model": slope * (x @ w + 1) + offset, as (rows, 1) float32."""

    def predict(x: np.ndarray) -> np.ndarray:
        assert x.dtype == np.float32
        return (slope * (x @ w + 1.0) + offset).astype(np.float32).reshape(-1, 1)

    return predict


HISTORY = [
    {"epoch": e, "lr": 0.01 / e, "loss": 1 / e, "val_loss": 1.2 / e, "accuracy": 1 - 0.5 / e}
    for e in range(1, 6)
]


# --- weight histograms ---------------------------------------------------------------------


def test_weight_histograms_and_stats_match_numpy(tmp_path: Path) -> None:
    module = load(tmp_path / "module", histograms=True)
    rng = np.random.default_rng(0)
    dense = rng.normal(0, 0.1, (8, 4)).astype(np.float32)
    dense[0, :] = 0.0
    dense[1, :2] = 5e-4  # near zero too (|w| <= 1e-3)
    weights = {
        "dense.weight": dense,
        "dense.bias": np.full(4, 0.25, dtype=np.float32),
        "conv/kernel": rng.uniform(-1, 1, (3, 3, 2, 5)).astype(np.float32),
        "broken": np.array([1.0, np.nan, 2.0], dtype=np.float32),
    }
    result = module.inspect_run(tmp_path / "runs", HISTORY, weights)
    assert result == {
        "weight_stats": "inspection/weights.json",
        "histograms": "inspection/weights.png",
    }
    png_size(tmp_path / "runs" / result["histograms"])
    stats = read_json(tmp_path / "runs" / result["weight_stats"])
    assert stats["near_zero"] == 1e-3
    assert list(stats["tensors"]) == list(weights)
    for name in ("dense.weight", "dense.bias", "conv/kernel"):
        value, got = weights[name], stats["tensors"][name]
        assert got["shape"] == list(value.shape) and got["size"] == value.size
        for key, expected in (
            ("mean", value.mean()),
            ("std", value.std()),
            ("min", value.min()),
            ("max", value.max()),
        ):
            assert got[key] == pytest.approx(float(expected), rel=1e-6, abs=1e-7), (name, key)
    assert stats["tensors"]["dense.weight"]["near_zero"] == pytest.approx(6 / 32)
    assert stats["tensors"]["dense.bias"]["near_zero"] == 0.0
    assert stats["tensors"]["dense.bias"]["std"] == 0.0
    broken = stats["tensors"]["broken"]
    assert broken["mean"] is None and broken["std"] is None  # NaN is written as null
    assert broken["size"] == 3


def test_histogram_grid_grows_with_the_number_of_tensors(tmp_path: Path) -> None:
    module = load(tmp_path / "module", histograms=True)
    rng = np.random.default_rng(1)
    few = {f"w{i}": rng.standard_normal(50) for i in range(2)}
    many = {f"layer{i}.weight": rng.standard_normal(50) for i in range(9)}
    small = png_size(tmp_path / "a" / module.inspect_run(tmp_path / "a", [], few)["histograms"])
    large = png_size(tmp_path / "b" / module.inspect_run(tmp_path / "b", [], many)["histograms"])
    assert large[0] > small[0] and large[1] > small[1]  # 3 x 3 grid against 2 x 1
    assert module.inspect_run(tmp_path / "c", [], {})["histograms"].startswith("no weights")


# --- loss curves ---------------------------------------------------------------------------


def test_loss_curves_plot_every_recorded_number(tmp_path: Path) -> None:
    module = load(tmp_path / "module", loss_curves=True)
    result = module.inspect_run(tmp_path / "all", HISTORY, {})
    assert result == {"loss_curves": "inspection/loss_curves.png"}
    with_metrics = png_size(tmp_path / "all" / result["loss_curves"])
    loss_only = [
        {"epoch": r["epoch"], "loss": r["loss"], "val_loss": r["val_loss"]} for r in HISTORY
    ]
    module.inspect_run(tmp_path / "loss", loss_only, {})
    alone = png_size(tmp_path / "loss" / "inspection" / "loss_curves.png")
    # loss, lr and accuracy: three panels side by side, against one panel
    assert with_metrics[0] > 2.5 * alone[0]
    empty = module.inspect_run(tmp_path / "empty", [], {})
    assert empty["loss_curves"] == "no epochs recorded: no loss curves"
    assert not (tmp_path / "empty" / "inspection" / "loss_curves.png").exists()


# --- prediction intervals ------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_residual_intervals_are_conformal(tmp_path: Path, confidence: float) -> None:
    module = load(tmp_path / "module", intervals="residuals", confidence=confidence)
    x_train, y_train, w = linear_gaussian(500, seed=1)
    x_val, y_val, _ = linear_gaussian(20_000, seed=2)
    predict = linear_model(w)
    result = module.inspect_run(
        tmp_path / "runs", [], {}, predict, (x_train, y_train, x_val, y_val)
    )
    assert result == {
        "intervals": "inspection/intervals.json",
        "intervals_plot": "inspection/intervals.png",
    }
    png_size(tmp_path / "runs" / result["intervals_plot"])
    report = read_json(tmp_path / "runs" / result["intervals"])
    assert report["confidence"] == confidence and report["split"] == "validation"
    assert report["samples"] == 20_000 and "note" not in report

    # the half-width is the finite-sample corrected quantile of the validation residuals
    residuals = np.abs(y_val[:, 0].astype(np.float64) - predict(x_val)[:, 0].astype(np.float64))
    n = len(residuals)
    level = math.ceil((n + 1) * confidence) / n
    expected = np.quantile(residuals, level, method="inverted_cdf")
    (half,) = report["half_width"]
    assert half == pytest.approx(expected, rel=1e-12)
    assert report["mean_width"] == pytest.approx(2 * expected, rel=1e-12)
    assert report["coverage"] == pytest.approx(np.mean(residuals <= half))
    assert report["coverage"] >= confidence
    # ... which is close to the true quantile of |N(0, NOISE^2)|
    z = float(np.quantile(np.abs(np.random.default_rng(9).standard_normal(2_000_000)), confidence))
    assert half == pytest.approx(NOISE * z, rel=0.03)

    # new data from the same distribution is covered at the asked level (and not far above)
    x_new, y_new, _ = linear_gaussian(100_000, seed=3)
    covered = np.mean(np.abs(y_new - predict(x_new)) <= half)
    assert confidence - 0.005 <= covered <= confidence + 0.01


def test_residual_intervals_say_when_too_few_samples(tmp_path: Path) -> None:
    module = load(tmp_path / "module", intervals="residuals", confidence=0.9)
    x_train, y_train, w = linear_gaussian(50, seed=1)
    x_val, y_val, _ = linear_gaussian(5, seed=2)
    predict = linear_model(w)
    module.inspect_run(tmp_path / "runs", [], {}, predict, (x_train, y_train, x_val, y_val))
    report = read_json(tmp_path / "runs" / "inspection" / "intervals.json")
    assert report["rank"] == 6 and report["samples"] == 5  # ceil(6 * 0.9) = 6 > 5
    assert report["half_width"][0] == pytest.approx(np.abs(y_val - predict(x_val)).max())
    assert "too few" in report["note"]


def test_bayesian_intervals_calibrate_a_biased_model(tmp_path: Path) -> None:
    confidence = 0.9
    module = load(tmp_path / "module", intervals="bayesian", confidence=confidence)
    features = 300  # many input features: the calibration only sees the model's prediction
    x_train, y_train, w = linear_gaussian(20_000, seed=1, features=features)
    x_val, y_val, _ = linear_gaussian(10_000, seed=2, features=features)
    predict = linear_model(w, slope=0.8, offset=0.3)  # shrunk and shifted: miscalibrated
    result = module.inspect_run(
        tmp_path / "runs", [], {}, predict, (x_train, y_train, x_val, y_val)
    )
    png_size(tmp_path / "runs" / result["intervals_plot"])
    report = read_json(tmp_path / "runs" / result["intervals"])
    assert report["split"] == "validation" and report["samples"] == 10_000
    assert report["fit_split"] == "train" and report["fit_samples"] == 10_000  # FIT_ROWS
    (fit,) = report["calibration"]
    # y = f + noise and prediction = 0.8 f + 0.3, so y ~ 1.25 prediction - 0.375
    assert fit["slope"] == pytest.approx(1.25, abs=0.02)
    assert fit["intercept"] == pytest.approx(-0.375, abs=0.03)
    assert fit["noise_std"] == pytest.approx(NOISE, rel=0.03)
    z = 1.6448536269514722  # standard normal quantile at (1 + 0.9) / 2
    assert report["mean_width"] == pytest.approx(2 * z * NOISE, rel=0.03)
    assert report["coverage"] == pytest.approx(confidence, abs=0.015)


def test_bayesian_intervals_multi_output(tmp_path: Path) -> None:
    module = load(tmp_path / "module", intervals="bayesian", confidence=0.8)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4000, 3)).astype(np.float32)
    scales = np.array([0.1, 2.0], dtype=np.float32)
    y = x[:, :2] + scales * rng.standard_normal((4000, 2)).astype(np.float32)
    arrays = (x[:3000], y[:3000], x[3000:], y[3000:])
    result = module.inspect_run(tmp_path / "runs", [], {}, lambda b: b[:, :2], arrays)
    report = read_json(tmp_path / "runs" / result["intervals"])
    stds = [fit["noise_std"] for fit in report["calibration"]]
    assert stds == pytest.approx(scales.tolist(), rel=0.05)  # one calibration per output
    assert report["coverage"] == pytest.approx(0.8, abs=0.03)


@pytest.mark.parametrize("method", ["residuals", "bayesian"])
def test_intervals_without_validation_split_use_the_training_split(
    tmp_path: Path, method: str
) -> None:
    module = load(tmp_path / "module", intervals=method, confidence=0.9)
    x_train, y_train, w = linear_gaussian(3000, seed=1)
    empty_x, empty_y = x_train[:0], y_train[:0]
    predict = linear_model(w)
    result = module.inspect_run(
        tmp_path / "runs", [], {}, predict, (x_train, y_train, empty_x, empty_y)
    )
    report = read_json(tmp_path / "runs" / result["intervals"])
    assert report["split"] == "train" and report["samples"] == 3000
    assert "no validation split" in report["note"]
    assert report["coverage"] == pytest.approx(0.9, abs=0.02)
    if method == "residuals":
        residuals = np.abs(y_train[:, 0].astype(np.float64) - predict(x_train)[:, 0])
        level = math.ceil(3001 * 0.9) / 3000
        expected = np.quantile(residuals, level, method="inverted_cdf")
        assert report["half_width"][0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("task", ["classification", "binary"])
def test_intervals_are_regression_only(tmp_path: Path, task: str) -> None:
    text = render(task=task, intervals="residuals")
    assert "def prediction_intervals" not in text and "CONFIDENCE" not in text
    module = load(tmp_path / "module", task=task, intervals="bayesian")
    x, y, w = linear_gaussian(100, seed=1)
    result = module.inspect_run(tmp_path / "runs", [], {}, linear_model(w), (x, y, x, y))
    assert result == {"intervals": "skipped: prediction intervals are for regression models"}
    assert not (tmp_path / "runs" / "inspection" / "intervals.json").exists()


def test_integer_inputs_keep_their_type(tmp_path: Path) -> None:
    """Token ids reach predict as integers (an embedding cannot look up floats), in the
    interval code and, where shap is installed, in the SHAP code too."""
    module = load(tmp_path / "module", intervals="residuals", shap=True)
    rng = np.random.default_rng(4)
    x = rng.integers(0, 50, (400, 6))
    y = 0.1 * x.sum(axis=1, keepdims=True) + rng.normal(0, 0.3, (400, 1))

    def predict(batch: np.ndarray) -> np.ndarray:
        assert batch.dtype == np.int64, batch.dtype
        return 0.1 * batch.sum(axis=1, keepdims=True)

    result = module.inspect_run(
        tmp_path / "runs", [], {}, predict, (x[:300], y[:300], x[300:], y[300:])
    )
    report = read_json(tmp_path / "runs" / result["intervals"])
    assert report["coverage"] >= 0.9
    assert result["shap"] in (SHAP_MISSING, "inspection/shap.json")


def test_switched_off_practices_leave_no_code() -> None:
    text = render(intervals="none")
    for name in ("def weight_histograms", "def loss_curves", "def prediction_intervals"):
        assert name not in text
    assert "import shap" not in text and "import statistics" not in text
    residuals = render(intervals="residuals")
    assert "def conformal_half_width" in residuals and "bayesian_calibration" not in residuals
    bayesian = render(intervals="bayesian")
    assert "def bayesian_calibration" in bayesian and "conformal_half_width" not in bayesian


def test_missing_arguments_are_messages(tmp_path: Path) -> None:
    module = load(tmp_path / "module", intervals="residuals", shap=True)
    result = module.inspect_run(tmp_path / "runs", [], {})
    assert result["intervals"] == "no model or data given: no prediction intervals"
    assert result["shap"] in (SHAP_MISSING, "no model or data given: no SHAP values")


# --- SHAP ----------------------------------------------------------------------------------


def test_shap_missing_prints_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "shap", None)  # `import shap` raises ImportError
    module = load(tmp_path / "module", shap=True)
    x, y, w = linear_gaussian(100, seed=1)
    result = module.inspect_run(tmp_path / "runs", [], {}, linear_model(w), (x, y, x[:20], y[:20]))
    assert result == {"shap": SHAP_MISSING}
    assert capsys.readouterr().out == SHAP_MISSING + "\n"
    assert not (tmp_path / "runs" / "inspection" / "shap.json").exists()


def test_shap_values_find_the_features_a_model_uses(tmp_path: Path) -> None:
    pytest.importorskip("shap")
    module = load(tmp_path / "module", task="regression", shap=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)).astype(np.float32)
    w = np.array([3.0, 0.0, 0.0, -2.0, 0.0, 0.0], dtype=np.float32)
    y = (x @ w).reshape(-1, 1)
    arrays = (x[:200], y[:200], x[200:], y[200:])
    names = ["a", "b", "c", "d", "e", "f"]
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    result = module.inspect_run(tmp_path / "runs", [], {}, linear_model(w), arrays, names)
    assert np.array_equal(np.random.get_state()[1], before)  # numpy's global RNG is restored
    assert result == {"shap": "inspection/shap.json", "shap_plot": "inspection/shap.png"}
    png_size(tmp_path / "runs" / result["shap_plot"])
    report = read_json(tmp_path / "runs" / result["shap"])
    assert report["background_rows"] == 50 and report["explained_rows"] == 20
    assert report["explained_split"] == "validation" and report["features"] == 6
    values = report["mean_abs_shap"]
    assert list(values)[:2] == ["a", "d"]  # sorted by importance, named by feature_names
    assert values["a"] > 1.0 and values["d"] > 0.7
    assert all(values[name] < 1e-6 for name in "bcef")  # unused features get nothing
    # deterministic: the same run writes the same values
    module.inspect_run(tmp_path / "again", [], {}, linear_model(w), arrays, names)
    assert read_json(tmp_path / "again" / "inspection" / "shap.json") == report


def test_shap_values_of_the_predicted_class(tmp_path: Path) -> None:
    pytest.importorskip("shap")
    module = load(tmp_path / "module", task="classification", shap=True)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((120, 2, 2)).astype(np.float32)  # not flat: reshaped for predict
    scores = np.zeros((4, 3), dtype=np.float32)
    scores[0, 0], scores[3, 1] = 2.0, -2.0  # x[0,0] drives class 0, x[1,1] class 1

    def predict(batch: np.ndarray) -> np.ndarray:
        assert batch.shape[1:] == (2, 2)
        return batch.reshape(len(batch), 4) @ scores

    labels = np.zeros(120, dtype=np.int64)
    result = module.inspect_run(
        tmp_path / "runs", [], {}, predict, (x[:80], labels[:80], x[80:], labels[80:])
    )
    report = read_json(tmp_path / "runs" / result["shap"])
    assert "predicted class" in report["explained_output"]
    values = report["mean_abs_shap"]
    assert set(values) == {"x[0,0]", "x[0,1]", "x[1,0]", "x[1,1]"}
    assert values["x[0,1]"] < 1e-6 and values["x[1,0]"] < 1e-6
    assert values["x[0,0]"] > 0.1 and values["x[1,1]"] > 0.1


# --- the generated file itself -------------------------------------------------------------


def test_everything_is_deterministic(tmp_path: Path) -> None:
    module = load(tmp_path / "module", histograms=True, loss_curves=True, intervals="residuals")
    x, y, w = linear_gaussian(400, seed=1)
    weights = {"w": np.random.default_rng(2).standard_normal((5, 3))}
    arrays = (x[:300], y[:300], x[300:], y[300:])
    first = module.inspect_run(tmp_path / "one", HISTORY, weights, linear_model(w), arrays)
    second = module.inspect_run(tmp_path / "two", HISTORY, weights, linear_model(w), arrays)
    assert first == second and len(first) == 5
    for relative in first.values():
        assert (tmp_path / "one" / relative).read_bytes() == (
            tmp_path / "two" / relative
        ).read_bytes()


def combinations() -> list[dict[str, Any]]:
    return [
        {
            "task": task,
            "histograms": histograms,
            "loss_curves": curves,
            "intervals": intervals,
            "shap": shap,
        }
        for task, histograms, curves, intervals, shap in itertools.product(
            ("classification", "binary", "regression"),
            (True, False),
            (True, False),
            ("none", "residuals", "bayesian"),
            (True, False),
        )
    ]


def test_every_combination_passes_ruff_and_is_black_stable(tmp_path: Path) -> None:
    texts: dict[str, str] = {}
    for index, context in enumerate(combinations()):
        torch_text = render(framework="pytorch", **context)
        # the two projects share the file word for word
        assert render(framework="tensorflow", **context) == torch_text, context
        texts.setdefault(torch_text, f"combo_{index}.py")
    longest = render(project="p" + "-x" * 31, histograms=True, loss_curves=True, shap=True)
    texts.setdefault(longest, "longest_name.py")
    assert len(texts) > 40  # the options really change the file
    for text, name in texts.items():
        compile(text, name, "exec")
        assert black.format_str(text, mode=BLACK_MODE) == text, f"{name} is not black-stable"
        (tmp_path / name).write_text(text, encoding="utf-8")
    for target in ("py310", "py311"):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--quiet"]
            + ["--select", "E,F,I,B,UP", "--line-length", "100", "--target-version", target, "."],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
