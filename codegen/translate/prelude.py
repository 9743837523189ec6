"""The prelude of a translated file: the PyTorch-layout helpers it uses, copied as source text.

`prelude_lib.py` holds the definitions as ordinary Python; it is read here as text (never
imported: translation does not import TensorFlow) and split into top-level definitions, each
with the other definitions it refers to.
"""

from __future__ import annotations

import ast
import functools
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
    uses: frozenset[str]
    order: int


@functools.cache
def definitions() -> dict[str, Definition]:
    """Every definition of the library by name."""
    text = LIBRARY.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    nodes = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    names = {n.name for n in nodes}
    out: dict[str, Definition] = {}
    for order, node in enumerate(nodes):
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        source = "".join(lines[start : node.end_lineno])
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in names} - {
            node.name
        }
        out[node.name] = Definition(node.name, source, frozenset(used), order)
    return out


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
