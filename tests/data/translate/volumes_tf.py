"""Volumes (N, C, D, H, W) and normalization layers with weights: Conv3d, BatchNorm3d,
InstanceNorm3d and InstanceNorm1d with affine weights, PReLU per channel, RMSNorm, and the
weightless LocalResponseNorm and ChannelShuffle between them."""

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


def swapaxes(x, dim0, dim1):
    """Tensor.transpose(dim0, dim1): swap two axes."""
    perm = list(range(len(x.shape)))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return tf.transpose(x, perm)


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


def pool_pads(size, kernel, stride, padding, ceil_mode):
    """(before, after) padding that makes a 'VALID' pool give PyTorch's output size."""
    span = size + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    extra = (out - 1) * stride + kernel - (size + 2 * padding)
    return padding, padding + max(extra, 0)


def max_pool_nd(
    x, dims, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """F.max_pool{dims}d on channels-first: padding with -inf (never wins a max), ceil_mode by
    extra padding."""
    if ntuple(dilation, dims) != (1,) * dims:
        raise ValueError(f"max_pool{dims}d with dilation is not supported")
    kernel = ntuple(kernel_size, dims)
    strides = ntuple(stride or kernel_size, dims)
    pads = ntuple(padding, dims)
    x = to_channels_last(x)
    sizes = x.shape[1 : 1 + dims]
    pairs = [
        pool_pads(size, k, s, p, ceil_mode)
        for size, k, s, p in zip(sizes, kernel, strides, pads, strict=True)
    ]
    if any(p for pair in pairs for p in pair):
        x = tf.pad(x, [(0, 0), *pairs, (0, 0)], constant_values=float("-inf"))
    return to_channels_first(tf.nn.max_pool(x, kernel, strides, "VALID"))


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """F.max_pool3d on NCDHW."""
    return max_pool_nd(x, 3, kernel_size, stride, padding, dilation, ceil_mode)


def normalized_axes(normalized_shape):
    """The trailing axes an int, tuple or torch.Size `normalized_shape` names."""
    count = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    return list(range(-count, 0))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """F.rms_norm: x / sqrt(mean(x^2) + eps) over the trailing axes; eps None is the
    machine epsilon of the input's dtype, as in PyTorch."""
    if eps is None:
        machine = {
            "float64": 2.220446049250313e-16,
            "float16": 9.765625e-4,
            "bfloat16": 7.8125e-3,
        }
        eps = machine.get(
            input.dtype.name, 1.1920928955078125e-07
        )  # float32's by default
    axes = normalized_axes(normalized_shape)
    out = input * tf.math.rsqrt(
        tf.reduce_mean(tf.square(input), axes, keepdims=True) + eps
    )
    return out * weight if weight is not None else out


class RMSNorm(keras.layers.Layer):
    """nn.RMSNorm; `weight` (ones at first) scales each element of the normalized shape."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, **kwargs):
        super().__init__(**kwargs)
        self.normalized_shape = ntuple(normalized_shape, 1)
        self.eps = eps
        self.weight = None
        if elementwise_affine:
            self.weight = self.add_weight(
                shape=self.normalized_shape, initializer="ones", name="weight"
            )

    def call(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """F.local_response_norm: x / (k + alpha * mean of x^2 over `size` neighbouring
    channels, zero-padded)^beta."""
    channels = input.shape[1]
    pads = [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (len(input.shape) - 2)
    squares = tf.pad(tf.square(input), pads)
    total = tf.add_n([squares[:, i : i + channels] for i in range(size)])
    return input / (k + alpha * total / size) ** beta


def channel_shuffle(input, groups):
    """F.channel_shuffle: the channels of (N, C, ...) in `groups` groups, interleaved."""
    shape = tf.shape(input)
    split = tf.concat([shape[:1], [groups, -1], shape[2:]], axis=0)
    grouped = tf.reshape(input, split)
    order = [0, 2, 1, *range(3, len(input.shape) + 1)]
    return tf.reshape(tf.transpose(grouped, order), shape)


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


class Conv3d(ConvNd):
    """nn.Conv3d on (N, C, D, H, W) tensors."""

    rank = 3


def conv_pads(padding, kernel, dilations):
    """PyTorch's padding argument ('same', 'valid', an int or a tuple) as (before, after)
    pairs, one per spatial axis."""
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilations, strict=True)]
        return [(t // 2, t - t // 2) for t in totals]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    return [(p, p) for p in ntuple(padding, len(kernel))]


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


class FunctionModule:
    """A PyTorch module that holds options and no weights (a loss, a distance): calling it
    calls its class's `function` with them. Losses keep PyTorch's (input, target) order,
    not Keras's (target, prediction), so call sites need no change."""

    def __init__(self, **options):
        self.options = options

    def __call__(self, *inputs, **arguments):
        return type(self).function(*inputs, **self.options, **arguments)


class LocalResponseNorm(FunctionModule):
    """nn.LocalResponseNorm."""

    function = staticmethod(local_response_norm)


class ChannelShuffle(FunctionModule):
    """nn.ChannelShuffle."""

    function = staticmethod(channel_shuffle)


class Volumes(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = Conv3d(2, 4, 3, padding=1)
        self.bn = keras.layers.BatchNormalization(axis=1, epsilon=1e-05, momentum=0.9)
        self.inorm = keras.layers.GroupNormalization(
            groups=4, axis=1, epsilon=1e-05, center=True, scale=True
        )
        self.lrn = LocalResponseNorm(size=3)
        self.shuffle = ChannelShuffle(groups=2)
        self.act = PReLU(4)
        self.seq_norm = keras.layers.GroupNormalization(
            groups=4, axis=1, epsilon=1e-05, center=True, scale=True
        )
        self.rms = RMSNorm(4)
        self.fc = keras.layers.Dense(3, **torch_init(4))

    def call(self, x, training=False):
        x = self.act(
            self.shuffle(self.lrn(self.inorm(self.bn(self.conv(x), training=training))))
        )
        x = max_pool3d(x, kernel_size=2)
        seq = self.seq_norm(flatten_dims(x, 2, -1))
        return self.fc(self.rms(swapaxes(seq, 1, 2)))
