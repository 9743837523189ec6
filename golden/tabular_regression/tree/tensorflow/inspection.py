"""Inspect the trained model: what it learned and how far to trust its outputs.

Framework-neutral (numpy, and matplotlib imported on first use with the Agg backend, so
no display is needed); the PyTorch and TensorFlow projects share this file. `inspect_run`
writes under OUT/inspection and returns {what: file path relative to OUT, or the message
saying why it was skipped}:

- histograms, weight_stats: weights.png holds a histogram of every weight tensor (title:
  name and shape); weights.json its mean, std, min, max and the fraction of entries with
  |w| <= NEAR_ZERO.

- loss_curves: loss_curves.png, loss and val_loss per epoch, and one panel per other
  number recorded per epoch (a metric and its val_ twin, the learning rate).

- intervals, intervals_plot: split-conformal prediction intervals from the residuals.
  The half-width (per output) is the ceil((n + 1) * CONFIDENCE)-th smallest absolute
  residual |y - prediction| of the n validation samples, so a new sample from the same
  distribution lands inside prediction +- half-width with probability >= CONFIDENCE
  (distribution-free; it assumes only that new data is exchangeable with the validation
  split). The coverage in intervals.json is measured on those same validation samples, so
  it is >= CONFIDENCE by construction; with fewer than about CONFIDENCE / (1 - CONFIDENCE)
  samples the rank exceeds n, the largest residual is used and there is no guarantee (the
  JSON says so). Without a validation split the training residuals are used instead: they
  are optimistic (a model errs less on the data it was fitted to), and the JSON says so.
  intervals.png plots predicted against actual with the interval bars.

- shap, shap_plot: SHAP values when the optional `shap` package is installed (a clear
  message otherwise). KernelExplainer with a background of <= SHAP_BACKGROUND training
  rows explains <= SHAP_EXPLAINED validation rows (training rows without a validation
  split), inputs flattened to one feature per input value. shap.json holds the mean
  |SHAP value| per feature, shap.png the largest ones.
  Explained output: every output; the means are taken over rows and outputs.
  With more than SHAP_EXACT_FEATURES features (images, sequences) shap's L1 selection
  keeps the SHAP_KEEP strongest features per explained row and the others get 0.

Random choices use SEED, so a run is reproducible.
"""

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

PROJECT = "tabular_regression"
SEED = 0
BATCH = 1024  # rows per call of predict
NEAR_ZERO = 1e-3  # a weight with |w| <= NEAR_ZERO counts as near zero
CONFIDENCE = 0.9  # asked coverage of the prediction intervals
PLOT_ROWS = 200  # validation samples drawn in intervals.png
SHAP_BACKGROUND = 50  # training rows the explainer integrates features out over
SHAP_EXPLAINED = 20  # rows explained
SHAP_SAMPLES = 512  # coalitions evaluated per explained row
SHAP_EXACT_FEATURES = 64  # above this many features, shap keeps the strongest ...
SHAP_KEEP = 32  # ... this many per explained row (L1 selection)
SHAP_TOP = 20  # features drawn in shap.png
SHAP_MISSING = "shap is not installed: pip install shap for SHAP values (skipped)"


def inspect_run(
    out: Path,
    history: list[dict],
    weights: dict[str, np.ndarray],
    predict: Callable[[np.ndarray], np.ndarray] | None = None,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    feature_names: list[str] | None = None,
) -> dict[str, str]:
    """Writes the inspection files under out / "inspection" and returns {what: relative
    file name or a message}.

    history: the per-epoch records of metrics.json; weights: every parameter by name;
    predict: the trained model on a float32 batch (integer inputs such as token ids keep
    their type) in its own input layout, numpy out;
    arrays: x_train, y_train, x_val, y_val in that layout (x_val may be empty);
    feature_names: names of the flattened input features, for the SHAP values.
    """
    folder = Path(out) / "inspection"
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, str] = {}
    results.update(weight_histograms(folder, weights))
    results.update(loss_curves(folder, history))
    results.update(prediction_intervals(folder, predict, arrays))
    results.update(shap_values(folder, predict, arrays, feature_names))
    return results


def _figure(width: float, height: float, layout: str | None = "constrained"):
    """A matplotlib figure drawn by the Agg backend: files only, pyplot's state untouched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(figure)
    return figure


def _number(value) -> float | None:
    """A JSON-safe float: None for NaN and infinities."""
    value = float(value)
    return value if math.isfinite(value) else None


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _predict(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """The model on `x` in batches of at most BATCH rows: (rows, outputs) float64. Inputs
    go in as float32, except integer inputs (token ids), which keep their type."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32, copy=False)
    parts = []
    for start in range(0, len(x), BATCH):
        part = np.asarray(predict(x[start : start + BATCH]), dtype=np.float64)
        parts.append(part.reshape(len(part), -1))
    return np.concatenate(parts) if parts else np.zeros((0, 1))


def weight_stats(value: np.ndarray) -> dict:
    """Shape, size, mean, std, min, max and near-zero fraction of one tensor."""
    values = np.asarray(value, dtype=np.float64).ravel()
    stats: dict = {"shape": list(np.shape(value)), "size": int(values.size)}
    if values.size:
        stats.update(
            mean=_number(values.mean()),
            std=_number(values.std()),
            min=_number(values.min()),
            max=_number(values.max()),
            near_zero=_number(np.mean(np.abs(values) <= NEAR_ZERO)),
        )
    return stats


def _short(name: str, limit: int = 36) -> str:
    """`name`, its middle elided when longer than `limit` characters."""
    if len(name) <= limit:
        return name
    keep = (limit - 3) // 2
    return name[:keep] + "..." + name[-keep:]


def weight_histograms(folder: Path, weights: dict[str, np.ndarray]) -> dict[str, str]:
    """weights.png, one histogram per tensor, and weights.json, their statistics."""
    stats = {name: weight_stats(value) for name, value in weights.items()}
    _write_json(folder / "weights.json", {"near_zero": NEAR_ZERO, "tensors": stats})
    results = {"weight_stats": "inspection/weights.json"}
    if not weights:
        results["histograms"] = "no weights given: no histograms"
        return results
    columns = math.ceil(math.sqrt(len(weights)))
    rows = math.ceil(len(weights) / columns)
    width, height = 2.4 * columns + 0.4, 1.9 * rows + 0.6
    # a fixed layout and few ticks: a grid of a hundred histograms still draws in seconds
    figure = _figure(width, height, layout=None)
    figure.subplots_adjust(
        left=0.2 / width,
        right=1 - 0.2 / width,
        bottom=0.35 / height,
        top=1 - 0.75 / height,
        wspace=0.12,
        hspace=0.6,
    )
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, value) in zip(axes, weights.items(), strict=False):
        values = np.asarray(value, dtype=np.float64).ravel()
        values = values[np.isfinite(values)]
        if values.size:
            bins = min(50, max(5, values.size // 4))
            counts, edges = np.histogram(values, bins=bins)
            ax.stairs(counts, edges, fill=True, color="tab:blue")
        ax.set_title(f"{_short(name)}\n{tuple(np.shape(value))}", fontsize=7)
        ax.set_yticks([])  # counts: the shape is what matters
        ax.locator_params(axis="x", nbins=4)
        ax.tick_params(labelsize=6)
    for ax in axes[len(weights) :]:
        ax.set_axis_off()
    figure.suptitle(f"{PROJECT}: weight distributions", fontsize=9)
    figure.savefig(folder / "weights.png", dpi=100 if len(weights) <= 36 else 60)
    results["histograms"] = "inspection/weights.png"
    return results


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def loss_curves(folder: Path, history: list[dict]) -> dict[str, str]:
    """loss_curves.png: loss and val_loss per epoch, then one panel per other number."""
    names: list[str] = []
    for record in history:
        for key, value in record.items():
            name = key.removeprefix("val_")
            if key != "epoch" and _is_number(value) and name not in names:
                names.append(name)
    if not names:
        return {"loss_curves": "no epochs recorded: no loss curves"}
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    epochs = [record.get("epoch", index + 1) for index, record in enumerate(history)]
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure = _figure(4.2 * columns, 3.2 * rows)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        twin = any("val_" + name in record for record in history)
        labels = ((name, "train" if twin else name), ("val_" + name, "validation"))
        for key, label in labels:
            series = [record.get(key) for record in history]
            if any(_is_number(value) for value in series):
                points = [v if _is_number(v) else np.nan for v in series]
                ax.plot(epochs, points, marker="o", markersize=3, label=label)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    figure.suptitle(f"{PROJECT}: training curves", fontsize=10)
    figure.savefig(folder / "loss_curves.png", dpi=100)
    return {"loss_curves": "inspection/loss_curves.png"}


def _columns(y: np.ndarray) -> np.ndarray:
    """Targets as (rows, outputs) float64."""
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(len(y), -1)


def conformal_half_width(residuals: np.ndarray) -> tuple[np.ndarray, int]:
    """Per output column of |y - prediction| (rows, outputs): the ceil((n + 1) *
    CONFIDENCE)-th smallest value (the largest if that rank exceeds n), and the rank."""
    n = len(residuals)
    rank = math.ceil((n + 1) * CONFIDENCE - 1e-9)
    return np.sort(residuals, axis=0)[min(rank, n) - 1], rank


def prediction_intervals(
    folder: Path,
    predict: Callable[[np.ndarray], np.ndarray] | None,
    arrays: tuple[np.ndarray, ...] | None,
) -> dict[str, str]:
    """intervals.json and intervals.png: split-conformal intervals (see the docstring)."""
    if predict is None or arrays is None:
        return {"intervals": "no model or data given: no prediction intervals"}
    x_train, y_train, x_val, y_val = arrays
    held_out = len(x_val) > 0
    x, y = (x_val, y_val) if held_out else (x_train, y_train)
    if len(x) < 2:
        return {"intervals": "fewer than 2 samples: no prediction intervals"}
    predicted, target = _predict(predict, x), _columns(y)
    if predicted.shape != target.shape:
        return {
            "intervals": f"predictions {predicted.shape} and targets {target.shape} "
            "differ in shape: no prediction intervals"
        }
    residuals = np.abs(target - predicted)
    half, rank = conformal_half_width(residuals)
    half_width = np.broadcast_to(half, predicted.shape)
    report = {
        "method": "residuals (split conformal)",
        "confidence": CONFIDENCE,
        "split": "validation" if held_out else "train",
        "samples": len(x),
        "rank": rank,
        "coverage": float(np.mean(residuals <= half)),
        "mean_width": float(np.mean(2 * half)),
        "half_width": half.tolist(),
    }
    notes = []
    if rank > len(x):
        notes.append(
            f"{len(x)} samples are too few for the guarantee at {CONFIDENCE}: it needs "
            f"rank {rank} <= n; the largest residual is used"
        )
    if not held_out:
        notes.append(
            "no validation split: calibrated and measured on the training split, whose "
            "residuals are optimistic (intervals on new data may cover less)"
        )
    if notes:
        report["note"] = "; ".join(notes)
    _write_json(folder / "intervals.json", report)
    _interval_plot(folder / "intervals.png", target, predicted, half_width, "residuals")
    return {
        "intervals": "inspection/intervals.json",
        "intervals_plot": "inspection/intervals.png",
    }


def _interval_plot(
    path: Path, target: np.ndarray, centre: np.ndarray, half: np.ndarray, method: str
) -> None:
    """Predicted against actual for the first PLOT_ROWS samples (first output), with bars."""
    target, centre, half = (a[:PLOT_ROWS, 0] for a in (target, centre, half))
    inside = np.abs(target - centre) <= half
    figure = _figure(5.0, 5.0)
    ax = figure.subplots()
    groups = ((inside, "tab:blue", "covered"), (~inside, "tab:red", "missed"))
    for chosen, colour, label in groups:
        if chosen.any():
            ax.errorbar(
                target[chosen],
                centre[chosen],
                yerr=half[chosen],
                fmt="o",
                markersize=3,
                elinewidth=0.8,
                color=colour,
                label=f"{label} ({int(chosen.sum())})",
            )
    low = float(min(target.min(), (centre - half).min()))
    high = float(max(target.max(), (centre + half).max()))
    ax.plot([low, high], [low, high], color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title(f"{PROJECT}: {CONFIDENCE:.0%} intervals ({method})", fontsize=9)
    ax.legend(fontsize=8)
    figure.savefig(path, dpi=100)


def _feature_names(shape: tuple[int, ...], given: list[str] | None) -> list[str]:
    """`given` when it names every flattened feature, else x[i] or x[i,j,...] by index."""
    size = math.prod(shape)
    if given is not None and len(given) == size:
        return [str(name) for name in given]
    if len(shape) == 1:
        return [f"x[{index}]" for index in range(size)]
    return ["x[" + ",".join(map(str, index)) + "]" for index in np.ndindex(*shape)]


def shap_values(
    folder: Path,
    predict: Callable[[np.ndarray], np.ndarray] | None,
    arrays: tuple[np.ndarray, ...] | None,
    feature_names: list[str] | None,
) -> dict[str, str]:
    """shap.json and shap.png: mean |SHAP value| per input feature (see the docstring)."""
    try:
        from shap import KernelExplainer
    except ImportError:
        print(SHAP_MISSING)
        return {"shap": SHAP_MISSING}
    if predict is None or arrays is None:
        return {"shap": "no model or data given: no SHAP values"}
    x_train, _, x_val, _ = arrays
    if len(x_train) == 0:
        return {"shap": "no training samples: no SHAP values"}
    shape = tuple(x_train.shape[1:])
    names = _feature_names(shape, feature_names)
    rng = np.random.default_rng(SEED)
    pool = x_val if len(x_val) else x_train
    background = x_train[np.sort(rng.permutation(len(x_train))[:SHAP_BACKGROUND])]
    explained = pool[np.sort(rng.permutation(len(pool))[:SHAP_EXPLAINED])]
    background = background.reshape(len(background), -1).astype(np.float64)
    explained = explained.reshape(len(explained), -1).astype(np.float64)

    def model(flat: np.ndarray) -> np.ndarray:
        # shap only ever copies values between rows: integer inputs survive the round trip
        return _predict(predict, flat.reshape(-1, *shape).astype(x_train.dtype))

    values = _kernel_shap(KernelExplainer, model, background, explained)
    mean_abs = np.abs(values).mean(axis=(0, 2))
    output = f"all {values.shape[2]} output(s), averaged"
    order = np.argsort(-mean_abs, kind="stable")
    report = {
        "explained_output": output,
        "background_rows": len(background),
        "explained_rows": len(explained),
        "explained_split": "validation" if len(x_val) else "train",
        "samples_per_row": SHAP_SAMPLES,
        "features": len(names),
        "feature_selection": (
            "none" if len(names) <= SHAP_EXACT_FEATURES else f"L1, {SHAP_KEEP} per row"
        ),
        "mean_abs_shap": {names[i]: float(mean_abs[i]) for i in order},
    }
    if feature_names is not None and len(feature_names) != len(names):
        report["note"] = (
            f"{len(feature_names)} feature names for {len(names)} features: "
            "indices used instead"
        )
    _write_json(folder / "shap.json", report)
    top = order[:SHAP_TOP][::-1]
    figure = _figure(6.0, 1.0 + 0.28 * len(top))
    ax = figure.subplots()
    ax.barh([_label(names[i]) for i in top], mean_abs[top], color="tab:blue")
    ax.set_xlabel("mean |SHAP value|")
    ax.set_title(f"{PROJECT}: input features by mean |SHAP value|", fontsize=9)
    ax.tick_params(labelsize=7)
    figure.savefig(folder / "shap.png", dpi=100)
    return {"shap": "inspection/shap.json", "shap_plot": "inspection/shap.png"}


def _kernel_shap(
    kernel_explainer: Callable,
    function: Callable[[np.ndarray], np.ndarray],
    background: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """KernelExplainer's SHAP values of `function` at `rows`: (rows, features, outputs)."""
    features = background.shape[1]
    exact = features <= SHAP_EXACT_FEATURES
    explainer = kernel_explainer(function, background)
    state = np.random.get_state()
    # KernelExplainer samples coalitions with numpy's global generator: seeded, restored
    np.random.seed(SEED)
    try:
        values = explainer.shap_values(
            rows,
            nsamples=SHAP_SAMPLES,
            l1_reg=False if exact else f"num_features({SHAP_KEEP})",
            silent=True,
        )
    finally:
        np.random.set_state(state)
    if isinstance(values, list):  # older shap: one array per output
        values = np.stack(values, axis=-1)
    return np.asarray(values, dtype=np.float64).reshape(len(rows), features, -1)


def _label(name: str, limit: int = 30) -> str:
    return name if len(name) <= limit else name[: limit - 3] + "..."
