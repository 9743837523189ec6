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


def build_model() -> keras.Model:
    """tabular_regression: 145 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(7,), dtype="float32"),
            layers.Dense(16, **torch_init(7), name="hidden"),  # (N, 16)
            layers.ReLU(name="relu1"),  # (N, 16)
            layers.Dense(1, **torch_init(16), name="output"),  # (N, 1)
        ],
        name="tabular_regression",
    )
