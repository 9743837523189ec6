"""forward → call(training=False); training passed to dropout, batch norm and helpers."""

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


def dropout_if(x, p=0.5, training=True):
    """F.dropout: inverted dropout, active only when `training` is true."""
    return tf.nn.dropout(x, rate=p) if training and p > 0 else x


class Encoder(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fc = keras.layers.Dense(4, **torch_init(6))
        self.drop = keras.layers.Dropout(0.2)
        # `output` is reserved by Keras
        self.output_ = keras.layers.Dense(2, **torch_init(4))

    def sample(self, mu, training=False):
        if training:
            return mu + tf.random.normal(tf.shape(mu), dtype=mu.dtype)
        return mu

    def call(self, x, training=False):
        h = self.drop(tf.nn.relu(self.fc(x)), training=training)
        h = dropout_if(h, 0.5, training=training)
        return self.sample(self.output_(h), training=training)
