"""Step 2 — model: a Keras Sequential stack.

Each Keras layer is spelled so that, with the PyTorch weights moved across, it computes what
the PyTorch layer computes: PyTorch's epsilon and momentum on normalization, PyTorch's
padding made explicit, PyTorch's activation slopes. Shapes in comments are channels-last.
"""

import keras
from keras import layers


def build_model() -> keras.Model:
    """linear_regression: 2 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(1,), dtype="float32"),
            layers.Dense(1, name="linear"),  # (N, 1)
        ],
        name="linear_regression",
    )
