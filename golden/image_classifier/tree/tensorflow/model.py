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


# PyTorch's optimizer weight_decay is an L2 term on every parameter; Keras spells it as
# regularizers (the decay of the optimizer itself is decoupled, which is a different rule).
l2_penalty = keras.regularizers.L2(0.00025)


def build_model() -> keras.Model:
    """image_classifier: 16858698 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(64, 64, 3), dtype="float32"),
            layers.Conv2D(
                64,
                3,
                padding="same",
                use_bias=False,
                kernel_regularizer=l2_penalty,
                bias_regularizer=l2_penalty,
                **torch_init(27),
                name="conv1"
            ),
            layers.BatchNormalization(
                epsilon=1e-05,
                momentum=0.9,
                gamma_regularizer=l2_penalty,
                beta_regularizer=l2_penalty,
                name="bn1",
            ),
            layers.ReLU(name="relu1"),  # (N, 64, 64, 64)
            layers.MaxPooling2D(pool_size=2, name="pool1"),  # (N, 32, 32, 64)
            layers.Conv2D(
                128,
                3,
                padding="same",
                use_bias=False,
                kernel_regularizer=l2_penalty,
                bias_regularizer=l2_penalty,
                **torch_init(576),
                name="conv2"
            ),
            layers.BatchNormalization(
                epsilon=1e-05,
                momentum=0.9,
                gamma_regularizer=l2_penalty,
                beta_regularizer=l2_penalty,
                name="bn2",
            ),
            layers.ReLU(name="relu2"),  # (N, 32, 32, 128)
            layers.MaxPooling2D(pool_size=2, name="pool2"),  # (N, 16, 16, 128)
            layers.Flatten(name="flatten1"),  # (N, 32768)
            layers.Dense(
                512,
                kernel_regularizer=l2_penalty,
                bias_regularizer=l2_penalty,
                **torch_init(32768),
                name="fc1"
            ),
            layers.ReLU(name="relu3"),  # (N, 512)
            layers.Dropout(0.5, name="dropout1"),  # (N, 512)
            layers.Dense(
                10,
                kernel_regularizer=l2_penalty,
                bias_regularizer=l2_penalty,
                **torch_init(512),
                name="fc2"
            ),
        ],
        name="image_classifier",
    )
