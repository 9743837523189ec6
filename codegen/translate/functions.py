"""`torch.X(...)`, `F.X(...)` and `nn.init.X_(...)` calls → TensorFlow.

The layout strategy keeps every tensor in PyTorch's layout, so `dim=` arguments become `axis=`
with the same number. Channel-first functional ops call prelude functions with PyTorch's
arguments.
"""

from __future__ import annotations

import libcst as cst

from .context import (
    ATTRIBUTES,
    FUNCTIONS,
    Args,
    Ctx,
    Untranslatable,
    code,
    function,
    grouped,
    simple,
    with_comma,
)

F = "torch.nn.functional."
INIT = "torch.nn.init."

DTYPES = {
    "float32": "tf.float32",
    "float": "tf.float32",
    "float64": "tf.float64",
    "double": "tf.float64",
    "float16": "tf.float16",
    "half": "tf.float16",
    "bfloat16": "tf.bfloat16",
    "int64": "tf.int64",
    "long": "tf.int64",
    "int32": "tf.int32",
    "int": "tf.int32",
    "int16": "tf.int16",
    "int8": "tf.int8",
    "uint8": "tf.uint8",
    "bool": "tf.bool",
}
ATTRIBUTES.update({f"torch.{k}": v for k, v in DTYPES.items()})
ATTRIBUTES.update({"torch.Tensor": "tf.Tensor", "torch.pi": "np.pi"})


def _dtype(a: Args, name: str = "dtype") -> str:
    """A dtype argument as TensorFlow source ('' when absent)."""
    if not a.has(name):
        return ""
    text = a.code(name)
    for key, value in DTYPES.items():
        if text in (f"torch.{key}", key):
            return value
    return text  # already translated (x.dtype, tf.float32)


def _shape(call: cst.Call, a_first: int = 0) -> str:
    """Size arguments `(2, 3)` or `2, 3` as one tuple source."""
    sizes = [arg for arg in call.args[a_first:] if arg.keyword is None]
    if len(sizes) == 1 and not sizes[0].star and not isinstance(sizes[0].value, cst.Integer):
        return code(sizes[0].value)  # a shape (TensorFlow's random ops refuse a bare int)
    if any(arg.star for arg in sizes):
        raise Untranslatable("sizes given with * cannot be translated")
    return (
        "(" + ", ".join(code(arg.value) for arg in sizes) + ("," if len(sizes) == 1 else "") + ")"
    )


def _keywords(call: cst.Call) -> dict[str, str]:
    return {arg.keyword.value: code(arg.value) for arg in call.args if arg.keyword is not None}


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


# ---------------------------------------------------------------- tensor creation


def _creation(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        keywords = _keywords(call)
        unknown = set(keywords) - {"dtype", "device", "requires_grad", "generator", "size"}
        if unknown:
            raise Untranslatable(f"{what} argument {sorted(unknown)[0]}= has no translation")
        shape = _shape(call)
        sizes = [arg for arg in call.args if arg.keyword is None]
        if (
            tf_name.startswith("tf.random")
            and len(sizes) == 1
            and not sizes[0].star
            and not isinstance(sizes[0].value, cst.Integer | cst.Tuple | cst.List)
        ):  # `torch.randn(n)`: n may be an int, which TensorFlow's random ops refuse
            shape = f"{ctx.use('as_shape')}({shape})"
        if "size" in keywords:  # torch.empty(size=(2, 3))
            if shape != "()":
                raise Untranslatable(f"{what} with sizes given twice")
            shape = keywords["size"]
        dtype = ""
        if "dtype" in keywords:
            dtype = "dtype=" + DTYPES.get(
                keywords["dtype"].removeprefix("torch."), keywords["dtype"]
            )
        if "generator" in keywords:  # a tf.random.Generator (translated from torch.Generator)
            method = {"tf.random.normal": "normal", "tf.random.uniform": "uniform"}.get(tf_name)
            if method is None:
                raise Untranslatable(f"{what} with a generator")
            return ctx.expr(f"{keywords['generator']}.{method}({_join(shape, dtype)})")
        return ctx.expr(f"{tf_name}({_join(shape, dtype)})")

    return rule


function("torch.zeros")(_creation("tf.zeros", "torch.zeros"))
function("torch.ones")(_creation("tf.ones", "torch.ones"))
function("torch.empty")(_creation("tf.zeros", "torch.empty"))
function("torch.randn")(_creation("tf.random.normal", "torch.randn"))
function("torch.rand")(_creation("tf.random.uniform", "torch.rand"))


def _like(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "dtype", "device", "requires_grad", "memory_format"), what)
        x = a.code("input")
        dtype = _dtype(a)
        if tf_name.startswith("tf.random"):
            return ctx.expr(f"{tf_name}(tf.shape({x}), dtype={dtype or x + '.dtype'})")
        return ctx.expr(f"{tf_name}({_join(x, 'dtype=' + dtype if dtype else '')})")

    return rule


function("torch.zeros_like")(_like("tf.zeros_like", "torch.zeros_like"))
function("torch.ones_like")(_like("tf.ones_like", "torch.ones_like"))
function("torch.randn_like")(_like("tf.random.normal", "torch.randn_like"))
function("torch.rand_like")(_like("tf.random.uniform", "torch.rand_like"))


@function("torch.full")
def full(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("size", "fill_value", "dtype", "device", "requires_grad"), "torch.full")
    dtype = _dtype(a)
    value = a.code("fill_value")
    return ctx.expr(
        f"tf.fill({a.code('size')}, {f'tf.constant({value}, {dtype})' if dtype else value})"
    )


@function("torch.tensor", "torch.as_tensor", "torch.from_numpy")
def tensor(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("data", "dtype", "device", "requires_grad"), "torch.tensor")
    return ctx.expr(f"tf.constant({_join(a.code('data'), _dtype(a))})")


# The legacy typed constructors: `torch.FloatTensor([1, 2])` holds data, `torch.FloatTensor(2, 3)`
# is an (uninitialized) tensor of that size.
LEGACY_TENSORS = {
    "torch.Tensor": "tf.float32",
    "torch.FloatTensor": "tf.float32",
    "torch.DoubleTensor": "tf.float64",
    "torch.HalfTensor": "tf.float16",
    "torch.LongTensor": "tf.int64",
    "torch.IntTensor": "tf.int32",
    "torch.ShortTensor": "tf.int16",
    "torch.CharTensor": "tf.int8",
    "torch.ByteTensor": "tf.uint8",
    "torch.BoolTensor": "tf.bool",
}
_SIZE_CALLS = ("len", "int", "max", "min", "sum", "round")


@function(*LEGACY_TENSORS)
def legacy_tensor(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """Data (a list, a tuple, an array made by a call) → tf.constant; sizes (int literals,
    or more than one argument) → tf.zeros (PyTorch leaves them uninitialized). A single name
    could be either: the prelude's legacy_tensor tells them apart when the code runs."""
    name = ctx.called  # torch.X, or X imported from torch (`from torch import Tensor as T`)
    dtype = LEGACY_TENSORS[name]
    if any(arg.keyword is not None or arg.star for arg in call.args):
        raise Untranslatable(f"{name} with keyword or starred arguments")
    values = [arg.value for arg in call.args]
    if not values:
        return ctx.expr(f"tf.zeros((0,), {dtype})")
    if len(values) > 1 or isinstance(values[0], cst.Integer):
        return ctx.expr(f"tf.zeros(({', '.join(code(v) for v in values)},), {dtype})")
    data = values[0]
    is_size_call = isinstance(data, cst.Call) and code(data.func) in _SIZE_CALLS
    if isinstance(data, cst.List | cst.Tuple | cst.ListComp) or (
        isinstance(data, cst.Call) and not is_size_call
    ):
        return ctx.expr(f"tf.constant({code(data)}, {dtype})")
    # a name or an expression: a size if it holds an int when the code runs, as PyTorch decides
    return ctx.expr(f"{ctx.use('legacy_tensor')}({code(data)}, {dtype})")


@function("torch.autograd.Variable")
def variable(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The old autograd wrapper: the tensor itself; a leaf that requires grad → tf.Variable
    (what a GradientTape watches)."""
    a = Args(call, ("data", "requires_grad", "volatile"), "torch.autograd.Variable")
    if a.literal("requires_grad", False) is True:
        return ctx.expr(f"tf.Variable({a.code('data')})")
    return grouped(a.values["data"])


@function("torch.arange")
def arange(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    keywords = _keywords(call)
    positional = [code(arg.value) for arg in call.args if arg.keyword is None]
    dtype = ""
    if "dtype" in keywords:
        dtype = "dtype=" + DTYPES.get(keywords["dtype"].removeprefix("torch."), keywords["dtype"])
    return ctx.expr(f"tf.range({_join(*positional, dtype)})")


@function("torch.randint")
def randint(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    positional = [code(arg.value) for arg in call.args if arg.keyword is None]
    keywords = _keywords(call)
    values = [*positional, *(keywords[k] for k in ("low", "high", "size") if k in keywords)]
    unknown = set(keywords) - {"low", "high", "size", "generator", "dtype", "device"}
    if unknown or len(values) not in (2, 3):
        raise Untranslatable("torch.randint needs (low, high, size) or (high, size)")
    low, high, size = values if len(values) == 3 else ("0", *values)
    if "low" in keywords and "high" not in keywords:
        raise Untranslatable("torch.randint with low= but no high=")
    dtype = "tf.int64"
    if "dtype" in keywords:
        dtype = DTYPES.get(keywords["dtype"].removeprefix("torch."), keywords["dtype"])
    source = f"{keywords['generator']}.uniform" if "generator" in keywords else "tf.random.uniform"
    return ctx.expr(f"{source}({size}, {low}, {high}, dtype={dtype})")


@function("torch.manual_seed", "torch.random.manual_seed")
def manual_seed(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("seed",), "torch.manual_seed")
    return ctx.expr(f"keras.utils.set_random_seed({a.code('seed')})")


@function("torch.device")
def device(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("type", "index"), "torch.device")
    return grouped(a.values["type"])


@function("torch.cuda.manual_seed", "torch.cuda.manual_seed_all")
def cuda_manual_seed(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The GPU generators' seed: TensorFlow's one seed covers every device."""
    a = Args(call, ("seed",), "torch.cuda.manual_seed")
    return ctx.expr(f"keras.utils.set_random_seed({a.code('seed')})")


@function("torch.cuda.is_available", "torch.accelerator.is_available")
def cuda_available(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    return ctx.expr('bool(tf.config.list_physical_devices("GPU"))')


@function("torch.accelerator.current_accelerator")
def current_accelerator(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The accelerator's name, as torch.device("cpu") becomes "cpu": TensorFlow places ops
    itself, so the value only names the device (`.to(device)` is dropped)."""
    Args(call, ("check_available",), "torch.accelerator.current_accelerator")
    return ctx.expr('"GPU"')


@function("torch.cuda.device_count", "torch.accelerator.device_count")
def device_count(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "torch.accelerator.device_count")
    return ctx.expr('len(tf.config.list_physical_devices("GPU"))')


@function("torch.no_grad", "torch.inference_mode", "torch.enable_grad")
def no_grad(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    # `with torch.no_grad():` is handled as a statement; anywhere else it has no TF form.
    raise Untranslatable("torch.no_grad outside a `with` statement")


# ---------------------------------------------------------------- shape and joining


def _dim_rule(tf_name: str, what: str, first: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, (first, "dim", "out"), what)
        a.refuse("out")
        return ctx.expr(f"{tf_name}({a.code(first)}, axis={a.code('dim', '0')})")

    return rule


function("torch.cat", "torch.concat", "torch.concatenate")(
    _dim_rule("tf.concat", "torch.cat", "tensors")
)
function("torch.stack")(_dim_rule("tf.stack", "torch.stack", "tensors"))


@function("torch.flatten")
def flatten(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "start_dim", "end_dim"), "torch.flatten")
    return flatten_expr(ctx, a.values["input"], a.code("start_dim", "0"), a.code("end_dim", "-1"))


def flatten_expr(ctx: Ctx, x: cst.BaseExpression, start: str, end: str) -> cst.BaseExpression:
    """Flatten in PyTorch order: a plain reshape, since the layout stays NCHW."""
    source = code(x)
    if end == "-1" and start == "0":
        return ctx.expr(f"tf.reshape({source}, (-1,))")
    if end == "-1" and start == "1" and simple(x):
        return ctx.expr(f"tf.reshape({source}, (tf.shape({source})[0], -1))")
    ctx.use("flatten_dims")
    return ctx.expr(f"flatten_dims({source}, {start}, {end})")


@function("torch.reshape")
def reshape(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "shape"), "torch.reshape")
    return ctx.expr(f"tf.reshape({a.code('input')}, {a.code('shape')})")


@function("torch.permute")
def permute(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "dims"), "torch.permute")
    return ctx.expr(f"tf.transpose({a.code('input')}, {a.code('dims')})")


@function("torch.transpose", "torch.swapaxes")
def transpose(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "dim0", "dim1"), "torch.transpose")
    ctx.use("swapaxes")
    return ctx.expr(f"swapaxes({a.code('input')}, {a.code('dim0')}, {a.code('dim1')})")


@function("torch.squeeze")
def squeeze(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "dim"), "torch.squeeze")
    return ctx.expr(
        f"tf.squeeze({_join(a.code('input'), 'axis=' + a.code('dim') if a.has('dim') else '')})"
    )


@function("torch.unsqueeze")
def unsqueeze(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "dim"), "torch.unsqueeze")
    return ctx.expr(f"tf.expand_dims({a.code('input')}, {a.code('dim')})")


@function("torch.chunk")
def chunk(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "chunks", "dim"), "torch.chunk")
    return ctx.expr(f"tf.split({a.code('input')}, {a.code('chunks')}, axis={a.code('dim', '0')})")


@function("torch.where")
def where(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("condition", "input", "other"), "torch.where")
    return ctx.expr(f"tf.where({a.code('condition')}, {a.code('input')}, {a.code('other')})")


# ---------------------------------------------------------------- math and reductions


def _unary(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "inplace"), what)
        return ctx.expr(f"{tf_name}({a.code('input')})")

    return rule


for _torch, _tf in {
    "exp": "tf.exp",
    "log": "tf.math.log",
    "sqrt": "tf.sqrt",
    "rsqrt": "tf.math.rsqrt",
    "abs": "tf.abs",
    "sin": "tf.sin",
    "cos": "tf.cos",
    "floor": "tf.floor",
    "ceil": "tf.math.ceil",
    "round": "tf.round",
    "sign": "tf.sign",
    "neg": "tf.negative",
    "tanh": "tf.tanh",
    "sigmoid": "tf.sigmoid",
    "relu": "tf.nn.relu",
    "log1p": "tf.math.log1p",
    "isnan": "tf.math.is_nan",
}.items():
    function(f"torch.{_torch}")(_unary(_tf, f"torch.{_torch}"))
for _torch, _tf in {
    "relu": "tf.nn.relu",
    "relu6": "tf.nn.relu6",
    "sigmoid": "tf.sigmoid",
    "tanh": "tf.tanh",
    "silu": "tf.nn.silu",
    "selu": "tf.nn.selu",
    "softsign": "tf.nn.softsign",
    "mish": "keras.activations.mish",
    "hardswish": "keras.activations.hard_silu",
    "hardsigmoid": "keras.activations.hard_sigmoid",
}.items():
    function(F + _torch)(_unary(_tf, f"F.{_torch}"))


def _binary(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "other", "out"), what)
        a.refuse("out")
        return ctx.expr(f"{tf_name}({a.code('input')}, {a.code('other')})")

    return rule


for _torch, _tf in {
    "matmul": "tf.matmul",
    "mm": "tf.matmul",
    "bmm": "tf.matmul",
    "maximum": "tf.maximum",
    "minimum": "tf.minimum",
    "pow": "tf.pow",
    "eq": "tf.equal",
    "add": "tf.add",
    "mul": "tf.multiply",
}.items():
    function(f"torch.{_torch}")(_binary(_tf, f"torch.{_torch}"))


# Sparse tensors stay dense in the translation: the same values (an adjacency matrix's zeros
# included), so every product and sum gives PyTorch's result; the memory is the dense size.
SPARSE_NOTE = "TensorFlow holds it dense: the same values, the dense size in memory"


@function("torch.spmm", "torch.sparse.mm")
def spmm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "mat2"), "torch.spmm")
    ctx.note(SPARSE_NOTE)
    return ctx.expr(f"tf.matmul({a.code('input')}, {a.code('mat2')})")


@function("torch.sparse_coo_tensor")
def sparse_coo_tensor(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(
        call,
        ("indices", "values", "size", "dtype", "device", "pin_memory", "requires_grad"),
        "torch.sparse_coo_tensor",
    )
    a.refuse("requires_grad", unless=False)
    if not a.has("size"):
        raise Untranslatable("torch.sparse_coo_tensor without its size")
    ctx.note(SPARSE_NOTE)
    dtype = f", {_dtype(a)}" if a.has("dtype") else ""
    return ctx.expr(
        f"{ctx.use('sparse_coo_tensor')}({a.code('indices')}, {a.code('values')}, {a.code('size')}{dtype})"
    )


@function("torch.sparse.FloatTensor")
def sparse_float_tensor(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The legacy constructor `torch.sparse.FloatTensor(indices, values, size)` (pygcn): a
    float32 sparse_coo_tensor, held dense."""
    a = Args(call, ("indices", "values", "size"), "torch.sparse.FloatTensor")
    if not a.has("size"):
        raise Untranslatable("torch.sparse.FloatTensor without its size")
    ctx.note(SPARSE_NOTE)
    made = ctx.use("sparse_coo_tensor")
    return ctx.expr(
        f"{made}({a.code('indices')}, {a.code('values')}, {a.code('size')}, tf.float32)"
    )


@function("torch.Size")
def size(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """torch.Size(sizes): a tuple of ints, as TensorFlow takes shapes."""
    a = Args(call, ("sizes",), "torch.Size")
    return ctx.expr(f"tuple({a.code('sizes', '()')})")


def _reduction(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "dim", "keepdim", "dtype"), what)
        return ctx.expr(reduction_text(tf_name, a.code("input"), a))

    return rule


def reduction_text(tf_name: str, x: str, a: Args) -> str:
    axis = f"axis={a.code('dim')}" if a.has("dim") else ""
    keep = f"keepdims={a.code('keepdim')}" if a.has("keepdim") else ""
    return f"{tf_name}({_join(x, axis, keep)})"


for _torch, _tf in {
    "mean": "tf.reduce_mean",
    "sum": "tf.reduce_sum",
    "prod": "tf.reduce_prod",
    "amax": "tf.reduce_max",
    "amin": "tf.reduce_min",
    "logsumexp": "tf.reduce_logsumexp",
}.items():
    function(f"torch.{_torch}")(_reduction(_tf, f"torch.{_torch}"))


def std_var_text(which: str, x: str, a: Args, ctx: Ctx) -> str:
    """torch.std / torch.var and the methods: PyTorch divides by N - correction (1 by
    default, `unbiased=False` or `correction=0` for N); TensorFlow's reduce_std/variance by N,
    so the corrected ones are the prelude's torch_std / torch_var."""
    if a.has("unbiased") and a.has("correction"):
        raise Untranslatable(f"torch.{which} with both unbiased= and correction=")
    unbiased = a.literal("unbiased", True)
    if not isinstance(unbiased, bool):
        raise Untranslatable(f"torch.{which} unbiased= must be True or False")
    correction = a.code("correction") if a.has("correction") else str(int(unbiased))
    if correction in ("0", "0.0", "False"):
        name = "tf.math.reduce_std" if which == "std" else "tf.math.reduce_variance"
        return reduction_text(name, x, a)
    parts = [x, *([a.code("dim")] if a.has("dim") else [])]
    parts += [f"correction={correction}"] if correction != "1" else []
    parts += [f"keepdim={a.code('keepdim')}"] if a.has("keepdim") else []
    return f"{ctx.use('torch_' + which)}({', '.join(parts)})"


@function("torch.std", "torch.var")
def std_var(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "dim", "unbiased", "keepdim", "correction"), "torch.std")
    which = "std" if code(call.func).endswith("std") else "var"
    return ctx.expr(std_var_text(which, a.code("input"), a, ctx))


@function("torch.argmax", "torch.argmin")
def argmax(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "dim", "keepdim"), "torch.argmax")
    name = "tf.argmax" if code(call.func).endswith("argmax") else "tf.argmin"
    return ctx.expr(argmax_text(name, a.code("input"), a))


def argmax_text(tf_name: str, x: str, a: Args) -> str:
    if not a.has("dim"):
        return f"{tf_name}(tf.reshape({x}, (-1,)))"
    text = f"{tf_name}({x}, axis={a.code('dim')})"
    if a.literal("keepdim", False):
        text = f"tf.expand_dims({text}, {a.code('dim')})"
    return text


@function("torch.clamp", "torch.clip")
def clamp(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "min", "max"), "torch.clamp")
    return ctx.expr(clamp_text(a.code("input"), a))


def clamp_text(x: str, a: Args) -> str:
    low, high = a.code("min", "None"), a.code("max", "None")
    if low != "None" and high != "None":
        return f"tf.clip_by_value({x}, {low}, {high})"
    if low != "None":
        return f"tf.maximum({x}, {low})"
    if high != "None":
        return f"tf.minimum({x}, {high})"
    raise Untranslatable("clamp needs min or max")


# ---------------------------------------------------------------- torch.nn.functional


def _with_dim(tf_name: str, what: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "dim", "_stacklevel", "dtype"), what)
        return ctx.expr(f"{tf_name}({a.code('input')}, axis={a.code('dim', '-1')})")

    return rule


for _name, _tf in (("softmax", "tf.nn.softmax"), ("log_softmax", "tf.nn.log_softmax")):
    function(F + _name, f"torch.{_name}")(_with_dim(_tf, f"F.{_name}"))


@function(F + "leaky_relu")
def leaky_relu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "negative_slope", "inplace"), "F.leaky_relu")
    return ctx.expr(
        f"tf.nn.leaky_relu({a.code('input')}, alpha={a.code('negative_slope', '0.01')})"
    )


def _softmin(a: Args, x: str) -> str:
    a.refuse("dtype")
    return f"keras.ops.softmax(keras.ops.negative({x}), axis={a.code('dim')})"


# Activations written with keras.ops, one entry each: F.<name> → (the nn class, its
# constructor's parameters, F.<name>'s parameters after `input`, the expression of `x`).
# F.<name>(x, ...) becomes the expression; nn.<Class>(...) becomes
# keras.layers.Activation(lambda x: <expression>) (layers.py).
KERAS_OPS = {
    "hardtanh": (
        "Hardtanh",
        ("min_val", "max_val", "inplace"),
        ("min_val", "max_val", "inplace"),
        lambda a, x: f"keras.ops.clip({x}, {a.code('min_val', '-1.0')}, {a.code('max_val', '1.0')})",
    ),
    "logsigmoid": ("LogSigmoid", (), (), lambda a, x: f"keras.ops.log_sigmoid({x})"),
    "tanhshrink": ("Tanhshrink", (), (), lambda a, x: f"keras.ops.tanh_shrink({x})"),
    "softshrink": (
        "Softshrink",
        ("lambd",),
        ("lambd",),
        lambda a, x: f"keras.ops.soft_shrink({x}, threshold={a.code('lambd', '0.5')})",
    ),
    "hardshrink": (
        "Hardshrink",
        ("lambd",),
        ("lambd",),
        lambda a, x: f"keras.ops.hard_shrink({x}, threshold={a.code('lambd', '0.5')})",
    ),
    "threshold": (
        "Threshold",
        ("threshold", "value", "inplace"),
        ("threshold", "value", "inplace"),
        lambda a, x: f"keras.ops.threshold({x}, {a.code('threshold')}, {a.code('value')})",
    ),
    "softmin": ("Softmin", ("dim",), ("dim", "_stacklevel", "dtype"), _softmin),
    "celu": (
        "CELU",
        ("alpha", "inplace"),
        ("alpha", "inplace"),
        lambda a, x: f"keras.ops.celu({x}, alpha={a.code('alpha', '1.0')})",
    ),
    "glu": (
        "GLU",
        ("dim",),
        ("dim",),
        lambda a, x: f"keras.ops.glu({x}, axis={a.code('dim', '-1')})",
    ),
}


def _keras_op(what: str, params: tuple[str, ...], body) -> None:
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", *params), f"F.{what}")
        return ctx.expr(body(a, a.code("input")))

    function(F + what)(rule)


for _name, (_, _, _params, _body) in KERAS_OPS.items():
    _keras_op(_name, _params, _body)


@function(F + "elu")
def elu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "alpha", "inplace"), "F.elu")
    a.refuse("alpha", unless=1.0)
    return ctx.expr(f"tf.nn.elu({a.code('input')})")


@function(F + "gelu")
def gelu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "approximate"), "F.gelu")
    approximate = a.literal("approximate", "none") == "tanh"
    return ctx.expr(f"tf.nn.gelu({a.code('input')}, approximate={approximate})")


@function(F + "softplus")
def softplus(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "beta", "threshold"), "F.softplus")
    return ctx.expr(softplus_expression(a, a.code("input")))


def softplus_expression(a: Args, x: str) -> str:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's)."""
    if not a.has("beta") and not a.has("threshold"):
        return f"tf.nn.softplus({x})"
    beta, threshold = a.code("beta", "1.0"), a.code("threshold", "20.0")
    return (
        f"keras.ops.where({x} * {beta} > {threshold}, {x}, "
        f"keras.ops.softplus({x} * {beta}) / {beta})"
    )


@function(F + "dropout")
def dropout(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "p", "training", "inplace"), "F.dropout")
    training = a.code("training", "True")
    ctx.use("dropout_if")
    return ctx.expr(f"dropout_if({a.code('input')}, {a.code('p', '0.5')}, training={training})")


@function(F + "normalize")
def normalize(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "p", "dim", "eps"), "F.normalize")
    a.refuse("p", unless=2)
    return ctx.expr(
        f"tf.math.l2_normalize({a.code('input')}, axis={a.code('dim', '1')}, epsilon=1e-24)"
    )


def prelude_call(name: str):
    """The PyTorch call with its name replaced by the prelude's `name` (same arguments)."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        return call.with_changes(func=cst.Name(ctx.use(name)))

    return rule


def max_pool_rule(name: str, params: tuple[str, ...], what: str):
    """A max pool (F function or nn class) bound by PyTorch's parameter order, written with
    keywords after the first argument: nn.MaxPoolNd's fifth positional is return_indices, the
    prelude's ceil_mode. F.max_pool1d/2d with return_indices=True become the prelude's
    *_with_indices functions (values and PyTorch's plane indices); any other
    return_indices than False is refused."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, params, what)
        target = name
        if name in ("max_pool1d", "max_pool2d") and a.is_literal("return_indices"):
            if a.literal("return_indices") is True:  # (values, indices) for max_unpool
                target = f"{name}_with_indices"
        if target == name:
            a.refuse("return_indices", unless=False)
        given = [param for param in params if a.has(param) and param != "return_indices"]
        parts = [a.code(given[0])] if given and given[0] == params[0] else []
        parts += [f"{param}={a.code(param)}" for param in given if param != params[0]]
        return ctx.expr(f"{ctx.use(target)}({', '.join(parts)})")

    return rule


_F_MAX_POOL = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode")
for _dims in (1, 2, 3):
    function(F + f"max_pool{_dims}d")(
        max_pool_rule(f"max_pool{_dims}d", (*_F_MAX_POOL, "return_indices"), f"F.max_pool{_dims}d")
    )
    function(F + f"adaptive_max_pool{_dims}d")(
        max_pool_rule(
            f"adaptive_max_pool{_dims}d",
            ("input", "output_size", "return_indices"),
            f"F.adaptive_max_pool{_dims}d",
        )
    )


for _torch, _prelude in {
    "avg_pool1d": "avg_pool1d",
    "adaptive_avg_pool1d": "adaptive_avg_pool1d",
    "adaptive_avg_pool3d": "adaptive_avg_pool3d",
    "avg_pool3d": "avg_pool3d",
    "avg_pool2d": "avg_pool2d",
    "adaptive_avg_pool2d": "adaptive_avg_pool2d",
    "interpolate": "interpolate",
    "upsample": "interpolate",
    "pixel_shuffle": "pixel_shuffle",
    "pixel_unshuffle": "pixel_unshuffle",
    "pad": "tensor_pad",
}.items():
    function(F + _torch)(prelude_call(_prelude))
function("torch.pixel_shuffle")(prelude_call("pixel_shuffle"))
function("torch.unflatten")(prelude_call("unflatten"))


def _upsample(mode: str):
    """F.upsample_nearest / F.upsample_bilinear: interpolate with the mode they fix."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "size", "scale_factor"), f"F.upsample_{mode}")
        sizes = [f"{name}={a.code(name)}" for name in ("size", "scale_factor") if a.has(name)]
        corners = ", align_corners=True" if mode == "bilinear" else ""
        options = ", ".join([a.code("input"), *sizes])
        return ctx.expr(f'{ctx.use("interpolate")}({options}, mode="{mode}"{corners})')

    return rule


function(F + "upsample_nearest")(_upsample("nearest"))
function(F + "upsample_bilinear")(_upsample("bilinear"))


@function(F + "linear")
def linear(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """F.linear(x, weight, bias): x @ weight.T + bias, weight in PyTorch's (out, in) layout."""
    a = Args(call, ("input", "weight", "bias"), "F.linear")
    product = f"tf.matmul({a.code('input')}, {a.code('weight')}, transpose_b=True)"
    if a.has("bias") and a.code("bias") != "None":
        return ctx.expr(f"{product} + {a.code('bias')}")
    return ctx.expr(product)


@function(F + "embedding")
def embedding(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """F.embedding(indices, weight): the weight's rows; the options that change the lookup or
    its gradient are refused."""
    a = Args(
        call,
        ("input", "weight", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse"),
        "F.embedding",
    )
    a.refuse("padding_idx", "max_norm")  # padding_idx: no gradient to that row
    a.refuse("scale_grad_by_freq", "sparse", unless=False)
    return ctx.expr(f"tf.gather({a.code('weight')}, {a.code('input')})")


@function(F + "one_hot")
def one_hot(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """F.one_hot with its class count given (-1, the default, reads it off the data)."""
    a = Args(call, ("tensor", "num_classes"), "F.one_hot")
    if a.code("num_classes", "-1") == "-1":
        raise Untranslatable("F.one_hot needs num_classes (it would count the classes in the data)")
    return ctx.expr(f"tf.one_hot({a.code('tensor')}, {a.code('num_classes')}, dtype=tf.int64)")


# ---------------------------------------------------------------- nn.Parameter and nn.init


@function("torch.nn.Parameter")
def parameter(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("data", "requires_grad"), "nn.Parameter")
    trainable = f"trainable={a.code('requires_grad')}" if a.has("requires_grad") else ""
    return ctx.expr(f"keras.Variable({_join(a.code('data'), trainable)})")


def is_parameter(node: cst.BaseExpression, ctx: Ctx) -> bool:
    """`self.X` where the file's modules assign `self.X = nn.Parameter(...)`."""
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and node.attr.value in ctx.parameters
    )


def _weight_target(node: cst.BaseExpression) -> tuple[str, str]:
    """`m.weight` / `m.bias.data` → ("m", "weight"); other targets cannot be translated."""
    if isinstance(node, cst.Attribute) and node.attr.value == "data":
        node = node.value
    if isinstance(node, cst.Attribute) and node.attr.value in ("weight", "bias"):
        return code(node.value), node.attr.value
    raise Untranslatable("nn.init on something other than <module>.weight / <module>.bias")


def _init(params: tuple[str, ...], make) -> object:
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        what = "nn.init." + code(call.func).rsplit(".", 1)[-1]
        a = Args(call, ("tensor", *params), what)
        tensor = a.values["tensor"]
        if isinstance(tensor, cst.Attribute) and tensor.attr.value == "data":
            tensor = tensor.value
        if isinstance(tensor, cst.Name) and tensor.value in ctx.parameter_loops[-1:]:
            return ctx.expr(make(a, ctx))  # the loop becomes init_parameters(m, <this>, ...)
        if is_parameter(tensor, ctx):  # the module's own nn.Parameter: a Variable already
            return ctx.expr(f"{ctx.use('init_variable')}({code(tensor)}, {make(a, ctx)})")
        owner, which = _weight_target(tensor)
        ctx.use("set_initializer")
        return ctx.expr(f'set_initializer({owner}, "{which}", {make(a, ctx)})')

    return rule


def _gain(a: Args, ctx: Ctx, name: str = "gain") -> str:
    return a.code(name, "1.0")


def _kaiming(distribution: str):
    def make(a: Args, ctx: Ctx) -> str:
        mode = a.code("mode", '"fan_in"')
        nonlinearity = a.code("nonlinearity", '"leaky_relu"')
        slope = a.code("a", "0")
        ctx.use("calculate_gain")
        scale = f"calculate_gain({nonlinearity}, {slope}) ** 2"
        return f'keras.initializers.VarianceScaling({scale}, {mode}, "{distribution}")'

    return make


for _name, _params, _make in (
    (
        "normal_",
        ("mean", "std", "generator"),
        lambda a, c: f"keras.initializers.RandomNormal({a.code('mean', '0.0')}, {a.code('std', '1.0')})",
    ),
    (
        "uniform_",
        ("a", "b", "generator"),
        lambda a, c: f"keras.initializers.RandomUniform({a.code('a', '0.0')}, {a.code('b', '1.0')})",
    ),
    ("constant_", ("val",), lambda a, c: f"keras.initializers.Constant({a.code('val')})"),
    ("zeros_", (), lambda a, c: "keras.initializers.Zeros()"),
    ("ones_", (), lambda a, c: "keras.initializers.Ones()"),
    (
        "xavier_uniform_",
        ("gain", "generator"),
        lambda a, c: f'keras.initializers.VarianceScaling({_gain(a, c)} ** 2, "fan_avg", "uniform")',
    ),
    (
        "xavier_normal_",
        ("gain", "generator"),
        lambda a, c: f'keras.initializers.VarianceScaling({_gain(a, c)} ** 2, "fan_avg", "untruncated_normal")',
    ),
    ("kaiming_uniform_", ("a", "mode", "nonlinearity", "generator"), _kaiming("uniform")),
    ("kaiming_normal_", ("a", "mode", "nonlinearity", "generator"), _kaiming("untruncated_normal")),
    (
        "orthogonal_",
        ("gain", "generator"),
        lambda a, c: f"keras.initializers.Orthogonal({_gain(a, c)})",
    ),
    (
        "trunc_normal_",
        ("mean", "std", "a", "b", "generator"),
        lambda a, c: f"keras.initializers.TruncatedNormal({a.code('mean', '0.0')}, {a.code('std', '1.0')})",
    ),
):
    function(INIT + _name)(_init(_params, _make))


@function(INIT + "calculate_gain")
def calculate_gain(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, ("nonlinearity", "param"), "nn.init.calculate_gain")
    return call.with_changes(func=cst.Name(ctx.use("calculate_gain")))


@function(F + "prelu")
def prelu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "weight"), "F.prelu")
    return ctx.expr(f"{ctx.use('prelu')}({a.code('input')}, {a.code('weight')})")


@function(F + "rrelu")
def rrelu(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("input", "lower", "upper", "training", "inplace"), "F.rrelu")
    options = [f"{name}={a.code(name)}" for name in ("lower", "upper", "training") if a.has(name)]
    return ctx.expr(f"{ctx.use('rrelu')}({', '.join([a.code('input'), *options])})")


# In-place spellings (F.relu_(x)) take the same rules. A call that is a statement of its own
# rebinds its tensor, `x = tf.nn.relu(x)` (transformer._in_place_to_assign), as the in-place
# tensor methods do.
IN_PLACE_FUNCTIONS = frozenset(
    F + name + "_"
    for name in ("relu", "elu", "selu", "celu", "leaky_relu", "hardtanh", "threshold", "rrelu")
)
for _name in IN_PLACE_FUNCTIONS:
    function(_name)(FUNCTIONS[_name[:-1]])


# Functional forms of layers, with the weights as arguments, in PyTorch's parameter order.
for _torch, _prelude in {
    "conv1d": "conv",
    "conv2d": "conv",
    "conv3d": "conv",
    "layer_norm": "layer_norm",
    "group_norm": "group_norm",
    "rms_norm": "rms_norm",
    "dropout2d": "channel_dropout",
    "conv_transpose1d": "conv_transpose",
    "conv_transpose2d": "conv_transpose",
    "conv_transpose3d": "conv_transpose",
    "alpha_dropout": "alpha_dropout",
    "feature_alpha_dropout": "feature_alpha_dropout",
    "bilinear": "bilinear",
}.items():
    function(F + _torch)(prelude_call(_prelude))


def _unbatched_dropout(rank: int):
    """F.dropout1d / dropout3d: channel_dropout, told the rank of one sample without its
    batch axis ((C, L): 2, (C, D, H, W): 4), which PyTorch takes as one sample."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        unbatched = cst.Arg(cst.Integer(str(rank)), keyword=cst.Name("unbatched"))
        return call.with_changes(
            func=cst.Name(ctx.use("channel_dropout")), args=[*with_comma(call.args), unbatched]
        )

    return rule


function(F + "dropout1d")(_unbatched_dropout(2))
function(F + "dropout3d")(_unbatched_dropout(4))


@function(F + "instance_norm")
def instance_norm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    params = ("input", "running_mean", "running_var", "weight", "bias", "use_input_stats")
    a = Args(call, (*params, "momentum", "eps"), "F.instance_norm")
    # running statistics are updated in place by PyTorch: no counterpart here
    a.refuse("running_mean", "running_var", unless=None)
    a.refuse("use_input_stats", unless=True)
    options = [f"{name}={a.code(name)}" for name in ("weight", "bias", "eps") if a.has(name)]
    return ctx.expr(f"{ctx.use('instance_norm')}({', '.join([a.code('input'), *options])})")


@function(F + "batch_norm")
def batch_norm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    params = ("input", "running_mean", "running_var", "weight", "bias", "training")
    a = Args(call, (*params, "momentum", "eps"), "F.batch_norm")
    inference = not a.has("training") or (
        a.is_literal("training") and a.literal("training") is False
    )
    if not inference:  # PyTorch updates the running statistics in place while training
        a.refuse("running_mean", "running_var", unless=None)
    given = [name for name in (*params, "eps") if a.has(name)]
    parts = [a.code(name) for name in params[:3]]
    parts += [f"{name}={a.code(name)}" for name in given if name not in params[:3]]
    return ctx.expr(f"{ctx.use('batch_norm')}({', '.join(parts)})")


def triangle_text(which: str, x: str, a: Args) -> str:
    """torch.tril / triu and the Tensor methods: keras.ops with PyTorch's diagonal as k."""
    diagonal = f", k={a.code('diagonal')}" if a.has("diagonal") else ""
    return f"keras.ops.{which}({x}{diagonal})"


def _triangle(which: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "diagonal", "out"), f"torch.{which}")
        a.refuse("out")
        return ctx.expr(triangle_text(which, a.code("input"), a))

    return rule


for _name in ("tril", "triu"):
    function(f"torch.{_name}")(_triangle(_name))


def refusing_prelude_call(
    name: str, params: tuple[str, ...], what: str, refused: dict[str, object]
):
    """The prelude's `name` with the PyTorch call's own arguments, refusing the options the
    prelude has no counterpart for (each unless at the default given)."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, params, what)
        for option, default in refused.items():
            a.refuse(option, unless=default)
        return prelude_call(name)(call, ctx)

    return rule


for _name, _params, _refused in (
    ("gumbel_softmax", ("logits", "tau", "hard", "eps", "dim"), {}),
    ("affine_grid", ("theta", "size", "align_corners"), {}),
    (
        "scaled_dot_product_attention",
        ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"),
        {"enable_gqa": False},
    ),
    (
        "linear_cross_entropy",
        (
            "input",
            "linear_weight",
            "target",
            "linear_bias",
            "weight",
            "reduction",
            "ignore_index",
            "label_smoothing",
            "options",
        ),
        {"options": None},
    ),
    (
        "embedding_bag",
        (
            "input",
            "weight",
            "offsets",
            "max_norm",
            "norm_type",
            "scale_grad_by_freq",
            "mode",
            "sparse",
            "per_sample_weights",
            "include_last_offset",
            "padding_idx",
        ),
        {"max_norm": None, "scale_grad_by_freq": False},
    ),
):
    function(F + _name)(refusing_prelude_call(_name, _params, f"F.{_name}", _refused))


@function(F + "grid_sample")
def grid_sample(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    params = ("input", "grid", "mode", "padding_mode", "align_corners")
    a = Args(call, params, "F.grid_sample")
    if a.literal("mode", "bilinear") not in ("bilinear", "nearest"):
        raise Untranslatable("F.grid_sample: only bilinear and nearest modes")
    if a.literal("padding_mode", "zeros") not in ("zeros", "border"):
        raise Untranslatable("F.grid_sample: only zeros and border padding")
    return prelude_call("grid_sample")(call, ctx)


for _dims in (1, 2):
    function(F + f"max_pool{_dims}d_with_indices")(
        max_pool_rule(f"max_pool{_dims}d_with_indices", _F_MAX_POOL, f"F.max_pool{_dims}d")
    )


# torchvision's MNIST and CIFAR-10 pipelines: the data set as tf.data, the transforms mapped
# over its images one by one (random ones drawn anew each epoch).
for _name in (
    "Compose",
    "ToTensor",
    "Normalize",
    "Lambda",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomCrop",
    "CenterCrop",
):
    function(f"torchvision.transforms.{_name}")(prelude_call(_name))


for _name in ("MNIST", "CIFAR10"):
    function(f"torchvision.datasets.{_name}")(
        refusing_prelude_call(
            _name,
            ("root", "train", "transform", "target_transform", "download"),
            f"torchvision.datasets.{_name}",
            {"target_transform": None},
        )
    )


function("torchvision.utils.save_image")(
    refusing_prelude_call(
        "save_image",
        (
            "tensor",
            "fp",
            "nrow",
            "padding",
            "normalize",
            "value_range",
            "scale_each",
            "pad_value",
            "format",
        ),
        "torchvision.utils.save_image",
        {},
    )
)


def max_min_text(reduce: str, arg: str, x: cst.BaseExpression, a: Args, what: str, ctx: Ctx) -> str:
    """The whole tensor's max (min), or (values, indices) along `dim`: torch.max and
    Tensor.max. Both need `x` twice, so only a name or attribute is taken; where the code
    takes one of them at once (`torch.max(x, 1)[0]`, Ctx.pick), that one alone, of any `x`."""
    text = code(x)
    if not a.has("dim"):
        return f"{reduce}({text})"
    if ctx.pick is not None:
        keep = a.literal("keepdim") if a.has("keepdim") else False
        if not isinstance(keep, bool):
            raise Untranslatable(f"{what}: keepdim is not a literal True or False")
        dim = a.code("dim")
        ctx.picked = True
        if ctx.pick == 0:
            return f"{reduce}({text}, axis={dim}{', keepdims=True' if keep else ''})"
        indices = f"{arg}({text}, axis={dim})"
        return f"tf.expand_dims({indices}, axis={dim})" if keep else indices
    if a.has("keepdim") or not simple(x):
        raise Untranslatable(f"{what}(dim) returning (values, indices) of an expression")
    dim = a.code("dim")
    return f"({reduce}({text}, axis={dim}), {arg}({text}, axis={dim}))"


def _max_min(reduce: str, arg: str, what: str):
    """torch.max / torch.min; torch.max(x, y), the elementwise form, is told from the
    reduction along a dim only by a literal."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", "dim", "keepdim"), what)
        if a.has("dim") and not (a.is_literal("dim") and isinstance(a.literal("dim"), int)):
            raise Untranslatable(f"{what}(x, y): an int dim or a tensor is not known here")
        return ctx.expr(max_min_text(reduce, arg, a.values["input"], a, what, ctx))

    return rule


function("torch.max")(_max_min("tf.reduce_max", "tf.argmax", "torch.max"))
function("torch.min")(_max_min("tf.reduce_min", "tf.argmin", "torch.min"))


@function("torch.eye")
def eye(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("n", "m", "out", "dtype", "layout", "device", "requires_grad"), "torch.eye")
    a.refuse("out", "dtype", "layout", unless=None)
    columns = f", {a.code('m')}" if a.has("m") else ""
    return ctx.expr(f"tf.eye({a.code('n')}{columns})")


@function("torch.diag")
def diag(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """A vector's diagonal matrix, or a matrix's diagonal, with PyTorch's offset."""
    a = Args(call, ("input", "diagonal", "out"), "torch.diag")
    a.refuse("out")
    k = a.code("diagonal", "0")
    return ctx.expr(f"{ctx.use('diag')}({a.code('input')}, {k})")
