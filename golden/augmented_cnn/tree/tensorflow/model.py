"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

import keras
import tensorflow as tf
from keras import layers


def build_model() -> keras.Model:
    """augmented_cnn: 9476 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(16, 16, 3), dtype="float32"),
            layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv1"),
            layers.BatchNormalization(epsilon=1e-05, momentum=0.9, name="bn1"),
            layers.ReLU(name="relu1"),  # (N, 16, 16, 16)
            layers.Conv2D(16, 3, padding="same", name="conv2"),  # (N, 16, 16, 16)
            layers.ReLU(name="relu2"),  # (N, 16, 16, 16)
            layers.MaxPooling2D(pool_size=2, name="pool1"),  # (N, 8, 8, 16)
            layers.Conv2D(32, 3, padding="same", name="conv3"),  # (N, 8, 8, 32)
            layers.ReLU(name="relu3"),  # (N, 8, 8, 32)
            layers.MaxPooling2D(pool_size=2, name="pool2"),  # (N, 4, 4, 32)
            layers.Flatten(name="flatten1"),  # (N, 512)
            layers.Dropout(0.25, name="dropout1"),  # (N, 512)
            layers.Dense(4, name="fc"),  # (N, 4)
        ],
        name="augmented_cnn",
    )


# Gradient checkpointing: in training, the activations inside each segment (a tuple of layer
# names) are not kept for backward but recomputed there (tf.recompute_grad): less memory, more
# time. Batch norm and dropout (bare names) run once per step: a recomputation would update
# the statistics twice and draw a second dropout mask.
CHECKPOINT_PLAN = (
    ("conv1",),
    "bn1",
    ("relu1", "conv2", "relu2", "pool1"),
    ("conv3", "relu3", "pool2", "flatten1"),
    "dropout1",
    ("fc",),
)


def call_checkpointed(
    model: keras.Model, x: tf.Tensor, training: bool = False
) -> tf.Tensor:
    """`model(x, training=training)`, layer by layer, with CHECKPOINT_PLAN's segments under
    tf.recompute_grad while training."""
    for step in CHECKPOINT_PLAN:
        if isinstance(step, str):
            x = model.get_layer(step)(x, training=training)
            continue
        segment = [model.get_layer(name) for name in step]

        def run(t: tf.Tensor, segment: list = segment) -> tf.Tensor:
            for layer in segment:
                t = layer(t, training=training)
            return t

        x = tf.recompute_grad(run)(x) if training else run(x)
    return x


class Checkpointed(keras.Model):
    """The model, trained with gradient checkpointing: train.py compiles and fits this
    wrapper and saves the model inside it."""

    def __init__(self, model: keras.Model) -> None:
        super().__init__(name=f"{model.name}_checkpointed")
        self.inner = model

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        return call_checkpointed(self.inner, inputs, training=training)
