"""Step 2 — model: a Keras Sequential stack.

Each Keras layer is spelled so that, with the PyTorch weights moved across, it computes what
the PyTorch layer computes: PyTorch's epsilon and momentum on normalization, PyTorch's
padding made explicit, PyTorch's activation slopes. Shapes in comments are channels-last.
"""

import math

import keras
from keras import layers


def torch_init(fan_in: int) -> dict:
    """PyTorch's default Linear/Conv initialization, U(±1/√fan_in) for weights and biases,
    so this model starts (and trains) like the PyTorch one rather than from Glorot."""
    bound = 1 / math.sqrt(fan_in)
    return {
        "kernel_initializer": keras.initializers.VarianceScaling(
            1 / 3, "fan_in", "uniform"
        ),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


def torch_rnn_init(hidden: int) -> dict:
    """PyTorch's default LSTM/GRU initialization: every tensor U(±1/√hidden)."""
    bound = 1 / math.sqrt(hidden)
    uniform = keras.initializers.RandomUniform(-bound, bound)
    return {
        "kernel_initializer": uniform,
        "recurrent_initializer": uniform,
        "bias_initializer": uniform,
    }


def build_model() -> keras.Model:
    """text_lstm: 1344001 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(40,), dtype="int32"),
            layers.Embedding(
                10000,
                128,
                embeddings_initializer=keras.initializers.RandomNormal(0.0, 1.0),
                name="embedding",
            ),
            layers.LSTM(64, return_sequences=True, **torch_rnn_init(64), name="lstm1"),
            layers.LSTM(32, return_sequences=False, **torch_rnn_init(32), name="lstm2"),
            layers.Dense(64, **torch_init(32), name="fc1"),  # (N, 64)
            layers.ReLU(name="relu1"),  # (N, 64)
            layers.Dense(1, **torch_init(64), name="fc2"),  # (N, 1)
            layers.Activation("sigmoid", name="sigmoid1"),  # (N, 1)
        ],
        name="text_lstm",
    )
