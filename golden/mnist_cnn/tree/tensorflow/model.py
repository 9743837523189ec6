"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

import keras
from keras import layers


def build_model() -> keras.Model:
    """mnist_cnn: 693962 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), dtype="float32"),
            layers.Conv2D(32, 3, name="conv1"),  # (N, 26, 26, 32)
            layers.ReLU(name="relu1"),  # (N, 26, 26, 32)
            layers.MaxPooling2D(pool_size=2, name="pool1"),  # (N, 13, 13, 32)
            layers.Flatten(name="flatten1"),  # (N, 5408)
            layers.Dense(128, name="fc1"),  # (N, 128)
            layers.ReLU(name="relu2"),  # (N, 128)
            layers.Dense(10, name="fc2"),  # (N, 10)
        ],
        name="mnist_cnn",
    )
