"""Layers whose weights keep PyTorch's layout in the translation: ConvTranspose1d and
ConvTranspose3d (with groups), Bilinear and RNNCell, beside AlphaDropout."""

import keras
import tensorflow as tf

# ---- dlgen prelude: PyTorch-layout (NCHW) building blocks used below; see the README's
# ---- `dlgen translate` section. Convolutions and pools run channels-last inside.


def to_channels_last(x):
    """NCHW (or NCL) → NHWC (NLC)."""
    rank = len(x.shape)
    return tf.transpose(x, (0, *range(2, rank), 1))


def to_channels_first(x):
    """NHWC (or NLC) → NCHW (NCL)."""
    rank = len(x.shape)
    return tf.transpose(x, (0, rank - 1, *range(1, rank - 1)))


def ntuple(value, n):
    """PyTorch's int-or-tuple arguments as an n-tuple."""
    return tuple(value) if isinstance(value, tuple | list) else (value,) * n


def alpha_dropout(input, p=0.5, training=False, inplace=False, feature=False):
    """F.alpha_dropout: in training, dropped values set to SELU's negative saturation and
    the result scaled so that mean and variance are kept; the identity in inference.
    `feature` drops whole channels (F.feature_alpha_dropout)."""
    if not training or p == 0:
        return input
    alpha = -1.7580993408473766  # -SELU scale * alpha
    a = ((1 - p) * (1 + p * alpha**2)) ** -0.5
    shape = tf.shape(input)
    if feature:
        shape = tf.concat([shape[:2], tf.ones_like(shape[2:])], axis=0)
    keep = tf.cast(tf.random.uniform(shape) >= p, input.dtype)
    return a * (input * keep + alpha * (1 - keep)) - a * alpha * p


class AlphaDropout(keras.layers.Layer):
    """nn.AlphaDropout: F.alpha_dropout with the layer's training flag."""

    feature = False

    def __init__(self, p=0.5, inplace=False, **kwargs):
        super().__init__(**kwargs)
        self.p = p

    def call(self, x, training=None):
        return alpha_dropout(x, self.p, bool(training), feature=self.feature)


def bilinear(input1, input2, weight, bias=None):
    """F.bilinear: x1^T A_o x2 (+ b_o) for each output o; weight (out, in1, in2)."""
    out = tf.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out + bias if bias is not None else out


class Bilinear(keras.layers.Layer):
    """nn.Bilinear with PyTorch's weight (out, in1, in2), bias and initialization."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, **kwargs):
        super().__init__(**kwargs)
        bound = in1_features**-0.5
        init = keras.initializers.RandomUniform(-bound, bound)
        shape = (out_features, in1_features, in2_features)
        self.weight = self.add_weight(shape=shape, initializer=init, name="weight")
        self.bias = None
        if bias:
            self.bias = self.add_weight(
                shape=(out_features,), initializer=init, name="bias"
            )

    def call(self, x1, x2):
        return bilinear(x1, x2, self.weight, self.bias)


def conv_transpose(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
):
    """F.conv_transpose1d / 2d / 3d on channels-first tensors with PyTorch's weight layout
    (in_channels, out_channels / groups, *kernel): a 'valid' transposed convolution of the
    full size, then `padding` cropped from each side."""
    n = len(input.shape) - 2
    strides, pads = ntuple(stride, n), ntuple(padding, n)
    extra, dilations = ntuple(output_padding, n), ntuple(dilation, n)
    x = to_channels_last(input)
    sizes = [
        (size - 1) * s + d * (k - 1) + 1 + e
        for size, s, d, k, e in zip(
            x.shape[1 : n + 1], strides, dilations, weight.shape[2:], extra, strict=True
        )
    ]
    filters = tf.transpose(weight, (*range(2, n + 2), 1, 0))
    parts = []
    for xs, fs in zip(
        tf.split(x, groups, axis=-1), tf.split(filters, groups, axis=-1), strict=True
    ):
        shape = tf.concat([tf.shape(xs)[:1], sizes, [fs.shape[-2]]], axis=0)
        parts.append(
            tf.nn.conv_transpose(xs, fs, shape, strides, "VALID", dilations=dilations)
        )
    out = parts[0] if groups == 1 else tf.concat(parts, axis=-1)
    crop = [slice(p, size - p) for p, size in zip(pads, sizes, strict=True)]
    out = out[(slice(None), *crop)]
    if bias is not None:
        out = out + bias
    return to_channels_first(out)


class ConvTransposeNd(keras.layers.Layer):
    """nn.ConvTranspose1d / 3d: PyTorch's weight (in_channels, out_channels / groups,
    *kernel) and bias, initialized as PyTorch does, applied by conv_transpose."""

    rank = 1

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        kernel = ntuple(kernel_size, self.rank)
        self.options = dict(
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            groups=groups,
            dilation=dilation,
        )
        fan_in = out_channels // groups
        for k in kernel:
            fan_in *= k
        init = keras.initializers.RandomUniform(-(fan_in**-0.5), fan_in**-0.5)
        shape = (in_channels, out_channels // groups, *kernel)
        self.weight = self.add_weight(shape=shape, initializer=init, name="weight")
        self.bias = None
        if bias:
            self.bias = self.add_weight(
                shape=(out_channels,), initializer=init, name="bias"
            )

    def call(self, x):
        return conv_transpose(x, self.weight, self.bias, **self.options)


class ConvTranspose1d(ConvTransposeNd):
    """nn.ConvTranspose1d on (N, C, L) tensors."""

    rank = 1


class ConvTranspose3d(ConvTransposeNd):
    """nn.ConvTranspose3d on (N, C, D, H, W) tensors."""

    rank = 3


class RNNCell(keras.layers.Layer):
    """nn.RNNCell: h = tanh (or relu) of x W_ih^T + b_ih + h W_hh^T + b_hh, with PyTorch's
    weights and initialization; zeros when no state is given."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", **kwargs
    ):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.activation = tf.nn.relu if nonlinearity == "relu" else tf.tanh
        bound = hidden_size**-0.5
        init = keras.initializers.RandomUniform(-bound, bound)
        self.weight_ih = self.add_weight(
            shape=(hidden_size, input_size), initializer=init, name="weight_ih"
        )
        self.weight_hh = self.add_weight(
            shape=(hidden_size, hidden_size), initializer=init, name="weight_hh"
        )
        self.bias_ih = self.bias_hh = None
        if bias:
            self.bias_ih = self.add_weight(
                shape=(hidden_size,), initializer=init, name="bias_ih"
            )
            self.bias_hh = self.add_weight(
                shape=(hidden_size,), initializer=init, name="bias_hh"
            )

    def call(self, x, hx=None):
        if hx is None:
            hx = tf.zeros((tf.shape(x)[0], self.hidden_size), x.dtype)
        out = tf.matmul(x, self.weight_ih, transpose_b=True)
        out += tf.matmul(hx, self.weight_hh, transpose_b=True)
        if self.bias_ih is not None:
            out += self.bias_ih + self.bias_hh
        return self.activation(out)


class Decoder(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.up1 = ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1)
        self.up3 = ConvTranspose3d(2, 4, 2, stride=2, groups=2)
        self.pair = Bilinear(8, 8, 5)
        self.drop = AlphaDropout(0.2)
        self.cell = RNNCell(5, 6, nonlinearity="relu")

    def call(self, x, training=False):
        y = self.up1(x)
        volume = self.up3(tf.reshape(y, (y.shape[0], 2, 2, 2, 4)))
        features = tf.reduce_mean(y, axis=1)
        h = self.cell(self.drop(self.pair(features, features * 2), training=training))
        return h, volume
