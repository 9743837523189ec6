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

Random choices use SEED, so a run is reproducible.
"""

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

PROJECT = "augmented_cnn"
SEED = 0
BATCH = 1024  # rows per call of predict
NEAR_ZERO = 1e-3  # a weight with |w| <= NEAR_ZERO counts as near zero


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
