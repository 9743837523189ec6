"""Step 2 — model: a functional Keras model (a graph of named layers) (shapes in comments are channels-last)."""

import keras
from keras import layers


def build_model() -> keras.Model:
    """resnet_block: 5306 trainable parameters."""
    inputs = keras.Input(shape=(32, 32, 3), dtype="float32", name="input")
    stem = layers.Conv2D(16, 3, padding="same", use_bias=False, name="stem")(inputs)
    stem_bn = layers.BatchNormalization(epsilon=1e-05, momentum=0.9, name="stem_bn")(
        stem
    )
    stem_relu = layers.ReLU(name="stem_relu")(stem_bn)  # (N, 32, 32, 16)
    conv_a = layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv_a")(
        stem_relu
    )
    bn_a = layers.BatchNormalization(epsilon=1e-05, momentum=0.9, name="bn_a")(conv_a)
    relu_a = layers.ReLU(name="relu_a")(bn_a)  # (N, 32, 32, 16)
    conv_b = layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv_b")(relu_a)
    bn_b = layers.BatchNormalization(epsilon=1e-05, momentum=0.9, name="bn_b")(conv_b)
    residual = layers.Add(name="residual")([bn_b, stem_relu])  # (N, 32, 32, 16)
    block_out = layers.ReLU(name="block_out")(residual)  # (N, 32, 32, 16)
    pool = layers.GlobalAveragePooling2D(name="pool")(block_out)  # (N, 16)
    head = layers.Dense(10, name="head")(pool)  # (N, 10)
    return keras.Model(inputs, head, name="resnet_block")
