"""nn.Sequential from arguments, from a list and from *layers; nn.ModuleList with a loop."""

import keras

# ---- dlgen prelude: PyTorch-layout (NCHW) building blocks used below; see the README's
# ---- `dlgen translate` section. Convolutions and pools run channels-last inside.


def torch_init(fan_in):
    """PyTorch's default Linear/Conv initialization: weights and biases U(±1/√fan_in)."""
    bound = 1 / float(fan_in) ** 0.5  # a size read off a tensor may be a scalar tensor
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


def make_stack(widths):
    layers = []
    for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [keras.layers.Dense(w_out, **torch_init(w_in)), keras.layers.ReLU()]
    return keras.Sequential(layers)


class Tower(keras.Model):
    def __init__(self, widths=(8, 16, 16), use_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.trunk = make_stack(widths)
        if use_norm:
            self.norm = keras.layers.LayerNormalization(epsilon=1e-05)
        else:
            self.norm = keras.layers.Identity()
        self.heads = [keras.layers.Dense(1, **torch_init(widths[-1])) for _ in range(3)]
        self.layers_ = keras.Sequential(
            [
                # a comment inside the call is kept
                keras.layers.Dropout(0.1),
                keras.layers.Dense(2, **torch_init(3)),
            ]
        )

    def call(self, x, training=False):
        x = self.norm(self.trunk(x))
        outs = []
        for head in self.heads:
            outs.append(head(x))
        return self.layers_(sum(outs) + x[:, :3], training=training)
