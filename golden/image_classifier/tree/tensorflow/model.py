"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

import keras
from keras import layers

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
                name="conv1",
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
                name="conv2",
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
                name="fc1",
            ),
            layers.ReLU(name="relu3"),  # (N, 512)
            layers.Dropout(0.5, name="dropout1"),  # (N, 512)
            layers.Dense(
                10,
                kernel_regularizer=l2_penalty,
                bias_regularizer=l2_penalty,
                name="fc2",
            ),
        ],
        name="image_classifier",
    )
