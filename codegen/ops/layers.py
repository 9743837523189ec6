"""Layer ops: shape rules and the PyTorch / Keras spelling of each layer.

Every Keras spelling is chosen so that, with the weights moved across, it computes what the
PyTorch layer computes (see EQUIVALENCE.md): explicit ``ZeroPadding`` instead of ``'same'``
where the two disagree, PyTorch's eps and momentum on norm layers, PyTorch's slopes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from ..errors import ShapeError
from . import weights
from .registry import REGISTRY, KerasCode, LayerOp, Params, Tensor, TorchCode

NonNegInt = Field(default=0, ge=0)


# Keyword arguments equal to the callable's own default are left out of generated code, as a
# person would write it. The defaults belong to each callable (a pooling stride defaults to the
# window, a convolution's to 1), so each table is keyed by the callable as generated code spells
# it; tests/test_rendered_args.py checks every entry against PyTorch's and Keras's signatures.
# A callable missing here has every keyword spelled out.
_TORCH_CONV = {"stride": 1, "padding": 0, "bias": True}
_TORCH_POOL = {"stride": None, "padding": 0}
_TORCH_BATCHNORM = {"eps": 1e-5, "momentum": 0.1}
_TORCH_RNN = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0}
TORCH_DEFAULTS: dict[str, dict[str, object]] = {
    "nn.Linear": {"bias": True},
    "nn.Conv1d": _TORCH_CONV,
    "nn.Conv2d": _TORCH_CONV,
    "nn.ConvTranspose2d": {**_TORCH_CONV, "output_padding": 0},
    "F.max_pool2d": _TORCH_POOL,
    "F.avg_pool2d": _TORCH_POOL,
    "nn.BatchNorm1d": _TORCH_BATCHNORM,
    "nn.BatchNorm2d": _TORCH_BATCHNORM,
    "nn.LayerNorm": {"eps": 1e-5},
    "nn.LSTM": _TORCH_RNN,
    "nn.GRU": _TORCH_RNN,
}
_KERAS_CONV = {"strides": 1, "padding": "valid", "use_bias": True}
_KERAS_POOL = {"strides": None, "padding": "valid"}
KERAS_DEFAULTS: dict[str, dict[str, object]] = {
    "layers.Dense": {"use_bias": True},
    "layers.Conv1D": _KERAS_CONV,
    "layers.Conv2D": _KERAS_CONV,
    "layers.Conv2DTranspose": _KERAS_CONV,
    "layers.MaxPooling2D": _KERAS_POOL,
    "layers.AveragePooling2D": _KERAS_POOL,
}


def _args(
    *positional: object, _defaults: dict[str, object] | None = None, **keywords: object
) -> tuple[str, ...]:
    """Render call arguments as source text (Python literals only)."""
    defaults = _defaults or {}
    out = [repr(p) for p in positional]
    out += [f"{k}={v!r}" for k, v in keywords.items() if k not in defaults or defaults[k] != v]
    return tuple(out)


def _call(func: str, *positional: object, **keywords: object) -> str:
    defaults = TORCH_DEFAULTS.get(func)
    return f"{func}({', '.join(_args(*positional, _defaults=defaults, **keywords))})"


def _layer(cls: str, *positional: object, suffix: str = "", **keywords: object):
    return (cls, _args(*positional, _defaults=KERAS_DEFAULTS.get(cls), **keywords), suffix)


def _single(inputs: list[Tensor]) -> Tensor:
    return inputs[0]


def _need_rank(op: str, t: Tensor, ranks: tuple[int, ...], meaning: str) -> None:
    if len(t.shape) not in ranks:
        raise ShapeError(f"{op} needs input {meaning}, got shape {t}")


def _need_feature_map(op: str, t: Tensor) -> None:
    """Spatial ops read (channels, ...) in PyTorch and (..., channels) in Keras: only a feature
    map (an image input, a conv's output, a reshape with image: true) means the same to both."""
    if t.integer:
        raise ShapeError(f"{op} needs float feature maps, got integer token ids {t}")
    if not t.channels_first:
        raise ShapeError(
            f"{op} needs a channels-first feature map, got a sequence or feature tensor {t} "
            "(PyTorch and Keras would read its axes differently); reshape it with image: true"
        )


def _float_input(op: str):
    """The shape rule of an elementwise op on float inputs (not token ids)."""

    def infer(p: Params, inputs: list[Tensor]) -> Tensor:
        t = inputs[0]
        if t.integer:
            raise ShapeError(
                f"{op} needs float inputs, got integer token ids {t}; embed them first"
            )
        return t

    return infer


def _conv_size(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _pool_stride(p: Params, keyword: str) -> dict[str, int]:
    """Pooling strides default to the window size in both frameworks: spell only others."""
    stride = getattr(p, "stride", None)
    return {keyword: stride} if stride is not None and stride != p.kernel_size else {}


def _module_forward() -> tuple[str, ...]:
    return ("{out} = {self}({x})",)


# ---------------------------------------------------------------- dense layers


class LinearParams(Params):
    out_features: PositiveInt
    in_features: PositiveInt | None = Field(
        default=None, description="optional; checked against the incoming shape"
    )
    bias: bool = True


def _linear_infer(p: LinearParams, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    if t.integer:
        raise ShapeError(
            f"linear needs float features, got integer token ids {t}; add an embedding first"
        )
    if len(t.shape) == 0:
        raise ShapeError("linear needs at least one feature dimension, got a scalar")
    if t.channels_first and len(t.shape) > 1:
        raise ShapeError(f"linear needs (features,), got feature maps {t}; add flatten first")
    got = t.shape[-1]
    if p.in_features is not None and p.in_features != got:
        raise ShapeError(
            f"linear expects {p.in_features} input features (in_features), got shape {t}"
        )
    return Tensor((*t.shape[:-1], p.out_features))


REGISTRY.add_layer(
    LayerOp(
        name="linear",
        stem="fc",
        summary="fully connected layer y = xWᵀ + b",
        params=LinearParams,
        torch_name="nn.Linear",
        keras_name="layers.Dense",
        infer=_linear_infer,
        torch=lambda p, i: TorchCode(
            module=_call("nn.Linear", i[0].shape[-1], p.out_features, bias=p.bias),
            forward=_module_forward(),
        ),
        keras=lambda p, i: KerasCode((_layer("layers.Dense", p.out_features, use_bias=p.bias),)),
        has_weights=True,
        weights=weights.LINEAR,
        aliases=("dense", "fc"),
    )
)


# ---------------------------------------------------------------- convolutions


class ConvParams(Params):
    out_channels: PositiveInt
    kernel_size: PositiveInt
    stride: PositiveInt = 1
    padding: int = NonNegInt
    in_channels: PositiveInt | None = Field(
        default=None, description="optional; checked against the incoming shape"
    )
    bias: bool = True


def _conv_infer(rank: int):
    name = f"conv{rank}d"

    def infer(p: ConvParams, inputs: list[Tensor]) -> Tensor:
        t = _single(inputs)
        meaning = "(channels, length)" if rank == 1 else "(channels, height, width)"
        _need_rank(name, t, (rank + 1,), meaning)
        _need_feature_map(name, t)
        channels, *spatial = t.shape
        if p.in_channels is not None and p.in_channels != channels:
            raise ShapeError(
                f"{name} expects {p.in_channels} input channels (in_channels), got shape {t}"
            )
        out = [_conv_size(s, p.kernel_size, p.stride, p.padding) for s in spatial]
        if min(out) < 1:
            raise ShapeError(
                f"{name} kernel {p.kernel_size} with padding {p.padding} does not fit input {t}; "
                f"it needs spatial size ≥ {p.kernel_size - 2 * p.padding}"
            )
        return Tensor((p.out_channels, *out), channels_first=True)

    return infer


def _keras_padding(p: ConvParams) -> str | None:
    """'valid', 'same', or None when explicit zero padding is needed (EQUIVALENCE §2)."""
    if p.padding == 0:
        return "valid"
    if p.stride == 1 and p.kernel_size % 2 == 1 and p.padding == (p.kernel_size - 1) // 2:
        return "same"
    return None


def _conv_keras(rank: int):
    cls = f"layers.Conv{rank}D"
    pad_cls = f"layers.ZeroPadding{rank}D"

    def keras(p: ConvParams, inputs: list[Tensor]) -> KerasCode:
        padding = _keras_padding(p)
        out = []
        if padding is None:
            out.append(_layer(pad_cls, p.padding, suffix="pad"))
            padding = "valid"
        out.append(
            _layer(
                cls,
                p.out_channels,
                p.kernel_size,
                strides=p.stride,
                padding=padding,
                use_bias=p.bias,
            )
        )
        return KerasCode(tuple(out))

    return keras


def _conv_torch(rank: int):
    cls = f"nn.Conv{rank}d"

    def torch(p: ConvParams, inputs: list[Tensor]) -> TorchCode:
        return TorchCode(
            module=_call(
                cls,
                inputs[0].shape[0],
                p.out_channels,
                kernel_size=p.kernel_size,
                stride=p.stride,
                padding=p.padding,
                bias=p.bias,
            ),
            forward=_module_forward(),
        )

    return torch


for _rank in (1, 2):
    REGISTRY.add_layer(
        LayerOp(
            name=f"conv{_rank}d",
            stem="conv",
            summary=f"{_rank}-D convolution (explicit symmetric zero padding)",
            params=ConvParams,
            torch_name=f"nn.Conv{_rank}d",
            keras_name=f"layers.Conv{_rank}D",
            infer=_conv_infer(_rank),
            torch=_conv_torch(_rank),
            keras=_conv_keras(_rank),
            has_weights=True,
            weights=weights.conv_rule(_rank),
        )
    )


class ConvTransposeParams(Params):
    out_channels: PositiveInt
    kernel_size: PositiveInt
    stride: PositiveInt = 1
    padding: int = NonNegInt
    output_padding: int = NonNegInt
    bias: bool = True

    @model_validator(mode="after")
    def _check(self) -> ConvTransposeParams:
        if self.output_padding >= self.stride:
            raise ValueError("output_padding must be smaller than stride (PyTorch's rule)")
        if self.output_padding > self.padding:
            raise ValueError(
                "output_padding larger than padding has no exact Keras equivalent; "
                "use padding ≥ output_padding"
            )
        return self


def _convt_infer(p: ConvTransposeParams, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    _need_rank("conv_transpose2d", t, (3,), "(channels, height, width)")
    _need_feature_map("conv_transpose2d", t)
    out = [
        (s - 1) * p.stride - 2 * p.padding + p.kernel_size + p.output_padding for s in t.shape[1:]
    ]
    if min(out) < 1:
        raise ShapeError(f"conv_transpose2d padding {p.padding} crops everything of input {t}")
    return Tensor((p.out_channels, *out), channels_first=True)


def _convt_keras(p: ConvTransposeParams, inputs: list[Tensor]) -> KerasCode:
    k, s, pad, op = p.kernel_size, p.stride, p.padding, p.output_padding
    if op == 0 and (k - s) % 2 == 0 and pad == (k - s) // 2:
        return KerasCode(
            (
                _layer(
                    "layers.Conv2DTranspose",
                    p.out_channels,
                    k,
                    strides=s,
                    padding="same",
                    use_bias=p.bias,
                ),
            )
        )
    # Keras's 'valid' makes H*s rows when the kernel is smaller than the stride; PyTorch makes
    # (H-1)*s + k, which Keras gives when output_padding is spelled out.
    extra = {"output_padding": 0} if k < s else {}
    out = [
        _layer(
            "layers.Conv2DTranspose",
            p.out_channels,
            k,
            strides=s,
            padding="valid",
            use_bias=p.bias,
            **extra,
        )
    ]
    if pad:
        crop = ((pad, pad - op), (pad, pad - op))
        out.append(_layer("layers.Cropping2D", crop, suffix="crop"))
    return KerasCode(tuple(out))


REGISTRY.add_layer(
    LayerOp(
        name="conv_transpose2d",
        stem="deconv",
        summary="2-D transposed convolution (padding crops, output_padding extends the end)",
        params=ConvTransposeParams,
        torch_name="nn.ConvTranspose2d",
        keras_name="layers.Conv2DTranspose",
        infer=_convt_infer,
        torch=lambda p, i: TorchCode(
            module=_call(
                "nn.ConvTranspose2d",
                i[0].shape[0],
                p.out_channels,
                kernel_size=p.kernel_size,
                stride=p.stride,
                padding=p.padding,
                output_padding=p.output_padding,
                bias=p.bias,
            ),
            forward=_module_forward(),
        ),
        keras=_convt_keras,
        has_weights=True,
        weights=weights.CONV_TRANSPOSE,
    )
)


# ---------------------------------------------------------------- pooling


class MaxPoolParams(Params):
    kernel_size: PositiveInt = 2
    stride: PositiveInt | None = Field(default=None, description="defaults to kernel_size")


class AvgPoolParams(Params):
    kernel_size: PositiveInt = 2
    stride: PositiveInt | None = Field(default=None, description="defaults to kernel_size")
    padding: int = Field(default=0, ge=0, description="zeros counted in the mean, as PyTorch does")


def _pool_infer(name: str):
    def infer(p: MaxPoolParams | AvgPoolParams, inputs: list[Tensor]) -> Tensor:
        t = _single(inputs)
        _need_rank(name, t, (3,), "(channels, height, width)")
        _need_feature_map(name, t)
        stride = p.stride or p.kernel_size
        pad = getattr(p, "padding", 0)
        if pad * 2 > p.kernel_size:
            raise ShapeError(
                f"{name} padding {pad} must be at most half of kernel_size {p.kernel_size}"
            )
        out = [_conv_size(s, p.kernel_size, stride, pad) for s in t.shape[1:]]
        if min(out) < 1:
            raise ShapeError(
                f"{name} kernel {p.kernel_size} does not fit input {t}; it needs spatial size ≥ {p.kernel_size}"
            )
        return Tensor((t.shape[0], *out), channels_first=True)

    return infer


REGISTRY.add_layer(
    LayerOp(
        name="maxpool2d",
        stem="pool",
        summary="2-D max pooling (no padding)",
        params=MaxPoolParams,
        torch_name="F.max_pool2d",
        keras_name="layers.MaxPooling2D",
        infer=_pool_infer("maxpool2d"),
        torch=lambda p, i: TorchCode(
            forward=(
                "{out} = "
                + _call(
                    "F.max_pool2d",
                    "{x}",
                    p.kernel_size,
                    **_pool_stride(p, "stride"),
                ).replace("'{x}'", "{x}"),
            ),
            imports=("F",),
        ),
        keras=lambda p, i: KerasCode(
            (
                _layer(
                    "layers.MaxPooling2D",
                    pool_size=p.kernel_size,
                    **_pool_stride(p, "strides"),
                ),
            )
        ),
        aliases=("max_pool2d", "maxpool"),
    )
)


def _avgpool_keras(p: AvgPoolParams, inputs: list[Tensor]) -> KerasCode:
    out = []
    if p.padding:
        out.append(_layer("layers.ZeroPadding2D", p.padding, suffix="pad"))
    out.append(
        _layer(
            "layers.AveragePooling2D",
            pool_size=p.kernel_size,
            **_pool_stride(p, "strides"),
        )
    )
    return KerasCode(tuple(out))


REGISTRY.add_layer(
    LayerOp(
        name="avgpool2d",
        stem="avgpool",
        summary="2-D average pooling (padding zeros count toward the mean)",
        params=AvgPoolParams,
        torch_name="F.avg_pool2d",
        keras_name="layers.AveragePooling2D",
        infer=_pool_infer("avgpool2d"),
        torch=lambda p, i: TorchCode(
            forward=(
                "{out} = "
                + _call(
                    "F.avg_pool2d",
                    "{x}",
                    p.kernel_size,
                    **_pool_stride(p, "stride"),
                    padding=p.padding,
                ).replace("'{x}'", "{x}"),
            ),
            imports=("F",),
        ),
        keras=_avgpool_keras,
        aliases=("avg_pool2d", "avgpool"),
    )
)


class NoParams(Params):
    pass


class AdaptivePoolParams(Params):
    output_size: Literal[1] = Field(
        default=1, description="only 1 (global pooling) has a Keras equivalent"
    )


def _global_pool_infer(keep: bool):
    def infer(p: Params, inputs: list[Tensor]) -> Tensor:
        t = _single(inputs)
        _need_rank("global average pooling", t, (3,), "(channels, height, width)")
        _need_feature_map("global average pooling", t)
        if keep:
            return Tensor((t.shape[0], 1, 1), channels_first=True)
        return Tensor((t.shape[0],))

    return infer


REGISTRY.add_layer(
    LayerOp(
        name="global_avg_pool2d",
        stem="gap",
        summary="average over height and width: (C, H, W) → (C,)",
        params=NoParams,
        torch_name="torch.mean",
        keras_name="layers.GlobalAveragePooling2D",
        infer=_global_pool_infer(False),
        torch=lambda p, i: TorchCode(forward=("{out} = {x}.mean(dim=(2, 3))",)),
        keras=lambda p, i: KerasCode((_layer("layers.GlobalAveragePooling2D"),)),
        aliases=("global_average_pooling2d", "gap"),
    )
)

REGISTRY.add_layer(
    LayerOp(
        name="adaptive_avg_pool2d",
        stem="avgpool",
        summary="adaptive average pooling to 1×1: (C, H, W) → (C, 1, 1)",
        params=AdaptivePoolParams,
        torch_name="F.adaptive_avg_pool2d",
        keras_name="layers.GlobalAveragePooling2D(keepdims=True)",
        infer=_global_pool_infer(True),
        torch=lambda p, i: TorchCode(
            forward=("{out} = F.adaptive_avg_pool2d({x}, 1)",), imports=("F",)
        ),
        keras=lambda p, i: KerasCode((_layer("layers.GlobalAveragePooling2D", keepdims=True),)),
    )
)


# ---------------------------------------------------------------- normalization


class BatchNormParams(Params):
    eps: float = Field(default=1e-5, gt=0)
    momentum: float = Field(default=0.1, gt=0, lt=1, description="PyTorch convention")


def _bn_infer(name: str, ranks: tuple[int, ...], meaning: str):
    def infer(p: BatchNormParams, inputs: list[Tensor]) -> Tensor:
        t = _single(inputs)
        _need_rank(name, t, ranks, meaning)
        if len(t.shape) > 1 and not t.channels_first:
            raise ShapeError(f"{name} normalizes channels of feature maps, got a sequence {t}")
        return t

    return infer


for _name, _ranks, _meaning, _torch in (
    ("batchnorm1d", (1, 2), "(features,) or (channels, length)", "nn.BatchNorm1d"),
    ("batchnorm2d", (3,), "(channels, height, width)", "nn.BatchNorm2d"),
):
    REGISTRY.add_layer(
        LayerOp(
            name=_name,
            stem="bn",
            summary="batch normalization with PyTorch's eps and momentum",
            params=BatchNormParams,
            torch_name=_torch,
            keras_name="layers.BatchNormalization",
            infer=_bn_infer(_name, _ranks, _meaning),
            torch=lambda p, i, cls=_torch: TorchCode(
                module=_call(cls, i[0].shape[0], eps=p.eps, momentum=p.momentum),
                forward=_module_forward(),
            ),
            keras=lambda p, i: KerasCode(
                (
                    _layer(
                        "layers.BatchNormalization",
                        epsilon=p.eps,
                        momentum=round(1 - p.momentum, 10),
                    ),
                )
            ),
            has_weights=True,
            weights=weights.BATCHNORM,
        )
    )


class LayerNormParams(Params):
    eps: float = Field(default=1e-5, gt=0)


def _layernorm_infer(p: LayerNormParams, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    if t.channels_first and len(t.shape) > 1:
        raise ShapeError(
            f"layernorm normalizes the last axis of features or sequences, got feature maps {t}"
        )
    if not t.shape:
        raise ShapeError("layernorm needs at least one feature dimension")
    return t


REGISTRY.add_layer(
    LayerOp(
        name="layernorm",
        stem="ln",
        summary="layer normalization over the last axis",
        params=LayerNormParams,
        torch_name="nn.LayerNorm",
        keras_name="layers.LayerNormalization",
        infer=_layernorm_infer,
        torch=lambda p, i: TorchCode(
            module=_call("nn.LayerNorm", i[0].shape[-1], eps=p.eps),
            forward=_module_forward(),
        ),
        keras=lambda p, i: KerasCode((_layer("layers.LayerNormalization", epsilon=p.eps),)),
        has_weights=True,
        weights=weights.LAYERNORM,
        aliases=("layer_norm",),
    )
)


class DropoutParams(Params):
    p: float = Field(default=0.5, ge=0, lt=1)


REGISTRY.add_layer(
    LayerOp(
        name="dropout",
        summary="inverted dropout, active only in training",
        params=DropoutParams,
        torch_name="nn.Dropout",
        keras_name="layers.Dropout",
        infer=lambda p, i: i[0],
        torch=lambda p, i: TorchCode(module=_call("nn.Dropout", p=p.p), forward=_module_forward()),
        keras=lambda p, i: KerasCode((_layer("layers.Dropout", p.p),)),
    )
)


# ---------------------------------------------------------------- shape ops


def _flatten_infer(p: Params, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    size = 1
    for d in t.shape:
        size *= d
    flat_from = t.shape if t.channels_first and len(t.shape) >= 2 else None
    return Tensor((size,), integer=t.integer, flat_from=flat_from)


REGISTRY.add_layer(
    LayerOp(
        name="flatten",
        stem="flatten",
        summary="flatten all but the batch axis (Keras flattens H, W, C order; weights are moved to match)",
        params=NoParams,
        torch_name="torch.flatten",
        keras_name="layers.Flatten",
        infer=_flatten_infer,
        torch=lambda p, i: TorchCode(
            forward=("{out} = torch.flatten({x}, 1)",), imports=("torch",)
        ),
        keras=lambda p, i: KerasCode((_layer("layers.Flatten"),)),
    )
)


class ReshapeParams(Params):
    shape: list[int] = Field(
        min_length=1,
        description="target shape without the batch axis, PyTorch layout; one -1 allowed",
    )
    image: bool = Field(
        default=False,
        description="true when the result is (channels, height, width) feature maps",
    )


def _reshape_infer(p: ReshapeParams, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    size = 1
    for d in t.shape:
        size *= d
    if p.shape.count(-1) > 1 or any(d == 0 or d < -1 for d in p.shape):
        raise ShapeError(f"reshape target {p.shape} may hold positive sizes and at most one -1")
    known = 1
    for d in p.shape:
        if d != -1:
            known *= d
    if -1 in p.shape:
        if size % known:
            raise ShapeError(f"reshape cannot turn {t} ({size} values) into {p.shape}")
        shape = tuple(size // known if d == -1 else d for d in p.shape)
    else:
        if known != size:
            raise ShapeError(
                f"reshape cannot turn {t} ({size} values) into {tuple(p.shape)} ({known} values)"
            )
        shape = tuple(p.shape)
    if p.image and len(shape) not in (2, 3):
        raise ShapeError(f"reshape with image: true needs 2 or 3 target axes, got {shape}")
    return Tensor(shape, channels_first=p.image, integer=t.integer)


def _reshape_keras(p: ReshapeParams, inputs: list[Tensor]) -> KerasCode:
    t = inputs[0]
    out = []
    if t.channels_first and len(t.shape) >= 2:
        order = (len(t.shape), *range(1, len(t.shape)))
        out.append(_layer("layers.Permute", order, suffix="to_channels_first"))
    elif t.flat_from:
        # Keras flattened (*S, C); bring the values back to PyTorch's (C, *S) order first.
        source = Tensor(t.flat_from, channels_first=True)
        order = (len(source.shape), *range(1, len(source.shape)))
        out.append(_layer("layers.Reshape", source.keras_shape, suffix="unflatten"))
        out.append(_layer("layers.Permute", order, suffix="to_channels_first"))
        out.append(_layer("layers.Flatten", suffix="flatten"))
    target = _reshape_infer(p, inputs)
    out.append(_layer("layers.Reshape", target.shape, suffix="reshape" if p.image else ""))
    if p.image:
        order = (*range(2, len(target.shape) + 1), 1)
        out.append(_layer("layers.Permute", order))
    return KerasCode(tuple(out))


REGISTRY.add_layer(
    LayerOp(
        name="reshape",
        summary="reshape (PyTorch layout); Keras permutes around it so values line up",
        params=ReshapeParams,
        torch_name="torch.reshape",
        keras_name="layers.Reshape",
        infer=_reshape_infer,
        torch=lambda p, i: TorchCode(
            forward=(
                "{out} = {x}.reshape({x}.size(0), " + ", ".join(str(d) for d in p.shape) + ")",
            )
        ),
        keras=_reshape_keras,
        aliases=("view",),
    )
)


# ---------------------------------------------------------------- embeddings and recurrent layers


class EmbeddingParams(Params):
    num_embeddings: PositiveInt
    embedding_dim: PositiveInt


def _embedding_infer(p: EmbeddingParams, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    if not t.integer:
        raise ShapeError(f"embedding needs integer token ids, got float features {t}")
    return Tensor((*t.shape, p.embedding_dim))


REGISTRY.add_layer(
    LayerOp(
        name="embedding",
        stem="embedding",
        summary="lookup table of token vectors",
        params=EmbeddingParams,
        torch_name="nn.Embedding",
        keras_name="layers.Embedding",
        infer=_embedding_infer,
        torch=lambda p, i: TorchCode(
            module=_call("nn.Embedding", p.num_embeddings, p.embedding_dim),
            forward=_module_forward(),
        ),
        keras=lambda p, i: KerasCode(
            (_layer("layers.Embedding", p.num_embeddings, p.embedding_dim),)
        ),
        has_weights=True,
        keras_sparse_gradient=True,
        weights=weights.EMBEDDING,
    )
)


class CategoricalEmbeddingParams(Params):
    passthrough: int = Field(ge=0, description="leading columns passed on unchanged")
    sizes: list[PositiveInt] = Field(min_length=1, description="categories per embedded column")
    dims: list[PositiveInt] = Field(min_length=1, description="vector width per embedded column")

    @model_validator(mode="after")
    def _paired(self) -> CategoricalEmbeddingParams:
        if len(self.sizes) != len(self.dims):
            raise ValueError("sizes and dims need one entry per embedded column")
        return self


def _categorical_embedding_infer(p: CategoricalEmbeddingParams, inputs: list[Tensor]) -> Tensor:
    t = _single(inputs)
    want = p.passthrough + len(p.sizes)
    if t.integer or t.channels_first or t.shape != (want,):
        raise ShapeError(
            f"categorical_embedding reads ({want},) float columns (the last {len(p.sizes)} "
            f"holding category codes), got {t}"
        )
    return Tensor((p.passthrough + sum(p.dims),))


# Inserted by the loader in front of the model when data.categorical has `encoding: embedding`
# columns. Both frameworks' model.py define the class (templates/*/defines/).
REGISTRY.add_automatic_layer(
    LayerOp(
        name="categorical_embedding",
        stem="categorical_embedding",
        summary="learned vectors for category-code columns, after the passed-through columns",
        params=CategoricalEmbeddingParams,
        torch_name="CategoricalEmbedding (nn.Embedding per column)",
        keras_name="CategoricalEmbedding (layers.Embedding per column)",
        infer=_categorical_embedding_infer,
        torch=lambda p, i: TorchCode(
            module=f"CategoricalEmbedding({p.passthrough}, sizes={p.sizes!r}, dims={p.dims!r})",
            forward=_module_forward(),
        ),
        keras=lambda p, i: KerasCode(
            (
                (
                    "CategoricalEmbedding",
                    (repr(p.passthrough), f"sizes={p.sizes!r}", f"dims={p.dims!r}"),
                    "",
                ),
            )
        ),
        has_weights=True,
        keras_sparse_gradient=True,
        weights=weights.CATEGORICAL_EMBEDDING,
        defines="categorical_embedding",
    )
)


MAX_STACKED = 100  # num_layers of a recurrent op


class RecurrentParams(Params):
    hidden_size: PositiveInt
    # bounded: the Keras model has one layer per stacked layer, written out in model.py
    num_layers: int = Field(default=1, ge=1, le=MAX_STACKED, description="stacked layers")
    bidirectional: bool = False
    dropout: float = Field(
        default=0.0, ge=0, lt=1, description="between stacked layers, as PyTorch"
    )
    return_sequences: bool = Field(
        default=False, description="all steps (B, T, H) or the last state (B, H)"
    )


def _rnn_infer(name: str):
    def infer(p: RecurrentParams, inputs: list[Tensor]) -> Tensor:
        t = _single(inputs)
        if t.integer:
            raise ShapeError(
                f"{name} needs float sequences, got integer token ids {t}; add an embedding first"
            )
        _need_rank(name, t, (2,), "a sequence (steps, features)")
        if t.channels_first:
            raise ShapeError(f"{name} needs (steps, features), got channel-first feature maps {t}")
        width = p.hidden_size * (2 if p.bidirectional else 1)
        if p.return_sequences:
            return Tensor((t.shape[0], width))
        return Tensor((width,))

    return infer


# PyTorch's LSTM adds two bias vectors (b_ih + b_hh), a redundant pair that trains at twice
# the rate of Keras's single bias. Keeping b_hh at zero and frozen makes the two frameworks
# train the same parameters, without changing what the layer can represent.
_LSTM_SINGLE_BIAS = (
    "# One bias per gate, as in Keras: PyTorch's second (recurrent) bias is redundant.",
    "for name, param in {self}.named_parameters():",
    '    if name.startswith("bias_hh"):',
    "        nn.init.zeros_(param)",
    "        param.requires_grad_(False)",
)


def _rnn_torch(cls: str):
    def torch(p: RecurrentParams, inputs: list[Tensor]) -> TorchCode:
        kwargs: dict[str, object] = {"num_layers": p.num_layers, "batch_first": True}
        if p.bidirectional:
            kwargs["bidirectional"] = True
        if p.dropout:
            kwargs["dropout"] = p.dropout
        module = _call(f"nn.{cls}", inputs[0].shape[-1], p.hidden_size, **kwargs)
        setup = _LSTM_SINGLE_BIAS if cls == "LSTM" else ()
        if p.return_sequences:
            return TorchCode(module=module, forward=("{out}, _ = {self}({x})",), setup=setup)
        state = "h_n" if cls == "GRU" else "(h_n, _)"
        last = "torch.cat((h_n[-2], h_n[-1]), dim=1)" if p.bidirectional else "h_n[-1]"
        return TorchCode(
            module=module,
            forward=("_, " + state + " = {self}({x})", "{out} = " + last),
            imports=("torch",) if p.bidirectional else (),
            setup=setup,
        )

    return torch


def _rnn_keras(cls: str):
    def keras(p: RecurrentParams, inputs: list[Tensor]) -> KerasCode:
        out = []
        for index in range(p.num_layers):
            last = index == p.num_layers - 1
            suffix = "" if last else f"l{index}"
            seq = p.return_sequences or not last
            extra = {"reset_after": True} if cls == "GRU" else {}
            inner = f"layers.{cls}({p.hidden_size}, return_sequences={seq}" + "".join(
                f", {k}={v!r}" for k, v in extra.items()
            )
            if p.bidirectional:
                out.append(("layers.Bidirectional", (inner + ")",), suffix))
            else:
                out.append(
                    _layer(
                        f"layers.{cls}",
                        p.hidden_size,
                        return_sequences=seq,
                        suffix=suffix,
                        **extra,
                    )
                )
            if not last and p.dropout:
                out.append(_layer("layers.Dropout", p.dropout, suffix=f"dropout{index}"))
        return KerasCode(tuple(out))

    return keras


for _name, _cls in (("lstm", "LSTM"), ("gru", "GRU")):
    REGISTRY.add_layer(
        LayerOp(
            name=_name,
            summary=f"stacked {_cls} over (steps, features); last state or all steps",
            params=RecurrentParams,
            torch_name=f"nn.{_cls}",
            keras_name=f"layers.{_cls}",
            infer=_rnn_infer(_name),
            torch=_rnn_torch(_cls),
            keras=_rnn_keras(_cls),
            has_weights=True,
            weights=weights.rnn_rule(_name),
        )
    )


# ---------------------------------------------------------------- activations


def _activation(
    name: str,
    summary: str,
    torch_expr: str,
    keras: KerasCode,
    params: type[Params] = NoParams,
    torch_imports=("F",),
):
    return REGISTRY.add_layer(
        LayerOp(
            name=name,
            summary=summary,
            params=params,
            torch_name=torch_expr.split("(")[0],
            keras_name=keras.layers[0][0],
            infer=_float_input(name),
            torch=lambda p, i: TorchCode(forward=("{out} = " + torch_expr,), imports=torch_imports),
            keras=lambda p, i: keras,
        )
    )


_activation("relu", "max(x, 0)", "F.relu({x})", KerasCode((_layer("layers.ReLU"),)))
_activation(
    "sigmoid",
    "1 / (1 + exp(-x))",
    "torch.sigmoid({x})",
    KerasCode((_layer("layers.Activation", "sigmoid"),)),
    torch_imports=("torch",),
)
_activation(
    "tanh",
    "hyperbolic tangent",
    "torch.tanh({x})",
    KerasCode((_layer("layers.Activation", "tanh"),)),
    torch_imports=("torch",),
)


class LeakyReluParams(Params):
    negative_slope: float = Field(
        default=0.01, ge=0, description="PyTorch's default; Keras's differs"
    )


REGISTRY.add_layer(
    LayerOp(
        name="leaky_relu",
        summary="x if x > 0 else slope·x (slope spelled out on both sides)",
        params=LeakyReluParams,
        torch_name="F.leaky_relu",
        keras_name="layers.LeakyReLU",
        infer=lambda p, i: i[0],
        torch=lambda p, i: TorchCode(
            forward=("{out} = F.leaky_relu({x}, negative_slope=" + repr(p.negative_slope) + ")",),
            imports=("F",),
        ),
        keras=lambda p, i: KerasCode(
            (_layer("layers.LeakyReLU", negative_slope=p.negative_slope),)
        ),
    )
)


class GeluParams(Params):
    approximate: Literal["none"] = Field(
        default="none",
        description="exact GELU; the tanh approximation has no Keras layer",
    )


REGISTRY.add_layer(
    LayerOp(
        name="gelu",
        summary="Gaussian error linear unit (exact form on both sides)",
        params=GeluParams,
        torch_name="F.gelu",
        keras_name="layers.Activation('gelu')",
        infer=lambda p, i: i[0],
        torch=lambda p, i: TorchCode(forward=("{out} = F.gelu({x})",), imports=("F",)),
        keras=lambda p, i: KerasCode((_layer("layers.Activation", "gelu"),)),
    )
)


class SoftmaxParams(Params):
    dim: int = Field(
        default=1,
        description="axis in PyTorch numbering (1 = first axis after the batch)",
    )


def _softmax_infer(name: str):
    def infer(p: SoftmaxParams, inputs: list[Tensor]) -> Tensor:
        t = _single(inputs)
        rank = len(t.shape) + 1
        if not -rank <= p.dim < rank or p.dim in (0, -rank):
            raise ShapeError(
                f"{name} dim {p.dim} is not a feature axis of input {t} (use 1..{rank - 1})"
            )
        return t

    return infer


def keras_axis(t: Tensor, dim: int) -> int:
    """Map a PyTorch axis (batch included) to the Keras axis of the same data."""
    rank = len(t.shape) + 1
    dim = dim % rank
    if t.channels_first and rank >= 3:
        return -1 if dim == 1 else dim - 1
    return dim if dim < rank - 1 else -1


def _log_softmax_infer(p: SoftmaxParams, inputs: list[Tensor]) -> Tensor:
    t = _softmax_infer("log_softmax")(p, inputs)
    if keras_axis(t, p.dim) != -1:
        raise ShapeError(
            f"log_softmax along dim {p.dim} of {t} has no Keras layer; use the feature/channel axis (dim: 1)"
        )
    return t


REGISTRY.add_layer(
    LayerOp(
        name="softmax",
        summary="softmax along one axis",
        params=SoftmaxParams,
        torch_name="F.softmax",
        keras_name="layers.Softmax",
        infer=_softmax_infer("softmax"),
        torch=lambda p, i: TorchCode(
            forward=("{out} = F.softmax({x}, dim=" + str(p.dim) + ")",), imports=("F",)
        ),
        keras=lambda p, i: KerasCode((_layer("layers.Softmax", axis=keras_axis(i[0], p.dim)),)),
    )
)

REGISTRY.add_layer(
    LayerOp(
        name="log_softmax",
        summary="log of softmax along the feature/channel axis",
        params=SoftmaxParams,
        torch_name="F.log_softmax",
        keras_name="layers.Activation('log_softmax')",
        infer=_log_softmax_infer,
        torch=lambda p, i: TorchCode(
            forward=("{out} = F.log_softmax({x}, dim=" + str(p.dim) + ")",),
            imports=("F",),
        ),
        keras=lambda p, i: KerasCode((_layer("layers.Activation", "log_softmax"),)),
    )
)


# ---------------------------------------------------------------- merging (graph models)


def _add_infer(p: Params, inputs: list[Tensor]) -> Tensor:
    first = inputs[0]
    for other in inputs[1:]:
        if other.shape != first.shape:
            raise ShapeError(f"add needs inputs of one shape, got {first} and {other}")
    return first


REGISTRY.add_layer(
    LayerOp(
        name="add",
        summary="element-wise sum of its inputs (residual connections)",
        params=NoParams,
        torch_name="+",
        keras_name="layers.Add",
        infer=_add_infer,
        torch=lambda p, i: TorchCode(forward=("{out} = {plus}",)),
        keras=lambda p, i: KerasCode((_layer("layers.Add"),)),
        min_inputs=2,
        max_inputs=None,
    )
)


class ConcatParams(Params):
    dim: int = Field(default=1, description="axis in PyTorch numbering (1 = channels / features)")


def _concat_infer(p: ConcatParams, inputs: list[Tensor]) -> Tensor:
    first = inputs[0]
    rank = len(first.shape) + 1
    if not -rank <= p.dim < rank or p.dim % rank == 0:
        raise ShapeError(f"concat dim {p.dim} is not a feature axis of {first}")
    axis = p.dim % rank - 1
    total = 0
    for other in inputs:
        if len(other.shape) != len(first.shape) or any(
            a != b
            for k, (a, b) in enumerate(zip(other.shape, first.shape, strict=True))
            if k != axis
        ):
            raise ShapeError(
                f"concat along dim {p.dim} needs matching other axes, got {first} and {other}"
            )
        total += other.shape[axis]
    shape = list(first.shape)
    shape[axis] = total
    return Tensor(tuple(shape), channels_first=first.channels_first)


REGISTRY.add_layer(
    LayerOp(
        name="concat",
        summary="concatenate its inputs along one axis (branching models)",
        params=ConcatParams,
        torch_name="torch.cat",
        keras_name="layers.Concatenate",
        infer=_concat_infer,
        torch=lambda p, i: TorchCode(
            forward=("{out} = torch.cat(({inputs}), dim=" + str(p.dim) + ")",),
            imports=("torch",),
        ),
        keras=lambda p, i: KerasCode((_layer("layers.Concatenate", axis=keras_axis(i[0], p.dim)),)),
        min_inputs=2,
        max_inputs=None,
    )
)
