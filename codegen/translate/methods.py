"""Tensor methods (`x.view(...)`, `x.size(0)`, `x.mean(dim=1)`, ...) → TensorFlow functions.

A method rule sees the call `receiver.name(args)`; the receiver is any expression. Methods that
only move a tensor between devices or change nothing in TensorFlow (`.to`, `.cpu`,
`.contiguous`, `.eval`, `.train`) return the receiver itself.
"""

from __future__ import annotations

import libcst as cst

from .context import Args, Ctx, Untranslatable, code, method, simple
from .functions import (
    DTYPES,
    SPARSE_NOTE,
    argmax_text,
    clamp_text,
    flatten_expr,
    is_parameter,
    max_min_text,
    reduction_text,
    std_var_text,
    triangle_text,
)

# In-place methods (`x.add_(y)`), translated out of place: TensorFlow tensors are immutable. As
# a statement of their own, `x.clamp_(min=0)` becomes `x = tf.clip_by_value(...)`
# (transformer.py); used as a value, they are the out-of-place result.
IN_PLACE: set[str] = set()


def _with_in_place(*names: str) -> tuple[str, ...]:
    IN_PLACE.update(f"{name}_" for name in names)
    return (*names, *(f"{name}_" for name in names))


def _receiver(call: cst.Call) -> cst.BaseExpression:
    assert isinstance(call.func, cst.Attribute)
    return call.func.value


def _sizes(call: cst.Call) -> str:
    """view(2, -1) / view((2, -1)) / view(*shape) → one shape source."""
    args = list(call.args)
    if any(a.keyword is not None for a in args):
        raise Untranslatable("keyword arguments to view/reshape")
    if len(args) == 1 and args[0].star == "*":
        return code(args[0].value)
    if len(args) == 1:
        return code(args[0].value)
    if any(a.star for a in args):
        raise Untranslatable("view/reshape with *sizes among other sizes")
    return "(" + ", ".join(code(a.value) for a in args) + ")"


@method("view", "reshape")
def view(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    x = code(_receiver(call))
    if len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        only = code(call.args[0].value)
        if only.lstrip("-").isdigit():
            return ctx.expr(f"tf.reshape({x}, ({only},))")
        if only in DTYPES or only.startswith("torch."):
            raise Untranslatable("view(dtype) reinterprets bits; it has no translation")
    return ctx.expr(f"tf.reshape({x}, {_sizes(call)})")


@method("view_as", "reshape_as")
def view_as(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("other",), "Tensor.view_as")
    return ctx.expr(f"tf.reshape({code(_receiver(call))}, tf.shape({a.code('other')}))")


@method("size")
def size(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim",), "Tensor.size")
    x = code(_receiver(call))
    if not a.has("dim"):
        return ctx.expr(f"{x}.shape")
    dim = a.code("dim")
    # the batch axis is often unknown until run time; the others are static
    if dim == "0":
        return ctx.expr(f"tf.shape({x})[0]")
    return ctx.expr(f"{x}.shape[{dim}]")


@method("dim", "ndimension")
def dim(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.dim")
    return ctx.expr(f"len({code(_receiver(call))}.shape)")


@method("numel", "nelement")
def numel(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.numel")
    return ctx.expr(f"int(tf.size({code(_receiver(call))}))")


@method("flatten")
def flatten(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("start_dim", "end_dim"), "Tensor.flatten")
    return flatten_expr(ctx, _receiver(call), a.code("start_dim", "0"), a.code("end_dim", "-1"))


@method("permute")
def permute(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    return ctx.expr(f"tf.transpose({code(_receiver(call))}, {_sizes(call)})")


@method("transpose", "swapaxes")
def transpose(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim0", "dim1"), "Tensor.transpose")
    ctx.use("swapaxes")
    return ctx.expr(f"swapaxes({code(_receiver(call))}, {a.code('dim0')}, {a.code('dim1')})")


@method("t")
def t(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.t")
    return ctx.expr(f"tf.transpose({code(_receiver(call))})")


@method("squeeze")
def squeeze(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim",), "Tensor.squeeze")
    axis = f", axis={a.code('dim')}" if a.has("dim") else ""
    return ctx.expr(f"tf.squeeze({code(_receiver(call))}{axis})")


@method("unsqueeze")
def unsqueeze(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim",), "Tensor.unsqueeze")
    return ctx.expr(f"tf.expand_dims({code(_receiver(call))}, {a.code('dim')})")


BOOLEAN = (
    "tf.equal(",
    "tf.not_equal(",
    "tf.greater(",
    "tf.less(",
    "tf.greater_equal(",
    "tf.less_equal(",
)


def _reduce(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("dim", "keepdim", "dtype"), what)
        x = code(_receiver(call))
        comparison = isinstance(_receiver(call), cst.Comparison) or x.startswith(BOOLEAN)
        if comparison and tf_name in ("tf.reduce_sum", "tf.reduce_mean"):
            # PyTorch counts True as 1; TensorFlow does not add booleans
            x = f"tf.cast({x}, {'tf.int64' if tf_name == 'tf.reduce_sum' else 'tf.float32'})"
        return ctx.expr(reduction_text(tf_name, x, a))

    return rule


for _name, _tf in {
    "mean": "tf.reduce_mean",
    "sum": "tf.reduce_sum",
    "prod": "tf.reduce_prod",
    "amax": "tf.reduce_max",
    "amin": "tf.reduce_min",
    "logsumexp": "tf.reduce_logsumexp",
}.items():
    method(_name)(_reduce(_tf, f"Tensor.{_name}"))


def _max_min(tf_reduce: str, tf_arg: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("dim", "keepdim"), what)
        return ctx.expr(max_min_text(tf_reduce, tf_arg, _receiver(call), a, what, ctx))

    return rule


method("max")(_max_min("tf.reduce_max", "tf.argmax", "Tensor.max"))
method("min")(_max_min("tf.reduce_min", "tf.argmin", "Tensor.min"))


@method("std", "var")
def std(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim", "unbiased", "keepdim", "correction"), "Tensor.std")
    which = "std" if code(call.func).endswith("std") else "var"
    return ctx.expr(std_var_text(which, code(_receiver(call)), a, ctx))


@method("argmax", "argmin")
def argmax(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim", "keepdim"), "Tensor.argmax")
    name = "tf.argmax" if code(call.func).endswith("argmax") else "tf.argmin"
    return ctx.expr(argmax_text(name, code(_receiver(call)), a))


def _cast(dtype: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        Args(call, ("memory_format",), "Tensor cast")
        return ctx.expr(f"tf.cast({code(_receiver(call))}, {dtype})")

    return rule


def module_dtype(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """`model.double()` / `.float()` / `.half()` on a module (transformer: a model or layer
    the file made): its layers compute in, and make their weights in, that dtype."""
    Args(call, (), "Module cast")
    name = code(call.func).rsplit(".", 1)[-1]  # type: ignore[attr-defined]
    dtype = {"double": "float64", "float": "float32", "half": "float16"}[name]
    return ctx.expr(f'{ctx.use("module_dtype")}({code(_receiver(call))}, "{dtype}")')


for _name, _dtype in {
    "float": "tf.float32",
    "double": "tf.float64",
    "half": "tf.float16",
    "long": "tf.int64",
    "int": "tf.int32",
    "bool": "tf.bool",
}.items():
    method(_name)(_cast(_dtype))


@method("type_as")
def type_as(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("other",), "Tensor.type_as")
    return ctx.expr(f"tf.cast({code(_receiver(call))}, {a.code('other')}.dtype)")


@method("to", "cpu", "cuda", "contiguous", "eval", "train", "requires_grad_", "share_memory_")
def to(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """Device moves and train/eval switches: TensorFlow places tensors itself and Keras takes
    `training=` per call, so the receiver itself is the result (`.to(dtype)` casts)."""
    if code(call.func).endswith(".to"):
        for arg in call.args:
            text = code(arg.value)
            if arg.keyword is not None and arg.keyword.value != "dtype":
                continue
            dtype = DTYPES.get(text.removeprefix("torch.")) if text.startswith("torch.") else None
            if dtype or text.startswith("tf."):
                return ctx.expr(f"tf.cast({code(_receiver(call))}, {dtype or text})")
    return _receiver(call)


@method("to_sparse", "to_dense", "coalesce")
def to_sparse(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """Sparse tensors are held dense in the translation (functions.SPARSE_NOTE)."""
    Args(call, (), "Tensor." + code(call.func).rsplit(".", 1)[-1])
    ctx.note(SPARSE_NOTE)
    return _receiver(call)


@method("detach")
def detach(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.detach")
    return ctx.expr(f"tf.stop_gradient({code(_receiver(call))})")


@method("clone")
def clone(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, ("memory_format",), "Tensor.clone")
    return ctx.expr(f"tf.identity({code(_receiver(call))})")


@method("item")
def item(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.item")
    return ctx.expr(f"{code(_receiver(call))}.numpy().item()")


@method("tolist")
def tolist(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.tolist")
    return ctx.expr(f"{code(_receiver(call))}.numpy().tolist()")


def _any_value(name: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        Args(call, (), f"Tensor.{name}")
        ctx.note("np.asarray: the receiver may be a tensor or a numpy value")
        return ctx.expr(f"np.asarray({code(_receiver(call))}).{name}()")

    return rule


# Methods that numpy values share with tensors, under the same name and meaning, but which a
# TensorFlow tensor only reaches through `.numpy()` (a numpy value has no `.numpy()`). On a
# receiver not known to be a tensor, `np.asarray(x).item()` is right for either.
VALUE_METHODS = {name: _any_value(name) for name in ("item", "tolist")}


def _unary(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        Args(call, (), what)
        return ctx.expr(f"{tf_name}({code(_receiver(call))})")

    return rule


for _name, _tf in {
    "exp": "tf.exp",
    "log": "tf.math.log",
    "sqrt": "tf.sqrt",
    "abs": "tf.abs",
    "neg": "tf.negative",
    "sign": "tf.sign",
    "floor": "tf.floor",
    "ceil": "tf.math.ceil",
    "round": "tf.round",
    "sigmoid": "tf.sigmoid",
    "tanh": "tf.tanh",
    "relu": "tf.nn.relu",
    "log1p": "tf.math.log1p",
    "cos": "tf.cos",
    "sin": "tf.sin",
}.items():
    method(*_with_in_place(_name))(_unary(_tf, f"Tensor.{_name}"))


@method(*_with_in_place("bernoulli"))
def bernoulli(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """`x.bernoulli_(p)`: ones with probability p (the receiver gives shape and dtype);
    `x.bernoulli()`: ones with probability x, elementwise."""
    a = Args(call, ("p", "generator"), "Tensor.bernoulli")
    a.refuse("generator", unless=None)
    x = code(_receiver(call))
    p = a.code("p") if a.has("p") else x
    return ctx.expr(f"tf.cast(tf.random.uniform(tf.shape({x})) < {p}, {x}.dtype)")


def _binary(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("other",), what)
        return ctx.expr(f"{tf_name}({code(_receiver(call))}, {a.code('other')})")

    return rule


for _name, _tf in {
    "eq": "tf.equal",
    "ne": "tf.not_equal",
    "gt": "tf.greater",
    "ge": "tf.greater_equal",
    "lt": "tf.less",
    "le": "tf.less_equal",
    "matmul": "tf.matmul",
    "mm": "tf.matmul",
    "bmm": "tf.matmul",
}.items():
    method(_name)(_binary(_tf, f"Tensor.{_name}"))
method(*_with_in_place("pow"))(_binary("tf.pow", "Tensor.pow"))


def _arithmetic(tf_name: str, what: str, alpha: bool):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(
            call, ("other", "alpha", "rounding_mode") if alpha else ("other", "rounding_mode"), what
        )
        a.refuse("rounding_mode", unless=None)
        other = a.code("other")
        if alpha and a.has("alpha"):
            other = f"{a.code('alpha')} * {other}"
        return ctx.expr(f"{tf_name}({code(_receiver(call))}, {other})")

    return rule


# `seen.add(x)` (a set) and `pattern.sub(...)` (a compiled regex) share these names: plain `add`
# and `sub` are translated only where the receiver is surely a tensor (transformer.py); their
# in-place forms are unambiguous.
AMBIGUOUS = frozenset({"add", "sub", "split"})  # a set's add, a regex's sub, a string's split
for _names, _tf, _alpha in (
    (("add",), "tf.add", True),
    (("sub", "subtract"), "tf.subtract", True),
    (("mul", "multiply"), "tf.multiply", False),
    (("div", "divide", "true_divide"), "tf.divide", False),
):
    method(*_with_in_place(*_names))(_arithmetic(_tf, f"Tensor.{_names[0]}", _alpha))


def _layer_weight(call: cst.Call, ctx: Ctx) -> tuple[str, str] | None:
    """`m.weight.data.normal_(0, 0.02)` (a layer's weight or bias, the old init idiom) →
    (m, "weight"): the layer's initializer is set (prelude set_initializer). A module's own
    nn.Parameter (`self.weight`) is a Variable and is assigned instead."""
    target = _receiver(call)
    if not (isinstance(target, cst.Attribute) and target.attr.value == "data"):
        return None
    weight = target.value
    if not (isinstance(weight, cst.Attribute) and weight.attr.value in ("weight", "bias")):
        return None
    if is_parameter(weight, ctx):
        return None
    return code(weight.value), weight.attr.value


def _initializer(call: cst.Call, ctx: Ctx, initializer: str) -> cst.BaseExpression | None:
    found = _layer_weight(call, ctx) if code(call.func).endswith("_") else None
    if found is None:
        return None
    owner, which = found
    return ctx.expr(f'{ctx.use("set_initializer")}({owner}, "{which}", {initializer})')


@method(*_with_in_place("fill"))
def fill(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("value",), "Tensor.fill_")
    value = a.code("value")
    return _initializer(call, ctx, f"keras.initializers.Constant({value})") or ctx.expr(
        f"tf.zeros_like({code(_receiver(call))}) + {value}"
    )


@method(*_with_in_place("zero"))
def zero(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Tensor.zero_")
    return _initializer(call, ctx, "keras.initializers.Zeros()") or ctx.expr(
        f"tf.zeros_like({code(_receiver(call))})"
    )


# In-place initialisers (`w.data.uniform_(-s, s)`): the values drawn (or copied) in the
# tensor's shape and dtype; as a statement on a parameter, `w.assign(...)` (transformer.py).
IN_PLACE.update(("uniform_", "normal_", "copy_"))


def _drawn(name: str, params: tuple[str, str], defaults: tuple[str, str], keras: str, tf_name: str):
    """`x.uniform_(a, b)` / `x.normal_(mean, std)`: a layer weight's initializer (the old
    init idiom), else the values drawn in x's shape and dtype."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, (*params, "generator"), f"Tensor.{name}")
        a.refuse("generator", unless=None)
        x = code(_receiver(call))
        first, second = (a.code(p, d) for p, d in zip(params, defaults, strict=True))
        made = f"keras.initializers.{keras}({first}, {second})"
        return _initializer(call, ctx, made) or ctx.expr(
            f"{tf_name}(tf.shape({x}), {first}, {second}, {x}.dtype)"
        )

    return rule


method("uniform_")(
    _drawn("uniform_", ("from", "to"), ("0.0", "1.0"), "RandomUniform", "tf.random.uniform")
)
method("normal_")(
    _drawn("normal_", ("mean", "std"), ("0.0", "1.0"), "RandomNormal", "tf.random.normal")
)


@method("copy_")
def copy_(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("src", "non_blocking"), "Tensor.copy_")
    x = code(_receiver(call))
    return ctx.expr(f"tf.broadcast_to(tf.cast({a.code('src')}, {x}.dtype), tf.shape({x}))")


@method("softmax", "log_softmax")
def softmax(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("dim",), "Tensor.softmax")
    name = code(call.func).rsplit(".", 1)[-1]
    return ctx.expr(f"tf.nn.{name}({code(_receiver(call))}, axis={a.code('dim', '-1')})")


@method(*_with_in_place("clamp", "clip"))
def clamp(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("min", "max"), "Tensor.clamp")
    return ctx.expr(clamp_text(code(_receiver(call)), a))


@method(*_with_in_place("masked_fill"))
def masked_fill(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("mask", "value"), "Tensor.masked_fill")
    x = code(_receiver(call))
    return ctx.expr(
        f"tf.where({a.code('mask')}, tf.cast({a.code('value')}, {x}.dtype), {x})"
        if simple(_receiver(call))
        else f"tf.where({a.code('mask')}, {a.code('value')}, {x})"
    )


@method("chunk")
def chunk(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("chunks", "dim"), "Tensor.chunk")
    return ctx.expr(
        f"tf.split({code(_receiver(call))}, {a.code('chunks')}, axis={a.code('dim', '0')})"
    )


@method("repeat")
def repeat(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    return ctx.expr(f"tf.tile({code(_receiver(call))}, {_sizes(call)})")


@method("expand")
def expand(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    sizes = _sizes(call)
    if "-1" in sizes:
        raise Untranslatable("expand with -1 sizes")
    return ctx.expr(f"tf.broadcast_to({code(_receiver(call))}, {sizes})")


def _triangle(which: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("diagonal",), f"Tensor.{which}")
        return ctx.expr(triangle_text(which, code(_receiver(call)), a))

    return rule


for _name in ("tril", "triu"):
    method(*_with_in_place(_name))(_triangle(_name))
