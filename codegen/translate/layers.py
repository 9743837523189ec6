"""`nn.X(...)` constructors → Keras layers.

Layers that do not care about layout become stock Keras layers with PyTorch's numbers spelled
out (eps, momentum, slopes, init). Channel-first layers (convolutions, pooling, padding, pixel
shuffle, upsampling) and the recurrent layers become prelude layers that take PyTorch's own
arguments, so their call is copied unchanged apart from the class name.
"""

from __future__ import annotations

import libcst as cst

from .context import (
    ISINSTANCE,
    TRAINING_LAYERS,
    Args,
    Ctx,
    Untranslatable,
    code,
    function,
)
from .functions import (
    KERAS_OPS,
    max_pool_rule,
    prelude_call,
    refusing_prelude_call,
    softplus_expression,
)

NN = "torch.nn."

# PyTorch class → prelude class of the same arguments and NCHW layout.
PRELUDE_LAYERS = {
    "Conv1d": "Conv1d",
    "Conv2d": "Conv2d",
    "Conv3d": "Conv3d",
    "ConvTranspose1d": "ConvTranspose1d",
    "ConvTranspose2d": "ConvTranspose2d",
    "ConvTranspose3d": "ConvTranspose3d",
    "MaxPool1d": "MaxPool1d",
    "AvgPool1d": "AvgPool1d",
    "AdaptiveAvgPool1d": "AdaptiveAvgPool1d",
    "AdaptiveMaxPool1d": "AdaptiveMaxPool1d",
    "MaxPool2d": "MaxPool2d",
    "MaxPool3d": "MaxPool3d",
    "AdaptiveAvgPool3d": "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d": "AdaptiveMaxPool3d",
    "AvgPool3d": "AvgPool3d",
    "AvgPool2d": "AvgPool2d",
    "AdaptiveAvgPool2d": "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d": "AdaptiveMaxPool2d",
    "Upsample": "Upsample",
    "Unflatten": "Unflatten",
    "PixelShuffle": "PixelShuffle",
    "PixelUnshuffle": "PixelUnshuffle",
    "PReLU": "PReLU",
    "RReLU": "RReLU",
    "RMSNorm": "RMSNorm",
    "AlphaDropout": "AlphaDropout",
    "FeatureAlphaDropout": "FeatureAlphaDropout",
    "Bilinear": "Bilinear",
    **{
        f"{kind}Pad{dims}d": f"{kind}Pad{dims}d"
        for kind in ("Reflection", "Replication", "Circular", "Zero", "Constant")
        for dims in (1, 2, 3)
    },
    "LogSoftmax": "LogSoftmax",
    "LSTM": "LSTM",
    "GRU": "GRU",
    "RNN": "RNN",
    "LSTMCell": "LSTMCell",
    "GRUCell": "GRUCell",
    "RNNCell": "RNNCell",
    "MultiheadAttention": "MultiheadAttention",
    "TransformerEncoderLayer": "TransformerEncoderLayer",
    "TransformerEncoder": "TransformerEncoder",
    "TransformerDecoderLayer": "TransformerDecoderLayer",
    "TransformerDecoder": "TransformerDecoder",
    "Transformer": "Transformer",
}
TRAINING_LAYERS.update(
    NN + n
    for n in (
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "RReLU",
        "AlphaDropout",
        "FeatureAlphaDropout",
        "MultiheadAttention",
        "TransformerEncoderLayer",
        "TransformerEncoder",
        "TransformerDecoderLayer",
        "TransformerDecoder",
        "Transformer",
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "Sequential",
        "LSTM",
        "GRU",
        "RNN",
    )
)


# Recurrent layers: PyTorch's parameters in order, and what the prelude cannot take.
_RECURRENT_PARAMS = {
    "LSTM": (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
        "device",
        "dtype",
    ),
    "GRU": (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "device",
        "dtype",
    ),
    "RNN": (
        "input_size",
        "hidden_size",
        "num_layers",
        "nonlinearity",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "device",
        "dtype",
    ),
    "LSTMCell": ("input_size", "hidden_size", "bias", "device", "dtype"),
    "GRUCell": ("input_size", "hidden_size", "bias", "device", "dtype"),
}


def _recurrent_rule(name: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, _RECURRENT_PARAMS[name], f"nn.{name}")
        a.refuse("bias", unless=True)  # the prelude's weight transfer needs both biases
        a.refuse("proj_size", unless=0)
        return call.with_changes(func=cst.Name(ctx.use(name)))

    return rule


# Max pools: PyTorch's parameter order (return_indices before ceil_mode), refused indices.
_MAX_POOLS = {
    **{
        f"MaxPool{d}d": (
            "kernel_size",
            "stride",
            "padding",
            "dilation",
            "return_indices",
            "ceil_mode",
        )
        for d in (1, 2, 3)
    },
    **{f"AdaptiveMaxPool{d}d": ("output_size", "return_indices") for d in (1, 2, 3)},
}
for _torch, _prelude in PRELUDE_LAYERS.items():
    if _torch in _RECURRENT_PARAMS:
        function(NN + _torch)(_recurrent_rule(_torch))
    elif _torch in _MAX_POOLS:
        function(NN + _torch)(max_pool_rule(_prelude, _MAX_POOLS[_torch], f"nn.{_torch}"))
    else:
        function(NN + _torch)(prelude_call(_prelude))
    ISINSTANCE[NN + _torch] = _prelude


# PyTorch class → the prelude class a user's subclass of it gets as its base (PyTorch's
# arguments, so the subclass's own `super().__init__(...)` holds).
BASE_CLASSES = {**PRELUDE_LAYERS, "Linear": "TorchLinear"}


def _keras(ctx: Ctx, cls: str, *args: str) -> cst.BaseExpression:
    return ctx.expr(f"keras.layers.{cls}({', '.join(a for a in args if a)})")


@function(NN + "Linear")
def linear(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("in_features", "out_features", "bias", "device", "dtype"), "nn.Linear")
    bias = "" if a.code("bias", "True") == "True" else f"use_bias={a.code('bias')}"
    ctx.use("torch_init")
    return _keras(
        ctx, "Dense", a.code("out_features"), bias, f"**torch_init({a.code('in_features')})"
    )


ISINSTANCE[NN + "Linear"] = "keras.layers.Dense"


_NORM_PARAMS = (
    "num_features",
    "eps",
    "momentum",
    "affine",
    "track_running_stats",
    "device",
    "dtype",
)


def _batchnorm(what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(
            call,
            _NORM_PARAMS,
            what,
        )
        a.refuse("track_running_stats", unless=True)
        momentum = a.literal("momentum", 0.1) if a.is_literal("momentum") else None
        if momentum is None:
            if a.has("momentum"):
                raise Untranslatable(f"{what} momentum=None (cumulative average) has no Keras form")
            momentum = 0.1
        args = [
            "axis=1",
            f"epsilon={a.code('eps', '1e-05')}",
            f"momentum={round(1 - momentum, 10)!r}",
        ]
        if a.has("affine"):
            args += [f"center={a.code('affine')}", f"scale={a.code('affine')}"]
        return _keras(ctx, "BatchNormalization", *args)

    return rule


for _bn in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):  # axis=1 at any rank
    function(NN + _bn)(_batchnorm(f"nn.{_bn}"))
    ISINSTANCE[NN + _bn] = "keras.layers.BatchNormalization"


def _instance_norm(what: str):
    """One group per channel on axis 1: each channel normalised over its own positions, at
    any rank (1d, 2d and 3d alike)."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(
            call,
            _NORM_PARAMS,
            what,
        )
        a.refuse("track_running_stats", unless=False)
        affine = a.code("affine", "False")
        return _keras(
            ctx,
            "GroupNormalization",
            f"groups={a.code('num_features')}",
            "axis=1",
            f"epsilon={a.code('eps', '1e-05')}",
            f"center={affine}",
            f"scale={affine}",
        )

    return rule


for _norm in ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"):
    function(NN + _norm)(_instance_norm(f"nn.{_norm}"))
    ISINSTANCE[NN + _norm] = "keras.layers.GroupNormalization"


@function(NN + "GroupNorm")
def group_norm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(
        call, ("num_groups", "num_channels", "eps", "affine", "device", "dtype"), "nn.GroupNorm"
    )
    affine = a.code("affine", "True")
    args = [f"groups={a.code('num_groups')}", "axis=1", f"epsilon={a.code('eps', '1e-05')}"]
    if affine != "True":
        args += [f"center={affine}", f"scale={affine}"]
    return _keras(ctx, "GroupNormalization", *args)


@function(NN + "LayerNorm")
def layer_norm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(
        call,
        ("normalized_shape", "eps", "elementwise_affine", "bias", "device", "dtype"),
        "nn.LayerNorm",
    )
    shape = a.literal("normalized_shape") if a.is_literal("normalized_shape") else None
    if isinstance(shape, list | tuple) and len(shape) > 1:
        axis = f"axis={list(range(-len(shape), 0))!r}"
    else:
        axis = ""
    args = [axis, f"epsilon={a.code('eps', '1e-05')}"]
    if a.has("elementwise_affine"):
        args += [f"center={a.code('elementwise_affine')}", f"scale={a.code('elementwise_affine')}"]
    return _keras(ctx, "LayerNormalization", *args)


ISINSTANCE[NN + "LayerNorm"] = "keras.layers.LayerNormalization"


@function(NN + "Embedding")
def embedding(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(
        call,
        (
            "num_embeddings",
            "embedding_dim",
            "padding_idx",
            "max_norm",
            "norm_type",
            "scale_grad_by_freq",
            "sparse",
            "_weight",
            "_freeze",
            "device",
            "dtype",
        ),
        "nn.Embedding",
    )
    a.refuse("max_norm", "_weight")
    a.refuse("scale_grad_by_freq", "sparse", unless=False)
    if a.has("padding_idx") and a.code("padding_idx") != "None":
        ctx.note("padding_idx: the row starts as PyTorch's weights say but is not frozen")
    return _keras(
        ctx,
        "Embedding",
        a.code("num_embeddings"),
        a.code("embedding_dim"),
        "embeddings_initializer=keras.initializers.RandomNormal(0.0, 1.0)",
    )


ISINSTANCE[NN + "Embedding"] = "keras.layers.Embedding"


def _dropout(what: str, noise: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("p", "inplace"), what)
        return _keras(ctx, "Dropout", a.code("p", "0.5"), noise)

    return rule


function(NN + "Dropout")(_dropout("nn.Dropout", ""))


def _channel_dropout(what: str, unbatched: str):
    """nn.Dropout1d/2d/3d: Keras's noise_shape fixes the rank (mnist_rnn applies Dropout2d to
    (N, C)), so the prelude's ChannelDropout, which draws per sample and channel at any."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("p", "inplace"), what)
        layer = ctx.use("ChannelDropout")
        return ctx.expr(f"{layer}({a.code('p', '0.5')}{unbatched})")

    return rule


function(NN + "Dropout1d")(_channel_dropout("nn.Dropout1d", ", unbatched=2"))
function(NN + "Dropout2d")(_channel_dropout("nn.Dropout2d", ""))
function(NN + "Dropout3d")(_channel_dropout("nn.Dropout3d", ", unbatched=4"))
ISINSTANCE[NN + "Dropout"] = "keras.layers.Dropout"


def _activation(what: str, text: str, params: tuple[str, ...] = ("inplace",)):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        Args(call, params, what)
        return ctx.expr(text)

    return rule


for _name, _text in {
    "ReLU": "keras.layers.ReLU()",
    "ReLU6": "keras.layers.ReLU(max_value=6.0)",
    "Sigmoid": 'keras.layers.Activation("sigmoid")',
    "Tanh": 'keras.layers.Activation("tanh")',
    "SiLU": 'keras.layers.Activation("silu")',
    "SELU": 'keras.layers.Activation("selu")',
    "Mish": 'keras.layers.Activation("mish")',
    "Hardswish": 'keras.layers.Activation("hard_silu")',
    "Hardsigmoid": 'keras.layers.Activation("hard_sigmoid")',
    "Softsign": 'keras.layers.Activation("softsign")',
    "Identity": "keras.layers.Identity()",
}.items():
    function(NN + _name)(
        _activation(f"nn.{_name}", _text, ("inplace",) if _name != "Identity" else ("args",))
    )


def _keras_op_layer(what: str, params: tuple[str, ...], body) -> None:
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, params, f"nn.{what}")
        return ctx.expr(f"keras.layers.Activation(lambda x: {body(a, 'x')})")

    function(NN + what)(rule)


for _cls, _params, _, _body in KERAS_OPS.values():
    _keras_op_layer(_cls, _params, _body)


@function(NN + "LeakyReLU")
def leaky_relu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("negative_slope", "inplace"), "nn.LeakyReLU")
    return _keras(ctx, "LeakyReLU", f"negative_slope={a.code('negative_slope', '0.01')}")


@function(NN + "ELU")
def elu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("alpha", "inplace"), "nn.ELU")
    return _keras(ctx, "ELU", f"alpha={a.code('alpha', '1.0')}")


@function(NN + "GELU")
def gelu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("approximate",), "nn.GELU")
    approximate = a.literal("approximate", "none")
    return ctx.expr(
        f"keras.layers.Activation(lambda x: keras.activations.gelu(x, approximate={approximate == 'tanh'}))"
    )


@function(NN + "Softplus")
def softplus(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("beta", "threshold"), "nn.Softplus")
    if not a.has("beta") and not a.has("threshold"):
        return ctx.expr('keras.layers.Activation("softplus")')
    return ctx.expr(f"keras.layers.Activation(lambda x: {softplus_expression(a, 'x')})")


@function(NN + "Softmax")
def softmax(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim",), "nn.Softmax")
    return _keras(ctx, "Softmax", f"axis={a.code('dim', '-1')}")


@function(NN + "Softmax2d")
def softmax2d(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "nn.Softmax2d")
    return _keras(ctx, "Softmax", "axis=-3")  # over the channels of (N, C, H, W) or (C, H, W)


def _upsampling(what: str, options: str):
    """nn.UpsamplingNearest2d / UpsamplingBilinear2d: the prelude's Upsample with the mode
    (and the corner alignment) these deprecated classes fix."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("size", "scale_factor"), what)
        sizes = [f"{name}={a.code(name)}" for name in ("size", "scale_factor") if a.has(name)]
        return ctx.expr(f"{ctx.use('Upsample')}({', '.join([*sizes, options])})")

    return rule


function(NN + "UpsamplingNearest2d")(_upsampling("nn.UpsamplingNearest2d", 'mode="nearest"'))
function(NN + "UpsamplingBilinear2d")(
    _upsampling("nn.UpsamplingBilinear2d", 'mode="bilinear", align_corners=True')
)


@function(NN + "Flatten")
def flatten(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("start_dim", "end_dim"), "nn.Flatten")
    a.refuse("start_dim", unless=1)
    a.refuse("end_dim", unless=-1)
    # The layout strategy keeps tensors NCHW, so Keras's Flatten gives PyTorch's C, H, W order.
    return ctx.expr("keras.layers.Flatten()")


@function(NN + "Sequential")
def sequential(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """nn.Sequential(a, b, *rest) → keras.Sequential([a, b, *rest]), comments kept."""
    args = list(call.args)
    ctx.imports.add("keras")
    func = cst.Attribute(value=cst.Name("keras"), attr=cst.Name("Sequential"))
    if not args:  # an empty Sequential returns its input; Keras cannot call an empty one
        return ctx.expr("keras.layers.Identity()")
    if len(args) == 1 and args[0].star == "*":
        return cst.Call(func=func, args=[cst.Arg(value=args[0].value)])
    if len(args) == 1 and _ordered_dict(args[0].value):
        ordered = args[0].value
        ctx.note("OrderedDict names dropped; the layers keep their order")
        pairs = _named_layers(ordered)  # type: ignore[arg-type]
        if pairs is None:  # not a literal list: keep the OrderedDict, take its values
            return ctx.expr(f"keras.Sequential(list({code(ordered)}.values()))")
        ctx.dropped.add(code(ordered.func))  # type: ignore[attr-defined]
        elements = [cst.Element(value=layer) for layer in pairs]
        return cst.Call(func=func, args=[cst.Arg(value=cst.List(elements=elements))])
    if any(a.keyword is not None or a.star == "**" for a in args):
        raise Untranslatable("nn.Sequential takes modules only")
    elements: list[cst.BaseElement] = []
    for arg in args:
        comma = arg.comma
        if arg.star == "*":
            elements.append(cst.StarredElement(value=arg.value, comma=comma))
        else:
            elements.append(cst.Element(value=arg.value, comma=comma))
    listed = cst.List(
        elements=elements, lbracket=cst.LeftSquareBracket(call.whitespace_before_args)
    )
    return cst.Call(func=func, args=[cst.Arg(value=listed)])


def _ordered_dict(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and code(node.func).endswith("OrderedDict")


def _named_layers(call: cst.Call) -> list[cst.BaseExpression] | None:
    """The layers of `OrderedDict([("name", layer), ...])`, in order; None when the pairs are
    not written out."""
    if len(call.args) != 1 or not isinstance(call.args[0].value, cst.List | cst.Tuple):
        return None
    out = []
    for element in call.args[0].value.elements:  # type: ignore[union-attr]
        pair = element.value
        if not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
            raise Untranslatable("nn.Sequential(OrderedDict(...)) entries must be (name, layer)")
        out.append(pair.elements[1].value)
    return out


ISINSTANCE[NN + "Sequential"] = "keras.Sequential"


@function(NN + "ModuleList")
def module_list(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """nn.ModuleList([...]) → a Python list (Keras tracks layers held in lists)."""
    if not call.args:
        return cst.List(elements=[])
    if len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        value = call.args[0].value
        if isinstance(value, cst.List | cst.ListComp):
            return value
        return cst.Call(func=cst.Name("list"), args=[cst.Arg(value=value)])
    raise Untranslatable("nn.ModuleList takes one iterable of modules")


@function(NN + "ModuleDict")
def module_dict(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    if not call.args:
        return cst.Dict(elements=[])
    return cst.Call(func=cst.Name("dict"), args=[cst.Arg(value=call.args[0].value)])


function(NN + "EmbeddingBag")(
    refusing_prelude_call(
        "EmbeddingBag",
        (
            "num_embeddings",
            "embedding_dim",
            "max_norm",
            "norm_type",
            "scale_grad_by_freq",
            "mode",
            "sparse",
            "_weight",
            "include_last_offset",
            "padding_idx",
        ),
        "nn.EmbeddingBag",
        {"max_norm": None, "_weight": None, "scale_grad_by_freq": False},
    )
)
ISINSTANCE[NN + "EmbeddingBag"] = "EmbeddingBag"
