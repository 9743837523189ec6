"""Tensor operations called both as `torch.name(x, ...)` and as `x.name(...)`, one rule each.

These are the operations that the counted corpus (bench/api_usage.py) calls most and that no
other table translated: indexing (gather, index_select, narrow, split, unbind), ordering
(topk, argsort, flip, unique), scans and reductions (cumsum, norm, any, all), repetition
(repeat_interleave, expand_as) and new tensors shaped like another (new_zeros, ...). Each
spelling is checked against torch in tests/test_translate_table.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from .context import Args, Ctx, Untranslatable, code, function, method
from .functions import DTYPES, reduction_text

Build = Callable[[str, Args, Ctx], str]


def both(name: str, params: Sequence[str], build: Build, torch_name: bool = True) -> None:
    """Register `torch.name(input, *params)` (unless `torch_name` is false) and
    `x.name(*params)`, both built by `build(input source, arguments, ctx)`."""

    def as_function(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("input", *params), f"torch.{name}")
        return ctx.expr(build(a.code("input"), a, ctx))

    def as_method(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        assert isinstance(call.func, cst.Attribute)
        a = Args(call, params, f"Tensor.{name}")
        return ctx.expr(build(code(call.func.value), a, ctx))

    if torch_name:
        function(f"torch.{name}")(as_function)
    method(name)(as_method)


def _dims(a: Args, name: str = "dims") -> str:
    """A dim or a list/tuple of dims as a list source."""
    text = a.code(name)
    return text if text.startswith(("[", "(")) else f"[{text}]"


def _cumsum(x: str, a: Args, ctx: Ctx) -> str:
    if a.has("dtype"):
        dtype = a.code("dtype")
        x = f"tf.cast({x}, {DTYPES.get(dtype.removeprefix('torch.'), dtype)})"
    return f"tf.cumsum({x}, axis={a.code('dim')})"


def _direction(a: Args) -> str:
    """argsort's `descending` as tf.argsort's direction (a literal stays a literal)."""
    if a.is_literal("descending"):
        return '"DESCENDING"' if a.literal("descending") else '"ASCENDING"'
    return f'"DESCENDING" if {a.code("descending")} else "ASCENDING"'


both("cumsum", ("dim", "dtype"), _cumsum)
both("flip", ("dims",), lambda x, a, ctx: f"tf.reverse({x}, axis={_dims(a)})")
both(
    "argsort",
    ("dim", "descending", "stable"),
    lambda x, a, ctx: (
        f"tf.argsort({x}, axis={a.code('dim', '-1')}"
        + (f", direction={_direction(a)}" if a.has("descending") else "")
        + (", stable=True" if a.literal("stable", False) else "")
        + ")"
    ),
)


both(
    "topk",
    ("k", "dim", "largest", "sorted"),
    lambda x, a, ctx: (
        f"{ctx.use('topk')}({x}, {a.code('k')}, {a.code('dim', '-1')}, "
        f"{a.code('largest', 'True')}, {a.code('sorted', 'True')})"
    ),
)
both(
    "gather",
    ("dim", "index", "sparse_grad"),
    lambda x, a, ctx: (
        f"tf.experimental.numpy.take_along_axis({x}, {a.code('index')}, axis={a.code('dim')})"
    ),
)
both(
    "index_select",
    ("dim", "index"),
    lambda x, a, ctx: f"tf.gather({x}, {a.code('index')}, axis={a.code('dim')})",
)
both(
    "narrow",
    ("dim", "start", "length"),
    lambda x, a, ctx: (
        f"{ctx.use('narrow')}({x}, {a.code('dim')}, {a.code('start')}, {a.code('length')})"
    ),
)
both("unbind", ("dim",), lambda x, a, ctx: f"tf.unstack({x}, axis={a.code('dim', '0')})")
both(
    "repeat_interleave",
    ("repeats", "dim", "output_size"),
    lambda x, a, ctx: (
        f"tf.repeat({x}, {a.code('repeats')}"
        + (f", axis={a.code('dim')}" if a.has("dim") else "")
        + ")"
    ),
)
both(
    "expand_as",
    ("other",),
    lambda x, a, ctx: f"tf.broadcast_to({x}, tf.shape({a.code('other')}))",
    torch_name=False,
)


def _any_all(reduce: str) -> Build:
    def build(x: str, a: Args, ctx: Ctx) -> str:
        return reduction_text(reduce, f"tf.cast({x}, tf.bool)", a)

    return build


both("any", ("dim", "keepdim"), _any_all("tf.reduce_any"))
both("all", ("dim", "keepdim"), _any_all("tf.reduce_all"))


def _norm(x: str, a: Args, ctx: Ctx) -> str:
    a.refuse("dtype")
    p = a.code("p", '"fro"')
    if p in ('"fro"', "'fro'", "2", "2.0"):
        order = '"euclidean"'
    elif p in ("1", "1.0") and a.has("dim"):
        order = "1"
    else:
        raise Untranslatable(f"{a.what} p={p} has no translation (2 or fro; 1 with a dim)")
    return reduction_text("tf.norm", f"{x}, ord={order}", a)


both("norm", ("p", "dim", "keepdim", "dtype"), _norm)


def _nonzero(x: str, a: Args, ctx: Ctx) -> str:
    a.refuse("as_tuple", unless=False)
    return f"tf.where(tf.cast({x}, tf.bool))"


both("nonzero", ("as_tuple",), _nonzero)


def _unique(x: str, a: Args, ctx: Ctx) -> str:
    a.refuse("sorted", unless=True)
    a.refuse("return_inverse", "return_counts", unless=False)
    a.refuse("dim")
    return f"{ctx.use('unique')}({x})"


both("unique", ("sorted", "return_inverse", "return_counts", "dim"), _unique)


def _new(fill: str | None) -> Build:
    """x.new_zeros(size) / new_ones(size) / new_full(size, value): x's dtype unless given."""

    def build(x: str, a: Args, ctx: Ctx) -> str:
        a.refuse("device", "requires_grad", "layout", "pin_memory")
        dtype = a.code("dtype", f"{x}.dtype")
        dtype = DTYPES.get(dtype.removeprefix("torch."), dtype)
        value = fill if fill is not None else a.code("fill_value")
        return f"tf.fill({a.code('size')}, tf.constant({value}, {dtype}))"

    return build


_NEW_OPTIONS = ("dtype", "device", "requires_grad", "layout", "pin_memory")
both("new_full", ("size", "fill_value", *_NEW_OPTIONS), _new(None), torch_name=False)


def _new_sized(fill: str) -> Callable[[cst.Call, Ctx], cst.BaseExpression]:
    """x.new_zeros(2, 3) as well as x.new_zeros((2, 3)): every positional is a size."""
    build = _new(fill)

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        assert isinstance(call.func, cst.Attribute)
        sizes = [arg for arg in call.args if arg.keyword is None]
        if len(sizes) > 1:
            joined = cst.parse_expression(f"({', '.join(code(arg.value) for arg in sizes)},)")
            keywords = [arg for arg in call.args if arg.keyword is not None]
            call = call.with_changes(args=[cst.Arg(joined), *keywords])
        a = Args(call, ("size", *_NEW_OPTIONS), f"Tensor.{code(call.func.attr)}")
        return ctx.expr(build(code(call.func.value), a, ctx))

    return rule


method("new_zeros")(_new_sized("0"))
method("new_ones")(_new_sized("1"))


@method("type")
def type_(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """x.type(torch.float32) casts; x.type() (the type's name) has no TensorFlow spelling."""
    assert isinstance(call.func, cst.Attribute)
    a = Args(call, ("dtype", "non_blocking"), "Tensor.type")
    dtype = a.code("dtype")
    tf_dtype = DTYPES.get(dtype.removeprefix("torch.")) if dtype.startswith("torch.") else None
    tf_dtype = dtype if dtype.startswith("tf.") else tf_dtype  # already translated
    if tf_dtype is None:
        raise Untranslatable(f"Tensor.type({dtype}): only a torch dtype has a translation")
    return ctx.expr(f"tf.cast({code(call.func.value)}, {tf_dtype})")


@function("torch.split")
def split(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("tensor", "split_size_or_sections", "dim"), "torch.split")
    sizes, dim = a.code("split_size_or_sections"), a.code("dim", "0")
    return ctx.expr(f"{ctx.use('split')}({a.code('tensor')}, {sizes}, {dim})")


@method("split")
def split_method(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """`x.split(1, dim=1)`: only where x is surely a tensor (methods.AMBIGUOUS: a string's
    `split` stays)."""
    assert isinstance(call.func, cst.Attribute)
    a = Args(call, ("split_size", "dim"), "Tensor.split")
    sizes, dim = a.code("split_size"), a.code("dim", "0")
    return ctx.expr(f"{ctx.use('split')}({code(call.func.value)}, {sizes}, {dim})")


@function("torch.einsum")
def einsum(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """Same equation language; operands as arguments or as one list."""
    if not call.args or call.args[0].keyword is not None or any(a.keyword for a in call.args):
        raise Untranslatable("torch.einsum: an equation and its operands, by position")
    operands = [code(arg.value) for arg in call.args]
    if len(operands) == 2 and operands[1].startswith("["):  # einsum(eq, [a, b])
        return ctx.expr(f"tf.einsum({operands[0]}, *{operands[1]})")
    return ctx.expr(f"tf.einsum({', '.join(operands)})")


@function("torch.is_tensor")
def is_tensor(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("obj",), "torch.is_tensor")
    return ctx.expr(f"tf.is_tensor({a.code('obj')})")


@function("torch.linspace")
def linspace(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("start", "end", "steps", "dtype", "device", "requires_grad"), "torch.linspace")
    a.refuse("requires_grad", unless=False)
    dtype = a.code("dtype", "torch.float32")
    tf_dtype = DTYPES.get(dtype.removeprefix("torch."), dtype)
    return ctx.expr(
        f"tf.cast(tf.linspace(tf.constant({a.code('start')}, tf.float64), "
        f"tf.constant({a.code('end')}, tf.float64), {a.code('steps')}), {tf_dtype})"
    )


@function("torch.randperm")
def randperm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("n", "generator", "dtype", "device", "requires_grad"), "torch.randperm")
    a.refuse("generator")
    dtype = a.code("dtype", "torch.int64")
    tf_dtype = DTYPES.get(dtype.removeprefix("torch."), dtype)
    return ctx.expr(f"tf.random.shuffle(tf.range({a.code('n')}, dtype={tf_dtype}))")


@function("torch.meshgrid")
def meshgrid(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """PyTorch's default indexing is "ij" (it warns); TensorFlow's is "xy": said explicitly."""
    tensors = [arg for arg in call.args if arg.keyword is None]
    options = {arg.keyword.value: code(arg.value) for arg in call.args if arg.keyword}
    if set(options) - {"indexing"}:
        raise Untranslatable("torch.meshgrid: only indexing= has a translation")
    indexing = options.get("indexing", '"ij"')
    listed = ", ".join(code(t.value) for t in tensors)
    return ctx.expr(f"tf.meshgrid({listed}, indexing={indexing})")
