"""The prelude of a translated file: the PyTorch-layout helpers it uses, copied as source text.

`prelude_lib.py` holds the definitions as ordinary Python; it is read here as text (never
imported: translation does not import TensorFlow) and split into top-level definitions, each
with the other definitions it refers to.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

LIBRARY = Path(__file__).with_name("prelude_lib.py")
HEADER = (
    "# ---- dlgen prelude: PyTorch-layout (NCHW) building blocks used below; see the README's\n"
    "# ---- `dlgen translate` section. Convolutions and pools run channels-last inside.\n"
)


@dataclass(frozen=True)
class Definition:
    """One top-level function or class of the prelude library."""

    name: str
    source: str
    order: int

    @property
    def uses(self) -> frozenset[str]:
        """The other definitions it refers to (parsed when first asked: a file needs a
        handful of the library's definitions, and parsing all of them is a third of a
        small file's translation time)."""
        return _uses(self.name)


# A top-level definition starts at a column-0 `def`, `class` or decorator line.
_START = re.compile(r"^(?:@|def |class )")
_NAME = re.compile(r"^(?:def|class) (\w+)")


@functools.cache
def definitions() -> dict[str, Definition]:
    """Every definition of the library by name, cut from its text at column-0 `def`, `class`
    and decorator lines (the library holds nothing else at the top level but its imports,
    docstring and comments; a test compares the cut with the library's syntax tree)."""
    lines = LIBRARY.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [  # a def or class right under its decorator starts with the decorator
        number
        for number, line in enumerate(lines)
        if _START.match(line) and not (number and lines[number - 1].startswith("@"))
    ]
    out: dict[str, Definition] = {}
    for order, (start, end) in enumerate(zip(starts, [*starts[1:], len(lines)], strict=True)):
        block = lines[start:end]
        name = next(m.group(1) for m in map(_NAME.match, block) if m)
        while block and not block[-1].strip():
            block.pop()
        out[name] = Definition(name, "".join(block), order)
    return out


@functools.cache
def _uses(name: str) -> frozenset[str]:
    table = definitions()
    tree = ast.parse(table[name].source)
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name)]
    local = {node.id for node in names if isinstance(node.ctx, ast.Store)}  # not a definition
    used = {node.id for node in names} - local
    return frozenset(used & table.keys() - {name})


def closure(names: set[str]) -> list[Definition]:
    """The definitions `names` need (transitively), in library order."""
    table = definitions()
    seen: set[str] = set()
    stack = [n for n in names if n in table]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(table[name].uses - seen)
    return sorted((table[n] for n in seen), key=lambda d: d.order)


def render(names: set[str]) -> str:
    """Prelude source for a file that uses `names` ('' when it uses none)."""
    chosen = closure(names)
    if not chosen:
        return ""
    return HEADER + "\n\n" + "\n\n".join(d.source for d in chosen)


def is_known(name: str) -> bool:
    return name in definitions()
