"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

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
