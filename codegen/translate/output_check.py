"""The output check: what a translated file still holds of PyTorch, whatever the rules claimed.

The rewrite log says which constructs a rule handled; this reads the *output* instead. A
statement that still uses a name bound by a torch import (in the output, or in the source when
the output dropped the import), a method or attribute only PyTorch tensors have, or a name the
output reads that nothing defines (and that the source did not leave undefined either), and
that no `# dlgen: not translated` marker covers, is a leftover: it gets a marker of its own and
counts as not translated in the report (so `--strict` fails on it). An output that does not
compile is one leftover at the error's line. One leftover is reported per statement.
"""

from __future__ import annotations

import ast
import builtins
import io
import tokenize
from dataclasses import dataclass

from .cache import self_attribute
from .report import MARK
from .source import child_nodes

# Modules whose names, once imported, mean PyTorch code is still there.
TORCH_MODULES = ("torch", "torchvision", "torchaudio", "torchtext")
# Methods and attributes that only PyTorch tensors (or modules) have: neither TensorFlow
# tensors, Keras variables nor numpy arrays answer to them.
TORCH_ONLY_ATTRIBUTES = frozenset("""
    grad is_meta is_cuda requires_grad_ register_hook retain_grad
    new_zeros new_ones new_full new_empty new_tensor expand_as type_as view_as reshape_as
    masked_fill masked_scatter index_select contiguous is_contiguous data_ptr numel
    unsqueeze detach_ share_memory_ pin_memory element_size nelement
    """.split())
# Called with parentheses these are PyTorch's (numpy's `size` is not a call, `args.cuda` is
# the user's flag).
TORCH_ONLY_CALLS = frozenset(
    {"size", "dim", "type", "float", "long", "int", "half", "bool", "cuda"}
) | frozenset(
    """
    tril triu narrow chunk unbind masked_select repeat_interleave topk kthvalue
    take_along_dim index_add index_copy index_fill index_put index_reduce scatter_reduce
    bincount histc movedim swapdims cummax cummin logcumsumexp tensor_split hsplit vsplit
    dsplit diag_embed diagflat erfinv sum_to_size split_with_sizes nonzero_static
    is_floating_point is_complex get_device ndimension nelement expand permute clamp
    logaddexp xlogy bmm addmm addbmm baddbmm mv
    absolute acos acosh addcdiv addcmul addmv addr aminmax angle arccos arccosh arcsin
    arcsinh arctan arctan2 arctanh argwhere asin asinh atan atan2 atanh bernoulli
    bitwise_and bitwise_not bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift
    cholesky clamp_max clamp_min copysign cosh count_nonzero deg2rad digamma erf erfc exp2
    expm1 fliplr flipud float_power floor_divide fmax fmin fmod frac frexp gcd heaviside
    hypot i0 igamma igammac isfinite isinf isnan isneginf isposinf isreal lcm ldexp lerp
    lgamma log10 log2 logaddexp2 logdet logical_and logical_not logical_or logical_xor logit
    matrix_exp matrix_power msort multinomial mvlgamma nan_to_num nanmean nanmedian
    nanquantile nansum negative nextafter not_equal polygamma rad2deg reciprocal renorm rot90
    rsqrt sgn signbit sinc sinh slogdet square tan trunc remainder unique_consecutive
    unsafe_chunk unsafe_split byte char short bfloat16 broadcast_to moveaxis unflatten
    stft istft prelu hardshrink scatter to_dense to_sparse dequantize int_repr
    record_stream register_post_accumulate_grad_hook as_strided adjoint pinverse
    cholesky_inverse cholesky_solve lu_solve triangular_solve ger vdot histogram
    is_pinned is_shared is_signed is_inference is_neg is_conj is_same_size storage_offset
    untyped_storage new_empty_strided narrow_copy
    """.split()
)  # torch.Tensor methods that tf.Tensor, tf.Variable and numpy lack (tested). Left out,
# although kept calls of them are PyTorch's more often than not: names that pandas or
# everyday objects also have (where, select, diff, median, mode, quantile, cov, inverse,
# solve, tile, roll, outer, equal, maximum, new, storage, coalesce, ...).
# In-place tensor methods (called). Not every name with a trailing underscore: dlgen itself
# renames attributes that clash with Keras's (`self.output_`), and scikit-learn has `coef_`.
IN_PLACE = frozenset(name + "_" for name in """
    add sub mul div addcmul addcdiv addmm addmv baddbmm clamp clamp_min clamp_max clip fill
    zero copy normal uniform exponential bernoulli random geometric cauchy log_normal abs neg
    exp log log1p sqrt rsqrt pow sigmoid tanh relu masked_fill masked_scatter index_add
    index_copy index_fill index_put scatter scatter_add scatter_reduce t transpose unsqueeze
    squeeze resize resize_as requires_grad detach lerp round floor ceil trunc frac sign
    reciprocal remainder fmod sin cos erf floor_divide put set share_memory logical_not
    nan_to_num hardtanh leaky_relu elu selu celu silu mish hardsigmoid hardswish true_divide
    """.split())
# `.data` is the user's own attribute as often as PyTorch's; on a parameter it is PyTorch's.
PARAMETER_ATTRIBUTES = frozenset({"weight", "bias", "grad"})


@dataclass(frozen=True)
class Leftover:
    """One statement of the output that still holds PyTorch."""

    line: int  # 1-based, in the output
    name: str  # what was found: `torch` name, Tensor.<method>, or the compile error
    detail: str


def find_leftovers(code: str, source: Names | None = None) -> list[Leftover]:
    """Leftovers of `code` (a translated file), one per statement, in line order. With the
    source's names (`Names.of_tree`), a name its torch imports bound that the output uses
    without binding it (the import was dropped) is a leftover too."""
    try:
        tree = ast.parse(code)
        compile(tree, "<output>", "exec")  # what only the compiler refuses (a late __future__)
    except SyntaxError as exc:
        return [Leftover(exc.lineno or 1, "output does not compile", exc.msg)]
    covered = _covered_lines(code, tree)
    pairs = list(_nodes_with_statement(tree))
    names = Names.of((node for _, node in pairs), tree)
    torch_names = names.torch
    undefined: set[str] = set()
    if source is not None:
        torch_names |= source.torch - names.bound
        undefined = names.undefined() - source.undefined() - torch_names
    keras_layers = _keras_layer_names(tree)
    found: dict[int, Leftover] = {}  # by the line of the statement that holds it
    for statement, node in pairs:
        start = statement.lineno
        if start in found or _is_covered(statement, covered):
            continue
        leftover = _leftover(node, torch_names)
        if _is_keras_layer_weight(node, keras_layers):
            leftover = "Layer.weight", "PyTorch's; a Keras layer has a kernel, in its own layout"
        if isinstance(node, ast.Name) and node.id in undefined:
            leftover = node.id, "dlgen wrote this name, but nothing in the file defines it"
        if leftover is not None:
            found[start] = Leftover(start, *leftover)
    for line, attribute in _kept_between_calls(tree):
        if line not in found and line not in covered:
            found[line] = Leftover(line, f"self.{attribute}", KEPT)
    return [found[line] for line in sorted(found)]


KEPT = (
    "a value the layer keeps between calls and reads back: Keras runs `call` symbolically "
    "to build the model, and a tensor kept then is out of scope in later calls"
)


def _kept_between_calls(tree: ast.Module) -> list[tuple[int, str]]:
    """`self.x = <value>` in a class's `call` that the same `call` also reads (a cache, as
    word_language_model's `self.src_mask`): (line, x). A constant (`self.x = None`) is fine."""
    out = []
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        for method in cls.body:
            if not (isinstance(method, ast.FunctionDef) and method.name == "call"):
                continue
            read, kept = set(), []
            for node in ast.walk(method):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if self_attribute(target) and not isinstance(node.value, ast.Constant):
                            kept.append((node.lineno, target.attr))  # type: ignore[attr-defined]
                elif self_attribute(node) and isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                    read.add(node.attr)  # type: ignore[attr-defined]
            out += [(line, name) for line, name in kept if name in read]
    return out


def mark_leftovers(code: str, leftovers: list[Leftover]) -> str:
    """`code` with a marker line above each statement that holds a leftover."""
    lines = code.splitlines(keepends=True)
    for leftover in sorted(leftovers, key=lambda item: -item.line):
        if leftover.name == "output does not compile":
            continue  # a comment would not make it compile; the report says it
        index = leftover.line - 1
        text = lines[index]
        indent = text[: len(text) - len(text.lstrip())]
        lines.insert(index, f"{indent}{MARK}{leftover.name}: {leftover.detail}\n")
    return "".join(lines)


def restore_imports(code: str, source: ast.Module, names: Names) -> tuple[str, int, int]:
    """Put back the source's torch imports whose names the output still uses without binding
    them (code kept untranslated needs them), marked; `names` are the source's. Returns the
    code, the line after which they went in and how many lines went in."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, 0, 0
    output = Names.of_tree(tree)
    used = (names.torch - output.bound) & output.used
    if not used:
        return code, 0, 0
    lines = []
    for node in source.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _binds(node) & used:
            # only the names still needed: the others are translated, some now bound by the
            # prelude (`from torchvision.transforms import Compose, Lambda` keeps `Lambda`)
            kept = [alias for alias in node.names if _bound(alias) in used]
            needed = (
                ast.ImportFrom(node.module, kept, node.level)
                if isinstance(node, ast.ImportFrom)
                else ast.Import(kept)
            )
            lines.append(f"{ast.unparse(needed)}  {MARK}used by untranslated code\n")
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    after = max((n.end_lineno or n.lineno) for n in imports) if imports else 0
    if not imports and tree.body and _is_docstring(tree.body[0]):
        after = tree.body[0].end_lineno or 0
    text = code.splitlines(keepends=True)
    return "".join(text[:after] + lines + text[after:]), after, len(lines)


def _binds(node: ast.Import | ast.ImportFrom) -> set[str]:
    return {_bound(alias) for alias in node.names}


def _bound(alias: ast.alias) -> str:
    """The name an import alias binds: `import torch.nn` binds `torch`."""
    return (alias.asname or alias.name).split(".")[0]


def _torch_aliases(node: ast.AST) -> list[ast.alias]:
    """The aliases of an import statement that import from a PyTorch module."""
    if isinstance(node, ast.Import):
        return [a for a in node.names if a.name.split(".")[0] in TORCH_MODULES]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return list(node.names) if node.module.split(".")[0] in TORCH_MODULES else []
    return []


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _leftover(node: ast.AST, torch_names: set[str]) -> tuple[str, str] | None:
    if _torch_aliases(node):
        return "import", "a PyTorch import left without a marker"
    if isinstance(node, ast.Name) and node.id in torch_names:
        return node.id, "a PyTorch name is still used here"
    if isinstance(node, ast.Attribute):
        attr = node.attr
        if attr in TORCH_ONLY_ATTRIBUTES:
            return f"Tensor.{attr}", "a PyTorch-only tensor method or attribute"
        if attr == "data" and _is_parameter(node.value):
            return "Tensor.data", "a parameter's .data is PyTorch's; a Keras variable has none"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        attr = node.func.attr
        if attr in IN_PLACE:
            return f"Tensor.{attr}", "an in-place PyTorch tensor method"
        if attr in TORCH_ONLY_CALLS and not _is_module_call(node.func.value):
            return f"Tensor.{attr}", "a PyTorch tensor method (called)"
    return None


def _keras_layer_names(tree: ast.Module) -> set[str]:
    """Names and attribute names (`self.fc`) that the file binds to a `keras.layers.X(...)`."""
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func).startswith("keras.layers.")
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.add(target.id)
                elif isinstance(target, ast.Attribute):
                    found.add(target.attr)
    return found


def _is_keras_layer_weight(node: ast.AST, layers: set[str]) -> bool:
    """`model.fc.weight` (or `fc.weight`) where `fc` is a Keras layer: no Keras layer has a
    `.weight` (Dense and Conv have `kernel`, Embedding `embeddings`)."""
    if not (isinstance(node, ast.Attribute) and node.attr == "weight"):
        return False
    value = node.value
    if isinstance(value, ast.Attribute):
        return value.attr in layers
    return isinstance(value, ast.Name) and value.id in layers


def _is_parameter(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in PARAMETER_ATTRIBUTES


def _is_module_call(node: ast.AST) -> bool:
    """`np.float(...)`-style calls on a module (`keras.ops.tril(...)` too) are not tensor
    methods."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in ("np", "numpy", "tf", "keras", "math")


_BUILTINS = frozenset(dir(builtins)) | {"__file__"}


@dataclass
class Names:
    """What one walk over a file learns about its names."""

    torch: set[str]  # bound by importing a PyTorch module, less what a module-level def rebinds
    bound: set[str]  # bound somewhere (import, def, class, argument, assignment)
    used: set[str]  # every Name node's identifier
    read: set[str]  # read (Load)
    star: bool  # a star import (it could bind anything)

    @classmethod
    def of(cls, nodes, module: ast.Module) -> Names:
        names = cls(set(), set(), set(), set(), False)
        for node in nodes:
            kind = type(node)
            if kind is ast.Name:
                names.used.add(node.id)
                if type(node.ctx) is ast.Load:
                    names.read.add(node.id)
                else:
                    names.bound.add(node.id)
            elif kind is ast.arg:
                names.bound.add(node.arg)
            elif kind is ast.Import or kind is ast.ImportFrom:
                names.bound.update(_binds(node))
                names.torch.update(_bound(alias) for alias in _torch_aliases(node))
                names.star |= any(alias.name == "*" for alias in node.names)
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
                names.bound.add(node.name)
        names.torch -= {  # the prelude's `StepLR` replaces PyTorch's
            node.name
            for node in module.body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        }
        return names

    @classmethod
    def of_tree(cls, tree: ast.Module) -> Names:
        return cls.of(_walk(tree), tree)

    def undefined(self) -> set[str]:
        """Names read but bound nowhere in the file (nor builtins); nothing when a star
        import could bind anything."""
        return set() if self.star else self.read - self.bound - _BUILTINS


def _walk(tree: ast.AST):
    """Every node of `tree` (depth first; `ast.walk` is slower, breadth first)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child_nodes(node))


def _nodes_with_statement(tree: ast.Module):
    """Every node, with the innermost statement it belongs to: a compound statement's header
    (bases, condition, iterable) belongs to it, its body to the body's own statements."""
    stack: list[tuple[ast.AST, ast.stmt | None]] = [(tree, None)]
    while stack:
        node, statement = stack.pop()
        if isinstance(node, ast.stmt):
            statement = node
        if statement is not None:
            yield statement, node
        stack.extend((child, statement) for child in reversed(child_nodes(node)))


def _covered_lines(code: str, tree: ast.Module) -> set[int]:
    """Lines a marker covers: its own line (a marked import) and the next statement's."""
    if MARK.rstrip() not in code:
        return set()
    marks: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            # the marker may follow the user's own comment: `import torch # ML  # dlgen: ...`
            if token.type == tokenize.COMMENT and MARK.rstrip() in token.string:
                marks.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return set()
    if not marks:
        return set()
    covered = set(marks)
    lines = code.splitlines()
    for mark in marks:
        after = mark  # the first line after the marker (and any comment lines below it)
        while after < len(lines) and lines[after].lstrip().startswith("#"):
            after += 1
        covered.add(after + 1)
    # a covered statement covers its whole span (a call over several lines); a compound one
    # only its header, not its body
    for node in _walk(tree):
        if isinstance(node, ast.stmt) and node.lineno in covered:
            body = getattr(node, "body", None)
            if isinstance(body, list) and body:
                end = body[0].lineno - 1
            else:
                end = node.end_lineno or node.lineno
            covered.update(range(node.lineno, end + 1))
    return covered


def _is_covered(statement: ast.stmt, covered: set[int]) -> bool:
    return statement.lineno in covered
