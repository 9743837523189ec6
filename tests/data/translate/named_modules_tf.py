"""Submodules registered by name (`add_module`, `register_module`, `__setattr__`), read back
with getattr and `__getattr__` (kuangliu/pytorch-cifar's dla.py); a layer built and called
in one expression."""

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


class Stack(keras.Model):
    def __init__(self, width=8, depth=3, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth
        for i in range(depth):
            setattr(self, f"fc{i}", keras.layers.Dense(width, **torch_init(width)))
        self.head = keras.layers.Dense(2, **torch_init(width))
        self.__setattr__("level_0", keras.layers.Dense(width, **torch_init(width)))

    def call(self, x, training=False):
        for i in range(self.depth):
            x = tf.nn.relu(getattr(self, f"fc{i}")(x))
        x = keras.layers.ReLU()(self.level_0(x))
        x = getattr(self, f"fc{self.depth - 1}")(x)
        return self.head(x)
