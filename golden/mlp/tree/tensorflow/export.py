"""Step 5 — export.

`.keras` is the whole model for Keras (architecture, weights, optimizer state); the SavedModel
from `model.export` is a serving graph with a `serve` signature for TF Serving and TFLite.
"""

from pathlib import Path

import keras
import tensorflow as tf


def export_model(model: keras.Model, out: Path) -> dict[str, str]:
    """Write every export format of the spec; returns format → file or folder name."""
    exports = {}
    model.save(out / "model.keras")
    exports["keras"] = "model.keras"
    model.export(str(out / "saved_model"), verbose=False)
    exports["savedmodel"] = "saved_model"
    return exports


def load_keras(path: str | Path) -> keras.Model:
    """Load the .keras file (safe mode: no arbitrary code is deserialized)."""
    return keras.models.load_model(path)


def load_saved_model(path: str | Path):
    """Load the SavedModel; predict with `loaded.serve(batch)` (keep `loaded` alive while you do)."""
    return tf.saved_model.load(str(path))
