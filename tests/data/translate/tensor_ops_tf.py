"""Tensor methods and torch functions in forward keep their PyTorch meaning (NCHW)."""

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


def swapaxes(x, dim0, dim1):
    """Tensor.transpose(dim0, dim1): swap two axes."""
    perm = list(range(len(x.shape)))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return tf.transpose(x, perm)


class PReLU(keras.layers.Layer):
    """nn.PReLU: max(0, x) + weight * min(0, x), one learned slope or one per channel (axis
    1, NCHW); `weight` is PyTorch's tensor, initialized to `init`."""

    def __init__(self, num_parameters=1, init=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_parameters = num_parameters
        self.init = init

    def build(self, input_shape):
        self.weight = self.add_weight(
            shape=(self.num_parameters,),
            initializer=keras.initializers.Constant(self.init),
            name="weight",
        )

    def call(self, x):
        return prelu(x, self.weight)


def prelu(input, weight):
    """F.prelu: max(0, x) + weight * min(0, x); a weight of several values is one per
    channel (axis 1, NCHW), broadcast over the axes after it."""
    if weight.shape[0] > 1:
        weight = keras.ops.reshape(weight, (-1,) + (1,) * (len(input.shape) - 2))
    return keras.ops.maximum(input, 0.0) + weight * keras.ops.minimum(input, 0.0)


class Ops(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fc = keras.layers.Dense(5, **torch_init(4 * 3 * 3))
        self.scale = keras.Variable(tf.ones((1,)))
        self.act = PReLU(4, init=0.1)  # one slope per channel
        self.shared = PReLU()  # one slope for everything

    def call(self, x, training=False):
        batch = tf.shape(x)[0]
        z = tf.reshape(x, (tf.shape(x)[0], -1))  # flatten in C, H, W order
        z = self.fc(tf.reshape(z, (batch, -1)))
        w = tf.exp(tf.multiply(z, 0.5))  # in-place methods: out of place in TensorFlow
        w = tf.minimum(w, 2.0)  # alone on its line: w = ...
        z = tf.divide(tf.subtract(tf.add(z, 0.5 * w), 1.0), 2.0)
        h = swapaxes(tf.transpose(self.act(x), (0, 2, 3, 1)), 1, 2)
        both = tf.concat([h, h], axis=3)
        pair = tf.stack((z, z), axis=1)
        s = tf.squeeze(tf.expand_dims(both[:, 0, :, 1:-1], 1), axis=1)
        m = (
            tf.reduce_mean(s, axis=(1, 2))
            + tf.reduce_mean(tf.reduce_sum(s, axis=1), axis=-1) * self.scale
        )
        label = tf.argmax(pair, axis=-1)
        return (
            self.shared(z),
            tf.cast(pair, tf.float32),
            tf.stop_gradient(m),
            tf.cast(label, tf.float32),
            tf.reduce_max(x),
        )
