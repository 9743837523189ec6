"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

import keras
from keras import layers


def build_model() -> keras.Model:
    """mlp: 50890 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), dtype="float32"),
            layers.Flatten(name="flatten1"),  # (N, 784)
            layers.Dense(64, name="dense"),  # (N, 64)
            layers.ReLU(name="relu1"),  # (N, 64)
            layers.Dropout(0.2, name="dropout1"),  # (N, 64)
            layers.Dense(10, name="output"),  # (N, 10)
        ],
        name="mlp",
    )
