"""Step 5 — export, and load each export back.

`.keras` is the whole model for Keras (architecture, weights, optimizer state); the SavedModel
from `model.export` is a serving graph with a `serve` signature for TF Serving. Inputs are channels-last where the
PyTorch project's are channels-first.
"""

import json
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from data import INPUT_SHAPE, preprocessing_layers

FILES = {
    "keras": "model.keras",
    "savedmodel": "saved_model",
}


PREPROCESSING = (
    "preprocessing.json"  # the input transform's numbers (also inside the exports)
)


def export_model(model: keras.Model, out: Path, statistics: dict) -> dict[str, str]:
    """Write every export format of the spec; returns format → file or folder name.

    Every export is the trained model behind its preprocessing layers (Keras's idiom: the
    deployed model takes raw inputs); `statistics` are the training split's numbers.
    """
    (out / PREPROCESSING).write_text(json.dumps(statistics) + "\n")
    exports = {}
    model = keras.Sequential(
        [keras.Input(INPUT_SHAPE), preprocessing_layers(statistics), model],
        name="deployed",
    )
    model.save(out / FILES["keras"])
    exports["keras"] = FILES["keras"]
    model.export(str(out / FILES["savedmodel"]), verbose=False)
    exports["savedmodel"] = FILES["savedmodel"]
    return exports


def load_keras(path: str | Path) -> keras.Model:
    """Load the .keras file for inference, without its optimizer (safe mode: no arbitrary code is
    deserialized)."""
    return keras.models.load_model(path, compile=False)


def load_saved_model(path: str | Path):
    """Load the SavedModel; predict with `loaded.serve(batch)` (keep `loaded` alive while you do)."""
    return tf.saved_model.load(str(path))


def load_predictor(fmt: str, folder: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """Load the export `fmt` (a key of FILES) from `folder` as numpy batch → numpy outputs."""
    path = Path(folder) / FILES[fmt]
    if fmt == "keras":
        model = load_keras(path)
        return lambda inputs: np.asarray(model(inputs, training=False))
    if fmt == "savedmodel":
        loaded = load_saved_model(path)
        return lambda inputs: loaded.serve(inputs).numpy()
    raise ValueError(
        f"unknown export format {fmt!r}; this project writes {sorted(FILES)}"
    )
