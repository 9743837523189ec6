"""In-place tensor methods become out-of-place TensorFlow calls.

A lone `x.clamp_(...)` becomes `x = ...`; `add`/`sub` on what is not surely a tensor (a set,
a compiled regex) are left alone.
"""

import re

import keras
import tensorflow as tf

# ---- dlgen prelude: PyTorch-layout (NCHW) building blocks used below; see the README's
# ---- `dlgen translate` section. Convolutions and pools run channels-last inside.


def torch_init(fan_in):
    """PyTorch's default Linear/Conv initialization: weights and biases U(±1/√fan_in)."""
    bound = 1 / float(fan_in) ** 0.5  # a size read off a tensor may be a scalar tensor
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


SPACES = re.compile(r"\s+")


def vocabulary(texts):
    seen = set()
    for text in texts:
        for word in SPACES.sub(" ", text).split():
            seen.add(word)
    return sorted(seen)


class Residual(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fc = keras.layers.Dense(6, **torch_init(6))

    def call(self, x, training=False):
        h = self.fc(x)
        h = tf.add(tf.multiply(h, 0.5), 2.0 * x)
        h = tf.clip_by_value(h, -1.0, 1.0)
        gate = tf.zeros_like(tf.zeros_like(h)) + 0.25
        return tf.exp(tf.divide(tf.subtract(tf.add(h, gate), x), 2.0))
