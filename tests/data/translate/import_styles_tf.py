"""Every common way of importing PyTorch resolves to the same translation."""

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


def torch_init(fan_in):
    """PyTorch's default Linear/Conv initialization: weights and biases U(±1/√fan_in)."""
    bound = 1 / float(fan_in) ** 0.5  # a size read off a tensor may be a scalar tensor
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


def flatten_dims(x, start_dim=0, end_dim=-1):
    """torch.flatten: merge the axes start_dim..end_dim (PyTorch order)."""
    rank = len(x.shape)
    start, end = start_dim % rank, end_dim % rank
    dims = tf.unstack(tf.shape(x))
    return tf.reshape(x, (*dims[:start], -1, *dims[end + 1 :]))


def index_pad(x, pairs, mode):
    """Pad by gathering indices: 'reflect', 'replicate' or 'circular' (PyTorch's meanings)."""
    for axis, (before, after) in enumerate(pairs):
        if not before and not after:
            continue
        size = x.shape[axis]
        index = tf.range(-before, size + after)
        if mode == "reflect":
            period = 2 * (size - 1)
            index = tf.math.floormod(index, period)
            index = tf.where(index >= size, period - index, index)
        elif mode == "replicate":
            index = tf.clip_by_value(index, 0, size - 1)
        elif mode == "circular":
            index = tf.math.floormod(index, size)
        else:
            raise ValueError(f"unknown padding mode {mode!r}")
        x = tf.gather(x, index, axis=axis)
    return x


def adaptive_pool_bins(size, out):
    """PyTorch's adaptive pooling windows: [floor(i·size/out), ceil((i+1)·size/out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def adaptive_pool2d(x, output_size, reduce):
    height, width = x.shape[2], x.shape[3]
    out_h, out_w = ntuple(output_size, 2)
    out_h, out_w = out_h or height, out_w or width
    rows = []
    for top, bottom in adaptive_pool_bins(height, out_h):
        cells = [
            reduce(x[:, :, top:bottom, left:right], axis=(2, 3))
            for left, right in adaptive_pool_bins(width, out_w)
        ]
        rows.append(tf.stack(cells, axis=-1))
    return tf.stack(rows, axis=-2)


def adaptive_avg_pool2d(x, output_size):
    """F.adaptive_avg_pool2d on NCHW (any output size)."""
    if ntuple(output_size, 2) == (1, 1):
        return tf.reduce_mean(x, axis=(2, 3), keepdims=True)
    return adaptive_pool2d(x, output_size, tf.reduce_mean)


def calculate_gain(nonlinearity, param=None):
    """nn.init.calculate_gain."""
    if nonlinearity == "relu":
        return 2.0**0.5
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return (2.0 / (1 + slope**2)) ** 0.5
    if nonlinearity == "selu":
        return 3.0 / 4
    return 1.0


def set_initializer(layer, which, initializer):
    """nn.init.*_(module.weight / module.bias): set the Keras initializer of that weight (used when
    the layer builds), or re-draw the variable if the layer is built already."""
    if which == "weight":
        layer = getattr(layer, "tied_to", layer)  # a TiedLinear's is the source layer's
    own = getattr(layer, which, None)
    if isinstance(own, keras.Variable):  # a translated module's own nn.Parameter
        init_variable(own, initializer)
        return
    inner = getattr(layer, "conv", None) or getattr(layer, "cell", None) or layer
    names = {
        "weight": ("kernel", "depthwise_kernel", "embeddings", "gamma"),
        "bias": ("bias", "beta"),
    }[which]
    for name in names:
        if hasattr(inner, f"{name}_initializer"):
            setattr(inner, f"{name}_initializer", initializer)
            variable = getattr(inner, name, None) if inner.built else None
            if variable is not None:
                variable.assign(initializer(variable.shape, variable.dtype))
            return
    raise ValueError(f"{type(layer).__name__} has no {which} to initialize")


def init_variable(variable, initializer):
    """nn.init.*_(parameter) on a module's own nn.Parameter (a Variable, PyTorch's layout):
    drawn with PyTorch's fans (dim 0 the outputs, dim 1 the inputs, the others the receptive
    field), which Keras's initializers read off the transposed layout."""
    shape = tuple(variable.shape)
    rank = len(shape)
    if rank < 2:
        variable.assign(initializer(shape, variable.dtype))
        return variable
    drawn = initializer((*shape[2:], shape[1], shape[0]), variable.dtype)
    variable.assign(tf.transpose(drawn, (rank - 1, rank - 2, *range(rank - 2))))
    return variable


class ConvNd(keras.layers.Layer):
    """nn.Conv1d / 2d / 3d on channels-first tensors: explicit PyTorch padding (any mode),
    then a channels-last Keras convolution (depthwise when groups == in_channels)."""

    rank = 2

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        n = self.rank
        kernel = ntuple(kernel_size, n)
        strides, dilations = ntuple(stride, n), ntuple(dilation, n)
        self.pads = conv_pads(padding, kernel, dilations)
        self.padding_mode = padding_mode
        self.use_bias = bias
        fan_in = in_channels // groups
        for k in kernel:
            fan_in *= k
        init = torch_init(fan_in)
        if n == 2 and groups > 1 and groups == in_channels:
            self.conv = keras.layers.DepthwiseConv2D(
                kernel,
                strides=strides,
                dilation_rate=dilations,
                depth_multiplier=out_channels // in_channels,
                use_bias=bias,
                depthwise_initializer=init["kernel_initializer"],
                bias_initializer=init["bias_initializer"],
            )
        else:
            cls = {
                1: keras.layers.Conv1D,
                2: keras.layers.Conv2D,
                3: keras.layers.Conv3D,
            }[n]
            self.conv = cls(
                out_channels,
                kernel,
                strides=strides,
                dilation_rate=dilations,
                groups=groups,
                use_bias=bias,
                **init,
            )

    def call(self, x):
        x = to_channels_last(x)
        if any(p for pair in self.pads for p in pair):
            pairs = [(0, 0), *self.pads, (0, 0)]
            if self.padding_mode == "zeros":
                x = tf.pad(x, pairs)
            else:
                x = index_pad(x, pairs, self.padding_mode)
        return to_channels_first(self.conv(x))


class Conv2d(ConvNd):
    """nn.Conv2d on (N, C, H, W) tensors."""

    rank = 2


def conv_pads(padding, kernel, dilations):
    """PyTorch's padding argument ('same', 'valid', an int or a tuple) as (before, after)
    pairs, one per spatial axis."""
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilations, strict=True)]
        return [(t // 2, t - t // 2) for t in totals]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    return [(p, p) for p in ntuple(padding, len(kernel))]


# ---- a section comment above a removed import stays, above what follows ----


class Block(keras.layers.Layer):
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.conv = Conv2d(channels, channels, 3, padding=1)
        self.bn = keras.layers.BatchNormalization(axis=1, epsilon=1e-05, momentum=0.9)
        set_initializer(
            self.conv,
            "weight",
            keras.initializers.VarianceScaling(
                calculate_gain("relu", 0) ** 2, "fan_out", "untruncated_normal"
            ),
        )

    def call(self, x, training=False):
        return tf.nn.relu(self.bn(self.conv(x), training=training))


class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block = Block(4)
        self.head = keras.layers.Dense(2, **torch_init(4))

    def call(self, x, training=False):
        x = self.block(x, training=training)
        x = flatten_dims(adaptive_avg_pool2d(x, 1), 1, -1)
        return tf.nn.softmax(self.head(x), axis=1)
