"""A tensor a layer caches on itself between calls, recomputed in each call instead.

word_language_model's TransformerModel keeps its attention mask:

    if self.src_mask is None or self.src_mask.size(0) != len(src):
        self.src_mask = self._generate_square_subsequent_mask(len(src))

Keras runs `call` symbolically to build the model and traces it again inside `fit` and
`tf.function`: a tensor kept on the layer in one trace is out of scope in the next (the output
check marks such an attribute). Where the attribute is a cache, that is every value stored
into it in `call` is stored under a test of `self.X is None` (a cache miss), it is set to a
constant in `__init__` and no other method touches it, then `call` computing it anew each time
gives the values the cache would have held: `self.X` becomes a local of `call`, which starts
at None. Anything else (a state that changes across calls) stays and stays marked.
"""

from __future__ import annotations

import ast

import libcst as cst


def cached_attributes(cls: ast.ClassDef) -> dict[str, str]:
    """The attributes of a module class (the PyTorch source) that are caches of `forward`
    in the sense above → the local that takes each one's place in `call` (its name, with `_`
    added while `forward` uses that name)."""
    methods = {node.name: node for node in cls.body if isinstance(node, ast.FunctionDef)}
    forward = methods.get("forward")
    if forward is None:
        return {}
    found = _Stores()
    found.visit(forward)
    taken = {node.id for node in ast.walk(forward) if isinstance(node, ast.Name)}
    taken |= {a.arg for a in ast.walk(forward.args) if isinstance(a, ast.arg)}
    caches = {}
    for name, guarded in found.stores.items():
        if not all(guarded) or name not in found.reads:
            continue
        others = [m for key, m in methods.items() if key not in ("forward", "__init__")]
        if any(_mentions(method, name) for method in others):
            continue
        init = methods.get("__init__")
        if init is not None and not _constant_only(init, name):
            continue
        local = name
        while local in taken:
            local += "_"
        taken.add(local)
        caches[name] = local
    return caches


def starting_none(body: cst.BaseSuite, name: str, local: str) -> cst.BaseSuite:
    """`call`'s body with `<local> = None` first (after a docstring): the cache, empty."""
    statements = list(body.body)  # type: ignore[attr-defined]
    at = 1 if statements and _docstring(statements[0]) else 0
    start = cst.parse_statement(f"{local} = None  # self.{name}, a cache: computed per call\n")
    statements.insert(at, start)
    return body.with_changes(body=statements)


def self_attribute(node: ast.AST, name: str | None = None) -> str | None:
    """`x` of `self.x` (of `self.<name>` when a name is given), else None."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and (name is None or node.attr == name)
    ):
        return node.attr
    return None


def _miss_test(test: ast.expr) -> set[str]:
    """The attributes X that `test` checks with `self.X is None`."""
    found = set()
    for node in ast.walk(test):
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Is)
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value is None
        ):
            name = self_attribute(node.left)
            if name is not None:
                found.add(name)
    return found


class _Stores(ast.NodeVisitor):
    """In `forward`: each `self.X = <not a constant>` (whether under a cache-miss test of X)
    and each read of `self.X`."""

    def __init__(self) -> None:
        self.tests: list[set[str]] = []
        self.stores: dict[str, list[bool]] = {}
        self.reads: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        self.tests.append(_miss_test(node.test))
        for statement in node.body:
            self.visit(statement)
        self.tests[-1] = set()  # the else of a miss test is a hit
        for statement in node.orelse:
            self.visit(statement)
        self.tests.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            name = self_attribute(target)
            if name is None:
                self.visit(target)
            elif not isinstance(node.value, ast.Constant):
                guarded = bool(self.tests) and name in self.tests[-1]
                self.stores.setdefault(name, []).append(guarded)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        name = self_attribute(node.target)
        if name is not None:
            self.stores.setdefault(name, []).append(False)  # a state, not a cache
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = self_attribute(node)
        if name is not None:
            self.reads.add(name)
        self.generic_visit(node)


def _mentions(method: ast.FunctionDef, name: str) -> bool:
    return any(self_attribute(node, name) for node in ast.walk(method))


def _constant_only(init: ast.FunctionDef, name: str) -> bool:
    """`__init__` touches `self.<name>` only to set it to a constant."""
    for node in ast.walk(init):
        if self_attribute(node, name) and not isinstance(node.ctx, ast.Store):  # type: ignore[attr-defined]
            return False
        if isinstance(node, ast.Assign) and any(self_attribute(t, name) for t in node.targets):
            if not isinstance(node.value, ast.Constant):
                return False
    return True


def _docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )
