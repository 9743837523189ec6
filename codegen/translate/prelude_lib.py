"""PyTorch-layout building blocks copied into translated files (the "prelude").

The translator never imports this module: it reads it as text and copies, into each translated
file, only the definitions that file uses (and what they use). Every layer and function here
takes PyTorch's arguments and NCHW / NCL tensors and returns them in the same layout, so the
user's `forward` code (view, flatten, cat along dim 1, permute, indexing) keeps its meaning.
Inside, convolutions and pooling transpose to channels-last, run the stock TensorFlow op (the
CPU kernels need NHWC) and transpose back. Tests import it to check each piece against PyTorch.
"""

import keras
import numpy as np
import tensorflow as tf


def to_channels_last(x):
    """NCHW (or NCL) → NHWC (NLC)."""
    rank = len(x.shape)
    return tf.transpose(x, (0, *range(2, rank), 1))


def to_channels_first(x):
    """NHWC (or NLC) → NCHW (NCL)."""
    rank = len(x.shape)
    return tf.transpose(x, (0, rank - 1, *range(1, rank - 1)))


def as_shape(size):
    """A size PyTorch reads as a shape: an int n is (n,)."""
    if isinstance(size, int | np.integer) or getattr(size, "shape", None) == ():
        return (size,)
    return tuple(size)


def masked_put(x, mask, value):
    """`x[mask] = value` (a boolean mask over x's leading axes): value where the mask holds,
    x elsewhere."""
    mask = tf.convert_to_tensor(mask)
    mask = tf.reshape(mask, (*mask.shape, *[1] * (len(x.shape) - len(mask.shape))))
    return tf.where(mask, tf.cast(value, x.dtype), x)


def torch_index(x, key):
    """`x[key]` with PyTorch's (numpy's) advanced indexing, which tf.Tensor's [] lacks: each
    entry an int, a slice, a list, a range or a tensor of indices, or a boolean mask (over as
    many axes as it has). The indexed axes' results take the broadcast shape of the indices,
    in place of those axes when they are adjacent, first otherwise."""
    key = key if isinstance(key, tuple) else (key,)
    if not (tf.is_tensor(x) or isinstance(x, np.ndarray)) or all(
        isinstance(entry, int | slice) or entry is None or entry is Ellipsis
        for entry in key
    ):  # a list, a dict...; or ints and slices: [] as it is
        return x[key if len(key) > 1 else key[0]]
    x = tf.convert_to_tensor(x)
    if any(entry is Ellipsis for entry in key):
        at = next(i for i, entry in enumerate(key) if entry is Ellipsis)
        taken = sum(
            len(entry.shape) if _mask(entry) else 1
            for entry in key
            if entry is not Ellipsis
        )
        key = key[:at] + (slice(None),) * (len(x.shape) - taken) + key[at + 1 :]
    indices, basic = {}, []  # axis → tensor of indices; the slices applied first
    for entry in key:
        if isinstance(entry, slice):
            basic.append(entry)
        elif _mask(entry):
            found = tf.where(tf.convert_to_tensor(entry))
            for column in range(found.shape[-1]):
                indices[len(basic)] = found[:, column]
                basic.append(slice(None))
        else:
            if isinstance(entry, range):
                entry = tf.range(entry.start, entry.stop, entry.step)
            index = tf.cast(tf.convert_to_tensor(entry), tf.int64)
            indices[len(basic)] = index
            basic.append(slice(None))
    x = x[tuple(basic)]
    if not indices:
        return x
    axes = sorted(indices)
    rest = [axis for axis in range(len(x.shape)) if axis not in indices]
    sizes = tf.shape(x, out_type=tf.int64)
    grid = [
        tf.where(indices[axis] < 0, indices[axis] + sizes[axis], indices[axis])
        for axis in axes
    ]
    shape = _broadcast_shape(grid)
    grid = [tf.broadcast_to(index, shape) for index in grid]
    moved = tf.transpose(x, (*axes, *rest))
    taken = tf.gather_nd(moved, tf.stack(grid, axis=-1))
    width = len(grid[0].shape)
    if axes == list(range(axes[0], axes[0] + len(axes))) and axes[0] > 0:
        order = (
            *range(width, width + axes[0]),
            *range(width),
            *range(width + axes[0], width + len(rest)),
        )
        taken = tf.transpose(taken, order)
    return taken


def index_put(x, key, value):
    """`x[key] = value` with PyTorch's advanced indexing (torch_index): x with the indexed
    elements replaced (value broadcast to them)."""
    x = tf.convert_to_tensor(x)
    size = tf.size(x, out_type=tf.int64)
    positions = torch_index(tf.reshape(tf.range(size), tf.shape(x)), key)
    value = tf.broadcast_to(tf.cast(value, x.dtype), tf.shape(positions))
    flat = tf.tensor_scatter_nd_update(
        tf.reshape(x, (-1,)), tf.reshape(positions, (-1, 1)), tf.reshape(value, (-1,))
    )
    return tf.reshape(flat, tf.shape(x))


def _mask(entry):
    """A boolean mask as an index."""
    dtype = getattr(entry, "dtype", None)
    if dtype is None and isinstance(entry, list | tuple) and entry:
        return all(isinstance(item, bool) for item in entry)
    return dtype is not None and tf.as_dtype(dtype) == tf.bool


def _broadcast_shape(tensors):
    """The shape the tensors broadcast to."""
    shape = tf.shape(tensors[0], out_type=tf.int64)
    for tensor in tensors[1:]:
        shape = tf.broadcast_dynamic_shape(shape, tf.shape(tensor, out_type=tf.int64))
    return shape


def module_dtype(model, dtype):
    """Module.double() / .float() / .half(): every layer of the model computes in `dtype`
    and makes its weights in it when it builds (Keras fixes a weight's dtype then: call it
    before the model's first call, as PyTorch code does before training)."""
    for layer in model._flatten_layers(
        include_self=True
    ):  # the model and every sublayer
        layer.dtype_policy = keras.DTypePolicy(dtype)
    return model


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


class TorchLinear(keras.layers.Dense):
    """nn.Linear as a class to subclass: PyTorch's arguments and initialization."""

    def __init__(
        self, in_features, out_features, bias=True, device=None, dtype=None, **kwargs
    ):
        super().__init__(
            out_features, use_bias=bias, **torch_init(in_features), **kwargs
        )


def flatten_dims(x, start_dim=0, end_dim=-1):
    """torch.flatten: merge the axes start_dim..end_dim (PyTorch order)."""
    rank = len(x.shape)
    start, end = start_dim % rank, end_dim % rank
    dims = tf.unstack(tf.shape(x))
    return tf.reshape(x, (*dims[:start], -1, *dims[end + 1 :]))


def unflatten(x, dim, sizes):
    """torch.unflatten / nn.Unflatten: axis `dim` (not the batch) split into `sizes`, one of
    which may be -1; the other axes keep their static sizes."""
    rank = len(x.shape)
    dim = dim % rank
    if dim == 0:
        raise ValueError("unflatten of the batch axis is not supported")
    rest = [x.shape[i] for i in range(1, rank)]
    known = 1
    for size in sizes:
        known *= size if size != -1 else 1
    if (
        -1 in sizes and x.shape[dim] is not None
    ):  # keep the static shape the layers after need
        sizes = [x.shape[dim] // known if size == -1 else size for size in sizes]
    return tf.reshape(x, [tf.shape(x)[0], *rest[: dim - 1], *sizes, *rest[dim:]])


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


def tensor_pad(x, pad, mode="constant", value=0.0):
    """F.pad: `pad` lists (before, after) pairs starting from the last axis."""
    rank = len(x.shape)
    pairs = [(0, 0)] * rank
    for i in range(len(pad) // 2):
        pairs[rank - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return tf.pad(x, pairs, constant_values=value)
    return index_pad(x, pairs, mode)


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


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """F.max_pool2d on NCHW."""
    return max_pool_nd(x, 2, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """F.max_pool2d with return_indices=True on NCHW: the pooled values and, for each, its
    flat index into its input plane (row * W + column), as max_unpool2d takes them."""
    kernel = ntuple(kernel_size, 2)
    strides, pads = ntuple(stride or kernel_size, 2), ntuple(padding, 2)
    if ntuple(dilation, 2) != (1, 1):
        raise ValueError("max_pool2d with indices and dilation has no TensorFlow op")
    x = to_channels_last(x)
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    pairs = [
        pool_pads(size, k, s, p, ceil_mode)
        for size, k, s, p in zip((height, width), kernel, strides, pads, strict=True)
    ]
    padded = tf.pad(x, [(0, 0), *pairs, (0, 0)], constant_values=float("-inf"))
    values, argmax = tf.nn.max_pool_with_argmax(padded, kernel, strides, "VALID")
    position = argmax // channels  # TensorFlow's index counts the channels too
    row = position // padded.shape[2] - pairs[0][0]
    column = position % padded.shape[2] - pairs[1][0]
    return to_channels_first(values), to_channels_first(row * width + column)


def max_pool1d_with_indices(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """F.max_pool1d with return_indices=True on (N, C, L): values and their indices."""
    (kernel,), (pad,) = ntuple(kernel_size, 1), ntuple(padding, 1)
    (hop,) = ntuple(stride or kernel_size, 1)
    values, indices = max_pool2d_with_indices(
        x[:, :, None, :], (1, kernel), (1, hop), (0, pad), (1, dilation), ceil_mode
    )
    return values[:, :, 0, :], indices[:, :, 0, :]


def max_unpool_nd(
    input, indices, dims, kernel_size, stride=None, padding=0, output_size=None
):
    """F.max_unpool{dims}d: zeros of the pooled input's size, each value written back at
    its index into its plane (one of them where an index repeats, as in PyTorch)."""
    kernel, strides = ntuple(kernel_size, dims), ntuple(stride or kernel_size, dims)
    pads = ntuple(padding, dims)
    if output_size is None:
        sizes = [
            (n - 1) * s - 2 * p + k
            for n, k, s, p in zip(input.shape[2:], kernel, strides, pads, strict=True)
        ]
    else:
        sizes = list(output_size)[-dims:]
    plane = 1
    for size in sizes:
        plane *= size
    planes = tf.shape(input)[0] * tf.shape(input)[1]
    values = tf.reshape(input, (planes, -1))
    where = tf.reshape(tf.cast(indices, tf.int32), (planes, -1))
    rows = tf.broadcast_to(tf.range(planes)[:, None], tf.shape(where))
    zeros = tf.zeros((planes, plane), values.dtype)
    out = tf.tensor_scatter_nd_update(zeros, tf.stack([rows, where], axis=-1), values)
    return tf.reshape(out, tf.concat([tf.shape(input)[:2], sizes], axis=0))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """F.max_unpool1d."""
    return max_unpool_nd(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """F.max_unpool2d."""
    return max_unpool_nd(input, indices, 2, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """F.max_unpool3d."""
    return max_unpool_nd(input, indices, 3, kernel_size, stride, padding, output_size)


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """F.max_pool3d on NCDHW."""
    return max_pool_nd(x, 3, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool_nd(
    x,
    dims,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """F.avg_pool{dims}d on channels-first with PyTorch's divisor rules (padding counted unless
    told not to)."""
    kernel = ntuple(kernel_size, dims)
    strides = ntuple(stride or kernel_size, dims)
    pads = ntuple(padding, dims)
    x = to_channels_last(x)
    sizes = x.shape[1 : 1 + dims]
    pairs = [
        pool_pads(size, k, s, p, ceil_mode)
        for size, k, s, p in zip(sizes, kernel, strides, pads, strict=True)
    ]
    if not any(p for pair in pairs for p in pair) and divisor_override is None:
        return to_channels_first(tf.nn.avg_pool(x, kernel, strides, "VALID"))
    area = 1
    for k in kernel:
        area *= k
    padded = tf.pad(x, [(0, 0), *pairs, (0, 0)])
    sums = tf.nn.avg_pool(padded, kernel, strides, "VALID") * area
    if divisor_override:
        return to_channels_first(sums / divisor_override)
    if count_include_pad:
        ones = tf.ones(
            (1, *(n + 2 * p for n, p in zip(sizes, pads, strict=True)), 1), x.dtype
        )
        mask_pairs = [(0, after - before) for before, after in pairs]
    else:
        ones = tf.ones((1, *sizes, 1), x.dtype)
        mask_pairs = pairs
    mask = tf.pad(ones, [(0, 0), *mask_pairs, (0, 0)])
    counts = tf.nn.avg_pool(mask, kernel, strides, "VALID")
    return to_channels_first(sums / (counts * area))


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """F.avg_pool2d on NCHW."""
    options = (stride, padding, ceil_mode, count_include_pad, divisor_override)
    return avg_pool_nd(x, 2, kernel_size, *options)


def avg_pool3d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """F.avg_pool3d on NCDHW."""
    options = (stride, padding, ceil_mode, count_include_pad, divisor_override)
    return avg_pool_nd(x, 3, kernel_size, *options)


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


def adaptive_max_pool2d(x, output_size):
    """F.adaptive_max_pool2d on NCHW (any output size)."""
    return adaptive_pool2d(x, output_size, tf.reduce_max)


def adaptive_pool3d(x, output_size, reduce):
    """Adaptive pooling on NCDHW: each depth window reduced, then its (H, W) plane pooled as in
    2-d (a mean of equal-sized slices' means is the box's mean; a max of maxes its max).
    """
    out_d, out_h, out_w = ntuple(output_size, 3)
    depth = x.shape[2]
    planes = [
        adaptive_pool2d(reduce(x[:, :, front:back], axis=2), (out_h, out_w), reduce)
        for front, back in adaptive_pool_bins(depth, out_d or depth)
    ]
    return tf.stack(planes, axis=2)


def adaptive_avg_pool3d(x, output_size):
    """F.adaptive_avg_pool3d on NCDHW."""
    return adaptive_pool3d(x, output_size, tf.reduce_mean)


def adaptive_max_pool3d(x, output_size):
    """F.adaptive_max_pool3d on NCDHW."""
    return adaptive_pool3d(x, output_size, tf.reduce_max)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """F.max_pool1d on NCL: max_pool2d over a height of one."""
    kernel, (pad,), (step,) = (
        ntuple(kernel_size, 1)[0],
        ntuple(padding, 1),
        ntuple(dilation, 1),
    )
    hop = ntuple(stride or kernel_size, 1)[0]
    pooled = max_pool2d(
        x[:, :, None, :], (1, kernel), (1, hop), (0, pad), (1, step), ceil_mode
    )
    return pooled[:, :, 0, :]


def avg_pool1d(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """F.avg_pool1d on NCL: avg_pool2d over a height of one."""
    kernel, (pad,) = ntuple(kernel_size, 1)[0], ntuple(padding, 1)
    hop = ntuple(stride or kernel_size, 1)[0]
    pooled = avg_pool2d(
        x[:, :, None, :], (1, kernel), (1, hop), (0, pad), ceil_mode, count_include_pad
    )
    return pooled[:, :, 0, :]


def adaptive_avg_pool1d(x, output_size):
    """F.adaptive_avg_pool1d on NCL."""
    return adaptive_avg_pool2d(x[:, :, None, :], (1, ntuple(output_size, 1)[0]))[
        :, :, 0, :
    ]


def adaptive_max_pool1d(x, output_size):
    """F.adaptive_max_pool1d on NCL."""
    return adaptive_max_pool2d(x[:, :, None, :], (1, ntuple(output_size, 1)[0]))[
        :, :, 0, :
    ]


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """F.interpolate / nn.Upsample on NCHW: 'nearest' and 'bilinear' with PyTorch's pixel rule."""
    height, width = x.shape[2], x.shape[3]
    if size is not None:
        out_h, out_w = ntuple(size, 2)
        scales = (height / out_h, width / out_w)
    else:
        factors = ntuple(scale_factor, 2)
        out_h, out_w = int(height * factors[0]), int(width * factors[1])
        scales = (1 / factors[0], 1 / factors[1])
    if mode == "nearest":
        if size is None and all(float(f).is_integer() for f in ntuple(scale_factor, 2)):
            x = tf.repeat(x, int(ntuple(scale_factor, 2)[0]), axis=2)
            return tf.repeat(x, int(ntuple(scale_factor, 2)[1]), axis=3)
        rows = [min(int(i * scales[0]), height - 1) for i in range(out_h)]
        cols = [min(int(j * scales[1]), width - 1) for j in range(out_w)]
        return tf.gather(tf.gather(x, rows, axis=2), cols, axis=3)
    if mode == "bilinear":
        if align_corners:
            resize = tf.compat.v1.image.resize_bilinear
            image = resize(to_channels_last(x), (out_h, out_w), align_corners=True)
            return to_channels_first(image)
        # PyTorch's source points use 1 / scale_factor when one is given (not the sizes' ratio)
        x = linear_axis(x, 2, height, out_h, scales[0])
        return linear_axis(x, 3, width, out_w, scales[1])
    raise ValueError(f"interpolate mode {mode!r} is not supported")


def linear_axis(x, axis, size, out, scale):
    """Linear interpolation along one axis at PyTorch's half-pixel source points
    (dst + 0.5) * scale - 0.5, clamped at 0."""
    points = [max((i + 0.5) * scale - 0.5, 0.0) for i in range(out)]
    low = [min(int(p), size - 1) for p in points]
    high = [min(i + 1, size - 1) for i in low]
    shape = [1] * len(x.shape)
    shape[axis] = out
    weight = tf.reshape(
        tf.constant([p - i for p, i in zip(points, low, strict=True)], x.dtype), shape
    )
    return (
        tf.gather(x, low, axis=axis) * (1 - weight)
        + tf.gather(x, high, axis=axis) * weight
    )


def pixel_shuffle(x, upscale_factor):
    """F.pixel_shuffle: (N, C·r², H, W) → (N, C, H·r, W·r), PyTorch's channel order."""
    r = upscale_factor
    channels, height, width = x.shape[1] // (r * r), x.shape[2], x.shape[3]
    x = tf.reshape(x, (-1, channels, r, r, height, width))
    x = tf.transpose(x, (0, 1, 4, 2, 5, 3))
    return tf.reshape(x, (-1, channels, height * r, width * r))


def pixel_unshuffle(x, downscale_factor):
    """F.pixel_unshuffle: (N, C, H·r, W·r) → (N, C·r², H, W), pixel_shuffle's inverse."""
    r = downscale_factor
    channels, height, width = x.shape[1], x.shape[2] // r, x.shape[3] // r
    x = tf.reshape(x, (-1, channels, height, r, width, r))
    x = tf.transpose(x, (0, 1, 3, 5, 2, 4))
    return tf.reshape(x, (-1, channels * r * r, height, width))


def diag(x, diagonal=0):
    """torch.diag: a vector's matrix with it on the `diagonal`-th diagonal, or a matrix's
    `diagonal`-th diagonal as a vector."""
    if len(x.shape) == 1:
        size = x.shape[0] + abs(diagonal)
        return tf.linalg.diag(x, k=diagonal, num_rows=size, num_cols=size)
    return tf.linalg.diag_part(x, k=diagonal)


def topk(x, k, dim=-1, largest=True, sorted=True):
    """torch.topk: the k largest (or smallest) values along `dim` and their indices."""
    moved = tf.experimental.numpy.moveaxis(x, dim, -1)
    found = tf.math.top_k(moved if largest else -moved, k, sorted=sorted)
    values = found.values if largest else -found.values
    return found._replace(  # the named pair (values, indices), as torch's
        values=tf.experimental.numpy.moveaxis(values, -1, dim),
        indices=tf.cast(
            tf.experimental.numpy.moveaxis(found.indices, -1, dim), tf.int64
        ),
    )


def narrow(x, dim, start, length):
    """torch.narrow: `length` elements of `dim` from `start`."""
    return tf.gather(x, tf.range(start, start + length), axis=dim)


def unique(x):
    """torch.unique: the distinct values of x, flattened, in ascending order."""
    return tf.sort(tf.unique(tf.reshape(x, [-1])).y)


def split(x, split_size_or_sections, dim=0):
    """torch.split: pieces of `split_size_or_sections` elements (the last may be shorter), or
    of the listed sizes, along `dim`."""
    if isinstance(split_size_or_sections, int):
        total = x.shape[dim]
        sizes = [split_size_or_sections] * (total // split_size_or_sections)
        if total % split_size_or_sections:
            sizes.append(total % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
    return tf.split(x, sizes, axis=dim)


def dropout_if(x, p=0.5, training=True):
    """F.dropout: inverted dropout, active only when `training` is true."""
    return tf.nn.dropout(x, rate=p) if training and p > 0 else x


def channel_dropout(input, p=0.5, training=True, inplace=False, unbatched=None):
    """F.dropout1d / 2d / 3d: whole channels of (N, C, ...) zeroed, only in training (one
    draw per sample and channel, shared over the rest: a 2-D input to dropout2d is plain
    dropout, as PyTorch's feature dropout makes it). At rank `unbatched` (dropout1d: 2,
    dropout3d: 4) the input is one sample, (C, ...)."""
    if not training or p == 0:
        return input
    shape = tf.shape(input)
    kept = 1 if len(input.shape) == unbatched else 2
    noise = tf.concat([shape[:kept], tf.ones_like(shape[kept:])], axis=0)
    return tf.nn.dropout(input, rate=p, noise_shape=noise)


class ChannelDropout(keras.layers.Dropout):
    """nn.Dropout1d / 2d / 3d at any rank: channel_dropout in training."""

    def __init__(self, rate, unbatched=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.unbatched = unbatched

    def call(self, inputs, training=False):
        return channel_dropout(inputs, self.rate, training, unbatched=self.unbatched)


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


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """F.feature_alpha_dropout: alpha dropout of whole channels."""
    return alpha_dropout(input, p, training, feature=True)


class AlphaDropout(keras.layers.Layer):
    """nn.AlphaDropout: F.alpha_dropout with the layer's training flag."""

    feature = False

    def __init__(self, p=0.5, inplace=False, **kwargs):
        super().__init__(**kwargs)
        self.p = p

    def call(self, x, training=None):
        return alpha_dropout(x, self.p, bool(training), feature=self.feature)


class FeatureAlphaDropout(AlphaDropout):
    """nn.FeatureAlphaDropout: whole channels."""

    feature = True


def lp_pool_nd(x, dims, norm_type, kernel_size, stride=None, ceil_mode=False):
    """F.lp_pool{dims}d as PyTorch computes it: the window's mean of x^p times the window's
    size, to the power 1/p."""
    area = 1
    for k in ntuple(kernel_size, dims):
        area *= k
    out = avg_pool_nd(x**norm_type, dims, kernel_size, stride, 0, ceil_mode)
    return (tf.sign(out) * tf.nn.relu(tf.abs(out)) * area) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """F.lp_pool1d."""
    return lp_pool_nd(input, 1, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """F.lp_pool2d."""
    return lp_pool_nd(input, 2, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """F.lp_pool3d."""
    return lp_pool_nd(input, 3, norm_type, kernel_size, stride, ceil_mode)


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


def normalized_axes(normalized_shape):
    """The trailing axes an int, tuple or torch.Size `normalized_shape` names."""
    count = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    return list(range(-count, 0))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """F.layer_norm over the trailing `normalized_shape` axes (biased variance)."""
    mean, variance = tf.nn.moments(
        input, normalized_axes(normalized_shape), keepdims=True
    )
    out = (input - mean) * tf.math.rsqrt(variance + eps)
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


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


def channel_affine(out, weight, bias):
    """Per-channel weight and bias of (N, C, ...) tensors."""
    shape = (-1,) + (1,) * (len(out.shape) - 2)
    if weight is not None:
        out = out * tf.reshape(weight, shape)
    return out + tf.reshape(bias, shape) if bias is not None else out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """F.group_norm on (N, C, ...): statistics per sample over each group of channels."""
    shape = tf.shape(input)
    grouped = tf.reshape(input, tf.concat([shape[:1], [num_groups, -1]], axis=0))
    mean, variance = tf.nn.moments(grouped, [2], keepdims=True)
    out = tf.reshape((grouped - mean) * tf.math.rsqrt(variance + eps), shape)
    return channel_affine(out, weight, bias)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """F.instance_norm: statistics per sample and channel over the spatial axes."""
    mean, variance = tf.nn.moments(
        input, list(range(2, len(input.shape))), keepdims=True
    )
    return channel_affine((input - mean) * tf.math.rsqrt(variance + eps), weight, bias)


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """F.batch_norm: with training, the batch's statistics over every axis but the channels
    (axis 1); without, the running ones given."""
    if training:
        axes = [0, *range(2, len(input.shape))]
        mean, variance = tf.nn.moments(input, axes, keepdims=True)
    else:
        shape = (-1,) + (1,) * (len(input.shape) - 2)
        mean, variance = tf.reshape(running_mean, shape), tf.reshape(running_var, shape)
    return channel_affine((input - mean) * tf.math.rsqrt(variance + eps), weight, bias)


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


def coupled_weight_decay(optimizer, weight_decay):
    """PyTorch's `weight_decay` for SGD with momentum, Adam, RMSprop, Adagrad and Adadelta:
    `weight_decay * w` added to each gradient before the update (Keras's own weight_decay is
    decoupled, as AdamW's)."""
    update_step = optimizer.update_step

    def coupled(gradient, variable, learning_rate):
        gradient = gradient + tf.cast(weight_decay, gradient.dtype) * variable
        return update_step(gradient, variable, learning_rate)

    optimizer.update_step = coupled
    return optimizer


def legacy_tensor(data, dtype):
    """torch.FloatTensor(x) and its kin with one argument: a size when x is an int (zeros:
    PyTorch leaves the values uninitialized), the data otherwise, as PyTorch decides."""
    if isinstance(data, int | np.integer) and not isinstance(data, bool):
        return tf.zeros((data,), dtype)
    return tf.cast(np.asarray(data), dtype)  # floats into an integer type: truncated


def sparse_coo_tensor(indices, values, size, dtype=None):
    """torch.sparse_coo_tensor, held dense: `values` summed into `size` at `indices` (one
    column per entry, as PyTorch's coalesce sums repeats)."""
    values = tf.convert_to_tensor(values)
    if dtype is not None:
        values = tf.cast(values, dtype)
    indices = tf.transpose(tf.cast(indices, tf.int64))
    return tf.scatter_nd(indices, values, tf.constant(size, tf.int64))


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


class WhenShape(keras.initializers.Initializer):
    """`initializer` for the weights `when` accepts (it is given a symbolic tensor of the
    weight's shape), `other` for the rest: a layer's initializer after init_parameters.
    """

    def __init__(self, initializer, other, when):
        self.initializer, self.other, self.when = initializer, other, when

    def __call__(self, shape, dtype=None):
        chosen = self.when(keras.KerasTensor(shape, dtype or "float32"))
        return (self.initializer if chosen else self.other)(shape, dtype=dtype)

    def get_config(self):
        return {"initializer": self.initializer, "other": self.other, "when": self.when}


def init_parameters(module, initializer, when=lambda p: True):
    """`for p in module.parameters(): [if <p's rank>:] nn.init.*_(p)`. Keras makes a layer's
    weights when it first runs, so each layer's initializers are set for the weights it will
    make, and the weights made already (a module's own nn.Parameter) are drawn again."""
    seen = set()
    for layer in all_layers(module):
        keras_layout = type(layer).__module__.startswith("keras")
        for name, value in list(vars(layer).items()):
            if (
                name.endswith("_initializer")
                and "moving" not in name
                and value is not None
            ):
                other = keras.initializers.get(value)
                setattr(layer, name, WhenShape(initializer, other, when))
            elif isinstance(value, keras.Variable) and value.trainable:
                if id(value) in seen or not when(value):
                    continue
                seen.add(id(value))
                if keras_layout:
                    value.assign(initializer(value.shape, value.dtype))
                else:
                    init_variable(value, initializer)
    return module


class TiedLinear(keras.layers.Layer):
    """A Linear whose weight is another layer's (`linear.weight = embedding.weight`): the
    embedding matrix, or the other Linear's kernel, used as this layer's; its own bias.
    """

    def __init__(self, linear, tied_to, **kwargs):
        super().__init__(**kwargs)
        self.tied_to, self.units, self.use_bias = tied_to, linear.units, linear.use_bias
        self.bias_initializer = linear.bias_initializer

    def build(self, input_shape):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias"
            )

    def call(self, x):
        source = self.tied_to
        if (
            not source.built
        ):  # the same weight shape as this layer's: the same input width
            source.build(x.shape)
        if isinstance(source, keras.layers.Embedding):
            y = tf.matmul(x, source.embeddings, transpose_b=True)
        else:
            y = tf.matmul(x, source.kernel)
        return y + self.bias if self.bias is not None else y


def weight_tied(layer, source):
    """`layer.weight = source.weight`: one variable for both. An Embedding tied to an
    Embedding is that layer itself (its weight is all it holds); a Linear gets the source's
    matrix in place of its own kernel (TiedLinear)."""
    if isinstance(layer, keras.layers.Embedding) and isinstance(
        source, keras.layers.Embedding
    ):
        return source
    if isinstance(layer, keras.layers.Dense) and isinstance(
        source, keras.layers.Embedding | keras.layers.Dense
    ):
        return TiedLinear(layer, source)
    raise ValueError(
        f"weight tying of a {type(layer).__name__} to a {type(source).__name__}: "
        "not translated"
    )


def torch_weight(layer):
    """`layer.weight` read, in PyTorch's layout: a Linear's kernel transposed, a
    convolution's as (out, in, *kernel), an Embedding's matrix, a norm's scale."""
    if hasattr(layer, "tied_to"):
        layer = layer.tied_to
    inner = getattr(layer, "conv", layer)
    if isinstance(inner, keras.layers.Embedding):
        return inner.embeddings
    if isinstance(
        inner, keras.layers.BatchNormalization | keras.layers.LayerNormalization
    ):
        return inner.gamma
    if isinstance(inner, keras.layers.Dense):
        return tf.transpose(inner.kernel)
    if isinstance(
        inner, keras.layers.Conv1D | keras.layers.Conv2D | keras.layers.Conv3D
    ):
        rank = len(inner.kernel.shape) - 2  # (*kernel, in, out) → (out, in, *kernel)
        return tf.transpose(inner.kernel, (rank + 1, rank, *range(rank)))
    raise ValueError(
        f"{type(layer).__name__}.weight in PyTorch's layout: not translated"
    )


def all_layers(layer):
    """Module.modules(): the layer itself and every layer inside it."""
    return list(layer._flatten_layers(include_self=True, recursive=True))


def apply_to_layers(layer, fn):
    """Module.apply(fn): call fn on every sub-layer, then on the layer itself."""
    for inner in reversed(all_layers(layer)):
        fn(inner)
    return layer


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


class Conv1d(ConvNd):
    """nn.Conv1d on (N, C, L) tensors."""

    rank = 1


class Conv2d(ConvNd):
    """nn.Conv2d on (N, C, H, W) tensors."""

    rank = 2


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


def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """F.conv1d / conv2d / conv3d on channels-first tensors with PyTorch's weight layout
    (out_channels, in_channels / groups, *kernel); groups run as separate convolutions.
    """
    n = len(input.shape) - 2
    strides, dilations = ntuple(stride, n), ntuple(dilation, n)
    pads = conv_pads(padding, weight.shape[2:], dilations)
    x = tf.pad(to_channels_last(input), [(0, 0), *pads, (0, 0)])
    kernel = tf.transpose(weight, (*range(2, n + 2), 1, 0))
    # TensorFlow takes strides or dilations above 1, not both: stride by slicing then.
    step = (1,) * n if max(dilations) > 1 else strides
    parts = [
        tf.nn.convolution(xs, ks, strides=step, dilations=dilations, padding="VALID")
        for xs, ks in zip(
            tf.split(x, groups, axis=-1), tf.split(kernel, groups, axis=-1), strict=True
        )
    ]
    out = parts[0] if groups == 1 else tf.concat(parts, axis=-1)
    if max(dilations) > 1 and max(strides) > 1:
        out = out[(slice(None), *(slice(None, None, s) for s in strides))]
    if bias is not None:
        out = out + bias
    return to_channels_first(out)


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


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """F.unfold (im2col) on (N, C, H, W): (N, C * kh * kw, blocks), each block's values in
    PyTorch's order, by a convolution with one-hot kernels."""
    kernel = ntuple(kernel_size, 2)
    size = input.shape[1] * kernel[0] * kernel[1]
    weight = tf.reshape(
        tf.eye(size, dtype=input.dtype), (size, input.shape[1], *kernel)
    )
    out = conv(input, weight, None, stride, padding, dilation)
    return tf.reshape(out, (tf.shape(out)[0], size, -1))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """F.fold (col2im): (N, C * kh * kw, blocks) summed back into (N, C, H, W), by the
    transposed convolution of unfold's one-hot kernels."""
    kernel, size = ntuple(kernel_size, 2), ntuple(output_size, 2)
    dilations, pads, strides = (
        ntuple(dilation, 2),
        ntuple(padding, 2),
        ntuple(stride, 2),
    )
    spans = [
        o + 2 * p - d * (k - 1) - 1
        for o, p, d, k in zip(size, pads, dilations, kernel, strict=True)
    ]
    blocks = [span // s + 1 for span, s in zip(spans, strides, strict=True)]
    channels = input.shape[1] // (kernel[0] * kernel[1])
    x = tf.reshape(input, (-1, input.shape[1], *blocks))
    weight = tf.reshape(
        tf.eye(input.shape[1], dtype=input.dtype), (-1, channels, *kernel)
    )
    extra = [span % s for span, s in zip(spans, strides, strict=True)]
    return conv_transpose(x, weight, None, strides, pads, extra, 1, dilations)


class ConvTranspose2d(keras.layers.Layer):
    """nn.ConvTranspose2d on NCHW: a 'valid' Conv2DTranspose (with output_padding), then the
    `padding` rows and columns cropped from each side, as PyTorch does."""

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        if groups != 1:
            raise ValueError("ConvTranspose2d with groups has no Keras 3 equivalent")
        kernel = ntuple(kernel_size, 2)
        extra = ntuple(output_padding, 2)
        self.crop = ntuple(padding, 2)
        self.use_bias = bias
        self.conv = keras.layers.Conv2DTranspose(
            out_channels,
            kernel,
            strides=ntuple(stride, 2),
            padding="valid",
            output_padding=extra if any(extra) else None,
            dilation_rate=ntuple(dilation, 2),
            use_bias=bias,
            **torch_init(out_channels * kernel[0] * kernel[1]),
        )

    def call(self, x):
        y = self.conv(to_channels_last(x))
        top, left = self.crop
        if top or left:
            y = y[:, top : y.shape[1] - top, left : y.shape[2] - left, :]
        return to_channels_first(y)


class MaxPool2d(keras.layers.Layer):
    """nn.MaxPool2d on NCHW tensors."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = (kernel_size, stride, padding, dilation, ceil_mode)

    def call(self, x):
        return max_pool2d(x, *self.options)


class AvgPool2d(keras.layers.Layer):
    """nn.AvgPool2d on NCHW tensors."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = (
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            divisor_override,
        )

    def call(self, x):
        return avg_pool2d(x, *self.options)


class MaxPool3d(MaxPool2d):
    """nn.MaxPool3d on NCDHW tensors."""

    def call(self, x):
        return max_pool3d(x, *self.options)


class AvgPool3d(AvgPool2d):
    """nn.AvgPool3d on NCDHW tensors."""

    def call(self, x):
        return avg_pool3d(x, *self.options)


class AdaptiveAvgPool2d(keras.layers.Layer):
    """nn.AdaptiveAvgPool2d on NCHW tensors."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size

    def call(self, x):
        return adaptive_avg_pool2d(x, self.output_size)


class AdaptiveMaxPool2d(keras.layers.Layer):
    """nn.AdaptiveMaxPool2d on NCHW tensors."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size

    def call(self, x):
        return adaptive_max_pool2d(x, self.output_size)


class MaxPool1d(keras.layers.Layer):
    """nn.MaxPool1d on NCL tensors."""

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.options = (kernel_size, stride, padding, dilation, ceil_mode)

    def call(self, x):
        return max_pool1d(x, *self.options)


class AvgPool1d(keras.layers.Layer):
    """nn.AvgPool1d on NCL tensors."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = (kernel_size, stride, padding, ceil_mode, count_include_pad)

    def call(self, x):
        return avg_pool1d(x, *self.options)


class AdaptiveAvgPool1d(keras.layers.Layer):
    """nn.AdaptiveAvgPool1d on NCL tensors."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size

    def call(self, x):
        return adaptive_avg_pool1d(x, self.output_size)


class AdaptiveAvgPool3d(keras.layers.Layer):
    """nn.AdaptiveAvgPool3d on NCDHW tensors."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size

    def call(self, x):
        return adaptive_avg_pool3d(x, self.output_size)


class AdaptiveMaxPool3d(AdaptiveAvgPool3d):
    """nn.AdaptiveMaxPool3d on NCDHW tensors."""

    def call(self, x):
        return adaptive_max_pool3d(x, self.output_size)


class AdaptiveMaxPool1d(keras.layers.Layer):
    """nn.AdaptiveMaxPool1d on NCL tensors."""

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = output_size

    def call(self, x):
        return adaptive_max_pool1d(x, self.output_size)


class Unflatten(keras.layers.Layer):
    """nn.Unflatten(dim, unflattened_size) in PyTorch's axis numbering."""

    def __init__(self, dim, unflattened_size, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.sizes = dim, tuple(unflattened_size)

    def call(self, x):
        return unflatten(x, self.dim, self.sizes)


class Upsample(keras.layers.Layer):
    """nn.Upsample on NCHW tensors."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode="nearest",
        align_corners=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = (size, scale_factor, mode, align_corners)

    def call(self, x):
        return interpolate(x, *self.options)


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


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """F.rrelu: negative values times a slope drawn uniformly from [lower, upper] for each
    element in training, times the middle of that range in inference."""
    if training:
        slope = tf.random.uniform(tf.shape(input), lower, upper, dtype=input.dtype)
    else:
        slope = (lower + upper) / 2
    return tf.where(input >= 0, input, input * slope)


class RReLU(keras.layers.Layer):
    """nn.RReLU: F.rrelu with the layer's training flag."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False, **kwargs):
        super().__init__(**kwargs)
        self.lower, self.upper = lower, upper

    def call(self, x, training=None):
        return rrelu(x, self.lower, self.upper, bool(training))


class PixelUnshuffle(keras.layers.Layer):
    """nn.PixelUnshuffle on NCHW tensors."""

    def __init__(self, downscale_factor, **kwargs):
        super().__init__(**kwargs)
        self.downscale_factor = downscale_factor

    def call(self, x):
        return pixel_unshuffle(x, self.downscale_factor)


class PixelShuffle(keras.layers.Layer):
    """nn.PixelShuffle on NCHW tensors."""

    def __init__(self, upscale_factor, **kwargs):
        super().__init__(**kwargs)
        self.upscale_factor = upscale_factor

    def call(self, x):
        return pixel_shuffle(x, self.upscale_factor)


class PadNd(keras.layers.Layer):
    """nn.{Reflection,Replication,Circular,Zero,Constant}Pad{1,2,3}d on channels-first tensors:
    `padding` is one int or (before, after) pairs from the last axis, as F.pad takes them.
    """

    mode = "constant"
    dims = 2

    def __init__(self, padding, value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.padding = ntuple(padding, 2 * self.dims)
        self.value = value

    def call(self, x):
        return tensor_pad(x, self.padding, self.mode, self.value)


class ReflectionPad2d(PadNd):
    """nn.ReflectionPad2d: (left, right, top, bottom) or one int."""

    mode = "reflect"


class ReplicationPad2d(PadNd):
    """nn.ReplicationPad2d: (left, right, top, bottom) or one int."""

    mode = "replicate"


class ZeroPad2d(PadNd):
    """nn.ZeroPad2d: (left, right, top, bottom) or one int."""


class ConstantPad2d(PadNd):
    """nn.ConstantPad2d(padding, value)."""


class CircularPad2d(PadNd):
    """nn.CircularPad2d: (left, right, top, bottom) or one int."""

    mode = "circular"


class ReflectionPad1d(PadNd):
    """nn.ReflectionPad1d on NCL: (left, right) or one int."""

    mode, dims = "reflect", 1


class ReplicationPad1d(PadNd):
    """nn.ReplicationPad1d on NCL: (left, right) or one int."""

    mode, dims = "replicate", 1


class CircularPad1d(PadNd):
    """nn.CircularPad1d on NCL: (left, right) or one int."""

    mode, dims = "circular", 1


class ZeroPad1d(PadNd):
    """nn.ZeroPad1d on NCL: (left, right) or one int."""

    dims = 1


class ConstantPad1d(PadNd):
    """nn.ConstantPad1d(padding, value) on NCL."""

    dims = 1


class ReflectionPad3d(PadNd):
    """nn.ReflectionPad3d on NCDHW: (left, right, top, bottom, front, back) or one int."""

    mode, dims = "reflect", 3


class ReplicationPad3d(PadNd):
    """nn.ReplicationPad3d on NCDHW: (left, right, top, bottom, front, back) or one int."""

    mode, dims = "replicate", 3


class CircularPad3d(PadNd):
    """nn.CircularPad3d on NCDHW: (left, right, top, bottom, front, back) or one int."""

    mode, dims = "circular", 3


class ZeroPad3d(PadNd):
    """nn.ZeroPad3d on NCDHW: (left, right, top, bottom, front, back) or one int."""

    dims = 3


class ConstantPad3d(PadNd):
    """nn.ConstantPad3d(padding, value) on NCDHW."""

    dims = 3


class LogSoftmax(keras.layers.Layer):
    """nn.LogSoftmax(dim) (PyTorch axis numbering, which the layout keeps)."""

    def __init__(self, dim=-1, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, x):
        return tf.nn.log_softmax(x, axis=self.dim)


class RNNBase(keras.layers.Layer):
    """nn.LSTM / nn.GRU / nn.RNN with PyTorch's arguments, input layout (time-major unless
    batch_first) and results: `output, (h_n, c_n)` for LSTM, `output, h_n` otherwise, where
    h_n is (num_layers · directions, batch, hidden)."""

    kind = "LSTM"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        nonlinearity="tanh",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not bias:
            raise ValueError(f"{self.kind} without bias has no Keras equivalent")
        self.hidden_size = hidden_size
        self.batch_first = batch_first
        self.directions = 2 if bidirectional else 1
        bound = 1 / hidden_size**0.5
        options = {
            "return_sequences": True,
            "return_state": True,
            "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
            "recurrent_initializer": keras.initializers.RandomUniform(-bound, bound),
            "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
        }
        self.rnns = []
        for _ in range(num_layers):
            if self.kind == "LSTM":
                rnn = keras.layers.LSTM(hidden_size, unit_forget_bias=False, **options)
            elif self.kind == "GRU":
                rnn = keras.layers.GRU(hidden_size, reset_after=True, **options)
            else:
                options["activation"] = nonlinearity
                rnn = keras.layers.SimpleRNN(hidden_size, **options)
            self.rnns.append(keras.layers.Bidirectional(rnn) if bidirectional else rnn)
        self.between = None
        if dropout and num_layers > 1:
            self.between = keras.layers.Dropout(dropout)

    def call(self, x, hx=None, training=False):
        if not self.batch_first:
            x = tf.transpose(x, (1, 0, 2))
        per_state = 2 if self.kind == "LSTM" else 1
        if hx is not None and self.kind != "LSTM":
            hx = (hx,)
        finals = []
        for index, rnn in enumerate(self.rnns):
            if index and self.between is not None:
                x = self.between(x, training=training)
            initial = None
            if hx is not None:
                rows = range(index * self.directions, (index + 1) * self.directions)
                initial = [state[row] for row in rows for state in hx]
            x, *states = rnn(x, initial_state=initial, training=training)
            finals.append(states)
        output = x if self.batch_first else tf.transpose(x, (1, 0, 2))
        # h_n rows: layer 0 forward, layer 0 backward, layer 1 forward, ...
        directions = range(self.directions)
        stacked = []
        for s in range(per_state):
            rows = [states[d * per_state + s] for states in finals for d in directions]
            stacked.append(tf.stack(rows))
        return output, tuple(stacked) if self.kind == "LSTM" else stacked[0]


class LSTM(RNNBase):
    """nn.LSTM: returns output, (h_n, c_n)."""

    kind = "LSTM"


class GRU(RNNBase):
    """nn.GRU: returns output, h_n (Keras reset_after=True is PyTorch's equation)."""

    kind = "GRU"


class RNN(RNNBase):
    """nn.RNN (tanh or relu): returns output, h_n."""

    kind = "RNN"


class LSTMCell(keras.layers.Layer):
    """nn.LSTMCell: (h, c) = cell(x, (h, c)); zeros when no state is given."""

    def __init__(self, input_size, hidden_size, bias=True, **kwargs):
        super().__init__(**kwargs)
        if not bias:
            raise ValueError("LSTMCell without bias has no Keras equivalent")
        self.hidden_size = hidden_size
        bound = 1 / hidden_size**0.5
        init = keras.initializers.RandomUniform(-bound, bound)
        self.cell = keras.layers.LSTMCell(
            hidden_size,
            unit_forget_bias=False,
            kernel_initializer=init,
            recurrent_initializer=init,
            bias_initializer=init,
        )

    def call(self, x, hx=None):
        if hx is None:
            zeros = tf.zeros((tf.shape(x)[0], self.hidden_size), x.dtype)
            hx = (zeros, zeros)
        _, (h, c) = self.cell(x, list(hx))
        return h, c


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


class GRUCell(keras.layers.Layer):
    """nn.GRUCell: h = cell(x, h); zeros when no state is given."""

    def __init__(self, input_size, hidden_size, bias=True, **kwargs):
        super().__init__(**kwargs)
        if not bias:
            raise ValueError("GRUCell without bias has no Keras equivalent")
        self.hidden_size = hidden_size
        bound = 1 / hidden_size**0.5
        init = keras.initializers.RandomUniform(-bound, bound)
        self.cell = keras.layers.GRUCell(
            hidden_size,
            reset_after=True,
            kernel_initializer=init,
            recurrent_initializer=init,
            bias_initializer=init,
        )

    def call(self, x, hx=None):
        if hx is None:
            hx = tf.zeros((tf.shape(x)[0], self.hidden_size), x.dtype)
        h, _ = self.cell(x, [hx])
        return h


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p=0.0,
    is_causal=False,
    scale=None,
    enable_gqa=False,
):
    """F.scaled_dot_product_attention: softmax(q k^T * scale + mask) v over the last two
    axes; a boolean mask keeps the places where it is True (the opposite of
    nn.MultiheadAttention's attn_mask), a float mask is added."""
    scale = query.shape[-1] ** -0.5 if scale is None else scale
    scores = tf.matmul(query, key, transpose_b=True) * scale
    if is_causal:
        ones = tf.ones((tf.shape(query)[-2], tf.shape(key)[-2]), tf.bool)
        attn_mask = tf.linalg.band_part(ones, -1, 0)
    if attn_mask is not None and attn_mask.dtype == tf.bool:
        scores = tf.where(attn_mask, scores, float("-inf"))
    elif attn_mask is not None:
        scores += attn_mask
    weights = tf.nn.softmax(scores, axis=-1)
    if dropout_p > 0:
        weights = tf.nn.dropout(weights, rate=dropout_p)
    return tf.matmul(weights, value)


def masked_scores(scores, mask):
    """nn.MultiheadAttention's masks on (N, heads, L, S) scores: True (or -inf) where a
    query may not look."""
    if mask.dtype == tf.bool:
        return tf.where(mask, float("-inf"), scores)
    return scores + tf.cast(mask, scores.dtype)


class MultiheadAttention(keras.layers.Layer):
    """nn.MultiheadAttention with PyTorch's packed in_proj_weight (3 E, E) and in_proj_bias,
    and out_proj: (L, N, E) inputs unless batch_first; returns the output and the attention
    weights (averaged over the heads unless told not to), or None for them."""

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if add_bias_kv or add_zero_attn or {kdim, vdim} - {None, embed_dim}:
            raise ValueError(
                "MultiheadAttention: only kdim = vdim = embed_dim is translated"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = self.add_weight(
            shape=(3 * embed_dim, embed_dim),
            initializer="glorot_uniform",
            name="in_proj_weight",
        )
        self.in_proj_bias = None
        if bias:
            self.in_proj_bias = self.add_weight(
                shape=(3 * embed_dim,), initializer="zeros", name="in_proj_bias"
            )
        self.out_proj = keras.layers.Dense(
            embed_dim, use_bias=bias, **torch_init(embed_dim)
        )

    def call(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
        training=None,
    ):
        unbatched = len(query.shape) == 2
        if unbatched:
            query, key, value = query[None], key[None], value[None]
        elif not self.batch_first:
            query, key, value = (
                tf.transpose(t, (1, 0, 2)) for t in (query, key, value)
            )
        heads, size = self.num_heads, self.embed_dim // self.num_heads
        biases = [None] * 3
        if self.in_proj_bias is not None:
            biases = tf.split(self.in_proj_bias, 3)
        projected = []
        for x, weight, bias in zip(
            (query, key, value), tf.split(self.in_proj_weight, 3), biases, strict=True
        ):
            x = tf.matmul(x, weight, transpose_b=True)
            x = x + bias if bias is not None else x
            shape = (tf.shape(x)[0], tf.shape(x)[1], heads, size)
            projected.append(tf.transpose(tf.reshape(x, shape), (0, 2, 1, 3)))
        q, k, v = projected
        scores = tf.matmul(q, k, transpose_b=True) * size**-0.5
        if is_causal and attn_mask is None:
            ones = tf.ones((tf.shape(q)[2], tf.shape(k)[2]), tf.bool)
            attn_mask = tf.logical_not(tf.linalg.band_part(ones, -1, 0))
        if attn_mask is not None:
            if len(attn_mask.shape) == 3:  # (N * heads, L, S)
                attn_mask = tf.reshape(attn_mask, (-1, heads, *attn_mask.shape[1:]))
            scores = masked_scores(scores, attn_mask)
        if key_padding_mask is not None:
            padding = key_padding_mask[None] if unbatched else key_padding_mask
            scores = masked_scores(scores, padding[:, None, None, :])
        weights = tf.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = tf.nn.dropout(weights, rate=self.dropout)
        out = tf.transpose(tf.matmul(weights, v), (0, 2, 1, 3))
        out = self.out_proj(tf.reshape(out, (tf.shape(out)[0], -1, self.embed_dim)))
        if unbatched:
            out, weights = out[0], weights[0]
        elif not self.batch_first:
            out = tf.transpose(out, (1, 0, 2))
        if not need_weights:
            return out, None
        axis = 0 if unbatched else 1
        return out, tf.reduce_mean(weights, axis) if average_attn_weights else weights


class TransformerEncoderLayer(keras.layers.Layer):
    """nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with
    dropout, a residual connection and a LayerNorm (after, or before with norm_first).
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = dict(
            d_model=d_model,
            nhead=nhead,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
        )
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first
        )
        self.linear1 = keras.layers.Dense(
            dim_feedforward, use_bias=bias, **torch_init(d_model)
        )
        self.linear2 = keras.layers.Dense(
            d_model, use_bias=bias, **torch_init(dim_feedforward)
        )
        self.norm1 = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, center=bias
        )
        self.norm2 = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, center=bias
        )
        self.dropout_rate, self.norm_first = dropout, norm_first
        if activation == "relu":
            activation = tf.nn.relu
        elif activation == "gelu":
            activation = tf.nn.gelu
        self.activation = activation

    def dropout(self, x, training):
        if training and self.dropout_rate > 0:
            return tf.nn.dropout(x, rate=self.dropout_rate)
        return x

    def call(
        self,
        src,
        src_mask=None,
        src_key_padding_mask=None,
        is_causal=False,
        training=None,
    ):
        def attention(x):
            out, _ = self.self_attn(
                x,
                x,
                x,
                key_padding_mask=src_key_padding_mask,
                need_weights=False,
                attn_mask=src_mask,
                is_causal=is_causal,
                training=training,
            )
            return self.dropout(out, training)

        def feed_forward(x):
            x = self.dropout(self.activation(self.linear1(x)), training)
            return self.dropout(self.linear2(x), training)

        x = src
        if self.norm_first:
            x = x + attention(self.norm1(x))
            return x + feed_forward(self.norm2(x))
        x = self.norm1(x + attention(x))
        return self.norm2(x + feed_forward(x))


class TransformerEncoder(keras.layers.Layer):
    """nn.TransformerEncoder: num_layers layers made like encoder_layer (each initialized
    afresh: PyTorch copies the first one's weights), then an optional norm."""

    def __init__(
        self,
        encoder_layer,
        num_layers,
        norm=None,
        enable_nested_tensor=True,
        mask_check=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        kind, options = type(encoder_layer), encoder_layer.options
        self.layers_ = [kind(**options) for _ in range(num_layers)]
        self.norm = norm

    def call(
        self, src, mask=None, src_key_padding_mask=None, is_causal=None, training=None
    ):
        x = src
        for layer in self.layers_:
            x = layer(
                x,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
                training=training,
            )
        return self.norm(x) if self.norm is not None else x


class TransformerDecoderLayer(TransformerEncoderLayer):
    """nn.TransformerDecoderLayer: self-attention, attention over the encoder's memory and a
    feed-forward block, each with dropout, a residual connection and a LayerNorm."""

    def __init__(self, d_model, nhead, *args, **kwargs):
        super().__init__(d_model, nhead, *args, **kwargs)
        self.multihead_attn = MultiheadAttention(
            d_model,
            nhead,
            dropout=self.options["dropout"],
            bias=self.options["bias"],
            batch_first=self.options["batch_first"],
        )
        self.norm3 = keras.layers.LayerNormalization(
            epsilon=self.options["layer_norm_eps"], center=self.options["bias"]
        )

    def call(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
        training=None,
    ):
        def attention(layer, x, source, mask, padding, causal):
            out, _ = layer(
                x,
                source,
                source,
                key_padding_mask=padding,
                need_weights=False,
                attn_mask=mask,
                is_causal=causal,
                training=training,
            )
            return self.dropout(out, training)

        def feed_forward(x):
            x = self.dropout(self.activation(self.linear1(x)), training)
            return self.dropout(self.linear2(x), training)

        masks = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        memory_masks = (memory_mask, memory_key_padding_mask, memory_is_causal)
        x = tgt
        if self.norm_first:
            normed = self.norm1(x)
            x = x + attention(self.self_attn, normed, normed, *masks)
            x = x + attention(self.multihead_attn, self.norm2(x), memory, *memory_masks)
            return x + feed_forward(self.norm3(x))
        x = self.norm1(x + attention(self.self_attn, x, x, *masks))
        x = self.norm2(x + attention(self.multihead_attn, x, memory, *memory_masks))
        return self.norm3(x + feed_forward(x))


class TransformerDecoder(keras.layers.Layer):
    """nn.TransformerDecoder: num_layers layers made like decoder_layer (each initialized
    afresh: PyTorch copies the first one's weights), then an optional norm."""

    def __init__(self, decoder_layer, num_layers, norm=None, **kwargs):
        super().__init__(**kwargs)
        kind, options = type(decoder_layer), decoder_layer.options
        self.layers_ = [kind(**options) for _ in range(num_layers)]
        self.norm = norm

    def call(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
        training=None,
    ):
        x = tgt
        for layer in self.layers_:
            x = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
                training=training,
            )
        return self.norm(x) if self.norm is not None else x


class Transformer(keras.layers.Layer):
    """nn.Transformer: an encoder and a decoder stack, each ending in a LayerNorm."""

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        options = dict(
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
        )

        def norm():
            return keras.layers.LayerNormalization(epsilon=layer_norm_eps, center=bias)

        self.encoder = custom_encoder or TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **options),
            num_encoder_layers,
            norm(),
        )
        self.decoder = custom_decoder or TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **options),
            num_decoder_layers,
            norm(),
        )

    def call(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
        training=None,
    ):
        memory = self.encoder(
            src,
            mask=src_mask,
            src_key_padding_mask=src_key_padding_mask,
            is_causal=src_is_causal,
            training=training,
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
            training=training,
        )


class Compose:
    """torchvision.transforms.Compose: each transform in turn, on one image (the data sets
    below map it over their samples, so random transforms draw anew for each sample and
    epoch, as torchvision's do)."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image


class ToTensor:
    """transforms.ToTensor: a uint8 image (H, W) or (H, W, C) in [0, 255] → float32
    (C, H, W) in [0, 1]."""

    def __call__(self, image):
        image = tf.cast(image, tf.float32) / 255.0
        if len(image.shape) == 2:
            return image[None]
        return tf.transpose(image, (2, 0, 1))


class Normalize:
    """transforms.Normalize: (x - mean) / std per channel of a (C, H, W) image."""

    def __init__(self, mean, std, inplace=False):
        self.mean = tf.reshape(tf.constant(mean, tf.float32), (-1, 1, 1))
        self.std = tf.reshape(tf.constant(std, tf.float32), (-1, 1, 1))

    def __call__(self, image):
        return (image - self.mean) / self.std


class Lambda:
    """transforms.Lambda: the function, on one image."""

    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, image):
        return self.lambd(image)


def image_axes(image):
    """(height axis, width axis) of one image: a uint8 image is (H, W) or (H, W, C), as a PIL
    image is; after ToTensor it is float (C, H, W), as torchvision's tensors are."""
    return (0, 1) if image.dtype == tf.uint8 else (1, 2)


class RandomHorizontalFlip:
    """transforms.RandomHorizontalFlip: the image mirrored left-right with probability p."""

    axis = 1

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        axis = image_axes(image)[self.axis]
        flip = tf.random.uniform(()) < self.p
        return tf.cond(flip, lambda: tf.reverse(image, [axis]), lambda: image)


class RandomVerticalFlip(RandomHorizontalFlip):
    """transforms.RandomVerticalFlip: the image mirrored top-bottom with probability p."""

    axis = 0


def pad_sides(padding):
    """torchvision's padding: an int (every side), (left/right, top/bottom) or (left, top,
    right, bottom) → ((top, bottom), (left, right))."""
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    if len(padding) == 2:
        return (padding[1], padding[1]), (padding[0], padding[0])
    left, top, right, bottom = padding
    return (top, bottom), (left, right)


class RandomCrop:
    """transforms.RandomCrop: padded (fill, or reflect/symmetric), then a size (h, w) window
    at a random place; pad_if_needed pads an image smaller than the window."""

    def __init__(
        self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"
    ):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding, self.pad_if_needed, self.fill = padding, pad_if_needed, fill
        modes = {"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}
        if padding_mode not in modes:
            raise ValueError(
                f"RandomCrop padding_mode={padding_mode!r}: not translated"
            )
        self.mode = modes[padding_mode]

    def _pad(self, image, rows, columns):
        height, width = image_axes(image)
        sides = [(0, 0)] * len(image.shape)
        sides[height], sides[width] = rows, columns
        return tf.pad(image, sides, self.mode, tf.cast(self.fill, image.dtype))

    def __call__(self, image):
        height, width = image_axes(image)
        if self.padding is not None:
            image = self._pad(image, *pad_sides(self.padding))
        if self.pad_if_needed:
            short_h = max(self.size[0] - image.shape[height], 0)
            short_w = max(self.size[1] - image.shape[width], 0)
            image = self._pad(image, (short_h, short_h), (short_w, short_w))
        window = list(image.shape)
        window[height], window[width] = self.size
        return tf.image.random_crop(image, window)


class CenterCrop:
    """transforms.CenterCrop: the size (h, w) window at the centre (torchvision's rounding),
    padded with zeros first where the image is smaller."""

    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, image):
        height, width = image_axes(image)
        (crop_h, crop_w), shape = self.size, image.shape
        if crop_h > shape[height] or crop_w > shape[width]:
            sides = [(0, 0)] * len(shape)
            short_h, short_w = crop_h - shape[height], crop_w - shape[width]
            sides[height] = (max(short_h, 0) // 2, (max(short_h, 0) + 1) // 2)
            sides[width] = (max(short_w, 0) // 2, (max(short_w, 0) + 1) // 2)
            image, shape = tf.pad(image, sides), None
            shape = image.shape
        top = int(round((shape[height] - crop_h) / 2.0))
        left = int(round((shape[width] - crop_w) / 2.0))
        index = [slice(None)] * len(shape)
        index[height], index[width] = (
            slice(top, top + crop_h),
            slice(left, left + crop_w),
        )
        return image[tuple(index)]


def mapped(images, labels, transform):
    """(image, label) samples as a tf.data.Dataset, `transform` mapped over each image
    (drawn anew every epoch where it is random)."""
    samples = tf.data.Dataset.from_tensor_slices((images, labels))
    if transform is None:
        return samples

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops: nothing to convert
    def sample(image, label):
        return transform(image), label

    return samples.map(sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def read_idx(path):
    """One IDX file (MNIST's format, gzipped or not) as a numpy array."""
    data = tf.io.read_file(path)
    if path.endswith(".gz"):
        data = tf.io.decode_compressed(data, "GZIP")
    raw = tf.io.decode_raw(data, tf.uint8).numpy()
    dims = int(raw[3])
    sizes = [
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i].tobytes(), "big") for i in range(dims)
    ]
    return raw[4 + 4 * dims :].reshape(sizes)


def MNIST(root, train=True, transform=None, target_transform=None, download=False):
    """torchvision.datasets.MNIST as a tf.data.Dataset of (image, label): torchvision's
    files under root/MNIST/raw when they are there, else keras.datasets.mnist (which
    downloads to ~/.keras/datasets). `transform` is mapped over the images (mapped).
    """
    part = "train" if train else "t10k"
    folder = tf.io.gfile.join(root, "MNIST", "raw")
    paths = []
    for kind in (f"{part}-images-idx3-ubyte", f"{part}-labels-idx1-ubyte"):
        found = [
            tf.io.gfile.join(folder, kind + end)
            for end in ("", ".gz")
            if tf.io.gfile.exists(tf.io.gfile.join(folder, kind + end))
        ]
        paths.append(found[0] if found else None)
    if None not in paths:
        images, labels = read_idx(paths[0]), read_idx(paths[1])
    else:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        images, labels = (x_train, y_train) if train else (x_test, y_test)
    return mapped(images, labels.astype("int64"), transform)


def CIFAR10(root, train=True, transform=None, target_transform=None, download=False):
    """torchvision.datasets.CIFAR10 as a tf.data.Dataset of (image, label): torchvision's
    files under root/cifar-10-batches-py when they are there, else
    keras.datasets.cifar10 (which downloads to ~/.keras/datasets). `transform` is mapped
    over the images, each uint8 (32, 32, 3) like torchvision's PIL images.
    """
    import pickle  # the format of torchvision's (and the data set authors') batch files

    folder = tf.io.gfile.join(root, "cifar-10-batches-py")
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    paths = [tf.io.gfile.join(folder, name) for name in names]
    if all(tf.io.gfile.exists(path) for path in paths):
        images, labels = [], []
        for path in paths:
            with tf.io.gfile.GFile(path, "rb") as handle:
                batch = pickle.load(handle, encoding="latin1")
            images.append(np.asarray(batch["data"], np.uint8).reshape(-1, 3, 32, 32))
            labels.extend(batch["labels"])
        images = np.concatenate(images).transpose(0, 2, 3, 1)
        labels = np.asarray(labels)
    else:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
        images, labels = (x_train, y_train) if train else (x_test, y_test)
    return mapped(images, labels.reshape(-1).astype("int64"), transform)


def torch_var(x, dim=None, correction=1, keepdim=False):
    """torch.var / Tensor.var: the sum of squared deviations over `dim` (an int, a tuple,
    or None for every element) divided by N - correction (PyTorch's default correction=1,
    Bessel's; tf.math.reduce_variance divides by N)."""
    x = tf.convert_to_tensor(x)
    rank = len(x.shape)
    axes = (
        list(range(rank))
        if dim is None
        else [a % rank for a in (dim if isinstance(dim, tuple | list) else [dim])]
    )
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    squares = tf.reduce_sum(tf.square(x - mean), axis=axes, keepdims=keepdim)
    count = tf.reduce_prod(tf.gather(tf.shape(x), axes))
    return squares / tf.cast(count - correction, x.dtype)


def torch_std(x, dim=None, correction=1, keepdim=False):
    """torch.std / Tensor.std: the square root of torch_var."""
    return tf.sqrt(torch_var(x, dim, correction, keepdim))


def save_image(
    tensor,
    fp,
    nrow=8,
    padding=2,
    normalize=False,
    value_range=None,
    scale_each=False,
    pad_value=0.0,
    format=None,
):
    """torchvision.utils.save_image: images (N, C, H, W), (C, H, W) or (H, W), values in
    [0, 1] (or any range, with normalize=True), laid out as torchvision's make_grid lays
    them (rows of nrow, `padding` pixels of pad_value around each) and written as one
    8-bit image file with Pillow."""
    from PIL import (
        Image,
    )  # Keras's own image saving (keras.utils.save_img) needs it too

    images = np.array(tensor, dtype=np.float32)
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[None]
    if images.shape[1] == 1:  # gray as RGB, as make_grid does
        images = np.concatenate([images] * 3, axis=1)
    if normalize:
        groups = images if scale_each else images[None]
        for group in groups:  # in place, as make_grid's norm_range
            low, high = (
                value_range if value_range is not None else (group.min(), group.max())
            )
            np.clip(group, low, high, out=group)
            group -= low
            group /= max(high - low, 1e-5)
    if len(images) == 1:
        grid = images[0]
    else:
        count, channels, height, width = images.shape
        columns = min(nrow, count)
        rows = -(-count // columns)
        cell_h, cell_w = height + padding, width + padding
        grid = np.full(
            (channels, cell_h * rows + padding, cell_w * columns + padding),
            pad_value,
            np.float32,
        )
        for k, image in enumerate(images):
            top = (k // columns) * cell_h + padding
            left = (k % columns) * cell_w + padding
            grid[:, top : top + height, left : left + width] = image
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(pixels).save(fp, format=format)


def param_groups(optimizer):
    """optimizer.param_groups: one group (a Keras optimizer has one learning rate for all
    its variables) whose "lr" reads and sets the optimizer's learning_rate, as a manual
    schedule does (`for g in optimizer.param_groups: g["lr"] = lr`)."""

    class Group:
        def __getitem__(self, key):
            if key != "lr":
                raise KeyError(f"param_groups[...][{key!r}]: only 'lr' is translated")
            return float(optimizer.learning_rate)

        def __setitem__(self, key, value):
            if key != "lr":
                raise KeyError(f"param_groups[...][{key!r}]: only 'lr' is translated")
            optimizer.learning_rate = value

    return [Group()]


def compiled(step):
    """tf.function, traced once for this step and the objects it reads: a step defined in a
    function called every epoch (pytorch/examples' train()) reuses the graph the first epoch
    traced instead of tracing anew. Reused only for the same model, optimizer and layers (by
    identity) and the same plain values (by value); a step reading anything else (a list, a
    dict) is traced anew, as a new tf.function would be."""
    cache = compiled.__dict__.setdefault("cache", {})
    key = [step.__code__]
    for cell in step.__closure__ or ():
        value = cell.cell_contents
        if callable(value) or isinstance(value, keras.Optimizer | tf.Module):
            key.append(("object", id(value)))  # a layer or model is callable
            continue
        try:
            key.append((type(value), hash(value), value))
        except TypeError:
            return tf.function(step)
    key = tuple(key)
    if key not in cache:
        cache[key] = (tf.function(step), step.__closure__)  # keeps what it reads alive
    return cache[key][0]


class LBFGS:
    """torch.optim.LBFGS (line_search_fn=None), its algorithm ported: `step(closure)` runs up
    to max_iter limited-memory BFGS iterations, each calling the closure for the loss and, by
    a GradientTape around it, the gradients of the model's trainable variables (the
    closure's zero_grad and backward are this tape's work)."""

    def __init__(
        self,
        model,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if line_search_fn is not None:
            raise NotImplementedError("LBFGS's line_search_fn: not translated")
        self.model, self.lr, self.max_iter = model, lr, max_iter
        self.max_eval = max_eval if max_eval is not None else max_iter * 5 // 4
        self.tolerance_grad, self.tolerance_change = tolerance_grad, tolerance_change
        self.history_size = history_size
        self.state = {"func_evals": 0, "n_iter": 0}

    def _evaluate(self, closure):
        with tf.GradientTape() as tape:
            loss = closure()
        variables = self.model.trainable_variables
        gradients = tape.gradient(loss, variables)
        flat = [
            np.zeros(v.shape) if g is None else np.asarray(g)
            for v, g in zip(variables, gradients, strict=True)
        ]
        return loss, np.concatenate([f.reshape(-1) for f in flat]).astype(np.float64)

    def _add(self, t, d):
        offset = 0
        for v in self.model.trainable_variables:
            size = int(np.prod(v.shape))
            step = (t * d[offset : offset + size]).reshape(v.shape)
            v.assign_add(tf.cast(step, v.dtype))
            offset += size

    def step(self, closure):
        state = self.state
        orig_loss, flat_grad = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= self.tolerance_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.get("old_dirs"), state.get("old_stps")
        ro, h_diag = state.get("ro"), state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == self.history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(d) * ro[i]
                    d = d + (al[i] - be_i) * old_stps[i]
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * self.lr
            else:
                t = self.lr
            if flat_grad.dot(d) > -self.tolerance_change:
                break
            evals = 0
            self._add(t, d)
            if n_iter != self.max_iter:
                loss, flat_grad = self._evaluate(closure)
                loss, evals = float(loss), 1
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == self.max_iter or current_evals >= self.max_eval:
                break
            if np.abs(flat_grad).max() <= self.tolerance_grad:
                break
            if np.abs(d * t).max() <= self.tolerance_change:
                break
            if abs(loss - prev_loss) < self.tolerance_change:
                break
        state.update(
            d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag
        )
        state.update(prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


class Dataset:
    """torch.utils.data.Dataset: a map-style data set (`__len__`, `__getitem__`), which the
    DataLoader below reads sample by sample."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} defines no __getitem__")


class Subset(Dataset):
    """torch.utils.data.Subset: the samples of `dataset` at `indices`, in that order. Of a
    tf.data.Dataset (which has no random access): those samples, in the data set's own
    order, as a tf.data.Dataset."""

    def __new__(cls, dataset, indices):
        if isinstance(dataset, tf.data.Dataset):
            picked = tf.scatter_nd(
                tf.reshape(tf.constant(list(indices), tf.int64), (-1, 1)),
                tf.ones((len(indices),), tf.bool),
                (len(dataset),),
            )

            @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops
            def kept(i, *sample):
                return picked[i]

            @tf.autograph.experimental.do_not_convert
            def sample_of(i, *sample):
                return sample[0] if len(sample) == 1 else sample

            chosen = dataset.enumerate().filter(kept).map(sample_of)
            return chosen.apply(tf.data.experimental.assert_cardinality(len(indices)))
        return super().__new__(cls)

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, [int(i) for i in indices]

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]


def random_split(dataset, lengths, generator=None):
    """torch.utils.data.random_split: a random permutation of the samples cut into
    `lengths` (or fractions of the whole, the remainder spread one by one from the first, as
    PyTorch does), each a Subset. The permutation is drawn here (numpy's, or `generator`'s):
    not the one PyTorch draws with the same seed."""
    total = len(dataset)
    counts = [int(length) for length in lengths]
    if abs(sum(lengths) - 1) < 1e-6 and sum(counts) != total:
        counts = [int(np.floor(total * fraction)) for fraction in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
    if sum(counts) != total:
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset!"
        )
    if generator is None:
        order = np.random.permutation(total)
    else:
        order = tf.argsort(generator.uniform((total,))).numpy()
    ends = np.cumsum(counts)
    return [
        Subset(dataset, order[end - count : end])
        for count, end in zip(counts, ends, strict=True)
    ]


def collate(samples):
    """PyTorch's default_collate: samples (tuples, dicts, tensors, arrays, numbers) stacked
    field by field into one batch."""
    first = samples[0]
    if isinstance(first, tuple | list):
        return type(first)(collate(list(field)) for field in zip(*samples, strict=True))
    if isinstance(first, dict):
        return {key: collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, str | bytes):
        return list(samples)
    if isinstance(first, float):
        return tf.constant(samples, tf.float64)
    if isinstance(first, int):
        return tf.constant(samples, tf.int64)
    return tf.stack([tf.convert_to_tensor(sample) for sample in samples])


class DataLoader:
    """torch.utils.data.DataLoader: batches, reshuffled every epoch. Over a tf.data.Dataset,
    a tf.data pipeline (shuffle, batch, prefetch); over a map-style data set (a Dataset
    subclass: `__len__`, `__getitem__`), or with a `collate_fn`, the samples read in a
    (shuffled) order and stacked by `collate_fn` (PyTorch's default: collate above)."""

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        **unused,  # timeout, worker_init_fn...: where and how fast, not which batches
    ):
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError(
                "DataLoader's sampler and batch_sampler: not translated"
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.collate_fn = collate_fn
        self.batches = None
        if isinstance(dataset, tf.data.Dataset) and collate_fn is None:
            batches = dataset
            if shuffle:
                batches = batches.shuffle(len(dataset), reshuffle_each_iteration=True)
            batches = batches.batch(batch_size, drop_remainder=drop_last)
            self.batches = batches.prefetch(tf.data.AUTOTUNE)

    def __iter__(self):
        if self.batches is not None:
            return iter(self.batches)
        return self._read()

    def _read(self):
        total = len(self.dataset)
        order = np.random.permutation(total) if self.shuffle else np.arange(total)
        if isinstance(
            self.dataset, tf.data.Dataset
        ):  # a collate_fn over tf.data samples
            samples = list(self.dataset)
            read = samples.__getitem__
        else:
            read = self.dataset.__getitem__
        for start in range(0, total, self.batch_size):
            chosen = order[start : start + self.batch_size]
            if self.drop_last and len(chosen) < self.batch_size:
                break
            batch = [read(int(i)) for i in chosen]
            yield (self.collate_fn or collate)(batch)

    def __len__(self):
        if self.batches is not None:
            return len(self.batches)
        whole, rest = divmod(len(self.dataset), self.batch_size)
        return whole + (1 if rest and not self.drop_last else 0)


def reduce_loss(values, reduction):
    """PyTorch's reduction argument: 'mean', 'sum' or 'none'."""
    if reduction == "mean":
        return tf.reduce_mean(values)
    if reduction == "sum":
        return tf.reduce_sum(values)
    return values


def class_nll(
    log_probs,
    target,
    weight=None,
    ignore_index=-100,
    reduction="mean",
    smoothing=0.0,
):
    """PyTorch's NLL on (N, C) log-probabilities: class weights (the mean divides by the
    targets' summed weight), targets equal to `ignore_index` left out, and label smoothing
    (ε/C of the weighted sum over classes)."""
    target = tf.cast(target, tf.int32)
    keep = tf.not_equal(target, ignore_index)
    safe = tf.where(keep, target, tf.zeros_like(target))
    mask = tf.cast(keep, log_probs.dtype)
    if weight is None:
        weight = tf.ones(tf.shape(log_probs)[1:2], log_probs.dtype)
    weight = tf.cast(weight, log_probs.dtype)
    picked_weight = tf.gather(weight, safe) * mask
    loss = -tf.gather(log_probs, safe, axis=1, batch_dims=1) * picked_weight
    smooth = -tf.reduce_sum(log_probs * weight, axis=1) * mask
    if reduction == "mean":
        total = tf.reduce_sum(picked_weight)
        loss, smooth = tf.reduce_sum(loss) / total, tf.reduce_sum(smooth) / total
    elif reduction == "sum":
        loss, smooth = tf.reduce_sum(loss), tf.reduce_sum(smooth)
    if not smoothing:
        return loss
    classes = tf.cast(tf.shape(log_probs)[1], log_probs.dtype)
    return (1 - smoothing) * loss + smoothing / classes * smooth


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    """F.nll_loss: minus the (weighted) log-probability of each target class."""
    return class_nll(input, target, weight, ignore_index, reduction)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """F.cross_entropy on logits and integer class labels."""
    logp = tf.nn.log_softmax(input, axis=1)
    return class_nll(logp, target, weight, ignore_index, reduction, label_smoothing)


def mse_loss(input, target, reduction="mean"):
    """F.mse_loss."""
    return reduce_loss(tf.square(input - target), reduction)


def l1_loss(input, target, reduction="mean"):
    """F.l1_loss."""
    return reduce_loss(tf.abs(input - target), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """F.smooth_l1_loss."""
    diff = tf.abs(input - target)
    loss = tf.where(diff < beta, 0.5 * diff**2 / beta, diff - 0.5 * beta)
    return reduce_loss(loss, reduction)


def binary_cross_entropy(input, target, reduction="mean"):
    """F.binary_cross_entropy on probabilities (logs clamped at -100, as PyTorch does)."""
    log_p = tf.maximum(tf.math.log(input), -100.0)
    log_q = tf.maximum(tf.math.log(1 - input), -100.0)
    return reduce_loss(-(target * log_p + (1 - target) * log_q), reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """F.binary_cross_entropy_with_logits."""
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=input)
    return reduce_loss(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """F.huber_loss: squared below delta, linear above."""
    diff = tf.abs(input - target)
    loss = tf.where(diff < delta, 0.5 * diff**2, delta * (diff - 0.5 * delta))
    return reduce_loss(loss, reduction)


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target=False
):
    """F.kl_div: input holds log-probabilities; target probabilities (or their logs)."""
    if log_target:
        loss = tf.exp(target) * (target - input)
    else:
        loss = tf.math.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return tf.reduce_sum(loss) / tf.cast(tf.shape(input)[0], loss.dtype)
    return reduce_loss(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """F.soft_margin_loss: log(1 + exp(-target * input)), targets of 1 or -1."""
    return reduce_loss(tf.math.softplus(-target * input), reduction)


def margin_ranking_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """F.margin_ranking_loss: max(0, margin - target * (input1 - input2))."""
    return reduce_loss(tf.nn.relu(margin - target * (input1 - input2)), reduction)


def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """F.hinge_embedding_loss: input where target is 1, max(0, margin - input) where -1."""
    zeros = tf.zeros_like(input)
    loss = tf.where(target != 1, tf.nn.relu(margin - input), zeros)
    loss += tf.where(target != -1, input, zeros)
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """F.cosine_embedding_loss: 1 - cos where target is 1, max(0, cos - margin) where -1."""
    dot = tf.reduce_sum(input1 * input2, axis=-1)
    squares1 = tf.reduce_sum(input1 * input1, axis=-1) + 1e-12
    squares2 = tf.reduce_sum(input2 * input2, axis=-1) + 1e-12
    cos = dot / tf.sqrt(squares1 * squares2)
    zeros = tf.zeros_like(cos)
    loss = tf.where(target == 1, 1 - cos, zeros)
    loss += tf.where(target == -1, tf.nn.relu(cos - margin), zeros)
    return reduce_loss(loss, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """F.poisson_nll_loss; `full` adds Stirling's term where target > 1."""
    if log_input:
        loss = tf.exp(input) - target * input
    else:
        loss = input - target * tf.math.log(input + eps)
    if full:
        stirling = (
            target * tf.math.log(target)
            - target
            + 0.5 * tf.math.log(2 * 3.141592653589793 * target)
        )
        loss += tf.where(target > 1, stirling, tf.zeros_like(stirling))
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """F.gaussian_nll_loss: 0.5 (log var + (input - target)^2 / var), var clamped at eps
    (the clamp passes gradients through, as PyTorch's in-place clamp does)."""
    var = tf.convert_to_tensor(var, input.dtype)
    if len(var.shape) == len(input.shape) - 1:
        var = var[..., None]  # one variance per sample
    var = var + tf.stop_gradient(tf.maximum(var, eps) - var)
    loss = 0.5 * (tf.math.log(var) + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * tf.math.log(2 * 3.141592653589793)
    return reduce_loss(loss, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """F.multilabel_soft_margin_loss: per-class logistic loss, averaged over classes."""
    loss = -(
        target * tf.math.log_sigmoid(input) + (1 - target) * tf.math.log_sigmoid(-input)
    )
    if weight is not None:
        loss = loss * weight
    return reduce_loss(tf.reduce_mean(loss, axis=-1), reduction)


def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """F.multi_margin_loss: sum over the other classes of max(0, margin - x[y] + x[i])^p,
    divided by the number of classes (times weight[y] when given)."""
    target = tf.cast(target, tf.int32)
    classes = tf.shape(input)[-1]
    batch_dims = len(input.shape) - 1
    picked = tf.gather(input, target[..., None], axis=-1, batch_dims=batch_dims)
    loss = tf.nn.relu(margin - picked + input) ** p
    if weight is not None:
        loss = loss * tf.gather(tf.cast(weight, input.dtype), target)[..., None]
    others = 1 - tf.one_hot(target, classes, dtype=input.dtype)
    loss = tf.reduce_sum(loss * others, axis=-1) / tf.cast(classes, input.dtype)
    return reduce_loss(loss, reduction)


def multilabel_margin_loss(
    input, target, size_average=None, reduce=None, reduction="mean"
):
    """F.multilabel_margin_loss: target holds class indices, ended by the first -1; each
    target class is compared with each non-target class."""
    target = tf.cast(target, tf.int32)
    classes = tf.shape(input)[-1]
    valid = tf.math.cumprod(tf.cast(target >= 0, input.dtype), axis=-1)
    safe = tf.maximum(target, 0)
    hot = tf.one_hot(safe, classes, dtype=input.dtype) * valid[..., None]
    is_target = tf.reduce_max(hot, axis=-2)
    picked = tf.gather(input, safe, axis=-1, batch_dims=len(input.shape) - 1)
    margins = tf.nn.relu(1 - picked[..., :, None] + input[..., None, :])
    mask = valid[..., :, None] * (1 - is_target)[..., None, :]
    loss = tf.reduce_sum(margins * mask, axis=[-2, -1]) / tf.cast(classes, input.dtype)
    return reduce_loss(loss, reduction)


def vector_norm(x, p, axis=-1, keepdims=False):
    """The p-norm along an axis (p = inf: the largest absolute value)."""
    if p == float("inf"):
        return tf.reduce_max(tf.abs(x), axis=axis, keepdims=keepdims)
    if p == 1:
        return tf.reduce_sum(tf.abs(x), axis=axis, keepdims=keepdims)
    if p == 2:
        return tf.sqrt(tf.reduce_sum(x * x, axis=axis, keepdims=keepdims))
    return tf.reduce_sum(tf.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """F.pairwise_distance: the p-norm of x1 - x2 + eps along the last axis."""
    return vector_norm(x1 - x2 + eps, p, axis=-1, keepdims=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """F.cosine_similarity along `dim`, each norm at least eps."""
    norm1 = tf.maximum(tf.norm(x1, axis=dim, keepdims=True), eps)
    norm2 = tf.maximum(tf.norm(x2, axis=dim, keepdims=True), eps)
    return tf.reduce_sum((x1 / norm1) * (x2 / norm2), axis=dim)


def pdist(input, p=2.0):
    """F.pdist: the p-norm distance between each pair of rows i < j, in row-major order."""
    rows = tf.range(tf.shape(input)[0])
    first, second = tf.meshgrid(rows, rows, indexing="ij")
    upper = first < second
    pairs = tf.gather(input, tf.boolean_mask(first, upper))
    pairs -= tf.gather(input, tf.boolean_mask(second, upper))
    return vector_norm(pairs, p, axis=-1)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2.0,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """F.triplet_margin_loss: max(0, margin + d(anchor, positive) - d(anchor, negative))."""
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        swapped = pairwise_distance(positive, negative, p, eps)
        negative_distance = tf.minimum(negative_distance, swapped)
    return reduce_loss(
        tf.nn.relu(margin + positive_distance - negative_distance), reduction
    )


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    distance_function=None,
    margin=1.0,
    swap=False,
    reduction="mean",
):
    """F.triplet_margin_with_distance_loss (pairwise_distance unless a distance is given)."""
    distance = distance_function if distance_function is not None else pairwise_distance
    positive_distance = distance(anchor, positive)
    negative_distance = distance(anchor, negative)
    if swap:
        negative_distance = tf.minimum(negative_distance, distance(positive, negative))
    return reduce_loss(
        tf.nn.relu(margin + positive_distance - negative_distance), reduction
    )


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """F.gumbel_softmax: softmax((logits + Gumbel noise) / tau) along dim; with `hard`, the
    one-hot of its largest entry in the forward pass and the soft sample's gradient."""
    uniform = tf.random.uniform(tf.shape(logits), minval=1e-20, maxval=1.0)
    gumbels = -tf.math.log(-tf.math.log(tf.cast(uniform, logits.dtype)))
    soft = tf.nn.softmax((logits + gumbels) / tau, axis=dim)
    if not hard:
        return soft
    axis = dim % len(logits.shape)
    index = tf.argmax(soft, axis=axis)
    one_hot = tf.one_hot(index, tf.shape(logits)[axis], axis=axis, dtype=logits.dtype)
    return one_hot - tf.stop_gradient(soft) + soft


def affine_grid(theta, size, align_corners=None):
    """F.affine_grid: the (N, H, W, 2) or (N, D, H, W, 3) grid of (x, y[, z]) points in
    [-1, 1] that theta (N, 2, 3) or (N, 3, 4) maps the output's points to."""

    def steps(n):
        if n <= 1:
            return tf.zeros((1,), theta.dtype)
        points = tf.range(n, dtype=theta.dtype)
        if align_corners:
            return points * 2 / (n - 1) - 1
        return (points * 2 + 1) / n - 1

    mesh = tf.meshgrid(*(steps(n) for n in size[2:]), indexing="ij")  # (D,) H, W order
    points = tf.stack([*reversed(mesh), tf.ones_like(mesh[0])], axis=-1)  # x, y(, z), 1
    return tf.einsum("...i,nji->n...j", points, theta)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """F.grid_sample on (N, C, H, W) with a (N, Ho, Wo, 2) grid of (x, y) in [-1, 1]:
    bilinear or nearest, outside points zero ('zeros') or clamped to the edge ('border').
    """
    height, width = input.shape[2], input.shape[3]

    def pixel(coordinate, size):
        if align_corners:
            return (coordinate + 1) / 2 * (size - 1)
        return ((coordinate + 1) * size - 1) / 2

    x, y = pixel(grid[..., 0], width), pixel(grid[..., 1], height)
    if padding_mode == "border":
        x = tf.clip_by_value(x, 0.0, width - 1.0)
        y = tf.clip_by_value(y, 0.0, height - 1.0)
    image = to_channels_last(input)

    def at(row, column):
        """The input's values at integer points (zero outside), (N, Ho, Wo, C)."""
        inside = (row >= 0) & (row < height) & (column >= 0) & (column < width)
        rows = tf.clip_by_value(row, 0, height - 1)
        columns = tf.clip_by_value(column, 0, width - 1)
        values = tf.gather_nd(image, tf.stack([rows, columns], axis=-1), batch_dims=1)
        return values * tf.cast(inside, values.dtype)[..., None]

    if mode == "nearest":
        row = tf.cast(tf.round(y), tf.int32)  # round half to even, as PyTorch
        return to_channels_first(at(row, tf.cast(tf.round(x), tf.int32)))
    x0, y0 = tf.floor(x), tf.floor(y)
    wx, wy = (x - x0)[..., None], (y - y0)[..., None]
    x0, y0 = tf.cast(x0, tf.int32), tf.cast(y0, tf.int32)
    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    return to_channels_first(top * (1 - wy) + bottom * wy)


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,
    reduction="mean",
    zero_infinity=False,
):
    """F.ctc_loss on (T, N, C) log-probabilities; targets padded (N, S) or concatenated;
    'mean' divides each loss by its target length before averaging, as PyTorch does."""
    target_lengths = tf.cast(target_lengths, tf.int32)
    targets = tf.cast(targets, tf.int32)
    if len(targets.shape) == 1:
        targets = tf.RaggedTensor.from_row_lengths(targets, target_lengths).to_tensor()
    loss = tf.nn.ctc_loss(
        targets,
        log_probs,
        target_lengths,
        tf.cast(input_lengths, tf.int32),
        logits_time_major=True,
        blank_index=blank,
    )
    if zero_infinity:
        loss = tf.where(tf.math.is_inf(loss), tf.zeros_like(loss), loss)
    if reduction == "mean":
        lengths = tf.cast(tf.maximum(target_lengths, 1), loss.dtype)
        return tf.reduce_mean(loss / lengths)
    return reduce_loss(loss, reduction)


def linear_cross_entropy(
    input,
    linear_weight,
    target,
    linear_bias=None,
    weight=None,
    reduction="mean",
    ignore_index=None,
    label_smoothing=0.0,
    options=None,
):
    """F.linear_cross_entropy: cross-entropy of input @ linear_weight^T (+ linear_bias)
    against class labels, over every leading axis."""
    logits = tf.matmul(input, linear_weight, transpose_b=True)
    if linear_bias is not None:
        logits += linear_bias
    logits = tf.reshape(logits, (-1, linear_weight.shape[0]))
    ignore = -100 if ignore_index is None else ignore_index
    log_probs = tf.nn.log_softmax(logits, axis=1)
    target = tf.reshape(target, (-1,))
    return class_nll(log_probs, target, weight, ignore, reduction, label_smoothing)


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """F.embedding_bag: the sum, mean or max of each bag's embeddings. Bags are the rows of
    a 2-d input, or cut from a 1-d input at `offsets`; padding_idx entries are left out;
    an empty bag gives zeros."""
    input = tf.cast(input, tf.int32)
    if len(input.shape) == 2:
        bags = tf.shape(input)[0]
        ids = tf.repeat(tf.range(bags), tf.shape(input)[1])
        input = tf.reshape(input, (-1,))
        if per_sample_weights is not None:
            per_sample_weights = tf.reshape(per_sample_weights, (-1,))
    else:
        offsets = tf.cast(offsets, tf.int32)
        bags = tf.shape(offsets)[0] - (1 if include_last_offset else 0)
        positions = tf.range(tf.shape(input)[0])
        ids = tf.searchsorted(offsets, positions, side="right") - 1
    vectors = tf.gather(weight, input)
    if per_sample_weights is not None:
        vectors *= tf.cast(per_sample_weights, vectors.dtype)[:, None]
    keep = ids < bags  # past the last offset (include_last_offset): in no bag
    if padding_idx is not None:
        keep &= tf.not_equal(input, padding_idx % weight.shape[0])
    vectors, ids = tf.boolean_mask(vectors, keep), tf.boolean_mask(ids, keep)
    if mode == "max":
        out = tf.math.unsorted_segment_max(vectors, ids, bags)
        filled = tf.math.unsorted_segment_sum(tf.ones_like(ids), ids, bags) > 0
        return tf.where(filled[:, None], out, tf.zeros_like(out))
    out = tf.math.unsorted_segment_sum(vectors, ids, bags)
    if mode == "mean":
        counts = tf.math.unsorted_segment_sum(tf.ones_like(ids), ids, bags)
        out /= tf.cast(tf.maximum(counts, 1), out.dtype)[:, None]
    return out


class EmbeddingBag(keras.layers.Layer):
    """nn.EmbeddingBag: PyTorch's weight (num_embeddings, embedding_dim), drawn from N(0, 1)
    with the padding_idx row zeroed, applied by embedding_bag."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        mode="mean",
        sparse=False,
        _weight=None,
        include_last_offset=False,
        padding_idx=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mode, self.include_last_offset = mode, include_last_offset
        self.padding_idx = padding_idx
        self.weight = self.add_weight(
            shape=(num_embeddings, embedding_dim),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="weight",
        )
        if padding_idx is not None:
            self.weight[padding_idx].assign(tf.zeros((embedding_dim,)))

    def call(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(
            input,
            self.weight,
            offsets,
            mode=self.mode,
            per_sample_weights=per_sample_weights,
            include_last_offset=self.include_last_offset,
            padding_idx=self.padding_idx,
        )


class FunctionModule:
    """A PyTorch module that holds options and no weights (a loss, a distance): calling it
    calls its class's `function` with them. Losses keep PyTorch's (input, target) order,
    not Keras's (target, prediction), so call sites need no change."""

    def __init__(self, **options):
        self.options = options

    def __call__(self, *inputs, **arguments):
        return type(self).function(*inputs, **self.options, **arguments)


class CrossEntropyLoss(FunctionModule):
    """nn.CrossEntropyLoss: loss(logits, labels), PyTorch's argument order."""

    function = staticmethod(cross_entropy)


class NLLLoss(FunctionModule):
    """nn.NLLLoss (on log-probabilities)."""

    function = staticmethod(nll_loss)


class MSELoss(FunctionModule):
    """nn.MSELoss."""

    function = staticmethod(mse_loss)


class L1Loss(FunctionModule):
    """nn.L1Loss."""

    function = staticmethod(l1_loss)


class SmoothL1Loss(FunctionModule):
    """nn.SmoothL1Loss."""

    function = staticmethod(smooth_l1_loss)


class BCELoss(FunctionModule):
    """nn.BCELoss (on probabilities)."""

    function = staticmethod(binary_cross_entropy)


class BCEWithLogitsLoss(FunctionModule):
    """nn.BCEWithLogitsLoss."""

    function = staticmethod(binary_cross_entropy_with_logits)


class HuberLoss(FunctionModule):
    """nn.HuberLoss."""

    function = staticmethod(huber_loss)


class KLDivLoss(FunctionModule):
    """nn.KLDivLoss."""

    function = staticmethod(kl_div)


class SoftMarginLoss(FunctionModule):
    """nn.SoftMarginLoss."""

    function = staticmethod(soft_margin_loss)


class MarginRankingLoss(FunctionModule):
    """nn.MarginRankingLoss."""

    function = staticmethod(margin_ranking_loss)


class HingeEmbeddingLoss(FunctionModule):
    """nn.HingeEmbeddingLoss."""

    function = staticmethod(hinge_embedding_loss)


class CosineEmbeddingLoss(FunctionModule):
    """nn.CosineEmbeddingLoss."""

    function = staticmethod(cosine_embedding_loss)


class PoissonNLLLoss(FunctionModule):
    """nn.PoissonNLLLoss."""

    function = staticmethod(poisson_nll_loss)


class GaussianNLLLoss(FunctionModule):
    """nn.GaussianNLLLoss."""

    function = staticmethod(gaussian_nll_loss)


class MultiLabelSoftMarginLoss(FunctionModule):
    """nn.MultiLabelSoftMarginLoss."""

    function = staticmethod(multilabel_soft_margin_loss)


class MultiMarginLoss(FunctionModule):
    """nn.MultiMarginLoss."""

    function = staticmethod(multi_margin_loss)


class MultiLabelMarginLoss(FunctionModule):
    """nn.MultiLabelMarginLoss."""

    function = staticmethod(multilabel_margin_loss)


class TripletMarginLoss(FunctionModule):
    """nn.TripletMarginLoss."""

    function = staticmethod(triplet_margin_loss)


class TripletMarginWithDistanceLoss(FunctionModule):
    """nn.TripletMarginWithDistanceLoss."""

    function = staticmethod(triplet_margin_with_distance_loss)


class PairwiseDistance(FunctionModule):
    """nn.PairwiseDistance."""

    function = staticmethod(pairwise_distance)


class CosineSimilarity(FunctionModule):
    """nn.CosineSimilarity."""

    function = staticmethod(cosine_similarity)


class LocalResponseNorm(FunctionModule):
    """nn.LocalResponseNorm."""

    function = staticmethod(local_response_norm)


class ChannelShuffle(FunctionModule):
    """nn.ChannelShuffle."""

    function = staticmethod(channel_shuffle)


class Unfold(FunctionModule):
    """nn.Unfold."""

    function = staticmethod(unfold)


class Fold(FunctionModule):
    """nn.Fold."""

    function = staticmethod(fold)


class CTCLoss(FunctionModule):
    """nn.CTCLoss."""

    function = staticmethod(ctc_loss)


class MaxUnpool1d(FunctionModule):
    """nn.MaxUnpool1d: module(input, indices, output_size=None)."""

    function = staticmethod(max_unpool1d)


class MaxUnpool2d(FunctionModule):
    """nn.MaxUnpool2d: module(input, indices, output_size=None)."""

    function = staticmethod(max_unpool2d)


class MaxUnpool3d(FunctionModule):
    """nn.MaxUnpool3d: module(input, indices, output_size=None)."""

    function = staticmethod(max_unpool3d)


class LPPool1d(FunctionModule):
    """nn.LPPool1d."""

    function = staticmethod(lp_pool1d)


class LPPool2d(FunctionModule):
    """nn.LPPool2d."""

    function = staticmethod(lp_pool2d)


class LPPool3d(FunctionModule):
    """nn.LPPool3d."""

    function = staticmethod(lp_pool3d)


class LRScheduler:
    """Per-epoch learning-rate schedule: step() once per epoch, as in PyTorch."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = float(optimizer.learning_rate.numpy())
        self.last_epoch = 0

    def lr_at(self, epoch):
        return self.base_lr

    def step(self):
        self.last_epoch += 1
        self.optimizer.learning_rate = self.lr_at(self.last_epoch)

    def get_last_lr(self):
        return [float(self.optimizer.learning_rate.numpy())]


class StepLR(LRScheduler):
    """lr · gamma^(epoch // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr - eta_min) · (1 + cos(pi · epoch / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.t_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch):
        cosine = (1 + tf.cos(tf.constant(3.141592653589793) * epoch / self.t_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * float(cosine)


class ExponentialLR(LRScheduler):
    """lr · gamma^epoch."""

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch):
        return self.base_lr * self.gamma**epoch


def state_dict(model):
    """Module.state_dict(): every variable's value (numpy), keyed by its place among the
    model's weights and its name (`3/kernel`: Keras's paths number layers program-wide).
    """
    return {f"{i}/{v.name}": np.array(v) for i, v in enumerate(model.weights)}


def load_state_dict(model, state):
    """Module.load_state_dict(state) of a state_dict(): each variable's value by its key. A
    model not built yet (Keras makes its weights on its first call) gets them then."""

    def assign():
        variables = {f"{i}/{v.name}": v for i, v in enumerate(model.weights)}
        missing = sorted(set(variables) - set(state))
        unexpected = sorted(set(state) - set(variables))
        if missing or unexpected:
            raise ValueError(
                f"load_state_dict: missing {missing[:3]}, unexpected {unexpected[:3]}"
            )
        for path, variable in variables.items():
            variable.assign(state[path])

    if model.built:
        assign()
        return
    import functools

    build = model.build

    @functools.wraps(build)  # Keras checks whether build is its default: still so
    def build_then_load(*args, **kwargs):
        build(*args, **kwargs)
        model.build = build
        assign()

    model.build = build_then_load


def torch_save(obj, path):
    """torch.save of a checkpoint (a dict of state_dict()s, numbers, ...): pickled, with
    tensors and variables as numpy arrays."""
    import pickle  # torch.save's own format is a pickle too

    def plain(value):
        return np.array(value) if isinstance(value, tf.Tensor | tf.Variable) else value

    with open(path, "wb") as handle:
        pickle.dump(tf.nest.map_structure(plain, obj), handle)


def torch_load(path):
    """torch.load of what torch_save wrote, or of a file PyTorch's torch.save wrote that holds
    no tensors (numpy arrays, numbers, lists: pytorch/examples' traindata.pt); a PyTorch
    tensor in such a file is an error that says so."""
    import pickle
    import zipfile

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            return pickle.load(handle)

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            raise ValueError(
                f"{path}: holds a PyTorch tensor; torch_load reads numpy data"
            )

    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        with archive.open(name) as handle:
            return Unpickler(handle).load()


def weights_path(path):
    """Keras saves weights only to a `.weights.h5` file: model.pt → model.weights.h5."""
    text = str(path)
    stem = text.rsplit(".", 1)[0] if "." in text.rsplit("/", 1)[-1] else text
    return stem + ".weights.h5"
