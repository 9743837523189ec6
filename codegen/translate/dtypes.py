"""What the source shows of its values' types, read statement by statement, for what
TensorFlow does differently.

PyTorch's type promotion: `torch.arange(n) * 0.5` (int64 times a float) is float32 in
PyTorch, and so is `torch.eye(n) + adjacency` (float32 plus int64); TensorFlow refuses both
(and divides two integer tensors into float64, where PyTorch gives float32). Where the source
shows one operand to be an integer tensor and the other a float (a tensor or a Python float),
the translation casts the integer side to float32 (`tf.cast(.., tf.float32)`); an integer
tensor divided by anything is cast the same way.

Indexing: `x[idx]` with a tensor of indices is numpy's advanced indexing, which TensorFlow's
`[]` refuses (the translator writes the prelude's torch_index). Which names hold tensors
(what a module returns, an integer tensor, a module-level name passed to
torch.nn.functional), which hold Python ints (a loop over range() or enumerate(), len()) and
which hold numpy or scipy values (whose methods are not Tensor methods) is read here.

Each function's statements are read in order, and `kind` answers "int" (an integer tensor),
"float", "tensor", "array", "pyint" or None (not known) for an expression, given the kinds of
the names bound before it. A function's parameter takes the kind every call in the file
passes it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

Qualify = Callable[[ast.expr], "str | None"]

INT_DTYPES = {"long", "int64", "int", "int32", "int16", "int8", "uint8", "short"}
FLOAT_DTYPES = {"float", "float32", "double", "float64", "half", "float16", "bfloat16"}
# torch functions whose result is float32 unless a dtype says otherwise
FLOAT_MAKERS = {"ones", "zeros", "eye", "rand", "randn", "empty", "linspace", "logspace"}
# torch functions and Tensor methods whose result is float for any input they take
FLOAT_RESULTS = {
    "exp", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "sqrt", "rsqrt", "tanh",
    "sigmoid", "softmax", "log_softmax", "float", "double", "mean", "rand_like", "randn_like",
    "erf", "reciprocal", "FloatTensor",
}  # fmt: skip
# Tensor methods that keep their receiver's dtype
KEEP = {
    "unsqueeze", "squeeze", "view", "reshape", "flatten", "t", "transpose", "permute",
    "repeat", "expand", "expand_as", "clone", "detach", "contiguous", "cpu", "cuda", "flip",
    "roll", "abs", "neg",
}  # fmt: skip
INT_RESULTS = {
    "long", "int", "argmax", "argmin", "argsort", "randint", "randperm", "nonzero",
    "LongTensor", "IntTensor",
}  # fmt: skip
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div)
ARRAY = "<array module>"  # what qualify() says of a name bound to numpy, scipy, pandas...
MODULE = "<module>"  # and of a name holding a module (nn.Module)
F = "torch.nn.functional."
FOREIGN = "<other module>"  # and of a name bound to another imported module (random, os)


def _classifying(
    qualify: Qualify, arrays: frozenset[str], modules: frozenset[str], foreign: frozenset[str]
) -> Qualify:
    def qualified(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and node.id in arrays:
            return ARRAY
        if isinstance(node, ast.Name) and node.id in foreign:
            return FOREIGN
        if modules and dotted(node) in modules:
            return MODULE
        return qualify(node)

    return qualified


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def read_types(
    tree: ast.Module,
    qualify: Qualify,
    arrays: frozenset[str] = frozenset(),
    modules: frozenset[str] = frozenset(),
    foreign: frozenset[str] = frozenset(),
) -> Found:
    """Read every function (and the module's own statements) in order: the arithmetic that
    PyTorch promotes and the kinds of the names (see Found). A function's parameter takes a
    kind when every call of that function in the file passes it one (as gat's
    `train_iter(..., idx_train, ...)` with `idx_train = torch.randperm(n)[1600:]`). `arrays`:
    the names the file binds to numpy, scipy, pandas... (what they make is "array");
    `modules`: the names that hold a module (what calling one gives is "tensor"); `foreign`:
    the names bound to other imported modules (`random.randint` is no Tensor method)."""
    qualify = _classifying(qualify, arrays, modules, foreign)
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    found = Found()
    defs, inputs, bound = [], set(), set()
    for node in ast.walk(tree):  # once: the defs, what F.* is given, the indexed names
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.append(node)
        elif isinstance(node, ast.Call) and (qualify(node.func) or "").startswith(F):
            for value in [*node.args, *(k.value for k in node.keywords)]:
                while isinstance(value, ast.Subscript | ast.Attribute):
                    value = value.value
                if isinstance(value, ast.Name):
                    inputs.add(value.id)
        elif isinstance(node, ast.Subscript):
            index = node.slice
            entries = index.elts if isinstance(index, ast.Tuple) else [index]
            names = {e.id for e in entries if isinstance(e, ast.Name)}
            if names:
                found.indexed.append((node.lineno, names))
    for statement in tree.body:
        if not isinstance(statement, _SCOPES):
            bound |= {
                n.id
                for n in ast.walk(statement)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
    for _ in range(4):  # each pass knows the parameters the one before saw passed
        before = found.parameters
        found.promotions.clear()
        found.int_names.clear()
        found.array_names.clear()
        found.tensor_names.clear()
        found.pyint_names.clear()
        calls: dict[str, list[dict[str, str | None]]] = {}
        _statements(tree.body, {}, qualify, found, functions, calls, 0)
        for node in defs:
            top = functions.get(node.name) is node  # a method's parameters are not seeded
            known = dict(found.parameters.get(node.name, {})) if top else {}
            _statements(node.body, known, qualify, found, functions, calls, node.lineno)
        found.parameters = {name: _agreed(passed) for name, passed in calls.items()}
        if found.parameters == before:
            break
    # names the module binds that the file passes (indexed or not) to torch.nn.functional:
    # tensors, whatever made them (pygcn's `labels` of `F.nll_loss(output[i], labels[i])`)
    shared = inputs & bound
    for names in found.tensor_names.values():
        names |= shared
    found.tensor_names.setdefault(0, set()).update(shared)
    for node in defs:
        found.tensor_names.setdefault(node.lineno, set()).update(shared)
    return found


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a Name/Attribute chain (`self.fc`, `x`), else None (analysis.py's too)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def _agreed(calls: list[dict[str, str | None]]) -> dict[str, str]:
    """The parameters every call passes the same kind of value ("int" or "array")."""
    agreed = {}
    for param in {p for call in calls for p in call}:
        kinds = {call.get(param) for call in calls}
        if len(kinds) == 1 and None not in kinds and "float" not in kinds:
            agreed[param] = kinds.pop()
    return agreed


class Found:
    """What read_types() found: `promotions` (a simple statement's first line → {arithmetic's
    text without spaces → the sides, "left"/"right", to cast to float32}); `int_names` (a
    function's first line, 0 for the module → the names that hold an integer tensor there);
    `array_names` (a simple statement's first line → the names holding a numpy or scipy
    value there, pygcn's `adj = sp.coo_matrix(...)`: their methods are not Tensor methods);
    `tensor_names` (a function's first line → the names that hold a tensor there at some
    point: what a module returned, an integer tensor); `pyint_names` (→ the names that hold
    a Python int there: a loop over range() or enumerate(), an int literal, len());
    `parameters` (function name → {parameter: "int" or "array"} where every call passes
    one)."""

    def __init__(self) -> None:
        self.promotions: dict[int, dict[str, tuple[str, ...]]] = {}
        self.int_names: dict[int, set[str]] = {}
        self.array_names: dict[int, set[str]] = {}
        self.tensor_names: dict[int, set[str]] = {}
        self.pyint_names: dict[int, set[str]] = {}
        self.indexed: list[tuple[int, set[str]]] = []  # (line, names) of `x[name]`
        self.parameters: dict[str, dict[str, str]] = {}


def _statements(body, known, qualify, found: Found, functions, calls, scope: int) -> None:
    _note(known, found, scope)  # what the parameters hold
    for statement in body:
        if isinstance(statement, _SCOPES):
            continue  # a def or class has its own locals (read_types() reads each def)
        children = [getattr(statement, name, None) for name in _BLOCK_FIELDS]
        blocks = [block for block in children if isinstance(block, list) and block]
        if isinstance(statement, ast.Try):
            blocks += [handler.body for handler in statement.handlers]
        if blocks:
            if isinstance(statement, ast.For | ast.AsyncFor):
                _loop_target(statement.target, statement.iter, known)
                _note(known, found, scope)
            for block in blocks:
                _statements(block, known, qualify, found, functions, calls, scope)
            continue
        if "array" in known.values():
            found.array_names[statement.lineno] = {n for n, v in known.items() if v == "array"}
        bound = False
        stack: list[ast.AST] = [statement]
        while stack:  # one walk: arithmetic, calls of the file's functions, comprehensions
            node = stack.pop()
            if isinstance(node, ast.Lambda):
                continue
            if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
                _promotion(node, known, qualify, found, statement.lineno)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in functions
            ):
                calls.setdefault(node.func.id, []).append(
                    _passed(functions[node.func.id], node, known, qualify)
                )
            elif isinstance(node, ast.comprehension):
                bound |= _loop_target(node.target, node.iter, known)
            stack.extend(ast.iter_child_nodes(node))
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            _bind(statement.targets[0], statement.value, known, qualify)
            bound = True
        if bound:
            _note(known, found, scope)


def _promotion(node: ast.BinOp, known, qualify, found: Found, line: int) -> None:
    """Arithmetic PyTorch promotes: the sides to cast, under the statement's line."""
    sides = {"left": node.left, "right": node.right}
    kinds = {side: kind(value, known, qualify) for side, value in sides.items()}
    division = isinstance(node.op, ast.Div)
    cast = tuple(
        side
        for side, value in sides.items()
        if kinds[side] == "int"
        and not _plain_int(value)
        and (division or "float" in kinds.values())
    )
    if cast:
        found.promotions.setdefault(line, {})[_key(node)] = cast


def _note(known: dict[str, str], found: Found, scope: int) -> None:
    """The names' kinds into the function's tables (a name counts wherever it holds one)."""
    for name, value in known.items():
        if value == "int":
            found.int_names.setdefault(scope, set()).add(name)
        if value in ("int", "tensor"):
            found.tensor_names.setdefault(scope, set()).add(name)
        elif value == "pyint":
            found.pyint_names.setdefault(scope, set()).add(name)


def _loop_target(target: ast.expr, iterated: ast.expr, known: dict[str, str]) -> bool:
    """`for i in range(n)`, `for i, x in enumerate(xs)`: i is a Python int (True: bound)."""
    if not (isinstance(iterated, ast.Call) and isinstance(iterated.func, ast.Name)):
        return False
    if iterated.func.id == "enumerate" and isinstance(target, ast.Tuple) and target.elts:
        target = target.elts[0]
    elif iterated.func.id != "range":
        return False
    if isinstance(target, ast.Name):
        known[target.id] = "pyint"
        return True
    return False


def _bind(target: ast.expr, value: ast.expr, known: dict[str, str], qualify: Qualify) -> None:
    """`a = ...` and `a, b = x, y`: the kinds the names take."""
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        if len(target.elts) == len(value.elts):
            for part, part_value in zip(target.elts, value.elts, strict=True):
                _bind(part, part_value, known, qualify)
        return
    if isinstance(target, ast.Name):
        found = kind(value, known, qualify)
        if _plain_int(value) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("len", "int")
        ):
            found = "pyint"
        if found is None:
            known.pop(target.id, None)
        else:
            known[target.id] = found


def _passed(function, call: ast.Call, known, qualify) -> dict[str, str | None]:
    """The kind of what a call passes for each parameter it names or fills."""
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    passed: dict[str, str | None] = {}
    for param, value in zip(params, call.args, strict=False):
        passed[param] = None if isinstance(value, ast.Starred) else kind(value, known, qualify)
    for keyword in call.keywords:
        if keyword.arg is not None:
            passed[keyword.arg] = kind(keyword.value, known, qualify)
    return passed


_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def key(text: str) -> str:
    """An expression's source as read_types() keys it (quotes, parentheses and spaces as
    ast.unparse writes them)."""
    return _key(ast.parse(f"({text})", mode="eval").body)


def _key(node: ast.expr) -> str:
    return "".join(ast.unparse(node).split())


def kind(node: ast.expr, known: dict[str, str], qualify: Qualify) -> str | None:
    """How PyTorch would type `node`: "int" (an integer tensor), "float" (a float tensor or
    a Python float), "tensor" (of a dtype not known), "array" (numpy's, scipy's), "pyint" (a
    Python int), or None (not known)."""
    if isinstance(node, ast.Constant):
        return "float" if isinstance(node.value, float) else None
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return kind(node.operand, known, qualify)
    if isinstance(node, ast.Subscript):
        return kind(node.value, known, qualify)
    if isinstance(node, ast.Attribute):  # `adj.T` of an array, `x.data` of a tensor
        of = kind(node.value, known, qualify)
        if of == "array" or (of in ("int", "float", "tensor") and node.attr in ("T", "data")):
            return of
        return None
    if isinstance(node, ast.BinOp):
        left = kind(node.left, known, qualify)
        right = kind(node.right, known, qualify)
        if "array" in (left, right):
            return "array"
        if isinstance(node.op, ast.Div):
            return "float" if (left or right or _plain_division(node)) else None
        if "float" in (left, right):
            return "float"
        sides = [
            "int" if side == "pyint" or _plain_int(value) else side
            for side, value in ((left, node.left), (right, node.right))
        ]
        if "int" in (left, right) and sides == ["int", "int"]:
            return "int"
        return "tensor" if "tensor" in (left, right) else None
    if isinstance(node, ast.Call):
        return _call_kind(node, known, qualify)
    return None


def _plain_division(node: ast.BinOp) -> bool:
    """`-math.log(10000.0) / d_model`: a true division of Python numbers is a float."""
    return _plain_number(node.left) or _plain_number(node.right)


def _plain_number(node: ast.expr) -> bool:
    """A number in Python's own terms: a literal, or what `math` gives."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _plain_number(node.operand)
    if isinstance(node, ast.Call):
        node = node.func
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "math"
    )


def _plain_int(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        return _plain_int(node.operand)
    return isinstance(node, ast.Constant) and type(node.value) is int


def _call_kind(node: ast.Call, known: dict[str, str], qualify: Qualify) -> str | None:
    head = node.func
    while isinstance(head, ast.Attribute | ast.Call | ast.Subscript):
        head = head.func if isinstance(head, ast.Call) else head.value
    if isinstance(head, ast.Name) and (qualify(head) == ARRAY or known.get(head.id) == "array"):
        return "array"  # `sp.coo_matrix(...)`, `adj.multiply(m)`: what numpy or scipy gives
    if qualify(node.func) == MODULE:
        return "tensor"  # `output = model(x)`
    dtype = next((k.value for k in node.keywords if k.arg == "dtype"), None)
    if dtype is not None:
        last = (qualify(dtype) or "").rsplit(".", 1)[-1]
        return "int" if last in INT_DTYPES else "float" if last in FLOAT_DTYPES else None
    name = qualify(node.func)
    if name is not None and name.startswith("torch."):
        last = name.rsplit(".", 1)[-1]
        if last == "arange":
            if any(kind(a, known, qualify) == "float" for a in node.args):
                return "float"
            return "int" if all(_integer_like(a) for a in node.args) else None
        if last in FLOAT_MAKERS or last in FLOAT_RESULTS:
            return "float"
        return "int" if last in INT_RESULTS else None
    if isinstance(node.func, ast.Attribute):  # a method
        method = node.func.attr
        if qualify(node.func.value) == FOREIGN:
            return None  # `random.randint(0, 9)`: another module's function
        if method == "to":  # `.to(device)` keeps the dtype, `.to(torch.float)` sets it
            for value in node.args:
                last = (qualify(value) or "").rsplit(".", 1)[-1]
                if last in INT_DTYPES or last in FLOAT_DTYPES:
                    return "int" if last in INT_DTYPES else "float"
            return kind(node.func.value, known, qualify)
        if isinstance(node.func.value, ast.Name) and node.func.value.id == "math":
            return "float"
        if method in INT_RESULTS:
            return "int"
        if method in FLOAT_RESULTS:
            return "float"
        if method in KEEP:
            return kind(node.func.value, known, qualify)
        if kind(node.func.value, known, qualify) in ("tensor", "int"):
            return "tensor"  # a tensor's method gives a tensor (of a dtype not known here)
    return None


def _integer_like(node: ast.expr) -> bool:
    """An argument of arange that is an int in PyTorch's eyes: a literal, a name, len(), a
    size."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.UnaryOp):
        return _integer_like(node.operand)
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Div):
        return _integer_like(node.left) and _integer_like(node.right)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id in ("len", "int")
        return isinstance(node.func, ast.Attribute) and node.func.attr in ("size", "dim", "numel")
    if isinstance(node, ast.Subscript):  # x.shape[0]
        return isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
    return False
