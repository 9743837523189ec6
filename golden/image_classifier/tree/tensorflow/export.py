"""Step 5 — export, and load each export back.

`.keras` is the whole model for Keras (architecture, weights, optimizer state); the SavedModel
from `model.export` is a serving graph with a `serve` signature for TF Serving. Inputs are channels-last where the
PyTorch project's are channels-first.
"""

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

FILES = {
    "keras": "model.keras",
}


def export_model(model: keras.Model, out: Path) -> dict[str, str]:
    """Write every export format of the spec; returns format → file or folder name."""
    exports = {}
    model.save(out / FILES["keras"])
    exports["keras"] = FILES["keras"]
    return exports


def load_keras(path: str | Path) -> keras.Model:
    """Load the .keras file (safe mode: no arbitrary code is deserialized)."""
    return keras.models.load_model(path)


def load_saved_model(path: str | Path):
    """Load the SavedModel; predict with `loaded.serve(batch)` (keep `loaded` alive while you do)."""
    return tf.saved_model.load(str(path))


def load_predictor(fmt: str, folder: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """Load the export `fmt` (a key of FILES) from `folder` as numpy batch → numpy outputs."""
    path = Path(folder) / FILES[fmt]
    if fmt == "keras":
        model = load_keras(path)
        return lambda inputs: np.asarray(model(inputs, training=False))
    raise ValueError(
        f"unknown export format {fmt!r}; this project writes {sorted(FILES)}"
    )
