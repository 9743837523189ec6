"""Constructs without a translation stay in place, marked, and are reported."""

import keras
import torch  # dlgen: not translated: used by untranslated code
import torch.nn as nn  # dlgen: not translated: used by untranslated code

# ---- dlgen prelude: PyTorch-layout (NCHW) building blocks used below; see the README's
# ---- `dlgen translate` section. Convolutions and pools run channels-last inside.


def torch_init(fan_in):
    """PyTorch's default Linear/Conv initialization: weights and biases U(±1/√fan_in)."""
    bound = 1 / float(fan_in) ** 0.5  # a size read off a tensor may be a scalar tensor
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


class Odd(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # dlgen: not translated: torch.nn.FractionalMaxPool2d has no translation
        self.act = nn.FractionalMaxPool2d(2, output_size=3)
        self.fc = keras.layers.Dense(3, **torch_init(3))

    def call(self, x, training=False):
        # dlgen: not translated: torch.fft.rfft has no translation
        y = torch.fft.rfft(x)
        return self.act(self.fc(x)), y
