"""What every translation rule shares: the tables rules register in, argument binding, and the
per-file context that collects the imports and prelude definitions the output needs.

A rule takes the (already translated) call node and the context, and returns the replacement
node, or raises `Untranslatable` with the reason that goes into the marker and the report.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from . import prelude

Rule = Callable[[cst.Call, "Ctx"], cst.BaseExpression]

# canonical PyTorch name → rule, for calls of torch.*, torch.nn.*, F.*, optim, data ...
FUNCTIONS: dict[str, Rule] = {}
# Tensor method name → rule (x.view(...), x.size(0), ...)
METHODS: dict[str, Rule] = {}
# canonical PyTorch name → replacement source, for names used without a call (torch.float32)
ATTRIBUTES: dict[str, str] = {}
# canonical class names of layers whose call takes `training` (dropout, batch norm, ...)
TRAINING_LAYERS: set[str] = set()
# canonical name → the Keras class (source) that isinstance() checks use
ISINSTANCE: dict[str, str] = {}

IMPORT_LINES = {
    "keras": "import keras",
    "np": "import numpy as np",
    "tf": "import tensorflow as tf",
}
_IMPORT_USE = re.compile(r"\b(tf|keras|np)\.")


class Untranslatable(Exception):
    """A construct the translator keeps as it is; the message says why."""


def register(table: dict[str, Rule], *names: str) -> Callable[[Rule], Rule]:
    """Decorator: register a rule under each of `names` (duplicates fail at import)."""

    def decorate(rule: Rule) -> Rule:
        for name in names:
            if name in table:
                raise ValueError(f"translation rule for {name!r} registered twice")
            table[name] = rule
        return rule

    return decorate


def function(*names: str) -> Callable[[Rule], Rule]:
    return register(FUNCTIONS, *names)


def method(*names: str) -> Callable[[Rule], Rule]:
    return register(METHODS, *names)


_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    """Source text of a node."""
    return _EMPTY.code_for_node(node)


def string_literal(text: str) -> str:
    """`text` as a Python string literal, in black's style: repr's, with double quotes
    where the text holds no double quote (repr then escapes nothing for the quotes). Never
    built by editing quote characters: a name holding quotes stays text."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


@dataclass
class Ctx:
    """Per-file state shared by the rules."""

    imports: set[str] = field(default_factory=set)  # keys of IMPORT_LINES
    prelude: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # details for the current construct
    dropped: set[str] = field(default_factory=set)  # names whose uses a rule removed
    # while a rule runs: the element of its (values, indices) result that the code takes at
    # once (`torch.max(x, 1)[0]` → 0), or None; a rule that writes only that element sets
    # `picked`, and the translator drops the `[0]`
    pick: int | None = None
    picked: bool = False
    # names the file binds at module level, and the locals of the functions being translated
    # (innermost last): FileInfo.module_bound / local_bound
    taken: set[str] = field(default_factory=set)
    local_taken: list[frozenset[str]] = field(default_factory=list)
    parameters: set[str] = field(default_factory=set)  # self.X bound to nn.Parameter(...)
    # the variable of each enclosing `for p in m.parameters():` that initialises p
    # (transformer.Translator.visit_For): nn.init.*_(p) there gives its initializer alone
    parameter_loops: list[str] = field(default_factory=list)
    called: str = ""  # while a rule runs: the canonical name it was found by (`torch.Tensor`)

    def expr(self, text: str) -> cst.BaseExpression:
        """Parse generated source (rules write canonical, black-style text)."""
        self.imports.update(_IMPORT_USE.findall(text))
        return cst.parse_expression(text)

    def use(self, name: str) -> str:
        """Mark a prelude definition as used; returns its name. Untranslatable where it (or
        a definition it needs) has a name the file binds itself."""
        if not prelude.is_known(name):
            raise KeyError(f"no prelude definition {name!r}")
        # the name itself is looked up here, in the user's scopes; what it needs, from the
        # prelude's own module-level code
        clashes = [name] if any(name in names for names in self.local_taken) else []
        clashes += [d.name for d in prelude.closure({name}) if d.name in self.taken]
        if clashes:
            raise Untranslatable(
                f"its translation needs dlgen's {clashes[0]}, a name this file defines or "
                "assigns itself there: rename yours"
            )
        self.prelude.add(name)
        return name

    def note(self, text: str) -> None:
        self.notes.append(text)


class Args:
    """A call's arguments bound to PyTorch parameter names (positional or keyword)."""

    def __init__(self, call: cst.Call, params: Sequence[str], what: str) -> None:
        self.values: dict[str, cst.BaseExpression] = {}
        self.what = what
        positional = 0
        for arg in call.args:
            if arg.star:
                raise Untranslatable(
                    f"{what} with *args/**kwargs cannot be mapped argument by argument"
                )
            if arg.keyword is None:
                if positional >= len(params):
                    raise Untranslatable(f"{what} got more positional arguments than it takes")
                self.values[params[positional]] = arg.value
                positional += 1
            else:
                key = arg.keyword.value
                if key not in params:
                    raise Untranslatable(f"{what} argument {key}= has no translation")
                self.values[key] = arg.value

    def has(self, name: str) -> bool:
        return name in self.values

    def code(self, name: str, default: str | None = None) -> str:
        """Source of an argument, or `default` (an error when there is none)."""
        if name in self.values:
            return code(self.values[name])
        if default is None:
            raise Untranslatable(f"{self.what} needs {name}")
        return default

    def literal(self, name: str, default: object = None) -> object:
        """The argument's value when it is a Python literal; raises when it is an expression."""
        if name not in self.values:
            return default
        try:
            return ast.literal_eval(code(self.values[name]))
        except (ValueError, SyntaxError):
            raise Untranslatable(
                f"{self.what} {name}= must be a literal here, got {code(self.values[name])}"
            ) from None

    def is_literal(self, name: str) -> bool:
        try:
            self.literal(name)
        except Untranslatable:
            return False
        return True

    def refuse(self, *names: str, unless: object = None) -> None:
        """Raise when one of `names` is given with a value other than `unless` (its default)."""
        for name in names:
            if name in self.values and (not self.is_literal(name) or self.literal(name) != unless):
                raise Untranslatable(
                    f"{self.what} {name}={code(self.values[name])} has no translation"
                )


class Replace(cst.CSTTransformer):
    """Every copy of one expression replaced by another."""

    def __init__(self, old: cst.BaseExpression, new: cst.BaseExpression) -> None:
        self.old, self.new = old, new

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        if isinstance(original, cst.BaseExpression) and original.deep_equals(self.old):
            return self.new
        return updated


def with_comma(args) -> list[cst.Arg]:
    """Call arguments, the last given a comma, so that one more can follow."""
    args = list(args)
    if args and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
    return args


def grouped(node: cst.BaseExpression) -> cst.BaseExpression:
    """An argument that takes its call's place: in parentheses when it spans lines (the
    call's parentheses held its line breaks)."""
    if "\n" in code(node) and not getattr(node, "lpar", ()):
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def simple(node: cst.BaseExpression) -> bool:
    """True for a name or attribute chain, which may be evaluated twice without harm, and
    for `tf.stop_gradient` of one (what `x.data` becomes)."""
    if isinstance(node, cst.Call) and len(node.args) == 1 and code(node.func) == "tf.stop_gradient":
        node = node.args[0].value
    return isinstance(node, cst.Name) or (isinstance(node, cst.Attribute) and simple(node.value))
