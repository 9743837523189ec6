"""Step 2 — model: a Keras Sequential stack.

Each Keras layer is spelled so that, with the PyTorch weights moved across, it computes what
the PyTorch layer computes: PyTorch's epsilon and momentum on normalization, PyTorch's
padding made explicit, PyTorch's activation slopes. Shapes in comments are channels-last.
"""

import keras
from keras import layers


def build_model() -> keras.Model:
    """text_lstm: 1344385 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(40,), dtype="int32"),
            layers.Embedding(10000, 128, name="embedding"),  # (N, 40, 128)
            layers.LSTM(64, return_sequences=True, name="lstm1"),  # (N, 40, 64)
            layers.LSTM(32, return_sequences=False, name="lstm2"),  # (N, 32)
            layers.Dense(64, name="fc1"),  # (N, 64)
            layers.ReLU(name="relu1"),  # (N, 64)
            layers.Dense(1, name="fc2"),  # (N, 1)
            layers.Activation("sigmoid", name="sigmoid1"),  # (N, 1)
        ],
        name="text_lstm",
    )
