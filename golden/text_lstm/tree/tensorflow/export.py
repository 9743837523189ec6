"""Step 5 — export, and load each export back.

`.keras` is the whole model for Keras (architecture, weights, optimizer state); the SavedModel
from `model.export` is a serving graph with a `serve` signature for TF Serving; TFLite
converts that graph for phones and microcontrollers. Inputs are channels-last where the
PyTorch project's are channels-first.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model import DenseGradientAdam

FILES = {
    "keras": "model.keras",
    "tflite": "model.tflite",
}


def export_model(model: keras.Model, out: Path) -> dict[str, str]:
    """Write every export format of the spec; returns format → file or folder name."""
    exports = {}
    model.save(out / FILES["keras"])
    exports["keras"] = FILES["keras"]
    (out / FILES["tflite"]).write_bytes(to_tflite(model))
    exports["tflite"] = FILES["tflite"]
    return exports


def to_tflite(model: keras.Model) -> bytes:
    """Convert for one input at a time, the usual on-device case; with the batch fixed, the
    converter also fuses recurrent layers into TFLite's own kernels."""
    spec = tf.TensorSpec([1, *model.inputs[0].shape[1:]], model.inputs[0].dtype)
    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, input_signature=[spec], verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        return converter.convert()


def load_keras(path: str | Path) -> keras.Model:
    """Load the .keras file for inference, without its optimizer (safe mode: no arbitrary code is
    deserialized; this model's own classes come from model.py)."""
    custom = {"DenseGradientAdam": DenseGradientAdam}
    return keras.models.load_model(path, custom_objects=custom, compile=False)


def load_saved_model(path: str | Path):
    """Load the SavedModel; predict with `loaded.serve(batch)` (keep `loaded` alive while you do)."""
    return tf.saved_model.load(str(path))


def load_tflite(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """A TFLite interpreter as a function numpy batch → numpy outputs, one input at a time."""
    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    target = interpreter.get_output_details()[0]["index"]

    def predict_one(example: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(source, example[None])
        interpreter.invoke()
        return interpreter.get_tensor(target)[0]

    return lambda inputs: np.stack([predict_one(example) for example in inputs])


def load_predictor(fmt: str, folder: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """Load the export `fmt` (a key of FILES) from `folder` as numpy batch → numpy outputs."""
    path = Path(folder) / FILES[fmt]
    if fmt == "keras":
        model = load_keras(path)
        return lambda inputs: np.asarray(model(inputs, training=False))
    if fmt == "tflite":
        return load_tflite(path)
    raise ValueError(
        f"unknown export format {fmt!r}; this project writes {sorted(FILES)}"
    )
